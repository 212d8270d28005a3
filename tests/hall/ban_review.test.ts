// Ban review: an admin rejects a report (never enforced) or lifts a confirmed ban (no longer
// enforced at dispatch); each applies to one state only (409 BAN_STATE otherwise); confirming a
// lifted entry enforces it again. Namespace tokens may report, never review.
import assert from "node:assert/strict";
import { HallClient, HallError } from "../../mod.ts";
import { parseSseStream } from "../../src/client/sse.ts";
import { err, hallTest, j, routeInput } from "./_helpers.ts";

const post = (path: string, json: unknown = {}, token?: string | null) => ({
  path,
  init: { method: "POST", json, token },
});

hallTest(
  "ban review: reject a report, lift a confirmed ban, 409 from the wrong state",
  async (h) => {
    const bad = "sha256:" + "a1".repeat(32);
    const wrong = "sha256:" + "b2".repeat(32);
    for (const sha256 of [bad, wrong]) {
      const r = await h.req("/wcp/ban-list/report", {
        method: "POST",
        json: { sha256, reason: "seen in an incident" },
      });
      assert.equal(r.status, 201);
    }

    // A report that turns out wrong is rejected, with the reviewer and the note kept.
    const rejected = await h.req(`/wcp/ban-list/${wrong}/reject`, {
      method: "POST",
      json: { note: "false positive: the vendor's signed build" },
    });
    const rj = await j(rejected);
    assert.equal(rejected.status, 200, JSON.stringify(rj));
    assert.equal(rj.status, "rejected");
    assert.equal(rj.review_note, "false positive: the vendor's signed build");
    assert.ok(typeof rj.reviewed_by === "string" && rj.reviewed_by.length > 0);
    assert.ok(!h.hall.registry.isBanned(wrong));
    // It cannot be lifted (it was never enforced).
    const liftRejected = await h.req(`/wcp/ban-list/${wrong}/lift`, { method: "POST", json: {} });
    assert.equal(liftRejected.status, 409);
    assert.equal(err(await j(liftRejected)).code, "BAN_STATE");

    // Confirmed: enforced; a confirmed ban is lifted, not rejected.
    assert.equal((await h.req(`/wcp/ban-list/${bad}/confirm`, { method: "POST" })).status, 200);
    assert.ok(h.hall.registry.isBanned(bad));
    const rejectConfirmed = await h.req(`/wcp/ban-list/${bad}/reject`, {
      method: "POST",
      json: {},
    });
    const rc = err(await j(rejectConfirmed));
    assert.equal(rejectConfirmed.status, 409);
    assert.equal(rc.code, "BAN_STATE");
    assert.match(String(rc.message), /confirmed.*lift/);
    assert.ok(h.hall.registry.isBanned(bad), "a refused reject changes nothing");

    const lifted = await h.req(`/wcp/ban-list/${bad}/lift`, {
      method: "POST",
      json: { note: "rebuilt from a clean tree" },
    });
    const lb = await j(lifted);
    assert.equal(lifted.status, 200, JSON.stringify(lb));
    assert.equal(lb.status, "lifted");
    assert.ok(!h.hall.registry.isBanned(bad), "a lifted ban is no longer enforced");
    // And after a restart of the registry from the store, it stays lifted.
    await h.hall.syncRegistry();
    assert.ok(!h.hall.registry.isBanned(bad));

    // The list filters by the new states.
    const listed = await j(await h.req("/wcp/ban-list?status=lifted"));
    assert.deepEqual(listed.bans.map((b: { sha256: string }) => b.sha256), [bad]);
    assert.equal((await j(await h.req("/wcp/ban-list?status=rejected"))).count, 1);
    assert.equal((await h.req("/wcp/ban-list?status=gone")).status, 400);

    // Confirming a lifted ban enforces it again.
    assert.equal((await h.req(`/wcp/ban-list/${bad}/confirm`, { method: "POST" })).status, 200);
    assert.ok(h.hall.registry.isBanned(bad));

    // Unknown hash, bad hash, unknown body field.
    const unknown = await h.req(`/wcp/ban-list/${"sha256:" + "c3".repeat(32)}/lift`, {
      method: "POST",
      json: {},
    });
    assert.equal(unknown.status, 404);
    assert.equal(err(await j(unknown)).code, "BAN_UNKNOWN");
    const badHash = await h.req("/wcp/ban-list/nothex/reject", { method: "POST", json: {} });
    assert.equal(badHash.status, 400);
    assert.equal(err(await j(badHash)).path, "sha256");
    const extra = await h.req(`/wcp/ban-list/${bad}/lift`, { method: "POST", json: { why: 1 } });
    assert.equal(extra.status, 400);
  },
);

hallTest("ban review: a namespace token cannot reject or lift", async (h) => {
  const grant = await h.grant();
  const sha = "sha256:" + "d4".repeat(32);
  const { path, init } = post("/wcp/ban-list/report", { sha256: sha, reason: "bad" }, grant.token);
  assert.equal((await h.req(path, init)).status, 201);
  for (const action of ["reject", "lift"]) {
    const r = await h.req(`/wcp/ban-list/${sha}/${action}`, {
      method: "POST",
      json: {},
      token: grant.token,
    });
    assert.equal(r.status, 403, action);
  }
  assert.equal((await j(await h.req("/wcp/ban-list?status=reported"))).count, 1);
});

hallTest("ban review: HallClient.rejectBan and liftBan", async (h) => {
  const client = new HallClient({
    baseUrl: "http://localhost",
    token: "wcp_test-admin-token-0123456789abcdef0123456789abc",
    fetch: (input, init) => Promise.resolve(h.fetch(new Request(input, init))),
    retries: 0,
  });
  const a = "sha256:" + "e5".repeat(32);
  const b = "sha256:" + "f6".repeat(32);
  await client.reportBan({ sha256: a, reason: "x" });
  await client.reportBan({ sha256: b, reason: "y" });
  assert.equal((await client.rejectBan(a, "not ours")).status, "rejected");
  await client.confirmBan(b);
  assert.equal((await client.liftBan(b)).status, "lifted");
  assert.deepEqual((await client.banList({ status: "lifted" })).map((x) => x.sha256), [b]);
  await assert.rejects(
    () => client.liftBan(a),
    (e) => e instanceof HallError && e.status === 409 && e.code === "BAN_STATE",
  );
});

hallTest(
  "ban events: each report, confirmation, rejection and lift is a `ban` event for admins only",
  async (h) => {
    const grant = await h.grant();
    const admin = new AbortController();
    const tenant = new AbortController();
    try {
      const adminStream = parseSseStream(
        (await h.req("/wcp/events?events=ban", { signal: admin.signal })).body!,
      );
      const tenantStream = parseSseStream(
        (await h.req("/wcp/events", { signal: tenant.signal, token: grant.token })).body!,
      );
      assert.equal((await adminStream.next()).value!.event, "ready");
      assert.equal((await tenantStream.next()).value!.event, "ready");

      const a = "sha256:" + "1a".repeat(32);
      const b = "sha256:" + "2b".repeat(32);
      const send = (path: string) => h.req(path, { method: "POST", json: {} });
      const report = (sha256: string, token?: string) =>
        h.req("/wcp/ban-list/report", { method: "POST", json: { sha256, reason: "x" }, token });
      assert.equal((await report(a, grant.token)).status, 201); // a namespace token may report
      assert.equal((await report(a)).status, 200); // already listed: no change, no event
      assert.equal((await send(`/wcp/ban-list/${a}/confirm`)).status, 200);
      assert.equal((await send(`/wcp/ban-list/${a}/reject`)).status, 409); // refused: no event
      assert.equal((await send(`/wcp/ban-list/${a}/lift`)).status, 200);
      assert.equal((await report(b)).status, 201);
      assert.equal((await send(`/wcp/ban-list/${b}/reject`)).status, 200);

      const seen: [unknown, unknown, unknown][] = [];
      for (let i = 0; i < 5; i++) {
        const e = (await adminStream.next()).value!;
        assert.equal(e.event, "ban");
        const d = JSON.parse(e.data);
        seen.push([d.change, d.sha256, d.status]);
      }
      assert.deepEqual(seen, [
        ["reported", a, "reported"],
        ["confirmed", a, "confirmed"],
        ["lifted", a, "lifted"],
        ["reported", b, "reported"],
        ["rejected", b, "rejected"],
      ]);

      // The namespace token's stream skipped them all: its next event is its own decision.
      await h.req("/wcp/route", {
        method: "POST",
        json: routeInput({ tenant_id: "org.acme" }),
        token: grant.token,
      });
      const next = (await tenantStream.next()).value!;
      assert.equal(next.event, "decision");
      assert.equal(JSON.parse(next.data).tenant_id, "org.acme");
    } finally {
      admin.abort();
      tenant.abort();
    }
  },
);
