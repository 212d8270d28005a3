// Cost of the Cedar policy gate per gated decision (the engine's ESM wasm build), at 3 and 20
// policies, with and without a @require_human forbid (which costs a second evaluation), and of
// compiling (parse, schema validation against the catalog's actions, preparse) 20 policies.
// Run: deno bench --allow-read tests/bench/cedar_gate_bench.ts
import * as cedar from "@cedar-policy/cedar-wasm";
import { bundledCatalogData, type PolicyContext } from "../../mod.ts";
import {
  cedarCatalogIndex,
  type CedarEngine,
  cedarSchema,
  compileCedarGate,
} from "../../src/gates/mod.ts";

const engine = cedar as unknown as CedarEngine;
const catalog = bundledCatalogData();
const schema = cedarSchema(catalog);
const index = cedarCatalogIndex(catalog);

function policies(n: number, hold: boolean): string {
  let text = `@id("all") permit(principal, action, resource);\n`;
  if (hold) {
    text += `@id("hold-edge") @require_human("gatekeeper")\n` +
      `forbid(principal, action, resource == WCP::Environment::"edge");\n`;
  }
  for (let i = text.split(";").length - 1; i < n; i++) {
    text += `@id("f${i}") forbid(principal, action in WCP::Action::"domain:doc", resource)\n` +
      `when { context.blast_score > ${80 + i} && principal.risk == "high" };\n`;
  }
  return text;
}

const ctx: PolicyContext = {
  capability_id: "cap.doc.summarize",
  tenant_id: "acme",
  env: "prod",
  data_label: "INTERNAL",
  tenant_risk: "low",
  qos_class: "P2",
  policy_version: "policy.v0",
  blast_score: 12,
  matched_rule_id: "r1",
};
const extras = { candidate_workers: ["wrk.doc.summarizer"] };

for (const [n, hold] of [[3, false], [3, true], [20, false], [20, true]] as const) {
  const gate = compileCedarGate(engine, { text: policies(n, hold), schema, index });
  Deno.bench(`cedar evaluate: ${n} policies${hold ? ", one @require_human forbid" : ""}`, () => {
    gate.evaluate(ctx, extras);
  });
}

Deno.bench("cedar compile: 20 policies against the catalog schema", { n: 20 }, () => {
  compileCedarGate(engine, { text: policies(20, true), schema, index });
});
