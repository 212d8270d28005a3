// RFC 6962 Merkle hashing (known answers from the Certificate Transparency test data), audit
// paths for every leaf of every small tree, signed checkpoints and receipt inclusion proofs.
import assert from "node:assert/strict";
import {
  generateSigningKey,
  makeCheckpoint,
  merkleConsistencyProof,
  merkleInclusionPath,
  merkleLeafHash,
  merkleNodeHash,
  merkleRoot,
  receiptConsistencyProof,
  receiptInclusionProof,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyMerkleConsistency,
  verifyMerkleInclusion,
  verifyReceiptInclusion,
  WcpError,
} from "../../mod.ts";
import { hex, mintChain, toHex } from "./_helpers.ts";

// The eight leaves of the CT reference tests and the roots of their first 1..8 leaves.
const LEAVES = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
].map(hex);
const ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

Deno.test("merkle: RFC 6962 leaf/node prefixes and the CT reference roots", () => {
  assert.equal(toHex(merkleLeafHash(new Uint8Array())), ROOTS[0]);
  assert.equal(
    toHex(merkleRoot([])),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  for (let n = 1; n <= 8; n++) {
    assert.equal(toHex(merkleRoot(LEAVES.slice(0, n))), ROOTS[n - 1], `size ${n}`);
  }
  // Node = H(0x01 || l || r): a tree of two leaves, by hand.
  assert.equal(
    toHex(merkleNodeHash(merkleLeafHash(LEAVES[0]), merkleLeafHash(LEAVES[1]))),
    ROOTS[1],
  );
});

Deno.test("merkle: the CT reference audit path for leaf 0 of 8, and every path of trees 1..33", () => {
  assert.deepEqual(merkleInclusionPath(LEAVES, 0).map(toHex), [
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
  ]);
  for (let n = 1; n <= 33; n++) {
    const leaves = Array.from({ length: n }, (_, i) => new Uint8Array([i, n]));
    const root = merkleRoot(leaves);
    for (let i = 0; i < n; i++) {
      const path = merkleInclusionPath(leaves, i);
      assert.equal(verifyMerkleInclusion(leaves[i], i, n, path, root), true, `${i}/${n}`);
      // Wrong leaf, wrong index, tampered, shortened or lengthened path: all rejected.
      assert.equal(verifyMerkleInclusion(new Uint8Array([99]), i, n, path, root), false);
      if (n > 1) assert.equal(verifyMerkleInclusion(leaves[i], (i + 1) % n, n, path, root), false);
      // (A different tree_size alone can give the same root for a leaf in a full left subtree;
      // checkpoints sign tree_size with the root, and the proof must match it.)
      if (path.length > 0) {
        const bad = path.map((p) => p.slice());
        bad[0][0] ^= 1;
        assert.equal(verifyMerkleInclusion(leaves[i], i, n, bad, root), false);
        assert.equal(verifyMerkleInclusion(leaves[i], i, n, path.slice(1), root), false);
      }
      assert.equal(verifyMerkleInclusion(leaves[i], i, n, [...path, root], root), false);
    }
  }
  assert.throws(
    () => merkleInclusionPath(LEAVES, 8),
    (e) => e instanceof WcpError && e.code === "MERKLE_INVALID" && e.path === "index",
  );
  assert.equal(verifyMerkleInclusion(LEAVES[0], -1, 8, [], hex(ROOTS[7])), false);
});

Deno.test("checkpoint: signed root over a receipt stream; one receipt proven without the log", async () => {
  const key = await generateSigningKey();
  const chain = await mintChain(37, [key]);
  const cp = await makeCheckpoint(chain, key, { now: Date.UTC(2026, 0, 2) });
  assert.equal(cp.type, "wcp.receipt-checkpoint/v1");
  assert.equal(cp.tree_size, 37);
  assert.equal(cp.tenant_id, "acme");
  assert.equal(cp.head_receipt_hash, chain[36].receipt_hash);
  assert.equal(
    cp.root_hash,
    "sha256:" + toHex(merkleRoot(chain.map((r) => hex(r.receipt_hash.slice(7))))),
  );
  assert.equal(await verifyCheckpoint(cp, [key]), true);
  assert.equal(await verifyCheckpoint({ ...cp, tree_size: 36 }, [key]), false);
  assert.equal(await verifyCheckpoint(cp, [await generateSigningKey()]), false);
  for (const i of [0, 1, 17, 31, 32, 36]) {
    const proof = JSON.parse(JSON.stringify(receiptInclusionProof(chain, i)));
    assert.deepEqual(await verifyReceiptInclusion(chain[i], proof, cp, [key]), {
      ok: true,
      reason: null,
    });
  }
  const proof = receiptInclusionProof(chain, 5);
  const no = async (receipt: unknown, p = proof, c = cp) =>
    (await verifyReceiptInclusion(receipt, p, c, [key])).reason;
  assert.match(
    String(await no({ ...chain[5], worker_id: "org.evil.w" })),
    /content does not match/,
  );
  assert.match(String(await no(chain[6])), /another receipt/);
  assert.match(String(await no(chain[5], { ...proof, leaf_index: 6 })), /leaf index/);
  assert.match(
    String(
      await no(chain[5], {
        ...proof,
        audit_path: [proof.audit_path[1], ...proof.audit_path.slice(1)],
      }),
    ),
    /does not lead/,
  );
  assert.match(String(await no(chain[5], { ...proof, audit_path: ["zz"] })), /32 bytes/);
  assert.match(
    String(await no(chain[5], proof, { ...cp, root_hash: "sha256:" + "0".repeat(64) })),
    /checkpoint signature/,
  );
  // A checkpoint of a prefix does not prove a later receipt.
  const early = await makeCheckpoint(chain.slice(0, 10), key);
  assert.match(String(await no(chain[5], proof, early)), /tree size/);
  assert.equal(
    (await verifyReceiptInclusion(chain[5], receiptInclusionProof(chain.slice(0, 10), 5), early, [
      key,
    ])).ok,
    true,
  );
});

Deno.test("checkpoint: refuses a list that is not one whole tenant stream", async () => {
  const key = await generateSigningKey();
  const chain = await mintChain(3, [key]);
  await assert.rejects(
    () => makeCheckpoint(chain.slice(1), key),
    (e) => e instanceof WcpError && e.path === "[0].seq",
  );
  const other = await mintChain(1, [key], "globex");
  await assert.rejects(() => makeCheckpoint([...chain, ...other], key), WcpError);
  await assert.rejects(() => makeCheckpoint([], key), WcpError);
  assert.equal((await makeCheckpoint([], key, { tenantId: "acme" })).head_receipt_hash, null);
});

Deno.test("merkle: consistency proofs between every pair of sizes of trees up to 33", () => {
  const leaves = Array.from({ length: 33 }, (_, i) => new Uint8Array([i, 7]));
  const roots = Array.from({ length: 34 }, (_, n) => merkleRoot(leaves.slice(0, n)));
  for (let n = 1; n <= 33; n++) {
    for (let m = 1; m <= n; m++) {
      const proof = m === n ? [] : merkleConsistencyProof(leaves.slice(0, n), m);
      assert.equal(verifyMerkleConsistency(m, n, proof, roots[m], roots[n]), true, `${m}->${n}`);
      if (m === n) continue;
      // A different old history, a wrong size, a tampered or truncated proof: all rejected.
      const forgedOld = merkleRoot([new Uint8Array([99]), ...leaves.slice(1, m)]);
      assert.equal(verifyMerkleConsistency(m, n, proof, forgedOld, roots[n]), false);
      assert.equal(verifyMerkleConsistency(m, n, proof, roots[m], roots[n - 1]), false);
      if (proof.length > 0) {
        const bad = proof.map((p) => p.slice());
        bad[bad.length - 1][3] ^= 1;
        assert.equal(verifyMerkleConsistency(m, n, bad, roots[m], roots[n]), false);
        assert.equal(verifyMerkleConsistency(m, n, proof.slice(1), roots[m], roots[n]), false);
      }
    }
  }
  assert.equal(verifyMerkleConsistency(0, 3, [], roots[0], roots[3]), false);
  assert.equal(verifyMerkleConsistency(4, 3, [], roots[4], roots[3]), false);
  assert.throws(
    () => merkleConsistencyProof(leaves, 0),
    (e) => e instanceof WcpError && e.code === "MERKLE_INVALID" && e.path === "oldSize",
  );
});

Deno.test("checkpoint: a later checkpoint provably extends an earlier one; rewritten history fails", async () => {
  const key = await generateSigningKey();
  const chain = await mintChain(21, [key]);
  const older = await makeCheckpoint(chain.slice(0, 13), key);
  const newer = await makeCheckpoint(chain, key);
  const proof = JSON.parse(JSON.stringify(receiptConsistencyProof(chain, 13)));
  assert.deepEqual(await verifyCheckpointConsistency(older, newer, proof, [key]), {
    ok: true,
    reason: null,
  });
  // History rewritten at receipt 2: the new root cannot extend the old one.
  const forked = await mintChain(21, [key], "acme");
  forked[2] = { ...forked[2], receipt_hash: "sha256:" + "ee".repeat(32) };
  const forkedCp = await makeCheckpoint(forked, key);
  const r = await verifyCheckpointConsistency(
    older,
    forkedCp,
    receiptConsistencyProof(forked, 13),
    [key],
  );
  assert.deepEqual(r, { ok: false, reason: "the newer checkpoint does not extend the older one" });
  const wrongSizes = { ...proof, old_size: 12 };
  assert.match(
    String((await verifyCheckpointConsistency(older, newer, wrongSizes, [key])).reason),
    /sizes/,
  );
  assert.match(
    String(
      (await verifyCheckpointConsistency(older, { ...newer, tree_size: 22 }, proof, [key])).reason,
    ),
    /signature/,
  );
  const same = await verifyCheckpointConsistency(newer, newer, receiptConsistencyProof(chain, 21), [
    key,
  ]);
  assert.equal(same.ok, true);
});

Deno.test("checkpoint: bad proof requests name the argument (never a TypeError or RangeError)", async () => {
  const key = await generateSigningKey();
  const chain = await mintChain(5, [key]);
  const invalid = (path: string) => (e: unknown) =>
    e instanceof WcpError && e.code === "RECEIPT_INVALID" && e.path === path;
  for (const index of [-1, 1.5, chain.length, NaN]) {
    assert.throws(() => receiptInclusionProof(chain, index), invalid("index"));
  }
  assert.throws(() => receiptInclusionProof(null as never, 0), invalid("receipts"));
  assert.throws(() => receiptConsistencyProof(chain, chain.length + 1), invalid("oldSize"));
  assert.throws(() => receiptConsistencyProof([chain[0], null] as never, 1), invalid("[1]"));
  await assert.rejects(makeCheckpoint([chain[0], null] as never, key), invalid("[1]"));
  await assert.rejects(makeCheckpoint("x" as never, key), invalid("receipts"));
  // From the empty tree, the proof is empty and the checkpoints are consistent.
  const empty = await makeCheckpoint([], key, { tenantId: chain[0].tenant_id });
  const full = await makeCheckpoint(chain, key);
  const proof = receiptConsistencyProof(chain, 0);
  assert.deepEqual(proof.proof, []);
  assert.equal((await verifyCheckpointConsistency(empty, full, proof, [key])).ok, true);
});
