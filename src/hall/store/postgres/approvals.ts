/**
 * Approvals of the PostgreSQL store: every transition is one conditional
 * `UPDATE … WHERE status = … RETURNING`, so exactly one instance wins a resolve, a consume or an
 * expiry, and an approval consumed and expired at the same moment ends up as exactly one of them.
 *
 * @module
 */

import type { ApprovalPrincipal, ApprovalRow, ApprovalStatus } from "../types.ts";
import { json, type Sql } from "./db.ts";
import { toApproval } from "./rows.ts";

/** Approval rows. */
export class PgApprovals {
  readonly #sql: Sql;

  /** Rows over the pool `sql`. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async createApproval(a: ApprovalRow): Promise<void> {
    await this.#sql`insert into approvals (approval_id, decision_id, tenant_id, correlation_id,
      capability_id, supervisor_level, status, input, decision, created_at, expires_at,
      requested_by, requested_by_label, resolved_at, resolved_by, resolved_by_label, note,
      escalations, consumed_at)
      values (${a.approval_id}, ${a.decision_id}, ${a.tenant_id}, ${a.correlation_id},
        ${a.capability_id}, ${a.supervisor_level}, ${a.status}, ${json(a.input)},
        ${json(a.decision)}, ${a.created_at}, ${a.expires_at},
        ${a.requested_by?.principal_id ?? null}, ${a.requested_by?.label ?? null},
        ${a.resolved_at}, ${a.resolved_by?.principal_id ?? null},
        ${a.resolved_by?.label ?? null}, ${a.note}, ${a.escalations}, ${a.consumed_at})`;
  }

  async getApproval(approvalId: string): Promise<ApprovalRow | null> {
    const [r] = await this.#sql`select * from approvals where approval_id = ${approvalId}`;
    return r ? toApproval(r) : null;
  }

  async listApprovals(
    filter: { status?: ApprovalStatus; tenant_id?: string } = {},
  ): Promise<ApprovalRow[]> {
    const sql = this.#sql;
    const status = filter.status ?? null;
    const tenant = filter.tenant_id ?? null;
    const rows = await sql`select * from approvals
      where (${status}::text is null or status = ${status})
        and (${tenant}::text is null or tenant_id = ${tenant})
      order by created_at, ord`;
    return rows.map(toApproval);
  }

  async resolveApproval(
    approvalId: string,
    res: {
      status: "approved" | "denied";
      by: ApprovalPrincipal;
      at: string;
      note: string | null;
      expires_at?: string;
    },
  ): Promise<ApprovalRow | null> {
    // A new expires_at (given on approve) is the deadline for dispatching the approved request.
    const [r] = await this.#sql`update approvals set status = ${res.status},
      resolved_at = ${res.at}, resolved_by = ${res.by.principal_id},
      resolved_by_label = ${res.by.label}, note = ${res.note},
      expires_at = coalesce(${res.expires_at ?? null}::text, expires_at)
      where approval_id = ${approvalId} and status = 'pending' and expires_at > ${res.at}
      returning *`;
    return r ? toApproval(r) : null;
  }

  async escalateApproval(
    approvalId: string,
    esc: { supervisor_level: string; at: string; expires_at: string },
  ): Promise<ApprovalRow | null> {
    const [r] = await this.#sql`update approvals set supervisor_level = ${esc.supervisor_level},
      escalations = escalations + 1, expires_at = ${esc.expires_at}
      where approval_id = ${approvalId} and status = 'pending' and expires_at > ${esc.at}
      returning *`;
    return r ? toApproval(r) : null;
  }

  async expireApprovals(now: string): Promise<ApprovalRow[]> {
    // One statement: a row another instance expired, consumed or re-deadlined (escalated,
    // approved) meanwhile is re-checked against the WHERE after its row lock is released
    // (READ COMMITTED), so it is skipped rather than reported twice or brought back. An approved
    // row keeps who approved it and when (the right-hand `status` is the row's old value).
    const rows = await this.#sql`with expired as (
        update approvals set status = 'expired',
          resolved_at = case when status = 'pending' then ${now} else resolved_at end
        where status in ('pending', 'approved') and expires_at <= ${now}
        returning *)
      select * from expired order by created_at, ord`;
    return rows.map(toApproval);
  }

  async consumeApproval(approvalId: string, at: string): Promise<ApprovalRow | null> {
    // Racing an expiry of the same row, exactly one of the two conditional updates matches.
    const [r] = await this.#sql`update approvals set status = 'consumed', consumed_at = ${at}
      where approval_id = ${approvalId} and status = 'approved' and expires_at > ${at}
      returning *`;
    return r ? toApproval(r) : null;
  }
}
