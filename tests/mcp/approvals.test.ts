// Decision 19 over MCP: the requesting agent is not offered the approval tools; a held call asks
// the human through the client (MCP elicitation) when it can, and names the approval id and where
// to approve otherwise; a session never resolves its own hold unless allow_self_approval; the
// in-memory store follows the approval contract (codes, ladder, deadlines, who and why).

import assert from "node:assert/strict";
import { call, connect, demoWith, errorOf, gov, spyWorker } from "./_helpers.ts";
import { Governor } from "../../mcp/governor.ts";
import { LocalApprovalStore } from "../../mcp/approvals.ts";
import type { ElicitRequest } from "./_sdk_client.ts";
import type { RouteDecision, RouteInput } from "../../src/model.ts";
import { WcpError } from "../../src/errors.ts";

const NOTIFIER = "org.demo.notifier.1";
const NOTIFY = { channel: "#ops", message: "deploy done" };

Deno.test("tools/list: no approval tools by default; with allow_resolve they are listed", async () => {
  const p = await connect();
  try {
    const names = (await p.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("wcp_approvals_list"));
    assert.ok(!names.includes("wcp_approval_resolve"), "resolve not offered to the agent");
    assert.ok(!names.includes("wcp_approval_escalate"));
    const r = await call(p.client, "wcp_approval_resolve", {
      approval_id: "x",
      decision: "approve",
    });
    assert.equal(r.isError, true);
    assert.match(r.content[0].text!, /not found/);
  } finally {
    await p.close();
  }
  const on = await connect(demoWith({ allow_resolve: true }));
  try {
    const names = (await on.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("wcp_approval_resolve") && names.includes("wcp_approval_escalate"));
  } finally {
    await on.close();
  }
});

Deno.test("elicitation: the human approves through the client and the held call runs once", async () => {
  const spy = spyWorker({ queued: true, channel: "#ops", message_id: "m1" });
  const asked: ElicitRequest["params"][] = [];
  const p = await connect(demoWith(), {
    workers: { [NOTIFIER]: spy.fn },
    clientName: "Acme Desktop",
    onElicit: (params) => {
      asked.push(params);
      return { action: "accept", content: { decision: "approve", note: "ok for the deploy" } };
    },
  });
  try {
    const r = await call(p.client, "cap_msg_notify", NOTIFY);
    assert.equal(r.isError, undefined, r.content[0].text);
    assert.deepEqual(r.structuredContent, { queued: true, channel: "#ops", message_id: "m1" });
    assert.equal(spy.calls.length, 1, "ran exactly once");
    assert.deepEqual((spy.calls[0] as { request: unknown }).request, NOTIFY);
    // The question: request summary, hold reasons, supervisor level, blast, and a form.
    assert.equal(asked.length, 1);
    const q = asked[0] as { message: string; requestedSchema: { properties: object } };
    const approvalId = String(gov(r).approval_id);
    assert.ok(q.message.includes(approvalId), q.message);
    assert.match(q.message, /cap\.msg\.notify/);
    assert.match(q.message, /a gatekeeper must decide/);
    assert.match(q.message, /Why held: .+/);
    assert.match(q.message, /Blast: score \d+\/100/);
    assert.match(q.message, /"channel":"#ops"/);
    assert.deepEqual(Object.keys(q.requestedSchema.properties).sort(), ["decision", "note"]);
    // The receipt carries the approval facts; the approver is the human via the client.
    const receipt = gov(r).receipt as Record<string, unknown>;
    assert.equal(receipt.policy_decision, `APPROVED:${approvalId}`);
    const approval = receipt.approval as Record<string, unknown>;
    assert.equal(approval.approval_id, approvalId);
    assert.equal(approval.note, "ok for the deploy");
    assert.match(String(approval.resolved_at), /^\d{4}-\d\d-\d\dT/);
    const by = approval.resolved_by as { principal_id: string; label: string };
    assert.match(by.principal_id, /^mcp-elicitation:/);
    assert.equal(by.label, "Acme Desktop");
    const v = await call(p.client, "wcp_receipts_verify");
    assert.equal(v.structuredContent!.ok, true, "receipts hash the approval field");
    // Single use: repeating with the approval id does not run it again.
    const again = await call(p.client, "cap_msg_notify", {
      ...NOTIFY,
      wcp: { approval_id: approvalId },
    });
    assert.equal(errorOf(again).code, "APPROVAL_CONSUMED");
    assert.equal(spy.calls.length, 1);
    const stored = p.governor.approvals.get(approvalId)!;
    assert.equal(stored.status, "consumed");
    assert.match(stored.requested_by!.principal_id, /^mcp-session:/);
    assert.notEqual(stored.requested_by!.principal_id, by.principal_id);
  } finally {
    await p.close();
  }
});

Deno.test("elicitation: decline, cancel or deny denies the approval and nothing runs", async () => {
  for (
    const answer of [
      { action: "decline" as const },
      { action: "cancel" as const },
      { action: "accept" as const, content: { decision: "deny", note: "not now" } },
    ]
  ) {
    const spy = spyWorker({ queued: true, channel: "#ops", message_id: "m1" });
    const p = await connect(demoWith(), {
      workers: { [NOTIFIER]: spy.fn },
      onElicit: () => answer,
    });
    try {
      const r = await call(p.client, "cap_msg_notify", NOTIFY);
      assert.equal(r.isError, true);
      assert.equal(errorOf(r).code, "APPROVAL_DENIED", answer.action);
      assert.equal(spy.calls.length, 0);
      const id = String(gov(r).approval_id);
      const a = p.governor.approvals.get(id)!;
      assert.equal(a.status, "denied");
      assert.match(a.resolved_by!.principal_id, /^mcp-elicitation:/);
      const retry = await call(p.client, "cap_msg_notify", { ...NOTIFY, wcp: { approval_id: id } });
      assert.equal(errorOf(retry).code, "APPROVAL_NOT_APPROVED");
      assert.equal(spy.calls.length, 0);
    } finally {
      await p.close();
    }
  }
});

Deno.test("no elicitation: STEWARD_HOLD names the approval id and says this server has no approver", async () => {
  const spy = spyWorker({ queued: true, channel: "#ops", message_id: "m1" });
  const p = await connect(demoWith(), { workers: { [NOTIFIER]: spy.fn } });
  try {
    const r = await call(p.client, "cap_msg_notify", NOTIFY);
    assert.equal(r.isError, true);
    const e = errorOf(r) as ReturnType<typeof errorOf> & Record<string, unknown>;
    assert.equal(e.code, "STEWARD_HOLD");
    const id = String(gov(r).approval_id);
    assert.equal(e.approval_id, id);
    assert.ok(e.message.includes(id));
    assert.match(e.message, /no approver/);
    assert.match(e.message, /elicitation/);
    assert.equal(spy.calls.length, 0);
    assert.equal(p.governor.approvals.get(id)!.status, "pending");
  } finally {
    await p.close();
  }
  // A client whose elicitation fails leaves the approval pending and gets the same answer.
  const broken = await connect(demoWith(), {
    workers: { [NOTIFIER]: spy.fn },
    onElicit: () => {
      throw new Error("the user closed the window");
    },
  });
  try {
    const r = await call(broken.client, "cap_msg_notify", NOTIFY);
    assert.equal(errorOf(r).code, "STEWARD_HOLD");
    assert.match(errorOf(r).message, /could not ask the human/);
    assert.equal(broken.governor.approvals.get(String(gov(r).approval_id))!.status, "pending");
    assert.equal(spy.calls.length, 0);
  } finally {
    await broken.close();
  }
});

Deno.test("allow_resolve: the requesting session cannot approve its own hold unless allow_self_approval", async () => {
  const spy = spyWorker({ queued: true, channel: "#ops", message_id: "m1" });
  const governor = new Governor(demoWith({ allow_resolve: true }), {
    workers: { [NOTIFIER]: spy.fn },
  });
  const agent = await connect(undefined, { governor });
  const supervisor = await connect(undefined, { governor, clientName: "ops console" });
  try {
    const held = await call(agent.client, "cap_msg_notify", NOTIFY);
    assert.equal(errorOf(held).code, "STEWARD_HOLD");
    assert.match(errorOf(held).message, /from another session/);
    const id = String(gov(held).approval_id);
    for (const decision of ["approve", "deny"]) {
      const self = await call(agent.client, "wcp_approval_resolve", { approval_id: id, decision });
      assert.equal(errorOf(self).code, "APPROVER_IS_REQUESTER", decision);
    }
    assert.equal(governor.approvals.get(id)!.status, "pending");
    // Another session (a supervisor) may.
    const ok = await call(supervisor.client, "wcp_approval_resolve", {
      approval_id: id,
      decision: "approve",
      note: "checked",
    });
    assert.equal(ok.structuredContent!.status, "approved", ok.content[0].text);
    const resolvedBy = ok.structuredContent!.resolved_by as { principal_id: string; label: string };
    assert.equal(resolvedBy.label, "ops console");
    const run = await call(agent.client, "cap_msg_notify", { ...NOTIFY, wcp: { approval_id: id } });
    assert.equal(run.isError, undefined, run.content[0].text);
    const facts = (gov(run).receipt as Record<string, Record<string, unknown>>).approval;
    assert.deepEqual(facts.resolved_by, resolvedBy);
    assert.equal(facts.note, "checked");
    assert.equal(spy.calls.length, 1);
  } finally {
    await agent.close();
    await supervisor.close();
  }
  const self = await connect(
    demoWith({
      allow_resolve: true,
      hall_config: { approval_ttl_seconds: 900, allow_self_approval: true },
    }),
    { workers: { [NOTIFIER]: spy.fn } },
  );
  try {
    const id = String(gov(await call(self.client, "cap_msg_notify", NOTIFY)).approval_id);
    const ok = await call(self.client, "wcp_approval_resolve", {
      approval_id: id,
      decision: "approve",
    });
    assert.equal(ok.structuredContent!.status, "approved", ok.content[0].text);
  } finally {
    await self.close();
  }
});

// The in-memory store on its own, with a clock.
function heldDecision(id: string, now: number, level = "gatekeeper"): RouteDecision {
  return {
    decision_id: `d-${id}`,
    pending_approval_id: id,
    approval_expires_at: new Date(now + 60_000).toISOString(),
    capability_id: "cap.msg.notify",
    tenant_id: "acme",
    supervisor_level: level,
    escalation_context: { hold_reasons: ["gate"] },
  } as unknown as RouteDecision;
}
const INPUT = { tenant_id: "acme", capability_id: "cap.msg.notify" } as RouteInput;
const AGENT = { principal_id: "mcp-session:a", label: "agent" };
const HUMAN = { principal_id: "tok_ops", label: "ops" };

async function rejects(p: Promise<unknown> | (() => unknown), code: string, status?: string) {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    assert.ok(e instanceof WcpError, String(e));
    assert.equal(e.code, code, e.message);
    if (status) assert.equal((e as unknown as { status: string }).status, status);
    return;
  }
  assert.fail(`expected ${code}`);
}

Deno.test("local store: contract codes, one-level ladder with renewed deadlines, who and why", async () => {
  let now = Date.parse("2026-12-01T10:00:00.000Z");
  const store = new LocalApprovalStore(() => now, { ttlSeconds: 60 });
  await rejects(store.resolve("nope", "approve", undefined, undefined, HUMAN), "APPROVAL_UNKNOWN");
  store.hold(heldDecision("a1", now, "advisory"), INPUT, AGENT);
  await rejects(store.resolve("a1", "approve", undefined, "globex", HUMAN), "APPROVAL_UNKNOWN");
  now += 30_000;
  const levels: string[] = [];
  for (let i = 0; i < 3; i++) {
    const v = await store.escalate("a1", `step ${i}`);
    levels.push(v.supervisor_level);
    assert.equal(v.expires_at, new Date(now + 60_000).toISOString(), "each escalation renews");
    assert.equal(v.note, `step ${i}`);
    now += 50_000; // within the renewed deadline each time
  }
  assert.deepEqual(levels, ["gatekeeper", "executor", "incident_commander"]);
  await rejects(store.escalate("a1"), "APPROVAL_ESCALATION_EXHAUSTED");
  await rejects(
    store.resolve("a1", "approve", undefined, undefined, AGENT),
    "APPROVER_IS_REQUESTER",
  );
  const v = await store.resolve("a1", "approve", "fine", "acme", HUMAN);
  assert.deepEqual([v.status, v.note, v.resolved_by, v.requested_by], [
    "approved",
    "fine",
    HUMAN,
    AGENT,
  ]);
  assert.equal(v.resolved_at, new Date(now).toISOString());
  await rejects(
    store.resolve("a1", "deny", undefined, undefined, HUMAN),
    "APPROVAL_NOT_PENDING",
    "approved",
  );
  await rejects(() => store.consume("a1", "globex", "cap.msg.notify"), "APPROVAL_MISMATCH");
  const taken = store.consume("a1", "acme", "cap.msg.notify");
  assert.deepEqual(taken.facts, {
    approval_id: "a1",
    resolved_by: HUMAN,
    note: "fine",
    resolved_at: v.resolved_at,
  });
  await rejects(() => store.consume("a1", "acme", "cap.msg.notify"), "APPROVAL_CONSUMED");

  // Approved requests expire approval_ttl_seconds after the approval, not after the hold.
  store.hold(heldDecision("a2", now), INPUT, AGENT);
  now += 50_000;
  await store.resolve("a2", "approve", undefined, undefined, HUMAN);
  now += 59_000;
  assert.equal(store.get("a2")!.status, "approved", "still within the deadline from approval");
  now += 2_000;
  await rejects(() => store.consume("a2", "acme", "cap.msg.notify"), "APPROVAL_EXPIRED");
  assert.equal(store.get("a2")!.status, "expired");
  // A pending approval past its deadline is expired too.
  store.hold(heldDecision("a3", now), INPUT, AGENT);
  now += 61_000;
  await rejects(
    store.resolve("a3", "approve", undefined, undefined, HUMAN),
    "APPROVAL_EXPIRED",
    "expired",
  );
  store.hold(heldDecision("a4", now), INPUT, AGENT);
  await rejects(
    () => store.consume("a4", "acme", "cap.msg.notify"),
    "APPROVAL_NOT_APPROVED",
    "pending",
  );
  // Self-approval when allowed.
  const lax = new LocalApprovalStore(() => now, { ttlSeconds: 60, allowSelfApproval: true });
  lax.hold(heldDecision("b1", now), INPUT, AGENT);
  assert.equal(
    (await lax.resolve("b1", "approve", undefined, undefined, AGENT)).status,
    "approved",
  );
});
