// Route, dispatch, receipts, approvals, worker chains: through app.request().
import assert from "node:assert/strict";
import {
  APPROVER,
  HALL_TEST,
  hallTest,
  j,
  routeInput,
  type TestHall,
  testHall,
  withHall,
} from "./_helpers.ts";

hallTest("route: decides without executing, dry_run honoured, telemetry stored", async (h) => {
  const input = routeInput();
  const res = await h.req("/wcp/route", { method: "POST", json: input });
  assert.equal(res.status, 200);
  const d = await j(res);
  assert.equal(d.outcome, "DISPATCH");
  assert.equal(d.selected_worker_id, "org.demo.summarizer.1");
  assert.equal(d.correlation_id, input.correlation_id);
  // No receipt: route never executes.
  assert.equal((await h.store.counts()).receipts, 0);

  const dry = await j(
    await h.req("/wcp/dispatch", { method: "POST", json: { ...routeInput(), dry_run: true } }),
  );
  assert.equal((dry.decision as Record<string, unknown>).dry_run, true);
  assert.equal(dry.receipt, undefined);
  assert.equal((await h.store.counts()).receipts, 0, "a dry run executes nothing");

  const tel = await j(await h.req(`/wcp/telemetry?decision_id=${d.decision_id}`));
  const ids = (tel.events as { event_id: string }[]).map((e) => e.event_id);
  assert.ok(ids.includes("evt.os.task.routed"));
  assert.ok(ids.includes("evt.os.worker.selected"));
  assert.ok(ids.includes("evt.os.policy.gated"));
  const byCorr = await j(await h.req(`/wcp/telemetry?correlation_id=${input.correlation_id}`));
  assert.equal(byCorr.count, ids.length);
});

hallTest(
  "route: invalid input is a 400 naming the field (and still a recorded decision)",
  async (h) => {
    const res = await h.req("/wcp/route", {
      method: "POST",
      json: routeInput({ env: "production" }),
    });
    assert.equal(res.status, 400);
    const e = (await j(res)).error as Record<string, unknown>;
    assert.equal(e.code, "DENY_INVALID_INPUT");
    assert.equal(e.path, "env");
    assert.equal((e.decision as Record<string, unknown>).outcome, "DENY");
    const notObject = await h.req("/wcp/route", { method: "POST", json: [1, 2] });
    assert.equal(notObject.status, 400);
    assert.equal(((await j(notObject)).error as Record<string, unknown>).code, "INVALID_BODY");
  },
);

hallTest(
  "dispatch: runs the worker, returns the result and a signed receipt chained per tenant",
  async (h) => {
    const receipts = [];
    for (const tenant of ["acme", "acme", "beta", "acme"]) {
      const res = await h.req("/wcp/dispatch", {
        method: "POST",
        json: routeInput({ tenant_id: tenant }),
      });
      assert.equal(res.status, 200);
      const out = await j(res);
      assert.deepEqual(out.result, { summary: "Hello world.", words: 4 });
      receipts.push(out.receipt as Record<string, unknown>);
    }
    const acme = receipts.filter((r) => r.tenant_id === "acme");
    assert.deepEqual(acme.map((r) => r.seq), [0, 1, 2]);
    assert.equal(acme[0].prev_receipt_hash, null);
    assert.equal(acme[1].prev_receipt_hash, acme[0].receipt_hash);
    assert.equal(acme[2].prev_receipt_hash, acme[1].receipt_hash);
    assert.equal(receipts[2].seq, 0, "beta has its own chain");
    const r0 = acme[0];
    assert.equal(r0.worker_id, "org.demo.summarizer.1");
    assert.equal(r0.capability_id, "cap.doc.summarize");
    assert.equal(r0.policy_decision, "ALLOW");
    assert.deepEqual(r0.controls_verified, ["ctrl.obs.audit-log-append-only"]);
    assert.match(String(r0.artifact_hash), /^sha256:[0-9a-f]{64}$/);
    assert.match(String(r0.signature), /^[0-9a-f]{128}$/);
    assert.equal(r0.execution_status, "succeeded");

    // Query by tenant, correlation id and time.
    const q1 = await j(await h.req("/wcp/receipts?tenant_id=acme"));
    assert.equal(q1.count, 3);
    const q2 = await j(await h.req(`/wcp/receipts?correlation_id=${receipts[1].correlation_id}`));
    assert.equal(q2.count, 1);
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.equal((await j(await h.req(`/wcp/receipts?since=${future}`))).count, 0);
    assert.equal((await j(await h.req(`/wcp/receipts?until=${future}&limit=2`))).count, 2);
    const badQ = await h.req("/wcp/receipts?since=yesterday");
    assert.equal(badQ.status, 400);
    assert.equal(((await j(badQ)).error as Record<string, unknown>).path, "since");
    assert.deepEqual((await j(await h.req("/wcp/receipts/tenants"))).tenants, ["acme", "beta"]);

    // Verify chains and sign a checkpoint.
    const v = await j(await h.req("/wcp/receipts/verify"));
    assert.equal(v.ok, true);
    assert.equal((v.tenants as unknown[]).length, 2);
    const cp = await h.req("/wcp/receipts/checkpoint", {
      method: "POST",
      json: { tenant_id: "acme" },
    });
    assert.equal(cp.status, 201);
    const cpBody = await j(cp);
    assert.equal(cpBody.tree_size, 3);
    assert.match(String(cpBody.root), /^sha256:/);
    const cps = await j(await h.req("/wcp/receipts/checkpoints?tenant_id=acme"));
    assert.equal(cps.count, 1);
    const none = await h.req("/wcp/receipts/checkpoint", {
      method: "POST",
      json: { tenant_id: "nobody" },
    });
    assert.equal(none.status, 404);
    // Inclusion proof of receipt 1 against the stored checkpoint, verified independently.
    const { verifyReceiptInclusion } = await import("../../src/receipts/checkpoint.ts");
    const pr = await j(
      await h.req(`/wcp/receipts/proof?tenant_id=acme&receipt_id=${acme[1].receipt_id}`),
    );
    const inc = await verifyReceiptInclusion(
      pr.receipt,
      pr.proof as never,
      pr.checkpoint as never,
      h.hall.receipts.trusted,
    );
    assert.equal(inc.ok, true, JSON.stringify(inc));
    const forgedInc = await verifyReceiptInclusion(
      { ...(pr.receipt as object), worker_id: "org.evil.x.1" },
      pr.proof as never,
      pr.checkpoint as never,
      h.hall.receipts.trusted,
    );
    assert.equal(forgedInc.ok, false);
    assert.equal((await h.req("/wcp/receipts/proof?tenant_id=acme&receipt_id=nope")).status, 404);
    assert.equal((await h.req("/wcp/receipts/proof?tenant_id=acme")).status, 400);
    const key = await j(await h.req("/wcp/receipts/key"));
    assert.equal((key.keys as { key_id: string }[])[0].key_id, v.key_id);
  },
);

hallTest(
  "receipts: a tampered stored receipt makes verify fail and raises a chain_break alert",
  async (h) => {
    for (let i = 0; i < 3; i++) {
      await h.req("/wcp/dispatch", { method: "POST", json: routeInput() });
    }
    // Rewrite receipt 1 as an attacker with database access would.
    const chain = await h.store.tenantChain("acme");
    const tampered = { ...chain[1].receipt, worker_id: "org.evil.worker.1" };
    const forged = chain.map((r) => r.receipt);
    forged[1] = tampered;
    const { verifyReceiptChain } = await import("../../src/receipts/chain.ts");
    const report = await verifyReceiptChain(forged, { keys: h.hall.receipts.trusted });
    assert.equal(report.ok, false, "the receipts module detects the forged receipt");
    // And through the API: point verify at a store that serves the forged chain.
    const orig = h.store.tenantChain.bind(h.store);
    h.store.tenantChain = async (t, o) =>
      (await orig(t, o)).map((r, i) => i === 1 ? { ...r, receipt: tampered } : r);
    const v = await j(await h.req("/wcp/receipts/verify?tenant_id=acme"));
    assert.equal(v.ok, false);
    const alerts = await j(await h.req("/wcp/alerts?open=true"));
    const a = (alerts.alerts as { kind: string; severity: number; subject: string }[])[0];
    assert.equal(a.kind, "chain_break");
    assert.equal(a.severity, 1);
    assert.equal(a.subject, "acme");
  },
);

hallTest("dispatch: a denial is 403 with the decision, nothing executes", async (h) => {
  const res = await h.req("/wcp/dispatch", {
    method: "POST",
    json: routeInput({ capability_id: "cap.unknown.thing" }),
  });
  assert.equal(res.status, 403);
  const d = (await j(res)).decision as Record<string, unknown>;
  assert.equal(d.outcome, "DENY");
  assert.equal(
    (d.deny_reason_if_denied as Record<string, unknown>).code,
    "DENY_NO_MATCHING_RULE",
  );
  assert.equal((await h.store.counts()).receipts, 0);
});

hallTest("approvals: hold, list pending, approve, dispatch exactly once", async (h) => {
  const held = await h.req("/wcp/dispatch", {
    method: "POST",
    json: routeInput({
      capability_id: "cap.msg.notify",
      request: { to: "ops", message: "hi" },
    }),
  });
  assert.equal(held.status, 202);
  const hb = await j(held);
  const d = hb.decision as Record<string, unknown>;
  assert.equal(d.outcome, "STEWARD_HOLD");
  assert.equal(d.supervisor_level, "gatekeeper");
  const id = String(hb.approval_id);
  assert.equal(id, d.pending_approval_id);
  assert.equal((await h.store.counts()).receipts, 0, "a hold executes nothing");

  const pending = await j(await h.req("/wcp/approvals/pending"));
  assert.deepEqual((pending.approvals as { approval_id: string }[]).map((a) => a.approval_id), [
    id,
  ]);
  const one = await j(await h.req(`/wcp/approvals/${id}`));
  assert.equal(one.status, "pending");

  // Not approved yet: cannot be dispatched.
  const early = await h.req("/wcp/dispatch", { method: "POST", json: { approval_id: id } });
  assert.equal(early.status, 409);
  assert.equal(
    ((await j(early)).error as Record<string, unknown>).code,
    "APPROVAL_NOT_APPROVED",
  );

  const bad = await h.req(`/wcp/approvals/${id}/resolve`, {
    method: "POST",
    json: { decision: "maybe" },
  });
  assert.equal(bad.status, 400);
  assert.equal(((await j(bad)).error as Record<string, unknown>).path, "decision");

  const ok = await h.req(`/wcp/approvals/${id}/resolve`, {
    method: "POST",
    token: APPROVER,
    json: { decision: "approve", note: "fine" },
  });
  assert.equal(ok.status, 200);
  assert.equal((await j(ok)).status, "approved");
  const again = await h.resolve(id, "deny");
  assert.equal(again.status, 409);

  const [a, b] = await Promise.all([
    h.req("/wcp/dispatch", { method: "POST", json: { approval_id: id } }),
    h.req("/wcp/dispatch", { method: "POST", json: { approval_id: id } }),
  ]);
  const statuses = [a.status, b.status].sort();
  assert.deepEqual(statuses, [200, 409], "exactly one dispatch of an approved request");
  const winner = await j(a.status === 200 ? a : b);
  assert.deepEqual(winner.result, { delivered: true, to: "ops", message: "hi" });
  const receipt = winner.receipt as Record<string, unknown>;
  assert.equal(receipt.policy_decision, `APPROVED:${id}`);
  assert.equal(receipt.approval_id, id);
  const loser = await j(a.status === 200 ? b : a);
  assert.equal((loser.error as Record<string, unknown>).code, "APPROVAL_CONSUMED");
  assert.equal((await j(await h.req(`/wcp/approvals/${id}`))).status, "consumed");
  const listed = await j(await h.req("/wcp/approvals?status=consumed"));
  assert.equal(listed.count, 1);
  assert.equal((await h.req("/wcp/approvals?status=weird")).status, 400);
  assert.equal(
    (await h.req("/wcp/dispatch", { method: "POST", json: { approval_id: "nope" } })).status,
    404,
  );
});

/** A hall test whose clock only the test moves (`clock.ms += …`); approvals live 60 s. */
function approvalClockTest(
  name: string,
  fn: (h: TestHall, clock: { ms: number }) => Promise<void>,
): void {
  Deno.test({
    name,
    ...HALL_TEST,
    fn: async () => {
      const clock = { ms: Date.parse("2026-12-01T20:00:00.000Z") };
      const over = { now: () => clock.ms, config: { approval_ttl_seconds: 60 } };
      await withHall(over, (h) => fn(h, clock));
    },
  });
}

approvalClockTest("approvals: deny, escalate one level at a time, expiry", async (h, clock) => {
  const a1 = await h.hold();
  const a2 = await h.hold();
  const a3 = await h.hold();
  const denied = await j(await h.resolve(a1, "deny"));
  assert.equal(denied.status, "denied");
  assert.equal(
    (await h.req("/wcp/dispatch", { method: "POST", json: { approval_id: a1 } })).status,
    409,
    "a denied request is never dispatched",
  );

  clock.ms += 50_000;
  const esc = await j(
    await h.req(`/wcp/approvals/${a2}/escalate`, { method: "POST", json: { note: "sev" } }),
  );
  // The ladder: gatekeeper (the example rule's level) -> executor -> incident_commander.
  assert.equal(esc.supervisor_level, "executor");
  assert.equal(esc.escalations, 1);
  const top = await j(await h.req(`/wcp/approvals/${a2}/escalate`, { method: "POST", json: {} }));
  assert.equal(top.supervisor_level, "incident_commander");
  assert.equal(top.escalations, 2);
  const over = await h.req(`/wcp/approvals/${a2}/escalate`, { method: "POST", json: {} });
  assert.equal(over.status, 409);
  const overError = (await j(over)).error as Record<string, unknown>;
  assert.equal(overError.code, "APPROVAL_ESCALATION_EXHAUSTED");
  assert.deepEqual(overError.path, "id", "the route parameter is named");

  clock.ms += 20_000; // a3 is past its 60 s; a2 got a fresh 60 s at escalation
  const pending = await j(await h.req("/wcp/approvals/pending"));
  assert.deepEqual((pending.approvals as { approval_id: string }[]).map((a) => a.approval_id), [
    a2,
  ]);
  const late = await h.resolve(a3, "approve");
  assert.equal(late.status, 410);
  const lateError = (await j(late)).error as Record<string, unknown>;
  assert.equal(lateError.code, "APPROVAL_EXPIRED");
  assert.equal(lateError.path, "id");
  assert.equal((await h.resolve("unknown", "approve")).status, 404);
});

approvalClockTest(
  "approvals: an approved request not dispatched within the TTL (from approval) expires",
  async (h, clock) => {
    const approve = async (id: string) => await j(await h.resolve(id, "approve"));
    const a1 = await h.hold();
    const a2 = await h.hold();
    clock.ms += 50_000; // approved late in the pending window: the dispatch window starts now
    const ok1 = await approve(a1);
    assert.equal(ok1.status, "approved");
    assert.equal(ok1.expires_at, new Date(clock.ms + 60_000).toISOString());
    await approve(a2);

    clock.ms += 30_000; // 80 s after the hold, 30 s after approval: still dispatchable
    const run = await h.req("/wcp/dispatch", { method: "POST", json: { approval_id: a1 } });
    assert.equal(run.status, 200);

    clock.ms += 31_000; // a2: 61 s after its approval, never dispatched
    const late = await h.req("/wcp/dispatch", { method: "POST", json: { approval_id: a2 } });
    assert.equal(late.status, 410);
    assert.equal(((await j(late)).error as Record<string, unknown>).code, "APPROVAL_EXPIRED");
    const row = await j(await h.req(`/wcp/approvals/${a2}`));
    assert.equal(row.status, "expired");
    assert.equal(row.resolved_by !== null, true, "who approved it stays on record");
    const expired = await j(await h.req("/wcp/approvals?status=expired"));
    assert.deepEqual(
      (expired.approvals as { approval_id: string }[]).map((a) => a.approval_id),
      [a2],
    );
    assert.equal((await h.store.getApproval(a1))?.status, "consumed");
    assert.equal(
      (await h.req("/wcp/receipts?limit=100").then(j).then((b) => b.receipts as unknown[]))
        .length,
      1,
      "only the dispatched approval produced a receipt",
    );
  },
);

approvalClockTest(
  "approvals: the sweep expires approved-undispatched requests without a dispatch attempt",
  async (h, clock) => {
    const id = await h.hold();
    await h.resolve(id, "approve");
    const seen: unknown[] = [];
    const unsubscribe = h.hall.events.subscribe((e) => {
      if (e.event === "approval") seen.push(e.data);
    });
    clock.ms += 60_000;
    const expired = await h.hall.expireApprovals();
    assert.deepEqual(expired.map((a) => a.approval_id), [id]);
    assert.equal(expired[0].status, "expired");
    unsubscribe();
    assert.ok(
      seen.some((e) => (e as Record<string, unknown>).change === "expired"),
      "an approval event tells the dashboard",
    );
  },
);

hallTest("approvals: a namespace token cannot list or resolve", async (h) => {
  const ns = await h.grant();
  const r = await h.req("/wcp/approvals/pending", { token: String(ns.token) });
  assert.equal(r.status, 403);
  assert.equal(((await j(r)).error as Record<string, unknown>).code, "FORBIDDEN");
});

const CHAIN_RULES = {
  rules: [{
    rule_id: "chain.heavy",
    match: { capability_id: "cap.data.export" },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: "wrk.data.exporter" }],
      max_blast_by_env: { dev: 8 },
    },
  }, {
    rule_id: "chain.held",
    match: { capability_id: "cap.data.sync" },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: "wrk.data.syncer" }],
      max_blast_by_env: { dev: 8 },
      escalation: { hold_over_cap: true },
    },
  }],
};

Deno.test({
  name: "worker chains: the parent's chain total counts; over the cap a chain is denied or held",
  ...HALL_TEST,
  fn: async () => {
    const { recordHashJcs } = await import("../../src/registry/registry.ts");
    const h = await testHall({
      rules: CHAIN_RULES,
      inProcessWorkers: {
        "org.acme.exporter.1": async (call, ctx) => ({
          exported: true,
          // A worker asking the hall for a sub-capability: the hall adds the chain.
          sub: call.request.sub ? await ctx.sub({ ...(call.request.sub as object) }) : null,
        }),
      },
    });
    try {
      for (
        const [id, species, cap] of [
          ["org.acme.exporter.1", "wrk.data.exporter", "cap.data.export"],
          ["org.acme.syncer.1", "wrk.data.syncer", "cap.data.sync"],
        ]
      ) {
        const rec: Record<string, unknown> = {
          worker_id: id,
          worker_species_id: species,
          capabilities: [cap],
          blast_radius: { data: 3, network: 1, financial: 0, time: 1, reversibility: "reversible" },
        };
        rec.artifact_hash = recordHashJcs(rec);
        assert.equal((await h.req("/wcp/workers", { method: "POST", json: rec })).status, 201);
      }
      const parent = await j(
        await h.req("/wcp/dispatch", {
          method: "POST",
          json: routeInput({ capability_id: "cap.data.export", request: {} }),
        }),
      );
      const pd = parent.decision as Record<string, unknown>;
      assert.equal(pd.outcome, "DISPATCH");
      assert.equal(pd.blast_dimensions_score, 5);
      assert.equal(pd.chain_blast_score, 5);

      // Child: 5 (parent) + 5 (own) = 10 > cap 8 -> denied.
      const child = await h.req("/wcp/route", {
        method: "POST",
        json: routeInput({ capability_id: "cap.data.export", parent_decision_id: pd.decision_id }),
      });
      const cd = await j(child);
      assert.equal(cd.outcome, "DENY");
      assert.equal(
        (cd.deny_reason_if_denied as Record<string, unknown>).code,
        "DENY_BLAST_OVER_CAP",
      );

      // Same with a rule that holds over the cap: held for a human, chain total reported.
      const held = await j(
        await h.req("/wcp/route", {
          method: "POST",
          json: routeInput({ capability_id: "cap.data.sync", parent_decision_id: pd.decision_id }),
        }),
      );
      assert.equal(held.outcome, "STEWARD_HOLD");
      assert.equal(held.chain_blast_score, 10);

      // Unknown, undispatched or foreign parents fail closed.
      const unknown = await h.req("/wcp/route", {
        method: "POST",
        json: routeInput({ capability_id: "cap.data.export", parent_decision_id: "nope" }),
      });
      assert.equal(unknown.status, 400);
      assert.equal(((await j(unknown)).error as Record<string, unknown>).code, "PARENT_UNKNOWN");
      const heldParent = await h.req("/wcp/route", {
        method: "POST",
        json: routeInput({
          capability_id: "cap.data.export",
          parent_decision_id: held.decision_id,
        }),
      });
      assert.equal(
        ((await j(heldParent)).error as Record<string, unknown>).code,
        "PARENT_UNKNOWN",
      );
      // A decision that was only routed (never executed) cannot be a parent either.
      const routedOnly = await j(
        await h.req("/wcp/route", {
          method: "POST",
          json: routeInput({ capability_id: "cap.data.export" }),
        }),
      );
      assert.equal(routedOnly.outcome, "DISPATCH");
      const notRun = await h.req("/wcp/route", {
        method: "POST",
        json: routeInput({
          capability_id: "cap.data.export",
          parent_decision_id: routedOnly.decision_id,
        }),
      });
      assert.equal(((await j(notRun)).error as Record<string, unknown>).code, "PARENT_UNKNOWN");
      const foreign = await h.req("/wcp/route", {
        method: "POST",
        json: routeInput({
          capability_id: "cap.data.export",
          tenant_id: "other",
          parent_decision_id: pd.decision_id,
        }),
      });
      assert.equal(foreign.status, 403);

      // A worker's own sub-request through the in-process context is chained automatically.
      const withSub = await j(
        await h.req("/wcp/dispatch", {
          method: "POST",
          json: routeInput({
            capability_id: "cap.data.export",
            request: { sub: routeInput({ capability_id: "cap.data.export", request: {} }) },
          }),
        }),
      );
      const sub = (withSub.result as Record<string, unknown>).sub as Record<string, unknown>;
      const sd = sub.decision as Record<string, unknown>;
      assert.equal(
        sd.parent_decision_id,
        (withSub.decision as Record<string, unknown>).decision_id,
      );
      assert.equal(sd.outcome, "DENY", "the sub-request pushes the chain over the cap");
    } finally {
      await h.stop();
    }
  },
});

Deno.test({
  name: "dispatch: an HTTP worker gets the correlation id; a failing worker still gets a receipt",
  ...HALL_TEST,
  fn: async () => {
    const seen: { headers: Record<string, string>; body: Record<string, unknown> }[] = [];
    let fail = false;
    let huge = false;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        seen.push({
          headers: Object.fromEntries(req.headers),
          body: await req.json(),
        });
        if (huge) return new Response("x".repeat(5 * 1024 * 1024));
        return fail ? new Response("boom", { status: 500 }) : Response.json({ ok: 1 });
      },
    );
    const { recordHashJcs } = await import("../../src/registry/registry.ts");
    const h = await testHall({
      rules: {
        rules: [{
          rule_id: "http",
          match: { capability_id: "cap.web.fetch" },
          decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.web.fetcher" }] },
        }],
      },
    });
    try {
      const rec: Record<string, unknown> = {
        worker_id: "org.acme.fetcher.1",
        worker_species_id: "wrk.web.fetcher",
        capabilities: ["cap.web.fetch"],
        endpoint: `http://127.0.0.1:${server.addr.port}/run`,
      };
      rec.artifact_hash = recordHashJcs(rec);
      assert.equal((await h.req("/wcp/workers", { method: "POST", json: rec })).status, 201);
      const input = routeInput({ capability_id: "cap.web.fetch", request: { url: "x" } });
      const out = await j(await h.req("/wcp/dispatch", { method: "POST", json: input }));
      assert.deepEqual(out.result, { ok: 1 });
      assert.equal(seen[0].headers["x-wcp-correlation-id"], input.correlation_id);
      assert.equal(seen[0].body.correlation_id, input.correlation_id);
      assert.deepEqual(seen[0].body.request, { url: "x" });
      assert.match(seen[0].headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

      fail = true;
      const bad = await h.req("/wcp/dispatch", {
        method: "POST",
        json: routeInput({ capability_id: "cap.web.fetch" }),
      });
      assert.equal(bad.status, 502);
      const bb = await j(bad);
      assert.match(String(bb.worker_error), /500/);
      assert.equal((bb.receipt as Record<string, unknown>).execution_status, "failed");
      assert.equal((await h.store.counts()).receipts, 2);
      // A worker answering more than 4 MiB is cut off; the failure is on the receipt too.
      huge = true;
      const big = await j(
        await h.req("/wcp/dispatch", {
          method: "POST",
          json: routeInput({ capability_id: "cap.web.fetch" }),
        }),
      );
      assert.equal(big.worker_error, "worker response too large");
      assert.equal((big.receipt as Record<string, unknown>).execution_status, "failed");
    } finally {
      await h.stop();
      await server.shutdown();
    }
  },
});

hallTest(
  "signatory tenants: with require_signatory only allowed tenants are routed",
  () => ({ config: { require_signatory: true, allowed_tenants: ["acme"] } }),
  async (h) => {
    const ok = await j(await h.req("/wcp/route", { method: "POST", json: routeInput() }));
    assert.equal(ok.outcome, "DISPATCH");
    const res = await h.req("/wcp/dispatch", {
      method: "POST",
      json: routeInput({ tenant_id: "intruder" }),
    });
    assert.equal(res.status, 403);
    const d = (await j(res)).decision as Record<string, unknown>;
    assert.equal(
      (d.deny_reason_if_denied as Record<string, unknown>).code,
      "DENY_UNKNOWN_TENANT",
    );
    assert.equal((await h.store.counts()).receipts, 0);
  },
);

hallTest(
  "approvals: an approved request whose worker was revoked is refused, and stays approved",
  async (h) => {
    const held = await j(
      await h.req("/wcp/dispatch", {
        method: "POST",
        json: routeInput({ capability_id: "cap.msg.notify" }),
      }),
    );
    const id = String(held.approval_id);
    await h.resolve(id, "approve");
    await h.req("/wcp/workers/org.demo.notifier.1/revoke", { method: "POST" });
    const res = await h.req("/wcp/dispatch", { method: "POST", json: { approval_id: id } });
    assert.equal(res.status, 409);
    assert.equal(((await j(res)).error as Record<string, unknown>).code, "WORKER_UNAVAILABLE");
    assert.equal((await j(await h.req(`/wcp/approvals/${id}`))).status, "approved");
    assert.equal((await h.store.counts()).receipts, 0);
  },
);

Deno.test({
  name: "receipts: a chain edited in the database is reported at start and by the background check",
  ...HALL_TEST,
  fn: async () => {
    const { openSqliteStore } = await import("../../src/hall/store/sqlite/mod.ts");
    const { DatabaseSync } = await import("node:sqlite");
    const dir = await Deno.makeTempDir();
    const path = `${dir}/hall.sqlite`;
    const store = await openSqliteStore(path);
    const h1 = await testHall({ store });
    for (let i = 0; i < 3; i++) {
      await h1.req("/wcp/dispatch", { method: "POST", json: routeInput() });
    }
    assert.deepEqual(await h1.hall.checkChains(true), []);
    // An attacker with file access rewrites receipt 1's worker.
    const db = new DatabaseSync(path);
    db.prepare(
      "UPDATE receipts SET data = json_set(data, '$.worker_id', 'org.evil.x.1') WHERE seq = 1",
    ).run();
    db.close();
    // Incremental checks only look at new receipts; a full check finds the edit.
    await h1.req("/wcp/dispatch", { method: "POST", json: routeInput() });
    assert.deepEqual(await h1.hall.checkChains(false), []);
    assert.deepEqual(await h1.hall.checkChains(true), ["acme"]);
    await h1.close();
    // A hall started on the edited database reports it at once.
    const h2 = await testHall({ store });
    try {
      assert.deepEqual(await h2.hall.startupCheck, ["acme"]);
      const alerts = (await j(await h2.req("/wcp/alerts?open=true"))).alerts as {
        kind: string;
        subject: string;
        severity: number;
      }[];
      const breaks = alerts.filter((a) => a.kind === "chain_break" && a.subject === "acme");
      assert.equal(breaks.length, 1, "the new hall's start finds the open alert: no second one");
      assert.equal(breaks[0].severity, 1);
      // Once an operator acknowledges it, a chain still broken is reported again.
      const id = (alerts.find((a) => a.kind === "chain_break") as unknown as { alert_id: string })
        .alert_id;
      assert.equal(
        (await h2.req(`/wcp/alerts/${id}/ack`, { method: "POST", json: {} })).status,
        200,
      );
      assert.deepEqual(await h2.hall.checkChains(true), ["acme"]);
      const open = (await j(await h2.req("/wcp/alerts?open=true"))).alerts as {
        kind: string;
        alert_id: string;
      }[];
      assert.equal(open.filter((a) => a.kind === "chain_break").length, 1);
      assert.notEqual(open.find((a) => a.kind === "chain_break")?.alert_id, id);
    } finally {
      await h2.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

hallTest(
  "route held: the approval keeps the decision the route answered, and its input",
  async (h) => {
    // The route's answer text is handed to the store with the hold (not serialised twice): the
    // stored row must still be that decision, member for member, events included.
    const input = routeInput({ capability_id: "cap.msg.notify", request: { to: "ops" } });
    const res = await h.req("/wcp/route", { method: "POST", json: input });
    assert.equal(res.status, 200);
    const d = await j(res);
    assert.equal(d.outcome, "STEWARD_HOLD");
    assert.ok((d.telemetry_envelopes as unknown[]).length > 0);
    const row = await h.store.getApproval(String(d.pending_approval_id));
    assert.ok(row);
    assert.deepEqual(row.decision, d);
    assert.deepEqual(row.input, input);
    assert.equal(row.status, "pending");
    assert.equal(row.requested_by?.principal_id !== undefined, true, "who raised it is kept");
    const one = await j(await h.req(`/wcp/approvals/${row.approval_id}`));
    assert.deepEqual(one.decision, d);
  },
);

Deno.test("route: decision and approval ids are UUIDv7 of the hall's clock, so they sort by time", async () => {
  // Time-ordered ids keep the store's keys growing at one end of their indexes (random v4 keys
  // cost an approval insert about a fifth more).
  let clock = Date.UTC(2026, 11, 8, 5, 0, 0);
  await withHall({ now: () => clock }, async (h) => {
    const held: { decision_id: string; approval_id: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const d = await j(
        await h.req("/wcp/route", {
          method: "POST",
          json: routeInput({ capability_id: "cap.msg.notify" }),
        }),
      );
      assert.equal(d.outcome, "STEWARD_HOLD");
      held.push({ decision_id: String(d.decision_id), approval_id: String(d.pending_approval_id) });
      clock += 1;
    }
    const uuid7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    held.forEach(({ decision_id, approval_id }, i) => {
      for (const id of [decision_id, approval_id]) {
        assert.match(id, uuid7);
        const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
        assert.equal(ms, Date.UTC(2026, 11, 8, 5, 0, 0) + i, `time of ${id}`);
      }
      assert.notEqual(decision_id, approval_id);
    });
    const ids = held.map((x) => x.approval_id);
    assert.deepEqual([...ids].sort(), ids);
  });
});
