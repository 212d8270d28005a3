#!/usr/bin/env bash
# Measure a command on an empty Deno cache: wall time, cache size, npm packages fetched.
#   bash scripts/cold_cache.sh mcp|serve|wcp|node
# Each run gets a fresh DENO_DIR (removed afterwards); the hall gets a fresh data directory.
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:?usage: cold_cache.sh mcp|serve|wcp}
dir=$(mktemp -d)
data=./data/cold-cache-$$
export DENO_DIR=$dir NO_COLOR=1
start=$(date +%s.%N)
case $what in
  mcp)
    # an MCP client's first contact: initialize over stdio, then EOF
    printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"cold","version":"0"}}}' |
      deno run mcp/main.ts 2>"$dir.err" | head -c 200 | grep -q '"serverInfo"' || { echo "mcp: no initialize answer"; cat "$dir.err"; }
    ;;
  serve)
    # start the hall, wait for /wcp/health, stop it
    WCP_DATA_DIR=$data WCP_HALL_PORT=$((20000 + $$ % 20000)) deno task serve >"$dir.out" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do
      grep -q 'listening\|http://127.0.0.1' "$dir.out" && break
      kill -0 $pid 2>/dev/null || break
      sleep 0.1
    done
    grep -q 'listening\|http://127.0.0.1' "$dir.out" || { echo "serve: did not start"; cat "$dir.out"; }
    pkill -P $pid 2>/dev/null; kill $pid 2>/dev/null; wait $pid 2>/dev/null
    ;;
  wcp) deno task wcp --help >/dev/null 2>"$dir.err" || { echo "wcp: failed"; cat "$dir.err"; } ;;
  *) echo "unknown: $what"; exit 2 ;;
esac
end=$(date +%s.%N)
reg=$dir/npm/registry.npmjs.org
pkgs=0
if [ -d "$reg" ]; then
  # one directory per package version: registry/NAME/VERSION or registry/@SCOPE/NAME/VERSION
  pkgs=$(( $(find "$reg" -mindepth 2 -maxdepth 2 -type d -not -path "$reg/@*" | wc -l) +
    $(find "$reg" -mindepth 3 -maxdepth 3 -type d -path "$reg/@*" | wc -l) ))
fi
printf '%s: %.1f s, %s in DENO_DIR, %s npm packages\n' "$what" "$(echo "$end - $start" | bc)" "$(du -sh "$dir" | cut -f1)" "$pkgs"
rm -rf "$dir" "$dir.err" "$dir.out" "$data"
