/**
 * Embedded SQLite store for the hall (`node:sqlite` `DatabaseSync`, WAL journal). Each row is kept
 * as JSON next to the few columns queries filter on, so the schema stays small and the row types
 * of `HallStore` are the single source of truth.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type {
  AlertRow,
  ApprovalPrincipal,
  ApprovalRow,
  ApprovalStatus,
  BanRow,
  BuiltReceipt,
  ChainLink,
  CheckpointRow,
  DecisionRecordQuery,
  DecisionRecordRow,
  DecisionRow,
  HallStore,
  NamespaceRow,
  ReceiptQuery,
  ReceiptRow,
  RegistryChanges,
  StoreCounts,
  TelemetryBatch,
  TelemetryQuery,
  TelemetryRow,
  TierRow,
  TokenRow,
  WorkerRow,
} from "../types.ts";
import type { DecisionRecord } from "../../../decision/simulate.ts";
import {
  leavesAtPosition,
  nodePosition,
  receiptLeafInput,
  rootNodes,
  TreeFrontier,
  type TreeNode,
  type TreeNodeRef,
} from "../../../receipts/_stored_tree.ts";

/** A chain this many receipts ahead of its stored tree has the tree extended. */
const TREE_LAG = 256;

const RECEIPT_TREE = `
  CREATE TABLE IF NOT EXISTS receipt_tree (
    tenant_id TEXT NOT NULL, pos INTEGER NOT NULL, hash BLOB NOT NULL,
    PRIMARY KEY (tenant_id, pos)) WITHOUT ROWID;
  `;

const MIGRATIONS: string[] = [
  // 1: initial schema
  `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS workers (
    worker_id TEXT PRIMARY KEY, namespace TEXT NOT NULL, status TEXT NOT NULL,
    enrolled_at TEXT NOT NULL, data TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS workers_ns ON workers(namespace, status);
  CREATE TABLE IF NOT EXISTS tokens (
    token_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, revoked_at TEXT, data TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS namespaces (namespace TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS tiers (tier TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS bans (
    sha256 TEXT PRIMARY KEY, status TEXT NOT NULL, reported_at TEXT NOT NULL, data TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS approvals (
    approval_id TEXT PRIMARY KEY, status TEXT NOT NULL, tenant_id TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, data TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS approvals_status ON approvals(status, expires_at);
  CREATE TABLE IF NOT EXISTS receipts (
    tenant_id TEXT NOT NULL, seq INTEGER NOT NULL, receipt_id TEXT NOT NULL UNIQUE,
    receipt_hash TEXT NOT NULL, prev_receipt_hash TEXT, correlation_id TEXT NOT NULL,
    decision_id TEXT, dispatched_at TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq));
  CREATE INDEX IF NOT EXISTS receipts_corr ON receipts(correlation_id);
  CREATE INDEX IF NOT EXISTS receipts_time ON receipts(dispatched_at);
  CREATE TABLE IF NOT EXISTS checkpoints (
    tenant_id TEXT NOT NULL, tree_size INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (tenant_id, tree_size));
  CREATE TABLE IF NOT EXISTS telemetry (
    id INTEGER PRIMARY KEY AUTOINCREMENT, decision_id TEXT NOT NULL, correlation_id TEXT NOT NULL,
    data TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS telemetry_decision ON telemetry(decision_id);
  CREATE INDEX IF NOT EXISTS telemetry_corr ON telemetry(correlation_id);
  CREATE TABLE IF NOT EXISTS decisions (decision_id TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, acknowledged_at TEXT, data TEXT NOT NULL);
  `,
  // 2: telemetry packed per decision (a JSON array of events per row); table 1's stays unused
  `
  CREATE TABLE IF NOT EXISTS telemetry_packed (
    id INTEGER PRIMARY KEY AUTOINCREMENT, decision_id TEXT NOT NULL, correlation_id TEXT NOT NULL,
    data TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS telemetry_packed_decision ON telemetry_packed(decision_id);
  CREATE INDEX IF NOT EXISTS telemetry_packed_corr ON telemetry_packed(correlation_id);
  `,
  // 3: separation of duties (spec README decision 19): the principal ids of who raised and who
  // resolved a hold as columns; in the JSON, requested_by (null for older rows) and resolved_by
  // as {principal_id, label} (an older row's token id, with its token's label when known)
  `
  ALTER TABLE approvals ADD COLUMN requested_by TEXT;
  ALTER TABLE approvals ADD COLUMN resolved_by TEXT;
  UPDATE approvals SET data = json_set(data, '$.requested_by', json('null'))
    WHERE json_type(data, '$.requested_by') IS NULL;
  UPDATE approvals SET resolved_by = json_extract(data, '$.resolved_by'),
    data = json_set(data, '$.resolved_by', json_object(
      'principal_id', json_extract(data, '$.resolved_by'),
      'label', coalesce((SELECT json_extract(t.data, '$.label') FROM tokens t
        WHERE t.token_id = json_extract(approvals.data, '$.resolved_by')), '')))
    WHERE json_type(data, '$.resolved_by') = 'text';
  `,
  // 4: the RFC 6962 tree of each receipt chain, one row per complete subtree (level 0: the leaf
  // hashes), derived from the committed receipts (see "the receipt chains' Merkle trees");
  // proofs read O(log n) of them. migrate() backfills it. Keyed by the order nodes are made in
  // (`nodePosition`), so an extension writes rows at the end of each chain's range.
  RECEIPT_TREE,
  // 5: one replay record per decision (what-if simulation, `POST /wcp/simulate`), in order
  `
  -- Packed: one row per appended batch (a JSON array), records first_seq..last_seq; last_at is
  -- the batch's latest timestamp. One insert per batch keeps the cost per decision small.
  CREATE TABLE IF NOT EXISTS decision_records (
    first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, last_at TEXT NOT NULL,
    data TEXT NOT NULL);
  `,
  // 6: registry versions (issue 14): every insert or update of a worker or ban row gives it the
  // next value of one counter (triggers, so every write path counts), kept beside the rows in
  // registry_versions, and a hall mirroring the registry asks only for the rows changed since the
  // version it has (listRegistryChanges). SQLite serialises writers, so versions become visible
  // in order. Rows already there are numbered once, workers first. Re-runnable as it stands.
  `
  CREATE TABLE IF NOT EXISTS registry_counter (id INTEGER PRIMARY KEY CHECK (id = 1), v INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS registry_versions (
    kind INTEGER NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (kind, key)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS registry_versions_order ON registry_versions(version);
  INSERT INTO registry_versions (kind, key, version)
    SELECT 0, worker_id, (SELECT coalesce(max(version), 0) FROM registry_versions) + rowid
    FROM workers WHERE worker_id NOT IN (SELECT key FROM registry_versions WHERE kind = 0);
  INSERT INTO registry_versions (kind, key, version)
    SELECT 1, sha256, (SELECT coalesce(max(version), 0) FROM registry_versions) + rowid
    FROM bans WHERE sha256 NOT IN (SELECT key FROM registry_versions WHERE kind = 1);
  INSERT OR IGNORE INTO registry_counter (id, v) VALUES (1, 0);
  UPDATE registry_counter SET v = max(v, (SELECT coalesce(max(version), 0) FROM registry_versions));
  CREATE TRIGGER IF NOT EXISTS workers_version_insert AFTER INSERT ON workers BEGIN
    UPDATE registry_counter SET v = v + 1 WHERE id = 1;
    DELETE FROM registry_versions WHERE kind = 0 AND key = NEW.worker_id;
    INSERT INTO registry_versions (kind, key, version)
      VALUES (0, NEW.worker_id, (SELECT v FROM registry_counter WHERE id = 1));
  END;
  CREATE TRIGGER IF NOT EXISTS workers_version_update AFTER UPDATE ON workers BEGIN
    UPDATE registry_counter SET v = v + 1 WHERE id = 1;
    DELETE FROM registry_versions WHERE kind = 0 AND key = NEW.worker_id;
    INSERT INTO registry_versions (kind, key, version)
      VALUES (0, NEW.worker_id, (SELECT v FROM registry_counter WHERE id = 1));
  END;
  CREATE TRIGGER IF NOT EXISTS bans_version_insert AFTER INSERT ON bans BEGIN
    UPDATE registry_counter SET v = v + 1 WHERE id = 1;
    DELETE FROM registry_versions WHERE kind = 1 AND key = NEW.sha256;
    INSERT INTO registry_versions (kind, key, version)
      VALUES (1, NEW.sha256, (SELECT v FROM registry_counter WHERE id = 1));
  END;
  CREATE TRIGGER IF NOT EXISTS bans_version_update AFTER UPDATE ON bans BEGIN
    UPDATE registry_counter SET v = v + 1 WHERE id = 1;
    DELETE FROM registry_versions WHERE kind = 1 AND key = NEW.sha256;
    INSERT INTO registry_versions (kind, key, version)
      VALUES (1, NEW.sha256, (SELECT v FROM registry_counter WHERE id = 1));
  END;
  `,
];

type Row = Record<string, SQLInputValue>;

interface PendingAppend {
  tenantId: string;
  build: (link: ChainLink) => BuiltReceipt | Promise<BuiltReceipt>;
  resolve: (row: ReceiptRow) => void;
  reject: (e: unknown) => void;
}

type Head = { seq: number; hash: string | null; receipt: BuiltReceipt | null };

function parse<T>(row: unknown): T {
  return JSON.parse((row as { data: string }).data) as T;
}

// A registry version to list changes after: a non-negative safe integer.
function checkSince(since: unknown): asserts since is number {
  if (typeof since !== "number" || !Number.isSafeInteger(since) || since < 0) {
    throw new RangeError(`since: must be a registry version (an integer >= 0), got ${since}`);
  }
}

function cap(limit: number | undefined, fallback: number): number {
  const n = limit === undefined ? fallback : Math.floor(limit);
  return Math.max(1, Math.min(1000, Number.isFinite(n) ? n : fallback));
}

// [decision_id, correlation_id, JSON of [event_id, timestamp, event][]] per run of one decision.
function packTelemetry(rows: TelemetryRow[]): [string, string, string][] {
  const out: [string, string, string][] = [];
  let i = 0;
  while (i < rows.length) {
    let k = i + 1;
    while (
      k < rows.length && rows[k].decision_id === rows[i].decision_id &&
      rows[k].correlation_id === rows[i].correlation_id
    ) k++;
    const packed = rows.slice(i, k).map((r) => [r.event_id, r.timestamp, r.event]);
    out.push([rows[i].decision_id, rows[i].correlation_id, JSON.stringify(packed)]);
    i = k;
  }
  return out;
}

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** `FULL` (default: every commit is fsynced) or `NORMAL` (faster; survives a process crash). */
  synchronous?: "FULL" | "NORMAL";
  /** Write telemetry on a worker thread (file databases; default true). */
  telemetryWorker?: boolean;
}

/** `HallStore` over one SQLite file (or `:memory:`). */
export class SqliteStore implements HallStore {
  readonly backend = "sqlite" as const;
  readonly #db: DatabaseSync;
  // Serialises receipt appends inside this process; other processes are excluded by BEGIN IMMEDIATE.
  #appendQueue: Promise<unknown> = Promise.resolve();
  #pending: PendingAppend[] = [];
  #decisionQueue: { row: DecisionRow; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #batching = false;
  #closed = false;

  readonly #path: string;
  readonly #synchronous: "FULL" | "NORMAL";
  readonly #telemetryWorker: boolean;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.#path = path;
    this.#synchronous = options.synchronous ?? "FULL";
    this.#telemetryWorker = options.telemetryWorker ?? true;
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA busy_timeout = 5000");
    if (path !== ":memory:") this.#db.exec("PRAGMA journal_mode = WAL");
    this.#db.exec(`PRAGMA synchronous = ${options.synchronous ?? "FULL"}`);
    this.#db.exec("PRAGMA foreign_keys = ON");
  }

  // Prepared statements are reused: preparing costs more than most of our queries.
  #statements = new Map<string, StatementSync>();
  #stmt(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  #all(sql: string, ...params: SQLInputValue[]): unknown[] {
    return this.#stmt(sql).all(...params);
  }
  #get(sql: string, ...params: SQLInputValue[]): unknown {
    return this.#stmt(sql).get(...params);
  }
  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#stmt(sql).run(...params).changes);
  }
  #tx<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (e) {
      // SQLite may have rolled back already (a full disk, an I/O error): a second ROLLBACK
      // would throw "no transaction is active" and hide the error that matters.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw e;
    }
  }

  // Run synchronous SQLite work and turn a throw into a rejected promise (callers await).
  #p<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  migrate(): Promise<void> {
    return this.#p(() => {
      this.#db.exec(
        "CREATE TABLE IF NOT EXISTS wcp_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
      );
      this.#tx(() => {
        const current = this.#currentVersion();
        for (let v = current + 1; v <= MIGRATIONS.length; v++) {
          this.#db.exec(MIGRATIONS[v - 1]);
          this.#run(
            "INSERT INTO wcp_migrations (version, applied_at) VALUES (?, ?)",
            v,
            new Date().toISOString(),
          );
        }
        // A receipt_tree of this migration's first form (keyed by level and index; in main for an
        // hour) is rebuilt in the current one.
        const cols = this.#all("PRAGMA table_info(receipt_tree)") as { name: string }[];
        if (cols.some((c) => c.name === "level")) {
          this.#db.exec(`DROP TABLE receipt_tree; ${RECEIPT_TREE}`);
        }
        // Chains written before the tree existed (or by an older hall) get their tree now.
        for (const tenant of this.#tenants()) this.#catchUpTree(tenant);
      });
    });
  }

  #currentVersion(): number {
    const exists = this.#get(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'wcp_migrations'",
    );
    if (!exists) return 0;
    const row = this.#get("SELECT MAX(version) AS v FROM wcp_migrations") as { v: number | null };
    return row.v ?? 0;
  }

  migrationVersion(): Promise<number> {
    return this.#p(() => this.#currentVersion());
  }

  probeWrite(): Promise<void> {
    return this.#p(() => {
      this.#run(
        "INSERT INTO meta (key, value) VALUES ('store_probe', ?) " +
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        new Date().toISOString(),
      );
    });
  }

  ping(): Promise<boolean> {
    if (this.#closed) return this.#p(() => false);
    try {
      this.#get("SELECT 1 AS one");
      return this.#p(() => true);
    } catch {
      return this.#p(() => false);
    }
  }

  #closing = false;
  async close(): Promise<void> {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    this.#flushDecisions();
    await this.#closeWorker();
    await this.#appendQueue.catch(() => {});
    this.#closed = true;
    this.#db.close();
  }

  counts(): Promise<StoreCounts> {
    const n = (sql: string): number => Number((this.#get(sql) as { n: number }).n);
    return this.#p(() => ({
      workers: n("SELECT COUNT(*) AS n FROM workers WHERE status = 'active'"),
      approvals_pending: n("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending'"),
      receipts: n("SELECT COUNT(*) AS n FROM receipts"),
      alerts_open: n("SELECT COUNT(*) AS n FROM alerts WHERE acknowledged_at IS NULL"),
      bans_confirmed: n("SELECT COUNT(*) AS n FROM bans WHERE status = 'confirmed'"),
    }));
  }

  // ---- meta ----
  getMeta(key: string): Promise<string | null> {
    const row = this.#get("SELECT value FROM meta WHERE key = ?", key) as
      | { value: string }
      | undefined;
    return this.#p(() => row?.value ?? null);
  }
  setMetaIfAbsent(key: string, value: string): Promise<string> {
    return this.#p(() =>
      this.#tx(() => {
        this.#run("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", key, value);
        return (this.#get("SELECT value FROM meta WHERE key = ?", key) as { value: string }).value;
      })
    );
  }

  // ---- workers ----
  putWorker(row: WorkerRow): Promise<void> {
    return this.#p(() => {
      this.#run(
        `INSERT INTO workers (worker_id, namespace, status, enrolled_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(worker_id) DO UPDATE SET namespace = excluded.namespace,
       status = excluded.status, enrolled_at = excluded.enrolled_at, data = excluded.data
       WHERE workers.status <> 'revoked'`,
        row.worker_id,
        row.namespace,
        row.status,
        row.enrolled_at,
        JSON.stringify(row),
      );
    });
  }
  getWorker(workerId: string): Promise<WorkerRow | null> {
    const row = this.#get("SELECT data FROM workers WHERE worker_id = ?", workerId);
    return this.#p(() => row ? parse<WorkerRow>(row) : null);
  }
  listWorkers(filter: { namespace?: string } = {}): Promise<WorkerRow[]> {
    const rows = filter.namespace === undefined
      ? this.#all("SELECT data FROM workers ORDER BY enrolled_at, worker_id")
      : this.#all(
        "SELECT data FROM workers WHERE namespace = ? ORDER BY enrolled_at, worker_id",
        filter.namespace,
      );
    return this.#p(() => rows.map((r) => parse<WorkerRow>(r)));
  }
  countActiveWorkers(namespace: string): Promise<number> {
    const row = this.#get(
      "SELECT COUNT(*) AS n FROM workers WHERE namespace = ? AND status = 'active'",
      namespace,
    ) as { n: number };
    return this.#p(() => Number(row.n));
  }
  revokeWorker(workerId: string, at: string): Promise<boolean> {
    return this.#p(() =>
      this.#tx(() => {
        const row = this.#get("SELECT data FROM workers WHERE worker_id = ?", workerId);
        if (!row) return false;
        const w = parse<WorkerRow>(row);
        if (w.status === "revoked") return false;
        const next: WorkerRow = { ...w, status: "revoked", updated_at: at };
        this.#run(
          "UPDATE workers SET status = 'revoked', data = ? WHERE worker_id = ?",
          JSON.stringify(next),
          workerId,
        );
        return true;
      })
    );
  }

  listRegistryChanges(since: number, limit?: number): Promise<RegistryChanges> {
    return this.#p(() => {
      checkSince(since);
      const n = cap(limit, 1000);
      // One statement: one snapshot of both tables (one counter for both: the order is total).
      const rows = this.#all(
        `SELECT v.kind, v.version, coalesce(w.data, b.data) AS data FROM registry_versions v
         LEFT JOIN workers w ON v.kind = 0 AND w.worker_id = v.key
         LEFT JOIN bans b ON v.kind = 1 AND b.sha256 = v.key
         WHERE v.version > ? ORDER BY v.version LIMIT ?`,
        since,
        n,
      ) as { kind: number; version: number; data: string | null }[];
      const out: RegistryChanges = {
        version: since,
        workers: [],
        bans: [],
        more: rows.length === n,
      };
      for (const r of rows) {
        out.version = Number(r.version);
        if (r.data === null) continue; // (rows are never deleted)
        if (r.kind === 0) out.workers.push(JSON.parse(r.data) as WorkerRow);
        else out.bans.push(JSON.parse(r.data) as BanRow);
      }
      return out;
    });
  }

  // ---- tokens, namespaces, tiers ----
  createToken(row: TokenRow): Promise<void> {
    return this.#p(() => {
      this.#run(
        "INSERT INTO tokens (token_id, token_hash, revoked_at, data) VALUES (?, ?, ?, ?)",
        row.token_id,
        row.token_hash,
        row.revoked_at,
        JSON.stringify(row),
      );
    });
  }
  findToken(tokenHash: string): Promise<TokenRow | null> {
    const row = this.#get(
      "SELECT data FROM tokens WHERE token_hash = ? AND revoked_at IS NULL",
      tokenHash,
    );
    return this.#p(() => row ? parse<TokenRow>(row) : null);
  }
  listTokens(): Promise<TokenRow[]> {
    return this.#p(() =>
      this.#all("SELECT data FROM tokens ORDER BY token_id").map((r) => parse<TokenRow>(r))
    );
  }
  revokeTokenKeepingAdmin(
    tokenId: string,
    at: string,
  ): Promise<"revoked" | "unknown" | "last_admin"> {
    // BEGIN IMMEDIATE: the check and the update hold the write lock, across connections.
    return this.#p(() =>
      this.#tx(() => {
        const row = this.#get("SELECT data FROM tokens WHERE token_id = ?", tokenId);
        if (!row) return "unknown";
        const t = parse<TokenRow>(row);
        if (t.revoked_at !== null) return "unknown";
        if (t.role === "admin") {
          const active = this.#all("SELECT data FROM tokens WHERE revoked_at IS NULL")
            .map((r) => parse<TokenRow>(r)).filter((x) => x.role === "admin");
          if (active.length <= 1) return "last_admin";
        }
        this.#run(
          "UPDATE tokens SET revoked_at = ?, data = ? WHERE token_id = ?",
          at,
          JSON.stringify({ ...t, revoked_at: at }),
          tokenId,
        );
        return "revoked";
      })
    );
  }
  revokeToken(tokenId: string, at: string): Promise<boolean> {
    return this.#p(() =>
      this.#tx(() => {
        const row = this.#get("SELECT data FROM tokens WHERE token_id = ?", tokenId);
        if (!row) return false;
        const t = parse<TokenRow>(row);
        if (t.revoked_at !== null) return false;
        this.#run(
          "UPDATE tokens SET revoked_at = ?, data = ? WHERE token_id = ?",
          at,
          JSON.stringify({ ...t, revoked_at: at }),
          tokenId,
        );
        return true;
      })
    );
  }
  putNamespace(row: NamespaceRow): Promise<void> {
    return this.#p(() => {
      this.#run(
        "INSERT OR REPLACE INTO namespaces (namespace, data) VALUES (?, ?)",
        row.namespace,
        JSON.stringify(row),
      );
    });
  }
  getNamespace(namespace: string): Promise<NamespaceRow | null> {
    const row = this.#get("SELECT data FROM namespaces WHERE namespace = ?", namespace);
    return this.#p(() => row ? parse<NamespaceRow>(row) : null);
  }
  listNamespaces(): Promise<NamespaceRow[]> {
    return this.#p(() =>
      this.#all("SELECT data FROM namespaces ORDER BY namespace").map((r) => parse<NamespaceRow>(r))
    );
  }
  putTier(row: TierRow): Promise<void> {
    return this.#p(() => {
      this.#run(
        "INSERT OR REPLACE INTO tiers (tier, data) VALUES (?, ?)",
        row.tier,
        JSON.stringify(row),
      );
    });
  }
  getTier(tier: string): Promise<TierRow | null> {
    const row = this.#get("SELECT data FROM tiers WHERE tier = ?", tier);
    return this.#p(() => row ? parse<TierRow>(row) : null);
  }
  listTiers(): Promise<TierRow[]> {
    return this.#p(() =>
      this.#all("SELECT data FROM tiers ORDER BY tier").map((r) => parse<TierRow>(r))
    );
  }

  // ---- ban list ----
  reportBan(row: BanRow): Promise<BanRow> {
    return this.#p(() =>
      this.#tx(() => {
        const existing = this.#get("SELECT data FROM bans WHERE sha256 = ?", row.sha256);
        if (existing) return parse<BanRow>(existing);
        this.#run(
          "INSERT INTO bans (sha256, status, reported_at, data) VALUES (?, ?, ?, ?)",
          row.sha256,
          row.status,
          row.reported_at,
          JSON.stringify(row),
        );
        return row;
      })
    );
  }
  confirmBan(sha256: string, by: string, at: string): Promise<BanRow | null> {
    return this.#p(() =>
      this.#tx(() => {
        const existing = this.#get("SELECT data FROM bans WHERE sha256 = ?", sha256);
        if (!existing) return null;
        const b = parse<BanRow>(existing);
        if (b.status === "confirmed") return b;
        const next: BanRow = { ...b, status: "confirmed", confirmed_at: at, confirmed_by: by };
        this.#run(
          "UPDATE bans SET status = 'confirmed', data = ? WHERE sha256 = ?",
          JSON.stringify(next),
          sha256,
        );
        return next;
      })
    );
  }
  reviewBan(
    sha256: string,
    to: "rejected" | "lifted",
    by: string,
    at: string,
    note: string | null,
  ): Promise<BanRow | null> {
    const from = to === "rejected" ? "reported" : "confirmed";
    return this.#p(() =>
      this.#tx(() => {
        const existing = this.#get("SELECT data FROM bans WHERE sha256 = ?", sha256);
        if (!existing) return null;
        const b = parse<BanRow>(existing);
        if (b.status !== from) return b;
        const next: BanRow = {
          ...b,
          status: to,
          reviewed_at: at,
          reviewed_by: by,
          review_note: note,
        };
        this.#run(
          "UPDATE bans SET status = ?, data = ? WHERE sha256 = ?",
          to,
          JSON.stringify(next),
          sha256,
        );
        return next;
      })
    );
  }
  getBan(sha256: string): Promise<BanRow | null> {
    const row = this.#get("SELECT data FROM bans WHERE sha256 = ?", sha256);
    return this.#p(() => row ? parse<BanRow>(row) : null);
  }
  listBans(filter: { status?: BanRow["status"] } = {}): Promise<BanRow[]> {
    const rows = filter.status === undefined
      ? this.#all("SELECT data FROM bans ORDER BY reported_at, sha256")
      : this.#all(
        "SELECT data FROM bans WHERE status = ? ORDER BY reported_at, sha256",
        filter.status,
      );
    return this.#p(() => rows.map((r) => parse<BanRow>(r)));
  }

  // ---- approvals ----
  createApproval(row: ApprovalRow): Promise<void> {
    return this.#p(() => {
      this.#run(
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
        JSON.stringify({ ...row, requested_by: row.requested_by ?? null }),
      );
    });
  }
  getApproval(approvalId: string): Promise<ApprovalRow | null> {
    const row = this.#get("SELECT data FROM approvals WHERE approval_id = ?", approvalId);
    return this.#p(() => row ? parse<ApprovalRow>(row) : null);
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
    return this.#p(() => this.#all(sql, ...params).map((r) => parse<ApprovalRow>(r)));
  }
  #updateApproval(
    approvalId: string,
    change: (a: ApprovalRow) => ApprovalRow | null,
  ): ApprovalRow | null {
    return this.#tx(() => {
      const row = this.#get("SELECT data FROM approvals WHERE approval_id = ?", approvalId);
      if (!row) return null;
      const next = change(parse<ApprovalRow>(row));
      if (!next) return null;
      this.#run(
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
    return this.#p(() =>
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
    return this.#p(() =>
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
    return this.#p(() =>
      this.#tx(() => {
        const rows = this.#all(
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
          this.#run(
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
    return this.#p(() =>
      this.#updateApproval(
        approvalId,
        (a) =>
          a.status === "approved" && a.expires_at > at
            ? { ...a, status: "consumed", consumed_at: at }
            : null,
      )
    );
  }

  // ---- receipts ----
  #head(tenantId: string): Head {
    const row = this.#get(
      "SELECT seq, receipt_hash, data FROM receipts WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1",
      tenantId,
    ) as { seq: number; receipt_hash: string; data: string } | undefined;
    return row
      ? { seq: Number(row.seq), hash: row.receipt_hash, receipt: JSON.parse(row.data) }
      : { seq: -1, hash: null, receipt: null };
  }

  appendReceipt(
    tenantId: string,
    build: (link: ChainLink) => BuiltReceipt | Promise<BuiltReceipt>,
  ): Promise<ReceiptRow> {
    return new Promise<ReceiptRow>((resolve, reject) => {
      this.#pending.push({ tenantId, build, resolve, reject });
      if (!this.#batching) {
        this.#batching = true;
        this.#appendQueue = this.#drain();
      }
    });
  }

  // Group commit: appends that arrive while a batch is being built go into the next batch, and a
  // whole batch is written in one transaction (one fsync), so durability does not cost one disk
  // flush per receipt.
  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, 512);
        await this.#appendBatch(batch);
      }
    } finally {
      this.#batching = false;
    }
  }

  async #appendBatch(batch: PendingAppend[]): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      // Build outside the write lock (signing is async), chaining within the batch in memory.
      const start = new Map<string, Head>();
      const heads = new Map<string, Head>();
      const built: { item: PendingAppend; row: ReceiptRow }[] = [];
      for (const item of batch) {
        if (!heads.has(item.tenantId)) {
          const h = this.#head(item.tenantId);
          start.set(item.tenantId, h);
          heads.set(item.tenantId, h);
        }
        const head = heads.get(item.tenantId)!;
        const link: ChainLink = {
          tenant_id: item.tenantId,
          seq: head.seq + 1,
          prev_receipt_hash: head.hash,
          prev_receipt: head.receipt,
        };
        let receipt: BuiltReceipt;
        try {
          receipt = await item.build(link);
          if (receipt.prev_receipt_hash !== link.prev_receipt_hash) {
            throw new Error("receipt builder did not chain to the given prev_receipt_hash");
          }
          // A receipt_hash that cannot be a Merkle leaf is refused (before anything is written).
          receiptLeafInput(receipt.receipt_hash);
        } catch (e) {
          item.reject(e);
          continue;
        }
        const row: ReceiptRow = {
          tenant_id: item.tenantId,
          seq: link.seq,
          receipt_id: receipt.receipt_id,
          receipt_hash: receipt.receipt_hash,
          prev_receipt_hash: receipt.prev_receipt_hash,
          correlation_id: receipt.correlation_id,
          decision_id: typeof receipt.decision_id === "string" ? receipt.decision_id : null,
          dispatched_at: receipt.dispatched_at,
          receipt,
        };
        heads.set(item.tenantId, { seq: row.seq, hash: row.receipt_hash, receipt });
        built.push({ item, row });
      }
      // Trees of chains TREE_LAG receipts ahead are extended in this commit (no fsync of their own).
      const lagging = [...this.#treeLag].filter(([, n]) => n >= TREE_LAG).map(([t]) => t);
      let committed: boolean;
      try {
        committed = this.#tx(() => {
          // Another process sharing the file may have appended meanwhile: then rebuild.
          for (const [tenant, h] of start) if (this.#head(tenant).seq !== h.seq) return false;
          for (const tenant of lagging) this.#catchUpTreeOrLog(tenant);
          for (const { row } of built) {
            this.#run(
              `INSERT INTO receipts (tenant_id, seq, receipt_id, receipt_hash, prev_receipt_hash,
               correlation_id, decision_id, dispatched_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              row.tenant_id,
              row.seq,
              row.receipt_id,
              row.receipt_hash,
              row.prev_receipt_hash,
              row.correlation_id,
              row.decision_id,
              row.dispatched_at,
              JSON.stringify(row.receipt),
            );
          }
          return true;
        });
      } catch (e) {
        for (const { item } of built) item.reject(e);
        return;
      }
      if (committed) {
        for (const tenant of lagging) this.#treeLag.delete(tenant);
        for (const { row } of built) {
          this.#treeLag.set(row.tenant_id, (this.#treeLag.get(row.tenant_id) ?? 0) + 1);
        }
        for (const { item, row } of built) item.resolve(row);
        return;
      }
      batch = built.map((b) => b.item);
    }
    for (const item of batch) item.reject(new Error("receipt chain is too contended"));
  }

  // ---- the receipt chains' Merkle trees ----
  // The tree is derived from committed receipts rather than written with each one: written per
  // receipt, its rows made every commit dirty one more page per chain (a tenth more CPU per
  // dispatch, measured). A chain TREE_LAG receipts ahead of its tree gets it extended in bulk
  // inside the next append's transaction (a few pages per 256 receipts, no fsync of its own),
  // and up to the chain's head before any tree read, so readers always see the whole chain.
  // Receipts this process appended per chain since its tree was last extended.
  #treeLag = new Map<string, number>();

  #catchUpTreeOrLog(tenantId: string): void {
    try {
      this.#catchUpTree(tenantId);
    } catch (e) {
      // The append goes on; the next tree read catches up (and reports what fails there).
      console.error(`hall: sqlite: receipt tree of ${tenantId}: ${(e as Error).message}`);
    }
  }

  /** Extend a chain's tree up to its head when it is behind (a tree read needs all of it). */
  #ensureTree(tenantId: string): void {
    const row = this.#get(
      "SELECT MAX(seq) AS m FROM receipts WHERE tenant_id = ?",
      tenantId,
    ) as { m: number | null };
    const chain = row.m === null ? 0 : Number(row.m) + 1;
    if (this.#treeSize(tenantId) < chain) {
      this.#tx(() => this.#catchUpTree(tenantId));
      this.#treeLag.delete(tenantId);
    }
  }

  // Many rows per INSERT (64 at a time): a statement per node cost more than the node itself.
  #putNodes(nodes: [string, TreeNode][]): void {
    const CHUNK = 64;
    const sql = (k: number) =>
      "INSERT OR REPLACE INTO receipt_tree (tenant_id, pos, hash) VALUES " +
      Array(k).fill("(?, ?, ?)").join(", ");
    let i = 0;
    for (; i + CHUNK <= nodes.length; i += CHUNK) {
      this.#run(
        sql(CHUNK),
        ...nodes.slice(i, i + CHUNK).flatMap(([t, n]) => [t, nodePosition(n), n.hash]),
      );
    }
    for (; i < nodes.length; i++) {
      const [t, n] = nodes[i];
      this.#run(sql(1), t, nodePosition(n), n.hash);
    }
  }

  #node(tenantId: string, ref: TreeNodeRef): Uint8Array | null {
    const row = this.#get(
      "SELECT hash FROM receipt_tree WHERE tenant_id = ? AND pos = ?",
      tenantId,
      nodePosition(ref),
    ) as { hash: Uint8Array } | undefined;
    return row ? new Uint8Array(row.hash) : null;
  }

  #treeSize(tenantId: string): number {
    const row = this.#get(
      "SELECT MAX(pos) AS m FROM receipt_tree WHERE tenant_id = ?",
      tenantId,
    ) as { m: number | null };
    return row.m === null ? 0 : leavesAtPosition(Number(row.m));
  }

  /** The tree's frontier at `size` leaves, or null when a node of it is not stored. */
  #frontier(tenantId: string, size: number): TreeFrontier | null {
    const nodes: TreeNode[] = [];
    for (const ref of rootNodes(size)) {
      const hash = this.#node(tenantId, ref);
      if (hash === null) return null;
      nodes.push({ ...ref, hash });
    }
    return new TreeFrontier(size, nodes);
  }

  /**
   * Extend a chain's stored tree over the receipts it does not cover yet (all of them after the
   * migration that added it), inside the caller's transaction. Stops before a receipt whose seq
   * leaves a gap or whose receipt_hash is malformed (chain verification reports those; proofs
   * then refuse the sizes the tree does not cover).
   */
  #catchUpTree(tenantId: string): void {
    let size = this.#treeSize(tenantId);
    let tree = this.#frontier(tenantId, size);
    if (tree === null) {
      this.#run("DELETE FROM receipt_tree WHERE tenant_id = ?", tenantId);
      size = 0;
      tree = new TreeFrontier(0, []);
    }
    const PAGE = 5000;
    while (true) {
      const rows = this.#all(
        "SELECT seq, receipt_hash FROM receipts WHERE tenant_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
        tenantId,
        size,
        PAGE,
      ) as { seq: number; receipt_hash: string }[];
      const made: [string, TreeNode][] = [];
      let stop = false;
      for (const r of rows) {
        if (Number(r.seq) !== tree.size) {
          stop = true;
          break;
        }
        try {
          for (const n of tree.append(r.receipt_hash)) made.push([tenantId, n]);
        } catch {
          stop = true;
          break;
        }
      }
      this.#putNodes(made);
      if (stop || rows.length < PAGE) return;
      size = tree.size;
    }
  }

  #tenants(): string[] {
    return this.#all("SELECT DISTINCT tenant_id FROM receipts ORDER BY tenant_id").map((r) =>
      String((r as { tenant_id: string }).tenant_id)
    );
  }

  receiptTreeSize(tenantId: string): Promise<number> {
    return this.#p(() => {
      this.#ensureTree(tenantId);
      return this.#treeSize(tenantId);
    });
  }

  receiptTreeNodes(
    tenantId: string,
    refs: readonly TreeNodeRef[],
  ): Promise<(Uint8Array | null)[]> {
    return this.#p(() => {
      const got = refs.map((r) => this.#node(tenantId, r));
      if (got.every((h) => h !== null)) return got;
      this.#ensureTree(tenantId);
      return refs.map((r) => this.#node(tenantId, r));
    });
  }

  chainHead(tenantId: string): Promise<ReceiptRow | null> {
    return this.#p(() => {
      const r = this.#get(
        "SELECT * FROM receipts WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1",
        tenantId,
      );
      return r ? this.#receiptRow(r) : null;
    });
  }

  getReceipt(tenantId: string, receiptId: string): Promise<ReceiptRow | null> {
    return this.#p(() => {
      const r = this.#get(
        "SELECT * FROM receipts WHERE receipt_id = ? AND tenant_id = ?",
        receiptId,
        tenantId,
      );
      return r ? this.#receiptRow(r) : null;
    });
  }

  #receiptRow(r: unknown): ReceiptRow {
    const x = r as Row & { data: string };
    return {
      tenant_id: String(x.tenant_id),
      seq: Number(x.seq),
      receipt_id: String(x.receipt_id),
      receipt_hash: String(x.receipt_hash),
      prev_receipt_hash: x.prev_receipt_hash === null ? null : String(x.prev_receipt_hash),
      correlation_id: String(x.correlation_id),
      decision_id: x.decision_id === null ? null : String(x.decision_id),
      dispatched_at: String(x.dispatched_at),
      receipt: JSON.parse(x.data) as BuiltReceipt,
    };
  }

  listReceipts(query: ReceiptQuery = {}): Promise<ReceiptRow[]> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.tenant_id !== undefined) (where.push("tenant_id = ?"), params.push(query.tenant_id));
    if (query.correlation_id !== undefined) {
      where.push("correlation_id = ?");
      params.push(query.correlation_id);
    }
    if (query.since !== undefined) (where.push("dispatched_at >= ?"), params.push(query.since));
    if (query.until !== undefined) (where.push("dispatched_at < ?"), params.push(query.until));
    const sql = `SELECT * FROM receipts ${where.length ? "WHERE " + where.join(" AND ") : ""}
      ORDER BY tenant_id, seq LIMIT ?`;
    params.push(cap(query.limit, 100));
    return this.#p(() => this.#all(sql, ...params).map((r) => this.#receiptRow(r)));
  }
  tenantChain(
    tenantId: string,
    options: { fromSeq?: number; limit?: number } = {},
  ): Promise<ReceiptRow[]> {
    const rows = this.#all(
      "SELECT * FROM receipts WHERE tenant_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
      tenantId,
      options.fromSeq ?? 0,
      options.limit ?? -1,
    );
    return this.#p(() => rows.map((r) => this.#receiptRow(r)));
  }
  receiptTenants(): Promise<string[]> {
    return this.#p(() => this.#tenants());
  }
  putCheckpoint(row: CheckpointRow): Promise<void> {
    return this.#p(() => {
      this.#run(
        "INSERT OR REPLACE INTO checkpoints (tenant_id, tree_size, data) VALUES (?, ?, ?)",
        row.tenant_id,
        row.tree_size,
        JSON.stringify(row),
      );
    });
  }
  listCheckpoints(tenantId: string): Promise<CheckpointRow[]> {
    return this.#p(() =>
      this.#all("SELECT data FROM checkpoints WHERE tenant_id = ? ORDER BY tree_size", tenantId)
        .map((r) => parse<CheckpointRow>(r))
    );
  }
  latestCheckpoint(
    tenantId: string,
    range: { minSize?: number; maxSize?: number } = {},
  ): Promise<CheckpointRow | null> {
    return this.#p(() => {
      const r = this.#get(
        `SELECT data FROM checkpoints WHERE tenant_id = ? AND tree_size >= ? AND tree_size <= ?
         ORDER BY tree_size DESC LIMIT 1`,
        tenantId,
        range.minSize ?? 0,
        range.maxSize ?? Number.MAX_SAFE_INTEGER,
      );
      return r ? parse<CheckpointRow>(r) : null;
    });
  }

  // ---- telemetry, decisions, alerts ----
  appendTelemetry(rows: TelemetryRow[]): Promise<void> {
    // One database row per run of events of one decision (the hall writes a decision's events
    // together): five times fewer inserts on the decision path.
    let packed: [string, string, string][];
    try {
      packed = packTelemetry(rows);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#writePacked(packed);
  }

  appendTelemetryBatches(batches: TelemetryBatch[]): Promise<void> {
    // Stored as they come: a JSON array of event objects (listTelemetry reads both layouts).
    return this.#writePacked(batches.map((b) => [b.decision_id, b.correlation_id, b.events_json]));
  }

  #writePacked(packed: [string, string, string][]): Promise<void> {
    if (packed.length === 0) return Promise.resolve();
    if (this.#path !== ":memory:" && this.#telemetryWorker && this.#workerUsable()) {
      return this.#workerWrite(packed);
    }
    return this.#p(() => {
      this.#tx(() => {
        const st = this.#stmt(
          "INSERT INTO telemetry_packed (decision_id, correlation_id, data) VALUES (?, ?, ?)",
        );
        for (const [d, c, data] of packed) st.run(d, c, data);
      });
    });
  }

  // Telemetry inserts run on a worker thread with its own connection (file databases only).
  // A process that may not read the worker's module (a narrow --allow-read) or whose worker died
  // writes in this thread instead: telemetry is never dropped for want of a thread.
  #workerBroken = false;
  #workerUsable(): boolean {
    if (this.#workerBroken) return false;
    if (this.#worker) return true;
    const url = new URL("./_telemetry_worker.ts", import.meta.url);
    if (url.protocol !== "file:") return true;
    const state = Deno.permissions.querySync({ name: "read", path: url }).state;
    if (state !== "granted") this.#workerBroken = true;
    return !this.#workerBroken;
  }
  #worker: Worker | null = null;
  #workerCalls = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  #workerSeq = 0;
  #workerWrite(rows: [string, string, string][]): Promise<void> {
    if (this.#closed || this.#closing) return Promise.reject(new Error("store is closed"));
    if (!this.#worker) {
      const w = new Worker(new URL("./_telemetry_worker.ts", import.meta.url).href, {
        type: "module",
      });
      w.onmessage = (e: MessageEvent) => {
        const m = e.data as { id: number; ok: boolean; error?: string };
        const call = this.#workerCalls.get(m.id);
        this.#workerCalls.delete(m.id);
        if (m.ok) call?.resolve();
        else call?.reject(new Error(m.error ?? "telemetry write failed"));
      };
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        for (const c of this.#workerCalls.values()) c.reject(new Error(e.message));
        this.#workerCalls.clear();
        this.#worker = null;
        this.#workerBroken = true;
      };
      this.#worker = w;
    }
    const id = ++this.#workerSeq;
    return new Promise<void>((resolve, reject) => {
      this.#workerCalls.set(id, { resolve, reject });
      this.#worker!.postMessage({
        type: "write",
        id,
        path: this.#path,
        synchronous: this.#synchronous,
        rows,
      });
    });
  }
  async #closeWorker(): Promise<void> {
    if (!this.#worker) return;
    const pending = [...this.#workerCalls.values()].map((c) =>
      new Promise<void>((r) => {
        const { resolve, reject } = c;
        c.resolve = () => (resolve(), r());
        c.reject = (e) => (reject(e), r());
      })
    );
    await Promise.all(pending);
    this.#worker.postMessage({ type: "close" });
    const w = this.#worker;
    this.#worker = null;
    // Give the worker a moment to close its connection cleanly, then make sure it is gone.
    await new Promise((r) => setTimeout(r, 20));
    w.terminate();
  }

  listTelemetry(query: TelemetryQuery = {}): Promise<TelemetryRow[]> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.decision_id !== undefined) {
      where.push("decision_id = ?");
      params.push(query.decision_id);
    }
    if (query.correlation_id !== undefined) {
      where.push("correlation_id = ?");
      params.push(query.correlation_id);
    }
    const limit = cap(query.limit, 100);
    // Every packed row holds at least one event, so `limit` rows hold at least `limit` events.
    const sql = `SELECT decision_id, correlation_id, data FROM (SELECT id, decision_id,
      correlation_id, data FROM telemetry_packed
      ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id DESC LIMIT ?) ORDER BY id`;
    params.push(limit);
    return this.#p(() => {
      const events = this.#all(sql, ...params).flatMap((r) => {
        const x = r as { decision_id: string; correlation_id: string; data: string };
        // Two layouts: [event_id, timestamp, event] triples, or the event objects themselves.
        const packed = JSON.parse(x.data) as (
          | [string, string, Record<string, unknown>]
          | Record<string, unknown>
        )[];
        return packed.map((p): TelemetryRow => {
          const [event_id, timestamp, event] = Array.isArray(p)
            ? p
            : [String(p.event_id ?? ""), String(p.timestamp ?? ""), p];
          return {
            event_id,
            decision_id: x.decision_id,
            correlation_id: x.correlation_id,
            timestamp,
            event,
          };
        });
      });
      return events.slice(Math.max(0, events.length - limit));
    });
  }
  recordDecision(row: DecisionRow): Promise<void> {
    // Grouped: decisions recorded in the same turn of the event loop share one transaction.
    return new Promise<void>((resolve, reject) => {
      this.#decisionQueue.push({ row, resolve, reject });
      if (this.#decisionQueue.length === 1) setTimeout(() => this.#flushDecisions(), 0);
    });
  }
  #flushDecisions(): void {
    const batch = this.#decisionQueue.splice(0);
    if (batch.length === 0) return;
    try {
      this.#tx(() => {
        for (const { row } of batch) {
          this.#run(
            "INSERT OR IGNORE INTO decisions (decision_id, data) VALUES (?, ?)",
            row.decision_id,
            JSON.stringify(row),
          );
        }
      });
      for (const b of batch) b.resolve();
    } catch (e) {
      for (const b of batch) b.reject(e);
    }
  }
  getDecision(decisionId: string): Promise<DecisionRow | null> {
    const row = this.#get("SELECT data FROM decisions WHERE decision_id = ?", decisionId);
    return this.#p(() => row ? parse<DecisionRow>(row) : null);
  }
  appendDecisionRecords(records: DecisionRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.#p(() => {
      const data = JSON.stringify(records);
      let lastAt = "";
      for (const r of records) if (r.timestamp > lastAt) lastAt = r.timestamp;
      this.#tx(() => {
        const top = this.#get(
          "SELECT last_seq FROM decision_records ORDER BY first_seq DESC LIMIT 1",
        ) as { last_seq: number } | undefined;
        const first = (top ? Number(top.last_seq) : 0) + 1;
        this.#run(
          "INSERT INTO decision_records (first_seq, last_seq, last_at, data) VALUES (?, ?, ?, ?)",
          first,
          first + records.length - 1,
          lastAt,
          data,
        );
      });
    });
  }
  listDecisionRecords(query: DecisionRecordQuery = {}): Promise<DecisionRecordRow[]> {
    return this.#p(() => {
      const after = Math.max(0, Math.floor(query.after_seq ?? 0));
      const since = query.since ?? "";
      const limit = cap(query.limit, 100);
      const out: DecisionRecordRow[] = [];
      let from = after;
      while (out.length < limit) {
        const rows = this.#all(
          `SELECT first_seq, last_seq, data FROM decision_records
           WHERE last_seq > ? AND last_at >= ? ORDER BY first_seq LIMIT 4`,
          from,
          since,
        ) as { first_seq: number; last_seq: number; data: string }[];
        if (rows.length === 0) break;
        for (const row of rows) {
          const first = Number(row.first_seq);
          const list = JSON.parse(row.data) as DecisionRecord[];
          for (let i = 0; i < list.length && out.length < limit; i++) {
            const seq = first + i;
            if (seq <= after || list[i].timestamp < since) continue;
            out.push({ seq, record: list[i] });
          }
          from = Number(row.last_seq);
          if (out.length >= limit) break;
        }
      }
      return out;
    });
  }
  createAlert(row: AlertRow): Promise<void> {
    return this.#p(() => {
      this.#run(
        "INSERT INTO alerts (alert_id, created_at, acknowledged_at, data) VALUES (?, ?, ?, ?)",
        row.alert_id,
        row.created_at,
        row.acknowledged_at,
        JSON.stringify(row),
      );
    });
  }
  listAlerts(filter: { acknowledged?: boolean; limit?: number } = {}): Promise<AlertRow[]> {
    const where = filter.acknowledged === undefined
      ? ""
      : filter.acknowledged
      ? "WHERE acknowledged_at IS NOT NULL"
      : "WHERE acknowledged_at IS NULL";
    return this.#p(() =>
      this.#all(
        `SELECT data FROM alerts ${where} ORDER BY created_at DESC, alert_id DESC LIMIT ?`,
        cap(filter.limit, 100),
      ).map((r) => parse<AlertRow>(r))
    );
  }
  acknowledgeAlert(alertId: string, by: string, at: string): Promise<AlertRow | null> {
    return this.#p(() =>
      this.#tx(() => {
        const row = this.#get("SELECT data FROM alerts WHERE alert_id = ?", alertId);
        if (!row) return null;
        const a = parse<AlertRow>(row);
        if (a.acknowledged_at !== null) return a;
        const next: AlertRow = { ...a, acknowledged_at: at, acknowledged_by: by };
        this.#run(
          "UPDATE alerts SET acknowledged_at = ?, data = ? WHERE alert_id = ?",
          at,
          JSON.stringify(next),
          alertId,
        );
        return next;
      })
    );
  }
}

/**
 * Open (creating if needed) and migrate a SQLite store.
 *
 * @example
 * ```ts
 * import { openSqliteStore } from "./mod.ts";
 * const store = await openSqliteStore(":memory:");
 * await store.close();
 * ```
 */
export async function openSqliteStore(
  path: string,
  options: SqliteStoreOptions = {},
): Promise<HallStore> {
  const store = new SqliteStore(path, options);
  await store.migrate();
  return store;
}
