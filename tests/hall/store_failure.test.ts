// A failing store (a full disk under SQLite, PostgreSQL going away) is a 503 STORE_UNAVAILABLE
// naming the store, `/wcp/health` says degraded with the reason while it lasts, and the hall
// recovers by itself when space or the server returns, with every acknowledged receipt kept.
import assert from "node:assert/strict";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import { storeFailure } from "../../src/hall/store_guard.ts";
import type { HallStore } from "../../src/hall/store/types.ts";
import { skipPostgresTests, startPostgres } from "../helpers/postgres.ts";
import { HALL_TEST, j, routeInput, type TestHall, testHall } from "./_helpers.ts";

Deno.test("storeFailure: store failures are named, other errors are left alone", () => {
  const sqlite = (errcode: number, message: string) =>
    Object.assign(new Error(message), { errcode, code: "ERR_SQLITE_ERROR" });
  assert.equal(storeFailure(sqlite(13, "database or disk is full")), "the disk is full");
  assert.equal(storeFailure(sqlite(266, "disk I/O error")), "disk I/O error"); // extended code
  assert.equal(storeFailure(sqlite(19, "UNIQUE constraint failed: tokens.token_hash")), null);
  assert.equal(storeFailure(new Error("database or disk is full")), "the disk is full"); // worker
  assert.match(
    storeFailure(
      Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" }),
    )!,
    /cannot reach the server/,
  );
  assert.match(
    storeFailure(Object.assign(new Error("could not extend file"), { code: "53100" }))!,
    /SQLSTATE 53100/,
  );
  assert.equal(storeFailure(Object.assign(new Error("dup"), { code: "23505" })), null);
  assert.equal(storeFailure(new TypeError("x is undefined")), null);
});

interface Ack {
  tenant_id: string;
  receipt_id: string;
}

async function dispatch(h: TestHall): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await h.req("/wcp/dispatch", { method: "POST", json: routeInput() });
  return { status: res.status, body: await j(res) };
}

function ackOf(body: Record<string, unknown>): Ack {
  const r = body.receipt as { tenant_id: string; receipt_id: string };
  return { tenant_id: r.tenant_id, receipt_id: r.receipt_id };
}

async function health(h: TestHall): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await h.req("/wcp/health");
  return { status: res.status, body: await j(res) };
}

// Every acknowledged receipt is in the store, and the chains verify.
async function assertKept(store: HallStore, acks: Ack[]): Promise<void> {
  const h = await testHall({ store, chainCheckMs: 0 });
  try {
    const lost: Ack[] = [];
    for (const a of acks) if (!(await store.getReceipt(a.tenant_id, a.receipt_id))) lost.push(a);
    assert.deepEqual(lost, [], `${lost.length} acknowledged receipts lost`);
    const v = await j(await h.req("/wcp/receipts/verify?tenant_id=acme"));
    assert.equal(v.ok, true, JSON.stringify(v).slice(0, 500));
  } finally {
    await h.close();
  }
}

// Root may mount a small tmpfs: a real full filesystem. Elsewhere the test is skipped.
async function mountTmpfs(dir: string, size: string): Promise<boolean> {
  try {
    const r = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output();
    return r.code === 0;
  } catch {
    return false;
  }
}
const canMount = await (async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-mount-probe-" });
  const ok = await mountTmpfs(dir, "64k");
  if (ok) await new Deno.Command("umount", { args: [dir] }).output();
  await Deno.remove(dir);
  return ok;
})();

Deno.test({
  name:
    "sqlite on a full filesystem: 503 STORE_UNAVAILABLE, health degraded, recovery, no ack lost",
  ignore: !canMount,
  ...HALL_TEST,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-full-" });
    assert.ok(await mountTmpfs(dir, "4m"));
    let store: HallStore | undefined;
    try {
      store = await openSqliteStore(`${dir}/hall.sqlite`);
      const h = await testHall({ store, chainCheckMs: 0 });
      const acks: Ack[] = [];
      for (let i = 0; i < 20; i++) {
        const d = await dispatch(h);
        assert.equal(d.status, 200, JSON.stringify(d.body));
        acks.push(ackOf(d.body));
      }
      // Take every free block.
      const filler = await Deno.open(`${dir}/filler`, { write: true, createNew: true });
      try {
        const chunk = new Uint8Array(16 * 1024);
        while (true) await filler.write(chunk);
      } catch (e) {
        assert.ok(e instanceof Error && /No space left/.test(e.message), String(e));
      } finally {
        filler.close();
      }
      // Dispatches go on until the store cannot write (the WAL may have room for a few more).
      let refused: Record<string, unknown> | undefined;
      const statuses = new Set<number>();
      for (let i = 0; i < 5_000 && !refused; i++) {
        const d = await dispatch(h);
        statuses.add(d.status);
        if (d.status === 200) acks.push(ackOf(d.body));
        else refused = d.body;
      }
      assert.ok(refused, "the full disk never refused a dispatch");
      const e = refused.error as Record<string, string>;
      assert.equal(e.code, "STORE_UNAVAILABLE", JSON.stringify(refused));
      assert.equal(e.message, "the sqlite store is unavailable: the disk is full");
      assert.ok(!statuses.has(500), `statuses ${[...statuses]}`);
      let hl = await health(h);
      assert.equal(hl.status, 503);
      assert.equal(hl.body.status, "degraded");
      assert.equal(hl.body.reason, "store: the disk is full");
      // Still full: still refused, still degraded (the health probe is a real write).
      assert.equal((await dispatch(h)).status, 503);
      assert.equal((await health(h)).body.status, "degraded");

      await Deno.remove(`${dir}/filler`);
      hl = await health(h);
      assert.equal(hl.status, 200, JSON.stringify(hl.body));
      assert.equal(hl.body.status, "ok");
      for (let i = 0; i < 10; i++) {
        const d = await dispatch(h);
        assert.equal(d.status, 200, JSON.stringify(d.body));
        acks.push(ackOf(d.body));
      }
      await h.close();
      await store.close();
      // After a restart (a new connection to the file) every acknowledged receipt is there.
      store = await openSqliteStore(`${dir}/hall.sqlite`);
      await assertKept(store, acks);
    } finally {
      await store?.close();
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "postgres going away: 503 STORE_UNAVAILABLE, health degraded, recovery when it returns",
  ignore: skipPostgresTests(),
  ...HALL_TEST,
  fn: async () => {
    // A server of its own: this test stops it.
    const pg = await startPostgres({ database: "wcp_away" });
    let store: HallStore | undefined;
    try {
      store = await openPostgresStore(pg.url);
      const h = await testHall({ store, chainCheckMs: 0 });
      const acks: Ack[] = [];
      for (let i = 0; i < 5; i++) {
        const d = await dispatch(h);
        assert.equal(d.status, 200, JSON.stringify(d.body));
        acks.push(ackOf(d.body));
      }
      await pg.pause();
      const d = await dispatch(h);
      assert.equal(d.status, 503, JSON.stringify(d.body));
      const e = d.body.error as Record<string, string>;
      assert.equal(e.code, "STORE_UNAVAILABLE");
      assert.match(e.message, /^the postgres store is unavailable: /);
      const hl = await health(h);
      assert.equal(hl.status, 503);
      assert.equal(hl.body.status, "degraded");
      assert.match(String(hl.body.reason), /^store: /);

      await pg.resume();
      // The driver reconnects on the next query.
      const back = await health(h);
      assert.equal(back.body.status, "ok", JSON.stringify(back.body));
      for (let i = 0; i < 5; i++) {
        const d = await dispatch(h);
        assert.equal(d.status, 200, JSON.stringify(d.body));
        acks.push(ackOf(d.body));
      }
      await h.close();
      await assertKept(store, acks);
    } finally {
      await store?.close().catch(() => {});
      await pg.stop();
    }
  },
});
