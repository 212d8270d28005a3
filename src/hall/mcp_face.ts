/**
 * What the hall's `/mcp` uses instead of its own HTTP API: the hall's engine called with the
 * principal the hall already authenticated, under the same scope rules as `/wcp/*` (a namespace
 * token acts for its own tenant; approvals need an admin token; another tenant's approval is
 * `APPROVAL_MISMATCH`). No second authentication, no JSON round trip, no worker listing per
 * request.
 *
 * @module
 */

import type { RouteDecision } from "../model.ts";
import type { ApprovalPrincipal } from "../engine/mod.ts";
import { checkTenantId, requireTenant } from "./_scope.ts";
import { HttpError } from "./errors.ts";
import { approvalPrincipal, type DispatchResult, type Hall } from "./hall.ts";
import { type Principal, requireAdmin } from "./middleware/auth.ts";
import type { ApprovalRow } from "./store/types.ts";

/** The hall operations an MCP session may use, bound to one authenticated principal. */
export interface HallMcpFace {
  /** Who the hall authenticated (recorded as `requested_by` on holds). */
  readonly requester: ApprovalPrincipal;
  /** Decide only (a dry run). */
  route(input: Record<string, unknown>): Promise<RouteDecision>;
  /** Decide and, when allowed, execute. */
  dispatch(input: Record<string, unknown>): Promise<DispatchResult>;
  /** Execute an approved request, once. */
  dispatchApproved(approvalId: string): Promise<DispatchResult>;
  /** Verify the tenant's receipt chain. */
  verifyChain(tenantId: string): Promise<Record<string, unknown>>;
  /** Pending approvals (admin). */
  pendingApprovals(): Promise<ApprovalRow[]>;
  /** Approve or deny (admin; never the requester unless allowed). */
  resolveApproval(id: string, decision: "approve" | "deny", note?: string): Promise<ApprovalRow>;
  /** Escalate one level (admin). */
  escalateApproval(id: string, note?: string): Promise<ApprovalRow>;
}

// The same checks as POST /wcp/route and /wcp/dispatch: well-formed ids, the caller's tenant.
function checkInput(p: Principal, input: Record<string, unknown>): void {
  if (typeof input.correlation_id === "string") {
    checkTenantId(input.correlation_id, "correlation_id");
  }
  if (typeof input.tenant_id !== "string") return;
  checkTenantId(input.tenant_id);
  requireTenant(p, input.tenant_id);
}

// Input the core refused is answered as an error naming the field (as the route's 400).
function refuseInvalid(d: RouteDecision): void {
  const r = d.deny_reason_if_denied;
  if (r?.code !== "DENY_INVALID_INPUT") return;
  const first = ((r.fields ?? []) as unknown[])[0];
  const path = typeof first === "string"
    ? first
    : first && typeof first === "object" && "field" in first
    ? String((first as { field: unknown }).field)
    : "";
  throw new HttpError(400, "DENY_INVALID_INPUT", r.message, { path });
}

/**
 * The hall's operations for one principal.
 *
 * @example
 * ```ts ignore
 * const face = hallMcpFace(hall, principal);
 * const out = await face.dispatch(routeInput);
 * ```
 */
export function hallMcpFace(hall: Hall, p: Principal): HallMcpFace {
  const by = approvalPrincipal(p);
  return {
    requester: by,
    async route(input) {
      checkInput(p, input);
      const d = await hall.decide({ ...input, dry_run: true }, by);
      refuseInvalid(d);
      return d;
    },
    async dispatch(input) {
      checkInput(p, input);
      const out = await hall.dispatch(input, by);
      refuseInvalid(out.decision);
      return out;
    },
    async dispatchApproved(approvalId) {
      if (p.role !== "admin") {
        const held = await hall.store.getApproval(approvalId);
        if (held && held.tenant_id !== p.namespace) {
          throw new HttpError(
            403,
            "APPROVAL_MISMATCH",
            `approval_id: held for another tenant; this token acts for '${p.namespace}' only`,
            { path: "approval_id" },
          );
        }
      }
      return await hall.dispatchApproved(approvalId);
    },
    async verifyChain(tenantId) {
      requireTenant(p, tenantId);
      const report = await hall.receipts.verify(tenantId);
      return { tenant_id: tenantId, ...report, key_id: hall.receipts.signer.key_id };
    },
    async pendingApprovals() {
      requireAdmin(p);
      await hall.expireApprovals();
      return await hall.store.listApprovals({ status: "pending" });
    },
    resolveApproval(id, decision, note) {
      requireAdmin(p);
      return hall.resolveApproval(id, decision, p, note ?? null);
    },
    escalateApproval(id, note) {
      requireAdmin(p);
      return hall.escalateApproval(id, note ?? null);
    },
  };
}
