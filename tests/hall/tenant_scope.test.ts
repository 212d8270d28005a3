// A namespace token acts as the tenant of its name: it cannot write into another tenant's
// receipt chain, read another tenant's receipts, telemetry or events, or see and silence alerts.
// Tenant ids the receipt routes could not name later are refused up front.
import assert from "node:assert/strict";
import { hallTest, j, routeInput } from "./_helpers.ts";

hallTest(
  "namespace token: decisions, dispatches and approvals only for its own tenant",
  async (h) => {
    const ns = (await h.grant()).token;
    // The admin fills tenant "victim"'s chain.
    const first = await h.req("/wcp/dispatch", {
      method: "POST",
      json: routeInput({ tenant_id: "victim" }),
    });
    assert.equal(first.status, 200);
    const before = await j(await h.req("/wcp/receipts/verify?tenant_id=victim"));

    for (const path of ["/wcp/route", "/wcp/dispatch"]) {
      const r = await h.req(path, {
        method: "POST",
        token: ns,
        json: routeInput({ tenant_id: "victim" }),
      });
      const body = await j(r);
      assert.equal(r.status, 403, JSON.stringify(body));
      assert.equal(body.error.code, "TENANT_FORBIDDEN");
      assert.equal(body.error.path, "tenant_id");
    }
    const own = await h.req("/wcp/dispatch", {
      method: "POST",
      token: ns,
      json: routeInput({ tenant_id: "org.acme" }),
    });
    assert.equal(own.status, 200);

    // An approval held for another tenant cannot be run by the namespace token.
    const held = await j(
      await h.req("/wcp/dispatch", {
        method: "POST",
        json: routeInput({ tenant_id: "victim", capability_id: "cap.msg.notify" }),
      }),
    );
    await h.resolve(held.approval_id, "approve");
    const stolen = await h.req("/wcp/dispatch", {
      method: "POST",
      token: ns,
      json: { approval_id: held.approval_id },
    });
    assert.equal(stolen.status, 403);
    const stolenError = (await j(stolen)).error;
    assert.equal(stolenError.code, "APPROVAL_MISMATCH");
    assert.equal(stolenError.path, "approval_id");
    const approval = await j(await h.req(`/wcp/approvals/${held.approval_id}`));
    assert.equal(approval.status, "approved", "the refused attempt did not consume it");

    const after = await j(await h.req("/wcp/receipts/verify?tenant_id=victim"));
    assert.equal(after.ok, true);
    assert.equal(after.tenants[0].count, before.tenants[0].count, "victim's chain untouched");
  },
);

hallTest(
  "namespace token: reads only its own tenant's receipts, telemetry and events; no alerts",
  async (h) => {
    const ns = (await h.grant()).token;
    const victim = await j(
      await h.req("/wcp/dispatch", { method: "POST", json: routeInput({ tenant_id: "victim" }) }),
    );
    const mine = await j(
      await h.req("/wcp/dispatch", {
        method: "POST",
        token: ns,
        json: routeInput({ tenant_id: "org.acme" }),
      }),
    );
    const asNs = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      h.req(path, { ...init, token: ns });

    const list = await j(await asNs("/wcp/receipts"));
    assert.deepEqual(list.receipts.map((r: { tenant_id: string }) => r.tenant_id), ["org.acme"]);
    assert.deepEqual((await j(await asNs("/wcp/receipts/tenants"))).tenants, ["org.acme"]);
    const verify = await j(await asNs("/wcp/receipts/verify"));
    assert.deepEqual(verify.tenants.map((t: { tenant_id: string }) => t.tenant_id), ["org.acme"]);
    for (
      const [path, init] of [
        ["/wcp/receipts?tenant_id=victim", {}],
        ["/wcp/receipts/verify?tenant_id=victim", {}],
        ["/wcp/receipts/checkpoints?tenant_id=victim", {}],
        [`/wcp/receipts/proof?tenant_id=victim&receipt_id=${victim.receipt.receipt_id}`, {}],
        ["/wcp/receipts/checkpoint", { method: "POST", json: { tenant_id: "victim" } }],
      ] as [string, RequestInit & { json?: unknown }][]
    ) {
      const r = await asNs(path, init);
      const body = await j(r);
      assert.equal(r.status, 403, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, "TENANT_FORBIDDEN");
    }
    // Admins still read everything.
    assert.equal((await j(await h.req("/wcp/receipts/tenants"))).count, 2);

    const tel = await j(await asNs("/wcp/telemetry"));
    assert.ok(tel.count > 0);
    assert.ok(tel.events.every((e: { tenant_id: string }) => e.tenant_id === "org.acme"));
    const foreign = await j(
      await asNs(`/wcp/telemetry?decision_id=${victim.decision.decision_id}`),
    );
    assert.equal(foreign.count, 0);

    // Alerts (here a chain break of any tenant) are for admins: neither listed nor acknowledged.
    const alert = await h.hall.alert("chain_break", 1, "test", "victim", {});
    assert.equal((await asNs("/wcp/alerts")).status, 403);
    const ack = await asNs(`/wcp/alerts/${alert.alert_id}/ack`, { method: "POST", json: {} });
    assert.equal(ack.status, 403);
    const open = await j(await h.req("/wcp/alerts?open=true"));
    assert.equal(open.count, 1, "the alert stays open");

    // SSE replay: only the namespace's own decisions and dispatches.
    const ac = new AbortController();
    const res = await asNs("/wcp/events", {
      headers: { "last-event-id": "0" },
      signal: ac.signal,
    });
    // Last-Event-ID 0 replays nothing; publish one of each tenant, then read.
    h.hall.events.publish("decision", { tenant_id: "victim", decision_id: "v" });
    h.hall.events.publish("decision", { tenant_id: "org.acme", decision_id: "m" });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes('"decision_id":"m"')) text += (await reader.read()).value ?? "";
    ac.abort();
    await reader.cancel().catch(() => {});
    assert.doesNotMatch(text, /"decision_id":"v"/);
    assert.doesNotMatch(text, /event: alert/);
    assert.ok(mine.receipt);
  },
);

hallTest(
  "route/dispatch: a tenant id no receipt route could name is a 400 naming tenant_id",
  async (h) => {
    for (
      const tenant_id of [
        "t".repeat(201),
        "ac\u0000me",
        "a\nb",
        "x\u009by",
        "acme\u202e",
        "ac\u200bme",
        "\ufeffacme",
      ]
    ) {
      for (const path of ["/wcp/route", "/wcp/dispatch"]) {
        const r = await h.req(path, { method: "POST", json: routeInput({ tenant_id }) });
        const body = await j(r);
        assert.equal(r.status, 400, JSON.stringify(body).slice(0, 200));
        assert.equal(body.error.code, "INVALID_TENANT_ID");
        assert.equal(body.error.path, "tenant_id");
      }
    }
    for (const correlation_id of ["c".repeat(201), "a\u0000b"]) {
      const r = await h.req("/wcp/dispatch", {
        method: "POST",
        json: routeInput({ correlation_id }),
      });
      const body = await j(r);
      assert.equal(r.status, 400);
      assert.equal(body.error.code, "INVALID_CORRELATION_ID");
      assert.equal(body.error.path, "correlation_id");
    }
    assert.equal((await j(await h.req("/wcp/receipts/tenants"))).count, 0, "nothing stored");
    // Unicode that is not a control character stays allowed.
    const ok = await h.req("/wcp/dispatch", {
      method: "POST",
      json: routeInput({ tenant_id: "acmé-日本" }),
    });
    assert.equal(ok.status, 200);
    const v = await j(
      await h.req(`/wcp/receipts/verify?tenant_id=${encodeURIComponent("acmé-日本")}`),
    );
    assert.equal(v.tenants[0].count, 1);
  },
);
