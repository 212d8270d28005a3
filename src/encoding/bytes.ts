/**
 * Strict byte encodings shared by attestation and receipts (private).
 *
 * @module
 */

const HEX = "0123456789abcdef";
const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return out;
}

/** Decode lowercase hex strictly (even length, [0-9a-f] only); null otherwise. */
export function fromHexStrict(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Decode standard base64 (padding required) or base64url (no padding) strictly: the result must
 * re-encode to the same text, so there is exactly one accepted spelling per byte string.
 */
export function fromBase64Strict(s: string): Uint8Array | null {
  if (typeof s !== "string") return null;
  const url = /[-_]/.test(s) || (s.length % 4 !== 0 && !s.includes("="));
  const std = url
    ? s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4)
    : s;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(std) || std.length % 4 !== 0) return null;
  let bin: string;
  try {
    bin = atob(std);
  } catch {
    return null;
  }
  const out = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  const again = url ? toBase64Url(out) : toBase64(out);
  return again === s ? out : null;
}

/** Constant-time equality of two byte arrays (time depends only on the lengths). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Concatenate byte arrays (a list, not spread arguments: any number of parts). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
