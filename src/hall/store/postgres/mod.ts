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
 * @module
 */

import postgres from "postgres";
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
import { PG_PAGE_INDEXES, PgPages } from "./pages.ts";
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
  StorePeerChannel,
  TelemetryQuery,
  TelemetryRow,
  TierRow,
  TokenRow,
  WorkerRow,
} from "../types.ts";
import { toHex } from "../../../encoding/bytes.ts";
import { rootNodes, TreeFrontier, type TreeNode } from "../../../receipts/stored_tree.ts";
import type { DecisionRecord } from "../../../decision/simulate.ts";

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

// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;
type Sql = postgres.Sql;

/** Advisory lock key (first half) reserved for hall migrations. */
const MIGRATION_LOCK = 0x77637031; // "wcp1"
/** Advisory lock key (first half) serialising registry writes (worker and ban rows). */
const REGISTRY_LOCK = 0x77637032; // "wcp2"
const MAX_PAGE = 1000;

/** Bytewise-sorted text, for ids and RFC 3339 times, whatever the database's collation. */
const T = 'text collate "C"';

/** Ordered schema migrations; each runs once, in one transaction, under the migration lock. */
const MIGRATIONS: readonly { version: number; sql: string }[] = [{
  version: 1,
  sql: `
    create table meta (key ${T} primary key, value text not null);
    create table workers (
      worker_id ${T} primary key, namespace ${T} not null, record text not null,
      status ${T} not null check (status in ('active', 'revoked')), current_hash ${T},
      attestation text, flagged boolean not null default false, enrolled_by ${T} not null,
      enrolled_at ${T} not null, updated_at ${T} not null);
    create index workers_namespace on workers (namespace, status);
    create table tokens (
      token_id ${T} primary key, token_hash ${T} not null unique,
      role ${T} not null check (role in ('admin', 'namespace')), namespace ${T},
      label text not null, created_at ${T} not null, revoked_at ${T});
    create table namespaces (
      namespace ${T} primary key, tier ${T} not null, owner text not null,
      created_at ${T} not null);
    create table tiers (
      tier ${T} primary key, max_workers integer not null, requests_per_minute integer not null);
    create table bans (
      sha256 ${T} primary key, reason text not null, source text not null, evidence_url text,
      reported_at ${T} not null, status ${T} not null check (status in ('reported', 'confirmed')),
      confirmed_at ${T}, confirmed_by ${T}, ord bigserial not null);
    create table approvals (
      approval_id ${T} primary key, decision_id ${T} not null, tenant_id ${T} not null,
      correlation_id ${T} not null, capability_id ${T} not null,
      supervisor_level ${T} not null, status ${T} not null
        check (status in ('pending', 'approved', 'denied', 'expired', 'consumed')),
      input text not null, decision text not null, created_at ${T} not null,
      expires_at ${T} not null, resolved_at ${T}, resolved_by ${T}, note text,
      escalations integer not null default 0, consumed_at ${T}, ord bigserial not null);
    create index approvals_status on approvals (status, created_at);
    create table chain_heads (
      tenant_id ${T} primary key, next_seq bigint not null, receipt_hash ${T}, receipt text);
    create table receipts (
      tenant_id ${T} not null, seq bigint not null check (seq >= 0), receipt_id ${T} not null unique,
      receipt_hash ${T} not null, prev_receipt_hash ${T}, correlation_id ${T} not null,
      decision_id ${T}, dispatched_at ${T} not null, receipt text not null,
      primary key (tenant_id, seq),
      unique (tenant_id, prev_receipt_hash),
      check ((seq = 0) = (prev_receipt_hash is null)));
    create index receipts_correlation on receipts (correlation_id);
    create index receipts_time on receipts (dispatched_at);
    create table checkpoints (
      tenant_id ${T} not null, tree_size bigint not null, root ${T} not null,
      created_at ${T} not null, proof text not null, primary key (tenant_id, tree_size));
    create table telemetry (
      ord bigserial primary key, event_id ${T} not null, decision_id ${T} not null,
      correlation_id ${T} not null, timestamp ${T} not null, event text not null);
    create index telemetry_decision on telemetry (decision_id);
    create index telemetry_correlation on telemetry (correlation_id);
    create table decisions (
      decision_id ${T} primary key, parent_decision_id ${T}, tenant_id ${T} not null,
      correlation_id ${T} not null, capability_id ${T} not null, outcome ${T} not null,
      blast_dimensions_score integer, chain_blast_score integer, created_at ${T} not null);
    create table alerts (
      alert_id ${T} primary key, kind ${T} not null, severity integer not null,
      message text not null, subject text not null, details text not null,
      created_at ${T} not null, acknowledged_at ${T}, acknowledged_by ${T},
      ord bigserial not null);
    create index alerts_open on alerts (created_at) where acknowledged_at is null;
  `,
}, {
  // Separation of duties (spec README decision 19): who raised a hold, and the resolver's label
  // beside its id; rows resolved before keep their id and get the token's label when it is known.
  version: 2,
  sql: `
    alter table approvals add column requested_by ${T}, add column requested_by_label text,
      add column resolved_by_label text;
    update approvals a set resolved_by_label = coalesce(
        (select t.label from tokens t where t.token_id = a.resolved_by), '')
      where a.resolved_by is not null;
  `,
}, {
  // The RFC 6962 tree of each receipt chain: one row per complete subtree (level 0: the leaf
  // hashes), written in the append's transaction, so proofs read O(log n) rows. The head keeps
  // the tree's size and right edge (the frontier's hashes, concatenated) for the next append.
  // migrate() backfills chains whose tree_size is behind next_seq (all of them, the first time).
  version: 4,
  sql: `
    create table receipt_tree (
      tenant_id ${T} not null, level integer not null, idx bigint not null, hash bytea not null,
      primary key (tenant_id, level, idx));
    alter table chain_heads add column tree_size bigint, add column tree_frontier bytea;
  `,
}, {
  // One replay record per decision (what-if simulation, `POST /wcp/simulate`), in order.
  version: 5,
  sql: `
    create table decision_records (
      seq bigserial primary key, decision_id ${T} not null, created_at ${T} not null,
      record text not null);
    create index decision_records_time on decision_records (created_at);
  `,
}, {
  // Ban review: a report can be rejected and a confirmed ban lifted (by whom, when, why).
  version: 6,
  sql: `
    alter table bans drop constraint if exists bans_status_check;
    alter table bans add constraint bans_status_check
      check (status in ('reported', 'confirmed', 'rejected', 'lifted'));
    alter table bans add column reviewed_at ${T}, add column reviewed_by ${T},
      add column review_note text;
  `,
}, {
  // Registry versions (issue 14): every insert or update of a worker or ban row gives it the
  // next value of one sequence (triggers, so every write path counts), and a hall mirroring the
  // registry asks only for the rows changed since the version it has (listRegistryChanges).
  // A sequence alone hands out numbers in an order transactions may not commit in, so each
  // writing statement first takes a transaction-scoped advisory lock (released after the commit
  // is visible): registry writes are serialised and versions become visible in order, which lets
  // a reader resume from the largest version it saw. Taken per statement, before any row lock,
  // so two writers never wait on each other in a circle. Registry writes are rare (enrolments,
  // revocations, bans). Rows already there are numbered once.
  version: 7,
  sql: `
    create sequence registry_version_seq;
    alter table workers add column version bigint;
    alter table bans add column version bigint;
    update workers set version = nextval('registry_version_seq');
    update bans set version = nextval('registry_version_seq');
    alter table workers alter column version set not null;
    alter table bans alter column version set not null;
    create index workers_version on workers (version);
    create index bans_version on bans (version);
    create function wcp_registry_write_lock() returns trigger language plpgsql as $fn$
    begin
      perform pg_advisory_xact_lock(${REGISTRY_LOCK}, 0);
      return null;
    end $fn$;
    create function wcp_registry_version() returns trigger language plpgsql as $fn$
    begin
      new.version := nextval('registry_version_seq');
      return new;
    end $fn$;
    create trigger workers_write_lock before insert or update on workers
      for each statement execute function wcp_registry_write_lock();
    create trigger bans_write_lock before insert or update on bans
      for each statement execute function wcp_registry_write_lock();
    create trigger workers_version before insert or update on workers
      for each row execute function wcp_registry_version();
    create trigger bans_version before insert or update on bans
      for each row execute function wcp_registry_version();
  `,
}, {
  // Keyset pages of every list (issue 14 item 2): an index per list order and filter.
  version: 8,
  sql: PG_PAGE_INDEXES,
}];

// A registry version to list changes after: a non-negative safe integer.
function checkSince(since: unknown): asserts since is number {
  if (typeof since !== "number" || !Number.isSafeInteger(since) || since < 0) {
    throw new RangeError(`since: must be a registry version (an integer >= 0), got ${since}`);
  }
}

function num(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

function parseJson<T>(v: unknown): T {
  return (v === null || v === undefined ? null : JSON.parse(String(v))) as T;
}

function json(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

function pageSize(limit: number | undefined, fallback: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.max(0, Math.min(MAX_PAGE, Math.trunc(limit)));
}

function toWorker(r: Row): WorkerRow {
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

function toToken(r: Row): TokenRow {
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

function toNamespace(r: Row): NamespaceRow {
  return { namespace: r.namespace, tier: r.tier, owner: r.owner, created_at: r.created_at };
}

function toTier(r: Row): TierRow {
  return {
    tier: r.tier,
    max_workers: num(r.max_workers),
    requests_per_minute: num(r.requests_per_minute),
  };
}

function toBan(r: Row): BanRow {
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

function toApproval(r: Row): ApprovalRow {
  return {
    approval_id: r.approval_id,
    decision_id: r.decision_id,
    tenant_id: r.tenant_id,
    correlation_id: r.correlation_id,
    capability_id: r.capability_id,
    supervisor_level: r.supervisor_level,
    status: r.status,
    input: parseJson(r.input),
    decision: parseJson(r.decision),
    created_at: r.created_at,
    expires_at: r.expires_at,
    requested_by: r.requested_by === null || r.requested_by === undefined
      ? null
      : { principal_id: r.requested_by, label: r.requested_by_label ?? "" },
    resolved_at: r.resolved_at,
    resolved_by: r.resolved_by === null || r.resolved_by === undefined
      ? null
      : { principal_id: r.resolved_by, label: r.resolved_by_label ?? "" },
    note: r.note,
    escalations: num(r.escalations),
    consumed_at: r.consumed_at,
  };
}

function toReceipt(r: Row): ReceiptRow {
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

function toCheckpoint(r: Row): CheckpointRow {
  return {
    tenant_id: r.tenant_id,
    tree_size: num(r.tree_size),
    root: r.root,
    created_at: r.created_at,
    proof: parseJson(r.proof),
  };
}

function toTelemetry(r: Row): TelemetryRow {
  return {
    event_id: r.event_id,
    decision_id: r.decision_id,
    correlation_id: r.correlation_id,
    timestamp: r.timestamp,
    event: parseJson(r.event),
  };
}

function toDecision(r: Row): DecisionRow {
  return {
    decision_id: r.decision_id,
    parent_decision_id: r.parent_decision_id,
    tenant_id: r.tenant_id,
    correlation_id: r.correlation_id,
    capability_id: r.capability_id,
    outcome: r.outcome,
    blast_dimensions_score: r.blast_dimensions_score === null
      ? null
      : num(r.blast_dimensions_score),
    chain_blast_score: r.chain_blast_score === null ? null : num(r.chain_blast_score),
    created_at: r.created_at,
  };
}

function toAlert(r: Row): AlertRow {
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

/** Thrown when a receipt builder breaks the chain contract; the append is rolled back. */
export class ReceiptChainError extends Error {
  /** A stable code for logs. */
  readonly code = "RECEIPT_CHAIN_MISMATCH";
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
  readonly #pages: PgPages;

  /** Wraps a connection pool (use {@link openPostgresStore} to build one from a URL). */
  constructor(sql: Sql, schema?: string) {
    this.#sql = sql;
    this.#schema = schema;
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

  async migrate(): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK}, 0)`;
      if (this.#schema) await tx.unsafe(`create schema if not exists ${ident(this.#schema)}`);
      await tx.unsafe(
        `create table if not exists wcp_migrations (
          version integer primary key, applied_at text collate "C" not null)`,
      );
      const done = new Set(
        (await tx`select version from wcp_migrations`).map((r) => num(r.version)),
      );
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await tx.unsafe(m.sql);
        await tx`insert into wcp_migrations (version, applied_at)
          values (${m.version}, ${new Date().toISOString()})`;
      }
      // Chains older than their tree (or appended by an older hall) get it now.
      const behind = await tx`select tenant_id from chain_heads
        where tree_size is distinct from next_seq order by tenant_id`;
      for (const r of behind) await catchUpTree(tx as unknown as Sql, r.tenant_id as string);
    });
  }

  async migrationVersion(): Promise<number> {
    const [r] = await this.#sql`select to_regclass('wcp_migrations') is not null as present`;
    if (!r.present) return 0;
    const [v] = await this.#sql`select coalesce(max(version), 0) as v from wcp_migrations`;
    return num(v.v);
  }

  async probeWrite(): Promise<void> {
    await this.#sql`
      insert into meta (key, value) values ('store_probe', ${new Date().toISOString()})
      on conflict (key) do update set value = excluded.value`;
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

  async counts(): Promise<StoreCounts> {
    const [r] = await this.#sql`select
      (select count(*) from workers where status = 'active') as workers,
      (select count(*) from approvals where status = 'pending') as approvals_pending,
      (select count(*) from receipts) as receipts,
      (select count(*) from alerts where acknowledged_at is null) as alerts_open,
      (select count(*) from bans where status = 'confirmed') as bans_confirmed`;
    return {
      workers: num(r.workers),
      approvals_pending: num(r.approvals_pending),
      receipts: num(r.receipts),
      alerts_open: num(r.alerts_open),
      bans_confirmed: num(r.bans_confirmed),
    };
  }

  // ---- meta ----

  async getMeta(key: string): Promise<string | null> {
    const [r] = await this.#sql`select value from meta where key = ${key}`;
    return r ? r.value : null;
  }

  async setMetaIfAbsent(key: string, value: string): Promise<string> {
    // The CTE reads the pre-statement snapshot, so fall back to the inserted row when it was ours.
    const [r] = await this.#sql`
      with ins as (
        insert into meta (key, value) values (${key}, ${value})
        on conflict (key) do nothing returning value)
      select value from ins union all select value from meta where key = ${key} limit 1`;
    if (r) return r.value;
    // A racing writer committed between our snapshot and the conflict check.
    return (await this.getMeta(key)) ?? value;
  }

  // ---- workers ----

  async putWorker(w: WorkerRow): Promise<void> {
    await this.#sql`
      insert into workers (worker_id, namespace, record, status, current_hash, attestation,
        flagged, enrolled_by, enrolled_at, updated_at)
      values (${w.worker_id}, ${w.namespace}, ${json(w.record)}, ${w.status}, ${w.current_hash},
        ${json(w.attestation)}, ${w.flagged}, ${w.enrolled_by}, ${w.enrolled_at}, ${w.updated_at})
      on conflict (worker_id) do update set namespace = excluded.namespace,
        record = excluded.record, status = excluded.status, current_hash = excluded.current_hash,
        attestation = excluded.attestation, flagged = excluded.flagged,
        enrolled_by = excluded.enrolled_by, enrolled_at = excluded.enrolled_at,
        updated_at = excluded.updated_at
      where workers.status <> 'revoked'`;
  }

  async getWorker(workerId: string): Promise<WorkerRow | null> {
    const [r] = await this.#sql`select * from workers where worker_id = ${workerId}`;
    return r ? toWorker(r) : null;
  }

  async listWorkers(filter: { namespace?: string } = {}): Promise<WorkerRow[]> {
    const rows = filter.namespace === undefined
      ? await this.#sql`select * from workers order by enrolled_at, worker_id`
      : await this.#sql`select * from workers where namespace = ${filter.namespace}
          order by enrolled_at, worker_id`;
    return rows.map(toWorker);
  }

  async countActiveWorkers(namespace: string): Promise<number> {
    const [r] = await this.#sql`select count(*) as n from workers
      where namespace = ${namespace} and status = 'active'`;
    return num(r.n);
  }

  async revokeWorker(workerId: string, at: string): Promise<boolean> {
    const rows = await this.#sql`update workers set status = 'revoked', updated_at = ${at}
      where worker_id = ${workerId} and status <> 'revoked' returning worker_id`;
    return rows.length === 1;
  }

  async listRegistryChanges(since: number, limit?: number): Promise<RegistryChanges> {
    checkSince(since);
    const n = limit === undefined ? MAX_PAGE : Math.max(1, pageSize(limit, MAX_PAGE));
    // One snapshot for both tables (a change committed between two reads could be skipped).
    const [workers, bans] = await this.#sql.begin(
      "isolation level repeatable read read only",
      (tx) => [
        tx`select * from workers where version > ${since} order by version limit ${n}`,
        tx`select * from bans where version > ${since} order by version limit ${n}`,
      ],
    );
    // A table that filled its page may have more rows after its last one: stop there.
    let bound = Infinity;
    if (workers.length === n) bound = num(workers[n - 1].version);
    if (bans.length === n) bound = Math.min(bound, num(bans[n - 1].version));
    const merged = [
      ...workers.map((r) => ({ v: num(r.version), w: true, r })),
      ...bans.map((r) => ({ v: num(r.version), w: false, r })),
    ].filter((x) => x.v <= bound).sort((a, b) => a.v - b.v);
    const page = merged.slice(0, n);
    return {
      version: page.length ? page[page.length - 1].v : since,
      workers: page.filter((x) => x.w).map((x) => toWorker(x.r)),
      bans: page.filter((x) => !x.w).map((x) => toBan(x.r)),
      more: bound !== Infinity || merged.length > n,
    };
  }

  // ---- tokens, namespaces, tiers ----

  async createToken(t: TokenRow): Promise<void> {
    await this.#sql`insert into tokens (token_id, token_hash, role, namespace, label, created_at,
      revoked_at) values (${t.token_id}, ${t.token_hash}, ${t.role}, ${t.namespace}, ${t.label},
      ${t.created_at}, ${t.revoked_at})`;
  }

  async findToken(tokenHash: string): Promise<TokenRow | null> {
    const [r] = await this.#sql`select * from tokens
      where token_hash = ${tokenHash} and revoked_at is null`;
    return r ? toToken(r) : null;
  }

  async listTokens(): Promise<TokenRow[]> {
    return (await this.#sql`select * from tokens order by created_at, token_id`).map(toToken);
  }

  async revokeTokenKeepingAdmin(
    tokenId: string,
    at: string,
  ): Promise<"revoked" | "unknown" | "last_admin"> {
    return await this.#sql.begin(async (tx) => {
      // Lock every active admin row first: a concurrent revoker waits here, then sees this
      // revocation (READ COMMITTED re-checks `revoked_at is null` on the rows it waited for).
      const admins = await tx`select token_id from tokens
        where role = 'admin' and revoked_at is null order by token_id for update`;
      const [target] = await tx`select role from tokens
        where token_id = ${tokenId} and revoked_at is null`;
      if (!target) return "unknown";
      if (target.role === "admin" && admins.length <= 1) return "last_admin";
      const rows = await tx`update tokens set revoked_at = ${at}
        where token_id = ${tokenId} and revoked_at is null returning token_id`;
      return rows.length === 1 ? "revoked" : "unknown";
    }) as "revoked" | "unknown" | "last_admin";
  }

  async revokeToken(tokenId: string, at: string): Promise<boolean> {
    const rows = await this.#sql`update tokens set revoked_at = ${at}
      where token_id = ${tokenId} and revoked_at is null returning token_id`;
    return rows.length === 1;
  }

  async putNamespace(n: NamespaceRow): Promise<void> {
    await this.#sql`insert into namespaces (namespace, tier, owner, created_at)
      values (${n.namespace}, ${n.tier}, ${n.owner}, ${n.created_at})
      on conflict (namespace) do update set tier = excluded.tier, owner = excluded.owner,
        created_at = excluded.created_at`;
  }

  async getNamespace(namespace: string): Promise<NamespaceRow | null> {
    const [r] = await this.#sql`select * from namespaces where namespace = ${namespace}`;
    return r ? toNamespace(r) : null;
  }

  async listNamespaces(): Promise<NamespaceRow[]> {
    return (await this.#sql`select * from namespaces order by namespace`).map(toNamespace);
  }

  async putTier(t: TierRow): Promise<void> {
    await this.#sql`insert into tiers (tier, max_workers, requests_per_minute)
      values (${t.tier}, ${t.max_workers}, ${t.requests_per_minute})
      on conflict (tier) do update set max_workers = excluded.max_workers,
        requests_per_minute = excluded.requests_per_minute`;
  }

  async getTier(tier: string): Promise<TierRow | null> {
    const [r] = await this.#sql`select * from tiers where tier = ${tier}`;
    return r ? toTier(r) : null;
  }

  async listTiers(): Promise<TierRow[]> {
    return (await this.#sql`select * from tiers order by tier`).map(toTier);
  }

  // ---- ban list ----

  async reportBan(b: BanRow): Promise<BanRow> {
    const [r] = await this.#sql`insert into bans (sha256, reason, source, evidence_url,
      reported_at, status, confirmed_at, confirmed_by)
      values (${b.sha256}, ${b.reason}, ${b.source}, ${b.evidence_url}, ${b.reported_at},
        ${b.status}, ${b.confirmed_at}, ${b.confirmed_by})
      on conflict (sha256) do nothing returning *`;
    if (r) return toBan(r);
    const existing = await this.getBan(b.sha256);
    if (existing === null) throw new Error(`ban ${b.sha256} vanished during report`);
    return existing;
  }

  async confirmBan(sha256: string, by: string, at: string): Promise<BanRow | null> {
    const [r] = await this.#sql`update bans set status = 'confirmed', confirmed_at = ${at},
      confirmed_by = ${by} where sha256 = ${sha256} and status <> 'confirmed' returning *`;
    return r ? toBan(r) : await this.getBan(sha256);
  }

  async reviewBan(
    sha256: string,
    to: "rejected" | "lifted",
    by: string,
    at: string,
    note: string | null,
  ): Promise<BanRow | null> {
    const from = to === "rejected" ? "reported" : "confirmed";
    const [r] = await this.#sql`update bans set status = ${to}, reviewed_at = ${at},
      reviewed_by = ${by}, review_note = ${note} where sha256 = ${sha256} and status = ${from}
      returning *`;
    return r ? toBan(r) : await this.getBan(sha256);
  }

  async getBan(sha256: string): Promise<BanRow | null> {
    const [r] = await this.#sql`select * from bans where sha256 = ${sha256}`;
    return r ? toBan(r) : null;
  }

  async listBans(filter: { status?: BanRow["status"] } = {}): Promise<BanRow[]> {
    const rows = filter.status === undefined
      ? await this.#sql`select * from bans order by reported_at, ord`
      : await this.#sql`select * from bans where status = ${filter.status}
          order by reported_at, ord`;
    return rows.map(toBan);
  }

  // ---- approvals ----

  async createApproval(a: ApprovalRow): Promise<void> {
    await this.#sql`insert into approvals (approval_id, decision_id, tenant_id, correlation_id,
      capability_id, supervisor_level, status, input, decision, created_at, expires_at,
      requested_by, requested_by_label, resolved_at, resolved_by, resolved_by_label, note,
      escalations, consumed_at)
      values (${a.approval_id}, ${a.decision_id}, ${a.tenant_id}, ${a.correlation_id},
        ${a.capability_id}, ${a.supervisor_level}, ${a.status}, ${json(a.input)},
        ${json(a.decision)}, ${a.created_at}, ${a.expires_at},
        ${a.requested_by?.principal_id ?? null}, ${a.requested_by?.label ?? null},
        ${a.resolved_at}, ${a.resolved_by?.principal_id ?? null},
        ${a.resolved_by?.label ?? null}, ${a.note}, ${a.escalations}, ${a.consumed_at})`;
  }

  async getApproval(approvalId: string): Promise<ApprovalRow | null> {
    const [r] = await this.#sql`select * from approvals where approval_id = ${approvalId}`;
    return r ? toApproval(r) : null;
  }

  async listApprovals(
    filter: { status?: ApprovalStatus; tenant_id?: string } = {},
  ): Promise<ApprovalRow[]> {
    const sql = this.#sql;
    const status = filter.status ?? null;
    const tenant = filter.tenant_id ?? null;
    const rows = await sql`select * from approvals
      where (${status}::text is null or status = ${status})
        and (${tenant}::text is null or tenant_id = ${tenant})
      order by created_at, ord`;
    return rows.map(toApproval);
  }

  async resolveApproval(
    approvalId: string,
    res: {
      status: "approved" | "denied";
      by: ApprovalPrincipal;
      at: string;
      note: string | null;
      expires_at?: string;
    },
  ): Promise<ApprovalRow | null> {
    // A new expires_at (given on approve) is the deadline for dispatching the approved request.
    const [r] = await this.#sql`update approvals set status = ${res.status},
      resolved_at = ${res.at}, resolved_by = ${res.by.principal_id},
      resolved_by_label = ${res.by.label}, note = ${res.note},
      expires_at = coalesce(${res.expires_at ?? null}::text, expires_at)
      where approval_id = ${approvalId} and status = 'pending' and expires_at > ${res.at}
      returning *`;
    return r ? toApproval(r) : null;
  }

  async escalateApproval(
    approvalId: string,
    esc: { supervisor_level: string; at: string; expires_at: string },
  ): Promise<ApprovalRow | null> {
    const [r] = await this.#sql`update approvals set supervisor_level = ${esc.supervisor_level},
      escalations = escalations + 1, expires_at = ${esc.expires_at}
      where approval_id = ${approvalId} and status = 'pending' and expires_at > ${esc.at}
      returning *`;
    return r ? toApproval(r) : null;
  }

  async expireApprovals(now: string): Promise<ApprovalRow[]> {
    // One statement: a row another instance expired, consumed or re-deadlined (escalated,
    // approved) meanwhile is re-checked against the WHERE after its row lock is released
    // (READ COMMITTED), so it is skipped rather than reported twice or brought back. An approved
    // row keeps who approved it and when (the right-hand `status` is the row's old value).
    const rows = await this.#sql`with expired as (
        update approvals set status = 'expired',
          resolved_at = case when status = 'pending' then ${now} else resolved_at end
        where status in ('pending', 'approved') and expires_at <= ${now}
        returning *)
      select * from expired order by created_at, ord`;
    return rows.map(toApproval);
  }

  async consumeApproval(approvalId: string, at: string): Promise<ApprovalRow | null> {
    // Racing an expiry of the same row, exactly one of the two conditional updates matches.
    const [r] = await this.#sql`update approvals set status = 'consumed', consumed_at = ${at}
      where approval_id = ${approvalId} and status = 'approved' and expires_at > ${at}
      returning *`;
    return r ? toApproval(r) : null;
  }

  // ---- receipts ----

  async appendReceipt(
    tenantId: string,
    build: (link: ChainLink) => BuiltReceipt | Promise<BuiltReceipt>,
  ): Promise<ReceiptRow> {
    // One transaction on one reserved connection, written as two pipelined round trips:
    // (BEGIN + lock-and-read the head), then (insert + move the head + COMMIT). The head row stays
    // locked from the first round trip to the commit, so appenders for this tenant on every
    // instance queue up behind it. If the insert fails, PostgreSQL turns the pipelined COMMIT of
    // the aborted transaction into a rollback, so nothing is half-written.
    const c = await this.#sql.reserve();
    let open = false;
    try {
      // execute() sends at once; a postgres.js query otherwise waits until it is awaited.
      const begin = c`begin`.execute();
      // Creates the head on first use and, either way, takes its row lock; RETURNING sees the
      // latest committed head (not the statement's snapshot) after waiting for another appender.
      const lock = c`insert into chain_heads (tenant_id, next_seq, receipt_hash, receipt,
          tree_size, tree_frontier)
        values (${tenantId}, 0, null, null, 0, ''::bytea)
        on conflict (tenant_id) do update set tenant_id = excluded.tenant_id
        returning next_seq, receipt_hash, receipt, tree_size,
          encode(tree_frontier, 'hex') as tree_frontier`.execute();
      open = true;
      await begin;
      const [head] = await lock;
      const seq = num(head.next_seq);
      const prev: string | null = head.receipt_hash;
      const receipt = await build({
        tenant_id: tenantId,
        seq,
        prev_receipt_hash: prev,
        prev_receipt: parseJson<BuiltReceipt | null>(head.receipt),
      });
      checkBuilt(receipt, tenantId, seq, prev);
      // The tree grows with the chain when it covers it (else it stays behind; see migrate).
      const tree = frontierOf(head.tree_size, head.tree_frontier, seq);
      const nodes: TreeNode[] = tree ? tree.append(receipt.receipt_hash) : [];
      const treeSize = tree ? seq + 1 : head.tree_size;
      const frontier = tree ? frontierHex(tree) : head.tree_frontier;
      const decisionId = typeof receipt.decision_id === "string" ? receipt.decision_id : null;
      const text = json(receipt);
      const write = c`with ins as (
          insert into receipts (tenant_id, seq, receipt_id, receipt_hash, prev_receipt_hash,
            correlation_id, decision_id, dispatched_at, receipt)
          values (${tenantId}, ${seq}, ${receipt.receipt_id}, ${receipt.receipt_hash}, ${prev},
            ${receipt.correlation_id}, ${decisionId}, ${receipt.dispatched_at}, ${text})
          returning *),
        tree as (
          insert into receipt_tree (tenant_id, level, idx, hash)
          select ${tenantId}, g, ${seq}::bigint >> g,
            substring(decode(${nodes.map((n) => toHex(n.hash)).join("")}, 'hex') from g * 32 + 1
              for 32)
          from generate_series(0, ${nodes.length - 1}) g
          on conflict (tenant_id, level, idx) do update set hash = excluded.hash),
        head as (
          update chain_heads set next_seq = ${seq + 1}, receipt_hash = ${receipt.receipt_hash},
            receipt = ${text}, tree_size = ${treeSize}, tree_frontier = decode(${frontier}, 'hex')
          where tenant_id = ${tenantId} and next_seq = ${seq} returning 1)
        select ins.*, 1 / (select count(*) from head)::int as head_moved from ins`.execute();
      // Division by zero above aborts the transaction if the head did not move with the insert.
      const commit = c`commit`.execute();
      const [written, committed] = await Promise.allSettled([write, commit]);
      open = false;
      if (written.status === "rejected") throw written.reason;
      if (committed.status === "rejected") throw committed.reason;
      // A commit of an aborted transaction reports ROLLBACK instead of failing.
      if (committed.value.command !== "COMMIT") {
        throw new ReceiptChainError(`receipt append for tenant ${tenantId} was rolled back`);
      }
      return toReceipt(written.value[0]);
    } catch (e) {
      if (open) await c`rollback`.catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  async listReceipts(query: ReceiptQuery = {}): Promise<ReceiptRow[]> {
    const t = query.tenant_id ?? null;
    const c = query.correlation_id ?? null;
    const since = query.since ?? null;
    const until = query.until ?? null;
    const rows = await this.#sql`select * from receipts
      where (${t}::text is null or tenant_id = ${t})
        and (${c}::text is null or correlation_id = ${c})
        and (${since}::text is null or dispatched_at >= ${since})
        and (${until}::text is null or dispatched_at < ${until})
      order by tenant_id, seq limit ${pageSize(query.limit, 100)}`;
    return rows.map(toReceipt);
  }

  async tenantChain(
    tenantId: string,
    options: { fromSeq?: number; limit?: number } = {},
  ): Promise<ReceiptRow[]> {
    const from = options.fromSeq ?? 0;
    const rows = options.limit === undefined
      ? await this.#sql`select * from receipts where tenant_id = ${tenantId} and seq >= ${from}
          order by seq`
      : await this.#sql`select * from receipts where tenant_id = ${tenantId} and seq >= ${from}
          order by seq limit ${Math.max(0, Math.trunc(options.limit))}`;
    return rows.map(toReceipt);
  }

  async receiptTenants(): Promise<string[]> {
    const rows = await this.#sql`select tenant_id from chain_heads where next_seq > 0
      order by tenant_id`;
    return rows.map((r) => r.tenant_id as string);
  }

  async putCheckpoint(c: CheckpointRow): Promise<void> {
    await this.#sql`insert into checkpoints (tenant_id, tree_size, root, created_at, proof)
      values (${c.tenant_id}, ${c.tree_size}, ${c.root}, ${c.created_at}, ${json(c.proof)})
      on conflict (tenant_id, tree_size) do update set root = excluded.root,
        created_at = excluded.created_at, proof = excluded.proof`;
  }

  async listCheckpoints(tenantId: string): Promise<CheckpointRow[]> {
    const rows = await this.#sql`select * from checkpoints where tenant_id = ${tenantId}
      order by tree_size`;
    return rows.map(toCheckpoint);
  }

  async latestCheckpoint(
    tenantId: string,
    range: { minSize?: number; maxSize?: number } = {},
  ): Promise<CheckpointRow | null> {
    const [r] = await this.#sql`select * from checkpoints where tenant_id = ${tenantId}
      and tree_size >= ${range.minSize ?? 0}
      and tree_size <= ${range.maxSize ?? Number.MAX_SAFE_INTEGER}
      order by tree_size desc limit 1`;
    return r ? toCheckpoint(r) : null;
  }

  async chainHead(tenantId: string): Promise<ReceiptRow | null> {
    const [r] = await this.#sql`select * from receipts where tenant_id = ${tenantId}
      order by seq desc limit 1`;
    return r ? toReceipt(r) : null;
  }

  async getReceipt(tenantId: string, receiptId: string): Promise<ReceiptRow | null> {
    const [r] = await this.#sql`select * from receipts where receipt_id = ${receiptId}
      and tenant_id = ${tenantId}`;
    return r ? toReceipt(r) : null;
  }

  async receiptTreeSize(tenantId: string): Promise<number> {
    return await treeSizeOf(this.#sql, tenantId);
  }

  async receiptTreeNodes(
    tenantId: string,
    refs: readonly { level: number; index: number }[],
  ): Promise<(Uint8Array | null)[]> {
    return await treeNodes(this.#sql, tenantId, refs);
  }

  // ---- telemetry, decisions, alerts ----

  async appendTelemetry(rows: TelemetryRow[]): Promise<void> {
    if (rows.length === 0) return;
    // The whole batch travels as ONE json parameter that the server unpacks: one
    // JSON.stringify in the hall instead of five encoded parameters per row (the hall's event
    // loop is the bottleneck under load, the database has cycles to spare), and no 65,535
    // parameter limit.
    // The server decodes these values and refuses a lone UTF-16 surrogate (which a hostile
    // client can put in a correlation id): make them well formed, as the driver's UTF-8 encoding
    // of a plain parameter would.
    const payload = JSON.stringify(rows.map((r) => ({
      e: r.event_id.toWellFormed(),
      d: r.decision_id.toWellFormed(),
      c: r.correlation_id.toWellFormed(),
      t: r.timestamp.toWellFormed(),
      // As a string, so the server never decodes the event's own escapes (see above).
      v: JSON.stringify(r.event),
    })));
    await this.#sql`insert into telemetry (event_id, decision_id, correlation_id, timestamp, event)
      select x.r->>'e', x.r->>'d', x.r->>'c', x.r->>'t', x.r->>'v'
      from json_array_elements(${payload}::text::json) with ordinality as x(r, n)
      order by x.n`;
  }

  async listTelemetry(query: TelemetryQuery = {}): Promise<TelemetryRow[]> {
    const d = query.decision_id ?? null;
    const c = query.correlation_id ?? null;
    const rows = await this.#sql`select * from telemetry
      where (${d}::text is null or decision_id = ${d})
        and (${c}::text is null or correlation_id = ${c})
      order by ord desc limit ${pageSize(query.limit, 100)}`;
    return rows.map(toTelemetry).reverse();
  }

  async recordDecision(d: DecisionRow): Promise<void> {
    await this.#sql`insert into decisions (decision_id, parent_decision_id, tenant_id,
      correlation_id, capability_id, outcome, blast_dimensions_score, chain_blast_score,
      created_at) values (${d.decision_id}, ${d.parent_decision_id}, ${d.tenant_id},
      ${d.correlation_id}, ${d.capability_id}, ${d.outcome}, ${d.blast_dimensions_score},
      ${d.chain_blast_score}, ${d.created_at})
      on conflict (decision_id) do nothing`;
  }

  /**
   * Remember many decisions in one statement per 1,000 rows (duplicates ignored), so a telemetry
   * flush costs one round trip instead of one per decision.
   */
  async recordDecisions(rows: DecisionRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      await this.#sql`insert into decisions ${
        this.#sql(
          chunk,
          "decision_id",
          "parent_decision_id",
          "tenant_id",
          "correlation_id",
          "capability_id",
          "outcome",
          "blast_dimensions_score",
          "chain_blast_score",
          "created_at",
        )
      } on conflict (decision_id) do nothing`;
    }
  }

  async getDecision(decisionId: string): Promise<DecisionRow | null> {
    const [r] = await this.#sql`select * from decisions where decision_id = ${decisionId}`;
    return r ? toDecision(r) : null;
  }

  async appendDecisionRecords(records: DecisionRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 1000) {
      const chunk = records.slice(i, i + 1000).map((r) => ({
        decision_id: r.decision_id,
        created_at: r.timestamp,
        record: JSON.stringify(r),
      }));
      // One statement per chunk; bigserial keeps the chunk's order.
      await this.#sql`insert into decision_records ${
        this.#sql(chunk, "decision_id", "created_at", "record")
      }`;
    }
  }

  async listDecisionRecords(query: DecisionRecordQuery = {}): Promise<DecisionRecordRow[]> {
    const after = Math.max(0, Math.floor(query.after_seq ?? 0));
    const rows = await this.#sql`select seq, record from decision_records
      where seq > ${after} and created_at >= ${query.since ?? ""}
      order by seq limit ${pageSize(query.limit, 100)}`;
    return rows.map((r) => ({ seq: num(r.seq), record: parseJson<DecisionRecord>(r.record) }));
  }

  async createAlert(a: AlertRow): Promise<void> {
    await this.#sql`insert into alerts (alert_id, kind, severity, message, subject, details,
      created_at, acknowledged_at, acknowledged_by)
      values (${a.alert_id}, ${a.kind}, ${a.severity}, ${a.message}, ${a.subject},
        ${json(a.details)}, ${a.created_at}, ${a.acknowledged_at}, ${a.acknowledged_by})`;
  }

  async listAlerts(filter: { acknowledged?: boolean; limit?: number } = {}): Promise<AlertRow[]> {
    const ack = filter.acknowledged ?? null;
    const rows = await this.#sql`select * from alerts
      where (${ack}::boolean is null or (acknowledged_at is not null) = ${ack})
      order by created_at desc, ord desc limit ${pageSize(filter.limit, 100)}`;
    return rows.map(toAlert);
  }

  async acknowledgeAlert(alertId: string, by: string, at: string): Promise<AlertRow | null> {
    const [r] = await this.#sql`update alerts set acknowledged_at = ${at},
      acknowledged_by = ${by} where alert_id = ${alertId} and acknowledged_at is null
      returning *`;
    if (r) return toAlert(r);
    const [existing] = await this.#sql`select * from alerts where alert_id = ${alertId}`;
    return existing ? toAlert(existing) : null;
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
}

/** Refuses a built receipt that would not extend the chain at `seq` after `prev`. */
function checkBuilt(r: BuiltReceipt, tenantId: string, seq: number, prev: string | null): void {
  if ((r.prev_receipt_hash ?? null) !== prev) {
    throw new ReceiptChainError(
      `receipt builder returned prev_receipt_hash ${r.prev_receipt_hash} ` +
        `but the head of tenant ${tenantId} is ${prev}`,
    );
  }
  if (typeof r.seq === "number" && r.seq !== seq) {
    throw new ReceiptChainError(`receipt builder returned seq ${r.seq}, the chain is at ${seq}`);
  }
  if (r.tenant_id !== undefined && r.tenant_id !== tenantId) {
    throw new ReceiptChainError(`receipt builder returned tenant ${r.tenant_id} for ${tenantId}`);
  }
  for (const f of ["receipt_id", "receipt_hash", "correlation_id", "dispatched_at"] as const) {
    if (typeof r[f] !== "string" || r[f] === "") {
      throw new ReceiptChainError(`receipt builder returned no ${f}`);
    }
  }
}

/** The head's stored frontier, when the tree covers the chain's `size` leaves; else null. */
function frontierOf(treeSize: unknown, hex: unknown, size: number): TreeFrontier | null {
  if (treeSize === null || num(treeSize) !== size || typeof hex !== "string") return null;
  const refs = rootNodes(size);
  if (hex.length !== refs.length * 64 || !/^[0-9a-f]*$/.test(hex)) return null;
  return new TreeFrontier(
    size,
    refs.map((r, i) => ({ ...r, hash: hexBytes(hex.slice(i * 64, i * 64 + 64)) })),
  );
}

function frontierHex(tree: TreeFrontier): string {
  return tree.nodes().map((n) => toHex(n.hash)).join("");
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

async function treeSizeOf(q: Sql, tenantId: string): Promise<number> {
  const [r] = await q`select coalesce(max(idx) + 1, 0) as n from receipt_tree
    where tenant_id = ${tenantId} and level = 0`;
  return num(r.n);
}

async function treeNodes(
  q: Sql,
  tenantId: string,
  refs: readonly { level: number; index: number }[],
): Promise<(Uint8Array | null)[]> {
  if (refs.length === 0) return [];
  const wanted = JSON.stringify(refs.map((r) => [r.level, r.index]));
  const rows = await q`select level, idx, encode(hash, 'hex') as h from receipt_tree
    where tenant_id = ${tenantId} and (level, idx) in (
      select (e->>0)::integer, (e->>1)::bigint from jsonb_array_elements(${wanted}::text::jsonb) e)`;
  const byKey = new Map(rows.map((r) => [`${num(r.level)}:${num(r.idx)}`, r.h as string]));
  return refs.map((r) => {
    const h = byKey.get(`${r.level}:${r.index}`);
    return h === undefined ? null : hexBytes(h);
  });
}

/**
 * Extend a chain's stored tree over the receipts it does not cover (inside the caller's
 * transaction, the head row locked first), and record its size and frontier on the head. Stops
 * before a receipt whose seq leaves a gap or whose receipt_hash is malformed.
 */
async function catchUpTree(q: Sql, tenantId: string): Promise<void> {
  await q`select 1 from chain_heads where tenant_id = ${tenantId} for update`;
  let size = await treeSizeOf(q, tenantId);
  const refs = rootNodes(size);
  const have = await treeNodes(q, tenantId, refs);
  let tree: TreeFrontier;
  if (have.every((h) => h !== null)) {
    tree = new TreeFrontier(size, refs.map((r, i) => ({ ...r, hash: have[i]! })));
  } else {
    await q`delete from receipt_tree where tenant_id = ${tenantId}`;
    size = 0;
    tree = new TreeFrontier(0, []);
  }
  const PAGE = 5000;
  let done = false;
  while (!done) {
    const rows = await q`select seq, receipt_hash from receipts
      where tenant_id = ${tenantId} and seq >= ${tree.size} order by seq limit ${PAGE}`;
    const made: TreeNode[] = [];
    for (const r of rows) {
      if (num(r.seq) !== tree.size) {
        done = true;
        break;
      }
      try {
        made.push(...tree.append(r.receipt_hash as string));
      } catch {
        done = true;
        break;
      }
    }
    if (made.length) {
      const batch = JSON.stringify(made.map((n) => [n.level, n.index, toHex(n.hash)]));
      await q`insert into receipt_tree (tenant_id, level, idx, hash)
        select ${tenantId}, (e->>0)::integer, (e->>1)::bigint, decode(e->>2, 'hex')
        from jsonb_array_elements(${batch}::text::jsonb) e
        on conflict (tenant_id, level, idx) do update set hash = excluded.hash`;
    }
    if (rows.length < PAGE) done = true;
  }
  await q`update chain_heads set tree_size = ${tree.size},
    tree_frontier = decode(${frontierHex(tree)}, 'hex') where tenant_id = ${tenantId}`;
}

function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(name)}`);
  }
  return `"${name}"`;
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
