/**
 * Keyset pages of the PostgreSQL store (`HallStorePages`): one statement per page, the rows
 * after the caller's key in the list's order (row comparisons `(a, b) > (x, y)`, which a btree
 * index on `(a, b)` answers as a range scan), `limit limit + 1` (the extra row says whether
 * another page follows). Text columns use the "C" collation, so the order is the one SQLite and
 * JavaScript give. The indexes are migration 8 (`PG_PAGE_INDEXES`).
 *
 * @module
 */

import type postgres from "postgres";
import { keyedPage, pageLimit } from "../_page.ts";
import type { Row, Sql } from "./db.ts";
import {
  toAlert,
  toApprovalSummary,
  toBan,
  toCheckpoint,
  toNamespace,
  toReceipt,
  toTier,
  toToken,
  toWorker,
} from "./rows.ts";
import type {
  AlertPageQuery,
  AlertRow,
  ApprovalPageQuery,
  ApprovalSummaryRow,
  BanPageQuery,
  BanRow,
  CheckpointRow,
  HallStorePages,
  KeyedPage,
  NamespacePageQuery,
  NamespaceRow,
  PageKey,
  PageQuery,
  ReceiptPageQuery,
  ReceiptRow,
  TierRow,
  TokenRow,
  WorkerPageQuery,
  WorkerRow,
} from "../types.ts";

/** Migration 8: the indexes the pages scan (every list's order, per filter it is asked with). */
export const PG_PAGE_INDEXES = `
  create index if not exists workers_page on workers (enrolled_at, worker_id);
  create index if not exists workers_ns_page on workers (namespace, enrolled_at, worker_id);
  create index if not exists approvals_page on approvals (created_at, approval_id);
  create index if not exists approvals_status_page on approvals (status, created_at, approval_id);
  create index if not exists approvals_tenant_page on approvals (tenant_id, created_at, approval_id);
  -- what expireApprovals (run before each approvals page) scans: the expired rows only
  create index if not exists approvals_expiry on approvals (status, expires_at);
  create index if not exists bans_page on bans (reported_at, sha256);
  create index if not exists bans_status_page on bans (status, reported_at, sha256);
  create index if not exists alerts_page on alerts (created_at, alert_id);
  create index if not exists alerts_open_page on alerts (created_at, alert_id)
    where acknowledged_at is null;
  create index if not exists alerts_acked_page on alerts (created_at, alert_id)
    where acknowledged_at is not null;
`;

// A statement fragment (postgres.js nests `sql` templates).
type Fragment = postgres.PendingQuery<Row[]>;

/** The page methods over the pool `sql`. */
export class PgPages implements HallStorePages {
  readonly #sql: Sql;

  /** Pages over the pool `sql`. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  // `and <term>` for each term given, joined into one fragment (empty when none).
  #and(terms: (Fragment | null)[]): Fragment {
    const sql = this.#sql;
    return terms.reduce<Fragment>(
      (acc, t) => t === null ? acc : sql`${acc} and ${t}`,
      sql``,
    );
  }

  // `(a, b) > (x, y)` (or `<`) for a key of two values; `a > x` for one.
  #after(columns: [string] | [string, string], key: PageKey | null | undefined, op: ">" | "<") {
    if (!key) return null;
    if (key.length !== columns.length) {
      throw new RangeError(`after: a key of ${columns.length} values (${columns.join(", ")})`);
    }
    const sql = this.#sql;
    const cmp = op === ">" ? sql`>` : sql`<`;
    if (columns.length === 1) return sql`${sql(columns[0])} ${cmp} ${key[0]}`;
    return sql`(${sql(columns[0])}, ${sql(columns[1])}) ${cmp} (${key[0]}, ${key[1]})`;
  }

  async pageWorkers(q: WorkerPageQuery): Promise<KeyedPage<WorkerRow>> {
    const sql = this.#sql;
    const limit = pageLimit(q.limit);
    const ns = q.visible_to;
    // One capability's workers: its rows of worker_capabilities (migration 10) give the order
    // and the key, each joined to its worker.
    const byCapability = q.capability !== undefined;
    const from = byCapability
      ? sql`select w.* from worker_capabilities as c join workers as w
          on w.worker_id = c.worker_id where c.capability_id = ${q.capability!}`
      : sql`select * from workers where true`;
    const key: [string, string] = byCapability
      ? ["c.enrolled_at", "c.worker_id"]
      : ["enrolled_at", "worker_id"];
    const rows = await sql`${from} ${
      this.#and([
        q.namespace === undefined ? null : sql`namespace = ${q.namespace}`,
        // Decision 18, as `workerView` decides it: its own workers, and others' active workers
        // whose record serves the tenant (no `tenants`, or a list naming it or "*").
        ns === undefined ? null : sql`(namespace = ${ns} or (status <> 'revoked' and (
          (record::jsonb -> 'tenants') is null
          or (jsonb_typeof(record::jsonb -> 'tenants') = 'array'
            and (record::jsonb -> 'tenants') ?| array[${ns}::text, '*']))))`,
        this.#after(key, q.after, ">"),
      ])
    } order by ${sql(key[0])}, ${sql(key[1])} limit ${limit + 1}`;
    return keyedPage(rows.map(toWorker), limit, (w) => [w.enrolled_at, w.worker_id]);
  }

  async pageApprovals(q: ApprovalPageQuery): Promise<KeyedPage<ApprovalSummaryRow>> {
    const sql = this.#sql;
    const limit = pageLimit(q.limit);
    const columns = q.full ? sql`*` : sql`approval_id, decision_id, tenant_id, correlation_id,
      capability_id, supervisor_level, status, created_at, expires_at, requested_by,
      requested_by_label, resolved_at, resolved_by, resolved_by_label, note, escalations,
      consumed_at`;
    const rows = await sql`select ${columns} from approvals where true ${
      this.#and([
        q.status === undefined ? null : sql`status = ${q.status}`,
        q.tenant_id === undefined ? null : sql`tenant_id = ${q.tenant_id}`,
        this.#after(["created_at", "approval_id"], q.after, ">"),
      ])
    } order by created_at, approval_id limit ${limit + 1}`;
    return keyedPage(rows.map(toApprovalSummary), limit, (a) => [a.created_at, a.approval_id]);
  }

  async pageBans(q: BanPageQuery): Promise<KeyedPage<BanRow>> {
    const sql = this.#sql;
    const limit = pageLimit(q.limit);
    const rows = await sql`select * from bans where true ${
      this.#and([
        q.status === undefined ? null : sql`status = ${q.status}`,
        this.#after(["reported_at", "sha256"], q.after, ">"),
      ])
    } order by reported_at, sha256 limit ${limit + 1}`;
    return keyedPage(rows.map(toBan), limit, (b) => [b.reported_at, b.sha256]);
  }

  async pageTokens(q: PageQuery): Promise<KeyedPage<TokenRow>> {
    const sql = this.#sql;
    const limit = pageLimit(q.limit);
    const rows = await sql`select * from tokens where true ${
      this.#and([this.#after(["token_id"], q.after, ">")])
    } order by token_id limit ${limit + 1}`;
    return keyedPage(rows.map(toToken), limit, (t) => [t.token_id]);
  }

  async pageNamespaces(q: NamespacePageQuery): Promise<KeyedPage<NamespaceRow>> {
    const sql = this.#sql;
    const limit = pageLimit(q.limit);
    const rows = await sql`select * from namespaces where true ${
      this.#and([
        q.namespace === undefined ? null : sql`namespace = ${q.namespace}`,
        this.#after(["namespace"], q.after, ">"),
      ])
    } order by namespace limit ${limit + 1}`;
    return keyedPage(
      rows.map(toNamespace),
      limit,
      (n) => [n.namespace],
    );
  }

  async pageAlerts(q: AlertPageQuery): Promise<KeyedPage<AlertRow>> {
    const sql = this.#sql;
    const limit = pageLimit(q.limit);
    const rows = await sql`select * from alerts where true ${
      this.#and([
        q.acknowledged === true ? sql`acknowledged_at is not null` : null,
        q.acknowledged === false ? sql`acknowledged_at is null` : null,
        this.#after(["created_at", "alert_id"], q.after, "<"),
      ])
    } order by created_at desc, alert_id desc limit ${limit + 1}`;
    return keyedPage(rows.map(toAlert), limit, (a) => [a.created_at, a.alert_id]);
  }

  async pageReceipts(q: ReceiptPageQuery): Promise<KeyedPage<ReceiptRow>> {
    const sql = this.#sql;
    const limit = pageLimit(q.limit);
    const rows = await sql`select * from receipts where true ${
      this.#and([
        q.tenant_id === undefined ? null : sql`tenant_id = ${q.tenant_id}`,
        q.correlation_id === undefined ? null : sql`correlation_id = ${q.correlation_id}`,
        q.since === undefined ? null : sql`dispatched_at >= ${q.since}`,
        q.until === undefined ? null : sql`dispatched_at < ${q.until}`,
        // One chain: a range on seq alone; else the row value over (tenant_id, seq).
        q.tenant_id !== undefined && q.after
          ? (q.after[0] === q.tenant_id
            ? sql`seq > ${q.after[1]}`
            : q.after[0] > q.tenant_id
            ? sql`false`
            : null)
          : this.#after(["tenant_id", "seq"], q.after, ">"),
      ])
    } order by tenant_id, seq limit ${limit + 1}`;
    return keyedPage(rows.map(toReceipt), limit, (r) => [r.tenant_id, r.seq]);
  }

  async pageReceiptTenants(q: PageQuery): Promise<KeyedPage<string>> {
    const sql = this.#sql;
    const limit = pageLimit(q.limit);
    // One head row per chain (next_seq > 0 once it has a receipt).
    const rows = await sql`select tenant_id from chain_heads where next_seq > 0 ${
      this.#and([this.#after(["tenant_id"], q.after, ">")])
    } order by tenant_id limit ${limit + 1}`;
    return keyedPage(rows.map((r) => String(r.tenant_id)), limit, (t) => [t]);
  }

  async pageCheckpoints(tenantId: string, q: PageQuery): Promise<KeyedPage<CheckpointRow>> {
    const sql = this.#sql;
    const limit = pageLimit(q.limit);
    const rows = await sql`select * from checkpoints where tenant_id = ${tenantId} ${
      this.#and([this.#after(["tree_size"], q.after, ">")])
    } order by tree_size limit ${limit + 1}`;
    return keyedPage(
      rows.map(toCheckpoint),
      limit,
      (c) => [c.tree_size],
    );
  }

  async pageTiers(q: PageQuery): Promise<KeyedPage<TierRow>> {
    const sql = this.#sql;
    const limit = pageLimit(q.limit);
    const rows = await sql`select * from tiers where true ${
      this.#and([this.#after(["tier"], q.after, ">")])
    } order by tier limit ${limit + 1}`;
    return keyedPage(
      rows.map(toTier),
      limit,
      (t) => [t.tier],
    );
  }
}
