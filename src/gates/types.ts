/**
 * What an external policy gate (Cedar, a webhook, the hall's table) answers, and what the decision
 * records about it.
 *
 * @module
 */

import type { PolicyGateResult } from "../decision/policy.ts";

/** The kinds of policy gate a hall can run. */
export type GateType = "table" | "cedar" | "webhook" | "function";

/**
 * A gate's answer: the core's {@linkcode PolicyGateResult} plus the ids of the policies that
 * decided and, for webhooks, how long the answer may be reused.
 *
 * @example
 * ```ts
 * import type { GateAnswer } from "@wcp/core/gates";
 * const a: GateAnswer = { decision: "DENY", policy_version: "cedar:1a2b", reason: "cedar: forbid",
 *   determining_policies: ["no-restricted-prod"] };
 * ```
 */
export interface GateAnswer extends PolicyGateResult {
  /** Ids of the policies (or table rows) that decided; empty for a default decision. */
  determining_policies: string[];
  /** Seconds the answer may be reused for the same context (webhooks; 0 or absent: never). */
  cache_ttl_seconds?: number;
  /** Set when the gate failed and the answer is the fail-closed denial (e.g. `GATE_TIMEOUT`). */
  error_code?: GateErrorCode;
  /**
   * Set when the gate's answer was malformed: what the core is handed instead of an answer, so
   * it denies with `DENY_POLICY_GATE_INVALID_RESPONSE` naming the problem.
   */
  invalid?: { path: string; message: string; answer: unknown };
}

/** Why a gate could not answer (the fail-closed denial names it in its reason and here). */
export type GateErrorCode =
  | "GATE_TIMEOUT"
  | "GATE_UNREACHABLE"
  | "GATE_HTTP_STATUS"
  | "GATE_ANSWER_INVALID"
  | "GATE_CONTEXT_CHANGED"
  | "GATE_EVALUATION_ERROR";

/**
 * What a decision records about the gate that answered it (`decision.policy_gate`, set by the
 * hall, and copied into the receipt's `policy_decision`).
 *
 * @example
 * ```ts
 * import type { GateRecord } from "@wcp/core/gates";
 * const r: GateRecord = { type: "cedar", decision: "ALLOW", policy_version: "cedar:1a2b",
 *   reason: "cedar: permitted by docs-ok", determining_policies: ["docs-ok"], cached: false };
 * ```
 */
export interface GateRecord {
  /** Which kind of gate answered. */
  type: GateType;
  /** The gate's decision (`DENY` for a fail-closed failure). */
  decision: PolicyGateResult["decision"];
  /** The policy version that decided. */
  policy_version: string;
  /** The gate's reason. */
  reason: string;
  /** Ids of the policies that decided (Cedar policy ids, table rows, a webhook's list). */
  determining_policies: string[];
  /** True when a webhook answer came from the cache. */
  cached: boolean;
  /** Set when the gate failed (the decision is the fail-closed denial). */
  error_code?: GateErrorCode;
}

/**
 * Turn an answer into the record a decision carries.
 *
 * @example
 * ```ts
 * import { gateRecord } from "@wcp/core/gates";
 * gateRecord("webhook", { decision: "ALLOW", policy_version: "v1", reason: "ok",
 *   determining_policies: [] }, true).cached; // true
 * ```
 */
export function gateRecord(type: GateType, answer: GateAnswer, cached: boolean): GateRecord {
  const r: GateRecord = {
    type,
    decision: answer.invalid ? "DENY" : answer.decision,
    policy_version: answer.policy_version,
    reason: answer.invalid
      ? `policy_gate_answer_invalid: ${answer.invalid.path}: ${answer.invalid.message}`
      : answer.reason,
    determining_policies: [...answer.determining_policies],
    cached,
  };
  if (answer.error_code) r.error_code = answer.error_code;
  return r;
}

/**
 * The fail-closed answer of a gate that could not answer: `DENY` with a reason that starts with a
 * stable token naming the cause (`policy_gate_timeout`, `policy_gate_unreachable`,
 * `policy_gate_http_status`, `policy_gate_context_changed`, `policy_gate_evaluation_error`).
 *
 * @example
 * ```ts
 * import { gateFailure } from "@wcp/core/gates";
 * gateFailure("GATE_TIMEOUT", "no answer within 2000 ms", "webhook").reason;
 * // "policy_gate_timeout: no answer within 2000 ms"
 * ```
 */
export function gateFailure(
  code: GateErrorCode,
  message: string,
  policyVersion: string,
): GateAnswer {
  const token = "policy_" + code.toLowerCase();
  return {
    decision: "DENY",
    policy_version: policyVersion,
    reason: `${token}: ${message}`,
    determining_policies: [],
    error_code: code,
  };
}

/**
 * What the core's synchronous gate is handed for an answer: the answer itself, or (for a
 * malformed one) a value the core refuses, so it denies with `DENY_POLICY_GATE_INVALID_RESPONSE`
 * and shows the problem.
 *
 * @example
 * ```ts
 * import { coreGateValue } from "@wcp/core/gates";
 * coreGateValue({ decision: "ALLOW", policy_version: "v1", reason: "ok", determining_policies: [] });
 * // { decision: "ALLOW", policy_version: "v1", reason: "ok" }
 * ```
 */
export function coreGateValue(answer: GateAnswer): unknown {
  if (answer.invalid) {
    return { invalid_answer: `${answer.invalid.path}: ${answer.invalid.message}` };
  }
  const out: PolicyGateResult = {
    decision: answer.decision,
    policy_version: answer.policy_version,
    reason: answer.reason,
  };
  if (answer.supervisor_level) out.supervisor_level = answer.supervisor_level;
  return out;
}

/**
 * The receipt's `policy_decision` for a dispatch whose rule consulted a gate: the base value
 * (`ALLOW`, `APPROVED:<id>`) followed by `;gate=<type>;policy_version=<v>;policies=<ids>`.
 * Without a record, the base value alone.
 *
 * @example
 * ```ts
 * import { receiptPolicyDecision } from "@wcp/core/gates";
 * receiptPolicyDecision("ALLOW", { type: "cedar", decision: "ALLOW", policy_version: "cedar:1a",
 *   reason: "", determining_policies: ["a", "b"], cached: false });
 * // "ALLOW;gate=cedar;policy_version=cedar:1a;policies=a,b"
 * ```
 */
export function receiptPolicyDecision(base: string, record: GateRecord | undefined): string {
  if (!record) return base;
  const clean = (s: string) => s.replace(/[;,\s]/g, "_");
  return `${base};gate=${record.type};policy_version=${clean(record.policy_version)};policies=` +
    record.determining_policies.map(clean).join(",");
}
