/**
 * The MCP gateway's tool pins in the SQLite store (table `gateway_pins`, migration 8): one
 * versioned row per gateway name, written by compare-and-set in one statement (SQLite runs one
 * writer at a time, across the connections on the file).
 *
 * @module
 */

import type { GatewayPinsRow } from "../types.ts";
import { checkGatewayName, checkGatewayPinsWrite } from "../_pins.ts";
import { promised, type SqliteDb } from "./db.ts";

/** DDL of the pins table (migration 8). */
export const SQLITE_GATEWAY_PINS = `
  CREATE TABLE IF NOT EXISTS gateway_pins (
    name TEXT PRIMARY KEY, version INTEGER NOT NULL CHECK (version >= 1), data TEXT NOT NULL,
    updated_at TEXT NOT NULL);
  `;

/** Gateway pin rows over one connection. */
export class SqlitePins {
  readonly #db: SqliteDb;

  /** Rows in `db`. */
  constructor(db: SqliteDb) {
    this.#db = db;
  }

  getGatewayPins(name: string): Promise<GatewayPinsRow | null> {
    return promised(() => {
      checkGatewayName(name);
      const r = this.#db.get(
        "SELECT version, data, updated_at FROM gateway_pins WHERE name = ?",
        name,
      ) as { version: number; data: string; updated_at: string } | undefined;
      return r ? { version: Number(r.version), data: r.data, updated_at: r.updated_at } : null;
    });
  }

  putGatewayPins(name: string, expected: number, data: string, at: string): Promise<boolean> {
    return promised(() => {
      checkGatewayPinsWrite(name, expected, data, at);
      const changed = expected === 0
        ? this.#db.run(
          `INSERT INTO gateway_pins (name, version, data, updated_at) VALUES (?, 1, ?, ?)
           ON CONFLICT (name) DO NOTHING`,
          name,
          data,
          at,
        )
        : this.#db.run(
          `UPDATE gateway_pins SET version = version + 1, data = ?, updated_at = ?
           WHERE name = ? AND version = ?`,
          data,
          at,
          name,
          expected,
        );
      return changed === 1;
    });
  }
}
