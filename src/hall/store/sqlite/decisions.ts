/**
 * Decision rows (grouped into one transaction per turn of the event loop) and the replay records
 * of decisions (`/wcp/simulate`) of the SQLite store.
 *
 * @module
 */

import type {
  DecisionRecordQuery,
  DecisionRecordRow,
  DecisionRecordTexts,
  DecisionRow,
} from "../types.ts";
import type { DecisionRecord } from "../../../decision/simulate.ts";
import { setImmediate } from "node:timers";
import { cap, parse, promised, type SqliteDb } from "./db.ts";
import type { SqliteTelemetry } from "./telemetry.ts";

type Queued = { row: DecisionRow; resolve: () => void; reject: (e: unknown) => void };

/** Decisions and decision records over one connection. */
export class SqliteDecisions {
  readonly #db: SqliteDb;
  #decisionQueue: Queued[] = [];

  readonly #thread: SqliteTelemetry | null;

  /** Rows in `db`; replay records on `thread`'s telemetry thread when it has one. */
  constructor(db: SqliteDb, thread: SqliteTelemetry | null = null) {
    this.#db = db;
    this.#thread = thread;
  }

  recordDecision(row: DecisionRow): Promise<void> {
    // Grouped: decisions recorded in the same turn of the event loop share one transaction.
    return new Promise<void>((resolve, reject) => {
      this.#decisionQueue.push({ row, resolve, reject });
      // `setImmediate`: after this turn's I/O callbacks, without the timer's millisecond (a
      // `setTimeout(0)` held every dispatch about 1-2 ms on an idle hall).
      if (this.#decisionQueue.length === 1) setImmediate(() => void this.#flushWhenFree());
    });
  }
  // The timer's flush: waits for the write lock on the event loop (`txDeferredWhenFree`); rows
  // queued meanwhile join the batch, which is taken once the lock is held.
  async #flushWhenFree(): Promise<void> {
    if (this.#decisionQueue.length === 0) return;
    let batch: Queued[] = [];
    try {
      await this.#db.txDeferredWhenFree(() => {
        batch = this.#decisionQueue.splice(0);
        this.#insert(batch);
      });
      for (const b of batch) b.resolve();
    } catch (e) {
      // Rows not taken yet stay queued for the next flush (or close's).
      for (const b of batch) b.reject(e);
    }
  }
  #insert(batch: Queued[]): void {
    for (const { row } of batch) {
      this.#db.run(
        "INSERT OR IGNORE INTO decisions (decision_id, data) VALUES (?, ?)",
        row.decision_id,
        JSON.stringify(row),
      );
    }
  }
  /**
   * Write the decisions queued so far (now). Committed without waiting for the disk: other
   * instances see the rows at once (a worker's sub-request may reach one), and each row is durable
   * no later than the receipt of its dispatch, which is committed after it and acknowledged only
   * once the WAL is flushed (a crash before that loses neither an acknowledged receipt nor the
   * decision under it).
   */
  flush(): void {
    const batch = this.#decisionQueue.splice(0);
    if (batch.length === 0) return;
    try {
      this.#db.txDeferred(() => this.#insert(batch));
      for (const b of batch) b.resolve();
    } catch (e) {
      for (const b of batch) b.reject(e);
    }
  }
  getDecision(decisionId: string): Promise<DecisionRow | null> {
    const row = this.#db.get("SELECT data FROM decisions WHERE decision_id = ?", decisionId);
    return promised(() => row ? parse<DecisionRow>(row) : null);
  }
  appendDecisionRecords(records: DecisionRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let data: string;
    let lastAt = "";
    try {
      data = JSON.stringify(records);
      for (const r of records) if (r.timestamp > lastAt) lastAt = r.timestamp;
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#appendPacked(data, records.length, lastAt);
  }
  appendDecisionRecordTexts(batch: DecisionRecordTexts): Promise<void> {
    const n = batch.records.length;
    if (n === 0) return Promise.resolve();
    let lastAt = "";
    for (const t of batch.timestamps) if (t > lastAt) lastAt = t;
    // The same row as appendDecisionRecords writes: one JSON array of the batch's records.
    return this.#appendPacked(`[${batch.records.join(",")}]`, n, lastAt);
  }
  #appendPacked(data: string, count: number, lastAt: string): Promise<void> {
    // On the telemetry thread when there is one: a batch's insert and fsync off the serving thread.
    const off = this.#thread?.appendRecordsOnThread(data, count, lastAt);
    if (off) return off;
    return promised(() => {
      this.#db.tx(() => {
        const top = this.#db.get(
          "SELECT last_seq FROM decision_records ORDER BY first_seq DESC LIMIT 1",
        ) as { last_seq: number } | undefined;
        const first = (top ? Number(top.last_seq) : 0) + 1;
        this.#db.run(
          "INSERT INTO decision_records (first_seq, last_seq, last_at, data) VALUES (?, ?, ?, ?)",
          first,
          first + count - 1,
          lastAt,
          data,
        );
      });
    });
  }
  listDecisionRecords(query: DecisionRecordQuery = {}): Promise<DecisionRecordRow[]> {
    return promised(() => {
      const after = Math.max(0, Math.floor(query.after_seq ?? 0));
      const since = query.since ?? "";
      const limit = cap(query.limit, 100);
      const out: DecisionRecordRow[] = [];
      let from = after;
      while (out.length < limit) {
        const rows = this.#db.all(
          `SELECT first_seq, last_seq, data FROM decision_records
           WHERE last_seq > ? AND last_at >= ? ORDER BY first_seq LIMIT 4`,
          from,
          since,
        ) as { first_seq: number; last_seq: number; data: string }[];
        if (rows.length === 0) break;
        for (const row of rows) {
          const first = Number(row.first_seq);
          const list = JSON.parse(row.data) as DecisionRecord[];
          for (let i = 0; i < list.length && out.length < limit; i++) {
            const seq = first + i;
            if (seq <= after || list[i].timestamp < since) continue;
            out.push({ seq, record: list[i] });
          }
          from = Number(row.last_seq);
          if (out.length >= limit) break;
        }
      }
      return out;
    });
  }
}
