/**
 * PostgreSQL registry versions become visible in order (issue 14): a sequence hands out numbers
 * in an order transactions need not commit in, so without the registry write lock a reader that
 * resumes from the largest version it saw would skip a smaller one committed later. Here a
 * transaction that wrote a worker stays open while another writer comes: the second waits for
 * the first (the advisory lock), so a reader never sees the second before the first.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import type { WorkerRow } from "../../src/hall/store/types.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";

const T0 = "2026-12-01T20:00:00.000Z";

function worker(id: string): WorkerRow {
  return {
    worker_id: id,
    namespace: "org.acme",
    record: { worker_id: id, worker_species_id: "wrk.doc.summarizer", capabilities: ["cap.doc.x"] },
    status: "active",
    current_hash: null,
    attestation: null,
    flagged: false,
    enrolled_by: "tok-admin",
    enrolled_at: T0,
    updated_at: T0,
  };
}

Deno.test({
  name:
    "postgres registry changes: a later writer waits for an open one, so versions show in order",
  ignore: skipPostgresTests(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await sharedPostgres();
    const schema = "registry_order";
    const store = await openPostgresStore(pg.url, { schema, max: 4 });
    const raw = postgres(pg.url, { onnotice: () => {}, max: 2 });
    let release = () => {};
    try {
      await store.putWorker(worker("org.acme.first"));
      const start = (await store.listRegistryChanges(0)).version;
      const held = new Promise<void>((r) => release = r);
      let inserted!: () => void;
      const wrote = new Promise<void>((r) => inserted = r);
      // Transaction A: writes a worker (takes its version) and stays open.
      const a = raw.begin(async (tx) => {
        await tx.unsafe(`set local search_path to "${schema}"`);
        await tx.unsafe(
          `insert into workers (worker_id, namespace, record, status, enrolled_by, enrolled_at,
            updated_at) values ('org.acme.a', 'org.acme', $1, 'active', 'tok', $2, $2)`,
          [JSON.stringify(worker("org.acme.a").record), T0],
        );
        inserted();
        await held;
      });
      await wrote;
      // Writer B, after A took its version.
      let bDone = false;
      const b = store.putWorker(worker("org.acme.b")).then(() => bDone = true);
      // B waits on the registry write lock (seen in pg_locks), not on anything else.
      for (let i = 0; i < 500; i++) {
        const [r] = await raw`select count(*)::int as n from pg_locks
          where locktype = 'advisory' and not granted`;
        if (r.n > 0 || bDone) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(bDone, false, "the second writer committed while the first was open");
      const during = await store.listRegistryChanges(start);
      assert.deepEqual(during.workers.map((w) => w.worker_id), [], "nothing visible yet");
      release();
      await a;
      await b;
      const after = await store.listRegistryChanges(start);
      assert.deepEqual(after.workers.map((w) => w.worker_id), ["org.acme.a", "org.acme.b"]);
    } finally {
      release(); // (a failed assertion must not leave transaction A open)
      await raw.end();
      await store.close();
    }
  },
});
