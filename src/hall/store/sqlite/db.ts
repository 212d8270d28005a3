/**
 * The one SQLite connection the store's repositories share: cached prepared statements, the
 * `BEGIN IMMEDIATE` transaction helper, the WAL flush that makes deferred commits durable, and the
 * small row helpers they all use.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";

/** How long a statement waits for another connection's write lock. */
const BUSY_TIMEOUT_MS = 5000;

/** WAL flushes that may run at once (`SqliteDb.durable`); more wait for one to end. */
let FLUSHES_IN_FLIGHT = 4;
/** For the benchmark: how many WAL flushes may run at once (at least 1). */
export function setFlushesInFlight(n: number): void {
  FLUSHES_IN_FLIGHT = Math.max(1, Math.floor(n));
}

/** A row as `node:sqlite` returns it. */
export type Row = Record<string, SQLInputValue>;

/**
 * Flushes a file to the disk (`fdatasync`) off the calling thread; resolves when it is on the
 * disk. The store's default opens the file once and calls `FsFile.syncData` (Deno runs it on a
 * blocking-pool thread, so the event loop keeps serving meanwhile).
 */
export type FileSyncer = (path: string) => Promise<void>;

/** The default `FileSyncer`: one read-only handle per path, kept open, `syncData` on it. */
export function fileSyncer(): FileSyncer & { close(): void } {
  const files = new Map<string, Deno.FsFile>();
  const sync = async (path: string): Promise<void> => {
    let f = files.get(path);
    if (!f) {
      f = await Deno.open(path, { read: true });
      files.set(path, f);
    }
    await f.syncData();
  };
  return Object.assign(sync, {
    close(): void {
      for (const f of files.values()) {
        try {
          f.close();
        } catch { /* already closed */ }
      }
      files.clear();
    },
  });
}

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

  readonly #syncer: (FileSyncer & { close?: () => void }) | null;

  /**
   * Open `path` (WAL journal for files). `syncer` flushes the WAL file for `durable()` (default
   * `fileSyncer()`; only used for files with `synchronous` FULL).
   */
  constructor(path: string, synchronous: "FULL" | "NORMAL", syncer?: FileSyncer) {
    this.path = path;
    this.synchronous = synchronous;
    this.#syncer = path === ":memory:" || synchronous !== "FULL" ? null : syncer ?? fileSyncer();
    this.#db = new DatabaseSync(path);
    this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
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
    this.stmt("BEGIN IMMEDIATE").run();
    return this.#commitAfter(fn);
  }

  // Run `fn` in the transaction just begun, then commit (or roll back and rethrow).
  #commitAfter<T>(fn: () => T): T {
    try {
      const out = fn();
      this.stmt("COMMIT").run();
      return out;
    } catch (e) {
      // SQLite may have rolled back already (a full disk, an I/O error): a second ROLLBACK
      // would throw "no transaction is active" and hide the error that matters.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw e;
    }
  }

  /**
   * Run `fn` in a `BEGIN IMMEDIATE` transaction whose commit does not wait for the disk: with
   * `synchronous` FULL the commit is written to the WAL without its fsync, and is durable once a
   * later `durable()` resolves (or any later FULL commit returns: the WAL is one file, flushed as
   * a whole, and recovery keeps a commit only with every commit before it). Others see it at once.
   * Used where the event loop must not block on the disk: the receipt group commit, which then
   * waits for `durable()` before acknowledging, and the executed-decision rows, made durable by
   * their dispatch's receipt.
   */
  txDeferred<T>(fn: () => T): T {
    return this.#deferred(() => this.tx(fn));
  }

  #deferred<T>(run: () => T): T {
    if (this.#syncer === null) return run();
    this.stmt("PRAGMA synchronous = NORMAL").run();
    try {
      return run();
    } finally {
      this.#commits++;
      this.stmt("PRAGMA synchronous = FULL").run();
    }
  }

  /**
   * `txDeferred`, but while another connection (the telemetry thread, another process) holds the
   * write lock this waits on the event loop, retrying, instead of in SQLite's busy handler, which
   * sleeps the thread (1 ms, 2 ms, 5 ms...) and with it every request this thread serves. After
   * the connection's busy timeout (5 s) it waits as `tx` does, and fails as it does.
   */
  async txDeferredWhenFree<T>(fn: () => T): Promise<T> {
    // A `:memory:` database has no other connection: its lock is never held by anyone else.
    if (this.path === ":memory:") return this.txDeferred(fn);
    const giveUp = Date.now() + BUSY_TIMEOUT_MS;
    for (let wait = 0; Date.now() < giveUp; wait = Math.min(wait * 2 || 1, 8)) {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.closed) throw new Error("store is closed");
      // (synchronous may only change outside a transaction: #deferred sets it before BEGIN.)
      const done = this.#deferred(() => this.#tryBegin() ? { out: this.#commitAfter(fn) } : null);
      if (done !== null) return done.out;
    }
    return this.txDeferred(fn);
  }

  // BEGIN IMMEDIATE without the busy handler: false when another connection holds the lock.
  // (Prepared once: parsing these four statements per transaction cost ~25 µs of a dispatch.)
  #tryBegin(): boolean {
    this.stmt("PRAGMA busy_timeout = 0").run();
    try {
      this.stmt("BEGIN IMMEDIATE").run();
      return true;
    } catch (e) {
      // SQLITE_BUSY (node:sqlite in Deno gives its message only, no errcode).
      if (e instanceof Error && /database is locked/.test(e.message)) return false;
      throw e;
    } finally {
      this.stmt(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`).run();
    }
  }

  // Group flush of the WAL. A caller needs a flush that started after its commit: it joins the
  // newest flush when that one started after the last commit, else starts one (up to
  // `FLUSHES_IN_FLIGHT` at a time; beyond that it joins the one queued to start next). One failed
  // flush fails every later one: after a failed fsync the kernel may have dropped the dirty pages,
  // so nothing written since can be called durable.
  #commits = 0;
  #latest: { from: number; done: Promise<void> } | null = null;
  #queued: { done: Promise<void>; start: () => void } | null = null;
  #inFlight = 0;
  #flushFailed: unknown = null;
  /** Flushes of the WAL started so far (for tests and the benchmark). */
  flushes = 0;

  /**
   * Resolves once every commit made before the call is on the disk: a flush of the WAL that
   * started after it (`txDeferred` commits); at once when `synchronous` is NORMAL or for
   * `:memory:`. Rejects when the flush fails, and from then on.
   */
  durable(): Promise<void> {
    const syncer = this.#syncer;
    if (syncer === null) return Promise.resolve();
    if (this.#flushFailed !== null) return Promise.reject(this.#flushFailed);
    if (this.#latest !== null && this.#latest.from >= this.#commits) return this.#latest.done;
    if (this.#queued !== null) return this.#queued.done;
    if (this.#inFlight < FLUSHES_IN_FLIGHT) return this.#startFlush(syncer);
    let start!: () => void;
    const done = new Promise<void>((res) => (start = res)).then(() => this.#startFlush(syncer));
    this.#queued = { done, start };
    return done;
  }

  #startFlush(syncer: FileSyncer): Promise<void> {
    if (this.#flushFailed !== null) return Promise.reject(this.#flushFailed);
    this.flushes++;
    this.#inFlight++;
    const from = this.#commits;
    const done = (async () => {
      try {
        await syncer(`${this.path}-wal`);
      } catch (e) {
        this.#flushFailed ??= new Error(
          `the SQLite WAL could not be flushed to the disk: ${e instanceof Error ? e.message : e}`,
        );
        throw this.#flushFailed;
      } finally {
        this.#inFlight--;
        const q = this.#queued;
        if (q !== null) {
          this.#queued = null;
          q.start();
        }
      }
    })();
    this.#latest = { from, done };
    return done;
  }

  /** Resolves when no WAL flush is running or queued (settles, never rejects). */
  async flushed(): Promise<void> {
    while (this.#inFlight > 0 || this.#queued !== null) {
      await (this.#queued?.done ?? this.#latest?.done)?.catch(() => {});
    }
  }

  /** Close the connection (and the handle of the WAL flush). */
  close(): void {
    this.closed = true;
    this.#db.close();
    this.#syncer?.close?.();
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
