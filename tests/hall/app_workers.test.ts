// Workers, namespaces and tiers, attestation, ban list, discovery: through app.request().
import assert from "node:assert/strict";
import {
  buildManifest,
  generateSigningKey,
  packageHashFromContents,
  signManifestHmac,
} from "../../src/attestation/mod.ts";
import {
  err,
  HALL_TEST,
  hallTest,
  j,
  routeInput,
  signedSubmission,
  summarizerRecord,
  testHall,
} from "./_helpers.ts";

const record = summarizerRecord;

hallTest("discovery: health is public; capabilities and workers need a token", async (h) => {
  const health = await j(await h.req("/wcp/health", { token: null }));
  assert.equal(health.status, "ok");
  // The test hall's floors (the defaults, no signatory tenants, attestation or envelopes).
  assert.equal(health.compliance_level, "WCP-Standard");
  assert.equal((health.store as Record<string, unknown>).backend, "sqlite");
  assert.equal((health.counts as Record<string, number>).workers, 3);
  assert.equal((await h.req("/wcp/capabilities", { token: null })).status, 401);
  const caps = await j(await h.req("/wcp/capabilities"));
  const list = caps.capabilities as { capability_id: string; worker_count: number }[];
  assert.deepEqual(list.map((c) => c.capability_id), [
    "cap.doc.summarize",
    "cap.hello.greet",
    "cap.msg.notify",
  ]);
  assert.equal(list[0].worker_count, 1);
  const serving = await j(await h.req("/wcp/workers?capability=cap.doc.summarize"));
  assert.deepEqual(serving.workers.map((w: { worker_id: string }) => w.worker_id), [
    "org.demo.summarizer.1",
  ]);
  const workers = await j(await h.req("/wcp/workers"));
  assert.equal(workers.count, 3);
  const one = await j(await h.req("/wcp/workers/org.demo.summarizer.1"));
  assert.equal(one.status, "active");
  assert.equal((await h.req("/wcp/workers/org.nope.x")).status, 404);
  const doc = await j(await h.req("/openapi.json", { token: null }));
  assert.equal(doc.openapi, "3.1.0");
});

hallTest(
  "workers: enrol needs a valid record (artifact_hash computed when omitted); update; revoke stops routing",
  async (h) => {
    const noHash = { ...record("org.acme.nohash.1") };
    delete noHash.artifact_hash;
    const r1 = await h.req("/wcp/workers", { method: "POST", json: noHash });
    assert.equal(r1.status, 201);
    assert.match(String((await j(r1)).record.artifact_hash), /^sha256:[0-9a-f]{64}$/);
    // Out of the way of the routing checks below.
    const gone = await h.req("/wcp/workers/org.acme.nohash.1/revoke", { method: "POST" });
    assert.equal(gone.status, 200);

    const wrongHash = { ...record("org.acme.sum.1"), artifact_hash: "sha256:" + "0".repeat(64) };
    const r2 = await h.req("/wcp/workers", { method: "POST", json: wrongHash });
    assert.equal(r2.status, 400);
    assert.equal(err(await j(r2)).path, "artifact_hash");

    const badCap = record("org.acme.sum.1", { capabilities: ["summarize"] });
    const r3 = await h.req("/wcp/workers", { method: "POST", json: badCap });
    assert.equal(r3.status, 400);
    assert.match(String(err(await j(r3)).path), /^capabilities/);

    const badEndpoint = record("org.acme.sum.1", { endpoint: "file:///etc/passwd" });
    const r4 = await h.req("/wcp/workers", { method: "POST", json: badEndpoint });
    assert.equal(err(await j(r4)).path, "endpoint");

    const ok = await h.req("/wcp/workers", { method: "POST", json: record("org.acme.sum.1") });
    assert.equal(ok.status, 201);
    const dup = await h.req("/wcp/workers", { method: "POST", json: record("org.acme.sum.1") });
    assert.equal(dup.status, 409);

    const upd = record("org.acme.sum.1", { owner: "team-a" });
    const u = await h.req("/wcp/workers/org.acme.sum.1", { method: "PUT", json: upd });
    assert.equal(u.status, 200);
    assert.equal(((await j(u)).record as Record<string, unknown>).owner, "team-a");
    const mismatch = await h.req("/wcp/workers/org.acme.sum.2", { method: "PUT", json: upd });
    assert.equal(err(await j(mismatch)).path, "worker_id");

    // Revoke the demo summarizer: the new one is selected; revoke both: denied.
    assert.equal(
      (await h.req("/wcp/workers/org.demo.summarizer.1/revoke", { method: "POST" })).status,
      200,
    );
    const d1 = await j(await h.req("/wcp/route", { method: "POST", json: routeInput() }));
    assert.equal(d1.selected_worker_id, "org.acme.sum.1");
    assert.equal(
      (await h.req("/wcp/workers/org.acme.sum.1/revoke", { method: "POST" })).status,
      200,
    );
    assert.equal(
      (await h.req("/wcp/workers/org.acme.sum.1/revoke", { method: "POST" })).status,
      409,
    );
    const d2 = await j(await h.req("/wcp/route", { method: "POST", json: routeInput() }));
    assert.equal(d2.outcome, "DENY");
    const again = await h.req("/wcp/workers/org.acme.sum.1", { method: "PUT", json: upd });
    assert.equal(again.status, 409);
    assert.equal(
      (await h.req("/wcp/workers/org.zzz.q.1/revoke", { method: "POST" })).status,
      404,
    );
  },
);

hallTest(
  "namespaces: a namespace token enrols only in its own namespace, within its tier",
  async (h) => {
    const badNs = await h.req("/wcp/namespaces", {
      method: "POST",
      json: { namespace: "acme", tier: "free", owner: "a" },
    });
    assert.equal(err(await j(badNs)).path, "namespace");
    const badTier = await h.req("/wcp/namespaces", {
      method: "POST",
      json: { namespace: "org.acme", tier: "gold", owner: "a" },
    });
    assert.equal(err(await j(badTier)).path, "tier");
    assert.equal(
      (await h.req("/wcp/tiers/tiny", {
        method: "PUT",
        json: { max_workers: 2, requests_per_minute: 1000 },
      })).status,
      200,
    );
    const grant = await h.grant("org.acme", "tiny");
    assert.match(String(grant.token), /^wcp_/);
    const token = String(grant.token);
    assert.equal(
      (await h.req("/wcp/namespaces", {
        method: "POST",
        json: { namespace: "org.acme", tier: "tiny", owner: "acme" },
      })).status,
      409,
    );

    const other = await h.req("/wcp/workers", {
      method: "POST",
      token,
      json: record("org.other.sum.1"),
    });
    assert.equal(other.status, 403);
    assert.equal(err(await j(other)).code, "NAMESPACE_FORBIDDEN");
    const xns = await h.req("/wcp/workers", {
      method: "POST",
      token,
      json: record("x.bob.sum.1"),
    });
    assert.equal(xns.status, 403);
    for (const n of [1, 2]) {
      const r = await h.req("/wcp/workers", {
        method: "POST",
        token,
        json: record(`org.acme.sum.${n}`),
      });
      assert.equal(r.status, 201);
    }
    const third = await h.req("/wcp/workers", {
      method: "POST",
      token,
      json: record("org.acme.sum.3"),
    });
    assert.equal(third.status, 403);
    assert.equal(err(await j(third)).code, "TIER_LIMIT");
    // Revoking frees a slot.
    assert.equal(
      (await h.req("/wcp/workers/org.acme.sum.1/revoke", { method: "POST", token })).status,
      200,
    );
    assert.equal(
      (await h.req("/wcp/workers", { method: "POST", token, json: record("org.acme.sum.3") }))
        .status,
      201,
    );
    // Cannot revoke another namespace's worker, nor touch admin routes.
    assert.equal(
      (await h.req("/wcp/workers/org.demo.greeter.1/revoke", { method: "POST", token })).status,
      403,
    );
    assert.equal((await h.req("/wcp/tokens", { token })).status, 403);
    const mine = await j(await h.req("/wcp/namespaces", { token }));
    assert.deepEqual((mine.namespaces as { namespace: string }[]).map((n) => n.namespace), [
      "org.acme",
    ]);

    // Endpoints: a namespace token may only register origins the operator allowed.
    const ep = record("org.acme.sum.9", { endpoint: "http://127.0.0.1:5432/" });
    const epRes = await h.req("/wcp/workers", { method: "POST", token, json: ep });
    assert.equal(epRes.status, 403);
    assert.equal(err(await j(epRes)).path, "endpoint");

    // Moving to a bigger tier lifts the limit.
    assert.equal(
      (await h.req("/wcp/namespaces/org.acme/tier", { method: "PUT", json: { tier: "team" } }))
        .status,
      200,
    );
    const tiers = await j(await h.req("/wcp/tiers"));
    assert.ok((tiers.tiers as { tier: string }[]).some((t) => t.tier === "enterprise"));

    // Tokens: list never shows hashes; revoke works at once.
    const t2 = await j(
      await h.req("/wcp/tokens", {
        method: "POST",
        json: { role: "namespace", namespace: "org.acme", label: "ci" },
      }),
    );
    const list = await j(await h.req("/wcp/tokens"));
    assert.ok(!JSON.stringify(list).includes("token_hash"));
    assert.equal((await h.req("/wcp/workers", { token: String(t2.token) })).status, 200);
    assert.equal(
      (await h.req(`/wcp/tokens/${t2.token_id}/revoke`, { method: "POST" })).status,
      200,
    );
    assert.equal((await h.req("/wcp/workers", { token: String(t2.token) })).status, 401);
    const noNs = await h.req("/wcp/tokens", { method: "POST", json: { role: "namespace" } });
    assert.equal(err(await j(noNs)).path, "namespace");
  },
);

hallTest(
  "attestation: a signed manifest verifies and registers the hash; other code is a tamper",
  () => ({ config: { require_worker_attestation: true } }),
  async (h) => {
    const key = await generateSigningKey({ namespace: "org.acme" });
    const id = "org.acme.sum.1";
    await h.req("/wcp/workers/org.demo.summarizer.1/revoke", { method: "POST" });
    const rec = record(id, { public_keys: { [key.key_id]: key.public_key } });
    assert.equal((await h.req("/wcp/workers", { method: "POST", json: rec })).status, 201);

    // Attestation required and nothing attested yet: denied.
    const before = await j(await h.req("/wcp/route", { method: "POST", json: routeInput() }));
    assert.equal(before.outcome, "DENY");

    const good = await signedSubmission(key, id, { "code/worker.py": "print('v1')\n" });
    const res = await h.req(`/wcp/workers/${id}/attestation`, { method: "POST", json: good });
    assert.equal(res.status, 200);
    const body = await j(res);
    assert.equal(body.verified, true);
    assert.equal(body.tampered, false);
    assert.equal(body.registered_hash, body.package_hash);
    const state = await j(await h.req(`/wcp/workers/${id}/attestation`));
    assert.equal(state.current_hash, body.package_hash);
    const ok = await j(await h.req("/wcp/route", { method: "POST", json: routeInput() }));
    assert.equal(ok.outcome, "DISPATCH");
    assert.equal(ok.worker_attestation_valid, true);

    // A forged signature is refused (422) and changes nothing.
    const forged = structuredClone(good);
    forged.manifest.signature_ed25519 = "0".repeat(128);
    const fr = await h.req(`/wcp/workers/${id}/attestation`, { method: "POST", json: forged });
    assert.equal(fr.status, 422);
    const frBody = await j(fr);
    assert.equal(frBody.deny_code, "ATTEST_SIG_INVALID");
    assert.equal(err(frBody).code, "ATTEST_SIG_INVALID");
    assert.equal(
      (await j(await h.req(`/wcp/workers/${id}/attestation`))).current_hash,
      body.package_hash,
    );

    // New code, validly signed, but not the registered hash: tamper alert and denial.
    const other = await signedSubmission(key, id, { "code/worker.py": "print('evil')\n" });
    const t = await j(
      await h.req(`/wcp/workers/${id}/attestation`, { method: "POST", json: other }),
    );
    assert.equal(t.verified, true);
    assert.equal(t.tampered, true);
    const denied = await j(await h.req("/wcp/route", { method: "POST", json: routeInput() }));
    assert.equal(
      (denied.deny_reason_if_denied as Record<string, unknown>).code,
      "DENY_WORKER_TAMPERED",
    );
    const alerts = await j(await h.req("/wcp/alerts?open=true"));
    const kinds = (alerts.alerts as { kind: string }[]).map((a) => a.kind);
    assert.ok(kinds.filter((k) => k === "tamper").length >= 2, "submission and dispatch alert");
    assert.equal((await j(await h.req(`/wcp/workers/${id}`))).flagged, true);

    // Other namespaces' tokens cannot attest this worker; bad bodies name the field.
    const bad = await h.req(`/wcp/workers/${id}/attestation`, {
      method: "POST",
      json: { manifest: {}, files: [{ path: "a", size: -1, sha256: "x" }] },
    });
    assert.equal(bad.status, 400);
    assert.equal(err(await j(bad)).path, "files[0].size");
  },
);

Deno.test({
  name: "attestation: reference HMAC manifests verify with the configured secret only",
  ...HALL_TEST,
  fn: async () => {
    const secret = "s3cret-for-tests";
    const h = await testHall({ hmacSecret: secret });
    try {
      const id = "org.acme.sum.1";
      await h.req("/wcp/workers", { method: "POST", json: record(id) });
      const computed = packageHashFromContents({ "code/a.py": "x = 1\n" });
      const base = buildManifest({
        packageHash: computed,
        workerId: id,
        workerSpeciesId: "wrk.doc.summarizer",
        workerVersion: "1",
      });
      const good = signManifestHmac(base, secret);
      const r1 = await j(
        await h.req(`/wcp/workers/${id}/attestation`, {
          method: "POST",
          json: { manifest: good, files: computed.files },
        }),
      );
      assert.equal(r1.verified, true);
      const wrong = signManifestHmac(base, "other");
      const r2 = await h.req(`/wcp/workers/${id}/attestation`, {
        method: "POST",
        json: { manifest: wrong, files: computed.files },
      });
      assert.equal(r2.status, 422);
    } finally {
      await h.stop();
    }
  },
});

hallTest(
  "ban list: report, confirm (admin), enforced at dispatch with a banned_hash alert",
  async (h) => {
    const bad = "sha256:" + "ab".repeat(32);
    await h.req("/wcp/workers/org.demo.summarizer.1/revoke", { method: "POST" });
    const rec = record("org.acme.sum.1", {
      attestation: { code_hash: bad, hash_method: "file" },
    });
    assert.equal((await h.req("/wcp/workers", { method: "POST", json: rec })).status, 201);
    const bob = (await h.grant("x.bob")).token;

    const invalid = await h.req("/wcp/ban-list/report", {
      method: "POST",
      token: bob,
      json: { sha256: "zz".repeat(32), reason: "x" },
    });
    assert.equal(err(await j(invalid)).path, "sha256");
    const rep = await h.req("/wcp/ban-list/report", {
      method: "POST",
      token: bob,
      json: { sha256: bad.slice(7).toUpperCase(), reason: "malware" },
    });
    assert.equal(rep.status, 201);
    assert.equal((await j(rep)).sha256, bad, "normalised");
    // Reported but unconfirmed: not enforced.
    assert.equal(
      (await j(await h.req("/wcp/route", { method: "POST", json: routeInput() }))).outcome,
      "DISPATCH",
    );
    assert.equal(
      (await h.req(`/wcp/ban-list/${bad}/confirm`, { method: "POST", token: bob })).status,
      403,
    );
    const conf = await h.req(`/wcp/ban-list/${bad}/confirm`, { method: "POST" });
    assert.equal(conf.status, 200);
    assert.equal((await j(conf)).status, "confirmed");
    assert.equal(
      (await h.req(`/wcp/ban-list/sha256:${"cd".repeat(32)}/confirm`, { method: "POST" })).status,
      404,
    );

    const d = await h.req("/wcp/dispatch", { method: "POST", json: routeInput() });
    assert.equal(d.status, 403);
    const dd = (await j(d)).decision as Record<string, unknown>;
    assert.equal(
      (dd.deny_reason_if_denied as Record<string, unknown>).code,
      "DENY_WORKER_BANNED",
    );
    for (let i = 0; i < 5; i++) {
      await h.req("/wcp/dispatch", { method: "POST", json: routeInput() });
    }
    const alerts = (await j(await h.req("/wcp/alerts"))).alerts as {
      kind: string;
      message: string;
    }[];
    assert.ok(alerts.some((a) => a.kind === "banned_hash"));
    assert.equal(
      alerts.filter((a) => a.message === "a banned worker hash was refused at dispatch").length,
      1,
      "repeated refusals of one worker raise one alert a minute, not one per request",
    );

    const listed = await j(await h.req("/wcp/ban-list?status=confirmed", { token: bob }));
    assert.equal(listed.count, 1);
    assert.equal((await h.req("/wcp/ban-list?status=odd")).status, 400);

    // Enrolling new code with a banned hash is refused.
    const again = record("org.acme.sum.2", { attestation: { code_hash: bad } });
    const ar = await h.req("/wcp/workers", { method: "POST", json: again });
    assert.equal(ar.status, 403);
    assert.equal(err(await j(ar)).code, "WORKER_BANNED");
  },
);

hallTest(
  "workers: a namespace token may register an endpoint on an origin the operator allowed",
  () => ({ workerOrigins: ["http://127.0.0.1:9000"] }),
  async (h) => {
    const token = (await h.grant("org.acme", "team")).token;
    const ok = record("org.acme.sum.1", { endpoint: "http://127.0.0.1:9000/run" });
    assert.equal((await h.req("/wcp/workers", { method: "POST", token, json: ok })).status, 201);
    const other = record("org.acme.sum.2", { endpoint: "http://127.0.0.1:9001/run" });
    assert.equal(
      (await h.req("/wcp/workers", { method: "POST", token, json: other })).status,
      403,
    );
    // Admins are trusted with any endpoint.
    assert.equal((await h.req("/wcp/workers", { method: "POST", json: other })).status, 201);
  },
);

hallTest("namespaces: concurrent enrolments cannot exceed the tier limit", async (h) => {
  await h.req("/wcp/tiers/two", {
    method: "PUT",
    json: { max_workers: 2, requests_per_minute: 1000 },
  });
  const token = (await h.grant("org.race", "two")).token;
  const results = await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => h.req("/wcp/workers", { method: "POST", token, json: record(`org.race.sum.${i}`) }),
    ),
  );
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 201, 403, 403, 403, 403, 403, 403]);
  assert.equal(await h.store.countActiveWorkers("org.race"), 2);
});
