/**
 * Approvals of the gateway's held calls: the MCP server's in-memory store (the approval
 * contract: single use, deadlines, `APPROVER_IS_REQUESTER`), remembering each held call's
 * request digest so that "the same call with that approval id" is checked to be the same call.
 *
 * @module
 */

import { type ApprovalPrincipal, type ApprovalView, LocalApprovalStore } from "../approvals.ts";
import type { RouteDecision, RouteInput } from "../../src/model.ts";

/**
 * In-memory approvals that know the request digest of each hold.
 *
 * @example
 * ```ts
 * import { GatewayApprovals } from "./approvals.ts";
 * new GatewayApprovals().requestHashOf("nope"); // undefined
 * ```
 */
export class GatewayApprovals extends LocalApprovalStore {
  #hashes = new Map<string, string>();

  /** Record a hold (and its request digest). */
  override hold(
    decision: RouteDecision,
    input: RouteInput,
    requestedBy: ApprovalPrincipal | null = null,
  ): ApprovalView {
    const view = super.hold(decision, input, requestedBy);
    if (decision.request_hash) this.#hashes.set(view.approval_id, decision.request_hash);
    return view;
  }

  /** The request digest of a held call (`sha256:` JCS of its arguments), if this store has it. */
  requestHashOf(id: string): string | undefined {
    return this.#hashes.get(id);
  }
}
