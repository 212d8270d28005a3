/**
 * The machine's ceiling for the route benchmark's traffic: a Deno.serve handler that does no
 * governance at all (reads the JSON body, answers a JSON body of the hall's decision size with the
 * hall's response headers). `deno task load --backends floor` loads it with the same `wrk` script,
 * so the hall's figures can be read as a fraction of what any Deno HTTP server reaches here.
 *
 * usage: deno run --allow-net=127.0.0.1 scripts/load/floor_server.ts [--threads N]
 *
 * Prints `listening on http://127.0.0.1:PORT` once every thread serves.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { applySecurityHeaders } from "../../src/hall/middleware/security_headers.ts";

// A decision is about 2.8 KB of JSON (with its telemetry envelopes).
const FILLER = "x".repeat(2_700);
// The hall's own answer headers (the same list and code the hall uses), built as the hall's route
// fast lane builds them (the cheapest form measured: Content-Type in the constructor, the rest
// appended; giving all ten to the constructor costs ~10 µs more CPU per request here).
const headers = new Headers({ "content-type": "application/json" });
applySecurityHeaders(headers);
const INIT: ResponseInit = { headers: { "content-type": "application/json" } };
const REST = [...headers].filter(([k]) => k !== "content-type");

async function handle(req: Request): Promise<Response> {
  const input = await req.json() as { correlation_id?: unknown };
  const body = JSON.stringify({ correlation_id: input.correlation_id, filler: FILLER });
  const res = new Response(body, INIT);
  const h = res.headers;
  for (const [k, v] of REST) h.append(k, v);
  return res;
}

function serve(port: number, reusePort: boolean): Promise<number> {
  return new Promise((resolve) => {
    Deno.serve({
      hostname: "127.0.0.1",
      port,
      ...(reusePort ? { reusePort: true } : {}),
      onListen: ({ port }) => resolve(port),
    }, handle);
  });
}

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  // An extra thread: serve the port it is given.
  self.onmessage = async (e: MessageEvent) => {
    await serve(e.data as number, true);
    self.postMessage("ready");
  };
} else if (import.meta.main) {
  const i = Deno.args.indexOf("--threads");
  const threads = i >= 0 ? Number(Deno.args[i + 1]) : 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    console.error("floor_server: --threads must be a whole number from 1 to 64");
    Deno.exit(2);
  }
  const port = await serve(0, threads > 1);
  await Promise.all(Array.from({ length: threads - 1 }, () =>
    new Promise<void>((resolve) => {
      const w = new Worker(import.meta.url, { type: "module" });
      w.onmessage = () => resolve();
      w.postMessage(port);
    })));
  console.log(`listening on http://127.0.0.1:${port}`);
}
