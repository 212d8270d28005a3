/**
 * Cursor pages of the hall's lists (`HallClient.page` and `HallClient.each`): every list route
 * answers one page, `{ <rows>, count, next_cursor }`, with `limit` 1-1000 (default 100) and the
 * `cursor` of the previous page; rows of workers and approvals are summaries (the full record is
 * `client.worker(id)` / `client.approval(id)`, or `detail: "full"`).
 *
 * @module
 */

import type { TelemetryEvent } from "../model.ts";
import type { Receipt } from "../receipts/receipt.ts";
import type { HallCapability } from "./types.ts";
import type {
  ApprovalStatus,
  BanStatus,
  HallAlert,
  HallApproval,
  HallBan,
  HallNamespace,
  HallTier,
  HallToken,
  HallWorker,
  ReceiptFilter,
} from "./wire.ts";

/**
 * One page of a list.
 *
 * @example
 * ```ts ignore
 * const p: HallPage<HallBan> = await client.page("ban-list", { limit: 50 });
 * if (p.next_cursor) await client.page("ban-list", { limit: 50, cursor: p.next_cursor });
 * ```
 */
export interface HallPage<T> {
  /** The rows of this page, in the list's order. */
  items: T[];
  /** Pass as `cursor` for the next page; null: this was the last page. */
  next_cursor: string | null;
}

/**
 * Where a page starts and how long it is.
 *
 * @example
 * ```ts
 * import type { PageOptions } from "@wcp/core";
 * const first: PageOptions = { limit: 500 };
 * ```
 */
export interface PageOptions {
  /** Rows per page, 1-1000 (the hall's default is 100). */
  limit?: number;
  /** The `next_cursor` of the previous page (omit for the first). */
  cursor?: string;
}

/**
 * A worker as a page of `GET /wcp/workers` lists it: without its record, but with the record's
 * species and capabilities (`client.worker(id)` has the rest).
 *
 * @example
 * ```ts ignore
 * for await (const w of client.each("workers", { namespace: "org.acme" })) console.log(w.worker_id);
 * ```
 */
export interface HallWorkerSummary extends Omit<HallWorker, "record"> {
  /** The record's species. */
  worker_species_id: string;
  /** The record's capabilities. */
  capabilities: string[];
}

/**
 * An approval as a page of `GET /wcp/approvals` lists it: without the held input and decision
 * (`client.approval(id)` has them).
 *
 * @example
 * ```ts ignore
 * for await (const a of client.each("approvals/pending")) console.log(a.approval_id);
 * ```
 */
export type HallApprovalSummary = Omit<HallApproval, "input" | "decision">;

/**
 * The lists `HallClient.page` and `HallClient.each` read: their filters and row types.
 *
 * @example
 * ```ts
 * import type { HallLists } from "@wcp/core";
 * const q: HallLists["workers"]["query"] = { namespace: "org.acme", capability: "cap.doc.summarize" };
 * ```
 */
export interface HallLists {
  /** `GET /wcp/workers`, in enrolment order. */
  workers: {
    query: { namespace?: string; capability?: string } & { detail?: "summary" | "full" };
    item: HallWorkerSummary;
  };
  /** `GET /wcp/capabilities`, by id. */
  capabilities: { query: Record<never, never>; item: HallCapability };
  /** `GET /wcp/approvals` (admin), oldest first. */
  approvals: {
    query: { status?: ApprovalStatus } & { detail?: "summary" | "full" };
    item: HallApprovalSummary;
  };
  /** `GET /wcp/approvals/pending` (admin), oldest first. */
  "approvals/pending": { query: { detail?: "summary" | "full" }; item: HallApprovalSummary };
  /** `GET /wcp/receipts`, whole receipts in (tenant_id, seq) order. */
  receipts: { query: Omit<ReceiptFilter, "limit">; item: Receipt };
  /** `GET /wcp/alerts` (admin), newest first. */
  alerts: { query: { open?: boolean }; item: HallAlert };
  /** `GET /wcp/ban-list`, in report order. */
  "ban-list": { query: { status?: BanStatus }; item: HallBan };
  /** `GET /wcp/tokens` (admin), by id; never their secrets. */
  tokens: { query: Record<never, never>; item: HallToken };
  /** `GET /wcp/namespaces` (a namespace token: its own), by name. */
  namespaces: { query: Record<never, never>; item: HallNamespace };
  /** `GET /wcp/tiers`, by name. */
  tiers: { query: Record<never, never>; item: HallTier };
  /**
   * `GET /wcp/telemetry`: pages go back in time (the first is the newest events), each page
   * oldest first (a namespace token: its tenant's).
   */
  telemetry: {
    query: { decision_id?: string; correlation_id?: string; tenant_id?: string };
    item: TelemetryEvent;
  };
}

/**
 * A list's name (its path under `/wcp/`).
 *
 * @example
 * ```ts
 * import type { HallListName } from "@wcp/core";
 * const list: HallListName = "approvals/pending";
 * ```
 */
export type HallListName = keyof HallLists;
