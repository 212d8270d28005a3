/**
 * The hall's registry mirror is incremental (issue 14 item 1): threads and instances apply only
 * the worker and ban rows changed since the version they have, queued and in order, a peer
 * message that names a worker makes the others re-read that row, and the timer catches up with
 * a message that never came. Rows are counted at the store (a wrapped store), so a hall that
 * re-reads every worker (the old `syncRegistry`) fails here even though it would also see the
 * changes.
 */
import assert from "node:assert/strict";
import { joinPeers, newPeerSeed } from "../../src/hall/cluster.ts";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import type { HallStore, WorkerRow } from "../../src/hall/store/types.ts";
import { instancePeers } from "../../src/hall/cluster.ts";
import { recordHashJcs } from "../../src/registry/mod.ts";
import { HALL_TEST, j, routeInput, summarizerRecord, type TestHall, testHall } from "./_helpers.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";

const SEEDED = 200; // workers already in the store: a full re-read would return all of them
const T0 = "2026-12-07T10:00:00.000Z";

/** A store that counts the worker and ban rows each read returns, by method. */
function counting(store: HallStore): { store: HallStore; rows: Record<string, number> } {
  const rows: Record<string, number> = {};
  const add = (k: string, n: number) => (rows[k] = (rows[k] ?? 0) + n);
  const wrapped = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "listWorkers") {
        return async (...a: unknown[]) => {
          const out = await value.apply(target, a);
          add("listWorkers", out.length);
          return out;
        };
      }
      if (prop === "listBans") {
        return async (...a: unknown[]) => {
          const out = await value.apply(target, a);
          add("listBans", out.length);
          return out;
        };
      }
      if (prop === "listRegistryChanges") {
        return async (...a: unknown[]) => {
          const out = await value.apply(target, a);
          add("listRegistryChanges", out.workers.length + out.bans.length);
          return out;
        };
      }
      if (prop === "getWorker") {
        return async (...a: unknown[]) => {
          const out = await value.apply(target, a);
          add("getWorker", out ? 1 : 0);
          return out;
        };
      }
      return value.bind(target);
    },
  });
  return { store: wrapped, rows };
}

const total = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);
const clear = (rows: Record<string, number>) => {
  for (const k of Object.keys(rows)) delete rows[k];
};

async function seed(store: HallStore): Promise<void> {
  for (let i = 0; i < SEEDED; i++) {
    const id = `org.seed.w${i}`;
    const record: Record<string, unknown> = {
      worker_id: id,
      worker_species_id: "wrk.doc.seeded",
      capabilities: ["cap.doc.seeded"],
    };
    record.artifact_hash = recordHashJcs(record);
    const row: WorkerRow = {
      worker_id: id,
      namespace: "org.seed",
      record: record as unknown as WorkerRow["record"],
      status: "active",
      current_hash: null,
      attestation: null,
      flagged: false,
      enrolled_by: "tok-seed",
      enrolled_at: T0,
      updated_at: T0,
    };
    await store.putWorker(row);
  }
}

const record = summarizerRecord;

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * Enrol, update and revoke a worker on `a`; `b` sees each, and reads only the changed rows (a
 * few per change, never the seeded workers again).
 */
async function enrolUpdateRevoke(
  a: TestHall,
  b: TestHall,
  bRows: Record<string, number>,
): Promise<void> {
  const id = "org.acme.sync.1";
  const fullLoads = b.hall.registrySync.full_loads;
  clear(bRows);
  const enrol = await a.req("/wcp/workers", { method: "POST", json: record(id) });
  assert.equal(enrol.status, 201, JSON.stringify(await j(enrol.clone())));
  await until("B to see the enrolment", () => b.hall.registry.get(id) !== undefined);

  const update = await a.req(`/wcp/workers/${id}`, {
    method: "PUT",
    json: record(id, { currently_implements: ["ctrl.obs.audit-log-append-only", "ctrl.x.y"] }),
  });
  assert.equal(update.status, 200, JSON.stringify(await j(update.clone())));
  await until(
    "B to see the update",
    () => b.hall.registry.get(id)?.currently_implements?.includes("ctrl.x.y") === true,
  );

  const revoke = await a.req(`/wcp/workers/${id}/revoke`, { method: "POST" });
  assert.equal(revoke.status, 200);
  await until("B to see the revocation", () => b.hall.registry.get(id)?.status === "revoked");
  // B routes nothing to it: a request for its species is answered by the demo workers only.
  const d = await j(await b.req("/wcp/route", { method: "POST", json: routeInput() }));
  assert.notEqual(d.selected_worker_id, id);

  assert.equal(bRows.listWorkers ?? 0, 0, "no full re-read of the workers");
  assert.equal(bRows.listBans ?? 0, 0, "no full re-read of the bans");
  assert.equal(b.hall.registrySync.full_loads, fullLoads, "no full load after the start");
  // Three changes of one row: B read it a few times per change (the change log and the row the
  // message named), never the 200 seeded workers.
  assert.ok(total(bRows) <= 12, `B read ${JSON.stringify(bRows)} rows for three changes`);
  assert.ok((bRows.getWorker ?? 0) >= 1, "the worker the message named was re-read");
}

Deno.test({
  name: "registry sync: --threads 2 sees an enrolment, an update and a revocation, row by row",
  ...HALL_TEST,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-regsync-" });
    const seedStore = await openSqliteStore(`${dir}/hall.sqlite`);
    await seed(seedStore);
    await seedStore.close();
    const peerSeed = newPeerSeed();
    const a = await testHall({
      store: await openSqliteStore(`${dir}/hall.sqlite`),
      peers: joinPeers(peerSeed),
      thread: { index: 0, count: 2 },
    });
    const counted = counting(await openSqliteStore(`${dir}/hall.sqlite`));
    const b = await testHall({
      store: counted.store,
      peers: joinPeers(peerSeed),
      thread: { index: 1, count: 2 },
      // A timer far away: what B sees here came through the thread channel.
      registrySyncMs: 3_600_000,
    });
    try {
      assert.ok(b.hall.registry.size >= SEEDED);
      await enrolUpdateRevoke(a, b, counted.rows);
    } finally {
      await a.stop();
      await b.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "registry sync: a missed message is caught by the timer, which reads only the changes",
  ...HALL_TEST,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-regsync-" });
    const seedStore = await openSqliteStore(`${dir}/hall.sqlite`);
    await seed(seedStore);
    await seedStore.close();
    // Two halls on one file and no channel between them: every message is "missed".
    const a = await testHall({ store: await openSqliteStore(`${dir}/hall.sqlite`) });
    const counted = counting(await openSqliteStore(`${dir}/hall.sqlite`));
    const b = await testHall({ store: counted.store, registrySyncMs: 30 });
    try {
      const id = "org.acme.missed.1";
      await until("B's timer to have run", () => b.hall.registrySync.refreshes > 0);
      clear(counted.rows);
      const refreshes = b.hall.registrySync.refreshes;
      const enrol = await a.req("/wcp/workers", { method: "POST", json: record(id) });
      assert.equal(enrol.status, 201);
      await until("B's timer to catch the enrolment", () => b.hall.registry.get(id) !== undefined);
      const revoke = await a.req(`/wcp/workers/${id}/revoke`, { method: "POST" });
      assert.equal(revoke.status, 200);
      await until(
        "B's timer to catch the revocation",
        () => b.hall.registry.get(id)?.status === "revoked",
      );
      assert.ok(b.hall.registrySync.refreshes > refreshes);
      assert.equal(counted.rows.listWorkers ?? 0, 0, "no full re-read of the workers");
      // Two changes, each returned once by the change log (idle ticks return nothing).
      assert.equal(total(counted.rows), 2, JSON.stringify(counted.rows));
      assert.equal(b.hall.registrySync.full_loads, 1, "one full load: at the start");

      // A ban confirmed on A (no message either) is enforced by B after its next tick.
      const sha = "sha256:" + "ab".repeat(32);
      assert.equal(
        (await a.req("/wcp/ban-list/report", {
          method: "POST",
          json: { sha256: sha, reason: "x" },
        }))
          .status,
        201,
      );
      assert.equal((await a.req(`/wcp/ban-list/${sha}/confirm`, { method: "POST" })).status, 200);
      await until("B to enforce the ban", () => b.hall.registry.isBanned(sha));
      const lift = await a.req(`/wcp/ban-list/${sha}/lift`, { method: "POST", json: {} });
      assert.equal(lift.status, 200, JSON.stringify(await j(lift.clone())));
      await until("B to lift the ban", () => !b.hall.registry.isBanned(sha));
    } finally {
      await a.stop();
      await b.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "registry sync: this hall's own write, seen again in the change log, is not re-validated",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall({ registrySyncMs: 3_600_000 });
    try {
      await h.hall.syncRegistry();
      const { rows_applied, rows_read } = h.hall.registrySync;
      const res = await h.req("/wcp/workers", {
        method: "POST",
        json: record("org.acme.own.1"),
      });
      assert.equal(res.status, 201);
      const applied = h.hall.registrySync.rows_applied;
      assert.equal(applied, rows_applied + 1, "the enrolment applied in place, once");
      await h.hall.syncRegistry();
      assert.equal(h.hall.registrySync.rows_read, rows_read + 1, "the change log returned it");
      assert.equal(h.hall.registrySync.rows_applied, applied, "and it was not applied again");
      assert.equal(h.hall.registrySync.full_loads, 1);
    } finally {
      await h.stop();
    }
  },
});

Deno.test({
  name: "registry sync: two PostgreSQL instances see an enrolment, an update and a revocation",
  ignore: skipPostgresTests(),
  ...HALL_TEST,
  fn: async () => {
    const pg = await sharedPostgres();
    const schema = "registry_sync";
    const storeA = await openPostgresStore(pg.url, { schema, max: 4 });
    await storeA.migrate();
    await seed(storeA);
    const counted = counting(await openPostgresStore(pg.url, { schema, max: 4 }));
    const peersA = await instancePeers((on) => storeA.openPeerChannel!(on), "instance-a", true);
    const peersB = await instancePeers(
      (on) => counted.store.openPeerChannel!(on),
      "instance-b",
      true,
    );
    const a = await testHall({ store: storeA, peers: peersA });
    const b = await testHall({ store: counted.store, peers: peersB, registrySyncMs: 3_600_000 });
    try {
      assert.ok(b.hall.registry.size >= SEEDED);
      await enrolUpdateRevoke(a, b, counted.rows);
    } finally {
      await a.stop();
      await b.stop();
    }
  },
});
