/**
 * Worker package attestation: the canonical package hash (Python-compatible), manifests signed
 * with HMAC-SHA256 (reference mode) or Ed25519 (production mode), namespace binding, the
 * fail-closed verifier with every `ATTEST_*` code, Ed25519 keys and key files, and DSSE envelopes
 * carrying in-toto Statements v1. Pure: file access lives in `src/adapters/fs.ts`.
 *
 * @example
 * ```ts
 * import { buildManifest, generateSigningKey, packageHashFromContents, signManifestEd25519,
 *   verifyManifest } from "@wcp/core/attestation";
 * const key = await generateSigningKey({ namespace: "org.acme" });
 * const computed = packageHashFromContents({ "code/worker_logic.py": "def run(): pass\n" });
 * const manifest = await signManifestEd25519(buildManifest({ packageHash: computed,
 *   workerId: "org.acme.sum.1", workerSpeciesId: "wrk.doc.summarizer", workerVersion: "1.0.0" }), key);
 * const result = await verifyManifest({ manifest, computed, workerId: "org.acme.sum.1",
 *   workerSpeciesId: "wrk.doc.summarizer", mode: "ed25519", keys: [key] });
 * console.log(result.ok); // true
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export * from "./namespace.ts";
export * from "./package_hash.ts";
export * from "./manifest.ts";
export * from "./ed25519.ts";
export * from "./dsse.ts";
export * from "./verify.ts";
export * from "./scaffold.ts";
