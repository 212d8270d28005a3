// The hall's receipts at scale: proofs read from the store's Merkle tree (byte-identical to the
// in-memory proofs), consistency proofs, a start that continues from the newest signed
// checkpoint instead of re-verifying the whole chain, and checkpoints signed after verification.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import {
  type Checkpoint,
  makeCheckpoint,
  type Receipt,
  receiptConsistencyProof,
  receiptInclusionProof,
  verifyCheckpointConsistency,
  verifyReceiptInclusion,
} from "../../mod.ts";
import { CHECKPOINT_EVERY, type ReceiptService } from "../../src/hall/receipt_service.ts";
import type { HallStore } from "../../src/hall/store/types.ts";
import { nodePosition } from "../../src/receipts/stored_tree.ts";
import { HALL_TEST, j, testHall } from "./_helpers.ts";

const T = Date.parse("2026-12-01T20:00:00.000Z");

async function mintMany(h: { hall: { receipts: ReceiptService } }, n: number, from = 0) {
  for (let i = from; i < from + n; i++) {
    await h.hall.receipts.mint({
      tenant_id: "acme",
      correlation_id: `c-${i}`,
      dispatched_at: new Date(T + i).toISOString(),
      worker_id: "org.acme.w.1",
      capability_id: "cap.doc.summarize",
      policy_decision: "ALLOW",
      controls_verified: [],
      artifact_hash: "sha256:" + "0".repeat(64),
    }, T + i);
  }
}

/** Counts the receipt rows a store hands out through `tenantChain`. */
function countReads(store: HallStore): { rows: number } {
  const seen = { rows: 0 };
  const orig = store.tenantChain.bind(store);
  store.tenantChain = async (t, o) => {
    const rows = await orig(t, o);
    seen.rows += rows.length;
    return rows;
  };
  return seen;
}

Deno.test(
  "receipts: proofs from the stored tree equal the in-memory ones; consistency proofs",
  HALL_TEST,
  async () => {
    const h = await testHall({ chainCheckMs: 0 });
    try {
      await mintMany(h, 23);
      const chain = (await h.store.tenantChain("acme")).map((r) => r.receipt as unknown as Receipt);
      // The first proof signs a checkpoint over all 23; later receipts get later checkpoints.
      for (const i of [0, 5, 11, 16, 22]) {
        const pr = await j(
          await h.req(`/wcp/receipts/proof?tenant_id=acme&receipt_id=${chain[i].receipt_id}`),
        );
        assert.equal(pr.checkpoint.tree_size, 23);
        assert.deepEqual(pr.proof, receiptInclusionProof(chain, i), `receipt ${i}`);
        const ok = await verifyReceiptInclusion(
          pr.receipt,
          pr.proof,
          pr.checkpoint,
          h.hall.receipts.trusted,
        );
        assert.equal(ok.ok, true);
      }
      // A checkpoint's root is the one computed over the receipts.
      const cp = (await h.store.latestCheckpoint("acme"))!.proof as unknown as Checkpoint;
      assert.equal(cp.root_hash, (await makeCheckpoint(chain, h.hall.receipts.signer)).root_hash);
      await mintMany(h, 9, 23);
      const all = (await h.store.tenantChain("acme")).map((r) => r.receipt as unknown as Receipt);
      const pr = await j(
        await h.req(`/wcp/receipts/proof?tenant_id=acme&receipt_id=${all[30].receipt_id}`),
      );
      assert.equal(pr.checkpoint.tree_size, 32);
      assert.deepEqual(pr.proof, receiptInclusionProof(all, 30));
      // Consistency between every older size and the chain (and between two checkpoints).
      for (let old = 0; old <= 32; old++) {
        const c = await j(await h.req(`/wcp/receipts/consistency?tenant_id=acme&old_size=${old}`));
        assert.deepEqual(c, receiptConsistencyProof(all, old), `old size ${old}`);
      }
      const c17 = await j(
        await h.req("/wcp/receipts/consistency?tenant_id=acme&old_size=17&new_size=23"),
      );
      assert.deepEqual(c17, receiptConsistencyProof(all.slice(0, 23), 17));
      const c23 = await j(
        await h.req("/wcp/receipts/consistency?tenant_id=acme&old_size=23&new_size=32"),
      );
      const ok = await verifyCheckpointConsistency(cp, pr.checkpoint, c23, h.hall.receipts.trusted);
      assert.equal(ok.ok, true, JSON.stringify(ok));
      // Bad requests name the parameter.
      for (
        const [q, path] of [
          ["old_size=1", "tenant_id"],
          ["tenant_id=acme", "old_size"],
          ["tenant_id=acme&old_size=-1", "old_size"],
          ["tenant_id=acme&old_size=1&new_size=x", "new_size"],
          ["tenant_id=acme&old_size=1&new_size=33", "new_size"],
          ["tenant_id=acme&old_size=9&new_size=8", "old_size"],
        ]
      ) {
        const r = await h.req(`/wcp/receipts/consistency?${q}`);
        assert.equal(r.status, 400, q);
        assert.equal((await j(r)).error.path, path, q);
      }
    } finally {
      await h.stop();
    }
  },
);

Deno.test(
  "receipts: a start verifies only the receipts after the newest checkpoint that holds",
  HALL_TEST,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp_tree_" });
    const path = `${dir}/hall.sqlite`;
    try {
      const h1 = await testHall({ store: await openSqliteStore(path), chainCheckMs: 0 });
      await mintMany(h1, 40);
      assert.equal(
        (await h1.req("/wcp/receipts/checkpoint", { method: "POST", json: { tenant_id: "acme" } }))
          .status,
        201,
      );
      await mintMany(h1, 3, 40);
      await h1.stop();

      // A new hall reads the checkpoint's head and the 3 receipts after it, not all 43.
      const s2 = await openSqliteStore(path);
      const reads2 = countReads(s2);
      const h2 = await testHall({ store: s2 });
      assert.deepEqual(await h2.hall.startupCheck, []);
      assert.ok(reads2.rows <= 4, `${reads2.rows} receipts read at start`);
      // A full verification (the API) still reads and checks everything.
      reads2.rows = 0;
      assert.equal((await j(await h2.req("/wcp/receipts/verify?tenant_id=acme"))).ok, true);
      assert.equal(reads2.rows, 43);
      await h2.stop();

      // A receipt after the checkpoint edited while the hall was down: reported at start.
      let db = new DatabaseSync(path);
      db.exec(
        "UPDATE receipts SET data = json_set(data, '$.worker_id', 'org.evil.x.1') WHERE seq = 41",
      );
      db.close();
      const h3 = await testHall({ store: await openSqliteStore(path) });
      assert.deepEqual(await h3.hall.startupCheck, ["acme"]);
      await h3.stop();
      db = new DatabaseSync(path);
      db.exec(
        "UPDATE receipts SET data = json_set(data, '$.worker_id', 'org.acme.w.1') WHERE seq = 41",
      );
      // The stored tree no longer gives the checkpoint's root: the whole chain is verified.
      db.prepare("UPDATE receipt_tree SET hash = zeroblob(32) WHERE pos = ?")
        .run(nodePosition({ level: 5, index: 0 }));
      db.close();
      const s4 = await openSqliteStore(path);
      const reads4 = countReads(s4);
      const h4 = await testHall({ store: s4 });
      assert.deepEqual(await h4.hall.startupCheck, []);
      assert.ok(reads4.rows >= 43, `${reads4.rows} receipts read at start`);
      await h4.stop();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "receipts: a verified chain gets a checkpoint every CHECKPOINT_EVERY receipts, over the verified root",
  HALL_TEST,
  async () => {
    const h = await testHall({ chainCheckMs: 0 });
    try {
      await mintMany(h, CHECKPOINT_EVERY - 1);
      assert.deepEqual(await h.hall.checkChains(false), []);
      assert.equal(await h.store.latestCheckpoint("acme"), null, "not far enough yet");
      await mintMany(h, 1, CHECKPOINT_EVERY - 1);
      assert.deepEqual(await h.hall.checkChains(false), []);
      const row = await h.store.latestCheckpoint("acme");
      assert.equal(row?.tree_size, CHECKPOINT_EVERY);
      const chain = (await h.store.tenantChain("acme")).map((r) => r.receipt as unknown as Receipt);
      const cp = row!.proof as unknown as Checkpoint;
      assert.equal(cp.root_hash, (await makeCheckpoint(chain, h.hall.receipts.signer)).root_hash);
      assert.equal(cp.head_receipt_hash, chain[CHECKPOINT_EVERY - 1].receipt_hash);
    } finally {
      await h.stop();
    }
  },
);
