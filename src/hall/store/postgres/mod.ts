/**
 * PostgreSQL implementation of the hall store, for several hall instances sharing one database.
 *
 * Safety across instances comes from the database, never from process memory:
 * - a tenant's receipt chain is appended inside one transaction that first locks the tenant's
 *   chain-head row (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, which takes the row lock and
 *   reads the head in one round trip), and `PRIMARY KEY (tenant_id, seq)` plus
 *   `UNIQUE (tenant_id, prev_receipt_hash)` on the receipts guard against a fork even if the
 *   lock were bypassed;
 * - approval transitions are single conditional `UPDATE … WHERE status = … RETURNING`, so exactly
 *   one instance wins a resolve, a consume or an expiry, and an approval consumed and expired at
 *   the same moment ends up as exactly one of the two;
 * - migrations run under a transaction-scoped advisory lock, so racing instances apply them once.
 *
 * Times are stored as `text COLLATE "C"` (RFC 3339 UTC sorts bytewise) and JSON blobs as text, so
 * rows come back byte-for-byte as written, whatever the database's default collation.
 *
 * `PostgresStore` is the one object the hall holds: a thin class over per-concern repositories
 * that share the pool (`db.ts`): schema and migrations (`schema.ts`), meta rows and counts
 * (`meta.ts`), registry rows (`registry.ts`), tenancy rows (`tenancy.ts`), approvals
 * (`approvals.ts`), receipt chains (`receipts.ts`) and their trees (`receipt_tree.ts`),
 * telemetry (`telemetry.ts`), decisions and replay records (`decisions.ts`), alerts
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
import postgres from "postgres";
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
  StorePeerChannel,
  TelemetryBatch,
  TelemetryPageQuery,
  TelemetryQuery,
  TelemetryRow,
  TierRow,
  TokenRow,
  WorkerRow,
} from "../types.ts";
import type { DecisionRecord } from "../../../decision/simulate.ts";
import { ident, num, type Sql } from "./db.ts";
import { migrate, migrationVersion } from "./schema.ts";
import { PgMeta } from "./meta.ts";
import { PgRegistry } from "./registry.ts";
import { PgTenancy } from "./tenancy.ts";
import { PgApprovals } from "./approvals.ts";
import { PgReceipts } from "./receipts.ts";
import { PgTelemetry } from "./telemetry.ts";
import { PgDecisions } from "./decisions.ts";
import { PgAlerts } from "./alerts.ts";
import { PgPins } from "./pins.ts";
import { PgPages } from "./pages.ts";

export { ReceiptChainError } from "./receipts.ts";

/** Options for {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Schema to keep the tables in (created by `migrate`); default: the connection's search_path. */
  schema?: string;
  /** Maximum pooled connections per instance; default 10. */
  max?: number;
  /** Apply pending migrations before returning (like the SQLite store); default true. */
  migrate?: boolean;
  /** Seconds to wait for a connection; default 10. */
  connectTimeoutSeconds?: number;
}

/**
 * The hall store on PostgreSQL. Create it with {@link openPostgresStore}; call `migrate()` once
 * per start (racing instances are fine).
 *
 * @example
 * ```ts ignore
 * const store = await openPostgresStore("postgres://hall@127.0.0.1:5432/hall");
 * await store.migrate();
 * console.log(await store.counts());
 * await store.close();
 * ```
 */
export class PostgresStore implements HallStore {
  /** Always `postgres`. */
  readonly backend = "postgres" as const;
  readonly #sql: Sql;
  readonly #schema: string | undefined;
  readonly #meta: PgMeta;
  readonly #registry: PgRegistry;
  readonly #tenancy: PgTenancy;
  readonly #approvals: PgApprovals;
  readonly #receipts: PgReceipts;
  readonly #telemetry: PgTelemetry;
  readonly #decisions: PgDecisions;
  readonly #alerts: PgAlerts;
  readonly #pins: PgPins;
  readonly #pages: PgPages;

  /** Wraps a connection pool (use {@link openPostgresStore} to build one from a URL). */
  constructor(sql: Sql, schema?: string) {
    this.#sql = sql;
    this.#schema = schema;
    this.#meta = new PgMeta(sql);
    this.#registry = new PgRegistry(sql);
    this.#tenancy = new PgTenancy(sql);
    this.#approvals = new PgApprovals(sql);
    this.#receipts = new PgReceipts(sql);
    this.#telemetry = new PgTelemetry(sql);
    this.#decisions = new PgDecisions(sql);
    this.#alerts = new PgAlerts(sql);
    this.#pins = new PgPins(sql);
    this.#pages = new PgPages(sql);
  }

  /**
   * LISTEN/NOTIFY between the instances on this database and schema. The driver keeps the LISTEN
   * on a connection of its own and renews it after a reconnect; `close()` of the store ends it.
   */
  async openPeerChannel(onMessage: (payload: string) => void): Promise<StorePeerChannel> {
    const channel = `wcp_hall${this.#schema ? `_${this.#schema}` : ""}`.slice(0, 63);
    let open = true;
    const { unlisten } = await this.#sql.listen(channel, (payload) => {
      if (open) onMessage(payload);
    });
    return {
      send: async (payload) => {
        await this.#sql`select pg_notify(${channel}, ${payload})`;
      },
      close: async () => {
        open = false;
        await unlisten().catch(() => {});
      },
    };
  }

  // ---- lifecycle ----
  migrate(): Promise<void> {
    return migrate(this.#sql, this.#schema);
  }
  migrationVersion(): Promise<number> {
    return migrationVersion(this.#sql);
  }
  probeWrite(): Promise<void> {
    return this.#meta.probeWrite();
  }
  async ping(): Promise<boolean> {
    try {
      const [r] = await this.#sql`select 1 as ok`;
      return num(r.ok) === 1;
    } catch {
      return false;
    }
  }
  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
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
  createApproval(row: ApprovalRow): Promise<void> {
    return this.#approvals.createApproval(row);
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
    refs: readonly { level: number; index: number }[],
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
  listTelemetry(query?: TelemetryQuery): Promise<TelemetryRow[]> {
    return this.#telemetry.listTelemetry(query);
  }
  pageTelemetry(query: TelemetryPageQuery): Promise<KeyedPage<TelemetryRow>> {
    return this.#telemetry.pageTelemetry(query);
  }
  recordDecision(row: DecisionRow): Promise<void> {
    return this.#decisions.recordDecision(row);
  }
  /**
   * Remember many decisions in one statement per 1,000 rows (duplicates ignored), so a telemetry
   * flush costs one round trip instead of one per decision.
   */
  recordDecisions(rows: DecisionRow[]): Promise<void> {
    return this.#decisions.recordDecisions(rows);
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
 * Opens a connection pool to `url` (`postgres://` or `postgresql://`) and checks that the server
 * answers (throws an error naming host, port and database when it does not), then applies pending
 * migrations unless `migrate: false`.
 *
 * @example
 * ```ts ignore
 * const store = await openPostgresStore(Deno.env.get("WCP_DATABASE_URL")!);
 * await store.migrate();
 * ```
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new Error("database URL must start with postgres:// or postgresql://");
  }
  if (options.schema !== undefined) ident(options.schema);
  const sql = postgres(url, {
    // Settings given here are not looked up in PG* environment variables, so the hall needs only
    // `--allow-env=PGAPPNAME,PGPASSWORD` (plus PGHOST, PGPORT, PGUSER, PGDATABASE for what the
    // URL omits). A URL's own query parameters (sslmode, …) are honoured.
    ...driverDefaults(url),
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    onnotice: () => {},
    // int8 columns come back as strings; the row mappers convert them with num().
    connection: options.schema
      ? { search_path: `${ident(options.schema)}`, application_name: "wcp-hall" }
      : { application_name: "wcp-hall" },
  });
  const store = new PostgresStore(sql, options.schema);
  try {
    await sql`select 1`;
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    const where = safeHost(url);
    throw new Error(`cannot reach PostgreSQL at ${where}: ${(e as Error).message}`);
  }
  if (options.migrate ?? true) await store.migrate();
  return store;
}

/** Driver defaults the URL does not set, so that the driver does not read them from PG* vars. */
function driverDefaults(url: string): Record<string, unknown> {
  let query: URLSearchParams;
  try {
    query = new URL(url).searchParams;
  } catch {
    throw new Error("database URL is not a valid URL (postgres://user@host:port/database)");
  }
  const defaults: Record<string, unknown> = {
    ssl: false,
    sslnegotiation: null,
    // Reconnect backoff in seconds: jittered, growing, capped at 20 s.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 20),
    idle_timeout: 0,
    max_lifetime: 60 * (30 + Math.random() * 30),
    max_pipeline: 100,
    keep_alive: 60,
    prepare: true,
    debug: false,
    fetch_types: true,
    publications: "alltables",
    target_session_attrs: "read-write",
  };
  if (query.has("sslmode")) delete defaults.ssl;
  for (const k of query.keys()) delete defaults[k];
  return defaults;
}

/** host:port/db of a URL without credentials, for error messages. */
function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "(unparsable URL)";
  }
}
