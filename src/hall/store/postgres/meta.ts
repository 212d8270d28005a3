/**
 * Meta rows of the PostgreSQL store (small shared settings such as the receipt signing key), the
 * write probe of the health check, and the row counts.
 *
 * @module
 */

import type { StoreCounts } from "../types.ts";
import { num, type Sql } from "./db.ts";

/** Meta rows and counts. */
export class PgMeta {
  readonly #sql: Sql;

  /** Rows over the pool `sql`. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async probeWrite(): Promise<void> {
    await this.#sql`
      insert into meta (key, value) values ('store_probe', ${new Date().toISOString()})
      on conflict (key) do update set value = excluded.value`;
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
}
