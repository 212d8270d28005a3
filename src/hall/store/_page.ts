/**
 * Keyset paging shared by the stores (`HallStore.page*`): a store asks its database for one row
 * more than the page, after the caller's key, in the list's order; `keyedPage` cuts the answer.
 *
 * @module
 */

import type { KeyedPage, PageKey } from "./types.ts";

/** Rows in a page when the caller gives no limit. */
export const STORE_PAGE_DEFAULT = 100;
/** Largest page a store answers. */
export const STORE_PAGE_MAX = 1000;

/** The page size to use: `limit` clamped to 1-1000 (default 100). */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return STORE_PAGE_DEFAULT;
  return Math.max(1, Math.min(STORE_PAGE_MAX, Math.trunc(limit)));
}

/**
 * Cut up to `limit + 1` rows into a page: when there is one more than `limit`, another page
 * follows and `next` is the key of the page's last row.
 */
export function keyedPage<T>(rows: T[], limit: number, keyOf: (row: T) => PageKey): KeyedPage<T> {
  if (rows.length <= limit) return { rows, next: null };
  const page = rows.slice(0, limit);
  return { rows: page, next: keyOf(page[page.length - 1]) };
}
