/**
 * RFC 6962 (Certificate Transparency) Merkle tree hashing: leaf = SHA-256(0x00 || data),
 * node = SHA-256(0x01 || left || right), with audit paths and their verification (the algorithm
 * of RFC 9162 section 2.1.3.2).
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesEqual } from "../encoding/bytes.ts";
import { WcpError } from "../errors.ts";

// Scratch for the prefixed hash inputs: one SHA-256 call on one buffer per hash (the streaming
// create/update/digest form costs about twice as much for these 33- and 65-byte inputs).
const SCRATCH = new Uint8Array(65);

/**
 * RFC 6962 leaf hash: SHA-256(0x00 || data).
 *
 * @example
 * ```ts
 * import { merkleLeafHash } from "@wcp/core";
 * merkleLeafHash(new Uint8Array()).length; // 32
 * ```
 */
export function merkleLeafHash(data: Uint8Array): Uint8Array {
  if (data.length !== 32) {
    const input = new Uint8Array(data.length + 1);
    input.set(data, 1);
    return sha256(input);
  }
  SCRATCH[0] = 0;
  SCRATCH.set(data, 1);
  return sha256(SCRATCH.subarray(0, 33));
}

/**
 * RFC 6962 interior node hash: SHA-256(0x01 || left || right).
 *
 * @example
 * ```ts
 * import { merkleNodeHash } from "@wcp/core";
 * merkleNodeHash(new Uint8Array(32), new Uint8Array(32)).length; // 32
 * ```
 */
export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== 32 || right.length !== 32) {
    const input = new Uint8Array(1 + left.length + right.length);
    input[0] = 1;
    input.set(left, 1);
    input.set(right, 1 + left.length);
    return sha256(input);
  }
  SCRATCH[0] = 1;
  SCRATCH.set(left, 1);
  SCRATCH.set(right, 33);
  return sha256(SCRATCH);
}

/** Largest power of two strictly below n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function rootOfLeafHashes(h: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  const n = hi - lo;
  if (n === 1) return h[lo];
  const k = split(n);
  return merkleNodeHash(rootOfLeafHashes(h, lo, lo + k), rootOfLeafHashes(h, lo + k, hi));
}

/**
 * The Merkle tree hash (MTH) of a list of leaf inputs; the empty tree hashes to SHA-256("").
 *
 * @example
 * ```ts
 * import { merkleRoot } from "@wcp/core";
 * merkleRoot([new Uint8Array([1]), new Uint8Array([2])]).length; // 32
 * ```
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array());
  return rootOfLeafHashes(leaves.map(merkleLeafHash), 0, leaves.length);
}

function path(
  h: readonly Uint8Array[],
  m: number,
  lo: number,
  hi: number,
  out: Uint8Array[],
): void {
  const n = hi - lo;
  if (n <= 1) return;
  const k = split(n);
  if (m < k) {
    path(h, m, lo, lo + k, out);
    out.push(rootOfLeafHashes(h, lo + k, hi));
  } else {
    path(h, m - k, lo + k, hi, out);
    out.push(rootOfLeafHashes(h, lo, lo + k));
  }
}

/**
 * The audit path (RFC 6962 `PATH(m, D[n])`) proving leaf `index` is in the tree of `leaves`.
 *
 * @example
 * ```ts
 * import { merkleInclusionPath } from "@wcp/core";
 * merkleInclusionPath([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])], 2).length;
 * // 1
 * ```
 */
export function merkleInclusionPath(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) {
    throw new WcpError(
      "MERKLE_INVALID",
      "index",
      `leaf index ${index} is outside a tree of ${leaves.length}`,
    );
  }
  const out: Uint8Array[] = [];
  path(leaves.map(merkleLeafHash), index, 0, leaves.length, out);
  return out;
}

/**
 * Check an audit path: does the leaf with this input sit at `index` of a tree of `treeSize`
 * whose root is `root`?
 *
 * @example
 * ```ts
 * import { merkleInclusionPath, merkleRoot, verifyMerkleInclusion } from "@wcp/core";
 * const leaves = [1, 2, 3, 4, 5].map((x) => new Uint8Array([x]));
 * verifyMerkleInclusion(leaves[3], 3, 5, merkleInclusionPath(leaves, 3), merkleRoot(leaves));
 * // true
 * ```
 */
export function verifyMerkleInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  auditPath: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize)) return false;
  if (index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = merkleLeafHash(leaf);
  for (const p of auditPath) {
    if (p.length !== 32 || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = merkleNodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = merkleNodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}

function subproof(
  h: readonly Uint8Array[],
  m: number,
  lo: number,
  hi: number,
  complete: boolean,
  out: Uint8Array[],
): void {
  const n = hi - lo;
  if (m === n) {
    if (!complete) out.push(rootOfLeafHashes(h, lo, hi));
    return;
  }
  const k = split(n);
  if (m <= k) {
    subproof(h, m, lo, lo + k, complete, out);
    out.push(rootOfLeafHashes(h, lo + k, hi));
  } else {
    subproof(h, m - k, lo + k, hi, false, out);
    out.push(rootOfLeafHashes(h, lo, lo + k));
  }
}

/**
 * The consistency proof (RFC 6962 `PROOF(m, D[n])`) that the tree of the first `oldSize` leaves
 * is a prefix of the tree of all `leaves`: the log only grew.
 *
 * @example
 * ```ts
 * import { merkleConsistencyProof } from "@wcp/core";
 * const leaves = [1, 2, 3].map((x) => new Uint8Array([x]));
 * merkleConsistencyProof(leaves, 2).length; // 1
 * ```
 */
export function merkleConsistencyProof(
  leaves: readonly Uint8Array[],
  oldSize: number,
): Uint8Array[] {
  if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > leaves.length) {
    throw new WcpError("MERKLE_INVALID", "oldSize", `${oldSize} is outside 1..${leaves.length}`);
  }
  const out: Uint8Array[] = [];
  subproof(leaves.map(merkleLeafHash), oldSize, 0, leaves.length, true, out);
  return out;
}

/**
 * Check a consistency proof between an old root (size `oldSize`) and a new root (size
 * `newSize`), per RFC 9162 section 2.1.4.2.
 *
 * @example
 * ```ts
 * import { merkleConsistencyProof, merkleRoot, verifyMerkleConsistency } from "@wcp/core";
 * const leaves = [1, 2, 3, 4, 5].map((x) => new Uint8Array([x]));
 * verifyMerkleConsistency(3, 5, merkleConsistencyProof(leaves, 3),
 *   merkleRoot(leaves.slice(0, 3)), merkleRoot(leaves)); // true
 * ```
 */
export function verifyMerkleConsistency(
  oldSize: number,
  newSize: number,
  proof: readonly Uint8Array[],
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize)) return false;
  if (oldSize < 1 || oldSize > newSize) return false;
  if (proof.some((p) => p.length !== 32)) return false;
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  const path = (oldSize & (oldSize - 1)) === 0 ? [oldRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = merkleNodeHash(c, fr);
      sr = merkleNodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = merkleNodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}
