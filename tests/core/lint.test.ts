import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type LintFinding,
  lintRules,
  type MatchField,
  parseRules,
  type RuleSet,
} from "../../mod.ts";
import type { RegistryRecord } from "../../mod.ts";

const codes = (fs: LintFinding[]) => fs.map((f) => `${f.code}:${f.rule_id}:${f.path}`);
const dec = (...species: string[]) => ({
  candidate_workers_ranked: species.map((s) => ({ worker_species_id: s })),
});
const W = dec("wrk.doc.summarizer");

Deno.test("lint: shadowed, duplicate and unsatisfiable rules are errors", () => {
  const rs = parseRules([
    { rule_id: "a", match: { capability_id: "cap.doc.summarize" }, decision: W },
    { rule_id: "b", match: { capability_id: "cap.doc.summarize", env: "prod" }, decision: W },
    { rule_id: "c", match: { capability_id: { eq: "cap.doc.summarize" } }, decision: W },
    { rule_id: "d", match: { env: { not_in: ["dev", "stage", "prod", "edge"] } }, decision: W },
  ]);
  const fs = lintRules(rs);
  assert.deepEqual(codes(fs), [
    "SHADOWED_RULE:b:rules[1].match",
    "DUPLICATE_RULE:c:rules[2].match",
    "UNSATISFIABLE_RULE:d:rules[3].match",
  ]);
  assert.ok(fs.every((f) => f.severity === "error"));
  assert.match(fs[0].message, /'a'.*DENY_SHADOW_RULES_DETECTED/);
});

Deno.test("lint: a rule covered only by the union of earlier rules is unreachable", () => {
  const rs = parseRules([
    { rule_id: "low", match: { capability_id: "cap.a", tenant_risk: "low" }, decision: W },
    { rule_id: "mid", match: { capability_id: "cap.a", tenant_risk: "medium" }, decision: W },
    { rule_id: "high", match: { capability_id: "cap.a", tenant_risk: "high" }, decision: W },
    { rule_id: "prod", match: { capability_id: "cap.a", env: "prod" }, decision: W },
    // capability wildcards: covered by two wildcards together
    { rule_id: "w1", match: { capability_id: { not_in: ["cap.x"] } }, decision: W },
    { rule_id: "w2", match: { capability_id: { in: ["cap.x"] } }, decision: W },
    { rule_id: "w3", match: { data_label: "PUBLIC" }, decision: W },
    { rule_id: "b-shadowed", match: { capability_id: "cap.b" }, decision: W },
  ]);
  assert.equal(rs.shadowWarnings.map((w) => w.shadowed_rule_id).join(), "b-shadowed");
  const fs = lintRules(rs).filter((f) => f.code === "UNREACHABLE_RULE");
  assert.deepEqual(fs.map((f) => f.rule_id), ["prod", "w3"]);
  assert.match(fs[0].message, /'low', 'mid', 'high'/);
  assert.match(fs[1].message, /'w1', 'w2'/);
  assert.equal(fs[0].severity, "warning");
});

// Random rule sets over a small domain; brute force: which rules are never a first match?
const CAPS = ["cap.a", "cap.b", "cap.c"];
const DOMAINS: Record<MatchField, string[]> = {
  capability_id: CAPS,
  env: ["dev", "stage", "prod", "edge"],
  data_label: ["PUBLIC", "INTERNAL", "RESTRICTED"],
  tenant_risk: ["low", "medium", "high"],
  qos_class: ["P0", "P1", "P2", "P3"],
};
const FIELDS = Object.keys(DOMAINS) as MatchField[];
const condArb = (values: string[]) =>
  fc.oneof(
    fc.constantFrom(...values),
    fc.subarray(values, { minLength: 1 }).map((v) => ({ in: v })),
    fc.subarray(values, { minLength: 1 }).map((v) => ({ not_in: v })),
    fc.constant({ any: true }),
  );
const rulesArb = fc.array(
  fc.record(
    Object.fromEntries(FIELDS.map((f) => [f, condArb(DOMAINS[f])])) as Record<
      MatchField,
      fc.Arbitrary<unknown>
    >,
    { requiredKeys: [] },
  ),
  { maxLength: 25, size: "max" },
).map((ms) => ms.map((match, i) => ({ rule_id: `r${i}`, match, decision: W })));

Deno.test("lint: dead-rule findings equal the brute-force never-first-match set", () => {
  fc.assert(
    fc.property(rulesArb, (rules) => {
      const rs = parseRules(rules);
      const firstMatches = new Set<number>();
      for (const capability_id of [...CAPS, "cap.fresh"]) {
        for (const env of DOMAINS.env) {
          for (const data_label of DOMAINS.data_label) {
            for (const tenant_risk of DOMAINS.tenant_risk) {
              for (const qos_class of DOMAINS.qos_class) {
                const x = { capability_id, env, data_label, tenant_risk, qos_class };
                // plain loop, independent of the index
                const i = rules.findIndex((r) =>
                  FIELDS.every((f) => {
                    const c = (r.match as Record<string, unknown>)[f] as
                      | string
                      | { in?: string[]; not_in?: string[]; any?: true }
                      | undefined;
                    if (c === undefined || (typeof c === "object" && c.any)) return true;
                    if (typeof c === "string") return c === x[f];
                    return c.in ? c.in.includes(x[f]) : !c.not_in!.includes(x[f]);
                  })
                );
                if (i >= 0) firstMatches.add(i);
              }
            }
          }
        }
      }
      const want = rules.filter((_, i) => !firstMatches.has(i)).map((r) => r.rule_id);
      const dead = ["SHADOWED_RULE", "DUPLICATE_RULE", "UNSATISFIABLE_RULE", "UNREACHABLE_RULE"];
      const got = lintRules(rs).filter((f) => dead.includes(f.code)).map((f) => f.rule_id);
      assert.deepEqual(got, want);
    }),
    { numRuns: 200 },
  );
});

Deno.test("lint: unknown ids against known sets, with exact paths", () => {
  const rs = parseRules([{
    rule_id: "r",
    match: { capability_id: { in: ["cap.doc.summarize", "cap.doc.unknown"] } },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }, {
        worker_species_id: "wrk.doc.ghost",
      }],
      required_controls_suggested: ["ctrl.obs.audit-log", "ctrl.obs.nope"],
    },
  }, {
    rule_id: "s",
    match: { capability_id: { not_in: ["cap.gone.away"] } },
    decision: W,
  }]);
  const fs = lintRules(rs, {
    capabilities: ["cap.doc.summarize"],
    species: new Set(["wrk.doc.summarizer"]),
    controls: ["ctrl.obs.audit-log"],
  });
  assert.deepEqual(codes(fs), [
    "UNKNOWN_CAPABILITY:r:rules[0].match.capability_id.in[1]",
    "UNKNOWN_SPECIES:r:rules[0].decision.candidate_workers_ranked[1].worker_species_id",
    "UNKNOWN_CONTROL:r:rules[0].decision.required_controls_suggested[1]",
    "UNKNOWN_CAPABILITY:s:rules[1].match.capability_id.not_in[0]",
  ]);
  // Without known sets, nothing is unknown.
  assert.deepEqual(codes(lintRules(rs)), []);
});

Deno.test("lint: id grammar (spec 3.2): underscores, invalid ids, the reference's own controls", () => {
  const rs = parseRules([{
    rule_id: "g",
    match: { capability_id: { eq: "cap.doc.sum_marize" } },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: "Worker One" }],
      required_controls_suggested: ["ctrl.blast_radius_scoring", "ctrl.obs.audit_log"],
    },
  }]);
  const fs = lintRules(rs);
  assert.deepEqual(fs.map((f) => [f.severity, f.code, f.path]), [
    ["warning", "NON_STRICT_ID", "rules[0].match.capability_id.eq"],
    ["warning", "INVALID_ID", "rules[0].decision.candidate_workers_ranked[0].worker_species_id"],
    ["info", "NON_STRICT_ID", "rules[0].decision.required_controls_suggested[0]"],
    ["warning", "NON_STRICT_ID", "rules[0].decision.required_controls_suggested[1]"],
  ]);
  assert.deepEqual(lintRules(rs, { skipIdGrammar: true }), []);
});

const record = (over: Partial<RegistryRecord>): RegistryRecord => ({
  worker_id: "org.acme.sum.1",
  worker_species_id: "wrk.doc.summarizer",
  capabilities: ["cap.doc.summarize"],
  ...over,
});

Deno.test("lint: records: unserved species, unselectable workers, unrouted capabilities", () => {
  const rs = parseRules([
    { rule_id: "sum", match: { capability_id: "cap.doc.summarize", env: "prod" }, decision: W },
    {
      rule_id: "dead",
      match: { capability_id: "cap.doc.summarize", env: "prod", qos_class: "P0" },
      decision: dec("wrk.doc.only-in-dead-rule"),
    },
    {
      rule_id: "tr",
      match: { capability_id: "cap.doc.translate" },
      decision: dec("wrk.doc.ghost"),
    },
  ]);
  const fs = lintRules(rs, {
    skipIdGrammar: true,
    records: [
      record({}), // selectable: prod allowed by default
      record({ worker_id: "org.acme.sum.dev", allowed_environments: ["dev", "stage"] }),
      record({ worker_id: "org.acme.d", worker_species_id: "wrk.doc.only-in-dead-rule" }),
      record({ worker_id: "org.acme.x", worker_species_id: "wrk.doc.unlisted" }),
      record({ worker_id: "org.acme.r", worker_species_id: "wrk.doc.ghost", status: "revoked" }),
      record({ worker_id: "org.acme.c", capabilities: ["cap.doc.summarize", "cap.img.resize"] }),
    ],
  }).filter((f) => f.code !== "SHADOWED_RULE");
  assert.deepEqual(codes(fs), [
    "UNSERVED_SPECIES:tr:rules[2].decision.candidate_workers_ranked[0].worker_species_id",
    "UNSELECTABLE_RECORD:null:records[1]",
    "UNSELECTABLE_RECORD:null:records[2]",
    "UNSELECTABLE_RECORD:null:records[3]",
    "UNROUTED_CAPABILITY:null:records[5].capabilities[1]",
  ]);
  assert.match(fs[1].message, /in an environment it allows/);
  assert.doesNotMatch(fs[3].message, /environment/);
  // A catch-all routes every capability.
  const all = parseRules([{ rule_id: "all", decision: W }]);
  assert.deepEqual(
    codes(lintRules(all, { records: [record({ capabilities: ["cap.img.resize"] })] })),
    [],
  );
});

Deno.test("lint: ignored keys, empty rule sets, rules without candidates, foreign objects", () => {
  assert.deepEqual(codes(lintRules(parseRules([]))), ["EMPTY_RULE_SET:null:rules"]);
  const rs = parseRules([{
    rule_id: "n",
    decision: { candidate_workers_ranked: [], escalation: { polcy_gate: true } },
  }]);
  assert.deepEqual(codes(lintRules(rs)), [
    "IGNORED_KEY:n:rules[0].decision.escalation.polcy_gate",
    "NO_CANDIDATES:n:rules[0].decision.candidate_workers_ranked",
  ]);
  const fake = { rules: [], shadowWarnings: [], shadowedRuleIds: [], warnings: [] } as unknown;
  assert.deepEqual(codes(lintRules(fake as RuleSet)), ["NOT_COMPILED:null:"]);
});

Deno.test("lint: a wildcard rule covered across many capabilities is named with 'such as'", () => {
  const ks = Array.from({ length: 40 }, (_, i) => `cap.k${i}`);
  const rs = parseRules([
    { rule_id: "ks", match: { capability_id: { in: ks } }, decision: W },
    { rule_id: "rest", match: { capability_id: { not_in: ks } }, decision: W },
    { rule_id: "prod", match: { env: "prod" }, decision: W },
  ]);
  assert.equal(rs.shadowWarnings.length, 0);
  const fs = lintRules(rs, { skipIdGrammar: true });
  assert.deepEqual(codes(fs), ["UNREACHABLE_RULE:prod:rules[2].match"]);
  assert.match(fs[0].message, /covered by earlier rules such as 'ks', 'rest'$/);
});

Deno.test("lint: options of the wrong shape are one INVALID_OPTION error naming the option", () => {
  const rs = parseRules([{
    decision: { candidate_workers_ranked: [] },
    rule_id: "a",
    match: { capability_id: "cap.a" },
  }]);
  const bad: [Record<string, unknown>, string][] = [
    [{ capabilities: 5 }, "capabilities"],
    [{ species: "wrk.a" }, "species"], // a string would be read as single characters
    [{ controls: {} }, "controls"],
    [{ records: "x" }, "records"],
  ];
  for (const [options, path] of bad) {
    const fs = lintRules(rs, options as never);
    assert.deepEqual(fs.map((f) => [f.severity, f.code, f.path]), [[
      "error",
      "INVALID_OPTION",
      path,
    ]]);
  }
  // null (from JavaScript) is no options; a Set is a fine iterable.
  assert.deepEqual(lintRules(rs, null as never), lintRules(rs));
  const known = lintRules(rs, { capabilities: new Set(["cap.b"]) });
  assert.ok(known.some((f) => f.code === "UNKNOWN_CAPABILITY" && f.rule_id === "a"));
});
