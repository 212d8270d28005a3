/**
 * The SQLite store's schema: its ordered migrations and the step that applies the pending ones.
 * Each row is kept as JSON next to the few columns queries filter on.
 *
 * @module
 */

import type { SqliteDb } from "./db.ts";
import { SQLITE_PAGE_INDEXES, SQLITE_WORKER_CAPABILITIES } from "./pages.ts";
import { SQLITE_GATEWAY_PINS } from "./pins.ts";
import { PACKED_TENANT } from "./telemetry.ts";

/** DDL of the receipt tree table (migration 4, and its rebuild from the first form). */
export const RECEIPT_TREE = `
  CREATE TABLE IF NOT EXISTS receipt_tree (
    tenant_id TEXT NOT NULL, pos INTEGER NOT NULL, hash BLOB NOT NULL,
    PRIMARY KEY (tenant_id, pos)) WITHOUT ROWID;
  `;

/** Migration n is `MIGRATIONS[n - 1]`; each runs once, in order. */
export const MIGRATIONS: string[] = [
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
  // 3: separation of duties (docs/protocol/trust.md#separation-of-duties): the principal ids of who
  // raised and who resolved a hold as columns; in the JSON, requested_by (null for older rows) and
  // resolved_by as {principal_id, label} (an older row's token id, with its token's label when
  // known)
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
  // 7: keyset pages of every list (issue 14 item 2): an index per list order and filter
  SQLITE_PAGE_INDEXES,
  // 8: the MCP gateway's tool pins (issue 13 item 2): one compare-and-set row per gateway
  SQLITE_GATEWAY_PINS,
  // 9: the workers of each capability in page order (GET /wcp/workers?capability=, issue 14)
  SQLITE_WORKER_CAPABILITIES,
  // 10: telemetry by tenant from an index (a namespace token's /wcp/telemetry is always filtered
  // by its tenant: without it, a tenant with few events made every page a scan of the table on
  // the thread that serves requests). On the expression the query filters by, computed from the
  // stored events (nothing to keep in step); re-runnable as it stands.
  `CREATE INDEX IF NOT EXISTS telemetry_packed_tenant ON telemetry_packed(${PACKED_TENANT}, id);`,
];

/** The highest applied migration (0 on a new file). */
export function currentVersion(db: SqliteDb): number {
  const exists = db.get(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'wcp_migrations'",
  );
  if (!exists) return 0;
  const row = db.get("SELECT MAX(version) AS v FROM wcp_migrations") as { v: number | null };
  return row.v ?? 0;
}

/**
 * Apply the pending migrations, inside the caller's transaction (after creating the migrations
 * table, which the caller does outside it).
 */
export function applyMigrations(db: SqliteDb): void {
  const current = currentVersion(db);
  for (let v = current + 1; v <= MIGRATIONS.length; v++) {
    db.exec(MIGRATIONS[v - 1]);
    db.run(
      "INSERT INTO wcp_migrations (version, applied_at) VALUES (?, ?)",
      v,
      new Date().toISOString(),
    );
  }
  // A receipt_tree of this migration's first form (keyed by level and index; in main for an
  // hour) is rebuilt in the current one.
  const cols = db.all("PRAGMA table_info(receipt_tree)") as { name: string }[];
  if (cols.some((c) => c.name === "level")) {
    db.exec(`DROP TABLE receipt_tree; ${RECEIPT_TREE}`);
  }
}

/** Create the migrations table (outside any transaction). */
export function ensureMigrationsTable(db: SqliteDb): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS wcp_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
  );
}
