// POST /wcp/simulate and GET /wcp/decision-records: the hall records a replay record per decision
// and replays them against candidate rules, config or gate (admin only).
import assert from "node:assert/strict";
import { EXAMPLE_RULES } from "../../src/hall/bootstrap.ts";
import { err, hallTest, j, routeInput, type TestHall } from "./_helpers.ts";

// Four decisions under the example rules, their outcomes worked out by hand:
//   summarize INTERNAL/dev -> DISPATCH (example.summarize)
//   summarize RESTRICTED/dev -> DENY_NO_MATCHING_RULE (the rule takes PUBLIC and INTERNAL only)
//   notify dev -> STEWARD_HOLD (the gate's REQUIRE_HUMAN for cap.msg.notify)
//   greet dev -> DISPATCH (example.greet)
async function fourDecisions(h: TestHall): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const cases: [string, Record<string, unknown>][] = [
    ["sum", {}],
    ["restricted", { data_label: "RESTRICTED" }],
    ["notify", { capability_id: "cap.msg.notify" }],
    ["greet", { capability_id: "cap.hello.greet" }],
  ];
  for (const [name, over] of cases) {
    const r = await h.req("/wcp/route", { method: "POST", json: routeInput(over) });
    const d = await j(r);
    assert.equal(r.status, 200, JSON.stringify(d));
    out[name] = `${d.outcome} ${d.deny_reason_if_denied?.code ?? "-"}`;
  }
  assert.deepEqual(out, {
    sum: "DISPATCH -",
    restricted: "DENY DENY_NO_MATCHING_RULE",
    notify: "STEWARD_HOLD -",
    greet: "DISPATCH -",
  });
  return out;
}

const simulate = async (h: TestHall, json: unknown, token?: string) => {
  const r = await h.req("/wcp/simulate", { method: "POST", json, token });
  return { status: r.status, body: await j(r) };
};

hallTest("simulate: the rules, config and gate in force change nothing", async (h) => {
  await fourDecisions(h);
  const { status, body } = await simulate(h, {});
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.total, 4);
  assert.equal(body.changed, 0);
  // The hall's own gate is used: without it the notify hold would become a denial.
  assert.deepEqual(body.candidate, { rules: "hall", hall_config: "hall", policy_gate: "hall" });
  assert.equal(body.first_seq, 1);
  assert.equal(body.last_seq, 4);
  assert.equal(body.more, false);
});

hallTest("simulate: candidate rules that take RESTRICTED flip exactly that denial", async (h) => {
  await fourDecisions(h);
  const rules = structuredClone(EXAMPLE_RULES);
  rules.rules[0].match.data_label = { in: ["PUBLIC", "INTERNAL", "RESTRICTED"] };
  const { status, body } = await simulate(h, { rules });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.changed, 1);
  assert.equal(body.groups.length, 1);
  const g = body.groups[0];
  assert.deepEqual(
    [g.old_outcome, g.old_deny_code, g.new_outcome, g.new_deny_code, g.count],
    ["DENY", "DENY_NO_MATCHING_RULE", "DISPATCH", null, 1],
  );
  assert.equal(g.examples[0].input.data_label, "RESTRICTED");
  assert.equal(g.examples[0].new.matched_rule_id, "example.summarize");
  assert.equal(body.candidate.rules, "body");
});

hallTest(
  "simulate: a candidate table gate that allows notifications releases the hold",
  async (h) => {
    await fourDecisions(h);
    const { body } = await simulate(h, { policy_gate: { default: "ALLOW", rules: [] } });
    assert.deepEqual(
      body.groups.map((g: Record<string, unknown>) => [g.old_outcome, g.new_outcome, g.count]),
      [["STEWARD_HOLD", "DISPATCH", 1]],
    );
    assert.equal(body.candidate.policy_gate, "body");
  },
);

hallTest("simulate: limit and after_seq page through the records", async (h) => {
  await fourDecisions(h);
  const first = await simulate(h, { limit: 3 });
  assert.deepEqual([first.body.total, first.body.last_seq, first.body.more], [3, 3, true]);
  const rest = await simulate(h, { after_seq: 3 });
  assert.deepEqual([rest.body.total, rest.body.first_seq, rest.body.more], [1, 4, false]);
});

hallTest("simulate: admin only; bad candidates are 400 naming the path", async (h) => {
  await fourDecisions(h);
  const ns = await h.grant("org.sim");
  const forbidden = await simulate(h, {}, ns.token);
  assert.equal(forbidden.status, 403);
  const badRules = await simulate(h, { rules: [{ rule_id: "x", match: { env: "moon" } }] });
  assert.equal(badRules.status, 400);
  assert.equal(err(badRules.body).code, "RULES_INVALID");
  assert.equal(err(badRules.body).path, "rules.rules[0].match.env");
  // The engine's loader words it: the full path once, then the problem.
  assert.match(String(err(badRules.body).message), /^rules\.rules\[0\]\.match\.env: /);
  // A body shaped like compiled rules is still a document to compile (JSON has no functions),
  // and an explicit null is not "the rules in force".
  for (const rules of [{ rules: [{ rule_id: "x" }], shadowWarnings: [] }, null]) {
    const shaped = await simulate(h, { rules });
    assert.equal(shaped.status, 400, JSON.stringify(shaped.body));
    assert.match(String(err(shaped.body).path), /^rules/);
  }
  const badConfig = await simulate(h, { hall_config: { blast_gate_threshold: 500 } });
  assert.equal(badConfig.status, 400);
  assert.equal(err(badConfig.body).path, "hall_config.blast_gate_threshold");
  assert.equal(err(badConfig.body).code, "CONFIG_INVALID");
  const configMessage = String(err(badConfig.body).message);
  assert.match(configMessage, /^hall_config\.blast_gate_threshold: /);
  assert.ok(!configMessage.includes("threshold: blast_gate_threshold"), configMessage);
  const badGate = await simulate(h, { policy_gate: { default: "MAYBE" } });
  assert.equal(badGate.status, 400);
  assert.equal(err(badGate.body).path, "policy_gate.default");
  const badKey = await simulate(h, { rulez: [] });
  assert.equal(badKey.status, 400);
  const badSince = await simulate(h, { since: "yesterday" });
  assert.equal(badSince.status, 400);
  assert.equal(err(badSince.body).path, "since");
  // A bound in another offset is compared as the UTC time it is.
  const future = await simulate(h, { since: "2999-01-01T00:00:00+02:00" });
  assert.equal(future.body.total, 0);
  const past = await simulate(h, { since: "2000-01-01T00:00:00Z" });
  assert.equal(past.body.total, 4);
});

hallTest(
  "decision-records: the recorded inputs keep the blast flags, not the payload",
  async (h) => {
    await h.req("/wcp/route", {
      method: "POST",
      json: routeInput({ request: { text: "secret text", egress: true } }),
    });
    const r = await h.req("/wcp/decision-records?limit=10");
    const body = await j(r);
    assert.equal(r.status, 200);
    assert.equal(body.count, 1);
    assert.deepEqual(body.records[0].input.request, { egress: true });
    assert.ok(!JSON.stringify(body).includes("secret text"));
    assert.equal(body.next_after_seq, 1);
    const ns = await h.grant("org.sim");
    assert.equal((await h.req("/wcp/decision-records", { token: ns.token })).status, 403);
  },
);

hallTest(
  "simulate: old current replays the old side too, so drift since recording is not reported",
  async (h) => {
    await fourDecisions(h);
    // Drift: the greeter is revoked after its decision was recorded.
    const revoke = await h.req("/wcp/workers/org.demo.greeter.1/revoke", {
      method: "POST",
      json: {},
    });
    assert.equal(revoke.status, 200, await revoke.text());
    const recorded = await simulate(h, {});
    assert.deepEqual(
      recorded.body.groups.map((g: Record<string, unknown>) => [g.old_outcome, g.new_deny_code]),
      [["DISPATCH", "DENY_NO_AVAILABLE_WORKER"]],
    );
    const current = await simulate(h, { old: "current" });
    assert.equal(current.body.old, "current");
    assert.equal(current.body.changed, 0);
    // The RESTRICTED candidate against the current old side: still exactly its one flip.
    const rules = structuredClone(EXAMPLE_RULES);
    rules.rules[0].match.data_label = { in: ["PUBLIC", "INTERNAL", "RESTRICTED"] };
    const both = await simulate(h, { rules, old: "current" });
    assert.deepEqual(
      both.body.groups.map((g: Record<string, unknown>) => [g.old_deny_code, g.new_outcome]),
      [["DENY_NO_MATCHING_RULE", "DISPATCH"]],
    );
  },
);
