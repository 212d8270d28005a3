// makeDecision at 10, 1,000 and 100,000 rules: early match, late match, no match, denials, and a
// round-robin mix of all four. Run: deno bench --allow-read tests/bench/decision_bench.ts
// (medians per case: deno run tests/bench/decision_p50.ts)
import { makeDecision } from "../../mod.ts";
import { benchCases } from "./_decision_cases.ts";

let sink = 0;
for (const { n, options, early, late, none, denied } of benchCases()) {
  const mix = [early, late, none, denied];
  let k = 0;
  const group = `${n} rules`;
  Deno.bench({
    name: `early match, ${group}`,
    group,
    baseline: true,
    fn: () => {
      sink += makeDecision(early, options).telemetry_envelopes.length;
    },
  });
  Deno.bench({
    name: `late match, ${group}`,
    group,
    fn: () => {
      sink += makeDecision(late, options).telemetry_envelopes.length;
    },
  });
  Deno.bench({
    name: `no match, ${group}`,
    group,
    fn: () => {
      sink += makeDecision(none, options).telemetry_envelopes.length;
    },
  });
  Deno.bench({
    name: `denied (blast gate), ${group}`,
    group,
    fn: () => {
      sink += makeDecision(denied, options).telemetry_envelopes.length;
    },
  });
  Deno.bench({
    name: `mix of the four, ${group}`,
    group,
    fn: () => {
      sink += makeDecision(mix[k++ & 3], options).telemetry_envelopes.length;
    },
  });
}
globalThis.addEventListener("unload", () => {
  if (sink < 0) console.log(sink);
});
