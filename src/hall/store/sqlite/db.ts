/**
 * The one SQLite connection the store's repositories share: cached prepared statements, the
 * `BEGIN IMMEDIATE` transaction helper, and the small row helpers they all use.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";

/** A row as `node:sqlite` returns it. */
export type Row = Record<string, SQLInputValue>;

/** One connection to the store's file (or `:memory:`), shared by every repository. */
export class SqliteDb {
  /** The file (or `:memory:`). */
  readonly path: string;
  /** The connection's `synchronous` pragma (the telemetry thread uses the same). */
  readonly synchronous: "FULL" | "NORMAL";
  /** Set when `close` began (no new background writes). */
  closing = false;
  /** Set once the connection is closed. */
  closed = false;
  readonly #db: DatabaseSync;

  /** Open `path` (WAL journal for files). */
  constructor(path: string, synchronous: "FULL" | "NORMAL") {
    this.path = path;
    this.synchronous = synchronous;
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA busy_timeout = 5000");
    if (path !== ":memory:") this.#db.exec("PRAGMA journal_mode = WAL");
    this.#db.exec(`PRAGMA synchronous = ${synchronous}`);
    this.#db.exec("PRAGMA foreign_keys = ON");
  }

  // Prepared statements are reused: preparing costs more than most of our queries.
  #statements = new Map<string, StatementSync>();
  /** The prepared statement for `sql` (prepared once). */
  stmt(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Every row of a query. */
  all(sql: string, ...params: SQLInputValue[]): unknown[] {
    return this.stmt(sql).all(...params);
  }
  /** The first row of a query, or undefined. */
  get(sql: string, ...params: SQLInputValue[]): unknown {
    return this.stmt(sql).get(...params);
  }
  /** Run a statement; the number of rows changed. */
  run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.stmt(sql).run(...params).changes);
  }
  /** Run SQL text (DDL, pragmas) as it is. */
  exec(sql: string): void {
    this.#db.exec(sql);
  }
  /** Run `fn` in a `BEGIN IMMEDIATE` transaction (the write lock, across connections). */
  tx<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (e) {
      // SQLite may have rolled back already (a full disk, an I/O error): a second ROLLBACK
      // would throw "no transaction is active" and hide the error that matters.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw e;
    }
  }

  /** Close the connection. */
  close(): void {
    this.closed = true;
    this.#db.close();
  }
}

/** Run synchronous SQLite work and turn a throw into a rejected promise (callers await). */
export function promised<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The JSON `data` column of a row. */
export function parse<T>(row: unknown): T {
  return JSON.parse((row as { data: string }).data) as T;
}

/** A page size: `limit` (default `fallback`) within 1..1000. */
export function cap(limit: number | undefined, fallback: number): number {
  const n = limit === undefined ? fallback : Math.floor(limit);
  return Math.max(1, Math.min(1000, Number.isFinite(n) ? n : fallback));
}
