// Property tests (fast-check): determinism, fail-closed, never throws, and the decision
// invariants every caller relies on (outcome agrees with denied; holds carry an approval).
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type DecisionOptions,
  DENY_CODES,
  makeDecision,
  type MatchField,
  parseRules,
  Registry,
  type RouteDecision,
} from "../../mod.ts";
import { ids, input, NOW } from "./_router_helpers.ts";

const CAPS = ["cap.doc.summarize", "cap.doc.translate", "cap.fin.pay", "cap.ops.deploy"];
const SPECIES = ["wrk.doc.a", "wrk.doc.b", "wrk.fin.c"];
const ENV_VALUES = ["dev", "stage", "prod", "edge"];

const condition = (values: string[]) =>
  fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(...values),
    fc.constant({ any: true }),
    fc.subarray(values, { minLength: 1 }).map((v) => ({ in: v })),
    fc.subarray(values, { minLength: 1, maxLength: values.length - 1 }).map((v) => ({ not_in: v })),
  );

const ruleArb = fc.record({
  capability_id: condition(CAPS),
  env: condition(ENV_VALUES),
  qos_class: condition(["P0", "P1", "P2", "P3"]),
  species: fc.subarray(SPECIES, { minLength: 1 }),
  controls: fc.subarray(["ctrl.obs.audit-log-append-only", "ctrl.privilege_envelopes_required"]),
  gate: fc.boolean(),
  human: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)),
  cap: fc.option(fc.integer({ min: 0, max: 25 }), { nil: undefined }),
});

const rulesArb = fc.array(ruleArb, { maxLength: 6 }).map((rs) =>
  parseRules(rs.map((r, i) => {
    const match: Record<string, unknown> = {};
    if (r.capability_id !== undefined) match.capability_id = r.capability_id;
    if (r.env !== undefined) match.env = r.env;
    if (r.qos_class !== undefined) match.qos_class = r.qos_class;
    return {
      rule_id: `rule-${i}`,
      match,
      decision: {
        candidate_workers_ranked: r.species.map((s) => ({ worker_species_id: s })),
        required_controls_suggested: r.controls,
        escalation: { policy_gate: r.gate, human_required_default: r.human },
        ...(r.cap !== undefined ? { max_blast_by_env: { prod: r.cap, dev: r.cap } } : {}),
      },
    };
  }))
);

const registryArb = fc.array(
  fc.record({
    species: fc.constantFrom(...SPECIES),
    envs: fc.option(fc.subarray(ENV_VALUES as ("dev")[]), { nil: undefined }),
    available: fc.boolean(),
    hash: fc.option(fc.constantFrom("aa", "bb").map((h) => h.repeat(32)), { nil: undefined }),
    controls: fc.subarray(["ctrl.obs.audit-log-append-only", "ctrl.privilege_envelopes_required"]),
    dims: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  }),
  { maxLength: 5 },
).map((ws) => {
  const reg = new Registry();
  ws.forEach((w, i) => {
    reg.enroll({
      worker_id: `org.prop.w${i}`,
      worker_species_id: w.species,
      capabilities: CAPS,
      currently_implements: w.controls,
      ...(w.envs ? { allowed_environments: w.envs } : {}),
      ...(w.hash ? { attestation: { code_hash: w.hash } } : {}),
      ...(w.dims !== undefined
        ? {
          blast_radius: { data: w.dims, network: w.dims, financial: 0, time: 0, reversibility: 0 },
        }
        : {}),
      privilege_envelope: { network_egress: "none" },
    });
    if (!w.available) reg.setAvailable(`org.prop.w${i}`, false);
  });
  return reg;
});

const inputArb = fc.record({
  capability_id: fc.constantFrom(...CAPS, ...CAPS, "cap.unknown.thing"),
  env: fc.constantFrom(...ENV_VALUES),
  data_label: fc.constantFrom("PUBLIC", "INTERNAL", "RESTRICTED"),
  qos_class: fc.constantFrom("P0", "P1", "P2", "P3"),
  correlation_id: fc.oneof(
    { weight: 8, arbitrary: fc.constant("c-1") },
    { weight: 1, arbitrary: fc.constantFrom("", " ") },
  ),
  blast_score: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  dry_run: fc.boolean(),
  request: fc.dictionary(fc.constantFrom("egress", "writes", "text"), fc.jsonValue(), {
    maxKeys: 3,
  }),
}).map((o) => input(o));

const gateArb = fc.constantFrom(
  undefined,
  () => ({ decision: "ALLOW", policy_version: "p", reason: "ok" }),
  () => ({ decision: "DENY", policy_version: "p", reason: "no" }),
  () => ({ decision: "REQUIRE_HUMAN", policy_version: "p", reason: "human" }),
  () => ({ decision: "maybe" }),
  () => {
    throw new Error("boom");
  },
);

const rarely = fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true));
const configArb = fc.record({
  require_worker_attestation: rarely,
  require_signatory: rarely,
  allowed_tenants: fc.constantFrom<string[][]>([], ["acme"], ["acme"]),
  enforce_privilege_envelopes: rarely,
});

const scenario = fc.record({
  rules: rulesArb,
  registry: registryArb,
  input: inputArb,
  gate: gateArb,
  config: configArb,
  current: fc.constantFrom(undefined, "aa".repeat(32), "bb".repeat(32)),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function optionsOf(s: Scenario): DecisionOptions {
  const current = s.current;
  return {
    rules: s.rules,
    registry: s.registry,
    policyGate: s.gate as DecisionOptions["policyGate"],
    config: s.config,
    currentWorkerHash: current === undefined ? undefined : () => current,
    now: () => NOW,
    newId: ids(),
  };
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function checkInvariants(d: RouteDecision): void {
  assert.equal(d.denied, d.outcome === "DENY");
  assert.equal(d.deny_reason_if_denied !== null, d.denied);
  if (d.denied) {
    assert.ok((DENY_CODES as readonly string[]).includes(d.deny_reason_if_denied!.code));
    assert.equal(d.selected_worker_id, null);
    assert.equal(d.telemetry_envelopes.length, 1);
  } else {
    assert.ok(d.selected_worker_id !== null && d.selected_worker_species_id !== null);
    const ids = d.telemetry_envelopes.map((e) => e.event_id);
    for (const id of ["evt.os.task.routed", "evt.os.worker.selected", "evt.os.policy.gated"]) {
      assert.ok(ids.includes(id));
    }
  }
  if (d.outcome === "STEWARD_HOLD") {
    assert.equal(d.supervisor_required, true);
    assert.notEqual(d.supervisor_level, "advisory");
    assert.equal(d.pending_approval_id === undefined, d.dry_run);
  }
  if (d.supervisor_required) assert.ok(d.escalation_context);
  for (const e of d.telemetry_envelopes) {
    assert.equal(e.decision_id, d.decision_id);
    for (const v of Object.values(e)) if (typeof v === "string") assert.ok(!CONTROL.test(v));
  }
  JSON.stringify(d); // always serialisable
}

Deno.test("properties: same input, clock and ids give identical decisions", () => {
  const outcomes = new Map<string, number>();
  fc.assert(
    fc.property(scenario, (s) => {
      const a = makeDecision(s.input, optionsOf(s));
      const b = makeDecision(structuredClone(s.input), optionsOf(s));
      assert.deepEqual(a, b);
      checkInvariants(a);
      outcomes.set(a.outcome, (outcomes.get(a.outcome) ?? 0) + 1);
    }),
    { numRuns: 600, seed: 20261201 },
  );
  // The generators reach every outcome, so the properties are not vacuous.
  for (const o of ["DISPATCH", "DENY", "STEWARD_HOLD"]) assert.ok((outcomes.get(o) ?? 0) > 5, o);
});

Deno.test("properties: fail closed: only a matching rule with a selected worker dispatches", () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const d = makeDecision(s.input, optionsOf(s));
      const rule = s.rules.match(s.input as Record<MatchField, string>);
      if (rule === undefined) {
        assert.equal(d.outcome, "DENY");
        assert.ok(["PRE_ROUTING", "NO_MATCH"].includes(d.matched_rule_id));
      }
      if (d.outcome !== "DENY") {
        assert.equal(d.matched_rule_id, rule?.rule_id);
        const species = rule!.decision.candidate_workers_ranked.map((c) => c.worker_species_id);
        assert.ok(species.includes(d.selected_worker_species_id!));
        const rec = s.registry.get(d.selected_worker_id!);
        assert.ok(rec && s.registry.isAvailable(rec.worker_id));
        assert.ok(!rec.allowed_environments || rec.allowed_environments.includes(d.env!));
        if (s.config.require_worker_attestation) assert.equal(d.worker_attestation_valid, true);
        assert.ok(d.correlation_id.trim() !== "");
      }
      if (s.input.capability_id === "cap.unknown.thing") {
        const anyRule = s.rules.rules.some((r) =>
          r.match.capability_id === undefined ||
          typeof r.match.capability_id === "object"
        );
        if (!anyRule) assert.equal(d.outcome, "DENY");
      }
    }),
    { numRuns: 400 },
  );
});

Deno.test("properties: never throws on arbitrary JSON or arbitrary values", () => {
  const rules = parseRules([{
    rule_id: "any",
    decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.a" }] },
  }]);
  const registry = new Registry();
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const d = makeDecision(v, { rules, registry });
      checkInvariants(d);
      assert.equal(d.outcome, "DENY");
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.anything(), fc.anything(), (v, o) => {
      checkInvariants(makeDecision(v, { rules, registry }));
      checkInvariants(makeDecision(v, o as DecisionOptions));
      checkInvariants(makeDecision(input(), o as DecisionOptions));
    }),
    { numRuns: 300 },
  );
  // Arbitrary values planted in every field of an otherwise valid input.
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(input())), fc.anything(), (k, v) => {
      checkInvariants(makeDecision({ ...input(), [k]: v }, { rules, registry }));
    }),
    { numRuns: 300 },
  );
});

Deno.test("properties: hostile inputs and callbacks deny instead of throwing", () => {
  const rules = parseRules([{
    rule_id: "any",
    decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.a" }] },
  }]);
  const hostile = new Proxy({}, {
    get() {
      throw new Error("getter bomb");
    },
    ownKeys() {
      throw new Error("keys bomb");
    },
  });
  for (const inp of [hostile, { ...input(), request: hostile }]) {
    const d = makeDecision(inp, { rules });
    checkInvariants(d);
    assert.equal(d.outcome, "DENY");
  }
  const d = makeDecision(input(), {
    rules,
    now: () => {
      throw new Error("clock");
    },
    newId: () => {
      throw new Error("ids");
    },
    telemetry: () => {
      throw new Error("sink");
    },
  });
  checkInvariants(d);
  assert.match(d.decision_id, /^[0-9a-f-]{36}$/);
  const broken = {
    ...rules,
    match: () => {
      throw new Error("index corrupted");
    },
  };
  assert.equal(
    makeDecision(input(), { rules: broken }).deny_reason_if_denied?.code,
    "DENY_INTERNAL_ERROR",
  );
  const badClock = makeDecision(input(), { rules, now: () => 1e300 });
  checkInvariants(badClock);
});

Deno.test("properties: no shared mutable defaults between decisions (B-16)", () => {
  const rules = parseRules([{ decision: { candidate_workers_ranked: [] }, rule_id: "r" }]);
  const a = makeDecision({}, { rules });
  a.escalation_effective.human_required_default = true;
  a.escalation_effective.human_required_if.push({ x: 1 });
  a.preconditions_checked.must_have_correlation_id = false;
  a.required_controls_effective.push("ctrl.evil");
  a.candidate_workers_ranked.push({ worker_species_id: "x", score_hint: null });
  const b = makeDecision({}, { rules });
  assert.equal(b.escalation_effective.human_required_default, false);
  assert.deepEqual(b.escalation_effective.human_required_if, []);
  assert.equal(b.preconditions_checked.must_have_correlation_id, true);
  assert.deepEqual(b.required_controls_effective, []);
  assert.deepEqual(b.candidate_workers_ranked, []);
  const r1 = parseRules([{
    rule_id: "r",
    decision: { candidate_workers_ranked: [], required_controls_suggested: ["ctrl.a"] },
  }]);
  const c = makeDecision(input({ capability_id: "cap.x.y" }), { rules: r1 });
  c.required_controls_effective.push("ctrl.b");
  assert.deepEqual(r1.rules[0].decision.required_controls_suggested, ["ctrl.a"]);
});

Deno.test("properties: a trace has one step per pipeline step, in order, each with a sentence", () => {
  const steps = [
    "config",
    "signatory",
    "input",
    "tenant",
    "shadow",
    "match",
    "correlation",
    "controls",
    "blast",
    "policy",
    "human",
    "selection",
    "attestation",
    "privilege",
    "dry_run",
  ];
  fc.assert(
    fc.property(scenario, (s) => {
      const d = makeDecision(s.input, { ...optionsOf(s), trace: true });
      const trace = d.trace!;
      assert.deepEqual(trace.map((t) => t.step), steps);
      for (const t of trace) {
        assert.ok(["pass", "deny", "hold", "skip"].includes(t.outcome));
        assert.match(t.detail, /^[A-Z].*\.$/);
      }
      assert.equal(trace.filter((t) => t.outcome === "deny").length, d.denied ? 1 : 0);
      if (d.outcome === "STEWARD_HOLD") assert.ok(trace.some((t) => t.outcome === "hold"));
      const untraced = makeDecision(s.input, optionsOf(s));
      assert.equal(untraced.trace, undefined);
      assert.deepEqual({ ...d, trace: undefined }, { ...untraced, trace: undefined });
    }),
    { numRuns: 300 },
  );
});

Deno.test("properties: a registry that throws mid-decision yields a complete internal-error denial", () => {
  class Broken extends Registry {
    override workersForSpecies(): never {
      throw new Error("store connection reset");
    }
    override workersForTenant(): never {
      throw new Error("store connection reset");
    }
  }
  const registry = new Broken();
  registry.enroll({
    worker_id: "org.acme.w",
    worker_species_id: "wrk.doc.a",
    capabilities: ["cap.doc.summarize"],
  });
  const events: unknown[] = [];
  const d = makeDecision(input(), {
    rules: parseRules([{
      rule_id: "r",
      decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.a" }] },
    }]),
    registry,
    now: () => NOW,
    newId: () => "dec-9",
    telemetry: (e) => events.push(e),
  });
  checkInvariants(d);
  assert.equal(d.deny_reason_if_denied?.code, "DENY_INTERNAL_ERROR");
  assert.equal(d.decision_id, "dec-9");
  assert.equal(d.timestamp, new Date(NOW).toISOString());
  assert.equal(d.matched_rule_id, "r");
  assert.equal(d.correlation_id, input().correlation_id, "validated values are still echoed");
  assert.equal(d.env, "dev");
  assert.ok(!JSON.stringify(d).includes("connection reset"));
  assert.equal(events.length, 1);
});
