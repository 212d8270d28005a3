#!/usr/bin/env bash
# CPU per request of each thread of a server process during one wrk run (user and kernel time
# from /proc/PID/task/*/stat), with the route benchmark's traffic (post.lua).
#
# usage: WCP_TOKEN=wcp_... scripts/load/thread_cpu.sh PID URL [SECONDS]
#   e.g. scripts/load/thread_cpu.sh "$(pgrep -f 'src/hall/main.ts' | head -1)" \
#          http://127.0.0.1:8787/wcp/route 5
set -euo pipefail
pid=$1; url=$2; secs=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
snap() { for t in /proc/$pid/task/*; do s=$(cat $t/stat); c=${s#*(}; c=${c%%)*}; r=${s##*) }; set -- $r; echo "$(basename $t):${c// /_} ${12} ${13}"; done | sort; }
snap > "$tmp/a"
out=$(WCP_TOKEN=${WCP_TOKEN:-} WCP_TENANTS=${WCP_TENANTS:-t0,t1,t2,t3} WCP_MAX_PER_THREAD=0 \
  wrk -t1 -c32 -d"${secs}s" -s "$here/post.lua" "$url" | grep WCP_RESULT)
snap > "$tmp/b"
n=$(echo "$out" | sed 's/.*requests=\([0-9]*\) .*/\1/')
echo "$out"
hz=$(getconf CLK_TCK)
join "$tmp/a" "$tmp/b" | awk -v n="$n" -v hz="$hz" '{
  u = ($4 - $2) * 1000 / hz; s = ($5 - $3) * 1000 / hz
  if (u + s > 30) printf "%-28s user %5d ms sys %5d ms = %.1f + %.1f us/request\n", $1, u, s, u * 1000 / n, s * 1000 / n
}'
