/**
 * The PostgreSQL store's rows as the store's types: one mapping per table, shared by the
 * repository that owns the table and by the keyset pages (`pages.ts`), so a list read through
 * either answers the same objects, field for field and in the same key order.
 *
 * @module
 */

import type {
  AlertRow,
  ApprovalPrincipal,
  ApprovalRow,
  ApprovalSummaryRow,
  BanRow,
  CheckpointRow,
  NamespaceRow,
  ReceiptRow,
  TierRow,
  TokenRow,
  WorkerRow,
} from "../types.ts";
import { num, parseJson, type Row } from "./db.ts";

function principal(id: unknown, label: unknown): ApprovalPrincipal | null {
  return id === null || id === undefined
    ? null
    : { principal_id: String(id), label: String(label ?? "") };
}

/**
 * An approval; `input` and `decision` only when the row has them (a page of summaries selects
 * every column but those two).
 */
export function toApprovalSummary(r: Row): ApprovalSummaryRow {
  return {
    approval_id: r.approval_id,
    decision_id: r.decision_id,
    tenant_id: r.tenant_id,
    correlation_id: r.correlation_id,
    capability_id: r.capability_id,
    supervisor_level: r.supervisor_level,
    status: r.status,
    ...(r.input === undefined
      ? {}
      : { input: parseJson(r.input), decision: parseJson(r.decision) }),
    created_at: r.created_at,
    expires_at: r.expires_at,
    requested_by: principal(r.requested_by, r.requested_by_label),
    resolved_at: r.resolved_at,
    resolved_by: principal(r.resolved_by, r.resolved_by_label),
    note: r.note,
    escalations: num(r.escalations),
    consumed_at: r.consumed_at,
  };
}

/** A whole approval row (read with `*`, so with `input` and `decision`). */
export function toApproval(r: Row): ApprovalRow {
  if (r.input === undefined) throw new Error("approval row read without its input column");
  return toApprovalSummary(r) as ApprovalRow;
}

/** A worker. */
export function toWorker(r: Row): WorkerRow {
  return {
    worker_id: r.worker_id,
    namespace: r.namespace,
    record: parseJson(r.record),
    status: r.status,
    current_hash: r.current_hash,
    attestation: parseJson(r.attestation),
    flagged: r.flagged,
    enrolled_by: r.enrolled_by,
    enrolled_at: r.enrolled_at,
    updated_at: r.updated_at,
  };
}

/** A ban-list entry. */
export function toBan(r: Row): BanRow {
  return {
    sha256: r.sha256,
    reason: r.reason,
    source: r.source,
    evidence_url: r.evidence_url,
    reported_at: r.reported_at,
    status: r.status,
    confirmed_at: r.confirmed_at,
    confirmed_by: r.confirmed_by,
    // As the SQLite store: the review fields only once an entry was rejected or lifted.
    ...(r.reviewed_at == null ? {} : {
      reviewed_at: r.reviewed_at,
      reviewed_by: r.reviewed_by,
      review_note: r.review_note,
    }),
  };
}

/** An API token (its hash included: never expose it). */
export function toToken(r: Row): TokenRow {
  return {
    token_id: r.token_id,
    token_hash: r.token_hash,
    role: r.role,
    namespace: r.namespace,
    label: r.label,
    created_at: r.created_at,
    revoked_at: r.revoked_at,
  };
}

/** A namespace. */
export function toNamespace(r: Row): NamespaceRow {
  return { namespace: r.namespace, tier: r.tier, owner: r.owner, created_at: r.created_at };
}

/** A tier. */
export function toTier(r: Row): TierRow {
  return {
    tier: r.tier,
    max_workers: num(r.max_workers),
    requests_per_minute: num(r.requests_per_minute),
  };
}

/** An alert. */
export function toAlert(r: Row): AlertRow {
  return {
    alert_id: r.alert_id,
    kind: r.kind,
    severity: num(r.severity),
    message: r.message,
    subject: r.subject,
    details: parseJson(r.details),
    created_at: r.created_at,
    acknowledged_at: r.acknowledged_at,
    acknowledged_by: r.acknowledged_by,
  };
}

/** A stored receipt. */
export function toReceipt(r: Row): ReceiptRow {
  return {
    tenant_id: r.tenant_id,
    seq: num(r.seq),
    receipt_id: r.receipt_id,
    receipt_hash: r.receipt_hash,
    prev_receipt_hash: r.prev_receipt_hash,
    correlation_id: r.correlation_id,
    decision_id: r.decision_id,
    dispatched_at: r.dispatched_at,
    receipt: parseJson(r.receipt),
  };
}

/** A signed checkpoint of a tenant's receipt tree. */
export function toCheckpoint(r: Row): CheckpointRow {
  return {
    tenant_id: r.tenant_id,
    tree_size: num(r.tree_size),
    root: r.root,
    created_at: r.created_at,
    proof: parseJson(r.proof),
  };
}
