// Proofs from stored tree nodes (what the hall's stores keep) against the in-memory RFC 6962
// functions: byte-identical audit paths, consistency proofs and roots on random chain lengths
// (powers of two, one off them, and arbitrary ones), and the nodes each proof reads are few.
import assert from "node:assert/strict";
import fc from "fast-check";
import { merkleRoot, receiptConsistencyProof, receiptInclusionProof } from "../../mod.ts";
import type { UnsignedReceipt } from "../../mod.ts";
import {
  consistencyPlan,
  foldNodes,
  inclusionPlan,
  leavesAtPosition,
  nodeKey,
  nodePosition,
  planNodes,
  rootNodes,
  TreeFrontier,
  type TreeNodeRef,
} from "../../src/receipts/stored_tree.ts";
import { toHex } from "./_helpers.ts";

/** A stream of `n` receipts (only seq and receipt_hash matter to the tree) and its stored tree. */
function stream(n: number, seed: number) {
  const receipts: UnsignedReceipt[] = [];
  const nodes = new Map<string, Uint8Array>();
  const tree = new TreeFrontier(0, []);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    let h = "";
    for (let k = 0; k < 8; k++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      h += x.toString(16).padStart(8, "0");
    }
    const receipt_hash = "sha256:" + h;
    receipts.push({ seq: i, receipt_hash } as UnsignedReceipt);
    for (const node of tree.append(receipt_hash)) nodes.set(nodeKey(node), node.hash);
  }
  const read: TreeNodeRef[] = [];
  const get = (r: TreeNodeRef): Uint8Array => {
    read.push(r);
    const h = nodes.get(nodeKey(r));
    if (!h) throw new Error(`node ${nodeKey(r)} is not stored`);
    return h;
  };
  return { receipts, nodes, tree, get, read };
}

function storedInclusion(s: ReturnType<typeof stream>, index: number, size: number): string[] {
  return inclusionPlan(index, size).map((p) => toHex(foldNodes(p, s.get)));
}

function storedConsistency(s: ReturnType<typeof stream>, old: number, size: number): string[] {
  if (old === 0 || old === size) return [];
  return consistencyPlan(old, size).map((p) => toHex(foldNodes(p, s.get)));
}

function storedRoot(s: ReturnType<typeof stream>, size: number): string {
  return size === 0 ? toHex(merkleRoot([])) : toHex(foldNodes(rootNodes(size), s.get));
}

const SIZES = [
  1,
  2,
  3,
  4,
  5,
  7,
  8,
  9,
  15,
  16,
  17,
  31,
  32,
  33,
  63,
  64,
  65,
  100,
  127,
  128,
  129,
  1000,
];

Deno.test("stored tree: every inclusion and consistency proof of small chains equals the in-memory one", () => {
  const s = stream(65, 7);
  for (let size = 1; size <= 65; size++) {
    const prefix = s.receipts.slice(0, size);
    assert.equal(storedRoot(s, size), toHex(merkleRoot(prefix.map((r) => hexOf(r)))));
    for (let i = 0; i < size; i++) {
      assert.deepEqual(
        storedInclusion(s, i, size),
        receiptInclusionProof(prefix, i).audit_path,
        `inclusion ${i} of ${size}`,
      );
    }
    for (let old = 0; old <= size; old++) {
      assert.deepEqual(
        storedConsistency(s, old, size),
        receiptConsistencyProof(prefix, old).proof,
        `consistency ${old} -> ${size}`,
      );
    }
  }
});

Deno.test("stored tree: random chain lengths, leaves and sizes (differential, fast-check)", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.constantFrom(...SIZES), fc.integer({ min: 1, max: 2100 })),
      fc.integer(),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (n, seed, a, b, c) => {
        const s = stream(n, seed);
        const size = Math.max(1, Math.ceil(a * n)); // a checkpoint's size <= the chain's
        const index = Math.min(size - 1, Math.floor(b * size));
        const old = Math.min(size, Math.floor(c * (size + 1)));
        const prefix = s.receipts.slice(0, size);
        assert.deepEqual(
          storedInclusion(s, index, size),
          receiptInclusionProof(prefix, index).audit_path,
        );
        assert.deepEqual(
          storedConsistency(s, old, size),
          receiptConsistencyProof(prefix, old).proof,
        );
        assert.equal(storedRoot(s, size), toHex(merkleRoot(prefix.map((r) => hexOf(r)))));
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("stored tree: a proof at 100,000 leaves reads O(log n) nodes", () => {
  const n = 100_000;
  const s = stream(n, 3);
  assert.equal(s.tree.size, n);
  // ~2n nodes stored in all (each leaf and each subtree it completes).
  assert.ok(s.nodes.size < 2 * n);
  for (const [index, size] of [[0, n], [n - 1, n], [54_321, n], [77_777, 99_999]]) {
    const plan = inclusionPlan(index, size);
    const distinct = planNodes(plan).length;
    assert.ok(distinct <= 2 * Math.ceil(Math.log2(size)), `${distinct} nodes for ${index}/${size}`);
    const old = Math.floor(index / 2) + 1;
    assert.ok(planNodes(consistencyPlan(old, size)).length <= 3 * Math.ceil(Math.log2(size)));
  }
  // Spot-check against the in-memory path at full size.
  const index = 54_321;
  assert.deepEqual(
    storedInclusion(s, index, n),
    receiptInclusionProof(s.receipts, index).audit_path,
  );
});

Deno.test("stored tree: a frontier must be the one of its size, and a malformed hash is refused", () => {
  const s = stream(11, 1);
  const nodes = s.tree.nodes();
  assert.deepEqual(nodes.map((x) => [x.level, x.index]), [[3, 0], [1, 4], [0, 10]]);
  assert.throws(() => new TreeFrontier(12, nodes), /frontier of 12 leaves/);
  assert.throws(() => new TreeFrontier(11, nodes.slice(1)), /frontier of 11 leaves/);
  const t = new TreeFrontier(11, nodes);
  assert.throws(() => t.append("sha256:XYZ"), /receipt_hash/);
  assert.equal(t.size, 11, "a refused leaf leaves the tree as it was");
  // Appending leaf 11 completes (0,11), (1,5) and (2,2).
  const made = t.append("sha256:" + "ab".repeat(32));
  assert.deepEqual(made.map((x) => [x.level, x.index]), [[0, 11], [1, 5], [2, 2]]);
});

function hexOf(r: UnsignedReceipt): Uint8Array {
  const h = r.receipt_hash.slice(7);
  return Uint8Array.from({ length: 32 }, (_, i) => parseInt(h.slice(i * 2, i * 2 + 2), 16));
}

Deno.test("stored tree: node positions are the order appends make the nodes in", () => {
  const tree = new TreeFrontier(0, []);
  let pos = 0;
  for (let n = 1; n <= 600; n++) {
    for (const node of tree.append("sha256:" + n.toString(16).padStart(64, "0"))) {
      assert.equal(nodePosition(node), pos++, `node ${node.level}:${node.index}`);
    }
    assert.equal(leavesAtPosition(pos - 1), n);
    // A position inside an append (its leaf stored, a parent not): the leaves before it.
    if (n > 1) assert.equal(leavesAtPosition(pos - 2), n - 1);
  }
  assert.equal(leavesAtPosition(-1), 0);
  assert.equal(leavesAtPosition(0), 1);
});
