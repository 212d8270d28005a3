// Median (p50) time per decision and decisions per second on one core, per case and size: the
// median over 400 batches of 250 decisions, so other load on the machine moves it little.
// Run: deno run tests/bench/decision_p50.ts   (no permissions needed)
import { makeDecision, type RouteDecision } from "../../mod.ts";
import { benchCases } from "./_decision_cases.ts";

const BATCH = 250;
const BATCHES = 400;
let sink = 0;

function medianMicros(fn: () => RouteDecision): number {
  for (let i = 0; i < 20_000; i++) sink += fn().telemetry_envelopes.length; // warm up
  const per: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i++) sink += fn().telemetry_envelopes.length;
    per.push(((performance.now() - t0) * 1000) / BATCH);
  }
  per.sort((x, y) => x - y);
  return per[per.length >> 1];
}

console.log("| rules | case | p50 per decision | decisions/s |");
console.log("| ---: | --- | ---: | ---: |");
for (const c of benchCases()) {
  const mix = [c.early, c.late, c.none, c.denied];
  let k = 0;
  const runs: [string, () => RouteDecision][] = [
    ["early match", () => makeDecision(c.early, c.options)],
    ["late match", () => makeDecision(c.late, c.options)],
    ["no match", () => makeDecision(c.none, c.options)],
    ["denied (blast gate)", () => makeDecision(c.denied, c.options)],
    ["mix of the four", () => makeDecision(mix[k++ & 3], c.options)],
  ];
  for (const [name, fn] of runs) {
    const us = medianMicros(fn);
    const rate = Math.round(1e6 / us).toLocaleString("en-US");
    console.log(`| ${c.n.toLocaleString("en-US")} | ${name} | ${us.toFixed(2)} µs | ${rate} |`);
  }
}
if (sink < 0) console.log(sink);
