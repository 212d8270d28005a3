/**
 * The index behind `GET /wcp/workers?capability=` (issue 14: 27.9 ms at 100k workers on
 * PostgreSQL, every record's capability list read): SQLite migration 9 keeps a
 * `worker_capabilities` row per (capability, worker) through triggers on every write of a worker
 * row and backfills the rows already there; PostgreSQL migration 10 is the same table, kept by a
 * trigger. (The pages themselves, on both stores, are `store_pages_contract.ts`.)
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import type { WorkerRow } from "../../src/hall/store/types.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";

const AT = "2026-12-01T00:00:00.000Z";

function worker(wid: string, capabilities: string[], when = AT): WorkerRow {
  return {
    worker_id: wid,
    namespace: "org.acme",
    record: {
      worker_id: wid,
      worker_species_id: "wrk.doc.summarizer",
      capabilities,
    } as WorkerRow["record"],
    status: "active",
    current_hash: null,
    attestation: null,
    flagged: false,
    enrolled_by: "tok-admin",
    enrolled_at: when,
    updated_at: when,
  };
}

function capabilityRows(path: string): string[] {
  const db = new DatabaseSync(path);
  try {
    return (db.prepare(
      "SELECT capability_id, enrolled_at, worker_id FROM worker_capabilities ORDER BY 1, 2, 3",
    ).all() as { capability_id: string; enrolled_at: string; worker_id: string }[])
      .map((r) => `${r.capability_id} ${r.enrolled_at} ${r.worker_id}`);
  } finally {
    db.close();
  }
}

Deno.test("worker capability index [sqlite]: triggers keep one row per capability of each worker", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-capidx-" });
  const path = `${dir}/hall.sqlite`;
  try {
    const s = await openSqliteStore(path);
    await s.putWorker(worker("org.acme.a", ["cap.doc.x", "cap.doc.y"]));
    await s.putWorker(worker("org.acme.b", ["cap.doc.y"]));
    // Re-enrolled with other capabilities and a later time: its old rows go.
    await s.putWorker(worker("org.acme.b", ["cap.doc.z"], "2026-12-02T00:00:00.000Z"));
    // Revoked: the record still declares its capabilities (the page shows the status).
    await s.revokeWorker("org.acme.a", "2026-12-03T00:00:00.000Z");
    await s.close();
    assert.deepEqual(capabilityRows(path), [
      `cap.doc.x ${AT} org.acme.a`,
      `cap.doc.y ${AT} org.acme.a`,
      "cap.doc.z 2026-12-02T00:00:00.000Z org.acme.b",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("worker capability index [sqlite]: migration 9 backfills the workers of an older file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-capidx-" });
  const path = `${dir}/hall.sqlite`;
  try {
    const fresh = await openSqliteStore(path);
    await fresh.putWorker(worker("org.acme.old", ["cap.doc.x"]));
    await fresh.close();
    // Back to migration 8 (no table, no triggers), and a worker written as a hall of then did.
    const db = new DatabaseSync(path);
    db.exec(`DELETE FROM wcp_migrations WHERE version >= 9;
      DROP TRIGGER workers_capabilities_insert; DROP TRIGGER workers_capabilities_update;
      DROP TRIGGER workers_capabilities_delete; DROP TABLE worker_capabilities;`);
    const later = worker("org.acme.later", ["cap.doc.x", "cap.doc.w"]);
    db.prepare(
      "INSERT INTO workers (worker_id, namespace, status, enrolled_at, data) VALUES (?, ?, ?, ?, ?)",
    ).run(later.worker_id, later.namespace, later.status, later.enrolled_at, JSON.stringify(later));
    db.close();
    const s = await openSqliteStore(path);
    const page = await s.pageWorkers({ capability: "cap.doc.x" });
    assert.deepEqual(page.rows.map((w) => w.worker_id), ["org.acme.later", "org.acme.old"]);
    assert.deepEqual(
      (await s.pageWorkers({ capability: "cap.doc.w" })).rows.map((w) => w.worker_id),
      ["org.acme.later"],
    );
    await s.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "worker capability index [postgres]: migration 10 keeps the rows by a trigger and backfills",
  ignore: skipPostgresTests(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await sharedPostgres();
    const schema = `capidx_${Date.now().toString(36)}`;
    const store = await openPostgresStore(pg.url, { schema, max: 1 });
    const sql = postgres(pg.url, { onnotice: () => {}, max: 1 });
    const rows = async () =>
      (await sql.unsafe(
        `select capability_id, enrolled_at, worker_id from "${schema}".worker_capabilities
         order by 1, 2, 3`,
      )).map((r) => `${r.capability_id} ${r.enrolled_at} ${r.worker_id}`);
    try {
      await store.migrate();
      await store.putWorker(worker("org.acme.a", ["cap.doc.x", "cap.doc.y"]));
      await store.putWorker(worker("org.acme.b", ["cap.doc.y"]));
      await store.putWorker(worker("org.acme.b", ["cap.doc.z"], "2026-12-02T00:00:00.000Z"));
      await store.revokeWorker("org.acme.a", "2026-12-03T00:00:00.000Z");
      assert.deepEqual(await rows(), [
        `cap.doc.x ${AT} org.acme.a`,
        `cap.doc.y ${AT} org.acme.a`,
        "cap.doc.z 2026-12-02T00:00:00.000Z org.acme.b",
      ]);
      assert.deepEqual(
        (await store.pageWorkers({ capability: "cap.doc.y" })).rows.map((w) => w.worker_id),
        ["org.acme.a"],
      );
      // Back to migration 9, a worker written then, and the migration again: it is backfilled.
      await sql.unsafe(`set search_path to "${schema}";
        delete from wcp_migrations where version >= 10;
        drop trigger workers_capabilities on workers; drop function wcp_worker_capabilities();
        drop table worker_capabilities;`);
      await store.putWorker(worker("org.acme.c", ["cap.doc.w", "cap.doc.x"]));
      await store.migrate();
      assert.deepEqual(
        (await store.pageWorkers({ capability: "cap.doc.x" })).rows.map((w) => w.worker_id),
        ["org.acme.a", "org.acme.c"],
      );
      assert.equal((await rows()).length, 5);
    } finally {
      await sql.end();
      await store.close();
    }
  },
});
