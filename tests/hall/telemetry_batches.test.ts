// Telemetry of a decision is serialised once: the route's response text and the stored events come
// from the same JSON; a slow store applies back-pressure instead of an unbounded queue.
import assert from "node:assert/strict";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import type { RouteDecision } from "../../src/model.ts";
import type { HallStore, TelemetryBatch } from "../../src/hall/store/types.ts";
import { TelemetryPipeline } from "../../src/hall/telemetry_sinks.ts";
import { routeInput, testHall } from "./_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "telemetry: the route's events are stored exactly as the response carries them",
  ...opts,
  fn: async () => {
    const h = await testHall();
    try {
      const res = await h.req("/wcp/route", { method: "POST", json: routeInput() });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      const body = await res.json();
      assert.equal(body.outcome, "DISPATCH");
      assert.ok(body.telemetry_envelopes.length >= 3);
      await h.hall.telemetry.flush();
      const stored = await h.store.listTelemetry({ decision_id: body.decision_id });
      assert.deepEqual(stored.map((r) => r.event), body.telemetry_envelopes);
      assert.deepEqual(
        stored.map((r) => [r.event_id, r.timestamp, r.correlation_id]),
        body.telemetry_envelopes.map((e: Record<string, unknown>) => [
          e.event_id,
          e.timestamp,
          body.correlation_id,
        ]),
      );
      // The same decision through decide() (in-process users) has the same fields.
      const again = await h.hall.decideJson(routeInput());
      assert.deepEqual(JSON.parse(again.json), JSON.parse(JSON.stringify(again.decision)));
    } finally {
      await h.stop();
    }
  },
});

Deno.test({
  name: "telemetry: SQLite reads both stored layouts (event triples and event objects)",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-tel-" });
    const s = await openSqliteStore(`${dir}/hall.sqlite`);
    try {
      const ev = (id: string, d: string) => ({
        event_id: id,
        timestamp: "2026-12-01T20:00:00.000Z",
        decision_id: d,
        correlation_id: "c1",
      });
      await s.appendTelemetry([
        { ...ev("evt.a", "d1"), event: ev("evt.a", "d1") },
        { ...ev("evt.b", "d1"), event: ev("evt.b", "d1") },
      ]);
      await s.appendTelemetryBatches!([{
        decision_id: "d2",
        correlation_id: "c1",
        events_json: JSON.stringify([ev("evt.c", "d2"), ev("evt.d", "d2")]),
      }]);
      const rows = await s.listTelemetry({ correlation_id: "c1" });
      assert.deepEqual(rows.map((r) => [r.event_id, r.decision_id]), [
        ["evt.a", "d1"],
        ["evt.b", "d1"],
        ["evt.c", "d2"],
        ["evt.d", "d2"],
      ]);
      assert.deepEqual(rows[2].event, ev("evt.c", "d2"));
      assert.deepEqual(
        (await s.listTelemetry({ decision_id: "d2", limit: 1 }))[0].event_id,
        "evt.d",
      );
    } finally {
      await s.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("telemetry: a store that falls behind makes decisions wait (bounded queue)", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const written: TelemetryBatch[] = [];
  const store = {
    appendTelemetry: () => Promise.resolve(),
    appendTelemetryBatches: async (b: TelemetryBatch[]) => {
      await gate;
      written.push(...b);
    },
    recordDecision: () => Promise.resolve(),
  } as unknown as HallStore;
  const t = new TelemetryPipeline(store, { flushMs: 10_000 });
  const decision = (i: number) =>
    ({
      decision_id: `d${i}`,
      correlation_id: "c",
      telemetry_envelopes: Array.from({ length: 5 }, (_, k) => ({
        event_id: `evt.${k}`,
        timestamp: "2026-12-01T20:00:00.000Z",
        decision_id: `d${i}`,
        correlation_id: "c",
      })),
    }) as unknown as RouteDecision;
  let i = 0;
  for (; i < 1_000; i++) t.decision(decision(i), null);
  assert.equal(t.backpressure(), null, "5,000 queued events: no waiting");
  for (; i < 20_001; i++) t.decision(decision(i), null); // > 100,000 events queued or in flight
  const wait = t.backpressure();
  assert.ok(wait instanceof Promise, "past the high-water mark the caller must wait");
  let settled = false;
  void wait.then(() => settled = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false, "still waiting while the store is stuck");
  release();
  await wait;
  await t.close();
  assert.equal(t.backpressure(), null);
  assert.equal(written.length, 20_001, "every queued decision's events were written");
  assert.equal(new Set(written.map((b) => b.decision_id)).size, 20_001);
});
