// What-if replay (simulateDecisions): a hand-written fixture of nine recorded decisions
// (tests/fixtures/policy/records.jsonl, made under old_rules.json) replayed against
// new_rules.json, with every expected flip worked out by hand below, not by the code under test.
import assert from "node:assert/strict";
import {
  decisionRecordOf,
  DecisionSimulator,
  makeDecision,
  parseDecisionRecord,
  parseRules,
  Registry,
  simulateDecisions,
  WcpError,
} from "../../mod.ts";

const dir = new URL("../fixtures/policy/", import.meta.url);
const json = (name: string) => JSON.parse(Deno.readTextFileSync(new URL(name, dir)));
const records = Deno.readTextFileSync(new URL("records.jsonl", dir)).trim().split("\n")
  .map((l, i) => parseDecisionRecord(JSON.parse(l), `line ${i + 1}`));
function registry(): Registry {
  const r = new Registry();
  for (const w of json("registry.json").workers) r.enroll(w);
  return r;
}

Deno.test("simulate: replaying the fixture against the rules it was recorded under changes nothing", () => {
  const report = simulateDecisions(records, {
    rules: parseRules(json("old_rules.json")),
    registry: registry(),
  });
  assert.equal(report.total, 9);
  assert.equal(report.changed, 0);
  assert.deepEqual(report.groups, []);
});

Deno.test("simulate: the new rules flip exactly the decisions worked out by hand", () => {
  const report = simulateDecisions(records, {
    rules: parseRules(json("new_rules.json")),
    registry: registry(),
  });
  // By hand, from old_rules.json -> new_rules.json:
  // d1 summarize/dev, d5 translate/dev: same rule, same worker -> unchanged.
  // d2, d3 summarize/prod: r.sum no longer covers prod; r.sum.prod holds for a human
  //   -> DISPATCH -> STEWARD_HOLD, each losing the summarizer's dispatched blast 4.
  // d4 translate/prod: r.translate now covers prod -> DENY_NO_MATCHING_RULE -> DISPATCH to
  //   org.acme.tr.1 (five-dimension blast 1+2+0+0+0 = 3).
  // d6 translate/stage, d7 summarize/edge, d8 cap.other.thing: still no rule -> unchanged.
  // d9 summarize/prod RESTRICTED P0 with egress and writes: heuristic 100 >= 85, denied by the
  //   blast gate before the human step under both, but now matched by r.sum.prod.
  assert.equal(report.total, 9);
  assert.equal(report.changed, 4);
  assert.equal(report.unchanged, 5);
  const summary = report.groups.map((g) => ({
    from: [g.old_outcome, g.old_deny_code],
    to: [g.new_outcome, g.new_deny_code],
    count: g.count,
    ids: g.examples.map((e) => e.decision_id),
    changed: g.examples.map((e) => e.changed.join(",")),
    delta: g.dispatched_blast_delta,
  }));
  assert.deepEqual(summary, [
    {
      from: ["DISPATCH", null],
      to: ["STEWARD_HOLD", null],
      count: 2,
      ids: ["d2", "d3"],
      // A hold names the worker it would dispatch to: the same summarizer.
      changed: ["outcome,matched_rule_id", "outcome,matched_rule_id"],
      delta: { total: -8, min: -4, max: -4 },
    },
    {
      from: ["DENY", "DENY_NO_MATCHING_RULE"],
      to: ["DISPATCH", null],
      count: 1,
      ids: ["d4"],
      changed: ["outcome,deny_code,matched_rule_id,selected_worker_id"],
      delta: { total: 3, min: 3, max: 3 },
    },
    {
      from: ["DENY", "DENY_REQUIRES_HUMAN"],
      to: ["DENY", "DENY_REQUIRES_HUMAN"],
      count: 1,
      ids: ["d9"],
      changed: ["matched_rule_id"],
      delta: { total: 0, min: 0, max: 0 },
    },
  ]);
  assert.equal(report.groups[0].examples[0].new.selected_worker_id, "org.acme.sum.1");
  assert.equal(report.groups[1].examples[0].new.selected_worker_id, "org.acme.tr.1");
  assert.deepEqual(report.outcomes, {
    old: { DISPATCH: 4, DENY: 5, STEWARD_HOLD: 0 },
    new: { DISPATCH: 3, DENY: 4, STEWARD_HOLD: 2 },
  });
  // Dispatched blast: old d1 4 + d2 4 + d3 4 + d5 3 = 15; new d1 4 + d4 3 + d5 3 = 10.
  assert.deepEqual(report.dispatched_blast, { old: 15, new: 10, delta: -5 });
});

Deno.test("simulate: examples are capped per group, counts are not", () => {
  const sim = new DecisionSimulator({
    rules: parseRules(json("new_rules.json")),
    registry: registry(),
  }, { examples: 1 });
  for (const r of records) sim.add(r);
  const hold = sim.report().groups[0];
  assert.equal(hold.count, 2);
  assert.deepEqual(hold.examples.map((e) => e.decision_id), ["d2"]);
});

const input = {
  correlation_id: "c-1",
  tenant_id: "acme",
  env: "dev",
  data_label: "PUBLIC",
  tenant_risk: "low",
  qos_class: "P2",
  capability_id: "cap.doc.summarize",
  request: { text: "the payload", egress: "yes", writes: 0 },
};

Deno.test("decisionRecordOf keeps the blast flags of the request, never the payload; invalid input is not recorded", () => {
  const d = makeDecision(input, { rules: parseRules([]) });
  const r = decisionRecordOf(input, d, 7)!;
  assert.deepEqual(r.input.request, { egress: true });
  assert.equal(r.parent_chain_blast_score, 7);
  assert.equal(r.deny_code, "DENY_NO_MATCHING_RULE");
  assert.deepEqual(parseDecisionRecord(JSON.parse(JSON.stringify(r))), r);
  const bad = { ...input, env: "moon" };
  assert.equal(decisionRecordOf(bad, makeDecision(bad, { rules: parseRules([]) })), null);
});

Deno.test("parseDecisionRecord names the bad field", () => {
  const good = decisionRecordOf(input, makeDecision(input, { rules: parseRules([]) }))!;
  const cases: [unknown, string][] = [
    [{ ...good, outcome: "MAYBE" }, "line 3.outcome"],
    [{ ...good, input: { ...good.input, env: "moon" } }, "line 3.input.env"],
    [{ ...good, input: { ...good.input, request: { text: "x" } } }, "line 3.input.request.text"],
    [{ ...good, extra: 1 }, "line 3.extra"],
    [{ ...good, blast_dimensions_score: 99 }, "line 3.blast_dimensions_score"],
    [{ ...good, gate_answer: { decision: "allow" } }, "line 3.gate_answer"],
  ];
  for (const [v, path] of cases) {
    assert.throws(
      () => parseDecisionRecord(v, "line 3"),
      (e) => e instanceof WcpError && e.code === "RECORD_INVALID" && e.path === path,
      path,
    );
  }
});

Deno.test("simulate: a recorded gate answer is replayed unless a candidate gate is given", () => {
  const rules = parseRules([{
    rule_id: "gated",
    match: { capability_id: "cap.doc.summarize" },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }],
      escalation: { policy_gate: true },
    },
  }]);
  const reg = registry();
  const answer = { decision: "DENY" as const, policy_version: "cedar.v1", reason: "forbid" };
  const recorded = makeDecision(input, { rules, registry: reg, policyGate: () => answer });
  assert.equal(recorded.deny_reason_if_denied?.code, "DENY_POLICY_GATE");
  const rec = decisionRecordOf(input, recorded, null, answer)!;
  assert.equal(simulateDecisions([rec], { rules, registry: reg }).changed, 0);
  const allow = simulateDecisions([rec], {
    rules,
    registry: reg,
    policyGate: () => ({ decision: "ALLOW", policy_version: "p2", reason: "ok" }),
  });
  assert.deepEqual(
    allow.groups.map((g) => [g.old_deny_code, g.new_outcome]),
    [["DENY_POLICY_GATE", "DISPATCH"]],
  );
  const withoutAnswer = simulateDecisions([{ ...rec, gate_answer: null }], {
    rules,
    registry: reg,
  });
  assert.equal(withoutAnswer.groups[0].new_deny_code, "DENY_POLICY_GATE_UNCONFIGURED");
});

Deno.test("simulate: the parent chain's recorded blast total counts against the cap on replay", () => {
  const rules = parseRules([{
    rule_id: "capped",
    match: { capability_id: "cap.doc.summarize" },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }],
      max_blast_by_env: { dev: 22 },
    },
  }]);
  const reg = registry();
  const child = { ...input, parent_decision_id: "parent-1" };
  // The summarizer scores 4; with the parent chain at 20 the chain total 24 exceeds the cap 22.
  const recorded = makeDecision(child, { rules, registry: reg, chainBlastScore: () => 20 });
  assert.equal(recorded.deny_reason_if_denied?.code, "DENY_BLAST_OVER_CAP");
  const rec = decisionRecordOf(child, recorded, 20)!;
  assert.equal(simulateDecisions([rec], { rules, registry: reg }).changed, 0);
  // At chain 10 (total 14) the same request dispatches.
  const lower = simulateDecisions([{ ...rec, parent_chain_blast_score: 10 }], {
    rules,
    registry: reg,
  });
  assert.deepEqual(lower.groups.map((g) => g.new_outcome), ["DISPATCH"]);
});

Deno.test("simulate: onChange sees every changed decision in order, whatever the example cap", () => {
  const seen: string[] = [];
  const report = simulateDecisions(records, {
    rules: parseRules(json("new_rules.json")),
    registry: registry(),
  }, { examples: 0, onChange: (c) => seen.push(c.decision_id) });
  assert.deepEqual(seen, ["d2", "d3", "d4", "d9"]);
  assert.deepEqual(report.groups.map((g) => g.examples.length), [0, 0, 0]);
});

Deno.test("simulate: a baseline separates the candidate's changes from drift since recording", () => {
  // The translator is no longer enrolled: d5 (translate/dev, recorded DISPATCH) now finds no worker.
  const reg = new Registry();
  reg.enroll(json("registry.json").workers[0]);
  const oldRules = parseRules(json("old_rules.json"));
  const drift = simulateDecisions(records, { rules: oldRules, registry: reg });
  assert.deepEqual(
    drift.groups.map((g) => [g.examples[0].decision_id, g.new_deny_code]),
    [["d5", "DENY_NO_AVAILABLE_WORKER"]],
  );
  // Against a baseline of the same rules and registry, the same candidate changes nothing.
  const none = simulateDecisions(records, { rules: oldRules, registry: reg }, {
    baseline: { rules: oldRules, registry: reg },
  });
  assert.equal(none.changed, 0);
  // The new rules against that baseline: the hand-worked flips of d2, d3 and d9 (d4 would
  // dispatch to the translator, which is gone: DENY_NO_MATCHING_RULE -> DENY_NO_AVAILABLE_WORKER).
  const r = simulateDecisions(
    records,
    { rules: parseRules(json("new_rules.json")), registry: reg },
    {
      baseline: { rules: oldRules, registry: reg },
    },
  );
  assert.deepEqual(
    r.groups.map((g) => [g.old_deny_code, g.new_outcome, g.new_deny_code, g.count]),
    [
      [null, "STEWARD_HOLD", null, 2],
      ["DENY_NO_MATCHING_RULE", "DENY", "DENY_NO_AVAILABLE_WORKER", 1],
      ["DENY_REQUIRES_HUMAN", "DENY", "DENY_REQUIRES_HUMAN", 1],
    ],
  );
});
