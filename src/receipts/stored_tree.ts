/**
 * RFC 6962 proofs from stored tree nodes. A store keeps, per tenant stream, every complete
 * subtree of the Merkle tree: node (level, index) is the tree hash of leaves
 * `[index * 2^level, (index + 1) * 2^level)`; level 0 holds the leaf hashes. Such a node never
 * changes once its last leaf is appended, so it is written once, with that leaf.
 *
 * Every subtree that the RFC 6962 recursions (`PATH`, `PROOF`, `MTH`) visit is either such a
 * complete node or a range `[lo, n)` that ends at the tree's size; the latter is the right fold
 * of at most log2(n) complete nodes. So a proof needs O(log n) stored nodes, which these plans
 * name; the store fetches them in one query and {@link foldNodes} puts each proof entry together.
 *
 * @module
 */

import { merkleLeafHash, merkleNodeHash } from "./merkle.ts";
import { WcpError } from "../errors.ts";

/** A complete subtree: leaves `[index * 2^level, (index + 1) * 2^level)`. */
export interface TreeNodeRef {
  /** Height above the leaves (0 = a leaf hash). */
  level: number;
  /** Position among the nodes of that level. */
  index: number;
}

/** A stored node: its place and its 32-byte hash. */
export interface TreeNode extends TreeNodeRef {
  /** The subtree's RFC 6962 hash. */
  hash: Uint8Array;
}

/** Largest power of two strictly below n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The complete nodes whose right fold is the tree hash of leaves `[lo, hi)`, largest first.
 * Valid for the ranges the RFC 6962 recursions visit (`lo` a multiple of a power of two at least
 * `hi - lo`), where this greedy split is the RFC's own.
 */
export function rangeNodes(lo: number, hi: number): TreeNodeRef[] {
  const out: TreeNodeRef[] = [];
  let at = lo;
  while (at < hi) {
    let level = 0;
    while (at % 2 ** (level + 1) === 0 && at + 2 ** (level + 1) <= hi) level++;
    out.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return out;
}

/** The nodes of the tree hash of the first `size` leaves (the stream's frontier). */
export function rootNodes(size: number): TreeNodeRef[] {
  return rangeNodes(0, size);
}

/**
 * The plan of the audit path `PATH(index, D[size])`: per path entry (leaf to root), the nodes
 * to fold. Same order and entries as `merkleInclusionPath`.
 */
export function inclusionPlan(index: number, size: number): TreeNodeRef[][] {
  const out: TreeNodeRef[][] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = split(n);
    if (m < k) {
      walk(m, lo, lo + k);
      out.push(rangeNodes(lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      out.push(rangeNodes(lo, lo + k));
    }
  };
  walk(index, 0, size);
  return out;
}

/**
 * The plan of the consistency proof `PROOF(oldSize, D[size])` (0 < oldSize < size). Same order
 * and entries as `merkleConsistencyProof`.
 */
export function consistencyPlan(oldSize: number, size: number): TreeNodeRef[][] {
  const out: TreeNodeRef[][] = [];
  const walk = (m: number, lo: number, hi: number, complete: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!complete) out.push(rangeNodes(lo, hi));
      return;
    }
    const k = split(n);
    if (m <= k) {
      walk(m, lo, lo + k, complete);
      out.push(rangeNodes(lo + k, hi));
    } else {
      walk(m - k, lo + k, hi, false);
      out.push(rangeNodes(lo, lo + k));
    }
  };
  walk(oldSize, 0, size, true);
  return out;
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

/**
 * A node's place in the order nodes are made as leaves are appended (0, 1, 2, …): node (L, i) is
 * made by leaf m = (i + 1) * 2^L - 1, after the 2m - popcount(m) nodes of the first m leaves, as
 * the L-th node that leaf completes. A store keyed by it writes every node at the end of its
 * chain's key range.
 */
export function nodePosition(ref: TreeNodeRef): number {
  const m = (ref.index + 1) * 2 ** ref.level - 1;
  return 2 * m - popcount(m) + ref.level;
}

/**
 * Leaves whose nodes all lie at or before position `last` (-1 for none): the size of a tree whose
 * last stored node is there (a store then checks that the tree's frontier is stored).
 */
export function leavesAtPosition(last: number): number {
  // 2n - popcount(n) nodes for n leaves, so the last node of n leaves is at 2n - popcount(n) - 1,
  // which grows with n: the answer is the largest n with that position <= last.
  let n = Math.max(0, Math.floor((last + 1) / 2) - 64);
  while (2 * (n + 1) - popcount(n + 1) - 1 <= last) n++;
  return n;
}

/** The key of a node in a lookup map. */
export function nodeKey(ref: TreeNodeRef): string {
  return `${ref.level}:${ref.index}`;
}

/** Every distinct node of some plans, in a stable order (what to fetch). */
export function planNodes(plans: readonly (readonly TreeNodeRef[])[]): TreeNodeRef[] {
  const seen = new Map<string, TreeNodeRef>();
  for (const p of plans) for (const r of p) seen.set(nodeKey(r), r);
  return [...seen.values()];
}

/** The tree hash of the nodes of one plan entry: `node(h1, node(h2, … node(hk-1, hk)))`. */
export function foldNodes(
  refs: readonly TreeNodeRef[],
  lookup: (ref: TreeNodeRef) => Uint8Array,
): Uint8Array {
  let h = lookup(refs[refs.length - 1]);
  for (let i = refs.length - 2; i >= 0; i--) h = merkleNodeHash(lookup(refs[i]), h);
  return h;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Value of a lowercase hex digit's char code (the text is checked by DIGEST first). */
function nibble(c: number): number {
  return c <= 57 ? c - 48 : c - 87;
}

/** The 32-byte leaf input of a `sha256:<hex>` receipt hash, or `RECEIPT_INVALID`. */
export function receiptLeafInput(receiptHash: unknown): Uint8Array {
  if (typeof receiptHash !== "string" || !DIGEST.test(receiptHash)) {
    throw new WcpError("RECEIPT_INVALID", "receipt_hash", "must be sha256:<64 lowercase hex>");
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = (nibble(receiptHash.charCodeAt(7 + 2 * i)) << 4) |
      nibble(receiptHash.charCodeAt(8 + 2 * i));
  }
  return out;
}

/**
 * The right edge of a growing tree: the roots of `rootNodes(size)` with their hashes. Appending
 * a leaf returns the nodes that became complete (the leaf and the subtrees it closes), which is
 * what a store writes with the receipt.
 */
export class TreeFrontier {
  #size: number;
  readonly #nodes: TreeNode[];

  /** `nodes` must be `rootNodes(size)` with their stored hashes. */
  constructor(size: number, nodes: readonly TreeNode[]) {
    const want = rootNodes(size);
    if (
      nodes.length !== want.length ||
      want.some((w, i) =>
        w.level !== nodes[i].level || w.index !== nodes[i].index || nodes[i].hash.length !== 32
      )
    ) {
      throw new Error(`receipt tree: the frontier of ${size} leaves is incomplete or misplaced`);
    }
    this.#size = size;
    this.#nodes = nodes.map((n) => ({ ...n }));
  }

  /** Leaves so far. */
  get size(): number {
    return this.#size;
  }

  /** Append the leaf of a receipt hash; returns the nodes completed by it (leaf first). */
  append(receiptHash: string): TreeNode[] {
    const leaf: TreeNode = {
      level: 0,
      index: this.#size,
      hash: merkleLeafHash(receiptLeafInput(receiptHash)),
    };
    const made = [leaf];
    this.#nodes.push(leaf);
    const f = this.#nodes;
    while (f.length >= 2 && f[f.length - 2].level === f[f.length - 1].level) {
      const right = f.pop()!;
      const left = f.pop()!;
      const up: TreeNode = {
        level: left.level + 1,
        index: left.index / 2,
        hash: merkleNodeHash(left.hash, right.hash),
      };
      f.push(up);
      made.push(up);
    }
    this.#size++;
    return made;
  }

  /** The frontier nodes (what a store reads back to continue). */
  nodes(): TreeNode[] {
    return this.#nodes.map((n) => ({ ...n }));
  }
}
