// GET /wcp/stats: decisions per minute by outcome and the top deny codes (from the replay log),
// dispatch latency per worker (receipt_id's UUIDv7 time minus dispatched_at), scoped like the
// receipts (a namespace token sees its own tenant), with a bounded window.
import assert from "node:assert/strict";
import { DEMO_WORKERS } from "../../src/hall/bootstrap.ts";
import { uuidV7Millis } from "../../src/hall/routes/stats.ts";
import { uuidV7 } from "../../src/ids.ts";
import { err, hallTest, j, routeInput } from "./_helpers.ts";

// A clock the test moves: the summarizer "takes" 250 ms by advancing it while it runs, so the
// latency the hall reports is exact, not timed.
const T0 = Date.UTC(2026, 11, 7, 12, 0, 30);
let clock = T0;

hallTest(
  "stats: decisions per minute by outcome, top deny codes, dispatch latency per worker",
  () => {
    clock = T0;
    return {
      now: () => clock,
      inProcessWorkers: {
        ...DEMO_WORKERS,
        "org.demo.summarizer.1": (call, ctx) => {
          clock += 250;
          return DEMO_WORKERS["org.demo.summarizer.1"](call, ctx);
        },
      },
    };
  },
  async (h) => {
    const route = (over: Record<string, unknown>) =>
      h.req("/wcp/route", { method: "POST", json: routeInput(over) });
    // Minute 12:00: one dispatch (executed), two denials with one code, one with another.
    const d = await h.req("/wcp/dispatch", { method: "POST", json: routeInput() });
    assert.equal(d.status, 200, JSON.stringify(await d.clone().json()));
    await route({ capability_id: "cap.nothing.here" });
    await route({ capability_id: "cap.nothing.there" });
    await route({ env: "edge" }); // DENY_MISSING_REQUIRED_CONTROLS
    // Minute 12:01: a hold and another dispatch.
    clock = T0 + 60_000;
    await h.hold();
    const d2 = await h.req("/wcp/dispatch", { method: "POST", json: routeInput() });
    assert.equal(d2.status, 200);

    const since = new Date(Date.UTC(2026, 11, 7, 12, 0, 0)).toISOString();
    const until = new Date(Date.UTC(2026, 11, 7, 12, 2, 0)).toISOString();
    const res = await h.req(`/wcp/stats?since=${since}&until=${until}`);
    const s = await j(res);
    assert.equal(res.status, 200, JSON.stringify(s));
    assert.equal(s.decisions.total, 6);
    assert.deepEqual(s.decisions.by_outcome, { DISPATCH: 2, DENY: 3, STEWARD_HOLD: 1 });
    assert.deepEqual(
      s.decisions.per_minute.map((m: Record<string, number>) => [
        m.minute,
        m.DISPATCH,
        m.DENY,
        m.STEWARD_HOLD,
      ]),
      [[since, 1, 3, 0], ["2026-12-07T12:01:00.000Z", 1, 0, 1]],
    );
    assert.equal(s.decisions.top_deny_codes[0].code, "DENY_NO_MATCHING_RULE");
    assert.equal(s.decisions.top_deny_codes[0].count, 2);
    assert.equal(s.decisions.top_deny_codes.length, 2);
    assert.deepEqual(s.dispatch.workers, [{
      worker_id: "org.demo.summarizer.1",
      count: 2,
      failed: 0,
      p50_ms: 250,
      p95_ms: 250,
      max_ms: 250,
    }]);
    assert.equal(s.dispatch.total, 2);
    assert.equal(s.truncated, false);

    // A window that holds none of it.
    const empty = await j(
      await h.req(`/wcp/stats?since=2026-12-07T11:00:00Z&until=2026-12-07T11:10:00Z`),
    );
    assert.equal(empty.decisions.total, 0);
    assert.equal(empty.decisions.per_minute.length, 10);
    assert.deepEqual(empty.dispatch.workers, []);

    // One tenant, or another: the admin filters; a namespace token sees its own tenant only.
    const other = await j(await h.req(`/wcp/stats?since=${since}&until=${until}&tenant_id=zeta`));
    assert.equal(other.decisions.total, 0);
    const grant = await h.grant();
    const mine = await j(
      await h.req(`/wcp/stats?since=${since}&until=${until}`, { token: grant.token }),
    );
    assert.equal(mine.tenant_id, "org.acme");
    assert.equal(mine.decisions.total, 0);
    const forbidden = await h.req(`/wcp/stats?tenant_id=acme`, { token: grant.token });
    assert.equal(forbidden.status, 403);

    // Bad windows name the field.
    for (
      const [q, path] of [
        ["since=yesterday", "since"],
        ["since=2026-12-07T12:00:00Z&until=2026-12-07T11:00:00Z", "since"],
        ["since=2026-12-05T12:00:00Z&until=2026-12-07T12:00:00Z", "since"],
        ["until=soon", "until"],
      ]
    ) {
      const r = await h.req(`/wcp/stats?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(err(await j(r)).path, path, q);
    }
    assert.equal((await h.req("/wcp/stats", { token: null })).status, 401);
  },
);

Deno.test("stats: uuidV7Millis reads the time of a UUIDv7, null otherwise", () => {
  assert.equal(uuidV7Millis(uuidV7(T0)), T0);
  assert.equal(uuidV7Millis(crypto.randomUUID()), null); // a v4
  assert.equal(uuidV7Millis("not-an-id"), null);
});
