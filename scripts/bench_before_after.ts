// Before/after benchmark of two trees of this repository in one process (issue 12 item 7): for
// each case, batches of "before" and "after" alternate; prints the median wall and CPU time per op.
//   git worktree add /tmp/bench_before f12421a && git worktree add /tmp/bench_after HEAD
//   deno run --config tests/deno.json --no-lock --allow-read --allow-write=/tmp --allow-env \
//     scripts/bench_before_after.ts [filter]       (WCP_BEFORE / WCP_AFTER override the two paths)
//   git worktree remove /tmp/bench_before && git worktree remove /tmp/bench_after
// deno-lint-ignore-file no-explicit-any
const TREES: Record<string, string> = {
  before: Deno.env.get("WCP_BEFORE") ?? "/tmp/bench_before",
  after: Deno.env.get("WCP_AFTER") ?? "/tmp/bench_after",
};
import process from "node:process";
const filter = Deno.args[0] ?? "";
// Batches of the hall route cases: 600 (12,000 requests a side) keep one run's medians within
// +-0.02 of each other; 100 moved them +-0.1 (JIT tiers and SQLite growth settle late).
const HALL_BATCHES = Number(Deno.env.get("WCP_HALL_BATCHES") ?? 600);
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}; // ms
const FIX = new URL("../tests/fixtures/core/", import.meta.url).pathname;
const readJson = (n: string) => JSON.parse(Deno.readTextFileSync(FIX + n));
const cases = readJson("cases.json");
let sink = 0;
const SIDES = Object.keys(TREES);
const world: Record<string, any> = {};
for (const side of SIDES) {
  const root = TREES[side];
  const core = await import(`${root}/mod.ts`);
  const hallH = await import(`${root}/tests/hall/_helpers.ts`);
  const gov = await import(`${root}/mcp/server.ts`);
  const demo = await import(`${root}/mcp/demo_config.ts`);
  const sdkc = await import(`${root}/tests/mcp/_sdk_client.ts`);
  const rules = core.parseRules(readJson("rules.json"));
  const registry = new core.Registry();
  for (const r of readJson("registry.json")) registry.enroll(r);
  const gate = (ctx: any) =>
    ctx.tenant_id === "blocked"
      ? { decision: "DENY", policy_version: "pol.fin.v2", reason: "tenant_blocked" }
      : { decision: "ALLOW", policy_version: "pol.fin.v2", reason: "within_policy" };
  const golden: Record<string, [any, any]> = {};
  for (const c of cases.cases) {
    const inp = { ...cases.base, ...c.input };
    const amount = inp.request?.amount ?? 0;
    golden[c.name] = [inp, {
      rules,
      registry,
      config: { require_worker_attestation: true, ...c.config },
      policyGate: amount > 1000
        ? () => ({
          decision: "REQUIRE_HUMAN",
          policy_version: "pol.fin.v2",
          reason: "amount_over_1000",
        })
        : gate,
      currentWorkerHash: (id: string) =>
        id === "org.acme.search" ? "sha256:" + "5".repeat(63) + "6" : registry.registeredHash(id),
      chainBlastScore: (id: string) => (id === "dec-parent-1" ? 4 : null),
    }];
  }
  const h = await hallH.testHall();
  const server = gov.createWcpMcpServer({ config: demo.demoConfig() });
  const [ct, st] = sdkc.InMemoryTransport.createLinkedPair();
  await server.connect(st);
  const client = new sdkc.Client({ name: "bench", version: "0" });
  await client.connect(ct);
  world[side] = { core, golden, h, client, hallH };
}

type Op = () => unknown;
async function measure(
  label: string,
  ops: Record<string, Op>,
  batch: number,
  batches: number,
  isAsync = false,
) {
  if (filter && !label.includes(filter)) return;
  const per: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (const s of SIDES) (per[s] = []), (cpu[s] = []);
  const run = async (fn: Op, n: number) => {
    if (isAsync) { for (let i = 0; i < n; i++) await fn(); }
    else for (let i = 0; i < n; i++) fn();
  };
  for (const s of SIDES) await run(ops[s], batch * 20); // warm up
  for (let b = 0; b < batches; b++) {
    const order = b & 1 ? [...SIDES].reverse() : SIDES;
    for (const s of order) {
      const c0 = cpuNow();
      const t0 = performance.now();
      await run(ops[s], batch);
      per[s].push(((performance.now() - t0) * 1000) / batch);
      cpu[s].push(((cpuNow() - c0) * 1000) / batch);
    }
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const m = SIDES.map((s) => med(per[s]));
  const c = SIDES.map((s) => med(cpu[s]));
  const f = (x: number) => x < 1 ? x.toFixed(3) : x.toFixed(1);
  console.log(
    `| ${label} | ${c.map(f).join(" | ")} | **${(c[1] / c[0]).toFixed(2)}** | ${
      m.map(f).join(" | ")
    } | ${(m[1] / m[0]).toFixed(2)} |`,
  );
}

console.log(
  `| case | ${SIDES.map((s) => `${s} CPU µs/op`).join(" | ")} | ratio | ${
    SIDES.map((s) => `${s} wall µs/op`).join(" | ")
  } | ratio |`,
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
const names = cases.cases.map((c: any) => c.name);
for (const name of names) {
  const ops: Record<string, Op> = {};
  for (const s of SIDES) {
    const [inp, opt] = world[s].golden[name];
    const md = world[s].core.makeDecision;
    ops[s] = () => (sink += md(inp, opt).telemetry_envelopes.length);
  }
  await measure(`makeDecision ${name}`, ops, 200, 200);
}
{
  const ops: Record<string, Op> = {};
  for (const s of SIDES) {
    const md = world[s].core.makeDecision;
    const g = world[s].golden;
    let k = 0;
    ops[s] = () => {
      const [inp, opt] = g[names[k++ % names.length]];
      sink += md(inp, opt).telemetry_envelopes.length;
    };
  }
  await measure("makeDecision, the 16 golden cases round-robin", ops, 320, 200);
}
function ruleDoc(n: number): unknown[] {
  const rules: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const match: Record<string, unknown> = { capability_id: `cap.bench.c${i}` };
    if (i % 3 === 1) match.env = "dev";
    if (i % 5 === 2) match.data_label = { in: ["INTERNAL", "RESTRICTED"] };
    rules.push({
      rule_id: `r${i}`,
      match,
      decision: { candidate_workers_ranked: [{ worker_species_id: `wrk.b.w${i}` }] },
    });
  }
  rules.push({
    rule_id: "wild",
    match: { capability_id: { any: true }, qos_class: "P0" },
    decision: { candidate_workers_ranked: [] },
  });
  return rules;
}
const fields = (cap: string, extra: Record<string, string> = {}) => ({
  capability_id: cap,
  env: "dev",
  data_label: "INTERNAL",
  tenant_risk: "low",
  qos_class: "P2",
  ...extra,
});
for (const n of [1000, 100_000]) {
  if (filter && !"rule matcher".includes(filter)) break;
  const doc = ruleDoc(n);
  const inputs = [
    fields("cap.bench.c0"),
    fields(`cap.bench.c${n - 3}`),
    fields("cap.none"),
    fields("cap.x", { qos_class: "P0" }),
  ];
  const ops: Record<string, Op> = {};
  for (const s of SIDES) {
    const rs = world[s].core.parseRules(doc);
    let k = 0;
    ops[s] = () => (sink ^= rs.matchIndex(inputs[k++ & 3]));
  }
  await measure(`rule matcher, ${n} rules (early/late/none/wildcard)`, ops, 40000, 100);
}
const hallCases: [string, string, (hh: any) => Record<string, unknown>, string][] = [
  ["hall POST /wcp/route allowed", "/wcp/route", (hh) => hh.routeInput(), "DISPATCH"],
  [
    "hall POST /wcp/route denied (no rule)",
    "/wcp/route",
    (hh) => hh.routeInput({ capability_id: "cap.none.x" }),
    "DENY",
  ],
  [
    "hall POST /wcp/route held",
    "/wcp/route",
    (hh) => hh.routeInput({ capability_id: "cap.msg.notify" }),
    "STEWARD_HOLD",
  ],
  [
    "hall POST /wcp/dispatch (in-process worker, receipt)",
    "/wcp/dispatch",
    (hh) => hh.routeInput(),
    "DISPATCH",
  ],
];
for (const [label, path, body, expect] of hallCases) {
  const ops: Record<string, Op> = {};
  for (const s of SIDES) {
    const { h, hallH } = world[s];
    const r = await h.req(path, { method: "POST", json: body(hallH) });
    const j = await r.json();
    const outcome = j.outcome ?? j.decision?.outcome;
    if (outcome !== expect) {
      throw new Error(`${s} ${label}: ${r.status} ${JSON.stringify(j).slice(0, 300)}`);
    }
    ops[s] = async () => {
      const res = await h.req(path, { method: "POST", json: body(hallH) });
      sink += (await res.text()).length;
    };
  }
  await measure(
    label,
    ops,
    path === "/wcp/dispatch" ? 5 : 20,
    path === "/wcp/dispatch" ? 60 : HALL_BATCHES,
    true,
  );
}
{
  const ops: Record<string, Op> = {};
  for (const s of SIDES) {
    const { client } = world[s];
    ops[s] = async () => {
      const res = await client.callTool({
        name: "cap_hello_greet",
        arguments: { payload: { text: "hello" } },
      });
      if (res.isError) throw new Error(`mcp call failed ${JSON.stringify(res.content)}`);
    };
  }
  await measure("MCP tools/call governed echo (in-memory transport)", ops, 20, 100, true);
}
if (sink < 0) console.log(sink);
for (const s of SIDES) await world[s].h.stop();
Deno.exit(0);
