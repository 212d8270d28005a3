/**
 * Alerts of the PostgreSQL store.
 *
 * @module
 */

import type { AlertRow } from "../types.ts";
import { json, pageSize, type Sql } from "./db.ts";
import { toAlert } from "./rows.ts";

/** Alert rows. */
export class PgAlerts {
  readonly #sql: Sql;

  /** Rows over the pool `sql`. */
  constructor(sql: Sql) {
    this.#sql = sql;
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
}
