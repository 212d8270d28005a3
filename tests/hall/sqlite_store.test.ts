import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openSqliteStore, SqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { telemetryPageSql } from "../../src/hall/store/sqlite/telemetry.ts";
import { appendTenantBatch, tenantEvent, tenantPageIds } from "./_telemetry_rows.ts";
import { runStoreContract } from "./store_contract.ts";
import { receiptRowFor } from "./_receipt_rows.ts";
import { sha256Hex } from "../../src/encoding/hash.ts";
import { generateSigningKey, mintReceipt, type Receipt, receiptInclusionProof } from "../../mod.ts";
import {
  foldNodes,
  inclusionPlan,
  leavesAtPosition,
  nodeKey,
  nodePosition,
} from "../../src/receipts/stored_tree.ts";
import { toHex } from "../../src/encoding/bytes.ts";

const features = { approvedExpiry: true };
runStoreContract("sqlite memory", () => Promise.resolve(new SqliteStore(":memory:")), features);

runStoreContract("sqlite file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-store-" });
  return new SqliteStore(`${dir}/hall.sqlite`);
}, features);

Deno.test("sqlite store: data survives reopening the file, and two handles share one chain", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-store-" });
  const path = `${dir}/hall.sqlite`;
  const a = await openSqliteStore(path);
  const b = await openSqliteStore(path);
  // Two handles (as two processes would) appending to one tenant chain: still linear.
  await Promise.all([
    ...Array.from({ length: 10 }, (_, i) => a.appendReceipt("acme", receiptRowFor(`a${i}`))),
    ...Array.from({ length: 10 }, (_, i) => b.appendReceipt("acme", receiptRowFor(`b${i}`))),
  ]);
  await a.close();
  await b.close();
  const c = await openSqliteStore(path);
  const chain = await c.tenantChain("acme");
  assert.deepEqual(chain.map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i));
  for (let i = 1; i < chain.length; i++) {
    assert.equal(chain[i].prev_receipt_hash, chain[i - 1].receipt_hash);
  }
  assert.ok(await c.migrationVersion() >= 3);
  await c.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sqlite store: migration 3 gives approvals of an older hall requested_by and resolved_by objects", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-store-" });
  const path = `${dir}/hall.sqlite`;
  const fresh = await openSqliteStore(path);
  const latest = await fresh.migrationVersion();
  await fresh.close();
  // Take the file back to migration 2 and write rows as a hall of that version did: resolved_by a
  // token id string, no requested_by.
  const db = new DatabaseSync(path);
  db.exec(`DELETE FROM wcp_migrations WHERE version >= 3;
    ALTER TABLE approvals DROP COLUMN requested_by; ALTER TABLE approvals DROP COLUMN resolved_by;`);
  db.prepare("INSERT INTO tokens (token_id, token_hash, revoked_at, data) VALUES (?, ?, NULL, ?)")
    .run("tok_ops", "ab".repeat(32), JSON.stringify({ token_id: "tok_ops", label: "ops desk" }));
  const old = (id: string, status: string, by: string | null) => ({
    approval_id: id,
    decision_id: `d-${id}`,
    tenant_id: "acme",
    correlation_id: `c-${id}`,
    capability_id: "cap.doc.x",
    supervisor_level: "gatekeeper",
    status,
    input: {},
    decision: {},
    created_at: "2026-01-01T00:00:00.000Z",
    expires_at: "2026-01-01T00:15:00.000Z",
    resolved_at: by ? "2026-01-01T00:01:00.000Z" : null,
    resolved_by: by,
    note: null,
    escalations: 0,
    consumed_at: null,
  });
  const insert = db.prepare(
    `INSERT INTO approvals (approval_id, status, tenant_id, created_at, expires_at, data)
     VALUES (?, ?, 'acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:15:00.000Z', ?)`,
  );
  for (const a of [old("a-known", "approved", "tok_ops"), old("a-gone", "denied", "tok_gone")]) {
    insert.run(a.approval_id, a.status, JSON.stringify(a));
  }
  insert.run("a-pending", "pending", JSON.stringify(old("a-pending", "pending", null)));
  db.close();

  const s = await openSqliteStore(path);
  try {
    assert.equal(await s.migrationVersion(), latest);
    const known = await s.getApproval("a-known");
    assert.deepEqual(known?.resolved_by, { principal_id: "tok_ops", label: "ops desk" });
    assert.equal(known?.requested_by, null);
    const gone = await s.getApproval("a-gone");
    assert.deepEqual(gone?.resolved_by, { principal_id: "tok_gone", label: "" });
    const pending = await s.getApproval("a-pending");
    assert.equal(pending?.requested_by, null);
    assert.equal(pending?.resolved_by, null);
    // The migrated pending row is resolved like any other.
    const r = await s.resolveApproval("a-pending", {
      status: "denied",
      by: { principal_id: "tok_ops", label: "ops desk" },
      at: "2026-01-01T00:02:00.000Z",
      note: "no",
    });
    assert.deepEqual(r?.resolved_by, { principal_id: "tok_ops", label: "ops desk" });
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlite store: migrate backfills the Merkle tree of chains written before it (and of a tree cut short)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-store-" });
  const path = `${dir}/hall.sqlite`;
  const key = await generateSigningKey();
  const store = await openSqliteStore(path);
  let prev: Receipt | null = null;
  for (let i = 0; i < 45; i++) {
    const fields = {
      tenant_id: "acme",
      correlation_id: `c-${i}`,
      dispatched_at: "2026-01-01T00:00:00.000Z",
      worker_id: "org.acme.w.1",
      capability_id: "cap.doc.summarize",
      policy_decision: "ALLOW",
      controls_verified: [],
      artifact_hash: "sha256:" + "0".repeat(64),
    };
    const r: Receipt = await mintReceipt(prev, fields, key);
    await store.appendReceipt("acme", () => r as never);
    prev = r;
  }
  await store.close();
  const proofOf = async (index: number, size: number) => {
    const s = await openSqliteStore(path);
    try {
      const plan = inclusionPlan(index, size);
      const out: string[] = [];
      for (const p of plan) {
        const hashes = await s.receiptTreeNodes("acme", p);
        const m = new Map(p.map((r, i) => [nodeKey(r), hashes[i]!]));
        out.push(toHex(foldNodes(p, (r) => m.get(nodeKey(r))!)));
      }
      return { size: await s.receiptTreeSize("acme"), out };
    } finally {
      await s.close();
    }
  };
  const chain = await (async () => {
    const s = await openSqliteStore(path);
    const rows = await s.tenantChain("acme");
    await s.close();
    return rows.map((r) => r.receipt as unknown as Receipt);
  })();
  const want = receiptInclusionProof(chain, 17).audit_path;
  // As a hall before the tree: no tree rows at all. Reopening (migrate) builds it.
  const db = new DatabaseSync(path);
  db.exec("DELETE FROM receipt_tree");
  db.close();
  assert.deepEqual(await proofOf(17, 45), { size: 45, out: want });
  // A tree that stops early (an older hall appended after it): continued from leaf 30.
  const db2 = new DatabaseSync(path);
  db2.prepare("DELETE FROM receipt_tree WHERE pos >= ?").run(nodePosition({ level: 0, index: 30 }));
  db2.close();
  assert.deepEqual(await proofOf(17, 45), { size: 45, out: want });
  // One that lost a node of its right edge: rebuilt.
  const db3 = new DatabaseSync(path);
  db3.prepare("DELETE FROM receipt_tree WHERE pos = ?").run(nodePosition({ level: 5, index: 0 }));
  db3.close();
  assert.deepEqual(await proofOf(17, 45), { size: 45, out: want });
  // A table of the migration's first form (level, idx) is rebuilt in the current one.
  const db4 = new DatabaseSync(path);
  db4.exec(`DROP TABLE receipt_tree; CREATE TABLE receipt_tree (tenant_id TEXT NOT NULL,
    level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
    PRIMARY KEY (tenant_id, level, idx)) WITHOUT ROWID`);
  db4.close();
  assert.deepEqual(await proofOf(17, 45), { size: 45, out: want });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sqlite store: a chain's Merkle tree is extended in bulk inside appends, before any read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-store-" });
  const path = `${dir}/hall.sqlite`;
  const s = await openSqliteStore(path);
  const build = (i: number) => (link: { seq: number; prev_receipt_hash: string | null }) => ({
    receipt_id: crypto.randomUUID(),
    prev_receipt_hash: link.prev_receipt_hash,
    receipt_hash: `sha256:${sha256Hex(`lag-${i}`)}`,
    correlation_id: `c-${i}`,
    dispatched_at: new Date().toISOString(),
  });
  const stored = () => {
    const db = new DatabaseSync(path);
    try {
      const r = db.prepare("SELECT MAX(pos) AS m FROM receipt_tree WHERE tenant_id = 'acme'")
        .get() as { m: number | null };
      return r.m === null ? 0 : leavesAtPosition(r.m);
    } finally {
      db.close();
    }
  };
  try {
    for (let i = 0; i < 100; i++) await s.appendReceipt("acme", build(i));
    assert.equal(stored(), 0, "not yet 256 receipts ahead: no tree rows written");
    for (let i = 100; i < 600; i++) await s.appendReceipt("acme", build(i));
    // Extended when 256 ahead (in the 257th append) and again at 513: 512 leaves, no read yet.
    assert.equal(stored(), 512);
    // A read brings it up to the head.
    assert.equal(await s.receiptTreeSize("acme"), 600);
    assert.equal(stored(), 600);
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlite store: telemetry of one tenant is read from an index, also on a file migrated to it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-store-" });
  const path = `${dir}/hall.sqlite`;
  try {
    const store = await openSqliteStore(path, { telemetryWorker: false });
    // Decisions of 3 events (one packed row each), one of them of the rare tenant; and a batch.
    for (let k = 0; k < 40; k++) {
      const tenant = k === 7 ? "rare" : "busy";
      await store.appendTelemetry(
        [0, 1, 2].map((i) => tenantEvent(`e-${k}-${i}`, `d-${k}`, tenant)),
      );
    }
    await appendTenantBatch(store, "e-batch", "rare");
    const rare = () => tenantPageIds(store, "rare");
    assert.deepEqual(await rare(), ["e-7-0", "e-7-1", "e-7-2", "e-batch"]);
    await store.close();

    // The plan of the store's own statement, first page and a later one: the tenant index.
    const plan = (db: DatabaseSync, q: Parameters<typeof telemetryPageSql>[0]) => {
      const { sql, params } = telemetryPageSql(q);
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((r) => r.detail).join("; ");
    };
    const db = new DatabaseSync(path);
    assert.match(plan(db, { tenant_id: "rare" }), /USING INDEX telemetry_packed_tenant/);
    assert.match(plan(db, { tenant_id: "rare", before: [30, 0] }), /telemetry_packed_tenant/);
    // A file from before migration 10 gets the index when it is opened.
    db.exec(`DROP INDEX telemetry_packed_tenant; DELETE FROM wcp_migrations WHERE version = 10`);
    // A row that is no JSON (none of this store's writes makes one) does not stop the migration.
    db.prepare("INSERT INTO telemetry_packed (decision_id, correlation_id, data) VALUES (?, ?, ?)")
      .run("d-x", "c-x", "not json");
    assert.doesNotMatch(plan(db, { tenant_id: "rare" }), /telemetry_packed_tenant/);
    db.close();
    const reopened = await openSqliteStore(path, { telemetryWorker: false });
    assert.equal(await reopened.migrationVersion(), 10);
    assert.deepEqual(await tenantPageIds(reopened, "rare"), ["e-7-0", "e-7-1", "e-7-2", "e-batch"]);
    await reopened.close();
    const again = new DatabaseSync(path);
    assert.match(plan(again, { tenant_id: "rare" }), /USING INDEX telemetry_packed_tenant/);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
