/**
 * Registry rows of the SQLite store: workers and the ban list, and the registry versions that
 * triggers give every write of either (`listRegistryChanges`).
 *
 * @module
 */

import type { BanRow, RegistryChanges, WorkerRow } from "../types.ts";
import { checkSince } from "../_registry.ts";
import { cap, parse, promised, type SqliteDb } from "./db.ts";

/** Workers, bans and registry changes over one connection. */
export class SqliteRegistry {
  readonly #db: SqliteDb;

  /** Rows in `db`. */
  constructor(db: SqliteDb) {
    this.#db = db;
  }

  putWorker(row: WorkerRow): Promise<void> {
    return promised(() => {
      this.#db.run(
        `INSERT INTO workers (worker_id, namespace, status, enrolled_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(worker_id) DO UPDATE SET namespace = excluded.namespace,
       status = excluded.status, enrolled_at = excluded.enrolled_at, data = excluded.data
       WHERE workers.status <> 'revoked'`,
        row.worker_id,
        row.namespace,
        row.status,
        row.enrolled_at,
        JSON.stringify(row),
      );
    });
  }
  getWorker(workerId: string): Promise<WorkerRow | null> {
    const row = this.#db.get("SELECT data FROM workers WHERE worker_id = ?", workerId);
    return promised(() => row ? parse<WorkerRow>(row) : null);
  }
  listWorkers(filter: { namespace?: string } = {}): Promise<WorkerRow[]> {
    const rows = filter.namespace === undefined
      ? this.#db.all("SELECT data FROM workers ORDER BY enrolled_at, worker_id")
      : this.#db.all(
        "SELECT data FROM workers WHERE namespace = ? ORDER BY enrolled_at, worker_id",
        filter.namespace,
      );
    return promised(() => rows.map((r) => parse<WorkerRow>(r)));
  }
  countActiveWorkers(namespace: string): Promise<number> {
    const row = this.#db.get(
      "SELECT COUNT(*) AS n FROM workers WHERE namespace = ? AND status = 'active'",
      namespace,
    ) as { n: number };
    return promised(() => Number(row.n));
  }
  revokeWorker(workerId: string, at: string): Promise<boolean> {
    return promised(() =>
      this.#db.tx(() => {
        const row = this.#db.get("SELECT data FROM workers WHERE worker_id = ?", workerId);
        if (!row) return false;
        const w = parse<WorkerRow>(row);
        if (w.status === "revoked") return false;
        const next: WorkerRow = { ...w, status: "revoked", updated_at: at };
        this.#db.run(
          "UPDATE workers SET status = 'revoked', data = ? WHERE worker_id = ?",
          JSON.stringify(next),
          workerId,
        );
        return true;
      })
    );
  }

  listRegistryChanges(since: number, limit?: number): Promise<RegistryChanges> {
    return promised(() => {
      checkSince(since);
      const n = cap(limit, 1000);
      // One statement: one snapshot of both tables (one counter for both: the order is total).
      const rows = this.#db.all(
        `SELECT v.kind, v.version, coalesce(w.data, b.data) AS data FROM registry_versions v
         LEFT JOIN workers w ON v.kind = 0 AND w.worker_id = v.key
         LEFT JOIN bans b ON v.kind = 1 AND b.sha256 = v.key
         WHERE v.version > ? ORDER BY v.version LIMIT ?`,
        since,
        n,
      ) as { kind: number; version: number; data: string | null }[];
      const out: RegistryChanges = {
        version: since,
        workers: [],
        bans: [],
        more: rows.length === n,
      };
      for (const r of rows) {
        out.version = Number(r.version);
        if (r.data === null) continue; // (rows are never deleted)
        if (r.kind === 0) out.workers.push(JSON.parse(r.data) as WorkerRow);
        else out.bans.push(JSON.parse(r.data) as BanRow);
      }
      return out;
    });
  }

  reportBan(row: BanRow): Promise<BanRow> {
    return promised(() =>
      this.#db.tx(() => {
        const existing = this.#db.get("SELECT data FROM bans WHERE sha256 = ?", row.sha256);
        if (existing) return parse<BanRow>(existing);
        this.#db.run(
          "INSERT INTO bans (sha256, status, reported_at, data) VALUES (?, ?, ?, ?)",
          row.sha256,
          row.status,
          row.reported_at,
          JSON.stringify(row),
        );
        return row;
      })
    );
  }
  confirmBan(sha256: string, by: string, at: string): Promise<BanRow | null> {
    return promised(() =>
      this.#db.tx(() => {
        const existing = this.#db.get("SELECT data FROM bans WHERE sha256 = ?", sha256);
        if (!existing) return null;
        const b = parse<BanRow>(existing);
        if (b.status === "confirmed") return b;
        const next: BanRow = { ...b, status: "confirmed", confirmed_at: at, confirmed_by: by };
        this.#db.run(
          "UPDATE bans SET status = 'confirmed', data = ? WHERE sha256 = ?",
          JSON.stringify(next),
          sha256,
        );
        return next;
      })
    );
  }
  reviewBan(
    sha256: string,
    to: "rejected" | "lifted",
    by: string,
    at: string,
    note: string | null,
  ): Promise<BanRow | null> {
    const from = to === "rejected" ? "reported" : "confirmed";
    return promised(() =>
      this.#db.tx(() => {
        const existing = this.#db.get("SELECT data FROM bans WHERE sha256 = ?", sha256);
        if (!existing) return null;
        const b = parse<BanRow>(existing);
        if (b.status !== from) return b;
        const next: BanRow = {
          ...b,
          status: to,
          reviewed_at: at,
          reviewed_by: by,
          review_note: note,
        };
        this.#db.run(
          "UPDATE bans SET status = ?, data = ? WHERE sha256 = ?",
          to,
          JSON.stringify(next),
          sha256,
        );
        return next;
      })
    );
  }
  getBan(sha256: string): Promise<BanRow | null> {
    const row = this.#db.get("SELECT data FROM bans WHERE sha256 = ?", sha256);
    return promised(() => row ? parse<BanRow>(row) : null);
  }
  listBans(filter: { status?: BanRow["status"] } = {}): Promise<BanRow[]> {
    const rows = filter.status === undefined
      ? this.#db.all("SELECT data FROM bans ORDER BY reported_at, sha256")
      : this.#db.all(
        "SELECT data FROM bans WHERE status = ? ORDER BY reported_at, sha256",
        filter.status,
      );
    return promised(() => rows.map((r) => parse<BanRow>(r)));
  }
}
