/**
 * Synchronous SHA-256 for the portable core (Web Crypto is async only).
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { canonicalJson } from "./canonical_json.ts";

const encoder = new TextEncoder();

/**
 * Lowercase hex SHA-256 of a string (UTF-8) or bytes.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "@wcp/core";
 * sha256Hex("abc"); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export function sha256Hex(data: string | Uint8Array): string {
  return bytesToHex(sha256(typeof data === "string" ? encoder.encode(data) : data));
}

/**
 * `sha256:` + lowercase hex SHA-256 of the RFC 8785 canonical JSON of a value.
 *
 * @example
 * ```ts
 * import { jcsDigest } from "@wcp/core";
 * jcsDigest({ b: 1, a: 2 }) === jcsDigest({ a: 2, b: 1 }); // true
 * ```
 */
export function jcsDigest(value: unknown): string {
  return "sha256:" + sha256Hex(canonicalJson(value));
}

/**
 * Normalise a digest to `sha256:<64 lowercase hex>`; accepts bare hex and upper case.
 * Returns null when the value is not a SHA-256 digest.
 *
 * @example
 * ```ts
 * import { normalizeDigest } from "@wcp/core";
 * normalizeDigest("SHA256:" + "AB".repeat(32)); // "sha256:abab…ab"
 * normalizeDigest("nope"); // null
 * ```
 */
export function normalizeDigest(value: unknown): string | null {
  if (typeof value !== "string") return null;
  // Already normal (what the registry stores and most callers pass): returned as is, which the
  // decision path does twice per attested worker (the general case costs ~4x more).
  if (value.length === 71 && NORMAL_DIGEST.test(value)) return value;
  const m = /^(?:sha256:)?([0-9a-f]{64})$/i.exec(value.trim());
  return m ? "sha256:" + m[1].toLowerCase() : null;
}

const NORMAL_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Compare two strings in time that depends only on their lengths, not on where they differ.
 * Compares UTF-16 code units (no encoding, so two different lone surrogates are not equal, as
 * they were when both became U+FFFD in UTF-8); false when either is not a string.
 *
 * @example
 * ```ts
 * import { constantTimeEqual } from "@wcp/core";
 * constantTimeEqual("abc", "abc"); // true
 * ```
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== "string" || typeof b !== "string") return false;
  const la = a.length;
  const lb = b.length;
  let diff = la ^ lb;
  const n = la > lb ? la : lb;
  for (let i = 0; i < n; i++) {
    diff |= (i < la ? a.charCodeAt(i) : 0) ^ (i < lb ? b.charCodeAt(i) : 0);
  }
  return diff === 0;
}
