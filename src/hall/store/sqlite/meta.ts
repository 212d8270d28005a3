/**
 * Meta rows of the SQLite store (small shared settings such as the receipt signing key), the
 * write probe of the health check, and the row counts.
 *
 * @module
 */

import type { StoreCounts } from "../types.ts";
import { promised, type SqliteDb } from "./db.ts";

/** Meta rows and counts over one connection. */
export class SqliteMeta {
  readonly #db: SqliteDb;

  /** Rows in `db`. */
  constructor(db: SqliteDb) {
    this.#db = db;
  }

  probeWrite(): Promise<void> {
    return promised(() => {
      this.#db.run(
        "INSERT INTO meta (key, value) VALUES ('store_probe', ?) " +
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        new Date().toISOString(),
      );
    });
  }

  counts(): Promise<StoreCounts> {
    const n = (sql: string): number => Number((this.#db.get(sql) as { n: number }).n);
    return promised(() => ({
      workers: n("SELECT COUNT(*) AS n FROM workers WHERE status = 'active'"),
      approvals_pending: n("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending'"),
      receipts: n("SELECT COUNT(*) AS n FROM receipts"),
      alerts_open: n("SELECT COUNT(*) AS n FROM alerts WHERE acknowledged_at IS NULL"),
      bans_confirmed: n("SELECT COUNT(*) AS n FROM bans WHERE status = 'confirmed'"),
    }));
  }

  // ---- meta ----
  getMeta(key: string): Promise<string | null> {
    const row = this.#db.get("SELECT value FROM meta WHERE key = ?", key) as
      | { value: string }
      | undefined;
    return promised(() => row?.value ?? null);
  }
  setMetaIfAbsent(key: string, value: string): Promise<string> {
    return promised(() =>
      this.#db.tx(() => {
        this.#db.run("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", key, value);
        return (this.#db.get("SELECT value FROM meta WHERE key = ?", key) as { value: string })
          .value;
      })
    );
  }
}
