/**
 * Registry rows of the PostgreSQL store: workers and the ban list, and the registry versions
 * that triggers give every write of either (`listRegistryChanges`; migration 7 explains the
 * advisory lock that makes versions visible in order).
 *
 * @module
 */

import type { BanRow, RegistryChanges, WorkerRow } from "../types.ts";
import { checkSince } from "../_registry.ts";
import { json, MAX_PAGE, num, pageSize, type Sql } from "./db.ts";
import { toBan, toWorker } from "./rows.ts";

/** Workers, bans and registry changes. */
export class PgRegistry {
  readonly #sql: Sql;

  /** Rows over the pool `sql`. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

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
}
