// An open `GET /wcp/events` stream ends when its token is revoked: on the same hall, on another
// thread of the hall (the revocation travels over the threads' channel) and on another instance
// on the same PostgreSQL (over LISTEN/NOTIFY). Other tokens' streams stay open.
import assert from "node:assert/strict";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { joinPeers, newPeerSeed } from "../../src/hall/cluster.ts";
import { type HallProcess, startHall } from "../../scripts/load/hall_process.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";
import { ADMIN, HALL_TEST, routeInput, testHall } from "./_helpers.ts";

type Reader = ReadableStreamDefaultReader<string>;

async function openStream(
  fetchFn: (req: Request) => Response | Promise<Response>,
  base: string,
  token: string,
): Promise<Reader> {
  const res = await fetchFn(
    new Request(`${base}/wcp/events`, {
      headers: { authorization: `Bearer ${token}`, host: new URL(base).host },
    }),
  );
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("event: ready")) {
    const { value, done } = await reader.read();
    assert.ok(!done, "the stream ended before it was ready");
    text += value;
  }
  return reader;
}

/**
 * After a revocation: `poke` makes the hall publish an event the stream may see, then one chunk
 * is read. The stream must end (with its `revoked` event) rather than keep delivering; 30 events
 * delivered after the revocation fail the test. Returns what the stream sent.
 */
async function endsAfterRevocation(reader: Reader, poke: () => Promise<void>): Promise<string> {
  let text = "";
  for (let i = 0; i < 30; i++) {
    // A turn of the event loop: messages between threads arrive as tasks (an in-process request
    // and its stream only ever queue microtasks).
    await new Promise((ok) => setTimeout(ok, 10));
    await poke();
    const { value, done } = await reader.read();
    if (done) return text;
    text += value;
  }
  assert.fail(`the stream kept delivering after its token was revoked: …${text.slice(-300)}`);
}

Deno.test({
  name: "events: revoking a token ends its open streams at once; other tokens' streams go on",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    try {
      const grant = await h.grant("org.acme");
      const base = "http://localhost";
      const mine = await openStream(h.fetch, base, grant.token);
      const mine2 = await openStream(h.fetch, base, grant.token);
      const admin = await openStream(h.fetch, base, ADMIN);
      const res = await h.req(`/wcp/tokens/${grant.token_id}/revoke`, { method: "POST" });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      let n = 0;
      // A decision for the namespace's own tenant: its streams would show it.
      const poke = async () => {
        const r = await h.req("/wcp/route", {
          method: "POST",
          json: routeInput({ tenant_id: "org.acme", request: { n: n++ } }),
        });
        await r.body?.cancel();
      };
      for (const reader of [mine, mine2]) {
        const text = await endsAfterRevocation(reader, poke);
        assert.match(text, /event: revoked\n/);
      }
      // The admin's stream still delivers.
      await poke();
      let text = "";
      while (!text.includes("event: decision")) text += (await admin.read()).value ?? "";
      await admin.cancel();
    } finally {
      await h.stop();
    }
  },
});

Deno.test({
  name: "events: a token revoked on another thread of the hall ends its streams on this one",
  ...HALL_TEST,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-streams-" });
    const seed = newPeerSeed();
    const a = await testHall({
      store: await openSqliteStore(`${dir}/hall.sqlite`),
      peers: joinPeers(seed),
      thread: { index: 0, count: 2 },
    });
    const b = await testHall({
      store: await openSqliteStore(`${dir}/hall.sqlite`),
      peers: joinPeers(seed),
      thread: { index: 1, count: 2 },
    });
    try {
      const grant = await a.grant("org.acme");
      const reader = await openStream(a.fetch, "http://localhost", grant.token);
      const res = await b.req(`/wcp/tokens/${grant.token_id}/revoke`, { method: "POST" });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const text = await endsAfterRevocation(reader, async () => {
        const r = await a.req("/wcp/route", {
          method: "POST",
          json: routeInput({ tenant_id: "org.acme" }),
        });
        await r.body?.cancel();
      });
      assert.match(text, /event: revoked\n/);
    } finally {
      await a.stop();
      await b.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "postgres: a token revoked through one instance ends its streams on another",
  ignore: skipPostgresTests(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await sharedPostgres();
    const url = await pg.createDatabase(`streams_${Date.now().toString(36)}`);
    const a = await startHall({ databaseUrl: url });
    let b: HallProcess | undefined;
    try {
      b = await startHall({ databaseUrl: url });
      const call = (h: HallProcess, path: string, body: unknown) =>
        fetch(`${h.url}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${h.token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const g = await call(a, "/wcp/namespaces", {
        namespace: "org.far",
        tier: "team",
        owner: "far",
      });
      const grant = await g.json();
      assert.equal(g.status, 201, JSON.stringify(grant));
      const reader = await openStream(fetch, b.url, grant.token);
      const r = await call(a, `/wcp/tokens/${grant.token_id}/revoke`, {});
      assert.equal(r.status, 200);
      await r.body?.cancel();
      const onB = b;
      const text = await endsAfterRevocation(reader, async () => {
        const d = await call(onB, "/wcp/route", routeInput({ tenant_id: "org.far" }));
        await d.body?.cancel();
      });
      assert.match(text, /event: revoked\n/);
    } finally {
      await b?.stop();
      await a.stop();
    }
  },
});
