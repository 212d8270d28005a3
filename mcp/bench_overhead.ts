// Overhead WCP adds to one MCP tool call over stdio: the governed echo tool (route, decide,
// execute, mint a signed receipt, attach _meta) versus the same echo worker behind an ungoverned
// tool with the same schemas, SDK and transport. Sequential calls, interleaved in rounds so both
// servers see the same machine load; reports p50/p90/p99 per call and the p50 difference.
//
//   deno run --allow-run=deno --allow-read --allow-env mcp/bench_overhead.ts [calls=3000]

import { Client, StdioClientTransport } from "../tests/mcp/_sdk_client.ts";

const SERVER = new URL("./_bench_server.ts", import.meta.url).pathname;
const CALLS = Number(Deno.args[0] ?? 3000);
const ROUNDS = 10;
const WARMUP = 300;

async function start(mode: string): Promise<Client> {
  const client = new Client({ name: `bench-${mode}`, version: "0" });
  await client.connect(
    new StdioClientTransport({ command: "deno", args: ["run", SERVER, mode], stderr: "inherit" }),
  );
  return client;
}

async function once(client: Client, i: number): Promise<number> {
  const t0 = performance.now();
  const r = await client.callTool({
    name: "cap_hello_greet",
    arguments: { payload: { n: i, text: "hello" } },
  });
  const dt = performance.now() - t0;
  if (r.isError) throw new Error(`call failed: ${JSON.stringify(r.content)}`);
  return dt;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const governed = await start("governed");
const plain = await start("ungoverned");
try {
  for (let i = 0; i < WARMUP; i++) {
    await once(governed, i);
    await once(plain, i);
  }
  const g: number[] = [];
  const u: number[] = [];
  const per = Math.ceil(CALLS / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < per; i++) g.push(await once(governed, i));
    for (let i = 0; i < per; i++) u.push(await once(plain, i));
  }
  g.sort((a, b) => a - b);
  u.sort((a, b) => a - b);
  const fmt = (x: number) => `${(x * 1000).toFixed(0)} us`;
  console.log(`calls per server: ${g.length} (after ${WARMUP} warm-up), sequential, stdio`);
  console.log(
    `ungoverned  p50 ${fmt(pct(u, 0.5))}  p90 ${fmt(pct(u, 0.9))}  p99 ${fmt(pct(u, 0.99))}`,
  );
  console.log(
    `governed    p50 ${fmt(pct(g, 0.5))}  p90 ${fmt(pct(g, 0.9))}  p99 ${fmt(pct(g, 0.99))}`,
  );
  console.log(`WCP overhead p50: ${fmt(pct(g, 0.5) - pct(u, 0.5))} per call (target < 1000 us)`);
} finally {
  await governed.close();
  await plain.close();
}
