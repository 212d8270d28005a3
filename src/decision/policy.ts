/**
 * The policy gate: a pluggable judge consulted when a rule's escalation asks for it.
 *
 * @module
 */

import type { DataLabel, Env, QosClass, SupervisorLevel, TenantRisk } from "../model.ts";

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

/** A gate answer after checking: either usable or the reason it is not. */
export type CheckedGateResult =
  | { ok: true; result: PolicyGateResult }
  | { ok: false; shown: string };

const GATE_DECISIONS = ["ALLOW", "DENY", "REQUIRE_HUMAN"];
const LEVELS = ["advisory", "gatekeeper", "executor", "incident_commander"];

function show(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 200 ? s.slice(0, 200) + "…" : s;
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/**
 * Check a policy gate's answer. Accepts `{ decision, policy_version?, reason?, supervisor_level? }`
 * or the reference's 3-tuple `[decision, policy_version, reason]`; `decision` must be exactly
 * `ALLOW`, `DENY` or `REQUIRE_HUMAN`. Anything else is not usable (the router then denies with
 * `DENY_POLICY_GATE_INVALID_RESPONSE`). A missing `policy_version` keeps `fallbackVersion`.
 *
 * @example
 * ```ts
 * import { checkGateResult } from "@wcp/core";
 * checkGateResult(["ALLOW", "pol.v2", "ok"], "policy.v0"); // { ok: true, result: { decision: "ALLOW", … } }
 * checkGateResult({ decision: "allow" }, "policy.v0").ok; // false
 * ```
 */
export function checkGateResult(raw: unknown, fallbackVersion: string): CheckedGateResult {
  let decision: unknown, version: unknown, reason: unknown, level: unknown;
  if (Array.isArray(raw)) {
    if (raw.length !== 3) return { ok: false, shown: show(raw) };
    [decision, version, reason] = raw;
  } else if (typeof raw === "object" && raw !== null) {
    const o = raw as Record<string, unknown>;
    decision = o.decision;
    version = o.policy_version;
    reason = o.reason;
    level = o.supervisor_level;
  } else {
    return { ok: false, shown: show(raw) };
  }
  const bad = typeof decision !== "string" || !GATE_DECISIONS.includes(decision) ||
    (version !== undefined && (typeof version !== "string" || version === "")) ||
    (reason !== undefined && reason !== null && typeof reason !== "string") ||
    (level !== undefined && !LEVELS.includes(level as string));
  if (bad) return { ok: false, shown: show(raw) };
  const result: PolicyGateResult = {
    decision: decision as PolicyGateResult["decision"],
    policy_version: (version as string | undefined) ?? fallbackVersion,
    reason: typeof reason === "string" ? reason : "",
  };
  if (level !== undefined) result.supervisor_level = level as SupervisorLevel;
  return { ok: true, result };
}

/** The built-in privilege policy's verdict. */
export interface PrivilegeVerdict {
  /** Whether the envelope is acceptable here. */
  ok: boolean;
  /** Why (a stable token such as `egress_not_allowlisted:<dest>`). */
  reason: string;
}

/**
 * The built-in privilege policy (docs/protocol/decisions.md#privilege-policy: the Python and Go
 * stubs combined). Only RESTRICTED data in prod/edge is constrained: every egress destination
 * (`egress.allowlist` or a `network_egress` list) must be in the Hall's allowlist for the
 * environment; `network_egress: "unrestricted"` and any `secrets_access` are refused.
 *
 * @example
 * ```ts
 * import { policyAllowsPrivilege } from "@wcp/core";
 * policyAllowsPrivilege("prod", "RESTRICTED", { network_egress: ["api.example.com"] }, {});
 * // { ok: false, reason: "egress_denied_no_allowlist_configured" }
 * policyAllowsPrivilege("dev", "RESTRICTED", { network_egress: "unrestricted" }, {}).ok; // true
 * ```
 */
export function policyAllowsPrivilege(
  env: Env,
  dataLabel: DataLabel,
  envelope: Record<string, unknown> | null | undefined,
  egressAllowlist: Partial<Record<Env, string[]>>,
): PrivilegeVerdict {
  if (!(env === "prod" || env === "edge") || dataLabel !== "RESTRICTED" || !envelope) {
    return { ok: true, reason: "unconstrained_outside_restricted_prod" };
  }
  const dests: string[] = [];
  const egress = envelope.egress as { allowlist?: unknown } | undefined;
  if (egress && Array.isArray(egress.allowlist)) dests.push(...egress.allowlist.map(String));
  const ne = envelope.network_egress;
  if (Array.isArray(ne)) dests.push(...ne.map(String));
  if (ne === "unrestricted") {
    return { ok: false, reason: "network_egress_unrestricted_not_allowed_for_restricted" };
  }
  const secrets = envelope.secrets_access;
  if (Array.isArray(secrets) && secrets.length > 0) {
    return { ok: false, reason: "secrets_access_not_allowed_for_restricted" };
  }
  if (dests.length > 0) {
    const hall = egressAllowlist[env] ?? [];
    if (hall.length === 0) return { ok: false, reason: "egress_denied_no_allowlist_configured" };
    for (const d of dests) {
      if (!hall.includes(d)) return { ok: false, reason: `egress_not_allowlisted:${d}` };
    }
  }
  return { ok: true, reason: "envelope_within_policy" };
}
