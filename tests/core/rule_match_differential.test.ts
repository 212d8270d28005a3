// Differential tests: the compiled index and shadow analysis against plain, obviously-correct
// implementations written here, over random rule sets with small value domains (so rules collide,
// overlap and shadow each other) and every input of the resulting finite domain.
import assert from "node:assert/strict";
import fc from "fast-check";
import { type MatchField, parseRules, WcpError } from "../../mod.ts";

const CAPS = ["cap.a", "cap.b", "cap.c", "cap.d"];
// A capability no rule names stands for the infinite rest of the domain.
const INPUT_CAPS = [...CAPS, "cap.fresh"];
const DOMAINS: Record<MatchField, string[]> = {
  capability_id: CAPS,
  env: ["dev", "stage", "prod", "edge"],
  data_label: ["PUBLIC", "INTERNAL", "RESTRICTED"],
  tenant_risk: ["low", "medium", "high"],
  qos_class: ["P0", "P1", "P2", "P3"],
};
const FIELDS = Object.keys(DOMAINS) as MatchField[];

type Cond =
  | string
  | { any: true }
  | { eq: string }
  | { in: string[] }
  | { not_in: string[] };
type RawRule = {
  rule_id: string;
  match: Partial<Record<MatchField, Cond>>;
  decision: { candidate_workers_ranked: [] };
};
type Input = Record<MatchField, string>;

function condArb(values: string[]): fc.Arbitrary<Cond> {
  const sub = fc.subarray(values, { minLength: 1 });
  return fc.oneof(
    fc.constantFrom(...values),
    fc.constantFrom(...values).map((v) => ({ eq: v })),
    fc.constant({ any: true as const }),
    sub.map((v) => ({ in: v })),
    // in-lists with repeats and any order: they are sets
    fc.array(fc.constantFrom(...values), { minLength: 1, maxLength: 4 }).map((v) => ({ in: v })),
    sub.map((v) => ({ not_in: v })),
  );
}

// Each field is absent about half the time, like real rules.
const matchArb = fc.record(
  Object.fromEntries(FIELDS.map((f) => [f, condArb(DOMAINS[f])])) as Record<
    MatchField,
    fc.Arbitrary<Cond>
  >,
  { requiredKeys: [] },
);

// Some rules are copies of earlier ones with keys reordered, to produce exact duplicates.
const ruleSetArb = fc.array(fc.tuple(matchArb, fc.nat(), fc.boolean()), {
  maxLength: 40,
  size: "max",
}).map(
  (items) => {
    const rules: RawRule[] = [];
    items.forEach(([m, pick, copy], i) => {
      let match = m;
      if (copy && rules.length > 0) {
        const src = rules[pick % rules.length].match;
        match = Object.fromEntries(Object.entries(src).reverse());
      }
      rules.push({ decision: { candidate_workers_ranked: [] }, rule_id: `r${i}`, match });
    });
    return rules;
  },
);

/** The plain semantics, straight from README decision 11. */
function accepts(c: Cond | undefined, v: string): boolean {
  if (c === undefined) return true;
  if (typeof c === "string") return c === v;
  if ("any" in c) return true;
  if ("eq" in c) return c.eq === v;
  if ("in" in c) return c.in.includes(v);
  return !c.not_in.includes(v);
}
const ruleAccepts = (r: RawRule, x: Input) => FIELDS.every((f) => accepts(r.match[f], x[f]));
const firstMatch = (rules: RawRule[], x: Input) => rules.findIndex((r) => ruleAccepts(r, x));

const ALL_INPUTS: Input[] = [];
for (const capability_id of INPUT_CAPS) {
  for (const env of DOMAINS.env) {
    for (const data_label of DOMAINS.data_label) {
      for (const tenant_risk of DOMAINS.tenant_risk) {
        for (const qos_class of DOMAINS.qos_class) {
          ALL_INPUTS.push({ capability_id, env, data_label, tenant_risk, qos_class });
        }
      }
    }
  }
}

Deno.test("indexed match agrees with a first-match loop on every input", () => {
  fc.assert(
    fc.property(ruleSetArb, (rules) => {
      const rs = parseRules({ rules });
      for (const x of ALL_INPUTS) {
        const want = firstMatch(rules, x);
        assert.equal(rs.matchIndex(x), want, JSON.stringify(x));
        assert.equal(rs.match(x)?.rule_id, want < 0 ? undefined : rules[want].rule_id);
      }
      // A second pass hits the cached per-capability tables.
      for (const x of ALL_INPUTS) assert.equal(rs.matchIndex(x), firstMatch(rules, x));
    }),
    { numRuns: 300 },
  );
});

Deno.test("indexed match agrees on random inputs, including values outside the domain", () => {
  const inputArb = fc.record({
    capability_id: fc.oneof(fc.constantFrom(...INPUT_CAPS), fc.string()),
    env: fc.oneof(fc.constantFrom(...DOMAINS.env), fc.constant("production")),
    data_label: fc.constantFrom(...DOMAINS.data_label),
    tenant_risk: fc.constantFrom(...DOMAINS.tenant_risk),
    qos_class: fc.constantFrom(...DOMAINS.qos_class),
  });
  fc.assert(
    fc.property(ruleSetArb, fc.array(inputArb, { maxLength: 30 }), (rules, inputs) => {
      const rs = parseRules(rules);
      for (const x of inputs) {
        // An invalid enum value never matches (the router denies it before matching anyway).
        const want = x.env === "production" ? -1 : firstMatch(rules, x);
        assert.equal(rs.matchIndex(x), want);
      }
    }),
    { numRuns: 200 },
  );
});

/** Brute force over the finite domain: what the shadow analysis must report, exactly. */
function expectedShadows(rules: RawRule[]): [string | null, string, string][] {
  const sets = rules.map((r) => ALL_INPUTS.map((x) => ruleAccepts(r, x)));
  const out: [string | null, string, string][] = [];
  sets.forEach((b, j) => {
    if (!b.includes(true)) {
      out.push([null, rules[j].rule_id, "unsatisfiable"]);
      return;
    }
    for (let i = 0; i < j; i++) {
      const a = sets[i];
      if (b.every((inB, k) => !inB || a[k])) {
        const same = a.every((inA, k) => inA === b[k]);
        out.push([rules[i].rule_id, rules[j].rule_id, same ? "duplicate" : "subsumed"]);
        return;
      }
    }
  });
  return out;
}

Deno.test("shadow analysis agrees with a brute-force check over the finite domain", () => {
  fc.assert(
    fc.property(ruleSetArb, (rules) => {
      const rs = parseRules(rules);
      const got = rs.shadowWarnings.map((w) => [w.shadowing_rule_id, w.shadowed_rule_id, w.kind]);
      const want = expectedShadows(rules);
      assert.deepEqual(got, want);
      assert.deepEqual(
        rs.shadowedRuleIds,
        want.filter((w) => w[2] !== "unsatisfiable").map((w) => w[1]).sort(),
      );
    }),
    { numRuns: 300 },
  );
});

Deno.test("a shadowed rule is never the first match of any input", () => {
  fc.assert(
    fc.property(ruleSetArb, (rules) => {
      const rs = parseRules(rules);
      const dead = new Set(rs.shadowWarnings.map((w) => w.shadowed_rule_id));
      for (const x of ALL_INPUTS) {
        const r = rs.match(x);
        if (r) assert.ok(!dead.has(r.rule_id), `${r.rule_id} matched ${JSON.stringify(x)}`);
      }
    }),
    { numRuns: 100 },
  );
});

Deno.test("parseRules on arbitrary JSON either compiles or throws RULES_INVALID, never anything else", () => {
  const valueArb = fc.jsonValue({ maxDepth: 4 });
  // Plausible documents with random values dropped into random places.
  const ruleArb = fc.record({
    rule_id: fc.oneof(fc.constantFrom("a", "b", "c"), valueArb),
    match: fc.oneof(
      matchArb,
      fc.dictionary(fc.constantFrom(...FIELDS, "foo"), valueArb),
      valueArb,
    ),
    decision: fc.oneof(
      fc.record({
        candidate_workers_ranked: fc.oneof(
          fc.array(fc.record({ worker_species_id: valueArb, score_hint: valueArb })),
          valueArb,
        ),
        required_controls_suggested: valueArb,
        recommended_profiles: valueArb,
        escalation: fc.oneof(
          fc.dictionary(
            fc.constantFrom("policy_gate", "supervisor_level", "human_required_if", "rationale"),
            valueArb,
          ),
          valueArb,
        ),
        preconditions: valueArb,
        max_blast_by_env: fc.oneof(fc.dictionary(fc.constantFrom("prod", "x"), valueArb), valueArb),
      }, { requiredKeys: [] }),
      valueArb,
    ),
  }, { requiredKeys: [] });
  const docArb = fc.oneof(
    valueArb,
    fc.array(ruleArb, { maxLength: 5 }),
    fc.record({ rules: fc.array(ruleArb, { maxLength: 5 }) }),
  );
  let compiled = 0;
  fc.assert(
    fc.property(docArb, (doc) => {
      try {
        const rs = parseRules(doc);
        compiled++;
        // Whatever compiled can be matched without throwing.
        for (const x of ALL_INPUTS.slice(0, 50)) rs.match(x);
      } catch (e) {
        assert.ok(e instanceof WcpError, `not a WcpError: ${e}`);
        assert.equal(e.code, "RULES_INVALID");
        assert.equal(typeof e.path, "string");
      }
    }),
    { numRuns: 2000 },
  );
  assert.ok(compiled > 50, `only ${compiled} documents compiled: the generator is too hostile`);
});
