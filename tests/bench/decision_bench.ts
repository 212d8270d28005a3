// makeDecision at 10, 1,000 and 100,000 rules: early match, late match, no match, denials, and a
// round-robin mix of all four. Run: deno bench --allow-read tests/bench/decision_bench.ts
// (medians per case: deno run tests/bench/decision_p50.ts)
import { makeDecision, sha256Hex } from "../../mod.ts";
import { sha256HexOfString } from "../../src/encoding/sha256.ts";
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

// The hot-path SHA-256 against @noble/hashes on a typical 250-byte canonical input.
const canonical = JSON.stringify({
  capability_id: "cap.doc.summarize",
  correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f",
  data_label: "INTERNAL",
  dry_run: false,
  env: "prod",
  policy_version: "policy.v0",
  qos_class: "P2",
  request: { pages: 12, text: "summarise the quarterly report" },
  tenant_id: "acme",
  tenant_risk: "low",
});
Deno.bench({
  name: "sha256 250 B, @noble/hashes",
  group: "sha256",
  baseline: true,
  fn: () => {
    sink += sha256Hex(canonical).length;
  },
});
Deno.bench({
  name: "sha256 250 B, core hot path",
  group: "sha256",
  fn: () => {
    sink += sha256HexOfString(canonical).length;
  },
});
