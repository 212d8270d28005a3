/**
 * What the PostgreSQL store's repositories share: the pool type, the row type, and the small
 * value helpers (int8 to number, JSON text columns, page sizes, schema names).
 *
 * @module
 */

import type postgres from "postgres";

/** A row as the driver returns it. */
// deno-lint-ignore no-explicit-any
export type Row = Record<string, any>;
/** The connection pool (or a transaction of it). */
export type Sql = postgres.Sql;

/** Largest page a list answers. */
export const MAX_PAGE = 1000;

/** Bytewise-sorted text, for ids and RFC 3339 times, whatever the database's collation. */
export const T = 'text collate "C"';

/** An int8 (a string from the driver) or integer column as a number. */
export function num(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

/** A JSON text column, parsed (null stays null). */
export function parseJson<T>(v: unknown): T {
  return (v === null || v === undefined ? null : JSON.parse(String(v))) as T;
}

/** A value as JSON text (null and undefined: null). */
export function json(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

/** A page size: `limit` (default `fallback`) within 0..MAX_PAGE. */
export function pageSize(limit: number | undefined, fallback: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.max(0, Math.min(MAX_PAGE, Math.trunc(limit)));
}

/** A schema name, quoted; throws on anything but a plain identifier. */
export function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(name)}`);
  }
  return `"${name}"`;
}
