/**
 * Telemetry events of the SQLite store, packed one row per run of events of one decision. On a
 * file database the inserts run on a worker thread with its own connection
 * (`_telemetry_worker.ts`), so the decision path never waits for them.
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import type {
  KeyedPage,
  TelemetryBatch,
  TelemetryPageQuery,
  TelemetryQuery,
  TelemetryRow,
} from "../types.ts";
import { cap, promised, type SqliteDb } from "./db.ts";
import { packRows } from "./_telemetry_wire.ts";

/**
 * Where the store writes telemetry: on its own thread (`worker`), or on the thread that serves
 * requests (`main`: an in-memory database, the thread turned off, or a fallback, with why).
 */
export interface TelemetryWriter {
  /** `worker` or `main`. */
  thread: "worker" | "main";
  /** Why not on the worker thread (null when it is). */
  reason: string | null;
  /** True when a file database wanted the worker thread but could not have it (degraded). */
  fallback: boolean;
}

// [decision_id, correlation_id, JSON of [event_id, timestamp, event][]] per run of one decision.
function packTelemetry(rows: TelemetryRow[]): [string, string, string][] {
  const out: [string, string, string][] = [];
  let i = 0;
  while (i < rows.length) {
    let k = i + 1;
    while (
      k < rows.length && rows[k].decision_id === rows[i].decision_id &&
      rows[k].correlation_id === rows[i].correlation_id
    ) k++;
    const packed = rows.slice(i, k).map((r) => [r.event_id, r.timestamp, r.event]);
    out.push([rows[i].decision_id, rows[i].correlation_id, JSON.stringify(packed)]);
    i = k;
  }
  return out;
}

/**
 * The tenant of a packed row: it holds one decision's events, which share its tenant, so the first
 * one's says (in either layout: `[event_id, timestamp, event]` triples or the event objects).
 * Migration 10 indexes this expression; a query must use the same text to be answered from it.
 * Text that is not JSON (no write of this store makes any) has no tenant, rather than making the
 * insert, or the migration building the index over older rows, fail.
 */
export const PACKED_TENANT = "(CASE WHEN json_valid(data) THEN coalesce(" +
  "json_extract(data, '$[0][2].tenant_id'), json_extract(data, '$[0].tenant_id')) END)";

/**
 * The statement of one telemetry page (`pageTelemetry`): its SQL, parameters, page size and the
 * packed rows it asks for.
 * Exported for the test that reads its query plan.
 */
export function telemetryPageSql(
  query: TelemetryPageQuery,
): { sql: string; params: SQLInputValue[]; limit: number; rowsAsked: number } {
  const where: string[] = [];
  const params: SQLInputValue[] = [];
  if (query.decision_id !== undefined) {
    where.push("decision_id = ?");
    params.push(query.decision_id);
  }
  if (query.correlation_id !== undefined) {
    where.push("correlation_id = ?");
    params.push(query.correlation_id);
  }
  if (query.tenant_id !== undefined) {
    where.push(`${PACKED_TENANT} = ?`); // migration 10's index (the same text, or SQLite scans)
    params.push(query.tenant_id);
  }
  const limit = cap(query.limit, 100);
  const before = query.before ?? null;
  if (before) {
    // The rows before the key's row, and the events before the key in its own row.
    where.push("id <= ?");
    params.push(before[1] === 0 ? Number(before[0]) - 1 : before[0]);
  }
  // Every packed row holds at least one event, so `limit + 1` rows hold more than `limit`
  // events, unless there are no more rows (the key's own row may add none: fetched besides).
  const sql = `SELECT id, decision_id, correlation_id, data FROM telemetry_packed
    ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id DESC LIMIT ?`;
  const rowsAsked = before && before[1] !== 0 ? limit + 2 : limit + 1;
  params.push(rowsAsked);
  return { sql, params, limit, rowsAsked };
}

/** Telemetry rows over one connection (and the worker thread's). */
export class SqliteTelemetry {
  readonly #db: SqliteDb;
  readonly #telemetryWorker: boolean;

  /** Rows in `db`; `worker`: write on a worker thread (file databases). */
  constructor(db: SqliteDb, worker: boolean) {
    this.#db = db;
    this.#telemetryWorker = worker;
  }

  appendTelemetry(rows: TelemetryRow[]): Promise<void> {
    // One database row per run of events of one decision (the hall writes a decision's events
    // together): five times fewer inserts on the decision path.
    let packed: [string, string, string][];
    try {
      packed = packTelemetry(rows);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#writePacked(packed);
  }

  appendTelemetryBatches(batches: TelemetryBatch[]): Promise<void> {
    // Stored as they come: a JSON array of event objects (listTelemetry reads both layouts).
    return this.#writePacked(batches.map((b) => [b.decision_id, b.correlation_id, b.events_json]));
  }

  #writePacked(packed: [string, string, string][]): Promise<void> {
    if (packed.length === 0) return Promise.resolve();
    if (this.#db.path !== ":memory:" && this.#telemetryWorker) {
      if (this.#workerUsable()) return this.#workerWrite(packed);
      if (!this.#said) {
        this.#said = true;
        console.error(`hall: telemetry writes fall back to the main thread: ${this.#brokenReason}`);
      }
    }
    return promised(() => {
      this.#db.tx(() => {
        const st = this.#db.stmt(
          "INSERT INTO telemetry_packed (decision_id, correlation_id, data) VALUES (?, ?, ?)",
        );
        for (const [d, c, data] of packed) st.run(d, c, data);
      });
    });
  }

  /** Where telemetry is written now (see {@link TelemetryWriter}). */
  writer(): TelemetryWriter {
    if (this.#db.path === ":memory:") {
      return { thread: "main", reason: "in-memory database", fallback: false };
    }
    if (!this.#telemetryWorker) {
      return { thread: "main", reason: "telemetry thread turned off", fallback: false };
    }
    if (this.#workerUsable()) return { thread: "worker", reason: null, fallback: false };
    return { thread: "main", reason: this.#brokenReason, fallback: true };
  }

  // Telemetry inserts run on a worker thread with its own connection (file databases only).
  // A process that may not read the worker's modules (a narrow --allow-read) or whose worker
  // died writes in this thread instead: telemetry is never dropped for want of a thread, but the
  // fallback is said once on stderr (at its first write) and shown by `writer()` (the hall's
  // /wcp/health).
  #workerBroken = false;
  #brokenReason: string | null = null;
  #workerUsable(): boolean {
    if (this.#workerBroken) return false;
    if (this.#worker) return true;
    for (const name of ["./_telemetry_worker.ts", "./_telemetry_wire.ts"]) {
      const url = new URL(name, import.meta.url);
      if (url.protocol !== "file:") continue;
      const state = Deno.permissions.querySync({ name: "read", path: url }).state;
      if (state !== "granted") {
        this.#fallBack(
          "no read permission for the telemetry thread's modules (grant --allow-read of src/)",
        );
        return false;
      }
    }
    return true;
  }
  // (`reason` is shown by /wcp/health, which is public: no paths in it.) Said on stderr at the
  // first write that falls back.
  #said = false;
  #fallBack(reason: string): void {
    this.#workerBroken = true;
    this.#brokenReason = reason;
  }
  #worker: Worker | null = null;
  #workerCalls = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  #workerSeq = 0;
  /**
   * Append one packed row of replay records (`records`: the JSON array of `count` of them) on the
   * telemetry thread, off the serving thread and its fsync; null when there is no such thread
   * (the caller writes them itself).
   */
  appendRecordsOnThread(records: string, count: number, lastAt: string): Promise<void> | null {
    if (this.#db.path === ":memory:" || !this.#telemetryWorker || !this.#workerUsable()) {
      return null;
    }
    return this.#post({ type: "records", records, count, last_at: lastAt });
  }

  #workerWrite(rows: [string, string, string][]): Promise<void> {
    return this.#post({ type: "write", rows: packRows(rows) });
  }

  #post(message: Record<string, unknown>): Promise<void> {
    if (this.#db.closed || this.#db.closing) return Promise.reject(new Error("store is closed"));
    if (!this.#worker) {
      const w = new Worker(new URL("./_telemetry_worker.ts", import.meta.url).href, {
        type: "module",
      });
      w.onmessage = (e: MessageEvent) => {
        const m = e.data as { id: number; ok: boolean; error?: string };
        const call = this.#workerCalls.get(m.id);
        this.#workerCalls.delete(m.id);
        if (m.ok) call?.resolve();
        else call?.reject(new Error(m.error ?? "telemetry write failed"));
      };
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        for (const c of this.#workerCalls.values()) c.reject(new Error(e.message));
        this.#workerCalls.clear();
        this.#worker = null;
        this.#fallBack(`the telemetry thread failed: ${e.message}`);
      };
      this.#worker = w;
    }
    const id = ++this.#workerSeq;
    return new Promise<void>((resolve, reject) => {
      this.#workerCalls.set(id, { resolve, reject });
      this.#worker!.postMessage({
        ...message,
        id,
        path: this.#db.path,
        synchronous: this.#db.synchronous,
      });
    });
  }
  /** Wait for the worker's pending writes, then stop it. */
  async closeWorker(): Promise<void> {
    if (!this.#worker) return;
    const pending = [...this.#workerCalls.values()].map((c) =>
      new Promise<void>((r) => {
        const { resolve, reject } = c;
        c.resolve = () => (resolve(), r());
        c.reject = (e) => (reject(e), r());
      })
    );
    await Promise.all(pending);
    this.#worker.postMessage({ type: "close" });
    const w = this.#worker;
    this.#worker = null;
    // Give the worker a moment to close its connection cleanly, then make sure it is gone.
    await new Promise((r) => setTimeout(r, 20));
    w.terminate();
  }

  async listTelemetry(query: TelemetryQuery = {}): Promise<TelemetryRow[]> {
    return (await this.pageTelemetry(query)).rows;
  }

  /**
   * A page of events going back in time: the newest `limit` events before `before` (a key
   * `[packed row id, index of the event in it]`), oldest first; `next` is the key of the page's
   * oldest event when older ones match.
   */
  pageTelemetry(query: TelemetryPageQuery): Promise<KeyedPage<TelemetryRow>> {
    const { sql, params, limit, rowsAsked } = telemetryPageSql(query);
    const before = query.before ?? null;
    return promised(() => {
      const packedRows = this.#db.all(sql, ...params) as {
        id: number;
        decision_id: string;
        correlation_id: string;
        data: string;
      }[];
      const events: { key: [number, number]; row: TelemetryRow }[] = [];
      for (const x of packedRows.reverse()) {
        // Two layouts: [event_id, timestamp, event] triples, or the event objects themselves.
        const packed = JSON.parse(x.data) as (
          | [string, string, Record<string, unknown>]
          | Record<string, unknown>
        )[];
        packed.forEach((p, n) => {
          if (before && x.id === before[0] && n >= Number(before[1])) return;
          const [event_id, timestamp, event] = Array.isArray(p)
            ? p
            : [String(p.event_id ?? ""), String(p.timestamp ?? ""), p];
          if (query.tenant_id !== undefined && event.tenant_id !== query.tenant_id) return;
          events.push({
            key: [x.id, n],
            row: {
              event_id,
              decision_id: x.decision_id,
              correlation_id: x.correlation_id,
              timestamp,
              event,
            },
          });
        });
      }
      const page = events.slice(Math.max(0, events.length - limit));
      // Older events match when this page left some out, or when the rows read were cut.
      const more = events.length > limit || packedRows.length === rowsAsked;
      const oldest = page[0]?.key ?? (packedRows.length ? [packedRows[0].id, 0] : null);
      return { rows: page.map((e) => e.row), next: more ? oldest : null };
    });
  }
}
