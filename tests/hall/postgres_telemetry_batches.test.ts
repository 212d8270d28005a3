// PostgreSQL takes a decision's events as the hall serialised them once (issue 14 item 4:
// `appendTelemetryBatches`, no second JSON.stringify per event): they read back as the per-event
// path stores them, in order, beside rows written that way, and an event holding a lone
// surrogate (a hostile correlation id) is stored, not refused.
import assert from "node:assert/strict";
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";

Deno.test({
  name: "postgres telemetry: batches of serialised events read back like per-event rows",
  ignore: skipPostgresTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const pg = await sharedPostgres();
    const store = await openPostgresStore(pg.url, { schema: "telemetry_batches", max: 2 });
    try {
      await store.migrate();
      const ev = (id: string, d: string, extra: Record<string, unknown> = {}) => ({
        event_id: id,
        timestamp: "2026-12-07T16:00:00.000Z",
        decision_id: d,
        correlation_id: "c1",
        ...extra,
      });
      await store.appendTelemetry([
        { ...ev("evt.a", "d1"), event: ev("evt.a", "d1") },
        { ...ev("evt.b", "d1"), event: ev("evt.b", "d1") },
      ]);
      const hostile = ev("evt.d", "d2", { note: "lone \ud800 surrogate", nested: { a: [1, "é"] } });
      await store.appendTelemetryBatches!([
        {
          decision_id: "d2",
          correlation_id: "c1",
          events_json: JSON.stringify([ev("evt.c", "d2"), hostile]),
        },
        {
          decision_id: "d3",
          correlation_id: "c1",
          events_json: JSON.stringify([ev("evt.e", "d3")]),
        },
      ]);
      await store.appendTelemetryBatches!([]);
      const rows = await store.listTelemetry({ correlation_id: "c1" });
      assert.deepEqual(rows.map((r) => [r.event_id, r.decision_id, r.timestamp]), [
        ["evt.a", "d1", "2026-12-07T16:00:00.000Z"],
        ["evt.b", "d1", "2026-12-07T16:00:00.000Z"],
        ["evt.c", "d2", "2026-12-07T16:00:00.000Z"],
        ["evt.d", "d2", "2026-12-07T16:00:00.000Z"],
        ["evt.e", "d3", "2026-12-07T16:00:00.000Z"],
      ]);
      assert.deepEqual(rows[2].event, ev("evt.c", "d2"));
      assert.deepEqual(rows[3].event, JSON.parse(JSON.stringify(hostile)));
    } finally {
      await store.close();
    }
  },
});
