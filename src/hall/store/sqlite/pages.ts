/**
 * Keyset pages of the SQLite store (`HallStorePages`): one indexed range scan per page, after
 * the caller's key, `LIMIT limit + 1` (the extra row says whether another page follows). Row
 * value comparisons (`(a, b) > (?, ?)`) over the indexes of migration 7 (`SQLITE_PAGE_INDEXES`).
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import { keyedPage, pageLimit } from "../_page.ts";
import { promised, type SqliteDb } from "./db.ts";
import type {
  AlertPageQuery,
  AlertRow,
  ApprovalPageQuery,
  ApprovalSummaryRow,
  BanPageQuery,
  BanRow,
  BuiltReceipt,
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

/** Migration 7: the indexes the pages scan (every list's order, per filter it is asked with). */
export const SQLITE_PAGE_INDEXES = `
  CREATE INDEX IF NOT EXISTS workers_page ON workers(enrolled_at, worker_id);
  CREATE INDEX IF NOT EXISTS workers_ns_page ON workers(namespace, enrolled_at, worker_id);
  CREATE INDEX IF NOT EXISTS approvals_page ON approvals(created_at, approval_id);
  CREATE INDEX IF NOT EXISTS approvals_status_page ON approvals(status, created_at, approval_id);
  CREATE INDEX IF NOT EXISTS approvals_tenant_page ON approvals(tenant_id, created_at, approval_id);
  CREATE INDEX IF NOT EXISTS bans_page ON bans(reported_at, sha256);
  CREATE INDEX IF NOT EXISTS bans_status_page ON bans(status, reported_at, sha256);
  CREATE INDEX IF NOT EXISTS alerts_page ON alerts(created_at, alert_id);
  CREATE INDEX IF NOT EXISTS alerts_open_page ON alerts(created_at, alert_id)
    WHERE acknowledged_at IS NULL;
  CREATE INDEX IF NOT EXISTS alerts_acked_page ON alerts(created_at, alert_id)
    WHERE acknowledged_at IS NOT NULL;
`;

/**
 * Migration 9: the workers of each capability in page order (`GET /wcp/workers?capability=`), one
 * row per capability a worker's record declares, kept by triggers on every write of a worker
 * row, so a page of one capability is a range scan of its rows (then each worker by its key),
 * whatever the registry's size, instead of reading every record's capability list.
 */
export const SQLITE_WORKER_CAPABILITIES = `
  CREATE TABLE IF NOT EXISTS worker_capabilities (
    capability_id TEXT NOT NULL, enrolled_at TEXT NOT NULL, worker_id TEXT NOT NULL,
    PRIMARY KEY (capability_id, enrolled_at, worker_id)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS worker_capabilities_worker ON worker_capabilities(worker_id);
  INSERT OR IGNORE INTO worker_capabilities (capability_id, enrolled_at, worker_id)
    SELECT c.value, w.enrolled_at, w.worker_id
    FROM workers AS w, json_each(w.data, '$.record.capabilities') AS c WHERE c.type = 'text';
  CREATE TRIGGER IF NOT EXISTS workers_capabilities_insert AFTER INSERT ON workers BEGIN
    INSERT OR IGNORE INTO worker_capabilities (capability_id, enrolled_at, worker_id)
      SELECT value, NEW.enrolled_at, NEW.worker_id
      FROM json_each(NEW.data, '$.record.capabilities') WHERE type = 'text';
  END;
  CREATE TRIGGER IF NOT EXISTS workers_capabilities_update AFTER UPDATE ON workers BEGIN
    DELETE FROM worker_capabilities WHERE worker_id = OLD.worker_id;
    INSERT OR IGNORE INTO worker_capabilities (capability_id, enrolled_at, worker_id)
      SELECT value, NEW.enrolled_at, NEW.worker_id
      FROM json_each(NEW.data, '$.record.capabilities') WHERE type = 'text';
  END;
  CREATE TRIGGER IF NOT EXISTS workers_capabilities_delete AFTER DELETE ON workers BEGIN
    DELETE FROM worker_capabilities WHERE worker_id = OLD.worker_id;
  END;
`;

type Raw = Record<string, SQLInputValue>;

class Where {
  readonly terms: string[] = [];
  readonly params: SQLInputValue[] = [];
  add(term: string, ...params: SQLInputValue[]): void {
    this.terms.push(term);
    this.params.push(...params);
  }
  /** `(c1, c2) > (?, ?)` (or `<` for a descending order) when a key is given. */
  after(columns: readonly string[], key: PageKey | null | undefined, op: ">" | "<" = ">"): void {
    if (!key) return;
    if (key.length !== columns.length) {
      throw new RangeError(`after: a key of ${columns.length} values (${columns.join(", ")})`);
    }
    this.add(`(${columns.join(", ")}) ${op} (${columns.map(() => "?").join(", ")})`, ...key);
  }
  get sql(): string {
    return this.terms.length ? `WHERE ${this.terms.join(" AND ")}` : "";
  }
}

function data<T>(r: unknown): T {
  return JSON.parse((r as { data: string }).data) as T;
}

/** The page methods (`HallStorePages`) over the store's connection. */
export class SqlitePages implements HallStorePages {
  readonly #db: SqliteDb;
  constructor(db: SqliteDb) {
    this.#db = db;
  }
  pageWorkers(q: WorkerPageQuery): Promise<KeyedPage<WorkerRow>> {
    return promised(() => this.#pages.pageWorkers(q));
  }
  pageApprovals(q: ApprovalPageQuery): Promise<KeyedPage<ApprovalSummaryRow>> {
    return promised(() => this.#pages.pageApprovals(q));
  }
  pageBans(q: BanPageQuery): Promise<KeyedPage<BanRow>> {
    return promised(() => this.#pages.pageBans(q));
  }
  pageTokens(q: PageQuery): Promise<KeyedPage<TokenRow>> {
    return promised(() => this.#pages.pageTokens(q));
  }
  pageNamespaces(q: NamespacePageQuery): Promise<KeyedPage<NamespaceRow>> {
    return promised(() => this.#pages.pageNamespaces(q));
  }
  pageAlerts(q: AlertPageQuery): Promise<KeyedPage<AlertRow>> {
    return promised(() => this.#pages.pageAlerts(q));
  }
  pageReceipts(q: ReceiptPageQuery): Promise<KeyedPage<ReceiptRow>> {
    return promised(() => this.#pages.pageReceipts(q));
  }
  pageReceiptTenants(q: PageQuery): Promise<KeyedPage<string>> {
    return promised(() => {
      // One index seek per tenant (the primary key's first column): never a scan of the chains.
      const limit = pageLimit(q.limit);
      const out: string[] = [];
      let after = q.after ? String(q.after[0]) : null;
      while (out.length <= limit) {
        const r = (after === null
          ? this.#db.get("SELECT tenant_id FROM receipts ORDER BY tenant_id LIMIT 1")
          : this.#db.get(
            "SELECT tenant_id FROM receipts WHERE tenant_id > ? ORDER BY tenant_id LIMIT 1",
            after,
          )) as { tenant_id: string } | undefined;
        if (!r) {
          break;
        }
        after = String(r.tenant_id);
        out.push(after);
      }
      return keyedPage(out, limit, (t) => [t]);
    });
  }
  pageCheckpoints(tenantId: string, q: PageQuery): Promise<KeyedPage<CheckpointRow>> {
    return promised(() => {
      const limit = pageLimit(q.limit);
      const rows = this.#db.all(
        "SELECT data FROM checkpoints WHERE tenant_id = ? AND tree_size > ? ORDER BY tree_size LIMIT ?",
        tenantId,
        q.after ? Number(q.after[0]) : -1,
        limit + 1,
      ).map((r) => data<CheckpointRow>(r));
      return keyedPage(rows, limit, (c) => [c.tree_size]);
    });
  }
  pageTiers(q: PageQuery): Promise<KeyedPage<TierRow>> {
    return promised(() => {
      const limit = pageLimit(q.limit);
      const rows = q.after
        ? this.#db.all(
          "SELECT data FROM tiers WHERE tier > ? ORDER BY tier LIMIT ?",
          String(q.after[0]),
          limit + 1,
        )
        : this.#db.all("SELECT data FROM tiers ORDER BY tier LIMIT ?", limit + 1);
      return keyedPage(rows.map((r) => data<TierRow>(r)), limit, (t) => [t.tier]);
    });
  }
  readonly #pages = syncPages((sql, ...params) => this.#db.all(sql, ...params));
}

type SqliteAll = (sql: string, ...params: SQLInputValue[]) => unknown[];

interface SyncPages {
  pageWorkers(q: WorkerPageQuery): KeyedPage<WorkerRow>;
  pageApprovals(q: ApprovalPageQuery): KeyedPage<ApprovalSummaryRow>;
  pageBans(q: BanPageQuery): KeyedPage<BanRow>;
  pageTokens(q: PageQuery): KeyedPage<TokenRow>;
  pageNamespaces(q: NamespacePageQuery): KeyedPage<NamespaceRow>;
  pageAlerts(q: AlertPageQuery): KeyedPage<AlertRow>;
  pageReceipts(q: ReceiptPageQuery): KeyedPage<ReceiptRow>;
}

function syncPages(all: SqliteAll): SyncPages {
  const run = <T>(
    table: string,
    select: string,
    w: Where,
    order: string,
    limit: number,
    row: (r: Raw) => T,
    key: (r: T) => PageKey,
  ): KeyedPage<T> => {
    const rows = all(
      `SELECT ${select} FROM ${table} ${w.sql} ORDER BY ${order} LIMIT ?`,
      ...w.params,
      limit + 1,
    ).map((r) => row(r as Raw));
    return keyedPage(rows, limit, key);
  };
  return {
    pageWorkers(q) {
      const w = new Where();
      // One capability's workers: its rows of worker_capabilities (migration 9) give the order
      // and the key, each joined to its worker.
      const byCapability = q.capability !== undefined;
      const key = byCapability ? ["c.enrolled_at", "c.worker_id"] : ["enrolled_at", "worker_id"];
      if (byCapability) w.add("c.capability_id = ?", q.capability!);
      if (q.namespace !== undefined) w.add("namespace = ?", q.namespace);
      if (q.visible_to !== undefined) {
        // Decision 18, as `workerView` decides it: its own workers, and others' active workers
        // whose record serves the tenant (no `tenants`, or a list naming it or "*").
        w.add(
          `(namespace = ? OR (status <> 'revoked' AND (json_type(data, '$.record.tenants') IS NULL
            OR (json_type(data, '$.record.tenants') = 'array' AND EXISTS (SELECT 1
              FROM json_each(data, '$.record.tenants') WHERE value IN (?, '*'))))))`,
          q.visible_to,
          q.visible_to,
        );
      }
      w.after(key, q.after);
      return run(
        byCapability
          ? "worker_capabilities AS c JOIN workers ON workers.worker_id = c.worker_id"
          : "workers",
        "data",
        w,
        key.join(", "),
        pageLimit(q.limit),
        (r) => data<WorkerRow>(r),
        (x) => [x.enrolled_at, x.worker_id],
      );
    },
    pageApprovals(q) {
      const w = new Where();
      if (q.status !== undefined) w.add("status = ?", q.status);
      if (q.tenant_id !== undefined) w.add("tenant_id = ?", q.tenant_id);
      w.after(["created_at", "approval_id"], q.after);
      return run(
        "approvals",
        q.full ? "data" : "json_remove(data, '$.input', '$.decision') AS data",
        w,
        "created_at, approval_id",
        pageLimit(q.limit),
        (r) => data<ApprovalSummaryRow>(r),
        (x) => [x.created_at, x.approval_id],
      );
    },
    pageBans(q) {
      const w = new Where();
      if (q.status !== undefined) w.add("status = ?", q.status);
      w.after(["reported_at", "sha256"], q.after);
      return run(
        "bans",
        "data",
        w,
        "reported_at, sha256",
        pageLimit(q.limit),
        (r) => data<BanRow>(r),
        (x) => [x.reported_at, x.sha256],
      );
    },
    pageTokens(q) {
      const w = new Where();
      w.after(["token_id"], q.after);
      return run(
        "tokens",
        "data",
        w,
        "token_id",
        pageLimit(q.limit),
        (r) => data<TokenRow>(r),
        (x) => [x.token_id],
      );
    },
    pageNamespaces(q) {
      const w = new Where();
      if (q.namespace !== undefined) w.add("namespace = ?", q.namespace);
      w.after(["namespace"], q.after);
      return run(
        "namespaces",
        "data",
        w,
        "namespace",
        pageLimit(q.limit),
        (r) => data<NamespaceRow>(r),
        (x) => [x.namespace],
      );
    },
    pageAlerts(q) {
      const w = new Where();
      if (q.acknowledged === true) w.add("acknowledged_at IS NOT NULL");
      if (q.acknowledged === false) w.add("acknowledged_at IS NULL");
      w.after(["created_at", "alert_id"], q.after, "<");
      return run(
        "alerts",
        "data",
        w,
        "created_at DESC, alert_id DESC",
        pageLimit(q.limit),
        (r) => data<AlertRow>(r),
        (x) => [x.created_at, x.alert_id],
      );
    },
    pageReceipts(q) {
      const w = new Where();
      if (q.tenant_id !== undefined) w.add("tenant_id = ?", q.tenant_id);
      if (q.correlation_id !== undefined) w.add("correlation_id = ?", q.correlation_id);
      if (q.since !== undefined) w.add("dispatched_at >= ?", q.since);
      if (q.until !== undefined) w.add("dispatched_at < ?", q.until);
      if (q.tenant_id !== undefined && q.after) {
        // One chain: a range on seq alone (the planner does not take a row value whose first
        // column is also an equality as the range of the primary key).
        const [t, seq] = q.after;
        if (t === q.tenant_id) w.add("seq > ?", seq);
        else if (t > q.tenant_id) w.add("0");
      } else w.after(["tenant_id", "seq"], q.after);
      return run(
        "receipts",
        "*",
        w,
        "tenant_id, seq",
        pageLimit(q.limit),
        receiptRow,
        (x) => [x.tenant_id, x.seq],
      );
    },
  };
}

function receiptRow(x: Raw): ReceiptRow {
  return {
    tenant_id: String(x.tenant_id),
    seq: Number(x.seq),
    receipt_id: String(x.receipt_id),
    receipt_hash: String(x.receipt_hash),
    prev_receipt_hash: x.prev_receipt_hash === null ? null : String(x.prev_receipt_hash),
    correlation_id: String(x.correlation_id),
    decision_id: x.decision_id === null ? null : String(x.decision_id),
    dispatched_at: String(x.dispatched_at),
    receipt: JSON.parse(String(x.data)) as BuiltReceipt,
  };
}
