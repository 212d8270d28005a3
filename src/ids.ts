/**
 * Identifiers and time: UUIDs (v4 and v7), the one timestamp format, and the WCP identifier
 * grammar of spec section 3.2.
 *
 * @module
 */

import { WcpError } from "./errors.ts";

/**
 * The earliest instant {@link formatTimestamp} writes: `0000-01-01T00:00:00.000Z`, in epoch
 * milliseconds (RFC 3339 years have exactly four digits).
 *
 * @example
 * ```ts
 * import { MIN_TIMESTAMP_MS } from "@wcp/core";
 * new Date(MIN_TIMESTAMP_MS).toISOString(); // "0000-01-01T00:00:00.000Z"
 * ```
 */
export const MIN_TIMESTAMP_MS: number = -62_167_219_200_000;

/**
 * The latest instant {@link formatTimestamp} writes: `9999-12-31T23:59:59.999Z`, in epoch
 * milliseconds.
 *
 * @example
 * ```ts
 * import { MAX_TIMESTAMP_MS } from "@wcp/core";
 * new Date(MAX_TIMESTAMP_MS).toISOString(); // "9999-12-31T23:59:59.999Z"
 * ```
 */
export const MAX_TIMESTAMP_MS: number = 253_402_300_799_999;

/**
 * Format epoch milliseconds as RFC 3339 UTC with milliseconds and `Z`
 * (docs/protocol/decisions.md#time-format), always `YYYY-MM-DDTHH:MM:SS.sssZ`. Fractions of a
 * millisecond are truncated. An instant RFC 3339 cannot write (before year 0000 or after 9999,
 * where `Date` gives `+010000-...` or `-000001-...`), a non-finite value or a non-number is
 * refused, never clamped to a time that did not happen.
 *
 * @param epochMs Milliseconds since 1970-01-01T00:00:00Z, from {@link MIN_TIMESTAMP_MS} to
 *   {@link MAX_TIMESTAMP_MS}.
 * @returns The timestamp text.
 * @throws {WcpError} `TIMESTAMP_INVALID` when `epochMs` is outside that range or not a number.
 *
 * @example
 * ```ts
 * import { formatTimestamp } from "@wcp/core";
 * formatTimestamp(0); // "1970-01-01T00:00:00.000Z"
 * ```
 */
export function formatTimestamp(epochMs: number): string {
  if (
    typeof epochMs !== "number" || !(epochMs >= MIN_TIMESTAMP_MS && epochMs < MAX_TIMESTAMP_MS + 1)
  ) {
    const got = typeof epochMs === "number" ? String(epochMs) : typeof epochMs;
    throw new WcpError(
      "TIMESTAMP_INVALID",
      "",
      `cannot write ${got} as an RFC 3339 timestamp: epoch milliseconds must be a finite number ` +
        `from ${MIN_TIMESTAMP_MS} (0000-01-01T00:00:00.000Z) to ${MAX_TIMESTAMP_MS} ` +
        `(9999-12-31T23:59:59.999Z); RFC 3339 years have four digits`,
    );
  }
  return new Date(epochMs).toISOString();
}

/**
 * A random (version 4) UUID from the platform CSPRNG.
 *
 * @example
 * ```ts
 * import { uuidV4 } from "@wcp/core";
 * uuidV4().length; // 36
 * ```
 */
export function uuidV4(): string {
  return crypto.randomUUID();
}

/**
 * A time-ordered (version 7) UUID: 48-bit millisecond timestamp, then random bits.
 *
 * @example
 * ```ts
 * import { uuidV7 } from "@wcp/core";
 * uuidV7(Date.now())[14]; // "7"
 * ```
 */
export function uuidV7(epochMs: number = Date.now()): string {
  // The platform's v4 already holds the variant bits and random bits where v7 wants them: the
  // 48-bit time goes over its first twelve hex digits and the version digit becomes 7 (74 random
  // bits stay). Times wrap modulo 2^48 as a byte-wise layout would; a non-finite time is 0.
  // Written through a byte table, as two 24-bit halves: a third of `toString(16)` on the double.
  const u = crypto.randomUUID();
  const t = Number.isFinite(epochMs)
    ? ((Math.floor(epochMs) % TIME_RANGE) + TIME_RANGE) % TIME_RANGE
    : 0;
  const hi = Math.floor(t / 0x1000000);
  const lo = t % 0x1000000;
  return HEX_BYTE[hi >>> 16] + HEX_BYTE[(hi >>> 8) & 255] + HEX_BYTE[hi & 255] +
    HEX_BYTE[lo >>> 16] + "-" + HEX_BYTE[(lo >>> 8) & 255] + HEX_BYTE[lo & 255] + "-7" +
    u.slice(15);
}

const TIME_RANGE = 2 ** 48;
const HEX_BYTE: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

const STRICT_ID = /^[a-z0-9-]+(\.[a-z0-9-]+){1,3}$/;
const LENIENT_ID = /^[a-z0-9_-]+(\.[a-z0-9_-]+){1,3}$/;

/**
 * Check a WCP identifier against spec section 3.2: 2 to 4 dot-separated segments of lowercase
 * a-z, digits and hyphens, at most 64 characters. `strict: false` also admits underscores, which
 * the spec's own examples use (`ctrl.obs.audit_log_append_only`); lint flags them.
 *
 * @example
 * ```ts
 * import { isWcpId } from "@wcp/core";
 * isWcpId("cap.doc.summarize"); // true
 * isWcpId("ctrl.obs.audit_log", { strict: false }); // true
 * isWcpId("Cap.Doc"); // false
 * ```
 */
export function isWcpId(id: unknown, options: { strict?: boolean } = {}): boolean {
  if (typeof id !== "string" || id.length > 64) return false;
  return (options.strict === false ? LENIENT_ID : STRICT_ID).test(id);
}
