/**
 * Worker thread of `SqliteStore` that writes telemetry rows on its own connection, so the
 * decision path never waits for telemetry inserts (WAL lets it write beside the main connection).
 *
 * Messages in: `{ type: "write", id, path, synchronous, rows }` (`rows`: the
 * `[decision_id, correlation_id, data]` rows packed into one string, `_telemetry_wire.ts`),
 * `{ type: "records", id, path, synchronous, records, count, last_at }` (replay records: one
 * JSON array of `count` records, numbered after the last stored one), `{ type: "close" }`.
 * Messages out: `{ id, ok: true }` or `{ id, ok: false, error }`.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { unpackRows } from "./_telemetry_wire.ts";

let db: DatabaseSync | null = null;
let insert: StatementSync | null = null;

function open(path: string, synchronous: string): void {
  if (db) return;
  db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 10000");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(`PRAGMA synchronous = ${synchronous === "NORMAL" ? "NORMAL" : "FULL"}`);
  insert = db.prepare(
    "INSERT INTO telemetry_packed (decision_id, correlation_id, data) VALUES (?, ?, ?)",
  );
}

// One packed row of replay records (the JSON array of `count` records), numbered after the last
// (inside the write transaction: the numbering and the insert are one step for every connection).
function appendRecords(records: string, count: number, lastAt: string): void {
  const top = db!.prepare(
    "SELECT last_seq FROM decision_records ORDER BY first_seq DESC LIMIT 1",
  ).get() as { last_seq: number } | undefined;
  const first = (top ? Number(top.last_seq) : 0) + 1;
  db!.prepare(
    "INSERT INTO decision_records (first_seq, last_seq, last_at, data) VALUES (?, ?, ?, ?)",
  ).run(first, first + count - 1, lastAt, records);
}

self.onmessage = (e: MessageEvent) => {
  const m = e.data as {
    type: string;
    id?: number;
    path?: string;
    synchronous?: string;
    rows?: string;
    records?: string;
    count?: number;
    last_at?: string;
  };
  if (m.type === "close") {
    db?.close();
    db = null;
    self.close();
    return;
  }
  try {
    open(m.path!, m.synchronous ?? "FULL");
    const rows = m.type === "records" ? [] : unpackRows(m.rows!);
    db!.exec("BEGIN IMMEDIATE");
    try {
      if (m.type === "records") appendRecords(m.records!, m.count!, m.last_at!);
      else for (const [d, c, data] of rows) insert!.run(d, c, data);
      db!.exec("COMMIT");
    } catch (err) {
      if (db!.isTransaction) db!.exec("ROLLBACK"); // SQLite may have rolled back (disk full)
      throw err;
    }
    self.postMessage({ id: m.id, ok: true });
  } catch (err) {
    self.postMessage({
      id: m.id,
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    });
  }
};
