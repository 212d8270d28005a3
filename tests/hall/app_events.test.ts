// Live events (SSE), alerts, hot reload of rules, telemetry sinks (JSONL, OTLP receiver).
import assert from "node:assert/strict";
import { parseSseStream } from "../../src/client/sse.ts";
import { EXAMPLE_RULES } from "../../src/hall/bootstrap.ts";
import { HALL_TEST, hallTest, j, routeInput, testHall } from "./_helpers.ts";

Deno.test({
  name: "events: SSE streams decisions, dispatches, approvals and alerts with ids and replay",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    const ac = new AbortController();
    try {
      const res = await h.req("/wcp/events", { signal: ac.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
      const it = parseSseStream(res.body!);
      const next = async () => (await it.next()).value!;
      assert.equal((await next()).event, "ready");

      await h.req("/wcp/dispatch", { method: "POST", json: routeInput() });
      const decision = await next();
      assert.equal(decision.event, "decision");
      assert.equal(JSON.parse(decision.data).outcome, "DISPATCH");
      const dispatch = await next();
      assert.equal(dispatch.event, "dispatch");
      assert.equal(JSON.parse(dispatch.data).ok, true);
      assert.ok(Number(dispatch.id) > Number(decision.id));

      await h.hold();
      const d2 = await next();
      assert.equal(d2.event, "approval");
      assert.equal(JSON.parse(d2.data).change, "created");
      assert.equal((await next()).event, "decision");

      await h.hall.alert("other", 3, "test alert", "x");
      const alert = await next();
      assert.equal(alert.event, "alert");
      assert.equal(JSON.parse(alert.data).message, "test alert");
      ac.abort();

      // Last-Event-ID replays what was missed; ?events= filters.
      const ac2 = new AbortController();
      const again = await h.req("/wcp/events?events=dispatch", {
        signal: ac2.signal,
        headers: { "last-event-id": decision.id! },
      });
      const it2 = parseSseStream(again.body!);
      assert.equal((await it2.next()).value!.event, "ready");
      const replay = (await it2.next()).value!;
      assert.equal(replay.event, "dispatch");
      assert.equal(replay.id, dispatch.id);
      ac2.abort();
      assert.equal((await h.req("/wcp/events", { token: null })).status, 401);
    } finally {
      ac.abort();
      await h.stop();
    }
  },
});

hallTest("alerts: acknowledged alerts stay acknowledged (persisted in the store)", async (h) => {
  const a = await h.hall.alert("tamper", 1, "code changed", "org.acme.x.1", { n: 1 });
  await h.hall.alert("chain_break", 1, "chain broke", "acme");
  assert.equal((await j(await h.req("/wcp/alerts?open=true"))).count, 2);
  const ack = await h.req(`/wcp/alerts/${a.alert_id}/ack`, { method: "POST", json: {} });
  assert.equal(ack.status, 200);
  assert.ok((await j(ack)).acknowledged_at);
  assert.equal((await j(await h.req("/wcp/alerts?open=true"))).count, 1);
  assert.equal((await j(await h.req("/wcp/alerts?open=false"))).count, 1);
  assert.equal(await h.store.getMeta("nothing"), null);
  const stored = await h.store.listAlerts({ acknowledged: true });
  assert.equal(stored[0].alert_id, a.alert_id);
  assert.equal((await h.req("/wcp/alerts/nope/ack", { method: "POST", json: {} })).status, 404);
  assert.equal((await h.req("/wcp/alerts?limit=0")).status, 400);
});

Deno.test({
  name: "rules: hot reload validates; a bad document is refused and the old rules stay",
  ...HALL_TEST,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const rulesPath = `${dir}/rules.json`;
    await Deno.writeTextFile(rulesPath, JSON.stringify(EXAMPLE_RULES));
    const h = await testHall({ rulesPath });
    try {
      const before = await j(await h.req("/wcp/rules"));
      assert.equal((before.rules as unknown[]).length, 3);
      const bad = await h.req("/wcp/rules/reload", {
        method: "POST",
        json: { rules: [{ rule_id: "x", match: { env: { like: "pr%" } }, decision: {} }] },
      });
      assert.equal(bad.status, 422);
      const e = (await j(bad)).error as Record<string, unknown>;
      assert.equal(e.code, "RULES_INVALID");
      assert.match(String(e.path), /rules\[0\]/);
      assert.equal(
        (await j(await h.req("/wcp/route", { method: "POST", json: routeInput() }))).outcome,
        "DISPATCH",
      );

      // An empty rule set is valid but would deny everything: refused, from a body or a file.
      for (const empty of [[], { rules: [] }]) {
        const res = await h.req("/wcp/rules/reload", { method: "POST", json: empty });
        assert.equal(res.status, 422);
        const e = (await j(res)).error as Record<string, unknown>;
        assert.equal(e.code, "RULES_EMPTY");
        assert.equal(e.path, "rules");
      }
      await Deno.writeTextFile(rulesPath, "[]");
      assert.equal((await h.req("/wcp/rules/reload", { method: "POST", json: {} })).status, 422);
      assert.equal(h.hall.rules.rules.length, 3, "the rules in force stay");
      assert.deepEqual(JSON.parse(await Deno.readTextFile(rulesPath)), []);
      await Deno.writeTextFile(rulesPath, JSON.stringify(EXAMPLE_RULES));

      // A good document replaces the rules and the file.
      const only = {
        rules: [{
          rule_id: "greet.only",
          match: { capability_id: "cap.hello.greet" },
          decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.hello.greeter" }] },
        }],
      };
      const ok = await h.req("/wcp/rules/reload", { method: "POST", json: only });
      assert.equal(ok.status, 200);
      assert.equal((await j(ok)).rule_count, 1);
      const denied = await j(await h.req("/wcp/route", { method: "POST", json: routeInput() }));
      assert.equal(
        (denied.deny_reason_if_denied as Record<string, unknown>).code,
        "DENY_NO_MATCHING_RULE",
      );
      assert.deepEqual(JSON.parse(await Deno.readTextFile(rulesPath)), only);

      // Re-reading a broken file keeps the rules too; a fixed file is picked up.
      await Deno.writeTextFile(rulesPath, "{ broken");
      assert.equal((await h.req("/wcp/rules/reload", { method: "POST", json: {} })).status, 422);
      assert.equal(h.hall.rules.rules[0].rule_id, "greet.only");
      await Deno.writeTextFile(rulesPath, JSON.stringify(EXAMPLE_RULES));
      const fixed = await h.req("/wcp/rules/reload", { method: "POST" });
      assert.equal((await j(fixed)).rule_count, 3);
      const ns = await h.grant("org.r");
      const forbidden = await h.req("/wcp/rules/reload", {
        method: "POST",
        token: String(ns.token),
        json: {},
      });
      assert.equal(forbidden.status, 403);
    } finally {
      await h.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "telemetry: events go to the store, a JSONL file and an OTLP/HTTP collector with GenAI attributes",
  ...HALL_TEST,
  fn: async () => {
    const received: Record<string, unknown>[] = [];
    const collector = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        assert.equal(new URL(req.url).pathname, "/v1/traces");
        received.push(await req.json());
        return Response.json({});
      },
    );
    const dir = await Deno.makeTempDir();
    const jsonlPath = `${dir}/events.jsonl`;
    const h = await testHall({
      telemetry: {
        jsonlPath,
        otlpEndpoint: `http://127.0.0.1:${collector.addr.port}/v1/traces`,
        flushMs: 10,
      },
    });
    try {
      const input = routeInput();
      const out = await j(await h.req("/wcp/dispatch", { method: "POST", json: input }));
      const d = out.decision as Record<string, unknown>;
      await h.hall.telemetry.flush();

      const lines = (await Deno.readTextFile(jsonlPath)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.ok(lines.length >= 3);
      assert.ok(lines.every((e) => e.decision_id === d.decision_id));
      assert.ok(lines.some((e) => e.event_id === "evt.os.task.routed"));

      const spans = received.flatMap((b) =>
        (b.resourceSpans as { scopeSpans: { spans: Record<string, unknown>[] }[] }[])
          .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
      );
      const attrsOf = (s: Record<string, unknown>) =>
        Object.fromEntries(
          (s.attributes as { key: string; value: Record<string, unknown> }[]).map((a) => [
            a.key,
            Object.values(a.value)[0],
          ]),
        );
      const route = spans.find((s) => String(s.name).startsWith("route "))!;
      const exec = spans.find((s) => String(s.name).startsWith("execute_tool "))!;
      assert.ok(route && exec, "a decision span and a dispatch span");
      assert.equal(attrsOf(route)["gen_ai.tool.name"], "cap.doc.summarize");
      assert.equal(attrsOf(route)["gen_ai.operation.name"], "execute_tool");
      assert.equal(attrsOf(route)["wcp.outcome"], "DISPATCH");
      assert.equal(attrsOf(exec)["gen_ai.tool.name"], "cap.doc.summarize");
      assert.equal(attrsOf(exec)["gen_ai.tool.call.id"], d.decision_id);
      // The trace id is the correlation id, so the worker's own spans join the same trace.
      assert.equal(route.traceId, String(input.correlation_id).replaceAll("-", ""));
      assert.equal(exec.parentSpanId, route.spanId);
      const events = (route.events as { name: string }[]).map((e) => e.name);
      assert.ok(events.includes("evt.os.policy.gated"));

      const health = await j(await h.req("/wcp/health", { token: null }));
      const tel = health.telemetry as { sinks: string[]; errors: Record<string, unknown> };
      assert.deepEqual(tel.sinks, ["store", "jsonl", "otlp"]);
      assert.deepEqual(tel.errors, { store: null, jsonl: null, otlp: null });
    } finally {
      await h.stop();
      await collector.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

hallTest(
  "telemetry: a collector that is down never changes a decision; the error is reported",
  () => ({
    telemetry: { otlpEndpoint: "http://127.0.0.1:9/v1/traces", flushMs: 5 },
  }),
  async (h) => {
    const d = await j(await h.req("/wcp/route", { method: "POST", json: routeInput() }));
    assert.equal(d.outcome, "DISPATCH");
    await h.hall.telemetry.flush();
    const health = await j(await h.req("/wcp/health", { token: null }));
    const errors = (health.telemetry as { errors: Record<string, unknown> }).errors;
    assert.ok(errors.otlp, "the failing sink is named");
    assert.equal(errors.store, null);
  },
);

Deno.test({
  name: "events: closing the hall ends open SSE streams (so the server can shut down)",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    const res = await h.req("/wcp/events");
    const it = parseSseStream(res.body!);
    assert.equal((await it.next()).value!.event, "ready");
    const ended = it.next();
    await h.close();
    assert.equal((await ended).done, true);
    await h.store.close();
  },
});

Deno.test({
  name: "events: open streams are bounded per token (429), and freed when they close",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    const streams: AbortController[] = [];
    try {
      for (let i = 0; i < 16; i++) {
        const ac = new AbortController();
        const res = await h.req("/wcp/events", { signal: ac.signal });
        assert.equal(res.status, 200);
        const it = parseSseStream(res.body!, ac.signal);
        assert.equal((await it.next()).value!.event, "ready");
        streams.push(ac);
      }
      const over = await h.req("/wcp/events");
      assert.equal(over.status, 429);
      assert.equal(((await j(over)).error as Record<string, unknown>).code, "TOO_MANY_STREAMS");
      // Closing one stream frees its slot.
      streams.shift()!.abort();
      await new Promise((r) => setTimeout(r, 50));
      const again = await h.req("/wcp/events");
      assert.equal(again.status, 200);
      await again.body?.cancel();
    } finally {
      for (const ac of streams) ac.abort();
      await h.stop();
    }
  },
});
