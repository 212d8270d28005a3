// REQUIRE_HUMAN follows spec 5.8 (README decisions 1 and 2): denied false, an explicit outcome,
// a pending approval with a TTL, and the context a supervisor needs.
import assert from "node:assert/strict";
import { type PolicyGateFn, Registry } from "../../mod.ts";
import { decide, input, NOW, registryWith, rulesOf, worker } from "./_router_helpers.ts";

const human = (level?: string): PolicyGateFn => () =>
  ({
    decision: "REQUIRE_HUMAN",
    policy_version: "pol.payments.v4",
    reason: "large transfer",
    ...(level ? { supervisor_level: level } : {}),
  }) as ReturnType<PolicyGateFn>;
const gated = rulesOf({ escalation: { policy_gate: true } });

Deno.test("approval: REQUIRE_HUMAN holds with a pending approval (spec 5.8)", () => {
  const { d, events } = decide(input({ blast_score: 30 }), { rules: gated, policyGate: human() });
  assert.equal(d.denied, false);
  assert.equal(d.outcome, "STEWARD_HOLD");
  assert.equal(d.deny_reason_if_denied, null);
  assert.equal(d.supervisor_required, true);
  assert.equal(d.supervisor_level, "gatekeeper");
  assert.equal(d.decision_id, "id-1");
  assert.equal(d.pending_approval_id, "id-2");
  assert.equal(d.approval_expires_at, new Date(NOW + 900_000).toISOString());
  assert.deepEqual(d.escalation_context, {
    capability_id: "cap.doc.summarize",
    blast_score: 30,
    tenant_risk: "low",
    data_label: "INTERNAL",
    policy_version: "pol.payments.v4",
    hold_reasons: ["large transfer"],
  });
  assert.equal(d.policy_version, "pol.payments.v4");
  assert.equal(d.selected_worker_id, "org.acme.summarizer.1");
  assert.equal(d.escalation_effective.human_required_default, true);
  assert.equal(d.escalation_effective.rationale, "large transfer");
  const byId = new Map(events.map((e) => [e.event_id, e]));
  assert.equal(byId.get("evt.os.policy.gated")?.decision, "REQUIRE_HUMAN");
  assert.equal(byId.get("evt.os.task.routed")?.outcome, "STEWARD_HOLD");
  const req = byId.get("evt.os.approval.requested")!;
  assert.equal(req.pending_approval_id, "id-2");
  assert.equal(req.supervisor_level, "gatekeeper");
  assert.equal(req.decision_id, "id-1");
});

Deno.test("approval: the TTL and default level come from the config", () => {
  const { d } = decide(input(), {
    rules: gated,
    policyGate: human(),
    config: { approval_ttl_seconds: 60, default_supervisor_level: "executor" },
  });
  assert.equal(d.approval_expires_at, new Date(NOW + 60_000).toISOString());
  assert.equal(d.supervisor_level, "executor");
  assert.equal(d.outcome, "STEWARD_HOLD");
});

Deno.test("approval: levels: gate's, then the rule's, then the config's; advisory dispatches", () => {
  const ruleLevel = rulesOf({
    escalation: { policy_gate: true, supervisor_level: "incident_commander" },
  });
  assert.equal(
    decide(input(), { rules: ruleLevel, policyGate: human() }).d.supervisor_level,
    "incident_commander",
  );
  assert.equal(
    decide(input(), { rules: ruleLevel, policyGate: human("executor") }).d.supervisor_level,
    "executor",
  );
  const advisory = decide(input(), { rules: gated, policyGate: human("advisory") }).d;
  assert.equal(advisory.outcome, "DISPATCH");
  assert.equal(advisory.denied, false);
  assert.equal(advisory.supervisor_required, true);
  assert.equal(advisory.supervisor_level, "advisory");
  assert.equal(advisory.pending_approval_id, undefined, "nothing to approve for advisory");
});

Deno.test("approval: a dry run reports the hold without creating an approval", () => {
  const { d, events } = decide(input({ dry_run: true }), { rules: gated, policyGate: human() });
  assert.equal(d.outcome, "STEWARD_HOLD");
  assert.equal(d.dry_run, true);
  assert.equal(d.pending_approval_id, undefined);
  assert.ok(events.every((e) => e.dry_run === true));
  assert.ok(!events.some((e) => e.event_id === "evt.os.approval.requested"));
});

Deno.test("approval: a later denial wins over a hold", () => {
  const { d } = decide(input(), { rules: gated, policyGate: human(), registry: new Registry() });
  assert.equal(d.outcome, "DENY");
  assert.equal(d.deny_reason_if_denied?.code, "DENY_NO_AVAILABLE_WORKER");
  assert.equal(d.supervisor_required, false);
  assert.equal(d.pending_approval_id, undefined);
});

Deno.test("approval: a rule with human_required_default holds (B-18 enforced)", () => {
  const { d } = decide(input(), {
    rules: rulesOf({ escalation: { human_required_default: true } }),
  });
  assert.equal(d.outcome, "STEWARD_HOLD");
  assert.equal(d.escalation_effective.rationale, "rule_requires_human");
});

Deno.test("approval: a candidate over the blast cap is held when the rule says so", () => {
  const registry = registryWith(
    worker({
      blast_radius: { data: 3, network: 2, financial: 2, time: 1, reversibility: "irreversible" },
    }),
  );
  const rules = rulesOf({
    max_blast_by_env: { dev: 8 },
    escalation: { hold_over_cap: true, supervisor_level: "executor" },
  });
  const { d } = decide(input(), { rules, registry });
  assert.equal(d.outcome, "STEWARD_HOLD");
  assert.equal(d.supervisor_level, "executor");
  assert.equal(d.blast_dimensions_score, 13);
  assert.equal(d.escalation_effective.rationale, "blast_over_cap");
  assert.equal(d.candidate_workers_ranked[0].skip_reason, null);
  assert.equal(d.selected_worker_id, "org.acme.summarizer.1");
  // The approver sees the five-dimension total that caused the hold, and the cap, beside the
  // 0-100 heuristic score (which is low here: it did not trigger anything).
  assert.deepEqual(d.escalation_context, {
    capability_id: "cap.doc.summarize",
    blast_score: d.blast_score,
    tenant_risk: "low",
    data_label: "INTERNAL",
    policy_version: "policy.v0",
    hold_reasons: ["blast_over_cap"],
    blast_dimensions_score: 13,
    chain_blast_score: 13,
    blast_cap: 8,
  });
  assert.ok(d.blast_score! < 85);
});

Deno.test("approval: a cap hold over the chain shows the chain total that crossed the cap", () => {
  const registry = registryWith(
    worker({
      blast_radius: { data: 1, network: 1, financial: 0, time: 1, reversibility: "reversible" },
    }),
  );
  const rules = rulesOf({ max_blast_by_env: { dev: 7 }, escalation: { hold_over_cap: true } });
  const chainBlastScore = (id: string) => (id === "dec-parent" ? 5 : null);
  const { d } = decide(input({ parent_decision_id: "dec-parent" }), {
    rules,
    registry,
    chainBlastScore,
  });
  assert.equal(d.outcome, "STEWARD_HOLD");
  const ctx = d.escalation_context!;
  assert.deepEqual(ctx.hold_reasons, ["blast_over_cap"]);
  assert.equal(ctx.blast_dimensions_score, 3); // within the cap on its own
  assert.equal(ctx.chain_blast_score, 8); // 3 + the parent's 5: over 7
  assert.equal(ctx.blast_cap, 7);
  assert.equal(ctx.chain_blast_score, d.chain_blast_score);
  // A parent whose total is unknown fails the cap: the context says the total is unknown.
  const unknown = decide(input({ parent_decision_id: "dec-other" }), {
    rules,
    registry,
    chainBlastScore,
  }).d;
  assert.equal(unknown.outcome, "STEWARD_HOLD");
  assert.equal(unknown.escalation_context!.chain_blast_score, null);
  assert.equal(unknown.escalation_context!.blast_dimensions_score, 3);
  assert.equal(unknown.escalation_context!.blast_cap, 7);
});

Deno.test("approval: held by the gate and over the cap: both reasons, and the cap figures", () => {
  const registry = registryWith(
    worker({ blast_radius: { data: 5, network: 5, financial: 5, time: 5, reversibility: 5 } }),
  );
  const rules = rulesOf({
    max_blast_by_env: { dev: 8 },
    escalation: { policy_gate: true, hold_over_cap: true },
  });
  const { d } = decide(input(), { rules, registry, policyGate: human("executor") });
  assert.equal(d.outcome, "STEWARD_HOLD");
  assert.equal(d.supervisor_level, "executor"); // the first hold's level
  const ctx = d.escalation_context!;
  assert.deepEqual(ctx.hold_reasons, ["large transfer", "blast_over_cap"]);
  assert.equal(ctx.chain_blast_score, 25);
  assert.equal(ctx.blast_cap, 8);
  // Held by the gate only: no cap figures.
  const gateOnly = decide(input(), { rules: gated, policyGate: human() }).d.escalation_context!;
  assert.equal("chain_blast_score" in gateOnly, false);
  assert.equal("blast_cap" in gateOnly, false);
});

Deno.test("approval: a within-cap worker is preferred over holding an over-cap one", () => {
  const registry = registryWith(
    worker({
      worker_id: "org.acme.big",
      blast_radius: { data: 5, network: 5, financial: 5, time: 5, reversibility: 5 },
    }),
    worker({
      worker_id: "org.acme.small",
      blast_radius: { data: 1, network: 0, financial: 0, time: 1, reversibility: "reversible" },
    }),
  );
  const rules = rulesOf({ max_blast_by_env: { dev: 8 }, escalation: { hold_over_cap: true } });
  const { d } = decide(input(), { rules, registry });
  assert.equal(d.outcome, "DISPATCH");
  assert.equal(d.selected_worker_id, "org.acme.small");
  assert.deepEqual(d.candidate_workers_ranked.map((c) => [c.worker_id, c.skip_reason]), [
    ["org.acme.big", "blast_over_cap"],
    ["org.acme.small", null],
  ]);
});

Deno.test("approval: when no approval id can be made the request is denied, not executed", () => {
  let n = 0;
  const { d } = decide(input(), {
    rules: gated,
    policyGate: human(),
    newId: () => {
      if (++n > 1) throw new Error("id service down");
      return "dec-1";
    },
  });
  assert.equal(d.decision_id, "dec-1");
  assert.equal(d.outcome, "DENY");
  assert.equal(d.deny_reason_if_denied?.code, "DENY_REQUIRES_HUMAN_APPROVAL");
});

Deno.test("approval: the reference's 3-tuple gate answer is accepted", () => {
  const { d } = decide(input(), {
    rules: gated,
    policyGate: (() => ["REQUIRE_HUMAN", "pol.t", "tuple"]) as unknown as PolicyGateFn,
  });
  assert.equal(d.outcome, "STEWARD_HOLD");
  assert.equal(d.policy_version, "pol.t");
});

Deno.test("approval: the gate sees the request's context, a fresh object each time", () => {
  const seen: unknown[] = [];
  const gate: PolicyGateFn = (ctx) => {
    seen.push(ctx);
    (ctx as { env: string }).env = "tampered";
    return { decision: "ALLOW", policy_version: "p1", reason: "ok" };
  };
  const a = decide(input({ policy_version: "pol.req.v9" }), { rules: gated, policyGate: gate }).d;
  decide(input(), { rules: gated, policyGate: gate });
  assert.equal(a.outcome, "DISPATCH");
  assert.equal(a.env, "dev", "a gate mutating its context changes nothing");
  assert.notEqual(seen[0], seen[1]);
  assert.deepEqual(seen[1], {
    capability_id: "cap.doc.summarize",
    tenant_id: "acme",
    env: "tampered",
    data_label: "INTERNAL",
    tenant_risk: "low",
    qos_class: "P2",
    policy_version: "policy.v0",
    blast_score: 30,
    matched_rule_id: "r-sum",
  });
  assert.equal((seen[0] as { policy_version: string }).policy_version, "pol.req.v9");
});
