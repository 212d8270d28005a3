/**
 * The PostgreSQL store's schema: its ordered migrations, applied under a transaction-scoped
 * advisory lock so racing instances apply each once.
 *
 * @module
 */

import { PG_PAGE_INDEXES } from "./pages.ts";
import { PG_GATEWAY_PINS } from "./pins.ts";
import { ident, num, type Sql, T } from "./db.ts";
import { catchUpTree } from "./receipt_tree.ts";

/** Advisory lock key (first half) reserved for hall migrations. */
export const MIGRATION_LOCK = 0x77637031; // "wcp1"
/** Advisory lock key (first half) serialising registry writes (worker and ban rows). */
export const REGISTRY_LOCK = 0x77637032; // "wcp2"

// The capabilities a worker row's record declares (none when it is not an array).
const CAPS_OF = (row: string) =>
  `jsonb_array_elements_text(case when jsonb_typeof(${row}.record::jsonb -> 'capabilities') = ` +
  `'array' then ${row}.record::jsonb -> 'capabilities' else '[]'::jsonb end)`;

/**
 * Migration 10: the workers of each capability in page order (`GET /wcp/workers?capability=`),
 * one row per capability a worker's record declares, kept by a trigger on every write of a
 * worker row (as SQLite's migration 9), so a page of one capability is a range scan of its rows,
 * each joined to its worker, whatever the registry's size and however the capability's workers
 * are spread; the filter on every record's capability list read ~10k records per page at 100k.
 */
const WORKER_CAPABILITIES = `
  create table worker_capabilities (
    capability_id ${T} not null, enrolled_at ${T} not null, worker_id ${T} not null,
    primary key (capability_id, enrolled_at, worker_id));
  create index worker_capabilities_worker on worker_capabilities (worker_id);
  insert into worker_capabilities (capability_id, enrolled_at, worker_id)
    select distinct c, w.enrolled_at, w.worker_id from workers as w cross join lateral
      ${CAPS_OF("w")} as c;
  create function wcp_worker_capabilities() returns trigger language plpgsql as $fn$
  begin
    if tg_op = 'UPDATE' and new.record = old.record and new.enrolled_at = old.enrolled_at then
      return null;
    end if;
    if tg_op <> 'INSERT' then
      delete from worker_capabilities where worker_id = old.worker_id;
    end if;
    if tg_op <> 'DELETE' then
      insert into worker_capabilities (capability_id, enrolled_at, worker_id)
        select distinct c, new.enrolled_at, new.worker_id from ${CAPS_OF("new")} as c;
    end if;
    return null;
  end $fn$;
  create trigger workers_capabilities after insert or update or delete on workers
    for each row execute function wcp_worker_capabilities();
  analyze worker_capabilities;
`;

/** Ordered schema migrations; each runs once, in one transaction, under the migration lock. */
export const MIGRATIONS: readonly { version: number; sql: string }[] = [{
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
  // Separation of duties (docs/protocol/trust.md#separation-of-duties): who raised a hold, and the
  // resolver's label beside its id; rows resolved before keep their id and get the token's label
  // when it is known.
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
}, {
  // The MCP gateway's tool pins (issue 13 item 2): one compare-and-set row per gateway name, so
  // the instances on this database agree on the pins.
  version: 9,
  sql: PG_GATEWAY_PINS,
}, {
  // The workers of one capability (GET /wcp/workers?capability=, issue 14), in page order.
  version: 10,
  sql: WORKER_CAPABILITIES,
}, {
  // Telemetry by tenant from an index (a namespace token's /wcp/telemetry is always filtered by
  // its tenant: without it, a tenant with few events made every page a scan of the table, and the
  // scan cast every event to json, which fails on a stored lone surrogate escape, so one hostile
  // event failed every tenant's page). The tenant as JSON text (`"acme"`), written with the row;
  // older rows get it from their event, each row with a unicode escape on its own (a row whose
  // event the server cannot read keeps none: it matches no tenant). Re-runnable as it stands.
  version: 11,
  sql: `
    alter table telemetry add column if not exists tenant_json text;
    update telemetry set tenant_json = (event::json -> 'tenant_id')::text
      where tenant_json is null and strpos(event, E'\\\\u') = 0;
    do $backfill$
    declare r record;
    begin
      for r in select ord, event from telemetry
        where tenant_json is null and strpos(event, E'\\\\u') > 0 loop
        begin
          update telemetry set tenant_json = (r.event::json -> 'tenant_id')::text
            where ord = r.ord;
        exception when others then null;
        end;
      end loop;
    end $backfill$;
    create index if not exists telemetry_tenant on telemetry (tenant_json, ord);
  `,
}];

/**
 * Apply the pending migrations in one transaction under the migration lock (creating `schema`
 * first when given), then bring every chain's stored tree up to its head.
 */
export async function migrate(sql: Sql, schema: string | undefined): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK}, 0)`;
    if (schema) await tx.unsafe(`create schema if not exists ${ident(schema)}`);
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

/** The highest applied migration (0 before the first `migrate`). */
export async function migrationVersion(sql: Sql): Promise<number> {
  const [r] = await sql`select to_regclass('wcp_migrations') is not null as present`;
  if (!r.present) return 0;
  const [v] = await sql`select coalesce(max(version), 0) as v from wcp_migrations`;
  return num(v.v);
}
