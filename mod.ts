/**
 * @wcp/core: the Worker Class Protocol (WCP) decision core. Every capability request gets a
 * deterministic, fail-closed, evidence-bearing decision.
 *
 * Pure TypeScript: no file, network or `Deno.*` calls, so it runs in Deno, Node, Bun and browsers.
 *
 * @example
 * ```ts
 * import { makeDecision, parseRules, Registry } from "@wcp/core";
 * const rules = parseRules({ rules: [{ rule_id: "r1", match: { capability_id: "cap.doc.summarize" },
 *   decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] } }] });
 * const registry = new Registry();
 * registry.enroll({ worker_id: "org.acme.sum.1", worker_species_id: "wrk.doc.summarizer",
 *   capabilities: ["cap.doc.summarize"] });
 * const decision = makeDecision({
 *   correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f", tenant_id: "acme", env: "dev",
 *   data_label: "INTERNAL", tenant_risk: "low", qos_class: "P2", capability_id: "cap.doc.summarize",
 * }, { rules, registry });
 * console.log(decision.outcome); // "DISPATCH"
 * ```
 *
 * @module
 */

export * from "./src/model.ts";
export * from "./src/errors.ts";
export * from "./src/ids.ts";
export * from "./src/encoding/mod.ts";
export * from "./src/config.ts";
export * from "./src/decision/mod.ts";
export * from "./src/rules/mod.ts";
export * from "./src/registry/mod.ts";
export * from "./src/attestation/mod.ts";
export * from "./src/receipts/mod.ts";
export * from "./src/catalog/mod.ts";
export * from "./src/client/mod.ts";
export * from "./src/engine/mod.ts";
