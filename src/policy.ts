/**
 * The policy gate: a pluggable judge consulted when a rule's escalation asks for it.
 *
 * @module
 */

import type { DataLabel, Env, QosClass, SupervisorLevel, TenantRisk } from "./model.ts";

/** What the gate sees. */
export interface PolicyContext {
  /** Requested capability. */
  capability_id: string;
  /** Requesting tenant. */
  tenant_id: string;
  /** Environment. */
  env: Env;
  /** Data label. */
  data_label: DataLabel;
  /** Tenant risk. */
  tenant_risk: TenantRisk;
  /** QoS class. */
  qos_class: QosClass;
  /** Policy version the request carried (default `policy.v0`). */
  policy_version: string;
  /** Effective 0-100 blast score. */
  blast_score: number;
  /** Matched rule id. */
  matched_rule_id: string;
}

/** The gate's answer. */
export interface PolicyGateResult {
  /** `ALLOW`, `DENY` or `REQUIRE_HUMAN`; anything else denies. */
  decision: "ALLOW" | "DENY" | "REQUIRE_HUMAN";
  /** The policy version that decided. */
  policy_version: string;
  /** Why. */
  reason: string;
  /** For `REQUIRE_HUMAN`: who must act (default from the rule or config). */
  supervisor_level?: SupervisorLevel;
}

/**
 * A policy gate object. A plain function `(ctx) => PolicyGateResult` is accepted too.
 *
 * @example
 * ```ts
 * import type { PolicyGate } from "@wcp/core";
 * const gate: PolicyGate = {
 *   evaluate: (ctx) => ctx.env === "prod"
 *     ? { decision: "REQUIRE_HUMAN", policy_version: "pol.v1", reason: "prod needs a human" }
 *     : { decision: "ALLOW", policy_version: "pol.v1", reason: "ok" },
 * };
 * ```
 */
export interface PolicyGate {
  /** Judge one request; throwing or answering anything unexpected denies. */
  evaluate(context: PolicyContext): PolicyGateResult;
}

/** A policy gate given as a function. */
export type PolicyGateFn = (context: PolicyContext) => PolicyGateResult;
