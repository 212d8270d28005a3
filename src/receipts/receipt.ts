/**
 * Evidence receipts (spec 5.7), minted by the hall: the dispatch facts plus hash-chain fields per
 * tenant stream and an Ed25519 signature over the receipt hash.
 *
 * Recipe: `receipt_hash = "sha256:" + hex(SHA-256(JCS(receipt without receipt_hash and
 * signature)))`; `signature` = 128 lowercase hex chars of Ed25519 over the UTF-8 bytes of the
 * `receipt_hash` string. `seq` is the 0-based position in the tenant stream; the first receipt
 * has `prev_receipt_hash: null`.
 *
 * @module
 */

import { canonicalJson } from "../encoding/canonical_json.ts";
import { WcpError } from "../errors.ts";
import { normalizeDigest } from "../encoding/hash.ts";
import { sha256HexOfString } from "../encoding/sha256.ts";
import { uuidV7 } from "../ids.ts";
import { toHex, utf8 } from "../encoding/bytes.ts";
import type { Ed25519Signer } from "../attestation/ed25519.ts";
import { TEXT_FIELDS, UUID7 } from "./_shape.ts";

/**
 * The facts of one dispatch, supplied by the hall (spec 5.7). Extra JSON fields are hashed.
 *
 * @example
 * ```ts
 * import type { ReceiptFields } from "@wcp/core";
 * const f: ReceiptFields = { tenant_id: "acme", correlation_id: "c-1",
 *   dispatched_at: "2026-01-01T00:00:00.000Z", worker_id: "org.acme.w.1",
 *   capability_id: "cap.doc.summarize", policy_decision: "ALLOW", controls_verified: [],
 *   artifact_hash: "sha256:" + "0".repeat(64) };
 * ```
 */
export interface ReceiptFields {
  /** Tenant whose stream this receipt extends. */
  tenant_id: string;
  /** The request's correlation id. */
  correlation_id: string;
  /** RFC 3339 UTC time of dispatch. */
  dispatched_at: string;
  /** The worker that was dispatched. */
  worker_id: string;
  /** The capability served. */
  capability_id: string;
  /** The policy outcome that allowed dispatch (e.g. `ALLOW`). */
  policy_decision: string;
  /** Controls verified before dispatch. */
  controls_verified: string[];
  /** `sha256:<hex>` of the request payload (the decision's `request_hash`). */
  artifact_hash: string;
  /** Other JSON fields (e.g. `decision_id`) are kept and covered by the hash. */
  [extra: string]: unknown;
}

/**
 * A receipt with chain fields and its hash, before signing.
 *
 * @example
 * ```ts
 * import { prepareReceipt, type UnsignedReceipt } from "@wcp/core";
 * const u: UnsignedReceipt = prepareReceipt(null, { tenant_id: "acme", correlation_id: "c-1",
 *   dispatched_at: "2026-01-01T00:00:00.000Z", worker_id: "org.acme.w.1",
 *   capability_id: "cap.doc.summarize", policy_decision: "ALLOW", controls_verified: [],
 *   artifact_hash: "sha256:" + "0".repeat(64) }, "ed25519:" + "1".repeat(64));
 * u.seq; // 0
 * ```
 */
export interface UnsignedReceipt extends ReceiptFields {
  /** UUIDv7. */
  receipt_id: string;
  /** 0-based position in the tenant stream. */
  seq: number;
  /** `receipt_hash` of the previous receipt in the stream, null for the first. */
  prev_receipt_hash: string | null;
  /** Key id that signs (or will sign) this receipt; covered by the hash. */
  signing_key_id: string;
  /** `sha256:` + SHA-256 of the JCS form without `receipt_hash` and `signature`. */
  receipt_hash: string;
}

/**
 * A signed evidence receipt.
 *
 * @example
 * ```ts
 * import type { Receipt } from "@wcp/core";
 * function head(chain: Receipt[]): string | null {
 *   return chain.at(-1)?.receipt_hash ?? null;
 * }
 * ```
 */
export interface Receipt extends UnsignedReceipt {
  /** 128 lowercase hex chars: Ed25519 over the UTF-8 bytes of `receipt_hash`. */
  signature: string;
}

/**
 * Options of {@link prepareReceipt} and {@link mintReceipt}.
 *
 * @example
 * ```ts
 * import type { MintOptions } from "@wcp/core";
 * const o: MintOptions = { now: Date.UTC(2026, 0, 1) };
 * ```
 */
export interface MintOptions {
  /** Clock (epoch ms) for the UUIDv7; default `Date.now()`. */
  now?: number;
  /** Receipt id generator; default `uuidV7(now)`. */
  newId?: () => string;
}

/**
 * The chain and signature fields, which the hall may not supply itself.
 *
 * @example
 * ```ts
 * import { RECEIPT_CHAIN_FIELDS } from "@wcp/core";
 * RECEIPT_CHAIN_FIELDS.includes("prev_receipt_hash"); // true
 * ```
 */
export const RECEIPT_CHAIN_FIELDS: readonly string[] = [
  "receipt_id",
  "seq",
  "prev_receipt_hash",
  "signing_key_id",
  "receipt_hash",
  "signature",
];

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The receipt hash: `sha256:` + hex SHA-256 of the JCS form of the receipt without
 * `receipt_hash` and `signature`. Synchronous.
 *
 * @example
 * ```ts
 * import { computeReceiptHash } from "@wcp/core";
 * computeReceiptHash({ a: 1, receipt_hash: "x", signature: "y" }) === computeReceiptHash({ a: 1 });
 * // true
 * ```
 */
export function computeReceiptHash(receipt: Readonly<Record<string, unknown>>): string {
  const rest: Record<string, unknown> = { ...receipt };
  delete rest.receipt_hash;
  delete rest.signature;
  // The hot-path SHA-256 (differentially tested against @noble/hashes): receipt verification
  // hashes every receipt of a chain.
  return "sha256:" + sha256HexOfString(receiptJcs(rest));
}

/** JCS of receipt content; anything JCS cannot hold is `RECEIPT_INVALID`, never a RangeError. */
function receiptJcs(value: Record<string, unknown>): string {
  try {
    return canonicalJson(value);
  } catch (e) {
    if (e instanceof WcpError) throw new WcpError("RECEIPT_INVALID", e.path, messageOf(e));
    // A stack overflow from a cyclic or absurdly deep value.
    throw new WcpError(
      "RECEIPT_INVALID",
      "",
      "not JSON that can be canonicalised (cyclic or too deep)",
    );
  }
}

function messageOf(e: WcpError): string {
  return e.path && e.message.startsWith(`${e.path}: `)
    ? e.message.slice(e.path.length + 2)
    : e.message;
}

/**
 * The bytes a receipt signature covers: the UTF-8 of its `receipt_hash` string.
 *
 * @example
 * ```ts
 * import { receiptSigningBytes } from "@wcp/core";
 * receiptSigningBytes("sha256:" + "0".repeat(64)).length; // 71
 * ```
 */
export function receiptSigningBytes(receiptHash: string): Uint8Array {
  return utf8(receiptHash);
}

function fail(path: string, message: string): never {
  throw new WcpError("RECEIPT_INVALID", path, message);
}

/** Validate hall-supplied fields; returns a copy with `artifact_hash` normalised. */
function checkFields(fields: ReceiptFields): ReceiptFields {
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    fail("", "receipt fields must be an object");
  }
  for (const k of TEXT_FIELDS) {
    if (typeof fields[k] !== "string" || fields[k].length === 0) {
      fail(k, "must be a non-empty string");
    }
  }
  if (
    !Array.isArray(fields.controls_verified) ||
    fields.controls_verified.some((c) => typeof c !== "string")
  ) {
    fail("controls_verified", "must be an array of strings");
  }
  if (!RFC3339.test(fields.dispatched_at) || Number.isNaN(Date.parse(fields.dispatched_at))) {
    fail("dispatched_at", "must be an RFC 3339 time, e.g. 2026-01-01T00:00:00.000Z");
  }
  const artifact = normalizeDigest(fields.artifact_hash);
  if (artifact === null) fail("artifact_hash", "must be 'sha256:' + 64 hex digits");
  for (const k of RECEIPT_CHAIN_FIELDS) {
    if (k in fields) fail(k, "is set by the receipt chain, not by the caller");
  }
  // What JCS cannot hold (NaN, a lone surrogate, too deep) is refused by the receipt hash of
  // prepareReceipt, with the same code and path: canonicalising here too cost a third pass.
  return { ...fields, artifact_hash: artifact };
}

/**
 * Link a new receipt to the previous one of the same tenant stream and compute its hash,
 * synchronously (so it can run inside a store transaction); sign it afterwards with
 * {@link signReceipt}. Throws `WcpError` `RECEIPT_INVALID` (with the field as `path`) or
 * `RECEIPT_TENANT_MISMATCH`.
 *
 * @example
 * ```ts
 * import { prepareReceipt } from "@wcp/core";
 * const r = prepareReceipt(null, { tenant_id: "acme", correlation_id: "c-1",
 *   dispatched_at: "2026-01-01T00:00:00.000Z", worker_id: "org.acme.w.1",
 *   capability_id: "cap.doc.summarize", policy_decision: "ALLOW", controls_verified: [],
 *   artifact_hash: "sha256:" + "0".repeat(64) }, "ed25519:" + "1".repeat(64));
 * [r.seq, r.prev_receipt_hash]; // [0, null]
 * ```
 */
export function prepareReceipt(
  prev: Readonly<UnsignedReceipt> | null,
  fields: ReceiptFields,
  signingKeyId: string,
  options: MintOptions = {},
): UnsignedReceipt {
  const f = checkFields(fields);
  if (typeof signingKeyId !== "string" || signingKeyId.length === 0) {
    fail("signing_key_id", "must be a non-empty string");
  }
  if (prev !== null) {
    if (prev.tenant_id !== f.tenant_id) {
      throw new WcpError(
        "RECEIPT_TENANT_MISMATCH",
        "tenant_id",
        `the previous receipt belongs to tenant '${prev.tenant_id}'`,
      );
    }
    if (
      !Number.isSafeInteger(prev.seq) || normalizeDigest(prev.receipt_hash) !== prev.receipt_hash
    ) {
      fail("prev", "the previous receipt has no valid seq and receipt_hash");
    }
  }
  const now = options.now ?? Date.now();
  const receiptId = options.newId ? options.newId() : uuidV7(now);
  if (typeof receiptId !== "string" || !UUID7.test(receiptId)) {
    fail("receipt_id", "newId must return a lowercase UUIDv7");
  }
  const body: Omit<UnsignedReceipt, "receipt_hash"> = {
    ...f,
    receipt_id: receiptId,
    seq: prev === null ? 0 : prev.seq + 1,
    prev_receipt_hash: prev === null ? null : prev.receipt_hash,
    signing_key_id: signingKeyId,
  };
  return { ...body, receipt_hash: computeReceiptHash(body) } as UnsignedReceipt;
}

/**
 * Sign a prepared receipt. The signer's key id must be the receipt's `signing_key_id`.
 *
 * @example
 * ```ts
 * import { generateSigningKey, prepareReceipt, signReceipt } from "@wcp/core";
 * const key = await generateSigningKey();
 * const r = await signReceipt(prepareReceipt(null, { tenant_id: "acme", correlation_id: "c-1",
 *   dispatched_at: "2026-01-01T00:00:00.000Z", worker_id: "org.acme.w.1",
 *   capability_id: "cap.doc.summarize", policy_decision: "ALLOW", controls_verified: [],
 *   artifact_hash: "sha256:" + "0".repeat(64) }, key.key_id), key);
 * r.signature.length; // 128
 * ```
 */
export async function signReceipt(
  unsigned: UnsignedReceipt,
  signer: Ed25519Signer,
): Promise<Receipt> {
  if (signer.key_id !== unsigned.signing_key_id) {
    fail(
      "signing_key_id",
      `the receipt names '${unsigned.signing_key_id}', the signer is '${signer.key_id}'`,
    );
  }
  if (computeReceiptHash(unsigned) !== unsigned.receipt_hash) {
    fail("receipt_hash", "does not match the receipt's content");
  }
  return await signHashed(unsigned, signer);
}

// Sign a receipt whose hash is known to match its content (just computed by prepareReceipt).
async function signHashed(unsigned: UnsignedReceipt, signer: Ed25519Signer): Promise<Receipt> {
  const sig = await signer.sign(receiptSigningBytes(unsigned.receipt_hash));
  return { ...unsigned, signature: toHex(sig) };
}

/**
 * Prepare and sign in one step: the next receipt after `prev` (null for a new stream).
 *
 * @example
 * ```ts
 * import { generateSigningKey, mintReceipt } from "@wcp/core";
 * const key = await generateSigningKey();
 * const fields = { tenant_id: "acme", correlation_id: "c-1",
 *   dispatched_at: "2026-01-01T00:00:00.000Z", worker_id: "org.acme.w.1",
 *   capability_id: "cap.doc.summarize", policy_decision: "ALLOW", controls_verified: [],
 *   artifact_hash: "sha256:" + "0".repeat(64) };
 * const first = await mintReceipt(null, fields, key);
 * const second = await mintReceipt(first, { ...fields, correlation_id: "c-2" }, key);
 * second.prev_receipt_hash === first.receipt_hash; // true
 * ```
 */
export function mintReceipt(
  prev: Readonly<UnsignedReceipt> | null,
  fields: ReceiptFields,
  signer: Ed25519Signer,
  options: MintOptions = {},
): Promise<Receipt> {
  // prepareReceipt has just hashed this very object: signing it need not hash it again (a
  // second canonical JSON and SHA-256 of the whole receipt was a third of a mint's cost).
  try {
    return signHashed(prepareReceipt(prev, fields, signer.key_id, options), signer);
  } catch (e) {
    return Promise.reject(e);
  }
}
