/**
 * Signed Merkle checkpoints over a tenant's receipt stream and inclusion proofs, so a third party
 * can check one receipt against a published checkpoint without the whole log. Leaf `i` is the
 * 32-byte digest in receipt `i`'s `receipt_hash` (RFC 6962 hashing, see `merkle.ts`).
 *
 * @module
 */

import { canonicalJson } from "../encoding/canonical_json.ts";
import { WcpError } from "../errors.ts";
import { fromHexStrict, toHex, utf8 } from "../encoding/bytes.ts";
import type {
  Ed25519Signer,
  KeyFile,
  KeyRing,
  SigningKey,
  TrustedKey,
} from "../attestation/ed25519.ts";
import { toKeyRing } from "../attestation/ed25519.ts";
import { formatTimestamp } from "../ids.ts";
import {
  merkleConsistencyProof,
  merkleInclusionPath,
  merkleRoot,
  verifyMerkleConsistency,
  verifyMerkleInclusion,
} from "./merkle.ts";
import { computeReceiptHash, type UnsignedReceipt } from "./receipt.ts";

/**
 * A signed statement of a stream's Merkle root at a size.
 *
 * @example
 * ```ts
 * import { type Checkpoint, generateSigningKey, makeCheckpoint } from "@wcp/core";
 * const cp: Checkpoint = await makeCheckpoint([], await generateSigningKey(), { tenantId: "acme" });
 * cp.root_hash; // "sha256:e3b0c442…"
 * ```
 */
export interface Checkpoint {
  /** `wcp.receipt-checkpoint/v1`. */
  type: "wcp.receipt-checkpoint/v1";
  /** The stream's tenant. */
  tenant_id: string;
  /** Number of receipts covered (seq 0 .. tree_size - 1). */
  tree_size: number;
  /** `sha256:` + hex Merkle tree hash. */
  root_hash: string;
  /** `receipt_hash` of the last covered receipt (null for an empty stream). */
  head_receipt_hash: string | null;
  /** RFC 3339 UTC issue time. */
  issued_at: string;
  /** Key id of the signer. */
  signing_key_id: string;
  /** 128 lowercase hex: Ed25519 over the UTF-8 JCS of the checkpoint without `signature`. */
  signature: string;
}

/**
 * Proof that one receipt is leaf `leaf_index` of a checkpoint's tree.
 *
 * @example
 * ```ts
 * import type { InclusionProof } from "@wcp/core";
 * const p: InclusionProof = { receipt_hash: "sha256:" + "0".repeat(64), leaf_index: 0, tree_size: 1, audit_path: [] };
 * ```
 */
export interface InclusionProof {
  /** The receipt's `receipt_hash`. */
  receipt_hash: string;
  /** Its index (= seq). */
  leaf_index: number;
  /** Size of the tree the path is for. */
  tree_size: number;
  /** Sibling hashes, leaf to root, lowercase hex. */
  audit_path: string[];
}

function leafOf(receiptHash: string): Uint8Array {
  const raw = /^sha256:[0-9a-f]{64}$/.test(receiptHash)
    ? fromHexStrict(receiptHash.slice(7))
    : null;
  if (raw === null) throw new WcpError("RECEIPT_INVALID", "receipt_hash", "must be sha256:<hex>");
  return raw;
}

/** A whole stream's receipts, or `RECEIPT_INVALID` naming the first entry that is not one. */
function checkStream(receipts: readonly UnsignedReceipt[]): void {
  if (!Array.isArray(receipts)) {
    throw new WcpError("RECEIPT_INVALID", "receipts", "must be an array of receipts");
  }
  const bad = receipts.findIndex((r) => typeof r !== "object" || r === null || Array.isArray(r));
  if (bad >= 0) throw new WcpError("RECEIPT_INVALID", `[${bad}]`, "must be a receipt object");
}

function leavesOf(receipts: readonly UnsignedReceipt[]): Uint8Array[] {
  checkStream(receipts);
  return receipts.map((r, i) => {
    if (r.seq !== i) {
      throw new WcpError("RECEIPT_INVALID", `[${i}].seq`, `expected seq ${i} (a whole stream)`);
    }
    return leafOf(r.receipt_hash);
  });
}

/**
 * Sign a checkpoint over a whole stream (receipts with seq 0..n-1, already chain-verified). The
 * tenant is the receipts' (or `options.tenantId` for an empty stream).
 *
 * @example
 * ```ts
 * import { generateSigningKey, makeCheckpoint } from "@wcp/core";
 * const cp = await makeCheckpoint([], await generateSigningKey(), { tenantId: "acme" });
 * cp.tree_size; // 0
 * ```
 */
export async function makeCheckpoint(
  receipts: readonly UnsignedReceipt[],
  signer: Ed25519Signer,
  options: { now?: number; tenantId?: string } = {},
): Promise<Checkpoint> {
  checkStream(receipts);
  const tenantId = options.tenantId ?? receipts[0]?.tenant_id;
  if (typeof tenantId !== "string" || tenantId === "") {
    throw new WcpError("RECEIPT_INVALID", "tenantId", "needed for an empty stream");
  }
  if (receipts.some((r) => r.tenant_id !== tenantId)) {
    throw new WcpError("RECEIPT_TENANT_MISMATCH", "tenant_id", "all receipts must be the tenant's");
  }
  return await makeCheckpointFromRoot(
    {
      tenant_id: tenantId,
      tree_size: receipts.length,
      root: merkleRoot(leavesOf(receipts)),
      head_receipt_hash: receipts.length ? receipts[receipts.length - 1].receipt_hash : null,
    },
    signer,
    options,
  );
}

/**
 * What {@link makeCheckpointFromRoot} signs: a stream's size, Merkle root and last receipt hash,
 * already computed (e.g. from a store that keeps the tree).
 *
 * @example
 * ```ts
 * import type { CheckpointTree } from "@wcp/core";
 * const t: CheckpointTree = { tenant_id: "acme", tree_size: 1, root: new Uint8Array(32),
 *   head_receipt_hash: "sha256:" + "0".repeat(64) };
 * ```
 */
export interface CheckpointTree {
  /** The stream's tenant. */
  tenant_id: string;
  /** Receipts covered (seq 0 .. tree_size - 1). */
  tree_size: number;
  /** The 32-byte RFC 6962 tree hash of their `receipt_hash` digests. */
  root: Uint8Array;
  /** `receipt_hash` of receipt `tree_size - 1` (null for an empty stream). */
  head_receipt_hash: string | null;
}

/**
 * Sign a checkpoint over a tree the caller has already hashed; the same checkpoint as
 * {@link makeCheckpoint} over those receipts. The caller vouches that `root` is the tree hash of
 * the stream's first `tree_size` receipts.
 *
 * @example
 * ```ts
 * import { generateSigningKey, makeCheckpointFromRoot, merkleRoot } from "@wcp/core";
 * const cp = await makeCheckpointFromRoot(
 *   { tenant_id: "acme", tree_size: 0, root: merkleRoot([]), head_receipt_hash: null },
 *   await generateSigningKey(),
 * );
 * cp.root_hash; // "sha256:e3b0c442…"
 * ```
 */
export async function makeCheckpointFromRoot(
  tree: CheckpointTree,
  signer: Ed25519Signer,
  options: { now?: number } = {},
): Promise<Checkpoint> {
  if (typeof tree?.tenant_id !== "string" || tree.tenant_id === "") {
    throw new WcpError("RECEIPT_INVALID", "tenant_id", "must be a non-empty string");
  }
  if (!Number.isSafeInteger(tree.tree_size) || tree.tree_size < 0) {
    throw new WcpError("RECEIPT_INVALID", "tree_size", "must be an integer >= 0");
  }
  if (!(tree.root instanceof Uint8Array) || tree.root.length !== 32) {
    throw new WcpError("RECEIPT_INVALID", "root", "must be 32 bytes");
  }
  if ((tree.tree_size === 0) !== (tree.head_receipt_hash === null)) {
    throw new WcpError("RECEIPT_INVALID", "head_receipt_hash", "null exactly for an empty tree");
  }
  if (tree.head_receipt_hash !== null) leafOf(tree.head_receipt_hash);
  const body = {
    type: "wcp.receipt-checkpoint/v1" as const,
    tenant_id: tree.tenant_id,
    tree_size: tree.tree_size,
    root_hash: "sha256:" + toHex(tree.root),
    head_receipt_hash: tree.head_receipt_hash,
    issued_at: formatTimestamp(options.now ?? Date.now()),
    signing_key_id: signer.key_id,
  };
  const sig = await signer.sign(utf8(canonicalJson(body)));
  return { ...body, signature: toHex(sig) };
}

/**
 * Verify a checkpoint's signature with trusted keys. Never throws.
 *
 * @example
 * ```ts
 * import { generateSigningKey, makeCheckpoint, verifyCheckpoint } from "@wcp/core";
 * const key = await generateSigningKey();
 * await verifyCheckpoint(await makeCheckpoint([], key, { tenantId: "acme" }), [key]); // true
 * ```
 */
export async function verifyCheckpoint(
  checkpoint: unknown,
  keys: KeyRing | Iterable<TrustedKey | SigningKey | KeyFile>,
): Promise<boolean> {
  const c = checkpoint as Record<string, unknown>;
  if (typeof c !== "object" || c === null || c.type !== "wcp.receipt-checkpoint/v1") return false;
  if (typeof c.signature !== "string" || typeof c.signing_key_id !== "string") return false;
  if (!Number.isSafeInteger(c.tree_size) || typeof c.root_hash !== "string") return false;
  const sig = /^[0-9a-f]{128}$/.test(c.signature) ? fromHexStrict(c.signature) : null;
  if (sig === null) return false;
  const body: Record<string, unknown> = { ...c };
  delete body.signature;
  try {
    return await toKeyRing(keys).verify(c.signing_key_id, sig, utf8(canonicalJson(body)));
  } catch {
    return false;
  }
}

/**
 * The inclusion proof of receipt `index` in the tree of a whole stream.
 *
 * @example
 * ```ts
 * import { receiptInclusionProof } from "@wcp/core";
 * const r = { seq: 0, receipt_hash: "sha256:" + "a".repeat(64) } as never;
 * receiptInclusionProof([r], 0).audit_path; // []
 * ```
 */
export function receiptInclusionProof(
  receipts: readonly UnsignedReceipt[],
  index: number,
): InclusionProof {
  const leaves = leavesOf(receipts);
  if (!Number.isSafeInteger(index) || index < 0 || index >= receipts.length) {
    throw new WcpError("RECEIPT_INVALID", "index", `${index} is not a receipt of this stream`);
  }
  return {
    receipt_hash: receipts[index].receipt_hash,
    leaf_index: index,
    tree_size: receipts.length,
    audit_path: merkleInclusionPath(leaves, index).map(toHex),
  };
}

/**
 * Result of {@link verifyReceiptInclusion}.
 *
 * @example
 * ```ts
 * import type { InclusionResult } from "@wcp/core";
 * const r: InclusionResult = { ok: false, reason: "proof is for another tree size" };
 * ```
 */
export interface InclusionResult {
  /** True when the receipt is provably in the checkpoint. */
  ok: boolean;
  /** Why not, when not ok. */
  reason: string | null;
}

/**
 * Check one receipt against a signed checkpoint with its inclusion proof: the checkpoint
 * signature, the receipt's own hash, and the audit path up to the checkpoint's root. Does not
 * check the receipt's signature (use `verifyReceiptChain` on the receipt for that). Never throws.
 *
 * @example
 * ```ts
 * import { generateSigningKey, makeCheckpoint, mintReceipt, receiptInclusionProof,
 *   verifyReceiptInclusion } from "@wcp/core";
 * const key = await generateSigningKey();
 * const r = await mintReceipt(null, { tenant_id: "acme", correlation_id: "c-1",
 *   dispatched_at: "2026-01-01T00:00:00.000Z", worker_id: "org.acme.w.1",
 *   capability_id: "cap.doc.summarize", policy_decision: "ALLOW", controls_verified: [],
 *   artifact_hash: "sha256:" + "0".repeat(64) }, key);
 * const cp = await makeCheckpoint([r], key);
 * (await verifyReceiptInclusion(r, receiptInclusionProof([r], 0), cp, [key])).ok; // true
 * ```
 */
export async function verifyReceiptInclusion(
  receipt: unknown,
  proof: InclusionProof,
  checkpoint: Checkpoint,
  keys: KeyRing | Iterable<TrustedKey | SigningKey | KeyFile>,
): Promise<InclusionResult> {
  const no = (reason: string): InclusionResult => ({ ok: false, reason });
  if (!await verifyCheckpoint(checkpoint, keys)) return no("checkpoint signature does not verify");
  const r = receipt as Record<string, unknown>;
  if (typeof r !== "object" || r === null || typeof r.receipt_hash !== "string") {
    return no("not a receipt");
  }
  let recomputed: string;
  try {
    recomputed = computeReceiptHash(r);
  } catch {
    return no("receipt is not canonicalisable");
  }
  if (recomputed !== r.receipt_hash) return no("receipt content does not match its receipt_hash");
  if (proof?.receipt_hash !== r.receipt_hash) return no("proof is for another receipt");
  if (r.tenant_id !== checkpoint.tenant_id) return no("receipt is of another tenant");
  if (proof.tree_size !== checkpoint.tree_size) return no("proof is for another tree size");
  if (proof.leaf_index !== r.seq) return no("leaf index differs from the receipt's seq");
  const path: Uint8Array[] = [];
  for (const h of Array.isArray(proof.audit_path) ? proof.audit_path : []) {
    const b = typeof h === "string" ? fromHexStrict(h) : null;
    if (b === null || b.length !== 32) return no("audit path entry is not 32 bytes of hex");
    path.push(b);
  }
  const root = /^sha256:[0-9a-f]{64}$/.test(checkpoint.root_hash)
    ? fromHexStrict(checkpoint.root_hash.slice(7))
    : null;
  if (root === null) return no("checkpoint root_hash is malformed");
  const ok = verifyMerkleInclusion(
    leafOf(r.receipt_hash as string),
    proof.leaf_index,
    proof.tree_size,
    path,
    root,
  );
  return ok ? { ok, reason: null } : no("audit path does not lead to the checkpoint root");
}

/**
 * Proof that a later checkpoint extends an earlier one (the stream only grew).
 *
 * @example
 * ```ts
 * import { type ConsistencyProof, generateSigningKey, mintReceipt, receiptConsistencyProof }
 *   from "@wcp/core";
 * const key = await generateSigningKey();
 * const fields = { tenant_id: "acme", correlation_id: "c-1",
 *   dispatched_at: "2026-01-01T00:00:00.000Z", worker_id: "org.acme.w.1",
 *   capability_id: "cap.doc.summarize", policy_decision: "ALLOW", controls_verified: [],
 *   artifact_hash: "sha256:" + "0".repeat(64) };
 * const a = await mintReceipt(null, fields, key);
 * const b = await mintReceipt(a, fields, key);
 * const proof: ConsistencyProof = receiptConsistencyProof([a, b], 1);
 * proof.new_size; // 2
 * ```
 */
export interface ConsistencyProof {
  /** Size of the earlier tree. */
  old_size: number;
  /** Size of the later tree. */
  new_size: number;
  /** RFC 6962 consistency path, lowercase hex. */
  proof: string[];
}

/**
 * The consistency proof between the first `oldSize` receipts of a stream and the whole stream.
 *
 * @example
 * ```ts
 * import { receiptConsistencyProof } from "@wcp/core";
 * const r = (seq: number) => ({ seq, receipt_hash: "sha256:" + String(seq).repeat(64) }) as never;
 * receiptConsistencyProof([r(0), r(1), r(2)], 2).proof.length; // 1
 * ```
 */
export function receiptConsistencyProof(
  receipts: readonly UnsignedReceipt[],
  oldSize: number,
): ConsistencyProof {
  const leaves = leavesOf(receipts);
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > receipts.length) {
    throw new WcpError("RECEIPT_INVALID", "oldSize", `must be an integer 0..${receipts.length}`);
  }
  return {
    old_size: oldSize,
    new_size: receipts.length,
    // The empty tree precedes every tree, and a tree is consistent with itself: no hashes.
    proof: oldSize === 0 || oldSize === receipts.length
      ? []
      : merkleConsistencyProof(leaves, oldSize).map(toHex),
  };
}

/**
 * Check that a later signed checkpoint extends an earlier one of the same tenant: both
 * signatures, the sizes, and the RFC 6962 consistency proof between their roots. A rewritten
 * history (any receipt before the old size changed) fails. Never throws for bad checkpoints or
 * proofs (invalid `keys` reject with `KEY_INVALID`).
 *
 * @example
 * ```ts
 * import { generateSigningKey, makeCheckpoint, mintReceipt, receiptConsistencyProof,
 *   verifyCheckpointConsistency } from "@wcp/core";
 * const key = await generateSigningKey();
 * const f = { tenant_id: "acme", correlation_id: "c", dispatched_at: "2026-01-01T00:00:00.000Z",
 *   worker_id: "org.acme.w.1", capability_id: "cap.doc.summarize", policy_decision: "ALLOW",
 *   controls_verified: [], artifact_hash: "sha256:" + "0".repeat(64) };
 * const a = await mintReceipt(null, f, key);
 * const b = await mintReceipt(a, f, key);
 * const older = await makeCheckpoint([a], key);
 * const newer = await makeCheckpoint([a, b], key);
 * (await verifyCheckpointConsistency(older, newer, receiptConsistencyProof([a, b], 1), [key])).ok;
 * // true
 * ```
 */
export async function verifyCheckpointConsistency(
  older: Checkpoint,
  newer: Checkpoint,
  proof: ConsistencyProof,
  keys: KeyRing | Iterable<TrustedKey | SigningKey | KeyFile>,
): Promise<InclusionResult> {
  const no = (reason: string): InclusionResult => ({ ok: false, reason });
  const ring = toKeyRing(keys);
  if (!await verifyCheckpoint(older, ring)) return no("older checkpoint signature does not verify");
  if (!await verifyCheckpoint(newer, ring)) return no("newer checkpoint signature does not verify");
  if (older.tenant_id !== newer.tenant_id) return no("checkpoints are of different tenants");
  if (proof?.old_size !== older.tree_size || proof.new_size !== newer.tree_size) {
    return no("proof is for other tree sizes");
  }
  if (older.tree_size === 0) return { ok: true, reason: null }; // the empty tree precedes all
  const path: Uint8Array[] = [];
  for (const h of Array.isArray(proof.proof) ? proof.proof : []) {
    const b = typeof h === "string" ? fromHexStrict(h) : null;
    if (b === null || b.length !== 32) return no("proof entry is not 32 bytes of hex");
    path.push(b);
  }
  const root = (c: Checkpoint) =>
    /^sha256:[0-9a-f]{64}$/.test(c.root_hash) ? fromHexStrict(c.root_hash.slice(7)) : null;
  const oldRoot = root(older);
  const newRoot = root(newer);
  if (oldRoot === null || newRoot === null) return no("checkpoint root_hash is malformed");
  return verifyMerkleConsistency(older.tree_size, newer.tree_size, path, oldRoot, newRoot)
    ? { ok: true, reason: null }
    : no("the newer checkpoint does not extend the older one");
}
