/**
 * Approvals of the SQLite store: every transition is a read-check-write inside one
 * `BEGIN IMMEDIATE` transaction, so one writer (of any process on the file) wins it.
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import type { ApprovalPrincipal, ApprovalRow, ApprovalStatus } from "../types.ts";
import { parse, promised, type SqliteDb } from "./db.ts";

/** Approval rows over one connection. */
export class SqliteApprovals {
  readonly #db: SqliteDb;

  /** Rows in `db`. */
  constructor(db: SqliteDb) {
    this.#db = db;
  }

  createApproval(row: ApprovalRow, decisionJson?: string): Promise<void> {
    return promised(() => {
      this.#db.run(
        `INSERT INTO approvals (approval_id, status, tenant_id, created_at, expires_at,
         requested_by, resolved_by, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        row.approval_id,
        row.status,
        row.tenant_id,
        row.created_at,
        row.expires_at,
        row.requested_by?.principal_id ?? null,
        row.resolved_by?.principal_id ?? null,
        approvalData(row, decisionJson),
      );
    });
  }
  getApproval(approvalId: string): Promise<ApprovalRow | null> {
    const row = this.#db.get("SELECT data FROM approvals WHERE approval_id = ?", approvalId);
    return promised(() => row ? parse<ApprovalRow>(row) : null);
  }
  listApprovals(
    filter: { status?: ApprovalStatus; tenant_id?: string } = {},
  ): Promise<ApprovalRow[]> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.status !== undefined) (where.push("status = ?"), params.push(filter.status));
    if (filter.tenant_id !== undefined) {
      (where.push("tenant_id = ?"), params.push(filter.tenant_id));
    }
    const sql = `SELECT data FROM approvals ${where.length ? "WHERE " + where.join(" AND ") : ""}
      ORDER BY created_at, approval_id`;
    return promised(() => this.#db.all(sql, ...params).map((r) => parse<ApprovalRow>(r)));
  }
  #updateApproval(
    approvalId: string,
    change: (a: ApprovalRow) => ApprovalRow | null,
  ): ApprovalRow | null {
    return this.#db.tx(() => {
      const row = this.#db.get("SELECT data FROM approvals WHERE approval_id = ?", approvalId);
      if (!row) return null;
      const next = change(parse<ApprovalRow>(row));
      if (!next) return null;
      this.#db.run(
        `UPDATE approvals SET status = ?, expires_at = ?, resolved_by = ?, data = ?
         WHERE approval_id = ?`,
        next.status,
        next.expires_at,
        next.resolved_by?.principal_id ?? null,
        JSON.stringify(next),
        approvalId,
      );
      return next;
    });
  }
  resolveApproval(
    approvalId: string,
    r: {
      status: "approved" | "denied";
      by: ApprovalPrincipal;
      at: string;
      note: string | null;
      expires_at?: string;
    },
  ): Promise<ApprovalRow | null> {
    return promised(() =>
      this.#updateApproval(
        approvalId,
        (a) =>
          a.status === "pending" && a.expires_at > r.at
            ? {
              ...a,
              status: r.status,
              resolved_at: r.at,
              resolved_by: r.by,
              note: r.note,
              expires_at: r.expires_at ?? a.expires_at,
            }
            : null,
      )
    );
  }
  escalateApproval(
    approvalId: string,
    e: { supervisor_level: string; at: string; expires_at: string },
  ): Promise<ApprovalRow | null> {
    return promised(() =>
      this.#updateApproval(approvalId, (a) =>
        a.status === "pending" && a.expires_at > e.at
          ? {
            ...a,
            supervisor_level: e.supervisor_level,
            expires_at: e.expires_at,
            escalations: a.escalations + 1,
          }
          : null)
    );
  }
  expireApprovals(now: string): Promise<ApprovalRow[]> {
    return promised(() =>
      this.#db.tx(() => {
        const rows = this.#db.all(
          `SELECT data FROM approvals WHERE status IN ('pending', 'approved') AND expires_at <= ?
           ORDER BY created_at, approval_id`,
          now,
        ).map((r) => parse<ApprovalRow>(r));
        const out: ApprovalRow[] = [];
        for (const a of rows) {
          // An approved row keeps who approved it and when; resolved_at of a pending one is now.
          const next: ApprovalRow = a.status === "approved"
            ? { ...a, status: "expired" }
            : { ...a, status: "expired", resolved_at: now };
          this.#db.run(
            "UPDATE approvals SET status = 'expired', data = ? WHERE approval_id = ?",
            JSON.stringify(next),
            a.approval_id,
          );
          out.push(next);
        }
        return out;
      })
    );
  }
  consumeApproval(approvalId: string, at: string): Promise<ApprovalRow | null> {
    return promised(() =>
      this.#updateApproval(
        approvalId,
        (a) =>
          a.status === "approved" && a.expires_at > at
            ? { ...a, status: "consumed", consumed_at: at }
            : null,
      )
    );
  }
}

// The `data` text of a new row: the row as JSON with `requested_by` (null when absent). With
// `decisionJson` (the decision already serialised, e.g. the route's answer: the larger half of
// the row) the rest is serialised without the decision and the two are joined, instead of
// serialising the decision a second time: the same members, `decision` last.
function approvalData(row: ApprovalRow, decisionJson: string | undefined): string {
  if (decisionJson === undefined) {
    return JSON.stringify({ ...row, requested_by: row.requested_by ?? null });
  }
  const { decision: _, ...rest } = row;
  const text = JSON.stringify({ ...rest, requested_by: rest.requested_by ?? null });
  return `${text.slice(0, -1)},"decision":${decisionJson}}`;
}
