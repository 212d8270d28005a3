// Workers are bound to the tenants they serve, and a namespace token sees only the workers it may
// use or owns (spec README decision 18).
import assert from "node:assert/strict";
import { recordHashJcs } from "../../src/registry/registry.ts";
import { DEMO_WORKERS } from "../../src/hall/bootstrap.ts";
import { hashToken } from "../../src/hall/middleware/auth.ts";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import type { WorkerCall } from "../../src/hall/worker_call.ts";
import {
  err,
  hallTest,
  j,
  routeInput,
  summarizerRecord,
  type TestHall,
  withHall,
} from "./_helpers.ts";

const record = summarizerRecord;

const SPY = "org.alpha.sum.1";

/** Two namespaces; the demo summarizer revoked, so alpha's summarizer is the only candidate. */
async function twoTenants(h: TestHall): Promise<{ alpha: string; beta: string }> {
  const alpha = (await h.grant("org.alpha")).token;
  const beta = (await h.grant("org.beta")).token;
  assert.equal(
    (await h.req("/wcp/workers/org.demo.summarizer.1/revoke", { method: "POST" })).status,
    200,
  );
  return { alpha, beta };
}

const seen: WorkerCall[] = [];
const spyWorkers = () => ({
  inProcessWorkers: {
    ...DEMO_WORKERS,
    [SPY]: (call: WorkerCall) => {
      seen.push(call);
      return { summary: "alpha's worker ran" };
    },
  },
});

hallTest(
  "tenants: a worker enrolled by org.alpha is never selected for org.beta (its body stays private)",
  spyWorkers,
  async (h) => {
    seen.length = 0;
    const { alpha, beta } = await twoTenants(h);
    const enrolled = await h.req("/wcp/workers", {
      method: "POST",
      token: alpha,
      json: record(SPY),
    });
    assert.equal(enrolled.status, 201);
    assert.deepEqual((await j(enrolled)).record.tenants, ["org.alpha"], "the hall binds it");

    const secret = { text: "beta's confidential text. Second." };
    const out = await h.req("/wcp/dispatch", {
      method: "POST",
      token: beta,
      json: routeInput({ tenant_id: "org.beta", request: secret }),
    });
    const body = await j(out);
    assert.equal(out.status, 403, JSON.stringify(body));
    assert.equal(body.decision.outcome, "DENY");
    assert.equal(body.decision.selected_worker_id, null);
    assert.ok(!JSON.stringify(body).includes(SPY), "beta never learns alpha's worker id");
    assert.equal(seen.length, 0, "alpha's worker never received beta's request");

    // Its own tenant is served.
    const own = await h.req("/wcp/dispatch", {
      method: "POST",
      token: alpha,
      json: routeInput({ tenant_id: "org.alpha" }),
    });
    assert.equal(own.status, 200);
    assert.equal((await j(own)).decision.selected_worker_id, SPY);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].tenant_id, "org.alpha");
  },
);

hallTest("tenants: a namespace token cannot widen tenants; an admin can", async (h) => {
  const { alpha } = await twoTenants(h);
  for (const tenants of [["org.beta"], ["*"], ["org.alpha", "org.beta"]]) {
    const r = await h.req("/wcp/workers", {
      method: "POST",
      token: alpha,
      json: record(SPY, { tenants }),
    });
    assert.equal(r.status, 403, JSON.stringify(tenants));
    const e = err(await j(r));
    assert.equal(e.code, "TENANTS_FORBIDDEN");
    assert.equal(e.path, "tenants");
  }
  const own = await h.req("/wcp/workers", {
    method: "POST",
    token: alpha,
    json: record(SPY, { tenants: ["org.alpha"] }),
  });
  assert.equal(own.status, 201);

  // PUT: omitted tenants keep the current value; widening is refused; the admin widens.
  const put = (token: string | undefined, extra: Record<string, unknown>) =>
    h.req(`/wcp/workers/${SPY}`, { method: "PUT", token, json: record(SPY, extra) });
  const kept = await put(alpha, { owner: "alpha" });
  assert.equal(kept.status, 200);
  assert.deepEqual((await j(kept)).record.tenants, ["org.alpha"]);
  const wider = await put(alpha, { tenants: ["*"] });
  assert.equal(wider.status, 403);
  assert.equal(err(await j(wider)).path, "tenants");
  const byAdmin = await put(undefined, { tenants: ["org.alpha", "org.beta"] });
  assert.equal(byAdmin.status, 200);
  // What the admin granted, the owner may keep or narrow, never widen further.
  assert.equal((await put(alpha, { tenants: ["org.alpha", "org.beta"] })).status, 200);
  assert.equal((await put(alpha, { tenants: ["org.beta"] })).status, 200);
  assert.equal((await put(alpha, { tenants: ["org.gamma"] })).status, 403);
  // An admin PUT without tenants keeps them too (widening to everyone is explicit: ["*"]).
  const adminKeeps = await put(undefined, { owner: "ops" });
  assert.deepEqual((await j(adminKeeps)).record.tenants, ["org.beta"]);
  // A worker an admin enrols without tenants serves everyone.
  const open = await h.req("/wcp/workers", { method: "POST", json: record("org.alpha.open.1") });
  assert.equal(open.status, 201);
  assert.equal((await j(open)).record.tenants, undefined);
});

Deno.test({
  name: "tenants: a worker a namespace token enrolled before tenant binding is bound at start",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const store = await openSqliteStore(":memory:");
    await store.migrate();
    const at = new Date().toISOString();
    await store.createToken({
      token_id: "tok_ns_alpha",
      token_hash: hashToken("wcp_legacy-alpha-token-0123456789abcdef0123456789"),
      role: "namespace",
      namespace: "org.alpha",
      label: "alpha",
      created_at: at,
      revoked_at: null,
    });
    const { artifact_hash: _h, ...rec } = record(SPY);
    const legacy = {
      worker_id: SPY,
      namespace: "org.alpha",
      record: { ...rec, artifact_hash: recordHashJcs(rec) } as never,
      status: "active" as const,
      current_hash: null,
      attestation: null,
      flagged: false,
      enrolled_by: "tok_ns_alpha",
      enrolled_at: at,
      updated_at: at,
    };
    await store.putWorker(legacy);
    await withHall({ store }, async (h) => {
      assert.deepEqual((await h.store.getWorker(SPY))?.record.tenants, ["org.alpha"]);
      const demo = await h.store.getWorker("org.demo.summarizer.1");
      assert.equal(demo?.record.tenants, undefined, "the bootstrap's workers serve everyone");
      await h.req("/wcp/workers/org.demo.summarizer.1/revoke", { method: "POST" });
      const d = await j(
        await h.req("/wcp/route", { method: "POST", json: routeInput({ tenant_id: "org.beta" }) }),
      );
      assert.equal(d.outcome, "DENY");
      assert.equal(d.selected_worker_id, null);
    });
  },
});

hallTest("scope: a namespace token lists and reads only workers it owns or may use", async (h) => {
  const alpha = (await h.grant("org.alpha")).token;
  const beta = (await h.grant("org.beta")).token;
  const key = "ed25519:" + "ab".repeat(32);
  const enrolled = await h.req("/wcp/workers", {
    method: "POST",
    token: alpha,
    json: record(SPY, { public_keys: { [key]: "A".repeat(43) + "=" }, owner: "alpha-secret" }),
  });
  assert.equal(enrolled.status, 201, JSON.stringify(await j(enrolled.clone())));

  // Beta's list: its own (none) and the demo workers that serve everyone, in the shared view.
  const list = await j(await h.req("/wcp/workers", { token: beta }));
  const ids = (list.workers as { worker_id: string }[]).map((w) => w.worker_id).sort();
  assert.deepEqual(ids, ["org.demo.greeter.1", "org.demo.notifier.1", "org.demo.summarizer.1"]);
  assert.equal(list.count, 3);
  for (const w of list.workers) assert.equal(w.record, undefined, "a page row has no record");
  const full = await j(await h.req("/wcp/workers?detail=full", { token: beta }));
  assert.equal(full.count, 3);
  for (const w of full.workers) {
    assert.equal(w.view, "shared");
    assert.equal(w.flagged, null);
    assert.equal(w.record.owner, undefined, "no contact details of another namespace");
    assert.equal(w.record.artifact_hash, undefined);
  }
  assert.equal(
    (await j(await h.req("/wcp/workers?namespace=org.alpha", { token: beta }))).count,
    0,
  );

  // Alpha's worker is unknown to beta, exactly like a worker that does not exist.
  const hidden = await h.req(`/wcp/workers/${SPY}`, { token: beta });
  const unknown = await h.req("/wcp/workers/org.alpha.nothing.9", { token: beta });
  assert.equal(hidden.status, 404);
  assert.deepEqual(await j(hidden), await j(unknown));
  const hiddenAtt = await h.req(`/wcp/workers/${SPY}/attestation`, { token: beta });
  const unknownAtt = await h.req("/wcp/workers/org.alpha.nothing.9/attestation", { token: beta });
  assert.equal(hiddenAtt.status, 404);
  assert.deepEqual(await j(hiddenAtt), await j(unknownAtt));
  // Attestation history is the owner's even for a worker beta may use.
  assert.equal(
    (await h.req("/wcp/workers/org.demo.summarizer.1/attestation", { token: beta })).status,
    404,
  );
  const shared = await j(await h.req("/wcp/workers/org.demo.summarizer.1", { token: beta }));
  assert.equal(shared.view, "shared");
  assert.deepEqual(shared.record.capabilities, ["cap.doc.summarize"]);

  const caps = await j(await h.req("/wcp/capabilities", { token: beta }));
  const summarize = (c: { capabilities: { capability_id: string; worker_count: number }[] }) =>
    c.capabilities.find((x) => x.capability_id === "cap.doc.summarize")?.worker_count;
  assert.equal(summarize(caps), 1, "capabilities leave alpha's worker out");
  const serving = await j(
    await h.req("/wcp/workers?capability=cap.doc.summarize&detail=full", { token: beta }),
  );
  assert.ok(!JSON.stringify(serving).includes(SPY), "so do the workers serving one");

  // The owner and admins see everything.
  const mine = await j(await h.req(`/wcp/workers/${SPY}`, { token: alpha }));
  assert.equal(mine.view, "full");
  assert.equal(mine.record.owner, "alpha-secret");
  assert.ok(mine.record.public_keys[key]);
  assert.equal((await h.req(`/wcp/workers/${SPY}/attestation`, { token: alpha })).status, 200);
  const all = await j(await h.req("/wcp/workers"));
  assert.equal(all.count, 4);
  const alphaCaps = await j(await h.req("/wcp/capabilities", { token: alpha }));
  assert.equal(summarize(alphaCaps), 2);
  const alphaServing = await j(
    await h.req("/wcp/workers?capability=cap.doc.summarize", { token: alpha }),
  );
  assert.ok(JSON.stringify(alphaServing).includes(SPY));

  // Once an admin lets it serve beta, beta may use it and sees it, shared, without its keys.
  const widened = await h.req(`/wcp/workers/${SPY}`, {
    method: "PUT",
    json: record(SPY, {
      public_keys: { [key]: "A".repeat(43) + "=" },
      owner: "alpha-secret",
      tenants: ["org.alpha", "org.beta"],
    }),
  });
  assert.equal(widened.status, 200);
  const now = await j(await h.req(`/wcp/workers/${SPY}`, { token: beta }));
  assert.equal(now.view, "shared");
  assert.equal(now.record.public_keys, undefined);
  assert.equal(now.record.tenants, undefined, "another tenant's ids are not shown");
  assert.equal(now.record.owner, undefined);
});

hallTest(
  "scope: a namespace token's event stream has no worker event of another namespace",
  async (h) => {
    const alpha = (await h.grant("org.alpha")).token;
    const beta = (await h.grant("org.beta")).token;
    const ac = new AbortController();
    const res = await h.req("/wcp/events?events=worker", { token: beta, signal: ac.signal });
    assert.equal(res.status, 200);
    // Alpha enrols and attests (events about its worker), then beta enrols its own.
    assert.equal(
      (await h.req("/wcp/workers", { method: "POST", token: alpha, json: record(SPY) })).status,
      201,
    );
    await h.req(`/wcp/workers/${SPY}/revoke`, { method: "POST", token: alpha });
    const mine = "org.beta.sum.1";
    assert.equal(
      (await h.req("/wcp/workers", { method: "POST", token: beta, json: record(mine) })).status,
      201,
    );
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes(mine)) text += (await reader.read()).value ?? "";
    ac.abort();
    await reader.cancel().catch(() => {});
    assert.ok(!text.includes(SPY), "alpha's worker events never reach beta");
  },
);
