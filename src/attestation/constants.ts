/**
 * Constants of package attestation: schema version, exclusions and deny codes.
 *
 * @module
 */

/**
 * The manifest schema version written by every port (`awp.v1`).
 *
 * @example
 * ```ts
 * import { MANIFEST_SCHEMA_VERSION } from "@wcp/core";
 * MANIFEST_SCHEMA_VERSION; // "awp.v1"
 * ```
 */
export const MANIFEST_SCHEMA_VERSION = "awp.v1";

/**
 * The environment variable the reference reads the HMAC secret from at verify time.
 *
 * @example
 * ```ts
 * import { DEFAULT_SECRET_ENV } from "@wcp/core";
 * DEFAULT_SECRET_ENV; // "WCP_ATTEST_HMAC_KEY"
 * ```
 */
export const DEFAULT_SECRET_ENV = "WCP_ATTEST_HMAC_KEY";

/**
 * Path components that exclude a file from the package hash (applied to the path relative to the
 * package root only). Files whose relative path ends with `.pyc` are excluded too.
 *
 * @example
 * ```ts
 * import { EXCLUDED_NAMES } from "@wcp/core";
 * EXCLUDED_NAMES.has("manifest.json"); // true
 * ```
 */
export const EXCLUDED_NAMES: ReadonlySet<string> = new Set([
  ".git",
  "__pycache__",
  ".DS_Store",
  "manifest.json",
  "manifest.sig",
  "manifest.tmp",
]);

/**
 * Every deny code the package verifier returns. The first five are the reference's,
 * `ATTEST_NAMESPACE_INVALID` is the Go port's; the rest are ours (documented in the README).
 *
 * @example
 * ```ts
 * import { ATTEST_CODES } from "@wcp/core";
 * ATTEST_CODES.SIG_INVALID; // "ATTEST_SIG_INVALID"
 * ```
 */
export const ATTEST_CODES = {
  /** The manifest file is absent, unreadable or not JSON. */
  MANIFEST_MISSING: "ATTEST_MANIFEST_MISSING",
  /** The manifest is JSON but not an object, or has an unsupported `schema_version`. */
  MANIFEST_INVALID: "ATTEST_MANIFEST_INVALID",
  /** `worker_id` or `worker_species_id` differs from the expected one. */
  MANIFEST_ID_MISMATCH: "ATTEST_MANIFEST_ID_MISMATCH",
  /** `worker_id` is not in an `org.<name>` or `x.<name>` namespace. */
  NAMESPACE_INVALID: "ATTEST_NAMESPACE_INVALID",
  /** The package holds a symlink, a special file or an unsafe path (never followed). */
  UNSAFE_PATH: "ATTEST_UNSAFE_PATH",
  /** The package hash in the manifest is empty or differs from the computed one. */
  HASH_MISMATCH: "ATTEST_HASH_MISMATCH",
  /** The manifest's signing mode is not the one the verifier was configured for. */
  MODE_MISMATCH: "ATTEST_MODE_MISMATCH",
  /** No signature in the manifest, or no secret / key configured to check it. */
  SIGNATURE_MISSING: "ATTEST_SIGNATURE_MISSING",
  /** The manifest's `signing_key_id` is not among the trusted keys. */
  KEY_UNKNOWN: "ATTEST_KEY_UNKNOWN",
  /** The signing key is bound to another namespace than the worker's. */
  KEY_NAMESPACE_MISMATCH: "ATTEST_KEY_NAMESPACE_MISMATCH",
  /** The signature does not verify (or is not exact lowercase hex). */
  SIG_INVALID: "ATTEST_SIG_INVALID",
  /** A DSSE envelope or its in-toto statement is malformed or of the wrong type. */
  DSSE_INVALID: "ATTEST_DSSE_INVALID",
} as const;

/**
 * One of the values of {@link ATTEST_CODES}.
 *
 * @example
 * ```ts
 * import type { AttestDenyCode } from "@wcp/core";
 * const code: AttestDenyCode = "ATTEST_HASH_MISMATCH";
 * ```
 */
export type AttestDenyCode = typeof ATTEST_CODES[keyof typeof ATTEST_CODES];
