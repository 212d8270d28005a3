/**
 * The package attestation verifier (docs/protocol/trust.md#attestation-verifier), fail closed, in
 * the reference's order, with our additions: namespace, unsafe paths, explicit signing mode,
 * Ed25519 keys, DSSE.
 *
 * @module
 */

import { constantTimeEqual, normalizeDigest } from "../encoding/hash.ts";
import { fromHexStrict } from "../encoding/bytes.ts";
import { ATTEST_CODES, type AttestDenyCode, MANIFEST_SCHEMA_VERSION } from "./constants.ts";
import type { KeyFile, KeyRing, SigningKey, TrustedKey } from "./ed25519.ts";
import { toKeyRing } from "./ed25519.ts";
import { manifestFromDsse } from "./dsse.ts";
import {
  ed25519SigningPayload,
  hmacSha256Hex,
  hmacSigningPayload,
  manifestTimestamp,
} from "./manifest.ts";
import { tenantNamespace, trustStatement } from "./namespace.ts";
import { describeUnsafe, type PackageHashResult } from "./package_hash.ts";

/**
 * The verifier's answer: `ok`, a deny code when not ok, and details.
 *
 * @example
 * ```ts
 * import type { AttestationResult } from "@wcp/core";
 * const r: AttestationResult = { ok: false, deny_code: "ATTEST_HASH_MISMATCH", meta: {} };
 * ```
 */
export interface AttestationResult {
  /** True only when every step passed. */
  ok: boolean;
  /** One of {@link ATTEST_CODES} when not ok. */
  deny_code: AttestDenyCode | null;
  /** Reference-compatible details; on success `package_hash`, `trust_statement`, .... */
  meta: Record<string, unknown>;
}

/**
 * What every verification needs besides the signature material.
 *
 * @example
 * ```ts
 * import { packageHash, type VerifyCommonOptions } from "@wcp/core";
 * const o: VerifyCommonOptions = { manifest: undefined, computed: packageHash([]),
 *   workerId: "org.acme.w.1", workerSpeciesId: "wrk.a.b" };
 * ```
 */
export interface VerifyCommonOptions {
  /** The parsed manifest; `undefined` when the file does not exist. */
  manifest: unknown;
  /** Why reading or parsing the manifest failed (gives `ATTEST_MANIFEST_MISSING` + `error`). */
  manifestError?: string;
  /** The package as hashed now (by the fs adapter or {@link packageHash}). */
  computed: PackageHashResult;
  /** The worker id the package must belong to. */
  workerId: string;
  /** The species id the package must declare. */
  workerSpeciesId: string;
  /** Clock for `verified_at_utc` (epoch ms). */
  now?: number;
}

/**
 * HMAC mode: the shared secret, read by the caller at verify time.
 *
 * @example
 * ```ts
 * import { packageHash, type VerifyHmacOptions } from "@wcp/core";
 * const o: VerifyHmacOptions = { mode: "hmac-sha256", secret: "s3cret", manifest: undefined,
 *   computed: packageHash([]), workerId: "org.acme.w.1", workerSpeciesId: "wrk.a.b" };
 * ```
 */
export interface VerifyHmacOptions extends VerifyCommonOptions {
  /** `hmac-sha256`. */
  mode: "hmac-sha256";
  /** The secret; empty or undefined gives `ATTEST_SIGNATURE_MISSING`. */
  secret: string | undefined;
  /** Name of the variable it came from, reported in meta (default `WCP_ATTEST_HMAC_KEY`). */
  secretEnv?: string;
}

/**
 * Ed25519 mode: the trusted public keys (several = rotation).
 *
 * @example
 * ```ts
 * import { packageHash, type VerifyEd25519Options } from "@wcp/core";
 * const o: VerifyEd25519Options = { mode: "ed25519", keys: [], manifest: undefined,
 *   computed: packageHash([]), workerId: "org.acme.w.1", workerSpeciesId: "wrk.a.b" };
 * ```
 */
export interface VerifyEd25519Options extends VerifyCommonOptions {
  /** `ed25519`. */
  mode: "ed25519";
  /** Trusted keys, e.g. `trustedKeysFromRecord(record)` or key files. */
  keys: KeyRing | Iterable<TrustedKey | SigningKey | KeyFile>;
}

/**
 * Options of {@link verifyManifest}.
 *
 * @example
 * ```ts
 * import { packageHash, type VerifyManifestOptions } from "@wcp/core";
 * const o: VerifyManifestOptions = { mode: "ed25519", keys: [], manifest: undefined,
 *   computed: packageHash([]), workerId: "org.acme.w.1", workerSpeciesId: "wrk.a.b" };
 * ```
 */
export type VerifyManifestOptions = VerifyHmacOptions | VerifyEd25519Options;

function deny(code: AttestDenyCode, meta: Record<string, unknown> = {}): AttestationResult {
  return { ok: false, deny_code: code, meta };
}

/** Steps shared by manifest and DSSE verification: shape, identity, namespace, paths, hash. */
function checkPackage(
  o: VerifyCommonOptions,
): { fail: AttestationResult } | { m: Record<string, unknown>; ns: string } {
  if (o.manifest === undefined) {
    return {
      fail: deny(ATTEST_CODES.MANIFEST_MISSING, o.manifestError ? { error: o.manifestError } : {}),
    };
  }
  const m = o.manifest as Record<string, unknown>;
  if (typeof m !== "object" || m === null || Array.isArray(m)) {
    return {
      fail: deny(ATTEST_CODES.MANIFEST_INVALID, { error: "manifest must be a JSON object" }),
    };
  }
  if (m.worker_id !== o.workerId || m.worker_species_id !== o.workerSpeciesId) {
    return {
      fail: deny(ATTEST_CODES.MANIFEST_ID_MISMATCH, {
        manifest_worker_id: m.worker_id ?? null,
        expected_worker_id: o.workerId,
        manifest_worker_species_id: m.worker_species_id ?? null,
        expected_worker_species_id: o.workerSpeciesId,
      }),
    };
  }
  if (m.schema_version !== MANIFEST_SCHEMA_VERSION) {
    return {
      fail: deny(ATTEST_CODES.MANIFEST_INVALID, {
        error: `schema_version must be '${MANIFEST_SCHEMA_VERSION}'`,
        schema_version: m.schema_version ?? null,
      }),
    };
  }
  let ns: string;
  try {
    ns = tenantNamespace(o.workerId);
  } catch {
    return { fail: deny(ATTEST_CODES.NAMESPACE_INVALID, { worker_id: o.workerId }) };
  }
  if (o.computed.unsafe.length > 0) {
    return {
      fail: deny(ATTEST_CODES.UNSAFE_PATH, {
        unsafe: o.computed.unsafe,
        error: describeUnsafe(o.computed.unsafe),
      }),
    };
  }
  const expected = normalizeDigest(m.package_hash);
  if (expected === null || !constantTimeEqual(expected, o.computed.digest)) {
    return {
      fail: deny(ATTEST_CODES.HASH_MISMATCH, {
        expected_hash: m.package_hash ?? "",
        computed_hash: o.computed.package_hash,
      }),
    };
  }
  return { m, ns };
}

function success(
  m: Record<string, unknown>,
  ns: string,
  o: { computed: PackageHashResult; now?: number },
  extra: Record<string, unknown>,
): AttestationResult {
  const attestedAt = typeof m.attested_at_utc === "string" && m.attested_at_utc
    ? m.attested_at_utc
    : "unknown";
  return {
    ok: true,
    deny_code: null,
    meta: {
      package_hash: o.computed.package_hash,
      manifest_schema: m.schema_version,
      attested_at_utc: attestedAt,
      verified_at_utc: manifestTimestamp(o.now ?? Date.now()),
      trust_statement: trustStatement(ns, attestedAt, o.computed.package_hash),
      ...extra,
    },
  };
}

/**
 * The signing mode a manifest declares: `signature_alg` absent means the reference's
 * `hmac-sha256`; `"ed25519"` means Ed25519; anything else is returned as is (and never matches).
 *
 * @example
 * ```ts
 * import { manifestMode } from "@wcp/core";
 * manifestMode({ signature_hmac_sha256: "ab" }); // "hmac-sha256"
 * ```
 */
export function manifestMode(manifest: Readonly<Record<string, unknown>>): string {
  const alg = manifest.signature_alg;
  if (alg === undefined) return "hmac-sha256";
  return typeof alg === "string" ? alg : JSON.stringify(alg);
}

/**
 * Verify a manifest against a freshly computed package hash. Never throws for a bad manifest or
 * package (an invalid `keys` option rejects with `WcpError` `KEY_INVALID`); never falls back from
 * one signing mode to the other (`ATTEST_MODE_MISMATCH`). Order: `ATTEST_MANIFEST_MISSING`,
 * `ATTEST_MANIFEST_INVALID`, `ATTEST_MANIFEST_ID_MISMATCH`, schema, `ATTEST_NAMESPACE_INVALID`,
 * `ATTEST_UNSAFE_PATH`, `ATTEST_HASH_MISMATCH`, `ATTEST_MODE_MISMATCH`, `ATTEST_SIGNATURE_MISSING`,
 * `ATTEST_KEY_UNKNOWN`, `ATTEST_KEY_NAMESPACE_MISMATCH`, `ATTEST_SIG_INVALID`.
 *
 * @example
 * ```ts
 * import { buildManifest, packageHashFromContents, signManifestHmac, verifyManifest }
 *   from "@wcp/core";
 * const computed = packageHashFromContents({ "code/a.py": "x = 1\n" });
 * const manifest = signManifestHmac(buildManifest({ packageHash: computed,
 *   workerId: "org.acme.w.1", workerSpeciesId: "wrk.a.b", workerVersion: "1" }), "s3cret");
 * const r = await verifyManifest({ manifest, computed, workerId: "org.acme.w.1",
 *   workerSpeciesId: "wrk.a.b", mode: "hmac-sha256", secret: "s3cret" });
 * r.ok; // true
 * ```
 */
export async function verifyManifest(options: VerifyManifestOptions): Promise<AttestationResult> {
  const checked = checkPackage(options);
  if ("fail" in checked) return checked.fail;
  const { m, ns } = checked;
  const mode = manifestMode(m);
  if (mode !== options.mode) {
    return deny(ATTEST_CODES.MODE_MISMATCH, { manifest_mode: mode, expected_mode: options.mode });
  }
  if (options.mode === "hmac-sha256") {
    const sig = m.signature_hmac_sha256 ?? "";
    const secret = options.secret ?? "";
    if (sig === "" || secret === "") {
      return deny(ATTEST_CODES.SIGNATURE_MISSING, {
        signature_present: sig !== "",
        secret_env_set: secret !== "",
        secret_env: options.secretEnv ?? "WCP_ATTEST_HMAC_KEY",
      });
    }
    let expected: string;
    try {
      expected = hmacSha256Hex(secret, hmacSigningPayload(m));
    } catch (e) {
      return deny(ATTEST_CODES.SIG_INVALID, { error: (e as Error).message });
    }
    // Exact lowercase string comparison in constant time (never hex-decode: bug B-2).
    if (typeof sig !== "string" || !constantTimeEqual(sig, expected)) {
      return deny(ATTEST_CODES.SIG_INVALID);
    }
    return success(m, ns, options, { signature_mode: "hmac-sha256" });
  }
  const ring = toKeyRing(options.keys);
  const sig = m.signature_ed25519;
  const keyId = m.signing_key_id;
  if (typeof sig !== "string" || sig === "" || typeof keyId !== "string" || ring.size === 0) {
    return deny(ATTEST_CODES.SIGNATURE_MISSING, {
      signature_present: typeof sig === "string" && sig !== "",
      signing_key_id_present: typeof keyId === "string",
      keys_configured: ring.size,
    });
  }
  const key = ring.get(keyId);
  if (key === undefined) return deny(ATTEST_CODES.KEY_UNKNOWN, { signing_key_id: keyId });
  if (key.namespace !== undefined && key.namespace !== ns) {
    return deny(ATTEST_CODES.KEY_NAMESPACE_MISMATCH, {
      signing_key_id: keyId,
      key_namespace: key.namespace,
      worker_namespace: ns,
    });
  }
  const raw = /^[0-9a-f]{128}$/.test(sig) ? fromHexStrict(sig) : null;
  let payload: Uint8Array | null = null;
  try {
    payload = ed25519SigningPayload(m);
  } catch { /* not canonicalisable (never from JSON.parse): fails below */ }
  if (raw === null || payload === null || !await ring.verify(keyId, raw, payload)) {
    return deny(ATTEST_CODES.SIG_INVALID, { signing_key_id: keyId });
  }
  return success(m, ns, options, { signature_mode: "ed25519", signing_key_id: keyId });
}

/**
 * Options of {@link verifyDsseAttestation}.
 *
 * @example
 * ```ts
 * import { packageHash, type VerifyDsseOptions } from "@wcp/core";
 * const o: VerifyDsseOptions = { envelope: {}, keys: [], computed: packageHash([]),
 *   workerId: "org.acme.w.1", workerSpeciesId: "wrk.a.b" };
 * ```
 */
export interface VerifyDsseOptions extends Omit<VerifyCommonOptions, "manifest" | "manifestError"> {
  /** The DSSE envelope (parsed JSON). */
  envelope: unknown;
  /** Trusted keys. */
  keys: KeyRing | Iterable<TrustedKey | SigningKey | KeyFile>;
}

/**
 * Verify a package against a DSSE/in-toto attestation: the envelope signature (a trusted key,
 * bound to the worker's namespace when the key says so), then the same identity, namespace,
 * path and hash checks as {@link verifyManifest}. Never throws for a bad envelope or package
 * (invalid `keys` reject with `KEY_INVALID`).
 *
 * @example
 * ```ts
 * import { buildManifest, generateSigningKey, manifestToDsse, packageHashFromContents,
 *   verifyDsseAttestation } from "@wcp/core";
 * const key = await generateSigningKey({ namespace: "org.acme" });
 * const computed = packageHashFromContents({ "a.txt": "a" });
 * const envelope = await manifestToDsse(buildManifest({ packageHash: computed,
 *   workerId: "org.acme.w", workerSpeciesId: "wrk.a.b", workerVersion: "1" }), key);
 * (await verifyDsseAttestation({ envelope, keys: [key], computed, workerId: "org.acme.w",
 *   workerSpeciesId: "wrk.a.b" })).ok; // true
 * ```
 */
export async function verifyDsseAttestation(
  options: VerifyDsseOptions,
): Promise<AttestationResult> {
  const imported = await manifestFromDsse(options.envelope, options.keys);
  if (!imported.ok || imported.manifest === undefined) {
    return deny(imported.deny_code as AttestDenyCode, imported.meta);
  }
  const checked = checkPackage({ ...options, manifest: imported.manifest });
  if ("fail" in checked) return checked.fail;
  const key = imported.key as TrustedKey;
  if (key.namespace !== undefined && key.namespace !== checked.ns) {
    return deny(ATTEST_CODES.KEY_NAMESPACE_MISMATCH, {
      signing_key_id: key.key_id,
      key_namespace: key.namespace,
      worker_namespace: checked.ns,
    });
  }
  return success(checked.m, checked.ns, options, {
    signature_mode: "dsse-ed25519",
    signing_key_id: key.key_id,
  });
}
