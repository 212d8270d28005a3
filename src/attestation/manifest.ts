/**
 * Package manifests: build, sign (HMAC-SHA256 as the reference does, Ed25519 as production mode)
 * and serialise byte-identically to the reference's `write_manifest`.
 *
 * @module
 */

import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { canonicalJson } from "../encoding/canonical_json.ts";
import { WcpError } from "../errors.ts";
import { toHex, utf8 } from "../encoding/bytes.ts";
import { pyJsonDumps } from "./_py_json.ts";
import { MANIFEST_SCHEMA_VERSION } from "./constants.ts";
import { pae } from "./dsse.ts";
import type { Ed25519Signer } from "./ed25519.ts";
import { tenantNamespace, trustStatement } from "./namespace.ts";
import { describeUnsafe, type PackageHashResult } from "./package_hash.ts";

/**
 * Signing modes. `hmac-sha256` is the reference's shared-secret mode; `ed25519` is ours.
 *
 * @example
 * ```ts
 * import type { SignatureMode } from "@wcp/core";
 * const mode: SignatureMode = "ed25519";
 * ```
 */
export type SignatureMode = "hmac-sha256" | "ed25519";

/**
 * A package manifest (`manifest.json`), reference fields plus the Ed25519 ones.
 *
 * @example
 * ```ts
 * import { buildManifest, type PackageManifest } from "@wcp/core";
 * const m: PackageManifest = buildManifest({ packageHash: "0".repeat(64), workerId: "x.alice.w",
 *   workerSpeciesId: "wrk.a.b", workerVersion: "1" });
 * m.schema_version; // "awp.v1"
 * ```
 */
export interface PackageManifest {
  /** `awp.v1`. */
  schema_version: string;
  /** `org.<name>.…` or `x.<name>.…`. */
  worker_id: string;
  /** `wrk.*` species. */
  worker_species_id: string;
  /** Free-form version. */
  worker_version: string;
  /** Bare lowercase hex package hash. */
  package_hash: string;
  /** `YYYY-MM-DDTHH:MM:SSZ`. */
  built_at_utc: string;
  /** `YYYY-MM-DDTHH:MM:SSZ` (unsigned in HMAC mode, signed in Ed25519 mode). */
  attested_at_utc: string;
  /** `local`, `ci` or `agent` (not validated, as in the reference). */
  build_source: string;
  /** `Package attested by namespace <ns> at <t>; package hash sha256:<hex>.` */
  trust_statement: string;
  /** Lowercase hex HMAC-SHA256 over {@link hmacSigningPayload} (reference mode). */
  signature_hmac_sha256?: string;
  /** `ed25519` marks an Ed25519 manifest; absent means the reference's HMAC mode. */
  signature_alg?: "ed25519";
  /** Key id of the Ed25519 key (`ed25519:<sha256 hex of the raw public key>`). */
  signing_key_id?: string;
  /** 128 lowercase hex chars: Ed25519 over {@link ed25519SigningPayload}. */
  signature_ed25519?: string;
  /** Other fields are kept (and signed in Ed25519 mode). */
  [field: string]: unknown;
}

/**
 * Options of {@link buildManifest}.
 *
 * @example
 * ```ts
 * import type { BuildManifestOptions } from "@wcp/core";
 * const o: BuildManifestOptions = { packageHash: "0".repeat(64), workerId: "org.acme.w.1",
 *   workerSpeciesId: "wrk.doc.summarizer", workerVersion: "1.0.0" };
 * ```
 */
export interface BuildManifestOptions {
  /** The package hash: a {@link PackageHashResult} (refused if it reports unsafe entries) or hex. */
  packageHash: PackageHashResult | string;
  /** Worker id; its namespace is the signing authority. */
  workerId: string;
  /** Worker species id. */
  workerSpeciesId: string;
  /** Worker version. */
  workerVersion: string;
  /** `local` (default), `ci`, `agent`. */
  buildSource?: string;
  /** Clock (epoch ms); default `Date.now()`. */
  now?: number;
}

/**
 * The seven keys the reference signs, in sorted order.
 *
 * @example
 * ```ts
 * import { HMAC_SIGNED_FIELDS } from "@wcp/core";
 * HMAC_SIGNED_FIELDS.length; // 7
 * ```
 */
export const HMAC_SIGNED_FIELDS: readonly string[] = [
  "build_source",
  "built_at_utc",
  "package_hash",
  "schema_version",
  "worker_id",
  "worker_species_id",
  "worker_version",
];

const SIGNATURE_FIELDS = ["signature_hmac_sha256", "signature_ed25519"];

/**
 * The DSSE payload type bound into Ed25519 manifest signatures (domain separation).
 *
 * @example
 * ```ts
 * import { MANIFEST_PAYLOAD_TYPE } from "@wcp/core";
 * MANIFEST_PAYLOAD_TYPE; // "application/vnd.wcp.package-manifest+json"
 * ```
 */
export const MANIFEST_PAYLOAD_TYPE = "application/vnd.wcp.package-manifest+json";

/**
 * UTC time truncated to seconds, `YYYY-MM-DDTHH:MM:SSZ` (the manifest time format).
 *
 * @example
 * ```ts
 * import { manifestTimestamp } from "@wcp/core";
 * manifestTimestamp(Date.UTC(2026, 0, 1, 0, 0, 0, 999)); // "2026-01-01T00:00:00Z"
 * ```
 */
export function manifestTimestamp(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function requireText(value: unknown, path: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new WcpError("ATTEST_INPUT_INVALID", path, "must be a non-empty string");
  }
  return value;
}

/**
 * Build an unsigned manifest (reference `build_manifest` without the signing step). Throws a
 * `WcpError`: `ATTEST_NAMESPACE_INVALID` for a worker id outside `org.*`/`x.*`,
 * `ATTEST_UNSAFE_PATH` when the package hash reports symlinks, unsafe paths or Python bytecode
 * (the message names them, escaped for display),
 * `ATTEST_INPUT_INVALID` for a missing field.
 *
 * @example
 * ```ts
 * import { buildManifest, packageHashFromContents } from "@wcp/core";
 * const m = buildManifest({
 *   packageHash: packageHashFromContents({ "code/worker_logic.py": "def run(): pass\n" }),
 *   workerId: "org.acme.sum.1", workerSpeciesId: "wrk.doc.summarizer", workerVersion: "1.0.0",
 *   now: Date.UTC(2026, 0, 1),
 * });
 * m.trust_statement.startsWith("Package attested by namespace org.acme"); // true
 * ```
 */
export function buildManifest(options: BuildManifestOptions): PackageManifest {
  const workerId = requireText(options.workerId, "workerId");
  const ns = tenantNamespace(workerId);
  const speciesId = requireText(options.workerSpeciesId, "workerSpeciesId");
  const version = requireText(options.workerVersion, "workerVersion");
  const buildSource = options.buildSource === undefined
    ? "local"
    : requireText(options.buildSource, "buildSource");
  let hash: string;
  if (typeof options.packageHash === "string") {
    hash = options.packageHash;
  } else {
    const unsafe = options.packageHash?.unsafe ?? [];
    if (unsafe.length > 0) {
      throw new WcpError(
        "ATTEST_UNSAFE_PATH",
        "packageHash.unsafe",
        `refusing to sign: ${describeUnsafe(unsafe)}`,
      );
    }
    hash = options.packageHash?.package_hash;
  }
  if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) {
    throw new WcpError("ATTEST_INPUT_INVALID", "packageHash", "must be 64 lowercase hex digits");
  }
  const now = manifestTimestamp(options.now ?? Date.now());
  return {
    schema_version: MANIFEST_SCHEMA_VERSION,
    worker_id: workerId,
    worker_species_id: speciesId,
    worker_version: version,
    package_hash: hash,
    built_at_utc: now,
    attested_at_utc: now,
    build_source: buildSource,
    trust_statement: trustStatement(ns, now, hash),
  };
}

/**
 * The reference's HMAC signing payload: the seven signed keys (missing ones as `null`), sorted,
 * compact, non-ASCII escaped as `\uXXXX` exactly as Python's `json.dumps` does.
 *
 * @example
 * ```ts
 * import { hmacSigningPayload } from "@wcp/core";
 * hmacSigningPayload({ worker_version: "1.0.0-β" }).includes("1.0.0-\\u03b2"); // true
 * ```
 */
export function hmacSigningPayload(manifest: Readonly<Record<string, unknown>>): string {
  const picked: Record<string, unknown> = {};
  for (const k of HMAC_SIGNED_FIELDS) picked[k] = manifest[k] === undefined ? null : manifest[k];
  return pyJsonDumps(picked);
}

/**
 * Lowercase hex HMAC-SHA256 (key and message as UTF-8 when given as strings).
 *
 * @example
 * ```ts
 * import { hmacSha256Hex } from "@wcp/core";
 * hmacSha256Hex("key", "The quick brown fox jumps over the lazy dog");
 * // "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
 * ```
 */
export function hmacSha256Hex(key: string | Uint8Array, message: string | Uint8Array): string {
  const k = typeof key === "string" ? utf8(key) : key;
  const m = typeof message === "string" ? utf8(message) : message;
  return toHex(hmac(sha256, k, m));
}

/**
 * Sign a manifest the reference's way: adds `signature_hmac_sha256`. Signing is keyed to the
 * manifest's content, so a manifest signed here verifies in PyHall and vice versa.
 *
 * @example
 * ```ts
 * import { buildManifest, packageHashFromContents, signManifestHmac } from "@wcp/core";
 * const m = signManifestHmac(buildManifest({ packageHash: packageHashFromContents({}),
 *   workerId: "x.alice.w", workerSpeciesId: "wrk.a.b", workerVersion: "1" }), "secret");
 * m.signature_hmac_sha256?.length; // 64
 * ```
 */
export function signManifestHmac(manifest: PackageManifest, secret: string): PackageManifest {
  if (typeof secret !== "string" || secret.length === 0) {
    throw new WcpError("ATTEST_INPUT_INVALID", "secret", "must be a non-empty string");
  }
  return {
    ...manifest,
    signature_hmac_sha256: hmacSha256Hex(secret, hmacSigningPayload(manifest)),
  };
}

/**
 * The bytes an Ed25519 manifest signature covers: DSSE PAE of {@link MANIFEST_PAYLOAD_TYPE} and
 * the JCS form of the manifest without its signature fields. Unlike the HMAC payload this covers
 * every field (`attested_at_utc`, `trust_statement`, `signing_key_id`, extras: fixes B-23).
 *
 * @example
 * ```ts
 * import { ed25519SigningPayload } from "@wcp/core";
 * new TextDecoder().decode(ed25519SigningPayload({ a: 1 })).endsWith('{"a":1}'); // true
 * ```
 */
export function ed25519SigningPayload(manifest: Readonly<Record<string, unknown>>): Uint8Array {
  const rest: Record<string, unknown> = { ...manifest };
  for (const k of SIGNATURE_FIELDS) delete rest[k];
  return pae(MANIFEST_PAYLOAD_TYPE, utf8(canonicalJson(rest)));
}

/**
 * Sign a manifest with Ed25519: sets `signature_alg: "ed25519"` and `signing_key_id`, then adds
 * `signature_ed25519`. An existing HMAC signature is kept (a dual-signed manifest still verifies
 * in the reference, which ignores the extra fields).
 *
 * @example
 * ```ts
 * import { buildManifest, generateSigningKey, packageHashFromContents, signManifestEd25519 }
 *   from "@wcp/core";
 * const key = await generateSigningKey();
 * const m = await signManifestEd25519(buildManifest({ packageHash: packageHashFromContents({}),
 *   workerId: "org.acme.w", workerSpeciesId: "wrk.a.b", workerVersion: "1" }), key);
 * m.signing_key_id === key.key_id; // true
 * ```
 */
export async function signManifestEd25519(
  manifest: PackageManifest,
  key: Ed25519Signer,
): Promise<PackageManifest> {
  const unsigned: PackageManifest = {
    ...manifest,
    signature_alg: "ed25519",
    signing_key_id: key.key_id,
  };
  delete unsigned.signature_ed25519;
  const sig = await key.sign(ed25519SigningPayload(unsigned));
  return { ...unsigned, signature_ed25519: toHex(sig) };
}

/**
 * The manifest file text, byte-identical to the reference's `write_manifest`:
 * `json.dumps(manifest, indent=2, sort_keys=True) + "\n"` (ASCII-escaped).
 *
 * @example
 * ```ts
 * import { manifestJson } from "@wcp/core";
 * manifestJson({ b: "β", a: 1 } as never); // '{\n  "a": 1,\n  "b": "\\u03b2"\n}\n'
 * ```
 */
export function manifestJson(manifest: PackageManifest): string {
  return pyJsonDumps(manifest, 2) + "\n";
}
