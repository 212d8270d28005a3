/**
 * Cursor paging of every list route (issue 14 item 2).
 *
 * A list answers one page: `{ <rows>: [...], count, next_cursor }`, where `count` is the number
 * of rows in this page and `next_cursor` is null on the last page. `limit` is 1-1000 (default
 * 100); `cursor` is what the previous page returned. A page may hold fewer rows than `limit`
 * and still have a `next_cursor`: only `next_cursor: null` ends a listing.
 *
 * The cursor is opaque to clients: base64url (no padding) of a JSON array whose first element
 * names the list and whose others are the sort key of the last row of the page (for workers
 * `[enrolled_at, worker_id]`, for receipts `[tenant_id, seq]`). The store answers the rows after
 * that key in the list's fixed order (keyset pagination: no OFFSET, an index range scan), so a
 * page costs O(limit) whatever the number of rows and a row inserted between two pages is never
 * seen twice nor makes another row skip. A cursor is only a position: the route applies the
 * caller's scope (tenant, namespace) to every page as to the first, so a forged or borrowed
 * cursor shows nothing the caller may not list; and since a page's last row is one the caller
 * may see, a cursor never carries another tenant's key.
 *
 * @module
 */

import { z } from "zod";
import { HttpError } from "./errors.ts";
import type { PageKey } from "./store/types.ts";

/** Rows in a page when `limit` is not given. */
export const PAGE_DEFAULT = 100;
/** Largest `limit`. */
export const PAGE_MAX = 1000;
/** Longest cursor accepted (a key of two 200-character ids encodes well below it). */
const CURSOR_MAX = 2048;

const LIMIT_MESSAGE = `must be an integer from 1 to ${PAGE_MAX}`;

/** The `limit` query parameter (a string of digits, 1-1000). */
export const LimitParam: z.ZodType<number | undefined, string | undefined> = z.string()
  .regex(/^[0-9]{1,4}$/, { error: LIMIT_MESSAGE })
  .transform(Number)
  .refine((n) => n >= 1 && n <= PAGE_MAX, { error: LIMIT_MESSAGE })
  .optional()
  .describe(`Rows in the page, 1-${PAGE_MAX} (default ${PAGE_DEFAULT})`);

/** The `cursor` query parameter (checked against its list when decoded). */
export const CursorParam: z.ZodType<string | undefined, string | undefined> = z.string()
  .min(1, { error: "must not be empty (omit it for the first page)" })
  .max(CURSOR_MAX, { error: `must be at most ${CURSOR_MAX} characters` })
  .optional()
  .describe("The next_cursor of the previous page (omit for the first page)");

/** `limit` and `cursor`, to spread into a list operation's query schema. */
export const pageParams = { limit: LimitParam, cursor: CursorParam };

/** What a key element is: a string or a non-negative safe integer. */
export type KeyKind = "string" | "integer";

function badCursor(message: string): HttpError {
  return new HttpError(400, "INVALID_QUERY", `cursor: ${message}`, { path: "cursor" });
}

function toBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return null;
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  try {
    const s = atob(b64 + "=".repeat((4 - b64.length % 4) % 4));
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** The cursor that resumes `list` after the row whose sort key is `key`. */
export function encodeCursor(list: string, key: readonly (string | number)[]): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify([list, ...key])));
}

/**
 * The sort key a cursor of `list` carries, or null when there is no cursor (first page).
 * 400 `INVALID_QUERY` (path `cursor`) when it is not a cursor of this list with a key of these
 * kinds.
 */
export function decodeCursor(
  list: string,
  cursor: string | undefined,
  kinds: readonly KeyKind[],
): PageKey | null {
  if (cursor === undefined) return null;
  const bytes = fromBase64Url(cursor);
  if (bytes === null) throw badCursor("not a cursor this hall issued (not base64url)");
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw badCursor("not a cursor this hall issued");
  }
  if (!Array.isArray(value) || typeof value[0] !== "string") {
    throw badCursor("not a cursor this hall issued");
  }
  if (value[0] !== list) {
    throw badCursor(`a cursor of another list (${JSON.stringify(value[0])}), not of ${list}`);
  }
  const key = value.slice(1);
  if (key.length !== kinds.length) throw badCursor("not a cursor this hall issued");
  key.forEach((k, i) => {
    const ok = kinds[i] === "string"
      ? typeof k === "string" && k.length <= 512
      : typeof k === "number" && Number.isSafeInteger(k) && k >= 0;
    if (!ok) throw badCursor("not a cursor this hall issued");
  });
  return key as PageKey;
}

/** The page answer: `{ [name]: items, count, next_cursor }`. */
export function pageBody<T>(
  name: string,
  list: string,
  items: T[],
  next: PageKey | null,
): Record<string, unknown> {
  return {
    [name]: items,
    count: items.length,
    next_cursor: next === null ? null : encodeCursor(list, next),
  };
}
