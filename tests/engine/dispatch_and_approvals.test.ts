// The engine's dispatch and approvals through its ports (an in-memory store, a fake worker
// caller, a fixed clock): a hold is recorded with its requester, the requester cannot resolve it,
// escalation climbs one level, an approved request runs once within its deadline and only while
// its worker may still run, and receipts carry one set of fields.

import assert from "node:assert/strict";
import {
  type AppendedReceipt,
  type ApprovalSettings,
  Engine,
  type EngineApproval,
  type EngineStore,
  type Receipt,
  type ReceiptFields,
  type RouteDecision,
  type WorkerCall,
  workerSucceeded,
} from "../../mod.ts";
import { WcpError } from "../../src/errors.ts";

class MemoryStore implements EngineStore {
  rows = new Map<string, EngineApproval>();
  receipts: ReceiptFields[] = [];
  constructor(private now: () => number) {}
  #live(id: string): EngineApproval | undefined {
    const r = this.rows.get(id);
    if (r && (r.status === "pending" || r.status === "approved")) {
      if (Date.parse(r.expires_at) <= this.now()) r.status = "expired";
    }
    return r;
  }
  createApproval(row: EngineApproval) {
    this.rows.set(row.approval_id, structuredClone(row));
    return Promise.resolve();
  }
  getApproval(id: string) {
    const r = this.#live(id);
    return Promise.resolve(r ? structuredClone(r) : null);
  }
  resolveApproval(
    id: string,
    res: {
      status: "approved" | "denied";
      by: never;
      at: string;
      note: string | null;
      expires_at?: string;
    },
  ) {
    const r = this.#live(id);
    if (!r || r.status !== "pending") return Promise.resolve(null);
    Object.assign(r, {
      status: res.status,
      resolved_by: res.by,
      resolved_at: res.at,
      note: res.note,
      ...(res.expires_at ? { expires_at: res.expires_at } : {}),
    });
    return Promise.resolve(structuredClone(r));
  }
  escalateApproval(id: string, e: { supervisor_level: string; expires_at: string }) {
    const r = this.#live(id);
    if (!r || r.status !== "pending") return Promise.resolve(null);
    Object.assign(r, { supervisor_level: e.supervisor_level, expires_at: e.expires_at });
    r.escalations++;
    return Promise.resolve(structuredClone(r));
  }
  expireApprovals(_now: string) {
    const out: EngineApproval[] = [];
    for (const [id, r] of this.rows) {
      const was = r.status;
      if (this.#live(id)!.status === "expired" && was !== "expired") out.push(structuredClone(r));
    }
    return Promise.resolve(out);
  }
  consumeApproval(id: string, at: string) {
    const r = this.#live(id);
    if (!r || r.status !== "approved") return Promise.resolve(null);
    r.status = "consumed";
    r.consumed_at = at;
    return Promise.resolve(structuredClone(r));
  }
  appendReceipt(fields: ReceiptFields): Promise<AppendedReceipt> {
    this.receipts.push(fields);
    const seq = this.receipts.length - 1;
    return Promise.resolve({
      receipt_id: `r${seq}`,
      seq,
      receipt: { ...fields, seq } as unknown as Receipt,
    });
  }
}

const AGENT = { principal_id: "token-agent", label: "agent" };
const HUMAN = { principal_id: "token-human", label: "human" };
const T0 = Date.parse("2026-12-01T10:00:00.000Z");

function setup(opts: { held?: boolean; allowSelf?: boolean } = {}) {
  let now = T0;
  const clock = () => now;
  const store = new MemoryStore(clock);
  const calls: WorkerCall[] = [];
  let unavailable: string | null = null;
  const settings: ApprovalSettings = {
    approval_ttl_seconds: 60,
    allow_self_approval: opts.allowSelf,
    default_supervisor_level: "gatekeeper",
  };
  let n = 0;
  const engine = new Engine({
    store,
    now: clock,
    settings: () => settings,
    workers: () => ({ unavailable: () => unavailable }),
    decide: (input) => {
      n++;
      const held = opts.held ?? true;
      const d = {
        decision_id: `d${n}`,
        correlation_id: String(input.correlation_id),
        tenant_id: String(input.tenant_id),
        capability_id: String(input.capability_id),
        env: "dev",
        data_label: "INTERNAL",
        timestamp: new Date(clock()).toISOString(),
        outcome: held ? "STEWARD_HOLD" : "DISPATCH",
        denied: false,
        dry_run: false,
        selected_worker_id: "org.acme.w.1",
        selected_worker_species_id: "org.acme.w",
        matched_rule_id: "r1",
        controls_verified: [],
        request_hash: "sha256:" + "0".repeat(64),
        ...(held ? { pending_approval_id: `a${n}`, supervisor_level: "executor" } : {}),
      } as unknown as RouteDecision;
      return { decision: d };
    },
    worker: {
      canCall: () => true,
      call: (call) => {
        calls.push(call);
        return Promise.resolve(workerSucceeded({ ok: 1 }));
      },
    },
  });
  return {
    engine,
    store,
    calls,
    advance: (ms: number) => (now += ms),
    setUnavailable: (why: string | null) => (unavailable = why),
  };
}

const INPUT = {
  correlation_id: "c1",
  tenant_id: "acme",
  capability_id: "cap.msg.notify",
  env: "dev",
  data_label: "INTERNAL",
  request: { channel: "#ops" },
};

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WcpError, String(e));
    return e.code;
  }
  return "no error";
}

Deno.test("engine: a hold records its requester, who cannot resolve it; another principal can", async () => {
  const { engine, store } = setup();
  const out = await engine.dispatch(INPUT, AGENT);
  assert.equal(out.decision.outcome, "STEWARD_HOLD");
  assert.equal(out.receipt, undefined);
  assert.deepEqual(store.rows.get("a1")!.requested_by, AGENT);
  assert.equal(
    await code(engine.approvals.resolve("a1", "approve", AGENT, null)),
    "APPROVER_IS_REQUESTER",
  );
  assert.equal(store.rows.get("a1")!.status, "pending");
  const row = await engine.approvals.resolve("a1", "approve", HUMAN, "fine");
  assert.equal(row.status, "approved");
  assert.deepEqual(row.resolved_by, HUMAN);
  assert.equal(
    await code(engine.approvals.resolve("a1", "deny", HUMAN, null)),
    "APPROVAL_NOT_PENDING",
  );
  assert.equal(
    await code(engine.approvals.resolve("nope", "deny", HUMAN, null)),
    "APPROVAL_UNKNOWN",
  );
});

Deno.test("engine: allow_self_approval lets the requester resolve its own hold", async () => {
  const { engine } = setup({ allowSelf: true });
  await engine.dispatch(INPUT, AGENT);
  assert.equal((await engine.approvals.resolve("a1", "approve", AGENT, null)).status, "approved");
});

Deno.test("engine: escalation climbs one level with a renewed deadline, then is exhausted", async () => {
  const { engine, advance } = setup();
  await engine.dispatch(INPUT, AGENT); // held for an executor
  advance(30_000);
  const up = await engine.approvals.escalate("a1", "urgent");
  assert.equal(up.supervisor_level, "incident_commander");
  assert.equal(up.expires_at, new Date(T0 + 30_000 + 60_000).toISOString());
  assert.equal(await code(engine.approvals.escalate("a1", null)), "APPROVAL_ESCALATION_EXHAUSTED");
});

Deno.test("engine: an approved request runs exactly once, with the approval in its receipt", async () => {
  const { engine, store, calls } = setup();
  await engine.dispatch(INPUT, AGENT);
  await engine.approvals.resolve("a1", "approve", HUMAN, "ok");
  const ran = await engine.dispatchApproved("a1", { tenant_id: "acme" });
  assert.equal(ran.decision.outcome, "DISPATCH");
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].request, { channel: "#ops" });
  const f = store.receipts[0];
  assert.equal(f.policy_decision, "APPROVED:a1");
  assert.equal(f.execution_status, "succeeded");
  assert.deepEqual((f.approval as { resolved_by: unknown }).resolved_by, HUMAN);
  assert.equal(await code(engine.dispatchApproved("a1")), "APPROVAL_CONSUMED");
  assert.equal(calls.length, 1);
});

Deno.test("engine: another tenant's approval is APPROVAL_MISMATCH; a pending one NOT_APPROVED", async () => {
  const { engine, calls } = setup();
  await engine.dispatch(INPUT, AGENT);
  assert.equal(await code(engine.dispatchApproved("a1")), "APPROVAL_NOT_APPROVED");
  await engine.approvals.resolve("a1", "approve", HUMAN, null);
  assert.equal(
    await code(engine.dispatchApproved("a1", { tenant_id: "globex" })),
    "APPROVAL_MISMATCH",
  );
  assert.equal(calls.length, 0);
});

Deno.test("engine: the approved-request deadline counts from the approval", async () => {
  const { engine, advance, calls } = setup();
  await engine.dispatch(INPUT, AGENT);
  advance(50_000);
  await engine.approvals.resolve("a1", "approve", HUMAN, null);
  advance(61_000); // past the hold's deadline from creation, and 61 s after the approval
  assert.equal(await code(engine.dispatchApproved("a1")), "APPROVAL_EXPIRED");
  assert.equal(calls.length, 0);
});

Deno.test("engine: a worker that may no longer run refuses the approved request and keeps the approval", async () => {
  const { engine, store, calls, setUnavailable } = setup();
  await engine.dispatch(INPUT, AGENT);
  await engine.approvals.resolve("a1", "approve", HUMAN, null);
  setUnavailable("the approved worker was revoked");
  assert.equal(await code(engine.dispatchApproved("a1")), "WORKER_UNAVAILABLE");
  assert.equal(store.rows.get("a1")!.status, "approved");
  setUnavailable(null);
  await engine.dispatchApproved("a1");
  assert.equal(calls.length, 1);
});

Deno.test("engine: an allowed dispatch runs the worker and mints one receipt", async () => {
  const { engine, store, calls } = setup({ held: false });
  const out = await engine.dispatch(INPUT, AGENT);
  assert.deepEqual(out.result, { ok: 1 });
  assert.equal(calls[0].data_label, "INTERNAL");
  assert.equal(store.receipts.length, 1);
  assert.equal(store.receipts[0].policy_decision, "ALLOW");
  assert.equal(store.receipts[0].approval_id, null);
});
