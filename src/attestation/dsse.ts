/**
 * DSSE (Dead Simple Signing Envelope) with an in-toto Statement v1, so supply-chain tooling can
 * read a worker package attestation: the subject is the package digest, the predicate carries
 * the manifest.
 *
 * @module
 */

import { canonicalJson } from "../encoding/canonical_json.ts";
import { concatBytes, fromBase64Strict, toBase64, utf8 } from "../encoding/bytes.ts";
import { ATTEST_CODES } from "./constants.ts";
import type { Ed25519Signer, KeyFile, KeyRing, SigningKey, TrustedKey } from "./ed25519.ts";
import { toKeyRing } from "./ed25519.ts";

/**
 * The DSSE payload type of in-toto statements.
 *
 * @example
 * ```ts
 * import { IN_TOTO_PAYLOAD_TYPE } from "@wcp/core";
 * IN_TOTO_PAYLOAD_TYPE; // "application/vnd.in-toto+json"
 * ```
 */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
/**
 * `_type` of an in-toto Statement v1.
 *
 * @example
 * ```ts
 * import { IN_TOTO_STATEMENT_TYPE } from "@wcp/core";
 * IN_TOTO_STATEMENT_TYPE; // "https://in-toto.io/Statement/v1"
 * ```
 */
export const IN_TOTO_STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
/**
 * `predicateType` of a WCP worker package attestation.
 *
 * @example
 * ```ts
 * import { WCP_PACKAGE_PREDICATE_TYPE } from "@wcp/core";
 * WCP_PACKAGE_PREDICATE_TYPE.startsWith("https://"); // true
 * ```
 */
export const WCP_PACKAGE_PREDICATE_TYPE = "https://workerclassprotocol.dev/attestation/package/v1";

/**
 * One DSSE signature.
 *
 * @example
 * ```ts
 * import type { DsseSignature } from "@wcp/core";
 * const s: DsseSignature = { keyid: "ed25519:" + "0".repeat(64), sig: "AAAA" };
 * ```
 */
export interface DsseSignature {
  /** Key id (ours: `ed25519:<hex>`). */
  keyid: string;
  /** Standard base64 of the signature over the PAE. */
  sig: string;
}

/**
 * A DSSE envelope (JSON form).
 *
 * @example
 * ```ts
 * import type { DsseEnvelope } from "@wcp/core";
 * const e: DsseEnvelope = { payload: "aGk=", payloadType: "text/plain", signatures: [] };
 * ```
 */
export interface DsseEnvelope {
  /** Standard base64 of the payload bytes. */
  payload: string;
  /** Media type of the payload. */
  payloadType: string;
  /** One or more signatures. */
  signatures: DsseSignature[];
}

/**
 * An in-toto Statement v1.
 *
 * @example
 * ```ts
 * import { packageStatement, type InTotoStatement } from "@wcp/core";
 * const st: InTotoStatement = packageStatement({ worker_id: "org.a.w", worker_version: "1",
 *   package_hash: "0".repeat(64) });
 * st._type; // "https://in-toto.io/Statement/v1"
 * ```
 */
export interface InTotoStatement {
  /** {@link IN_TOTO_STATEMENT_TYPE}. */
  _type: string;
  /** What is attested: name and digest set. */
  subject: { name: string; digest: Record<string, string> }[];
  /** What the predicate means. */
  predicateType: string;
  /** The predicate. */
  predicate: Record<string, unknown>;
}

/**
 * Result of {@link dsseVerify}.
 *
 * @example
 * ```ts
 * import { dsseVerify, type DsseVerifyResult } from "@wcp/core";
 * const r: DsseVerifyResult = await dsseVerify(null, []);
 * r.ok; // false
 * ```
 */
export interface DsseVerifyResult {
  /** True when a trusted key's signature verified. */
  ok: boolean;
  /** `ATTEST_DSSE_INVALID`, `ATTEST_SIGNATURE_MISSING`, `ATTEST_KEY_UNKNOWN`, `ATTEST_SIG_INVALID`. */
  deny_code: string | null;
  /** Details (`error`, `keyids`). */
  meta: Record<string, unknown>;
  /** The verified payload bytes (only when ok). */
  payload?: Uint8Array;
  /** The key that verified (only when ok). */
  key?: TrustedKey;
}

/**
 * DSSE pre-authentication encoding:
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in bytes as ASCII decimal.
 *
 * @example
 * ```ts
 * import { pae } from "@wcp/core";
 * new TextDecoder().decode(pae("http://example.com/HelloWorld", new TextEncoder().encode("hello world")));
 * // "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
 * ```
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  return concatBytes([utf8(`DSSEv1 ${type.length} `), type, utf8(` ${payload.length} `), payload]);
}

/**
 * Sign a payload into a DSSE envelope with one or more Ed25519 signers.
 *
 * @example
 * ```ts
 * import { dsseSign, generateSigningKey } from "@wcp/core";
 * const env = await dsseSign("text/plain", new TextEncoder().encode("hi"), [await generateSigningKey()]);
 * env.signatures.length; // 1
 * ```
 */
export async function dsseSign(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly Ed25519Signer[],
): Promise<DsseEnvelope> {
  const bytes = pae(payloadType, payload);
  const signatures: DsseSignature[] = [];
  for (const s of signers) signatures.push({ keyid: s.key_id, sig: toBase64(await s.sign(bytes)) });
  return { payload: toBase64(payload), payloadType, signatures };
}

function deny(code: string, meta: Record<string, unknown>): DsseVerifyResult {
  return { ok: false, deny_code: code, meta };
}

/**
 * Verify a DSSE envelope: well-formed, the expected payload type (when given), and at least one
 * signature by a trusted key that verifies over the PAE. Never throws for a bad envelope
 * (invalid `keys` reject with `KEY_INVALID`).
 *
 * @example
 * ```ts
 * import { dsseSign, dsseVerify, generateSigningKey } from "@wcp/core";
 * const k = await generateSigningKey();
 * const env = await dsseSign("text/plain", new Uint8Array([1]), [k]);
 * (await dsseVerify(env, [k])).ok; // true
 * ```
 */
export async function dsseVerify(
  envelope: unknown,
  keys: KeyRing | Iterable<TrustedKey | SigningKey | KeyFile>,
  expectedPayloadType?: string,
): Promise<DsseVerifyResult> {
  const e = envelope as Record<string, unknown>;
  if (typeof e !== "object" || e === null || Array.isArray(e)) {
    return deny(ATTEST_CODES.DSSE_INVALID, { error: "envelope must be a JSON object" });
  }
  if (typeof e.payloadType !== "string") {
    return deny(ATTEST_CODES.DSSE_INVALID, { error: "payloadType must be a string" });
  }
  if (expectedPayloadType !== undefined && e.payloadType !== expectedPayloadType) {
    return deny(ATTEST_CODES.DSSE_INVALID, {
      error: `payloadType must be '${expectedPayloadType}'`,
      payloadType: e.payloadType,
    });
  }
  const payload = typeof e.payload === "string" ? fromBase64Strict(e.payload) : null;
  if (payload === null) {
    return deny(ATTEST_CODES.DSSE_INVALID, { error: "payload must be base64" });
  }
  if (!Array.isArray(e.signatures) || e.signatures.length === 0) {
    return deny(ATTEST_CODES.SIGNATURE_MISSING, { error: "no signatures" });
  }
  const ring = toKeyRing(keys);
  const bytes = pae(e.payloadType, payload);
  const keyids: string[] = [];
  let known = false;
  for (const s of e.signatures as unknown[]) {
    const sig = s as Record<string, unknown>;
    if (typeof sig !== "object" || sig === null || typeof sig.keyid !== "string") continue;
    keyids.push(sig.keyid);
    const key = ring.get(sig.keyid);
    if (key === undefined) continue;
    known = true;
    const raw = typeof sig.sig === "string" ? fromBase64Strict(sig.sig) : null;
    if (raw !== null && await ring.verify(sig.keyid, raw, bytes)) {
      return { ok: true, deny_code: null, meta: { keyid: sig.keyid }, payload, key };
    }
  }
  return known
    ? deny(ATTEST_CODES.SIG_INVALID, { keyids })
    : deny(ATTEST_CODES.KEY_UNKNOWN, { keyids });
}

/**
 * The in-toto Statement v1 of a manifest: subject `<worker_id>@<worker_version>` with digest
 * `{ sha256: package_hash }`, predicate `{ manifest }`.
 *
 * @example
 * ```ts
 * import { packageStatement } from "@wcp/core";
 * packageStatement({ worker_id: "org.a.w", worker_version: "1", package_hash: "ab".repeat(32) } as never)
 *   .subject[0].digest.sha256.length; // 64
 * ```
 */
export function packageStatement(manifest: Readonly<Record<string, unknown>>): InTotoStatement {
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{
      name: `${String(manifest.worker_id)}@${String(manifest.worker_version)}`,
      digest: { sha256: String(manifest.package_hash) },
    }],
    predicateType: WCP_PACKAGE_PREDICATE_TYPE,
    predicate: { manifest: { ...manifest } },
  };
}

/**
 * Export a manifest as a DSSE envelope carrying its in-toto statement (payload = JCS bytes).
 *
 * @example
 * ```ts
 * import { buildManifest, generateSigningKey, manifestToDsse, packageHashFromContents }
 *   from "@wcp/core";
 * const m = buildManifest({ packageHash: packageHashFromContents({}), workerId: "org.a.w",
 *   workerSpeciesId: "wrk.a.b", workerVersion: "1" });
 * (await manifestToDsse(m, await generateSigningKey())).payloadType;
 * // "application/vnd.in-toto+json"
 * ```
 */
export function manifestToDsse(
  manifest: Readonly<Record<string, unknown>>,
  signer: Ed25519Signer,
): Promise<DsseEnvelope> {
  const body = utf8(canonicalJson(packageStatement(manifest)));
  return dsseSign(IN_TOTO_PAYLOAD_TYPE, body, [signer]);
}

/**
 * Result of {@link manifestFromDsse}.
 *
 * @example
 * ```ts
 * import { manifestFromDsse, type DsseImportResult } from "@wcp/core";
 * const r: DsseImportResult = await manifestFromDsse({}, []);
 * r.deny_code; // "ATTEST_DSSE_INVALID"
 * ```
 */
export interface DsseImportResult extends DsseVerifyResult {
  /** The statement (only when ok). */
  statement?: InTotoStatement;
  /** The manifest from the predicate (only when ok). */
  manifest?: Record<string, unknown>;
}

/**
 * Import an attestation envelope: verify the DSSE signature with the trusted keys, then check
 * that the payload is an in-toto Statement v1 of our predicate type whose single subject digest
 * equals the predicate manifest's `package_hash`. Never throws for a bad envelope (invalid
 * `keys` reject with `KEY_INVALID`).
 *
 * @example
 * ```ts
 * import { buildManifest, generateSigningKey, manifestFromDsse, manifestToDsse,
 *   packageHashFromContents } from "@wcp/core";
 * const k = await generateSigningKey();
 * const m = buildManifest({ packageHash: packageHashFromContents({}), workerId: "org.a.w",
 *   workerSpeciesId: "wrk.a.b", workerVersion: "1" });
 * (await manifestFromDsse(await manifestToDsse(m, k), [k])).manifest?.worker_id; // "org.a.w"
 * ```
 */
export async function manifestFromDsse(
  envelope: unknown,
  keys: KeyRing | Iterable<TrustedKey | SigningKey | KeyFile>,
): Promise<DsseImportResult> {
  const v = await dsseVerify(envelope, keys, IN_TOTO_PAYLOAD_TYPE);
  if (!v.ok) return v;
  const bad = (error: string): DsseImportResult => deny(ATTEST_CODES.DSSE_INVALID, { error });
  let st: InTotoStatement;
  try {
    st = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(v.payload));
  } catch {
    return bad("payload is not UTF-8 JSON");
  }
  if (typeof st !== "object" || st === null || st._type !== IN_TOTO_STATEMENT_TYPE) {
    return bad(`_type must be '${IN_TOTO_STATEMENT_TYPE}'`);
  }
  if (st.predicateType !== WCP_PACKAGE_PREDICATE_TYPE) {
    return bad(`predicateType must be '${WCP_PACKAGE_PREDICATE_TYPE}'`);
  }
  const manifest = st.predicate?.manifest as Record<string, unknown> | undefined;
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    return bad("predicate.manifest must be an object");
  }
  if (!Array.isArray(st.subject) || st.subject.length !== 1) {
    return bad("exactly one subject expected");
  }
  const digest = st.subject[0]?.digest?.sha256;
  if (typeof digest !== "string" || digest !== manifest.package_hash) {
    return bad("subject digest differs from the manifest's package_hash");
  }
  return { ...v, statement: st, manifest };
}
