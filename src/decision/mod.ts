/**
 * Decisions (face): `makeDecision` over rules, registry and hall floors (router.ts), the blast
 * radius score (blast.ts, re-exported by router.ts), the policy gate port (policy.ts), telemetry
 * sinks (telemetry.ts) and the replay of recorded decisions (simulate.ts).
 *
 * @example
 * ```ts
 * import { makeDecision, parseRules } from "@wcp/core";
 * const rules = parseRules([{ rule_id: "r1", decision: { candidate_workers_ranked: [] } }]);
 * const d = makeDecision({ correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f",
 *   tenant_id: "acme", env: "dev", data_label: "INTERNAL", tenant_risk: "low", qos_class: "P2",
 *   capability_id: "cap.doc.summarize" }, { rules });
 * d.outcome; // "DENY" (no candidate worker)
 * ```
 *
 * @module
 */

export * from "./router.ts";
export * from "./policy.ts";
export * from "./telemetry.ts";
export * from "./simulate.ts";
