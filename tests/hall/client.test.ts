// HallClient against the app (fetch bridged to app.request) and against scripted responses.
import assert from "node:assert/strict";
import { HallClient, HallError } from "../../src/client/mod.ts";
import { ADMIN, APPROVER, routeInput, testHall } from "./_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function bridged(
  h: { app: { request: (r: Request) => Response | Promise<Response> } },
): typeof fetch {
  return (input, init) => Promise.resolve(h.app.request(new Request(input, init)));
}

Deno.test({
  name: "client: typed calls cover route, dispatch, approvals, receipts, alerts, workers",
  ...opts,
  fn: async () => {
    const h = await testHall();
    try {
      const c = new HallClient({ baseUrl: "http://localhost/", token: ADMIN, fetch: bridged(h) });
      assert.equal((await c.health()).status, "ok");
      assert.equal((await c.capabilities()).length, 3);
      assert.equal((await c.workers()).length, 3);
      assert.equal((await c.worker("org.demo.greeter.1")).status, "active");
      const d = await c.route(routeInput());
      assert.equal(d.outcome, "DISPATCH");
      const out = await c.dispatch(routeInput());
      assert.equal(out.receipt?.seq, 0);
      const denied = await c.dispatch(routeInput({ capability_id: "cap.none.x" }));
      assert.equal(denied.decision.outcome, "DENY", "a denial is an answer, not an error");
      const held = await c.dispatch(routeInput({ capability_id: "cap.msg.notify" }));
      assert.equal(held.decision.outcome, "STEWARD_HOLD");
      const pending = await c.pendingApprovals();
      assert.equal(pending.length, 1);
      const id = pending[0].approval_id;
      assert.equal((await c.approval(id)).status, "pending");
      assert.equal((await c.escalateApproval(id, "urgent")).supervisor_level, "executor");
      // The token that raised the hold cannot resolve it; another admin (the approver) does.
      const self = await c.resolveApproval(id, "approve", "mine").catch((e) => e);
      assert.ok(self instanceof HallError);
      assert.equal(self.status, 403);
      assert.equal(self.code, "APPROVER_IS_REQUESTER");
      const approver = new HallClient({
        baseUrl: "http://localhost/",
        token: APPROVER,
        fetch: bridged(h),
      });
      const approved = await approver.resolveApproval(id, "approve", "ok");
      assert.equal(approved.status, "approved");
      assert.equal(approved.requested_by?.label, "admin (WCP_ADMIN_TOKEN)");
      assert.equal(approved.resolved_by?.label, "approver (tests)");
      const run = await c.dispatchApproved(id);
      assert.equal(run.receipt?.approval_id, id);
      assert.deepEqual(run.receipt?.approval, {
        approval_id: id,
        resolved_by: approved.resolved_by,
        note: "ok",
        resolved_at: approved.resolved_at,
      });
      const twice = await c.dispatchApproved(id).catch((e) => e);
      assert.ok(twice instanceof HallError);
      assert.equal(twice.status, 409);
      assert.equal(twice.code, "APPROVAL_CONSUMED");

      assert.equal((await c.receipts({ tenant_id: "acme" })).length, 2);
      const v = await c.verifyChain("acme");
      assert.equal(v.ok, true);
      assert.equal(v.tenants[0].count, 2);
      assert.equal((await c.checkpoint("acme")).tree_size, 2);
      const { verifyReceiptInclusion } = await import("../../src/receipts/checkpoint.ts");
      const first = (await c.receipts({ tenant_id: "acme" }))[0];
      const pr = await c.receiptProof("acme", first.receipt_id);
      const keys = (await (await bridged(h)("http://localhost/wcp/receipts/key", {
        headers: { authorization: `Bearer ${ADMIN}` },
      })).json()).keys;
      assert.equal(
        (await verifyReceiptInclusion(pr.receipt, pr.proof, pr.checkpoint, keys)).ok,
        true,
      );
      const tel = await c.telemetry({ decision_id: d.decision_id });
      assert.ok(tel.count >= 3);

      const report = await c.reportBan({ sha256: "sha256:" + "1".repeat(64), reason: "bad" });
      assert.equal(report.status, "reported");
      assert.equal((await c.confirmBan(report.sha256)).status, "confirmed");
      assert.equal((await c.banList({ status: "confirmed" })).length, 1);

      const grant = await c.createNamespace({ namespace: "x.bob", tier: "free", owner: "bob" });
      const bob = new HallClient({
        baseUrl: "http://localhost",
        token: grant.token,
        fetch: bridged(h),
      });
      const { recordHashJcs } = await import("../../src/registry/registry.ts");
      const rec: Record<string, unknown> = {
        worker_id: "x.bob.greeter.1",
        worker_species_id: "wrk.hello.greeter",
        capabilities: ["cap.hello.greet"],
      };
      rec.artifact_hash = recordHashJcs(rec);
      assert.equal((await bob.enroll(rec)).worker_id, "x.bob.greeter.1");
      const { artifact_hash: _old, ...base } = rec;
      const upd: Record<string, unknown> = { ...base, owner: "bob" };
      upd.artifact_hash = recordHashJcs(upd);
      assert.equal((await bob.updateWorker("x.bob.greeter.1", upd)).record.owner, "bob");
      const foreign = await bob.revokeWorker("org.demo.greeter.1").catch((e) => e);
      assert.equal(foreign.code, "NAMESPACE_FORBIDDEN");
      assert.equal(foreign.path, "worker_id");
      assert.equal((await bob.revokeWorker("x.bob.greeter.1")).status, "revoked");
      const att = await c.submitAttestation("org.demo.greeter.1", { manifest: {}, files: [] });
      assert.equal(att.verified, false);

      await h.hall.alert("other", 2, "x", "y");
      const alerts = await c.alerts({ open: true });
      assert.equal((await c.acknowledgeAlert(alerts[0].alert_id)).acknowledged_by !== null, true);
      const one = { rules: [h.hall.rules.rules[0]] };
      const reloaded = await c.reloadRules(one);
      assert.equal(reloaded.rule_count, 1);
      const empty = await c.reloadRules({ rules: [] }).catch((e) => e);
      assert.equal(empty.code, "RULES_EMPTY");
      const badRules = await c.reloadRules({ rules: [{}] }).catch((e) => e);
      assert.equal(badRules.status, 422);
      assert.equal(badRules.code, "RULES_INVALID");
    } finally {
      await h.stop();
    }
  },
});

Deno.test({
  name: "client: events() reads the SSE stream with the bearer header",
  ...opts,
  fn: async () => {
    const h = await testHall();
    try {
      const c = new HallClient({ baseUrl: "http://localhost", token: ADMIN, fetch: bridged(h) });
      const ac = new AbortController();
      const seen: string[] = [];
      const reading = (async () => {
        for await (const e of c.events({ signal: ac.signal, events: ["decision"] })) {
          seen.push(e.event);
          if (e.event === "ready") await c.route(routeInput());
          if (e.event === "decision") {
            assert.equal(e.data.outcome, "DISPATCH");
            ac.abort();
          }
        }
      })();
      await reading;
      assert.deepEqual(seen, ["ready", "decision"]);
      const anon = new HallClient({ baseUrl: "http://localhost", fetch: bridged(h) });
      const e = await (async () => {
        try {
          for await (const _ of anon.events()) break;
        } catch (err) {
          return err;
        }
      })();
      assert.ok(e instanceof HallError);
      assert.equal(e.status, 401);
    } finally {
      await h.stop();
    }
  },
});

Deno.test("client: retries honour Retry-After, are bounded, and surface typed errors", async () => {
  const calls: { at: number; method: string }[] = [];
  let script: Response[] = [];
  const fake: typeof fetch = (_input, init) => {
    calls.push({ at: Date.now(), method: init?.method ?? "GET" });
    return Promise.resolve(script.shift() ?? new Response("{}", { status: 500 }));
  };
  const limited = () =>
    Response.json({ error: { code: "RATE_LIMITED", message: "slow" } }, {
      status: 429,
      headers: { "retry-after": "1" },
    });
  const c = new HallClient({ baseUrl: "http://hall", token: "wcp_x", fetch: fake, retries: 2 });

  script = [limited(), Response.json({ outcome: "DISPATCH" })];
  const t0 = Date.now();
  const d = await c.route(routeInput());
  assert.equal(d.outcome, "DISPATCH");
  assert.equal(calls.length, 2);
  assert.ok(calls[1].at - t0 >= 950, "waited for Retry-After");

  calls.length = 0;
  script = [limited(), limited(), limited(), limited()];
  const e = await c.route(routeInput()).catch((x) => x);
  assert.ok(e instanceof HallError);
  assert.equal(e.status, 429);
  assert.equal(e.code, "RATE_LIMITED");
  assert.equal(e.retryAfterSeconds, 1);
  assert.equal(calls.length, 3, "first attempt + 2 retries, then give up");

  // A Retry-After longer than the cap fails at once instead of hanging.
  calls.length = 0;
  const impatient = new HallClient({ baseUrl: "http://hall", fetch: fake, maxRetryAfterMs: 500 });
  script = [limited()];
  assert.equal((await impatient.route({}).catch((x) => x)).status, 429);
  assert.equal(calls.length, 1);

  // 503 is retried for GET only; POST errors are not replayed.
  calls.length = 0;
  script = [new Response("{}", { status: 503 }), Response.json({ status: "ok" })];
  assert.equal((await c.health()).status, "ok");
  assert.equal(calls.length, 2);
  calls.length = 0;
  script = [Response.json({ error: { code: "X" } }, { status: 503 })];
  assert.equal((await c.route({}).catch((x) => x)).code, "X");
  assert.equal(calls.length, 1);

  // Field errors carry the path; non-JSON answers are BAD_RESPONSE.
  script = [
    Response.json({ error: { code: "INVALID_BODY", message: "m", path: "tier" } }, { status: 400 }),
  ];
  const pe = await c.route({}).catch((x) => x);
  assert.equal(pe.path, "tier");
  script = [new Response("<html>", { status: 200 })];
  assert.equal((await c.route({}).catch((x) => x)).code, "BAD_RESPONSE");
});

Deno.test("client: timeouts and network failures are HallErrors with status 0", async () => {
  const hang: typeof fetch = (_i, init) =>
    new Promise((_, reject) => {
      if (init?.signal?.aborted) return reject(init.signal.reason);
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
    });
  const c = new HallClient({ baseUrl: "http://hall", fetch: hang, timeoutMs: 50, retries: 0 });
  const e = await c.route({}).catch((x) => x);
  assert.ok(e instanceof HallError);
  assert.equal(e.status, 0);
  assert.equal(e.code, "TIMEOUT");
  const down = new HallClient({
    baseUrl: "http://127.0.0.1:9",
    retries: 1,
    timeoutMs: 2000,
  });
  const n = await down.health().catch((x) => x);
  assert.equal(n.code, "NETWORK");
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(() => c.route({}, { signal: ac.signal }));
});
