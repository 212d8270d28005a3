/**
 * The hall's view of its store's health. `guardStore` wraps a `HallStore` so that a failure of
 * the store itself (SQLite: disk full, I/O error, locked or read-only file; PostgreSQL: the
 * server unreachable, shutting down, out of disk or connections) becomes a 503
 * `STORE_UNAVAILABLE` naming the store, instead of a 500 "internal error", and is remembered:
 * `/wcp/health` reports `status: "degraded"` with the reason while the store keeps failing.
 * The next write that succeeds (or the health check's own probe write) clears it, so the hall
 * recovers by itself when space or the server returns.
 *
 * Nothing is acknowledged that is not durable: a receipt append that fails is answered 503 and
 * its transaction is rolled back by the store.
 *
 * @module
 */

import { HttpError } from "./errors.ts";
import type { HallStore } from "./store/types.ts";

/** The store failed (disk full, I/O, unreachable server): 503 naming the store. */
export class StoreUnavailableError extends HttpError {
  constructor(backend: HallStore["backend"], reason: string, cause?: unknown) {
    super(503, "STORE_UNAVAILABLE", `the ${backend} store is unavailable: ${reason}`, {
      headers: { "retry-after": "5" },
    });
    this.name = "StoreUnavailableError";
    this.cause = cause;
  }
}

// SQLite result codes (primary) that mean the store cannot work, not that the request is wrong.
const SQLITE_CODES: Record<number, string> = {
  5: "the database is busy (locked by another process)",
  6: "the database table is locked",
  7: "out of memory",
  8: "the database file is read-only",
  10: "disk I/O error",
  11: "the database file is corrupt",
  13: "the disk is full",
  14: "the database file cannot be opened",
  26: "the file is not a database",
};
// The same failures as the telemetry worker reports them (a message only).
const SQLITE_MESSAGES: [RegExp, string][] = [
  [/database or disk is full/i, "the disk is full"],
  [/disk I\/O error/i, "disk I/O error"],
  [/database is locked/i, "the database is busy (locked by another process)"],
  [/readonly database/i, "the database file is read-only"],
  [/unable to open database/i, "the database file cannot be opened"],
];
// postgres.js connection error codes, and SQLSTATE classes 08 (connection), 53 (insufficient
// resources: disk full, out of memory, too many connections), 57P (shutdown), 58 (system I/O).
const PG_CONNECTION = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * Why `e` is a failure of the store itself (a short reason), or null for any other error (a bad
 * row, a constraint, a bug): those keep their own handling.
 */
export function storeFailure(e: unknown): string | null {
  if (e instanceof StoreUnavailableError) return e.message;
  if (typeof e !== "object" || e === null) return null;
  const x = e as { errcode?: unknown; code?: unknown; message?: unknown };
  const message = typeof x.message === "string" ? x.message : "";
  if (typeof x.errcode === "number") {
    const reason = SQLITE_CODES[x.errcode & 0xff];
    if (reason) return reason;
  }
  if (typeof x.code === "string") {
    if (PG_CONNECTION.has(x.code)) return `cannot reach the server (${x.code})`;
    if (/^(08|53|57P|58)/.test(x.code) && /^[0-9A-Z]{5}$/.test(x.code)) {
      return `${message.slice(0, 160) || "server error"} (SQLSTATE ${x.code})`;
    }
  }
  if (
    e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.ConnectionReset ||
    e instanceof Deno.errors.BrokenPipe
  ) {
    return `cannot reach the server (${message.slice(0, 120)})`;
  }
  for (const [re, reason] of SQLITE_MESSAGES) if (re.test(message)) return reason;
  return null;
}

/** What the guard knows of the store's health. */
export interface StoreHealth {
  /** The current failure (since the last successful write), or null. */
  readonly failing: { reason: string; since: string } | null;
  /** Try a small write (or a ping) now; clears `failing` when it succeeds. */
  probe(): Promise<void>;
}

// Methods that only read: their success says nothing about whether writes work again (SQLite
// reads go on while the disk is full).
const READS = /^(get|list|find|count|ping|migrationVersion|openPeerChannel)/;

const healthOf = new WeakMap<HallStore, StoreHealth>();

/** The health of a store wrapped by `guardStore`, or null. */
export function storeHealthOf(store: HallStore): StoreHealth | null {
  return healthOf.get(store) ?? null;
}

/** Wrap `store`: its failures become `StoreUnavailableError` and are tracked (see module). */
export function guardStore(store: HallStore, now: () => number = Date.now): HallStore {
  if (healthOf.has(store)) return store;
  let failing: { reason: string; since: string } | null = null;
  let warned = 0;
  const fail = (e: unknown): unknown => {
    const reason = storeFailure(e);
    if (reason === null) return e;
    if (!failing) failing = { reason, since: new Date(now()).toISOString() };
    else failing = { ...failing, reason };
    // One line a minute while it lasts (each request that fails gets its 503).
    if (now() - warned > 60_000) {
      warned = now();
      console.error(`hall: the ${store.backend} store is failing: ${reason}`);
    }
    return e instanceof StoreUnavailableError
      ? e
      : new StoreUnavailableError(store.backend, reason, e);
  };
  const recovered = () => {
    if (!failing) return;
    console.error(`hall: the ${store.backend} store works again (failing since ${failing.since})`);
    failing = null;
    warned = 0;
  };
  // Wrapped methods, by name and by the function wrapped (a method replaced later is rewrapped).
  const wrapped = new Map<PropertyKey, { of: unknown; fn: unknown }>();
  const guarded = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function" || prop === "close") return value;
      let fn = wrapped.get(prop)?.of === value ? wrapped.get(prop)!.fn : undefined;
      if (!fn) {
        const write = typeof prop === "string" && !READS.test(prop);
        fn = (...args: unknown[]) => {
          let result: unknown;
          try {
            result = value.apply(target, args);
          } catch (e) {
            throw fail(e);
          }
          if (!(result instanceof Promise)) return result;
          return result.then((v) => {
            if (write) recovered();
            return v;
          }, (e) => {
            throw fail(e);
          });
        };
        wrapped.set(prop, { of: value, fn });
      }
      return fn;
    },
  });
  healthOf.set(guarded, {
    get failing() {
      return failing;
    },
    probe: async () => {
      try {
        if (store.probeWrite) await store.probeWrite();
        else if (!(await store.ping())) throw new StoreUnavailableError(store.backend, "no answer");
        recovered();
      } catch (e) {
        fail(e);
      }
    },
  });
  return guarded;
}
