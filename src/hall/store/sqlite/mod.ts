/**
 * Embedded SQLite store for the hall (`node:sqlite` `DatabaseSync`, WAL journal). Each row is kept
 * as JSON next to the few columns queries filter on, so the schema stays small and the row types
 * of `HallStore` are the single source of truth.
 *
 * `SqliteStore` is the one object the hall holds: a thin class over per-concern repositories that
 * share one connection (`db.ts`): schema and migrations (`schema.ts`), meta rows and counts
 * (`meta.ts`), registry rows (`registry.ts`: workers, bans, registry changes), tenancy rows
 * (`tenancy.ts`: tokens, namespaces, tiers), approvals (`approvals.ts`), receipt chains
 * (`receipts.ts`) and their trees (`receipt_tree.ts`), telemetry (`telemetry.ts`, written on the
 * thread of `_telemetry_worker.ts`), decisions and replay records (`decisions.ts`), alerts
 * (`alerts.ts`) and the MCP gateway's tool pins (`pins.ts`).
 *
 * @module
 */

import type {
  AlertPageQuery,
  ApprovalPageQuery,
  ApprovalSummaryRow,
  BanPageQuery,
  KeyedPage,
  NamespacePageQuery,
  PageQuery,
  ReceiptPageQuery,
  WorkerPageQuery,
} from "../types.ts";
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
  DecisionRecordTexts,
  DecisionRow,
  GatewayPinsRow,
  HallStore,
  NamespaceRow,
  ReceiptQuery,
  ReceiptRow,
  RegistryChanges,
  StoreCounts,
  TelemetryBatch,
  TelemetryPageQuery,
  TelemetryQuery,
  TelemetryRow,
  TierRow,
  TokenRow,
  WorkerRow,
} from "../types.ts";
import type { DecisionRecord } from "../../../decision/simulate.ts";
import type { TreeNodeRef } from "../../../receipts/stored_tree.ts";
import { type FileSyncer, promised, SqliteDb } from "./db.ts";
import { applyMigrations, currentVersion, ensureMigrationsTable } from "./schema.ts";
import { SqliteMeta } from "./meta.ts";
import { SqliteRegistry } from "./registry.ts";
import { SqliteTenancy } from "./tenancy.ts";
import { SqliteApprovals } from "./approvals.ts";
import { SqliteReceiptTree } from "./receipt_tree.ts";
import { SqliteReceipts } from "./receipts.ts";
import { SqliteTelemetry, type TelemetryWriter } from "./telemetry.ts";
import { SqliteDecisions } from "./decisions.ts";
import { SqliteAlerts } from "./alerts.ts";
import { SqlitePins } from "./pins.ts";
import { SqlitePages } from "./pages.ts";

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** `FULL` (default: every commit is fsynced) or `NORMAL` (faster; survives a process crash). */
  synchronous?: "FULL" | "NORMAL";
  /** Write telemetry on a worker thread (file databases; default true). */
  telemetryWorker?: boolean;
  /**
   * How the WAL file is flushed to the disk before a receipt is acknowledged (`synchronous`
   * FULL): default `fdatasync` off the event loop (`FsFile.syncData`). Tests pass their own.
   */
  fileSyncer?: FileSyncer;
}

/** `HallStore` over one SQLite file (or `:memory:`). */
export class SqliteStore implements HallStore {
  readonly backend = "sqlite" as const;
  readonly #db: SqliteDb;
  readonly #meta: SqliteMeta;
  readonly #registry: SqliteRegistry;
  readonly #tenancy: SqliteTenancy;
  readonly #approvals: SqliteApprovals;
  readonly #tree: SqliteReceiptTree;
  readonly #receipts: SqliteReceipts;
  readonly #telemetry: SqliteTelemetry;
  readonly #decisions: SqliteDecisions;
  readonly #alerts: SqliteAlerts;
  readonly #pins: SqlitePins;
  readonly #pages: SqlitePages;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    const db = new SqliteDb(path, options.synchronous ?? "FULL", options.fileSyncer);
    this.#db = db;
    this.#meta = new SqliteMeta(db);
    this.#registry = new SqliteRegistry(db);
    this.#tenancy = new SqliteTenancy(db);
    this.#approvals = new SqliteApprovals(db);
    this.#tree = new SqliteReceiptTree(db);
    this.#receipts = new SqliteReceipts(db, this.#tree);
    this.#telemetry = new SqliteTelemetry(db, options.telemetryWorker ?? true);
    this.#decisions = new SqliteDecisions(db, this.#telemetry);
    this.#alerts = new SqliteAlerts(db);
    this.#pins = new SqlitePins(db);
    this.#pages = new SqlitePages(db);
  }

  // ---- lifecycle ----
  migrate(): Promise<void> {
    return promised(() => {
      ensureMigrationsTable(this.#db);
      this.#db.tx(() => {
        applyMigrations(this.#db);
        // Chains written before the tree existed (or by an older hall) get their tree now.
        for (const tenant of this.#receipts.tenants()) this.#tree.catchUp(tenant);
      });
    });
  }
  migrationVersion(): Promise<number> {
    return promised(() => currentVersion(this.#db));
  }
  probeWrite(): Promise<void> {
    return this.#meta.probeWrite();
  }
  ping(): Promise<boolean> {
    if (this.#db.closed) return promised(() => false);
    try {
      this.#db.get("SELECT 1 AS one");
      return promised(() => true);
    } catch {
      return promised(() => false);
    }
  }
  async close(): Promise<void> {
    if (this.#db.closed || this.#db.closing) return;
    this.#db.closing = true;
    this.#decisions.flush();
    await this.#telemetry.closeWorker();
    await this.#receipts.settled();
    await this.#db.flushed();
    this.#db.close();
  }
  counts(): Promise<StoreCounts> {
    return this.#meta.counts();
  }

  // ---- meta ----
  getMeta(key: string): Promise<string | null> {
    return this.#meta.getMeta(key);
  }
  setMetaIfAbsent(key: string, value: string): Promise<string> {
    return this.#meta.setMetaIfAbsent(key, value);
  }

  // ---- workers ----
  putWorker(row: WorkerRow): Promise<void> {
    return this.#registry.putWorker(row);
  }
  getWorker(workerId: string): Promise<WorkerRow | null> {
    return this.#registry.getWorker(workerId);
  }
  listWorkers(filter?: { namespace?: string }): Promise<WorkerRow[]> {
    return this.#registry.listWorkers(filter);
  }
  countActiveWorkers(namespace: string): Promise<number> {
    return this.#registry.countActiveWorkers(namespace);
  }
  revokeWorker(workerId: string, at: string): Promise<boolean> {
    return this.#registry.revokeWorker(workerId, at);
  }
  listRegistryChanges(since: number, limit?: number): Promise<RegistryChanges> {
    return this.#registry.listRegistryChanges(since, limit);
  }

  // ---- tokens, namespaces, tiers ----
  createToken(row: TokenRow): Promise<void> {
    return this.#tenancy.createToken(row);
  }
  findToken(tokenHash: string): Promise<TokenRow | null> {
    return this.#tenancy.findToken(tokenHash);
  }
  listTokens(): Promise<TokenRow[]> {
    return this.#tenancy.listTokens();
  }
  revokeTokenKeepingAdmin(
    tokenId: string,
    at: string,
  ): Promise<"revoked" | "unknown" | "last_admin"> {
    return this.#tenancy.revokeTokenKeepingAdmin(tokenId, at);
  }
  revokeToken(tokenId: string, at: string): Promise<boolean> {
    return this.#tenancy.revokeToken(tokenId, at);
  }
  putNamespace(row: NamespaceRow): Promise<void> {
    return this.#tenancy.putNamespace(row);
  }
  getNamespace(namespace: string): Promise<NamespaceRow | null> {
    return this.#tenancy.getNamespace(namespace);
  }
  listNamespaces(): Promise<NamespaceRow[]> {
    return this.#tenancy.listNamespaces();
  }
  putTier(row: TierRow): Promise<void> {
    return this.#tenancy.putTier(row);
  }
  getTier(tier: string): Promise<TierRow | null> {
    return this.#tenancy.getTier(tier);
  }
  listTiers(): Promise<TierRow[]> {
    return this.#tenancy.listTiers();
  }

  // ---- ban list ----
  reportBan(row: BanRow): Promise<BanRow> {
    return this.#registry.reportBan(row);
  }
  confirmBan(sha256: string, by: string, at: string): Promise<BanRow | null> {
    return this.#registry.confirmBan(sha256, by, at);
  }
  reviewBan(
    sha256: string,
    to: "rejected" | "lifted",
    by: string,
    at: string,
    note: string | null,
  ): Promise<BanRow | null> {
    return this.#registry.reviewBan(sha256, to, by, at, note);
  }
  getBan(sha256: string): Promise<BanRow | null> {
    return this.#registry.getBan(sha256);
  }
  listBans(filter?: { status?: BanRow["status"] }): Promise<BanRow[]> {
    return this.#registry.listBans(filter);
  }

  // ---- approvals ----
  createApproval(row: ApprovalRow, decisionJson?: string): Promise<void> {
    return this.#approvals.createApproval(row, decisionJson);
  }
  getApproval(approvalId: string): Promise<ApprovalRow | null> {
    return this.#approvals.getApproval(approvalId);
  }
  listApprovals(filter?: { status?: ApprovalStatus; tenant_id?: string }): Promise<ApprovalRow[]> {
    return this.#approvals.listApprovals(filter);
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
    return this.#approvals.resolveApproval(approvalId, r);
  }
  escalateApproval(
    approvalId: string,
    e: { supervisor_level: string; at: string; expires_at: string },
  ): Promise<ApprovalRow | null> {
    return this.#approvals.escalateApproval(approvalId, e);
  }
  expireApprovals(now: string): Promise<ApprovalRow[]> {
    return this.#approvals.expireApprovals(now);
  }
  consumeApproval(approvalId: string, at: string): Promise<ApprovalRow | null> {
    return this.#approvals.consumeApproval(approvalId, at);
  }

  // ---- receipts ----
  appendReceipt(
    tenantId: string,
    build: (link: ChainLink) => BuiltReceipt | Promise<BuiltReceipt>,
  ): Promise<ReceiptRow> {
    return this.#receipts.appendReceipt(tenantId, build);
  }
  listReceipts(query?: ReceiptQuery): Promise<ReceiptRow[]> {
    return this.#receipts.listReceipts(query);
  }
  tenantChain(
    tenantId: string,
    options?: { fromSeq?: number; limit?: number },
  ): Promise<ReceiptRow[]> {
    return this.#receipts.tenantChain(tenantId, options);
  }
  receiptTenants(): Promise<string[]> {
    return this.#receipts.receiptTenants();
  }
  putCheckpoint(row: CheckpointRow): Promise<void> {
    return this.#receipts.putCheckpoint(row);
  }
  listCheckpoints(tenantId: string): Promise<CheckpointRow[]> {
    return this.#receipts.listCheckpoints(tenantId);
  }
  latestCheckpoint(
    tenantId: string,
    range?: { minSize?: number; maxSize?: number },
  ): Promise<CheckpointRow | null> {
    return this.#receipts.latestCheckpoint(tenantId, range);
  }
  chainHead(tenantId: string): Promise<ReceiptRow | null> {
    return this.#receipts.chainHead(tenantId);
  }
  getReceipt(tenantId: string, receiptId: string): Promise<ReceiptRow | null> {
    return this.#receipts.getReceipt(tenantId, receiptId);
  }
  receiptTreeSize(tenantId: string): Promise<number> {
    return this.#receipts.receiptTreeSize(tenantId);
  }
  receiptTreeNodes(
    tenantId: string,
    refs: readonly TreeNodeRef[],
  ): Promise<(Uint8Array | null)[]> {
    return this.#receipts.receiptTreeNodes(tenantId, refs);
  }

  // ---- telemetry, decisions, alerts ----
  appendTelemetry(rows: TelemetryRow[]): Promise<void> {
    return this.#telemetry.appendTelemetry(rows);
  }
  appendTelemetryBatches(batches: TelemetryBatch[]): Promise<void> {
    return this.#telemetry.appendTelemetryBatches(batches);
  }
  /** Where telemetry is written: its own thread, or (why) the serving thread. */
  telemetryWriter(): TelemetryWriter {
    return this.#telemetry.writer();
  }
  listTelemetry(query?: TelemetryQuery): Promise<TelemetryRow[]> {
    return this.#telemetry.listTelemetry(query);
  }
  pageTelemetry(query: TelemetryPageQuery): Promise<KeyedPage<TelemetryRow>> {
    return this.#telemetry.pageTelemetry(query);
  }
  recordDecision(row: DecisionRow): Promise<void> {
    return this.#decisions.recordDecision(row);
  }
  getDecision(decisionId: string): Promise<DecisionRow | null> {
    return this.#decisions.getDecision(decisionId);
  }
  appendDecisionRecords(records: DecisionRecord[]): Promise<void> {
    return this.#decisions.appendDecisionRecords(records);
  }
  appendDecisionRecordTexts(batch: DecisionRecordTexts): Promise<void> {
    return this.#decisions.appendDecisionRecordTexts(batch);
  }
  listDecisionRecords(query?: DecisionRecordQuery): Promise<DecisionRecordRow[]> {
    return this.#decisions.listDecisionRecords(query);
  }
  createAlert(row: AlertRow): Promise<void> {
    return this.#alerts.createAlert(row);
  }
  listAlerts(filter?: { acknowledged?: boolean; limit?: number }): Promise<AlertRow[]> {
    return this.#alerts.listAlerts(filter);
  }
  acknowledgeAlert(alertId: string, by: string, at: string): Promise<AlertRow | null> {
    return this.#alerts.acknowledgeAlert(alertId, by, at);
  }

  // ---- the MCP gateway's tool pins ----
  getGatewayPins(name: string): Promise<GatewayPinsRow | null> {
    return this.#pins.getGatewayPins(name);
  }
  putGatewayPins(name: string, expected: number, data: string, at: string): Promise<boolean> {
    return this.#pins.putGatewayPins(name, expected, data, at);
  }

  // ---- keyset pages (pages.ts) ----
  pageWorkers(q: WorkerPageQuery): Promise<KeyedPage<WorkerRow>> {
    return this.#pages.pageWorkers(q);
  }
  pageApprovals(q: ApprovalPageQuery): Promise<KeyedPage<ApprovalSummaryRow>> {
    return this.#pages.pageApprovals(q);
  }
  pageBans(q: BanPageQuery): Promise<KeyedPage<BanRow>> {
    return this.#pages.pageBans(q);
  }
  pageTokens(q: PageQuery): Promise<KeyedPage<TokenRow>> {
    return this.#pages.pageTokens(q);
  }
  pageNamespaces(q: NamespacePageQuery): Promise<KeyedPage<NamespaceRow>> {
    return this.#pages.pageNamespaces(q);
  }
  pageAlerts(q: AlertPageQuery): Promise<KeyedPage<AlertRow>> {
    return this.#pages.pageAlerts(q);
  }
  pageReceipts(q: ReceiptPageQuery): Promise<KeyedPage<ReceiptRow>> {
    return this.#pages.pageReceipts(q);
  }
  pageReceiptTenants(q: PageQuery): Promise<KeyedPage<string>> {
    return this.#pages.pageReceiptTenants(q);
  }
  pageCheckpoints(tenantId: string, q: PageQuery): Promise<KeyedPage<CheckpointRow>> {
    return this.#pages.pageCheckpoints(tenantId, q);
  }
  pageTiers(q: PageQuery): Promise<KeyedPage<TierRow>> {
    return this.#pages.pageTiers(q);
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
