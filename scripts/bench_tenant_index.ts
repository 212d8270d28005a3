// Before/after of the registry's tenant index (issue 14) in one process: makeDecision with 1k and
// 100k workers of the species the request routes to, each bound to one of 1,000 other tenants
// (plus one worker serving everyone, the one selected), and loading 100k such records into a
// Registry. Batches of the two trees alternate; prints the median process CPU time per op.
//   git worktree add /tmp/ti_before 6029068 && git worktree add /tmp/ti_after HEAD
//   deno run --config tests/deno.json --no-lock --allow-read --allow-env=WCP_BEFORE,WCP_AFTER \
//     scripts/bench_tenant_index.ts
//   git worktree remove /tmp/ti_before && git worktree remove /tmp/ti_after
// deno-lint-ignore-file no-explicit-any
import process from "node:process";

const TREES: Record<string, string> = {
  before: Deno.env.get("WCP_BEFORE") ?? "/tmp/ti_before",
  after: Deno.env.get("WCP_AFTER") ?? "/tmp/ti_after",
};
const SIDES = Object.keys(TREES);
const SIZES = [1000, 100_000];
const ROUNDS = 15; // the first is a warm-up

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const RULES = {
  rules: [{
    rule_id: "sum",
    match: { capability_id: "cap.doc.summarize" },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer", score_hint: 1 }],
      required_controls_suggested: ["ctrl.obs.audit-log-append-only"],
      max_blast_by_env: { prod: 8 },
    },
  }],
};
const record = (i: number, tenants?: string[]) => ({
  worker_id: `org.scale.w${i}`,
  worker_species_id: "wrk.doc.summarizer",
  capabilities: ["cap.doc.summarize"],
  currently_implements: ["ctrl.obs.audit-log-append-only"],
  blast_radius: { data: 1, network: 0, financial: 0, time: 1, reversibility: "reversible" },
  ...(tenants ? { tenants } : {}),
});
const INPUT = {
  correlation_id: "c-1",
  tenant_id: "acme",
  env: "dev",
  data_label: "INTERNAL",
  tenant_risk: "low",
  qos_class: "P2",
  capability_id: "cap.doc.summarize",
  request: { text: "x" },
};

const core: Record<string, any> = {};
for (const side of SIDES) core[side] = await import(`${TREES[side]}/mod.ts`);
const world: Record<string, any> = {};
for (const n of SIZES) {
  for (const side of SIDES) {
    const reg = new core[side].Registry();
    for (let i = 0; i < n; i++) reg.enroll(record(i, [`t${i % 1000}`]));
    reg.enroll({ ...record(n), worker_id: "org.demo.summarizer.1" });
    world[`${side}:${n}`] = { rules: core[side].parseRules(RULES), registry: reg };
  }
}

let sink = 0;
const decide: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const n of SIZES) {
    for (const side of round % 2 ? [...SIDES].reverse() : SIDES) {
      const opts = world[`${side}:${n}`];
      // The old router lists every worker: ~10 ms a decision at 100k, so fewer of them.
      const reps = side === "before" && n > 10_000 ? 40 : 20_000;
      const c0 = cpuMs();
      for (let i = 0; i < reps; i++) {
        const d = core[side].makeDecision(INPUT, opts);
        if (d.outcome !== "DISPATCH") throw new Error(`${side} ${n}: ${d.outcome}`);
        sink += d.candidate_workers_ranked.length;
      }
      if (round > 0) (decide[`${side}:${n}`] ??= []).push((cpuMs() - c0) / reps);
    }
  }
}
for (const n of SIZES) {
  for (const side of SIDES) {
    const opts = world[`${side}:${n}`];
    const listed = core[side].makeDecision(INPUT, opts).candidate_workers_ranked.length;
    const us = (median(decide[`${side}:${n}`]) * 1000).toFixed(1);
    console.log(
      `decision, ${n.toLocaleString("en-US")} other tenants' workers, ${side}: ${us} us CPU ` +
        `(median of ${ROUNDS - 1} batches), ${listed} candidates listed`,
    );
  }
}

// Loading 100k records in the order a hall loads them (positions ascending).
const records = Array.from({ length: 100_000 }, (_, i) => record(i, [`t${i % 1000}`]));
const load: Record<string, number[]> = {};
for (let round = 0; round < 5; round++) {
  for (const side of round % 2 ? [...SIDES].reverse() : SIDES) {
    const c0 = cpuMs();
    const reg = new core[side].Registry();
    for (let i = 0; i < records.length; i++) {
      const position = `2026-12-01T00:00:00.000Z\u0000${String(i).padStart(6, "0")}`;
      reg.enroll(records[i], { position });
    }
    sink += reg.size;
    (load[side] ??= []).push(cpuMs() - c0);
  }
}
for (const side of SIDES) {
  console.log(
    `load of 100,000 records, ${side}: ${median(load[side]).toFixed(0)} ms CPU (median of 5)`,
  );
}
if (sink === 0) console.log("(nothing ran)");
