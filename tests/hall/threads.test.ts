// The threads of one hall (`--threads N`): two apps on one SQLite file joined by the same peer
// seed behave as one hall (shared event ids and replay, registry, rules, token revocations, rate
// budgets). The process-level test starts a real `main.ts --threads 2`.
import assert from "node:assert/strict";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { joinPeers, newPeerSeed } from "../../src/hall/cluster.ts";
import { EventHub, type HallEvent } from "../../src/hall/events.ts";
import { startHall } from "../../scripts/load/hall_process.ts";
import { err, HALL_TEST, j, routeInput, type TestHall, testHall } from "./_helpers.ts";

async function twoThreads(
  over: Parameters<typeof testHall>[0] = {},
): Promise<{ a: TestHall; b: TestHall; stop: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "wcp-threads-" });
  const seed = newPeerSeed();
  const a = await testHall({
    ...over,
    store: await openSqliteStore(`${dir}/hall.sqlite`),
    peers: joinPeers(seed),
    thread: { index: 0, count: 2 },
  });
  const b = await testHall({
    ...over,
    store: await openSqliteStore(`${dir}/hall.sqlite`),
    peers: joinPeers(seed),
    thread: { index: 1, count: 2 },
  });
  return {
    a,
    b,
    stop: async () => {
      await a.stop();
      await b.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

// Messages between threads are delivered on a later turn of the event loop.
async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

Deno.test({
  name: "threads: events published on either thread reach both, with one id sequence and replay",
  ...HALL_TEST,
  fn: async () => {
    const { a, b, stop } = await twoThreads();
    try {
      const seenA: HallEvent[] = [];
      const seenB: HallEvent[] = [];
      a.hall.events.subscribe((e) => seenA.push(e));
      b.hall.events.subscribe((e) => seenB.push(e));
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const h = i % 2 === 0 ? a : b;
        const res = await h.req("/wcp/route", { method: "POST", json: routeInput() });
        assert.equal(res.status, 200);
        ids.push((await j(res)).decision_id);
      }
      const decisions = (xs: HallEvent[]) => xs.filter((e) => e.event === "decision");
      await until(
        "six decisions on both",
        () => decisions(seenA).length === 6 && decisions(seenB).length === 6,
      );
      for (const seen of [seenA, seenB]) {
        assert.deepEqual(
          new Set(decisions(seen).map((e) => e.data.decision_id)),
          new Set(ids),
          "every decision, whichever thread made it",
        );
        const eventIds = decisions(seen).map((e) => e.id);
        assert.equal(new Set(eventIds).size, 6, "ids are unique across the threads");
      }
      // Replay after an id gives the same events on either thread (a reconnecting dashboard may
      // land on the other one).
      const sorted = decisions(seenA).map((e) => e.id).sort((x, y) => x - y);
      const cut = sorted[2];
      const replay = (h: TestHall) =>
        h.hall.events.since(cut).filter((e) => e.event === "decision").map((e) => e.id);
      assert.deepEqual(replay(a), sorted.slice(3), "in id order, though relayed ones came late");
      assert.deepEqual(replay(b), sorted.slice(3));
      assert.deepEqual((await j(await b.req("/wcp/health", { token: null }))).threads, {
        index: 1,
        count: 2,
      });
    } finally {
      await stop();
    }
  },
});

Deno.test({
  name: "threads: a revocation, a rules reload and a token revocation on one apply on the other",
  ...HALL_TEST,
  fn: async () => {
    const { a, b, stop } = await twoThreads();
    try {
      const route = async (h: TestHall, token?: string) =>
        await h.req("/wcp/route", { method: "POST", json: routeInput(), token });
      assert.equal((await j(await route(b))).denied, false);

      // Worker revoked through A: B stops routing to it without waiting for a registry sync.
      const rev = await a.req("/wcp/workers/org.demo.summarizer.1/revoke", {
        method: "POST",
        json: { reason: "test" },
      });
      assert.equal(rev.status, 200);
      await until("B to see the revocation", async () => (await j(await route(b))).denied);

      // Rules replaced through A: B serves the new set.
      const before = (await j(await b.req("/wcp/rules"))).rules.length;
      const doc = { rules: (await j(await a.req("/wcp/rules"))).rules.slice(0, 1) };
      const reload = await a.req("/wcp/rules/reload", { method: "POST", json: doc });
      assert.equal(reload.status, 200, JSON.stringify(await j(reload.clone())));
      assert.ok(before > 1);
      await until(
        "B to install the rules",
        async () => (await j(await b.req("/wcp/rules"))).rules.length === 1,
      );

      // A namespace token B has verified (and cached) is revoked through A: B refuses it next.
      const grant = await a.grant("org.acme");
      assert.equal((await b.req("/wcp/workers", { token: grant.token })).status, 200);
      const revoke = await a.req(`/wcp/tokens/${grant.token_id}/revoke`, { method: "POST" });
      assert.equal(revoke.status, 200);
      await until(
        "B to refuse the revoked token",
        async () => (await b.req("/wcp/workers", { token: grant.token })).status === 401,
      );
    } finally {
      await stop();
    }
  },
});

Deno.test({
  name: "threads: a token's rate limit is shared: two threads together grant one budget",
  ...HALL_TEST,
  fn: async () => {
    const t0 = Date.now();
    // A frozen clock: no refill during the test, so the counts are exact.
    const { a, b, stop } = await twoThreads({ rateLimitPerMinute: 10, now: () => t0 });
    try {
      const status = async (h: TestHall) => (await h.req("/wcp/workers")).status;
      for (let i = 0; i < 6; i++) assert.equal(await status(a), 200, `A request ${i}`);
      // A reports what it granted within 100 ms; B then has 4 left of the 10, not 10.
      await new Promise((r) => setTimeout(r, 250));
      const onB: number[] = [];
      for (let i = 0; i < 6; i++) onB.push(await status(b));
      assert.deepEqual(onB, [200, 200, 200, 200, 429, 429]);
      await new Promise((r) => setTimeout(r, 250));
      const last = await a.req("/wcp/workers");
      assert.equal(last.status, 429, "A has heard of B's four");
      assert.equal(err(await j(last)).code, "RATE_LIMITED");
      assert.ok(Number(last.headers.get("retry-after")) >= 1);
    } finally {
      await stop();
    }
  },
});

Deno.test({
  name: "threads: `main.ts --threads 2` serves one port from both threads as one hall",
  ...HALL_TEST,
  fn: async () => {
    const hall = await startHall({ threads: 2 });
    try {
      assert.match(hall.output(), /listening on http:\/\/127\.0\.0\.1:\d+ \(2 threads\)/);
      const auth = { authorization: `Bearer ${hall.token}` };
      // New connections are spread by the kernel: both threads answer.
      const seen = new Set<number>();
      for (let i = 0; i < 60 && seen.size < 2; i++) {
        const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
        try {
          const res = await fetch(`${hall.url}/wcp/health`, { client });
          seen.add((await res.json()).threads.index);
        } finally {
          client.close();
        }
      }
      assert.deepEqual([...seen].sort(), [0, 1], "both threads served /wcp/health");

      // A live stream on one connection sees dispatches made through either thread.
      const ac = new AbortController();
      const stream = await fetch(`${hall.url}/wcp/events?events=dispatch`, {
        headers: auth,
        signal: ac.signal,
      });
      assert.equal(stream.status, 200);
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      const N = 40;
      const results = await Promise.all(Array.from({ length: N }, async (_, i) => {
        const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
        try {
          const res = await fetch(`${hall.url}/wcp/dispatch`, {
            method: "POST",
            client,
            headers: { ...auth, "content-type": "application/json" },
            body: JSON.stringify(routeInput({ tenant_id: `tenant-${i % 3}` })),
          });
          await res.body?.cancel();
          return res.status;
        } finally {
          client.close();
        }
      }));
      assert.deepEqual(results, Array(N).fill(200));
      const deadline = Date.now() + 10_000;
      while ((text.match(/^event: dispatch$/gm) ?? []).length < N && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      ac.abort();
      const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      assert.equal((text.match(/^event: dispatch$/gm) ?? []).length, N, "every dispatch event");
      assert.equal(new Set(ids).size, N, "with distinct ids");

      // Both threads appended to the tenants' chains: every chain verifies, nothing is missing.
      const report = await (await fetch(`${hall.url}/wcp/receipts/verify`, { headers: auth }))
        .json() as { ok: boolean; tenants: { count: number }[] };
      assert.equal(report.ok, true);
      assert.equal(report.tenants.reduce((n, t) => n + t.count, 0), N);
    } finally {
      await hall.stop();
    }
    assert.doesNotMatch(hall.output(), /error|Uncaught/i, hall.output());
  },
});

Deno.test("threads: event ids from the shared counter keep counting past 2^31", () => {
  const seed = newPeerSeed();
  new BigInt64Array(seed.eventIds)[0] = 2n ** 31n - 2n;
  const peers = joinPeers(seed);
  try {
    const ids = [peers.nextEventId(), peers.nextEventId(), peers.nextEventId()];
    assert.deepEqual(ids, [2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1]);
  } finally {
    peers.close();
  }
});

Deno.test("threads: an event the channel cannot carry still reaches this thread's streams", () => {
  const hub = new EventHub();
  const sent: number[] = [];
  hub.relayTo({
    nextId: (() => {
      let n = 0;
      return () => ++n;
    })(),
    send: (e) => {
      structuredClone(e); // what BroadcastChannel does: throws DataCloneError for a function
      sent.push(e.id);
    },
  });
  const seen: number[] = [];
  hub.subscribe((e) => seen.push(e.id));
  const errors: string[] = [];
  const original = console.error;
  console.error = (m: string) => void errors.push(m);
  try {
    hub.publish("alert", { kind: "x" });
    hub.publish("alert", { kind: "y", oops: () => 1 });
  } finally {
    console.error = original;
  }
  assert.deepEqual(seen, [1, 2], "both delivered here");
  assert.deepEqual(sent, [1], "only the cloneable one relayed");
  assert.match(errors[0], /event 2 not relayed/);
});
