/**
 * Alerts of the SQLite store.
 *
 * @module
 */

import type { AlertRow } from "../types.ts";
import { cap, parse, promised, type SqliteDb } from "./db.ts";

/** Alert rows over one connection. */
export class SqliteAlerts {
  readonly #db: SqliteDb;

  /** Rows in `db`. */
  constructor(db: SqliteDb) {
    this.#db = db;
  }

  createAlert(row: AlertRow): Promise<void> {
    return promised(() => {
      this.#db.run(
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
    return promised(() =>
      this.#db.all(
        `SELECT data FROM alerts ${where} ORDER BY created_at DESC, alert_id DESC LIMIT ?`,
        cap(filter.limit, 100),
      ).map((r) => parse<AlertRow>(r))
    );
  }
  acknowledgeAlert(alertId: string, by: string, at: string): Promise<AlertRow | null> {
    return promised(() =>
      this.#db.tx(() => {
        const row = this.#db.get("SELECT data FROM alerts WHERE alert_id = ?", alertId);
        if (!row) return null;
        const a = parse<AlertRow>(row);
        if (a.acknowledged_at !== null) return a;
        const next: AlertRow = { ...a, acknowledged_at: at, acknowledged_by: by };
        this.#db.run(
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
