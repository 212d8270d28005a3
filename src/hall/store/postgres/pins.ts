/**
 * The MCP gateway's tool pins in the PostgreSQL store (table `gateway_pins`, migration 9): one
 * versioned row per gateway name, written by compare-and-set in one statement. Two instances
 * writing the same version: the second waits for the first's row lock (or unique index entry),
 * then finds the version moved on and writes nothing, so exactly one wins.
 *
 * @module
 */

import type { GatewayPinsRow } from "../types.ts";
import { checkGatewayName, checkGatewayPinsWrite } from "../_pins.ts";
import { num, type Sql, T } from "./db.ts";

/** DDL of the pins table (migration 9). */
export const PG_GATEWAY_PINS = `
  create table gateway_pins (
    name ${T} primary key, version bigint not null check (version >= 1), data text not null,
    updated_at ${T} not null);
`;

/** Gateway pin rows. */
export class PgPins {
  readonly #sql: Sql;

  /** Rows over the pool `sql`. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async getGatewayPins(name: string): Promise<GatewayPinsRow | null> {
    checkGatewayName(name);
    const [r] = await this.#sql`select version, data, updated_at from gateway_pins
      where name = ${name}`;
    return r ? { version: num(r.version), data: r.data, updated_at: r.updated_at } : null;
  }

  async putGatewayPins(
    name: string,
    expected: number,
    data: string,
    at: string,
  ): Promise<boolean> {
    checkGatewayPinsWrite(name, expected, data, at);
    const rows = expected === 0
      ? await this.#sql`insert into gateway_pins (name, version, data, updated_at)
          values (${name}, 1, ${data}, ${at}) on conflict (name) do nothing returning 1 as ok`
      : await this.#sql`update gateway_pins set version = version + 1, data = ${data},
          updated_at = ${at} where name = ${name} and version = ${expected} returning 1 as ok`;
    return rows.length === 1;
  }
}
