// Query strings and headers that used to be accepted silently: a receipt range that ends before
// it starts, `open=maybe`, an unknown SSE event name, a Last-Event-ID that is no event id.
import assert from "node:assert/strict";
import { hallTest, j, routeInput } from "./_helpers.ts";

hallTest(
  "receipts: until before since is a 400 naming until; an equal bound is fine",
  async (h) => {
    assert.equal(
      (await h.req("/wcp/dispatch", { method: "POST", json: routeInput() })).status,
      200,
    );
    const bad = await h.req(
      "/wcp/receipts?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z",
    );
    const body = await j(bad);
    assert.equal(bad.status, 400);
    assert.equal(body.error.code, "INVALID_QUERY");
    assert.equal(body.error.path, "until");
    const at = "2020-01-01T00:00:00Z";
    const same = await h.req(`/wcp/receipts?since=${at}&until=${at}`);
    assert.equal(same.status, 200);
    const all = await j(await h.req("/wcp/receipts?since=2000-01-01T00:00:00Z"));
    assert.equal(all.count, 1);
  },
);

hallTest(
  "receipts: a bad query parameter is INVALID_QUERY naming it (not INVALID_BODY)",
  async (h) => {
    for (
      const [q, path] of [["limit=abc", "limit"], ["since=yesterday", "since"], ["foo=1", "foo"]]
    ) {
      const r = await h.req(`/wcp/receipts?${q}`);
      const body = await j(r);
      assert.equal(r.status, 400, q);
      assert.equal(body.error.code, "INVALID_QUERY", q);
      assert.equal(body.error.path, path, q);
    }
  },
);

hallTest("alerts: open must be true or false", async (h) => {
  await h.hall.alert("tamper", 1, "t", "w", {});
  const bad = await h.req("/wcp/alerts?open=maybe");
  assert.equal(bad.status, 400);
  assert.equal((await j(bad)).error.path, "open");
  assert.equal((await j(await h.req("/wcp/alerts?open=true"))).count, 1);
  assert.equal((await j(await h.req("/wcp/alerts?open=false"))).count, 0);
});

hallTest(
  "events: a bad Last-Event-ID or event name is a 400 before any stream opens",
  async (h) => {
    for (const id of ["abc", "-5", "1.5", "99999999999999999999999", "0x10"]) {
      const r = await h.req("/wcp/events", { headers: { "last-event-id": id } });
      const body = await j(r);
      assert.equal(r.status, 400, id);
      assert.equal(body.error.code, "INVALID_LAST_EVENT_ID");
      assert.equal(body.error.path, "Last-Event-ID");
    }
    const r = await h.req("/wcp/events?events=decision,bogus");
    const body = await j(r);
    assert.equal(r.status, 400);
    assert.equal(body.error.path, "events");
    assert.match(body.error.message, /bogus/);
    assert.equal(h.hall.events.subscriberCount, 0, "no stream was opened");

    // A good id replays what came after it.
    const first = h.hall.events.publish("decision", { tenant_id: "acme", n: 1 });
    h.hall.events.publish("decision", { tenant_id: "acme", n: 2 });
    const ac = new AbortController();
    const ok = await h.req("/wcp/events?events=decision", {
      headers: { "last-event-id": String(first.id) },
      signal: ac.signal,
    });
    assert.equal(ok.status, 200);
    const reader = ok.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes('"n":2')) text += (await reader.read()).value ?? "";
    ac.abort();
    await reader.cancel().catch(() => {});
    assert.doesNotMatch(text, /"n":1/);
  },
);

hallTest("bodies: an unknown key is named by its own path", async (h) => {
  const ns = await h.req("/wcp/namespaces", {
    method: "POST",
    json: { namespace: "org.acme", tier: "free", owner: "acme", extra: 1 },
  });
  const nsBody = await j(ns);
  assert.equal(ns.status, 400);
  assert.equal(nsBody.error.path, "extra");
  assert.match(nsBody.error.message, /^extra: .*"extra"/);
  const att = await h.req("/wcp/workers/org.demo.summarizer.1/attestation", {
    method: "POST",
    json: { manifest: {}, files: [{ path: "a", size: 1, sha256: "a".repeat(64), mode: 1 }] },
  });
  assert.equal(att.status, 400);
  assert.equal((await j(att)).error.path, "files[0].mode");
});
