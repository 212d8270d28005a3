// The latency the gateway adds per tools/call: the same SDK client calls the same upstream
// (mcp/gateway/_bench_upstream.ts, one `echo` tool) directly and through the gateway
// (rules, decision, policy gate, a signed receipt appended to the state directory's receipt
// file before the answer), interleaved call by call (the order alternates each pair) and paced
// at RATE calls/s per path. Over stdio (each path its own upstream process) and over Streamable
// HTTP (both paths to one upstream on 127.0.0.1; the gateway serves HTTP too). Reports p50 and
// p99 per path and their differences, and the load average before and after.
//
//   deno run --allow-run=deno --allow-read --allow-write=/tmp --allow-net=127.0.0.1 \
//     --allow-env --allow-sys=loadavg mcp/gateway/bench.ts [calls=2000] [rate=200]

import {
  Client,
  StdioClientTransport,
  StreamableHTTPClientTransport,
} from "../../tests/mcp/_sdk_client.ts";
import { gatewayPermissions } from "../../src/cli/gateway.ts";

const CALLS = Number(Deno.args[0] ?? 2000);
const RATE = Number(Deno.args[1] ?? 200);
const WARMUP = 300;
const UPSTREAM = new URL("./_bench_upstream.ts", import.meta.url).pathname;
const GATEWAY = new URL("./main.ts", import.meta.url).pathname;

function loadavg(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "n/a";
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function writeConfig(dir: string, server: Record<string, unknown>): Promise<string> {
  const path = `${dir}/gateway.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      name: "bench",
      tenant: { tenant_id: "bench" },
      rules: {
        rules: [{
          rule_id: "echo",
          match: { capability_id: "cap.mcp.b.echo" },
          decision: {
            candidate_workers_ranked: [{ worker_species_id: "wrk.mcp.b" }],
            escalation: { policy_gate: true },
          },
        }],
      },
      policy_gate: { version: "bench.v1", default: "ALLOW", clauses: [] },
      servers: { b: server },
    }),
  );
  return path;
}

async function waitForLine(stream: ReadableStream<BufferSource>, needle: string): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 60_000;
  while (!seen.includes(needle)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${needle}": ${seen}`);
    const { done, value } = await reader.read();
    if (done) throw new Error(`exited before "${needle}": ${seen}`);
    seen += value;
  }
  // Keep draining so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
}

async function call(client: Client, i: number): Promise<number> {
  const t0 = performance.now();
  const r = await client.callTool({ name: "echo", arguments: { message: `m${i}` } });
  const dt = performance.now() - t0;
  if (r.isError) throw new Error(`call failed: ${JSON.stringify(r.content)}`);
  return dt;
}

async function measure(label: string, direct: Client, gateway: Client): Promise<void> {
  for (let i = 0; i < WARMUP; i++) {
    await call(direct, i);
    await call(gateway, i);
  }
  const d: number[] = [];
  const g: number[] = [];
  const pairs: number[] = [];
  const interval = 1000 / RATE;
  const start = performance.now();
  let late = 0;
  for (let i = 0; i < CALLS; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else late++;
    let a: number, b: number;
    if (i % 2 === 0) {
      a = await call(direct, i);
      b = await call(gateway, i);
    } else {
      b = await call(gateway, i);
      a = await call(direct, i);
    }
    d.push(a);
    g.push(b);
    pairs.push(b - a);
  }
  const secs = (performance.now() - start) / 1000;
  d.sort((x, y) => x - y);
  g.sort((x, y) => x - y);
  pairs.sort((x, y) => x - y);
  const us = (x: number) => `${(x * 1000).toFixed(0)} us`;
  console.log(
    `${label}: ${CALLS} calls per path at ${(CALLS / secs).toFixed(0)} calls/s per path ` +
      `(target ${RATE}; ${late} slots late), after ${WARMUP} warm-up pairs`,
  );
  console.log(`  direct   p50 ${us(pct(d, 0.5))}  p99 ${us(pct(d, 0.99))}`);
  console.log(`  gateway  p50 ${us(pct(g, 0.5))}  p99 ${us(pct(g, 0.99))}`);
  console.log(
    `  added    p50 ${us(pct(g, 0.5) - pct(d, 0.5))}  p99 ${us(pct(g, 0.99) - pct(d, 0.99))}` +
      `   (paired differences: p50 ${us(pct(pairs, 0.5))}, p99 ${us(pct(pairs, 0.99))})`,
  );
}

async function gatewayArgs(args: string[]): Promise<string[]> {
  return ["run", "--quiet", ...(await gatewayPermissions(args)), GATEWAY, ...args];
}

const dir = await Deno.makeTempDir({ prefix: "wcp-gw-bench-" });
console.log(`load average before: ${loadavg()} (${navigator.hardwareConcurrency} CPUs)`);
try {
  // stdio: each path starts its own upstream process (the same program).
  {
    const cfg = await writeConfig(dir, { command: "deno", args: ["run", UPSTREAM, "stdio"] });
    const direct = new Client({ name: "bench-direct", version: "0" });
    await direct.connect(
      new StdioClientTransport({
        command: "deno",
        args: ["run", UPSTREAM, "stdio"],
        stderr: "inherit",
      }),
    );
    const gateway = new Client({ name: "bench-gateway", version: "0" });
    await gateway.connect(
      new StdioClientTransport({
        command: "deno",
        args: await gatewayArgs(["--config", cfg]),
        stderr: "ignore",
      }),
    );
    try {
      await measure("stdio", direct, gateway);
    } finally {
      await direct.close();
      await gateway.close();
    }
  }
  // Streamable HTTP: one upstream on 127.0.0.1, called directly and by the gateway.
  {
    const upPort = freePort();
    const up = new Deno.Command("deno", {
      args: ["run", `--allow-net=127.0.0.1:${upPort}`, UPSTREAM, "http", String(upPort)],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await waitForLine(up.stderr, "listening");
    const gwPort = freePort();
    await Deno.remove(`${dir}/gateway.state`, { recursive: true }).catch(() => {});
    const cfg = await writeConfig(dir, { url: `http://127.0.0.1:${upPort}/mcp` });
    const gw = new Deno.Command("deno", {
      args: await gatewayArgs(["--config", cfg, "--http", `127.0.0.1:${gwPort}`]),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      await waitForLine(gw.stderr, "ready:");
      const direct = new Client({ name: "bench-direct", version: "0" });
      await direct.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${upPort}/mcp`)),
      );
      const gateway = new Client({ name: "bench-gateway", version: "0" });
      await gateway.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${gwPort}/mcp`)),
      );
      try {
        await measure("Streamable HTTP", direct, gateway);
      } finally {
        await direct.close();
        await gateway.close();
      }
    } finally {
      gw.kill("SIGTERM");
      await gw.status;
      up.kill("SIGTERM");
      await up.status;
    }
  }
  const receipts = [...Deno.readDirSync(`${dir}/gateway.state/receipts`)];
  const lines = receipts.reduce(
    (n, e) =>
      n + Deno.readTextFileSync(`${dir}/gateway.state/receipts/${e.name}`).split("\n").length - 1,
    0,
  );
  console.log(`durable receipts written by the HTTP gateway run: ${lines}`);
} finally {
  console.log(`load average after: ${loadavg()}`);
  await Deno.remove(dir, { recursive: true });
}
