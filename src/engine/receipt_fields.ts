/**
 * The one set of evidence-receipt fields every face mints: `execution_status` words, the
 * `policy_decision` of plain and approved dispatches (with the gate suffix), the approval facts.
 *
 * @module
 */

import { jcsDigest } from "../encoding/hash.ts";
import type { RouteDecision } from "../model.ts";
import { type GateRecord, receiptPolicyDecision } from "../gates/types.ts";
import type { ReceiptFields } from "../receipts/mod.ts";
import type { ApprovalFacts, WorkerCall, WorkerOutcome } from "./types.ts";

/**
 * The receipt's `execution_status`: `succeeded` or `failed` (the words the hall's stored chains
 * already carry).
 *
 * @example
 * ```ts
 * import { executionStatus } from "@wcp/core";
 * executionStatus(false); // "failed"
 * ```
 */
export function executionStatus(ok: boolean): "succeeded" | "failed" {
  return ok ? "succeeded" : "failed";
}

/**
 * The base `policy_decision` of a dispatch: `ALLOW`, or `APPROVED:<approval id>` when a human
 * approved it (the id names the approval, which the receipt's `approval` field details).
 *
 * @example
 * ```ts
 * import { basePolicyDecision } from "@wcp/core";
 * basePolicyDecision("a1"); // "APPROVED:a1"
 * basePolicyDecision(null); // "ALLOW"
 * ```
 */
export function basePolicyDecision(approvalId: string | null): string {
  return approvalId ? `APPROVED:${approvalId}` : "ALLOW";
}

/**
 * The receipt fields of one execution.
 *
 * @example
 * ```ts
 * import { receiptFields } from "@wcp/core";
 * const f = receiptFields(
 *   { decision_id: "d1", tenant_id: "acme", correlation_id: "c1", capability_id: "cap.x.y",
 *     selected_worker_species_id: "org.acme.x", matched_rule_id: "r1" } as never,
 *   { worker_id: "org.acme.x.1", request: {} } as never,
 *   { ok: true, result: 1, error: null, result_hash: "sha256:00" },
 *   null, "2026-01-01T00:00:00.000Z");
 * f.execution_status; // "succeeded"
 * ```
 */
export function receiptFields(
  decision: RouteDecision,
  call: WorkerCall,
  outcome: WorkerOutcome,
  approval: ApprovalFacts | null,
  dispatchedAt: string,
): ReceiptFields {
  return {
    tenant_id: decision.tenant_id,
    correlation_id: decision.correlation_id,
    dispatched_at: dispatchedAt,
    worker_id: call.worker_id,
    capability_id: decision.capability_id,
    policy_decision: receiptPolicyDecision(
      basePolicyDecision(approval?.approval_id ?? null),
      (decision as { policy_gate?: GateRecord }).policy_gate,
    ),
    controls_verified: decision.controls_verified ?? [],
    artifact_hash: decision.request_hash ?? jcsDigest(call.request),
    decision_id: decision.decision_id,
    worker_species_id: decision.selected_worker_species_id,
    matched_rule_id: decision.matched_rule_id,
    parent_decision_id: decision.parent_decision_id ?? null,
    approval_id: approval?.approval_id ?? null,
    // Who let it run (docs/protocol/trust.md#separation-of-duties), covered by the receipt hash.
    ...(approval ? { approval } : {}),
    execution_status: executionStatus(outcome.ok),
    result_hash: outcome.result_hash,
  };
}

/**
 * The outcome of a worker that returned `result`: a result the receipt cannot hash (a lone
 * surrogate, NaN, a cycle) is a failed call with no result, so the receipt is still minted.
 *
 * @example
 * ```ts
 * import { workerSucceeded } from "@wcp/core";
 * workerSucceeded({ n: 1 }).ok; // true
 * workerSucceeded(NaN).ok; // false
 * ```
 */
export function workerSucceeded(result: unknown): WorkerOutcome {
  try {
    return {
      ok: true,
      result,
      error: null,
      usage: usageOf(result),
      result_hash: jcsDigest(result),
    };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      result: null,
      error: `worker result is not JSON the hall can hash: ${why}`,
      result_hash: null,
    };
  }
}

/**
 * The outcome of a worker that failed.
 *
 * @example
 * ```ts
 * import { workerFailed } from "@wcp/core";
 * workerFailed("timed out").error; // "timed out"
 * ```
 */
export function workerFailed(error: string, result: unknown = null): WorkerOutcome {
  return { ok: false, result, error, result_hash: null };
}

function usageOf(result: unknown): WorkerOutcome["usage"] {
  if (!result || typeof result !== "object") return undefined;
  const u = (result as Record<string, unknown>).usage;
  if (!u || typeof u !== "object") return undefined;
  const x = u as Record<string, unknown>;
  return {
    model: typeof x.model === "string" ? x.model : undefined,
    input_tokens: typeof x.input_tokens === "number" ? x.input_tokens : undefined,
    output_tokens: typeof x.output_tokens === "number" ? x.output_tokens : undefined,
  };
}
