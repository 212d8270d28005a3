import assert from "node:assert/strict";
import {
  DEFAULT_RULE_ESCALATION,
  DEFAULT_RULE_PRECONDITIONS,
  type MatchField,
  parseRules,
  toEscalation,
  toPreconditions,
  WcpError,
} from "../../mod.ts";

type Fields = Record<MatchField, string>;
const BASE: Fields = {
  capability_id: "cap.doc.summarize",
  env: "dev",
  data_label: "PUBLIC",
  tenant_risk: "low",
  qos_class: "P2",
};

/** Assert parseRules(doc) throws RULES_INVALID at `path`, with `text` in the message. */
function rejects(doc: unknown, path: string, text?: string | RegExp): void {
  try {
    parseRules(doc);
  } catch (e) {
    assert.ok(e instanceof WcpError, `expected WcpError, got ${e}`);
    assert.equal(e.code, "RULES_INVALID");
    assert.equal(e.path, path, `path for ${JSON.stringify(doc)}: ${e.message}`);
    if (typeof text === "string") assert.ok(e.message.includes(text), e.message);
    else if (text) assert.match(e.message, text);
    return;
  }
  assert.fail(`accepted ${JSON.stringify(doc)}`);
}

const rule = (match: unknown, extra: Record<string, unknown> = {}) => ({
  rules: [{ decision: { candidate_workers_ranked: [] }, rule_id: "ok" }, {
    decision: { candidate_workers_ranked: [] },
    rule_id: "r-x",
    match,
    ...extra,
  }],
});

Deno.test("parseRules: document shapes", () => {
  assert.equal(
    parseRules({ rules: [{ decision: { candidate_workers_ranked: [] }, rule_id: "a" }] }).rules
      .length,
    1,
  );
  assert.equal(
    parseRules([{ decision: { candidate_workers_ranked: [] }, rule_id: "a" }, {
      decision: { candidate_workers_ranked: [] },
      rule_id: "b",
    }]).rules.length,
    2,
  );
  assert.equal(parseRules({ rules: [], version: "1" }).rules.length, 0);
  rejects({}, "rules", "missing");
  rejects({ rules: {} }, "rules", "must be an array");
  rejects({ rules: null }, "rules", "must be an array");
  rejects(null, "", "got null");
  rejects("[]", "", "got the string");
  rejects(42, "", "got the number 42");
});

Deno.test("parseRules: rule objects and rule_id", () => {
  rejects([null], "rules[0]", "a rule must be an object, got null");
  rejects(
    [{ decision: { candidate_workers_ranked: [] }, rule_id: "a" }, []],
    "rules[1]",
    "got an array",
  );
  rejects([{ match: {} }], "rules[0].rule_id", "rule_id is required");
  rejects(
    [{ decision: { candidate_workers_ranked: [] }, rule_id: "" }],
    "rules[0].rule_id",
    "non-empty string",
  );
  rejects(
    [{ decision: { candidate_workers_ranked: [] }, rule_id: "   " }],
    "rules[0].rule_id",
    "non-empty string",
  );
  rejects(
    [{ decision: { candidate_workers_ranked: [] }, rule_id: 7 }],
    "rules[0].rule_id",
    "got the number 7",
  );
  rejects(
    [{ decision: { candidate_workers_ranked: [] }, rule_id: "a" }, {
      decision: { candidate_workers_ranked: [] },
      rule_id: "b",
    }, { decision: { candidate_workers_ranked: [] }, rule_id: "a" }],
    "rules[2].rule_id",
    "rule 'a': rule_id is already used by rules[0]",
  );
});

Deno.test("parseRules: match keys and condition forms", () => {
  rejects(rule("cap.x"), "rules[1].match", "rule 'r-x': match must be an object");
  rejects(rule(null), "rules[1].match", "got null");
  rejects(rule({ tenant_id: "acme" }), "rules[1].match.tenant_id", 'unknown match key "tenant_id"');
  rejects(rule({ env: null }), "rules[1].match.env", "got null");
  rejects(rule({ env: 1 }), "rules[1].match.env", "got the number 1");
  rejects(rule({ env: true }), "rules[1].match.env", "got the boolean true");
  rejects(rule({ env: ["prod"] }), "rules[1].match.env", "got an array");
  rejects(rule({ env: {} }), "rules[1].match.env", "empty condition object");
  rejects(
    rule({ env: { in: ["prod"], any: true } }),
    "rules[1].match.env",
    "exactly one operator, got in, any",
  );
  rejects(rule({ env: { like: "pro%" } }), "rules[1].match.env.like", 'unknown operator "like"');
  rejects(rule({ env: { any: false } }), "rules[1].match.env.any", '"any" must be true');
  rejects(rule({ env: { any: 1 } }), "rules[1].match.env.any", '"any" must be true');
  rejects(rule({ env: { in: "prodstage" } }), "rules[1].match.env.in", "takes an array");
  rejects(rule({ env: { in: [] } }), "rules[1].match.env.in", "at least one value");
  rejects(rule({ env: { not_in: [] } }), "rules[1].match.env.not_in", "at least one value");
  rejects(rule({ env: { not_in: "dev" } }), "rules[1].match.env.not_in", "takes an array");
  rejects(rule({ env: { in: ["dev", 3] } }), "rules[1].match.env.in[1]", "must be strings");
  rejects(rule({ env: { eq: 3 } }), "rules[1].match.env.eq", "must be strings");
  rejects(rule({ capability_id: "" }), "rules[1].match.capability_id", "must not be empty");
  rejects(
    rule({ capability_id: { eq: "" } }),
    "rules[1].match.capability_id.eq",
    "must not be empty",
  );
  rejects(rule({ env: undefined }), "rules[1].match.env", "got undefined");
  rejects(rule({ capability_id: { in: ["cap.a", ""] } }), "rules[1].match.capability_id.in[1]");
});

Deno.test("parseRules: enum fields only take enum values, in every operator", () => {
  rejects(rule({ env: "production" }), "rules[1].match.env", "not a valid env");
  rejects(rule({ env: "PROD" }), "rules[1].match.env", "dev|stage|prod|edge");
  rejects(rule({ data_label: { eq: "CONFIDENTIAL" } }), "rules[1].match.data_label.eq");
  rejects(rule({ tenant_risk: { in: ["low", "critical"] } }), "rules[1].match.tenant_risk.in[1]");
  rejects(rule({ qos_class: { not_in: ["P4"] } }), "rules[1].match.qos_class.not_in[0]");
  // capability ids are free strings
  parseRules(rule({ capability_id: { in: ["Anything at all", "x"] } }));
});

Deno.test("parseRules: decision block errors name the field", () => {
  const d = (decision: unknown) => rule({}, { decision });
  const at = "rules[1].decision";
  rejects(d(null), at, "decision must be an object");
  rejects(d([]), at, "got an array");
  rejects(d({ candidate_workers_ranked: null }), `${at}.candidate_workers_ranked`, "array");
  rejects(d({ candidate_workers_ranked: ["wrk.a"] }), `${at}.candidate_workers_ranked[0]`);
  rejects(
    d({ candidate_workers_ranked: [{ worker_species_id: "wrk.a" }, {}] }),
    `${at}.candidate_workers_ranked[1].worker_species_id`,
    "rule 'r-x'",
  );
  rejects(
    d({ candidate_workers_ranked: [{ worker_species_id: "" }] }),
    `${at}.candidate_workers_ranked[0].worker_species_id`,
  );
  rejects(
    d({ candidate_workers_ranked: [{ worker_species_id: "wrk.a", score_hint: "1" }] }),
    `${at}.candidate_workers_ranked[0].score_hint`,
  );
  rejects(
    d({ candidate_workers_ranked: [{ worker_species_id: "wrk.a", score_hint: Infinity }] }),
    `${at}.candidate_workers_ranked[0].score_hint`,
  );
  rejects(d({ required_controls_suggested: "ctrl.a" }), `${at}.required_controls_suggested`);
  rejects(
    d({ required_controls_suggested: ["ctrl.a", 1] }),
    `${at}.required_controls_suggested[1]`,
  );
  rejects(d({ recommended_profiles: ["prof.x"] }), `${at}.recommended_profiles[0]`, "object");
  rejects(d({ recommended_profiles: {} }), `${at}.recommended_profiles`);
  rejects(
    d({ recommended_profiles: [{ a: [1, undefined] }] }),
    `${at}.recommended_profiles[0].a[1]`,
    "not JSON",
  );
  rejects(d({ escalation: [] }), `${at}.escalation`);
  for (const k of ["policy_gate", "msavx_step_up", "human_required_default", "hold_over_cap"]) {
    rejects(d({ escalation: { [k]: "false" } }), `${at}.escalation.${k}`, "true or false");
    rejects(d({ escalation: { [k]: null } }), `${at}.escalation.${k}`, "got null");
  }
  rejects(d({ escalation: { human_required_if: {} } }), `${at}.escalation.human_required_if`);
  rejects(d({ escalation: { human_required_if: [1] } }), `${at}.escalation.human_required_if[0]`);
  rejects(d({ escalation: { rationale: 5 } }), `${at}.escalation.rationale`);
  rejects(d({ escalation: { supervisor_level: "boss" } }), `${at}.escalation.supervisor_level`);
  rejects(d({ preconditions: "yes" }), `${at}.preconditions`);
  for (const k of Object.keys(DEFAULT_RULE_PRECONDITIONS)) {
    rejects(d({ preconditions: { [k]: 1 } }), `${at}.preconditions.${k}`, `${k} must be true`);
  }
  rejects(d({ max_blast_by_env: [] }), `${at}.max_blast_by_env`);
  rejects(d({ max_blast_by_env: { production: 3 } }), `${at}.max_blast_by_env.production`);
  rejects(d({ max_blast_by_env: { prod: 26 } }), `${at}.max_blast_by_env.prod`, "0 to 25");
  rejects(d({ max_blast_by_env: { prod: -1 } }), `${at}.max_blast_by_env.prod`);
  rejects(d({ max_blast_by_env: { prod: 2.5 } }), `${at}.max_blast_by_env.prod`);
  rejects(d({ max_blast_by_env: { prod: "8" } }), `${at}.max_blast_by_env.prod`);
});

Deno.test("parseRules: cyclic or deep echo data is an error, not a crash", () => {
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  try {
    parseRules([{ rule_id: "c", decision: { recommended_profiles: [cyc] } }]);
    assert.fail("accepted a cycle");
  } catch (e) {
    assert.ok(e instanceof WcpError && e.code === "RULES_INVALID", String(e));
    assert.ok(e.path.startsWith("rules[0].decision.recommended_profiles[0].self"));
  }
});

Deno.test("parseRules: defaults for missing blocks", () => {
  const r = parseRules([{ decision: { candidate_workers_ranked: [] }, rule_id: "bare" }]).rules[0];
  assert.deepEqual(r.match, {});
  assert.deepEqual(r.decision, {
    candidate_workers_ranked: [],
    required_controls_suggested: [],
    recommended_profiles: [],
    escalation: {
      policy_gate: false,
      msavx_step_up: false,
      human_required_default: false,
      human_required_if: [],
      rationale: null,
      hold_over_cap: false,
    },
    preconditions: {
      must_have_correlation_id: true,
      must_attach_policy_version: true,
      must_record_artifact_hash_if_executes: true,
      deny_if_missing_required_controls: true,
      deny_if_unsigned_artifact_in_prod: false,
      deny_if_no_attestation_in_prod: false,
    },
    max_blast_by_env: {},
  });
  assert.equal("supervisor_level" in r.decision.escalation, false);
  // Partial blocks keep the other defaults.
  const p = parseRules([{
    rule_id: "p",
    decision: {
      escalation: { policy_gate: true, supervisor_level: "executor", rationale: "why" },
      preconditions: { deny_if_missing_required_controls: false },
      candidate_workers_ranked: [{ worker_species_id: "wrk.a" }, {
        worker_species_id: "wrk.b",
        score_hint: 0.5,
      }],
      required_controls_suggested: ["ctrl.z", "ctrl.a", "ctrl.z"],
      max_blast_by_env: { prod: 8, dev: 25 },
    },
  }]).rules[0].decision;
  assert.equal(p.escalation.policy_gate, true);
  assert.equal(p.escalation.msavx_step_up, false);
  assert.equal(p.escalation.supervisor_level, "executor");
  assert.equal(p.escalation.rationale, "why");
  assert.equal(p.preconditions.deny_if_missing_required_controls, false);
  assert.equal(p.preconditions.must_have_correlation_id, true);
  assert.deepEqual(p.candidate_workers_ranked, [
    { worker_species_id: "wrk.a", score_hint: null },
    { worker_species_id: "wrk.b", score_hint: 0.5 },
  ]);
  assert.deepEqual(p.required_controls_suggested, ["ctrl.a", "ctrl.z"]);
  assert.deepEqual(p.max_blast_by_env, { prod: 8, dev: 25 });
});

Deno.test("parseRules: unknown keys the references ignore become warnings", () => {
  const rs = parseRules([{
    rule_id: "w",
    description: "doc",
    decision: {
      escalation: { policy_gat: true },
      preconditions: { must_have_corr: false },
      candidate_workers_ranked: [{ worker_species_id: "wrk.a", weight: 2 }],
      notes: "x",
    },
  }]);
  assert.deepEqual(rs.warnings.map((w) => w.path), [
    "rules[0].description",
    "rules[0].decision.notes",
    "rules[0].decision.candidate_workers_ranked[0].weight",
    "rules[0].decision.escalation.policy_gat",
    "rules[0].decision.preconditions.must_have_corr",
  ]);
  assert.ok(rs.warnings.every((w) => w.rule_id === "w" && w.message.includes("rule 'w'")));
  // Ignored means ignored: the typo does not turn the gate on.
  assert.equal(rs.rules[0].decision.escalation.policy_gate, false);
});

Deno.test("parseRules: compiled rules are deeply frozen and decoupled from the input", () => {
  const doc = {
    rules: [{
      rule_id: "f",
      match: { env: { in: ["prod"] } },
      decision: {
        recommended_profiles: [{ id: "prof.a", nested: { list: [1] } }],
        escalation: { human_required_if: [{ when: "x" }] },
        candidate_workers_ranked: [{ worker_species_id: "wrk.a" }],
      },
    }],
  };
  const rs = parseRules(doc);
  const r = rs.rules[0];
  // Mutating the source document changes nothing.
  doc.rules[0].match.env.in.push("dev");
  doc.rules[0].decision.recommended_profiles[0].nested.list.push(2);
  assert.deepEqual(r.match, { env: { in: ["prod"] } });
  assert.equal(rs.match({ ...BASE, env: "dev" }), undefined);
  assert.deepEqual(r.decision.recommended_profiles[0], { id: "prof.a", nested: { list: [1] } });
  // And the compiled objects cannot be mutated.
  for (
    const o of [
      rs,
      rs.rules,
      r,
      r.match,
      (r.match.env as { in: string[] }).in,
      r.decision,
      r.decision.candidate_workers_ranked,
      r.decision.candidate_workers_ranked[0],
      r.decision.recommended_profiles[0],
      (r.decision.recommended_profiles[0] as { nested: { list: number[] } }).nested.list,
      r.decision.escalation,
      r.decision.escalation.human_required_if[0],
      r.decision.preconditions,
      r.decision.max_blast_by_env,
      rs.shadowWarnings,
      rs.shadowedRuleIds,
      rs.warnings,
    ]
  ) assert.ok(Object.isFrozen(o), JSON.stringify(o));
  assert.throws(() => {
    (r.decision.escalation as { policy_gate: boolean }).policy_gate = true;
  }, TypeError);
});

Deno.test("toEscalation / toPreconditions give fresh mutable copies", () => {
  const r = parseRules([{
    rule_id: "e",
    decision: {
      candidate_workers_ranked: [],
      escalation: { human_required_if: [{ a: 1 }], supervisor_level: "advisory" },
    },
  }]).rules[0];
  const a = toEscalation(r.decision.escalation);
  a.human_required_if[0].a = 2;
  a.rationale = "changed";
  assert.deepEqual(r.decision.escalation.human_required_if, [{ a: 1 }]);
  assert.equal(r.decision.escalation.rationale, null);
  assert.equal(a.supervisor_level, "advisory");
  assert.equal("supervisor_level" in toEscalation(DEFAULT_RULE_ESCALATION), false);
  const p = toPreconditions(DEFAULT_RULE_PRECONDITIONS);
  p.must_have_correlation_id = false;
  assert.equal(DEFAULT_RULE_PRECONDITIONS.must_have_correlation_id, true);
});

Deno.test("match: every operator on every field", () => {
  const cases: [MatchField, unknown, string, string][] = [
    ["capability_id", "cap.a", "cap.a", "cap.b"],
    ["capability_id", { eq: "cap.a" }, "cap.a", "cap.a "],
    ["capability_id", { in: ["cap.a", "cap.c"] }, "cap.c", "cap.b"],
    ["capability_id", { not_in: ["cap.a"] }, "cap.b", "cap.a"],
    ["env", "prod", "prod", "edge"],
    ["env", { eq: "stage" }, "stage", "dev"],
    ["env", { in: ["prod", "edge"] }, "edge", "stage"],
    ["env", { not_in: ["prod", "edge"] }, "dev", "prod"],
    ["data_label", { in: ["RESTRICTED"] }, "RESTRICTED", "INTERNAL"],
    ["data_label", { not_in: ["PUBLIC"] }, "INTERNAL", "PUBLIC"],
    ["tenant_risk", "high", "high", "medium"],
    ["tenant_risk", { not_in: ["low"] }, "medium", "low"],
    ["qos_class", { eq: "P0" }, "P0", "P1"],
    ["qos_class", { in: ["P2", "P3"] }, "P3", "P1"],
  ];
  for (const [field, cond, yes, no] of cases) {
    const rs = parseRules([{
      decision: { candidate_workers_ranked: [] },
      rule_id: "r",
      match: { [field]: cond },
    }]);
    const what = `${field} ${JSON.stringify(cond)}`;
    assert.equal(rs.match({ ...BASE, [field]: yes })?.rule_id, "r", what);
    assert.equal(rs.match({ ...BASE, [field]: no }), undefined, what);
    assert.equal(rs.matchIndex({ ...BASE, [field]: no }), -1, what);
  }
  const any = parseRules([{
    decision: { candidate_workers_ranked: [] },
    rule_id: "r",
    match: { capability_id: { any: true }, env: { any: true } },
  }]);
  assert.equal(any.match({ ...BASE, capability_id: "whatever", env: "edge" })?.rule_id, "r");
  // Exact strings are case-sensitive (behaviour.md 3.3).
  const cs = parseRules([{
    decision: { candidate_workers_ranked: [] },
    rule_id: "r",
    match: { capability_id: "cap.A" },
  }]);
  assert.equal(cs.match({ ...BASE, capability_id: "cap.a" }), undefined);
});

Deno.test("match: first match wins, fail closed", () => {
  const rs = parseRules([
    {
      decision: { candidate_workers_ranked: [] },
      rule_id: "prod-sum",
      match: { capability_id: "cap.doc.summarize", env: "prod" },
    },
    {
      decision: { candidate_workers_ranked: [] },
      rule_id: "sum",
      match: { capability_id: "cap.doc.summarize" },
    },
    {
      decision: { candidate_workers_ranked: [] },
      rule_id: "restricted",
      match: { data_label: "RESTRICTED" },
    },
  ]);
  assert.equal(rs.match({ ...BASE, env: "prod" })?.rule_id, "prod-sum");
  assert.equal(rs.match(BASE)?.rule_id, "sum");
  assert.equal(rs.match({ ...BASE, data_label: "RESTRICTED" })?.rule_id, "sum");
  assert.equal(
    rs.match({ ...BASE, capability_id: "cap.other", data_label: "RESTRICTED" })?.rule_id,
    "restricted",
  );
  assert.equal(rs.match({ ...BASE, capability_id: "cap.other" }), undefined);
  assert.equal(parseRules([]).match(BASE), undefined);
  // Invalid enum values (the router validates first) never match, even a catch-all.
  const all = parseRules([{ decision: { candidate_workers_ranked: [] }, rule_id: "all" }]);
  assert.equal(all.match({ ...BASE, env: "production" }), undefined);
  assert.equal(all.match({ ...BASE, capability_id: 5 as unknown as string }), undefined);
  assert.equal(all.match(null as unknown as Fields), undefined);
  assert.equal(all.match(BASE)?.rule_id, "all");
});

Deno.test("match: capabilities with many rules and not_in use per-capability tables", () => {
  // More rules per capability than the short-scan limit, plus a not_in rule naming it.
  const rules: unknown[] = [];
  const envs = ["dev", "stage", "prod", "edge"];
  const qos = ["P0", "P1", "P2", "P3"];
  for (const e of envs) {
    for (const q of qos) {
      rules.push({
        decision: { candidate_workers_ranked: [] },
        rule_id: `a-${e}-${q}`,
        match: { capability_id: "cap.a", env: e, qos_class: q },
      });
    }
  }
  rules.splice(3, 0, {
    decision: { candidate_workers_ranked: [] },
    rule_id: "not-b",
    match: { capability_id: { not_in: ["cap.b"] }, env: "edge" },
  });
  rules.push({
    decision: { candidate_workers_ranked: [] },
    rule_id: "tail",
    match: { capability_id: { any: true } },
  });
  const rs = parseRules(rules);
  assert.equal(
    rs.match({ ...BASE, capability_id: "cap.a", env: "dev", qos_class: "P3" })?.rule_id,
    "a-dev-P3",
  );
  assert.equal(
    rs.match({ ...BASE, capability_id: "cap.a", env: "dev", qos_class: "P1" })?.rule_id,
    "a-dev-P1",
  );
  assert.equal(
    rs.match({ ...BASE, capability_id: "cap.a", env: "edge", qos_class: "P3" })?.rule_id,
    "not-b",
  );
  assert.equal(rs.match({ ...BASE, capability_id: "cap.b", env: "edge" })?.rule_id, "tail");
  assert.equal(rs.match({ ...BASE, capability_id: "cap.c", env: "edge" })?.rule_id, "not-b");
  assert.equal(rs.match({ ...BASE, capability_id: "cap.c", env: "dev" })?.rule_id, "tail");
  // Repeated queries (cached tables) give the same answers.
  for (let i = 0; i < 3; i++) {
    assert.equal(
      rs.match({ ...BASE, capability_id: "cap.a", env: "prod", qos_class: "P0" })?.rule_id,
      "a-prod-P0",
    );
  }
});

Deno.test("parseRules: the conformance vectors' rules all load and match", async () => {
  const text = await Deno.readTextFile(
    new URL("../../../shared/conformance/wcp-conformance-vectors.json", import.meta.url),
  );
  const vectors = JSON.parse(text).vectors as { id: string; input: Fields; rule?: unknown }[];
  let n = 0;
  for (const v of vectors) {
    if (!v.rule) continue;
    const rs = parseRules({ rules: [v.rule] });
    assert.equal(rs.warnings.length, 0, v.id);
    assert.equal(
      rs.match(v.input)?.rule_id,
      (v.rule as { decision: { candidate_workers_ranked: [] }; rule_id: string }).rule_id,
      v.id,
    );
    n++;
  }
  assert.ok(n >= 10);
});

Deno.test("shadowWarnings: the reference's documented cases", () => {
  const ids = (doc: unknown) =>
    parseRules(doc).shadowWarnings.map((w) => [w.shadowing_rule_id, w.shadowed_rule_id, w.kind]);
  // {} before anything is a shadow.
  assert.deepEqual(
    ids([{ decision: { candidate_workers_ranked: [] }, rule_id: "all" }, {
      decision: { candidate_workers_ranked: [] },
      rule_id: "x",
      match: { env: "prod" },
    }]),
    [
      ["all", "x", "subsumed"],
    ],
  );
  // Narrower after broader.
  assert.deepEqual(
    ids([
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "a",
        match: { capability_id: "cap.a" },
      },
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "b",
        match: { capability_id: "cap.a", env: "prod" },
      },
    ]),
    [["a", "b", "subsumed"]],
  );
  // B-3: a specific rule followed by a catch-all is NOT a shadow.
  assert.deepEqual(
    ids([
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "a",
        match: { capability_id: "cap.a" },
      },
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "all",
        match: { capability_id: { any: true } },
      },
    ]),
    [],
  );
  // B-4: exact duplicates are reported, whatever the key order.
  assert.deepEqual(
    ids([
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "a",
        match: { env: "prod", capability_id: "cap.a" },
      },
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "b",
        match: { capability_id: "cap.a", env: "prod" },
      },
    ]),
    [["a", "b", "duplicate"]],
  );
  // in covers eq and exact; in-lists compare as sets; the enum domain is finite.
  assert.deepEqual(
    ids([
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "a",
        match: { capability_id: { in: ["cap.b", "cap.a"] } },
      },
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "b",
        match: { capability_id: { eq: "cap.a" } },
      },
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "c",
        match: { capability_id: { in: ["cap.a", "cap.b"] } },
      },
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "d",
        match: { capability_id: "cap.z", env: { not_in: ["dev", "stage"] } },
      },
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "e",
        match: { capability_id: "cap.z", env: { in: ["edge", "prod"] } },
      },
    ]),
    [["a", "b", "subsumed"], ["a", "c", "duplicate"], ["d", "e", "duplicate"]],
  );
  // not_in X covers not_in Y iff X is a subset of Y; covers an in-list that avoids X.
  assert.deepEqual(
    ids([
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "n1",
        match: { capability_id: { not_in: ["cap.a"] } },
      },
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "n2",
        match: { capability_id: { not_in: ["cap.a", "cap.b"] } },
      },
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "n3",
        match: { capability_id: { in: ["cap.c"] } },
      },
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "n4",
        match: { capability_id: "cap.a" },
      },
    ]),
    [["n1", "n2", "subsumed"], ["n1", "n3", "subsumed"]],
  );
  // Unsatisfiable rules are reported, but are not "shadowed".
  const u = parseRules([
    {
      decision: { candidate_workers_ranked: [] },
      rule_id: "u",
      match: { qos_class: { not_in: ["P0", "P1", "P2", "P3"] } },
    },
    { decision: { candidate_workers_ranked: [] }, rule_id: "v", match: { env: "dev" } },
  ]);
  assert.deepEqual(u.shadowWarnings.map((w) => [w.shadowing_rule_id, w.kind]), [[
    null,
    "unsatisfiable",
  ]]);
  assert.deepEqual(u.shadowedRuleIds, []);
  assert.ok(u.shadowWarnings[0].message.includes("qos_class"));
});

Deno.test("shadowedRuleIds are sorted and list duplicates and subsumed rules", () => {
  const rs = parseRules([
    { decision: { candidate_workers_ranked: [] }, rule_id: "all" },
    { decision: { candidate_workers_ranked: [] }, rule_id: "zeta", match: { env: "dev" } },
    { decision: { candidate_workers_ranked: [] }, rule_id: "alpha", match: { env: "prod" } },
  ]);
  assert.deepEqual(rs.shadowedRuleIds, ["alpha", "zeta"]);
  assert.ok(rs.shadowWarnings.every((w) => w.message.includes("'all'")));
});

Deno.test("parseRules: 100,000 rules compile and match", () => {
  const rules = Array.from(
    { length: 100_000 },
    (_, i) => ({
      decision: { candidate_workers_ranked: [] },
      rule_id: `r${i}`,
      match: { capability_id: `cap.bench.c${i}`, env: i % 2 ? "prod" : { any: true } },
    }),
  );
  const rs = parseRules({ rules });
  assert.equal(rs.shadowWarnings.length, 0);
  assert.equal(
    rs.match({ ...BASE, capability_id: "cap.bench.c99999", env: "prod" })?.rule_id,
    "r99999",
  );
  assert.equal(rs.match({ ...BASE, capability_id: "cap.bench.c99999", env: "dev" }), undefined);
});

Deno.test("match: the bounded per-capability table cache evicts and rebuilds correctly", async () => {
  const { CompiledRuleSet } = await import("../../src/rules/_index.ts");
  const { parseDocument } = await import("../../src/rules/_parse.ts");
  // Six rules per capability (above the short-scan limit), for ten capabilities.
  const rules: unknown[] = [];
  const envs = ["dev", "stage", "prod"];
  for (let c = 0; c < 10; c++) {
    for (const env of envs) {
      for (const qos_class of ["P0", "P1"]) {
        rules.push({
          decision: { candidate_workers_ranked: [] },
          rule_id: `c${c}-${env}-${qos_class}`,
          match: { capability_id: `cap.c${c}`, env, qos_class },
        });
      }
    }
  }
  rules.push({
    decision: { candidate_workers_ranked: [] },
    rule_id: "tail",
    match: { env: "edge" },
  });
  const rs = new CompiledRuleSet(parseDocument(rules), 3);
  for (let round = 0; round < 3; round++) {
    for (let c = 9; c >= 0; c--) {
      for (const env of [...envs, "edge"]) {
        for (const qos_class of ["P0", "P1", "P3"]) {
          const want = env === "edge"
            ? "tail"
            : qos_class === "P3"
            ? undefined
            : `c${c}-${env}-${qos_class}`;
          assert.equal(
            rs.match({ ...BASE, capability_id: `cap.c${c}`, env, qos_class })?.rule_id,
            want,
          );
        }
      }
    }
  }
});

Deno.test("parseRules: a JSON '__proto__' key in echoed data stays data", () => {
  const doc = JSON.parse(
    '[{"rule_id":"p","decision":{"candidate_workers_ranked":[],"recommended_profiles":[{"__proto__":{"admin":true},"id":"x"}]}}]',
  );
  const prof = parseRules(doc).rules[0].decision.recommended_profiles[0];
  assert.equal(Object.getPrototypeOf(prof), Object.prototype);
  assert.equal((prof as { admin?: boolean }).admin, undefined);
  assert.deepEqual(Object.keys(prof), ["__proto__", "id"]);
  assert.equal(JSON.stringify(prof), '{"__proto__":{"admin":true},"id":"x"}');
});

Deno.test("shadows between not_in lists: subset covers, for short and long lists alike", () => {
  const long = Array.from({ length: 8 }, (_, i) => `cap.x.v${i}`);
  for (const values of [["cap.x.a", "cap.x.b"], long]) {
    const rs = parseRules([
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "narrow",
        match: { capability_id: { not_in: values }, env: "prod" },
      },
      // Excludes more (a superset of the first list): every request it takes, "narrow" takes.
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "wider",
        match: { capability_id: { not_in: [...values, "cap.x.z"] }, env: "prod" },
      },
      // Excludes a value the first rule accepts... and misses one it excludes: not covered.
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "other",
        match: { capability_id: { not_in: [...values.slice(1), "cap.x.z"] }, env: "prod" },
      },
      // Covered on the capability, but not on env.
      {
        decision: { candidate_workers_ranked: [] },
        rule_id: "dev",
        match: { capability_id: { not_in: [...values, "cap.x.y"] } },
      },
    ]);
    assert.deepEqual(rs.shadowedRuleIds, ["wider"], values.join());
    assert.equal(rs.shadowWarnings[0].shadowing_rule_id, "narrow");
    // Many rules sharing one excluded value: none covers another.
    const shared = parseRules(
      Array.from(
        { length: 300 },
        (_, i) => ({
          decision: { candidate_workers_ranked: [] },
          rule_id: `s${i}`,
          match: { capability_id: { not_in: [values[0], `cap.y.b${i}`] } },
        }),
      ),
    );
    assert.deepEqual(shared.shadowedRuleIds, []);
  }
});
