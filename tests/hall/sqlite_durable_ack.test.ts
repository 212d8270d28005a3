// The SQLite store acknowledges a receipt only once it is on the disk (issue 14): its commit does
// not wait for the disk (so the event loop keeps serving), and the append resolves after a flush
// of the WAL that started after the commit. The flush is the store's `fileSyncer` port, replaced
// here by one whose calls the test releases.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import type { HallStore } from "../../src/hall/store/types.ts";
import { receiptRowFor as build } from "./_receipt_rows.ts";

type Flush = { path: string; release: () => void; fail: (e: Error) => void };

/** A syncer whose flushes wait for the test. */
function heldSyncer() {
  const calls: Flush[] = [];
  let called: (() => void) | null = null;
  const syncer = (path: string) =>
    new Promise<void>((release, fail) => {
      calls.push({ path, release, fail });
      called?.();
    });
  // Waits for the n-th flush; fails if `pending` (an append) settles first: it was acknowledged
  // without one.
  const nextCall = async (n: number, pending?: Promise<unknown>) => {
    const early = pending?.then(
      () => Promise.reject(new Error("acknowledged without a WAL flush")),
      () => Promise.reject(new Error("failed without a WAL flush")),
    );
    early?.catch(() => {});
    while (calls.length < n) {
      await Promise.race([new Promise<void>((r) => (called = r)), ...(early ? [early] : [])]);
    }
  };
  return { syncer, calls, nextCall };
}

/** Settled state of a promise without waiting for it. */
function track<T>(p: Promise<T>) {
  const s = { done: false, failed: null as unknown, value: undefined as T | undefined, p };
  p.then((v) => ((s.done = true), (s.value = v)), (e) => ((s.done = true), (s.failed = e)));
  return s;
}

/** Rows a second connection sees (what another process or a restart would read). */
function storedSeqs(path: string, tenant: string): number[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare("SELECT seq FROM receipts WHERE tenant_id = ? ORDER BY seq").all(tenant)
      .map((r) => Number((r as { seq: number }).seq));
  } finally {
    db.close();
  }
}

async function withStore(
  options: { synchronous?: "FULL" | "NORMAL" },
  fn: (s: HallStore, path: string, held: ReturnType<typeof heldSyncer>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wcp-durable-" });
  const path = `${dir}/hall.sqlite`;
  const held = heldSyncer();
  const store = await openSqliteStore(path, {
    ...options,
    fileSyncer: held.syncer,
    telemetryWorker: false,
  });
  try {
    await fn(store, path, held);
  } finally {
    for (const c of held.calls) c.release();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sqlite durable ack: a receipt resolves only after a WAL flush that began after its commit", async () => {
  await withStore({}, async (s, path, held) => {
    const a = track(s.appendReceipt("acme", build("a")));
    await held.nextCall(1, a.p);
    // Committed (another connection reads it) and the WAL flush asked for, not yet acknowledged.
    assert.deepEqual(storedSeqs(path, "acme"), [0]);
    assert.equal(held.calls[0].path, `${path}-wal`);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(a.done, false, "acknowledged before its flush finished");

    // A second receipt committed while that flush runs needs a flush of its own.
    const b = track(s.appendReceipt("acme", build("b")));
    while (storedSeqs(path, "acme").length < 2) await new Promise((r) => setTimeout(r, 1));
    held.calls[0].release();
    await held.nextCall(2, b.p);
    while (!a.done) await new Promise((r) => setTimeout(r, 1));
    assert.equal(a.failed, null);
    assert.equal(b.done, false, "the flush that began before its commit acknowledged it");
    held.calls[1].release();
    while (!b.done) await new Promise((r) => setTimeout(r, 1));
    assert.equal(b.failed, null);
    assert.equal(b.value!.seq, 1);
  });
});

Deno.test("sqlite durable ack: a failed flush fails its receipts and every later one (fail closed)", async () => {
  await withStore({}, async (s, _path, held) => {
    const a = s.appendReceipt("acme", build("a"));
    await held.nextCall(1, a);
    held.calls[0].fail(new Error("EIO"));
    await assert.rejects(a, /WAL could not be flushed to the disk: EIO/);
    // After a failed fsync nothing can be called durable: later appends fail too.
    await assert.rejects(s.appendReceipt("acme", build("b")), /WAL could not be flushed/);
  });
});

Deno.test("sqlite durable ack: synchronous NORMAL acknowledges without a flush", async () => {
  await withStore({ synchronous: "NORMAL" }, async (s, _path, held) => {
    const r = await s.appendReceipt("acme", build("a"));
    assert.equal(r.seq, 0);
    assert.equal(held.calls.length, 0);
  });
});

Deno.test("sqlite durable ack: while another connection holds the write lock the append waits without blocking the thread", async () => {
  await withStore({}, async (s, path, held) => {
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      const a = track(s.appendReceipt("acme", build("a")));
      // Timers still run while the append waits for the lock (SQLite's busy handler would sleep
      // the thread here until its timeout, then fail the append with "database is locked").
      let ticks = 0;
      while (ticks < 5) (await new Promise((r) => setTimeout(r, 5)), ticks++);
      assert.equal(a.done, false);
      assert.deepEqual(storedSeqs(path, "acme"), []);
      other.exec("COMMIT");
      await held.nextCall(1, a.p);
      held.calls[0].release();
      while (!a.done) await new Promise((r) => setTimeout(r, 1));
      assert.equal(a.failed, null);
      assert.deepEqual(storedSeqs(path, "acme"), [0]);
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
    }
  });
});

Deno.test("sqlite durable ack: executed-decision rows are committed without a flush of their own", async () => {
  await withStore({}, async (s, path, held) => {
    await s.recordDecision({
      decision_id: "d-1",
      parent_decision_id: null,
      tenant_id: "acme",
      correlation_id: "c-1",
      capability_id: "cap.doc.x",
      outcome: "DISPATCH",
      blast_dimensions_score: 1,
      chain_blast_score: 1,
      created_at: new Date().toISOString(),
    });
    // Seen by another connection at once; made durable by the receipt's flush that follows.
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      assert.equal(db.prepare("SELECT count(*) AS n FROM decisions").get()!.n, 1);
    } finally {
      db.close();
    }
    assert.equal(held.calls.length, 0);
    const r = track(s.appendReceipt("acme", build("a")));
    await held.nextCall(1, r.p);
    held.calls[0].release();
    while (!r.done) await new Promise((res) => setTimeout(res, 1));
    assert.equal(r.failed, null);
  });
});
