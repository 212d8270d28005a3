/**
 * The hall's persistence contract. Two implementations, siblings of this file, each split by
 * concern: embedded SQLite (`sqlite/mod.ts`) and PostgreSQL (`postgres/mod.ts`). Both must pass
 * `runStoreContract` in `tests/hall/store_contract.ts`.
 *
 * Rules every implementation keeps:
 * - every method is async and safe to call concurrently (several hall instances may share one
 *   PostgreSQL database);
 * - state transitions that matter for safety are conditional and atomic (resolve only a pending,
 *   unexpired approval; consume an approved approval exactly once; append a receipt at the head of
 *   its tenant chain);
 * - rows are returned as plain JSON-safe objects; wire objects keep snake_case names (the rows the
 *   API sends are declared in `src/hall_wire.ts`);
 * - times are RFC 3339 UTC strings with milliseconds and `Z` (they sort lexicographically).
 *
 * @module
 */

import type { RouteDecision } from "../../model.ts";
import type { DecisionRecord } from "../../decision/simulate.ts";
import type * as wire from "../../client/wire.ts";

// Rows the API sends are declared once, in the published core (`src/hall_wire.ts`): a row here is
// that wire row, plus what only the store keeps (token hashes, attestation manifests).
/** Alert kinds the hall raises. */
export type AlertKind = wire.AlertKind;
/** Approval states. `consumed` means the approved request was dispatched (exactly once). */
export type ApprovalStatus = wire.ApprovalStatus;

/** Who raised or resolved a hold (token id and label, or an MCP session). */
export type ApprovalPrincipal = wire.ApprovalPrincipal;

/** One enrolled worker as the hall stores it (the API shows it as a `HallWorker`). */
export interface WorkerRow
  extends Omit<wire.HallWorker, "attestation_verified" | "view" | "flagged"> {
  /** Set when a tamper was detected (cleared by an admin or a verified attestation). */
  flagged: boolean;
  /** Last submitted attestation manifest (any JSON) and its verification result, or null. */
  attestation: { manifest: unknown; verified: boolean; verified_at: string; detail: string } | null;
  /** Token id that enrolled it. */
  enrolled_by: string;
}

/** A bearer token, stored hashed. The plain token is shown once and never stored. */
export interface TokenRow extends wire.HallToken {
  /** Lowercase hex SHA-256 of the plain token. */
  token_hash: string;
}

/** A signatory tenant namespace (`org.<name>` or `x.<name>`) and its tier. */
export type NamespaceRow = wire.HallNamespace;

/** Limits of a tier. */
export type TierRow = wire.HallTier;

/** One entry of the ban list. */
export type BanRow = wire.HallBan;

/** A request held for a human (spec 5.8). */
export interface ApprovalRow extends Omit<wire.HallApproval, "decision"> {
  /** The holding decision: the hall stores a `RouteDecision`; a store keeps any JSON object. */
  decision: RouteDecision | Record<string, unknown>;
}

/** Position at the head of a tenant's receipt chain, handed to the receipt builder. */
export interface ChainLink {
  /** Tenant whose chain this is. */
  tenant_id: string;
  /** Sequence number the new receipt gets: 0-based, as the receipts module counts (0 for the first). */
  seq: number;
  /** `receipt_hash` of the current head, or null for the first receipt. */
  prev_receipt_hash: string | null;
  /** The current head receipt itself (what `prepareReceipt(prev, …)` takes), or null. */
  prev_receipt: BuiltReceipt | null;
}

/** What a receipt builder returns: a complete receipt carrying at least these fields. */
export interface BuiltReceipt {
  /** UUIDv7. */
  receipt_id: string;
  /** Must equal the `ChainLink.prev_receipt_hash` the builder was given. */
  prev_receipt_hash: string | null;
  /** `sha256:…` over the canonical receipt. */
  receipt_hash: string;
  /** Correlation id of the dispatched request. */
  correlation_id: string;
  /** RFC 3339. */
  dispatched_at: string;
  /** Other receipt fields (kept verbatim). */
  [field: string]: unknown;
}

/** A stored receipt. */
export interface ReceiptRow {
  /** Tenant chain. */
  tenant_id: string;
  /** 0-based position in the tenant chain (equals `receipt.seq`); no gaps, no duplicates. */
  seq: number;
  /** Copied from the receipt. */
  receipt_id: string;
  /** Copied from the receipt. */
  receipt_hash: string;
  /** Copied from the receipt. */
  prev_receipt_hash: string | null;
  /** Copied from the receipt. */
  correlation_id: string;
  /** Decision id, when the receipt carries one (`decision_id` field), else null. */
  decision_id: string | null;
  /** Copied from the receipt. */
  dispatched_at: string;
  /** The full receipt, verbatim. */
  receipt: BuiltReceipt;
}

/** Receipt query; all filters optional, combined with AND (implementations cap `limit` at 1000). */
export type ReceiptQuery = wire.ReceiptFilter;

/** One persisted telemetry event. */
export interface TelemetryRow {
  /** Event id, e.g. `evt.os.task.routed`. */
  event_id: string;
  /** Decision it belongs to. */
  decision_id: string;
  /** Correlation id. */
  correlation_id: string;
  /** RFC 3339. */
  timestamp: string;
  /** The full event. */
  event: Record<string, unknown>;
}

/**
 * The events of one decision, already serialised once (the hall reuses the text of its response):
 * `events_json` is a JSON array of event objects, each with `event_id` and `timestamp`.
 */
export interface TelemetryBatch {
  /** Decision the events belong to. */
  decision_id: string;
  /** Correlation id. */
  correlation_id: string;
  /** JSON array of the events. */
  events_json: string;
}

/**
 * Replay records already serialised, one JSON object text each (`records[i]` is the record of
 * `decision_ids[i]`, decided at `timestamps[i]`), in order.
 */
export interface DecisionRecordTexts {
  /** The records' decision ids. */
  decision_ids: string[];
  /** The records' timestamps (RFC 3339). */
  timestamps: string[];
  /** The records, each the JSON text of one `DecisionRecord`. */
  records: string[];
}

/** Telemetry query. */
export interface TelemetryQuery {
  /** Only this decision. */
  decision_id?: string;
  /** Only this correlation id. */
  correlation_id?: string;
  /** Page size (default 100, capped at 1000). Newest last. */
  limit?: number;
}

/**
 * A page of telemetry (`pageTelemetry`, `GET /wcp/telemetry`): pages go back in time, the first
 * is the newest `limit` events, each page oldest first.
 */
export interface TelemetryPageQuery extends TelemetryQuery {
  /** Only this tenant's events (the events' `tenant_id`). */
  tenant_id?: string;
  /** Only events before this key (the previous page's `next`); absent or null: the newest. */
  before?: PageKey | null;
}

/** An operator alert; acknowledged alerts stay acknowledged. */
export type AlertRow = wire.HallAlert;

/** What the hall remembers of each decision (worker chains need the parent's chain total). */
export interface DecisionRow {
  /** Decision id. */
  decision_id: string;
  /** Parent decision id for worker chains, else null. */
  parent_decision_id: string | null;
  /** Tenant. */
  tenant_id: string;
  /** Correlation id. */
  correlation_id: string;
  /** Capability. */
  capability_id: string;
  /** `DISPATCH`, `DENY`, `STEWARD_HOLD`. */
  outcome: string;
  /** Selected worker's five-dimension score, or null. */
  blast_dimensions_score: number | null;
  /** Chain total including this decision, or null. */
  chain_blast_score: number | null;
  /** RFC 3339. */
  created_at: string;
}

/** A decision's replay record (`DecisionRecord` of `src/simulate.ts`) with its position. */
export interface DecisionRecordRow {
  /** Position in recording order, from 1. */
  seq: number;
  /** The record. */
  record: DecisionRecord;
}

/** Paging over replay records. */
export interface DecisionRecordQuery {
  /** Only records with a larger `seq` (default 0). */
  after_seq?: number;
  /** Only records decided at or after this RFC 3339 time. */
  since?: string;
  /** At most this many (default 100, cap 1000). */
  limit?: number;
}

/** A Merkle checkpoint over a prefix of a tenant chain. */
export interface CheckpointRow extends Omit<wire.HallCheckpoint, "proof"> {
  /** The hall stores a signed `Checkpoint`; a store keeps any JSON proof material. */
  proof: Record<string, unknown>;
}

/** Row counts for `/wcp/health`. */
export interface StoreCounts {
  /** Active workers. */
  workers: number;
  /** Pending approvals. */
  approvals_pending: number;
  /** All receipts. */
  receipts: number;
  /** Unacknowledged alerts. */
  alerts_open: number;
  /** Confirmed bans. */
  bans_confirmed: number;
}

/**
 * What changed in the registry (worker and ban rows) after a registry version, for a hall that
 * mirrors the store change by change (`listRegistryChanges`).
 */
export interface RegistryChanges {
  /**
   * The registry version these changes bring the caller to: the largest version among them, or
   * the `since` asked for when nothing changed. Pass it as `since` next time.
   */
  version: number;
  /** Worker rows written after `since`, as they are now, oldest change first. */
  workers: WorkerRow[];
  /** Ban rows written after `since` (any status), as they are now, oldest change first. */
  bans: BanRow[];
  /** True when the page stopped at `limit`: ask again from `version` for the rest. */
  more: boolean;
}

/** A channel between the hall instances that share a store (PostgreSQL LISTEN/NOTIFY). */
export interface StorePeerChannel {
  /** Send one message (a short JSON text) to every instance listening, this one included. */
  send(payload: string): Promise<void>;
  /** Stop listening. */
  close(): Promise<void>;
}

/** The store. Implementations: `SqliteStore` (`sqlite/mod.ts`), `PostgresStore` (`postgres/mod.ts`). */
export interface HallStore extends HallStorePages {
  /** `sqlite` or `postgres`. */
  readonly backend: "sqlite" | "postgres";

  /**
   * Listen to the other instances on this store, where the store can carry messages (PostgreSQL);
   * absent for SQLite.
   */
  openPeerChannel?(onMessage: (payload: string) => void): Promise<StorePeerChannel>;

  // ---- lifecycle ----
  /** Create tables / apply pending migrations. Idempotent; safe when several instances race. */
  migrate(): Promise<void>;
  /** Highest applied migration version (0 before `migrate`). */
  migrationVersion(): Promise<number>;
  /** Liveness probe; resolves `true` when the backend answers. */
  ping(): Promise<boolean>;
  /**
   * One small real write (the meta row `store_probe`), so the health check of a store that was
   * failing (a full disk answers reads) can tell when writes work again. Rejects when they do not.
   */
  probeWrite?(): Promise<void>;
  /** Release connections / close the file. */
  close(): Promise<void>;
  /** Row counts. */
  counts(): Promise<StoreCounts>;

  // ---- meta (small shared settings such as the receipt signing key) ----
  /** A meta value, or null. */
  getMeta(key: string): Promise<string | null>;
  /** Set `key` to `value` only if absent; returns the value now stored (first writer wins). */
  setMetaIfAbsent(key: string, value: string): Promise<string>;

  // ---- workers ----
  /**
   * Insert or replace a worker row (by `worker_id`), atomically leaving a revoked row as it is:
   * revocation is final (the hall enrols a new id instead), so a write prepared from a row read
   * before the revocation, on any instance, never brings the worker back.
   */
  putWorker(row: WorkerRow): Promise<void>;
  /** A worker, or null. */
  getWorker(workerId: string): Promise<WorkerRow | null>;
  /** All workers (optionally of one namespace), ordered by `enrolled_at`, then `worker_id`. */
  listWorkers(filter?: { namespace?: string }): Promise<WorkerRow[]>;
  /** Active (non-revoked) workers in a namespace, for tier limits. */
  countActiveWorkers(namespace: string): Promise<number>;
  /** Set status `revoked`; false when unknown or already revoked. */
  revokeWorker(workerId: string, at: string): Promise<boolean>;
  /**
   * The registry rows (workers and bans) written after registry version `since` (0: all of
   * them), oldest change first, at most `limit` rows (default 1000). Every insert or update of a
   * worker or ban row gives it the next registry version (one counter for both tables, filled by
   * the database itself, so every write path counts), and a version is visible only once every
   * smaller one is: a caller that asks again from the returned `version` misses nothing. Rows
   * are never deleted. The cost is O(changes), whatever the number of workers.
   */
  listRegistryChanges(since: number, limit?: number): Promise<RegistryChanges>;

  // ---- tokens, namespaces, tiers ----
  /** Store a token row (token_id unique, token_hash unique). */
  createToken(row: TokenRow): Promise<void>;
  /** The non-revoked token with this hash, or null. */
  findToken(tokenHash: string): Promise<TokenRow | null>;
  /** All tokens (hashes included; never expose them over the API). */
  listTokens(): Promise<TokenRow[]>;
  /** Revoke; false when unknown or already revoked. */
  revokeToken(tokenId: string, at: string): Promise<boolean>;
  /**
   * Revoke a token unless it is the last active admin token, atomically (two admins revoking each
   * other at once, on any instances, leave one): `unknown` when there is no such active token.
   */
  revokeTokenKeepingAdmin(
    tokenId: string,
    at: string,
  ): Promise<"revoked" | "unknown" | "last_admin">;
  /** Insert or replace a namespace. */
  putNamespace(row: NamespaceRow): Promise<void>;
  /** A namespace, or null. */
  getNamespace(namespace: string): Promise<NamespaceRow | null>;
  /** All namespaces ordered by name. */
  listNamespaces(): Promise<NamespaceRow[]>;
  /** Insert or replace a tier. */
  putTier(row: TierRow): Promise<void>;
  /** A tier, or null. */
  getTier(tier: string): Promise<TierRow | null>;
  /** All tiers ordered by name. */
  listTiers(): Promise<TierRow[]>;

  // ---- ban list ----
  /** Report a hash; if already present, returns the existing row unchanged. */
  reportBan(row: BanRow): Promise<BanRow>;
  /** Confirm a reported hash; null when unknown. Confirming twice keeps the first confirmation. */
  confirmBan(sha256: string, by: string, at: string): Promise<BanRow | null>;
  /**
   * Reject a reported hash (`to: "rejected"`) or lift a confirmed ban (`to: "lifted"`), in one
   * step: the row changes only while its status is `reported` (reject) or `confirmed` (lift).
   * Returns the row as it is afterwards (unchanged when its status did not allow it; the caller
   * compares `status`), or null when unknown. Doing it twice keeps the first review.
   */
  reviewBan(
    sha256: string,
    to: "rejected" | "lifted",
    by: string,
    at: string,
    note: string | null,
  ): Promise<BanRow | null>;
  /** A ban row, or null. */
  getBan(sha256: string): Promise<BanRow | null>;
  /** All bans (optionally by status) ordered by `reported_at`. */
  listBans(filter?: { status?: BanRow["status"] }): Promise<BanRow[]>;

  // ---- approvals ----
  /**
   * Insert a new pending approval. `decisionJson`, when given, is `row.decision` already
   * serialised as JSON (the route's answer): a store that keeps JSON text may use it.
   */
  createApproval(row: ApprovalRow, decisionJson?: string): Promise<void>;
  /** An approval, or null. */
  getApproval(approvalId: string): Promise<ApprovalRow | null>;
  /** Approvals with this status (all when omitted), oldest first. */
  listApprovals(filter?: { status?: ApprovalStatus; tenant_id?: string }): Promise<ApprovalRow[]>;
  /**
   * Approve or deny, atomically, only if `pending` and `expires_at > at`. Returns the updated row,
   * or null when it was not pending (already resolved, expired, unknown). When `expires_at` is
   * given (the hall gives it on approve: approval time + TTL) it replaces the row's `expires_at`,
   * so an approved request that is never dispatched expires too.
   */
  resolveApproval(
    approvalId: string,
    resolution: {
      status: "approved" | "denied";
      by: ApprovalPrincipal;
      at: string;
      note: string | null;
      expires_at?: string;
    },
  ): Promise<ApprovalRow | null>;
  /**
   * Raise the supervisor level of a pending, unexpired approval, increment `escalations` and set a
   * new `expires_at`. Returns the updated row or null.
   */
  escalateApproval(
    approvalId: string,
    escalation: { supervisor_level: string; at: string; expires_at: string },
  ): Promise<ApprovalRow | null>;
  /**
   * Mark every `pending` or `approved` (not yet dispatched) approval with `expires_at <= now` as
   * `expired`; returns those rows.
   */
  expireApprovals(now: string): Promise<ApprovalRow[]>;
  /**
   * Atomically move `approved` -> `consumed` (exactly once across all instances) if
   * `expires_at > at`. Returns the consumed row, or null when it was not `approved` (pending,
   * denied, already consumed) or its approval has expired.
   */
  consumeApproval(approvalId: string, at: string): Promise<ApprovalRow | null>;

  // ---- receipts (one hash chain per tenant) ----
  /**
   * Append at the head of `tenantId`'s chain. Inside one atomic section (a transaction holding a
   * per-tenant lock: `pg_advisory_xact_lock(hashtext(tenant))` or `SELECT … FOR UPDATE` on a
   * chain-head row in PostgreSQL; `BEGIN IMMEDIATE` plus an in-process mutex in SQLite) the store
   * reads the head, calls `build` with the next `seq` and the head's `receipt_hash`, checks that the
   * built receipt's `prev_receipt_hash` equals it, and inserts the row. Concurrent appends (from
   * any number of instances) therefore give a linear chain with no fork and no gap. `build` may be
   * async (signing) and must not call the store. When this resolves, the receipt is durable.
   */
  appendReceipt(
    tenantId: string,
    build: (link: ChainLink) => BuiltReceipt | Promise<BuiltReceipt>,
  ): Promise<ReceiptRow>;
  /** Receipts matching a query, ordered by (`tenant_id`, `seq`). */
  listReceipts(query?: ReceiptQuery): Promise<ReceiptRow[]>;
  /** A tenant's chain from `fromSeq` (default 0), ordered by `seq`, at most `limit` rows (default all). */
  tenantChain(
    tenantId: string,
    options?: { fromSeq?: number; limit?: number },
  ): Promise<ReceiptRow[]>;
  /** Tenants that have at least one receipt, sorted. */
  receiptTenants(): Promise<string[]>;
  /** Store a checkpoint (replace one with the same tenant and tree_size). */
  putCheckpoint(row: CheckpointRow): Promise<void>;
  /** A tenant's checkpoints, oldest first. */
  listCheckpoints(tenantId: string): Promise<CheckpointRow[]>;
  /** The newest checkpoint of a tenant with `minSize <= tree_size <= maxSize`, or null. */
  latestCheckpoint(
    tenantId: string,
    range?: { minSize?: number; maxSize?: number },
  ): Promise<CheckpointRow | null>;
  /** The last receipt of a tenant chain, or null for an empty chain. */
  chainHead(tenantId: string): Promise<ReceiptRow | null>;
  /** One receipt of a tenant chain by its id, or null. */
  getReceipt(tenantId: string, receiptId: string): Promise<ReceiptRow | null>;

  // ---- the RFC 6962 Merkle tree of each chain (`src/receipts/_stored_tree.ts`) ----
  // Every complete subtree (level, index) is stored (PostgreSQL: written in the append's
  // transaction; SQLite: derived from committed receipts in bulk, and brought up to the chain's
  // head before any read; both backfilled by `migrate`), so a proof reads O(log n) nodes.
  /**
   * Leaves the stored tree covers: the chain's length, unless a stored receipt is malformed or
   * missing (the tree stops before it) or an older hall appended without a tree.
   */
  receiptTreeSize(tenantId: string): Promise<number>;
  /** Hashes (32 bytes) of stored complete subtrees, in the order asked; null when not stored. */
  receiptTreeNodes(
    tenantId: string,
    nodes: readonly { level: number; index: number }[],
  ): Promise<(Uint8Array | null)[]>;

  // ---- telemetry, decisions, alerts ----
  /** Append events (one transaction). */
  appendTelemetry(rows: TelemetryRow[]): Promise<void>;
  /**
   * Optional: append pre-serialised per-decision batches (one transaction) without parsing or
   * re-serialising them. `listTelemetry` returns their events like any others.
   */
  appendTelemetryBatches?(batches: TelemetryBatch[]): Promise<void>;
  /** Events matching a query, in insertion order (the newest `limit`). */
  listTelemetry(query?: TelemetryQuery): Promise<TelemetryRow[]>;
  /**
   * A page of events before `before` (the newest `limit` when absent), oldest first; `next`
   * (the key of the page's oldest event, a pair of integers) when older events match.
   */
  pageTelemetry(query: TelemetryPageQuery): Promise<KeyedPage<TelemetryRow>>;
  /**
   * Remember a decision (insert; ignore a duplicate decision_id). When this resolves every
   * instance sees the row; it is durable no later than a receipt appended after that.
   */
  recordDecision(row: DecisionRow): Promise<void>;
  /** A decision row, or null. */
  getDecision(decisionId: string): Promise<DecisionRow | null>;
  /** Keep replay records of decisions, in this order (one transaction; for `/wcp/simulate`). */
  appendDecisionRecords(records: DecisionRecord[]): Promise<void>;
  /**
   * Optional: `appendDecisionRecords` for records already serialised (the hall's recorder makes
   * the text when it decides), stored as they are, without parsing or re-serialising them.
   */
  appendDecisionRecordTexts?(batch: DecisionRecordTexts): Promise<void>;
  /** Replay records after `after_seq` (default 0), oldest first, at most `limit` (cap 1000). */
  listDecisionRecords(query?: DecisionRecordQuery): Promise<DecisionRecordRow[]>;
  /** Insert an alert. */
  createAlert(row: AlertRow): Promise<void>;
  /** Alerts, newest first; `acknowledged: false` gives only open ones. */
  listAlerts(filter?: { acknowledged?: boolean; limit?: number }): Promise<AlertRow[]>;
  /** Acknowledge (first acknowledgement wins); null when unknown. */
  acknowledgeAlert(alertId: string, by: string, at: string): Promise<AlertRow | null>;

  // ---- the MCP gateway's tool pins (`mcp/gateway/pins.ts`, `StorePinStore` over `PinRows`) ----
  /**
   * The pins of gateway `name`: the document as JSON text, its version (1 after the first write,
   * one more per write) and when it was written; null before the first write.
   */
  getGatewayPins(name: string): Promise<GatewayPinsRow | null>;
  /**
   * Compare-and-set the pins of gateway `name`: stores `data` (JSON text) as version
   * `expected + 1` only if the stored version is `expected` (0: no row yet), in one atomic step
   * across every instance on the store; false when another writer got there first (read again
   * and retry). Refuses a bad name, version, JSON text or time with a `WcpError`
   * (`GATEWAY_PINS_INVALID`, `path` naming the argument).
   */
  putGatewayPins(name: string, expected: number, data: string, at: string): Promise<boolean>;
}

/** One gateway's stored pins (`HallStore.getGatewayPins`). */
export interface GatewayPinsRow {
  /** Version of the document: 1, 2, ... (each write adds one). */
  version: number;
  /** The pins document (`PinsDoc` of `mcp/gateway/pins.ts`) as JSON text. */
  data: string;
  /** When it was written (RFC 3339). */
  updated_at: string;
}

// ---- keyset pages (issue 14 item 2) ----

/** A sort key: the values of a list's order columns for one row, in order. */
export type PageKey = (string | number)[];

/** Where a page starts and how long it is (common to every `page*` method). */
export interface PageQuery {
  /** Start after the row with this sort key (the `next` of the previous page); absent: the start. */
  after?: PageKey | null;
  /** Rows in the page, 1-1000 (default 100; larger values are capped). */
  limit?: number;
}

/** One page of a list: at most `limit` rows in the list's order, and where the next one starts. */
export interface KeyedPage<T> {
  /** The rows. */
  rows: T[];
  /** Sort key of the last row when more rows follow (pass it as `after`), else null. */
  next: PageKey | null;
}

/** Workers in (`enrolled_at`, `worker_id`) order; key `[enrolled_at, worker_id]`. */
export interface WorkerPageQuery extends PageQuery {
  /** Only this namespace. */
  namespace?: string;
  /** Only workers whose record declares this capability. */
  capability?: string;
  /**
   * The namespace of a namespace token: only what it may see
   * (docs/protocol/trust.md#tenant-binding): its own workers, and the active workers of others
   * whose record serves its tenant (`tenants` absent, or listing it or `*`).
   */
  visible_to?: string;
}

/** An approval without its held input and decision (the page row; the full row by id). */
export type ApprovalSummaryRow = Omit<ApprovalRow, "input" | "decision">;

/** Approvals in (`created_at`, `approval_id`) order, oldest first; key `[created_at, approval_id]`. */
export interface ApprovalPageQuery extends PageQuery {
  /** Only this status. */
  status?: ApprovalStatus;
  /** Only this tenant. */
  tenant_id?: string;
  /** Whole rows (with `input` and `decision`, as `getApproval` answers) instead of summaries. */
  full?: boolean;
}

/** Bans in (`reported_at`, `sha256`) order; key `[reported_at, sha256]`. */
export interface BanPageQuery extends PageQuery {
  /** Only this status. */
  status?: BanRow["status"];
}

/** Alerts newest first, (`created_at`, `alert_id`) descending; key `[created_at, alert_id]`. */
export interface AlertPageQuery extends PageQuery {
  /** true: only acknowledged; false: only open. */
  acknowledged?: boolean;
}

/** Receipts in (`tenant_id`, `seq`) order; key `[tenant_id, seq]`. */
export interface ReceiptPageQuery extends PageQuery {
  /** Only this tenant. */
  tenant_id?: string;
  /** Only this correlation id. */
  correlation_id?: string;
  /** `dispatched_at >= since`. */
  since?: string;
  /** `dispatched_at < until`. */
  until?: string;
}

/** Namespaces by name; key `[namespace]`. */
export interface NamespacePageQuery extends PageQuery {
  /** Only this namespace (a namespace token lists its own). */
  namespace?: string;
}

/**
 * Keyset pages of every list the API serves (`src/hall/_paging.ts` turns keys into cursors).
 * Each answers the rows after `after` in its fixed order with one indexed range scan, O(limit)
 * whatever the table's size (no OFFSET, never every row); ties of the first order column are
 * broken by the row's id, so the order is total and a row inserted between two pages is neither
 * repeated nor makes another be skipped.
 */
export interface HallStorePages {
  /** Workers (full rows; the route slims them). */
  pageWorkers(query: WorkerPageQuery): Promise<KeyedPage<WorkerRow>>;
  /** Approvals without input and decision (with them when `full`). */
  pageApprovals(query: ApprovalPageQuery): Promise<KeyedPage<ApprovalSummaryRow>>;
  /** Bans. */
  pageBans(query: BanPageQuery): Promise<KeyedPage<BanRow>>;
  /** Tokens (hashes included; never expose them) by `token_id`; key `[token_id]`. */
  pageTokens(query: PageQuery): Promise<KeyedPage<TokenRow>>;
  /** Namespaces. */
  pageNamespaces(query: NamespacePageQuery): Promise<KeyedPage<NamespaceRow>>;
  /** Alerts, newest first. */
  pageAlerts(query: AlertPageQuery): Promise<KeyedPage<AlertRow>>;
  /** Receipts. */
  pageReceipts(query: ReceiptPageQuery): Promise<KeyedPage<ReceiptRow>>;
  /** Tenants with at least one receipt, by id; key `[tenant_id]`. */
  pageReceiptTenants(query: PageQuery): Promise<KeyedPage<string>>;
  /** One tenant's checkpoints, oldest first; key `[tree_size]`. */
  pageCheckpoints(tenantId: string, query: PageQuery): Promise<KeyedPage<CheckpointRow>>;
  /** Tiers by name; key `[tier]`. */
  pageTiers(query: PageQuery): Promise<KeyedPage<TierRow>>;
}

/** Makes a fresh, empty, migrated-or-not store for a test (the contract calls `migrate`). */
export type StoreFactory = () => Promise<HallStore>;
