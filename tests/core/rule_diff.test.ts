// diffRuleSets: hand-written cases, then a differential test against brute-force enumeration of
// the whole finite request space of small generated rule sets (every enum combination x every
// pool id + one id nobody names), with first matches computed by a plain loop written here.
import assert from "node:assert/strict";
import fc from "fast-check";
import { diffRuleSets, type MatchField, parseRules, type RuleDiffClass } from "../../mod.ts";

const ENUMS = {
  env: ["dev", "stage", "prod", "edge"],
  data_label: ["PUBLIC", "INTERNAL", "RESTRICTED"],
  tenant_risk: ["low", "medium", "high"],
  qos_class: ["P0", "P1", "P2", "P3"],
} as const;
type EnumKey = keyof typeof ENUMS;
const ENUM_KEYS = Object.keys(ENUMS) as EnumKey[];
const POOL = ["cap.a", "cap.b", "cap.c", "cap.d"];
// Named by no generated rule, whatever the draw: stands for the infinite rest of the ids.
const INPUT_CAPS = [...POOL, "cap.fresh"];

type Cond = string | { any: true } | { eq: string } | { in: string[] } | { not_in: string[] };
interface RawDecision {
  candidate_workers_ranked: { worker_species_id: string }[];
  required_controls_suggested: string[];
  escalation: { policy_gate: boolean };
  max_blast_by_env: Record<string, number>;
}
interface RawRule {
  rule_id: string;
  match: Partial<Record<MatchField, Cond>>;
  decision: RawDecision;
}
type Cell = Record<MatchField, string>;

function accepts(c: Cond | undefined, v: string): boolean {
  if (c === undefined) return true;
  if (typeof c === "string") return c === v;
  if ("any" in c) return true;
  if ("eq" in c) return c.eq === v;
  if ("in" in c) return c.in.includes(v);
  return !c.not_in.includes(v);
}
const FIELDS: MatchField[] = ["capability_id", ...ENUM_KEYS];
const ruleAccepts = (m: Partial<Record<MatchField, Cond>>, x: Cell) =>
  FIELDS.every((f) => accepts(m[f], x[f]));
const firstMatch = (rules: RawRule[], x: Cell) => rules.findIndex((r) => ruleAccepts(r.match, x));

function allCells(): Cell[] {
  const out: Cell[] = [];
  for (const capability_id of INPUT_CAPS) {
    for (const env of ENUMS.env) {
      for (const data_label of ENUMS.data_label) {
        for (const tenant_risk of ENUMS.tenant_risk) {
          for (const qos_class of ENUMS.qos_class) {
            out.push({ capability_id, env, data_label, tenant_risk, qos_class });
          }
        }
      }
    }
  }
  return out;
}
const CELLS = allCells();
const keyOf = (x: Cell) => FIELDS.map((f) => x[f]).join("|");

/** The expected status of one request: what changes, computed straight from the raw rules. */
function expected(oldR: RawRule[], newR: RawRule[], x: Cell): string | null {
  const o = firstMatch(oldR, x), n = firstMatch(newR, x);
  if (o < 0 && n < 0) return null;
  if (o < 0) return `widen ${null} ${newR[n].rule_id} `;
  if (n < 0) return `narrow ${oldR[o].rule_id} ${null} `;
  const a = oldR[o], b = newR[n];
  const aspects: string[] = [];
  if (a.rule_id !== b.rule_id) aspects.push("rule_id");
  const j = JSON.stringify;
  if (j(a.decision.candidate_workers_ranked) !== j(b.decision.candidate_workers_ranked)) {
    aspects.push("candidates");
  }
  if (j(a.decision.required_controls_suggested) !== j(b.decision.required_controls_suggested)) {
    aspects.push("required_controls");
  }
  if (a.decision.escalation.policy_gate !== b.decision.escalation.policy_gate) {
    aspects.push("policy_gate");
  }
  if (a.decision.max_blast_by_env[x.env] !== b.decision.max_blast_by_env[x.env]) {
    aspects.push("blast_cap");
  }
  if (aspects.length === 0) return null;
  return `change ${a.rule_id} ${b.rule_id} ${aspects.sort().join(",")}`;
}

const statusOf = (c: RuleDiffClass) =>
  `${c.kind} ${c.old_rule_id} ${c.new_rule_id} ${c.aspects.join(",")}`;

/** Check a diff against the brute force (assertions name the first mismatch). */
function check(oldR: RawRule[], newR: RawRule[]): void {
  const d = diffRuleSets(parseRules(oldR), parseRules(newR));
  const classes = [...d.widened, ...d.narrowed, ...d.changed];
  const seen = new Map<string, string>();
  for (const c of classes) {
    const m = c.match as Partial<Record<MatchField, Cond>>;
    // The witness is a request of the class, and it really changes that way.
    const w = c.witness as unknown as Cell;
    assert.ok(ruleAccepts(m, w), `witness outside its class: ${JSON.stringify(c)}`);
    const wx = INPUT_CAPS.includes(w.capability_id) ? w : { ...w, capability_id: "cap.fresh" };
    assert.equal(expected(oldR, newR, wx), statusOf(c), `witness of ${JSON.stringify(c)}`);
    let n = 0;
    for (const x of CELLS) {
      if (!ruleAccepts(m, x)) continue;
      const k = keyOf(x);
      assert.ok(!seen.has(k), `classes overlap at ${k}`);
      seen.set(k, statusOf(c));
      if (x.capability_id === wx.capability_id) n++;
    }
    assert.equal(n, c.combinations, `combinations of ${JSON.stringify(c)}`);
  }
  for (const x of CELLS) {
    assert.equal(seen.get(keyOf(x)) ?? null, expected(oldR, newR, x), `at ${keyOf(x)}`);
  }
  assert.equal(d.identical, classes.length === 0);
}

// ---- generated rule sets ----

function condArb(values: readonly string[]): fc.Arbitrary<Cond> {
  const sub = fc.subarray([...values], { minLength: 1 });
  return fc.oneof(
    fc.constantFrom(...values),
    fc.constantFrom(...values).map((v) => ({ eq: v })),
    fc.constant({ any: true as const }),
    sub.map((v) => ({ in: v })),
    sub.map((v) => ({ not_in: v })),
  );
}
const matchArb = fc.record({
  capability_id: condArb(POOL),
  env: condArb(ENUMS.env),
  data_label: condArb(ENUMS.data_label),
  tenant_risk: condArb(ENUMS.tenant_risk),
  qos_class: condArb(ENUMS.qos_class),
}, { requiredKeys: [] });
const decisionArb: fc.Arbitrary<RawDecision> = fc.record({
  candidate_workers_ranked: fc.constantFrom(["wrk.a"], ["wrk.b"], ["wrk.a", "wrk.b"]).map((l) =>
    l.map((worker_species_id) => ({ worker_species_id }))
  ),
  required_controls_suggested: fc.constantFrom([], ["ctrl.x"]),
  escalation: fc.record({ policy_gate: fc.boolean() }),
  max_blast_by_env: fc.constantFrom<Record<string, number>>({}, { prod: 5 }, { prod: 9, dev: 3 }),
});
const rulesArb = fc.array(fc.tuple(matchArb, decisionArb), { maxLength: 7 }).map((items) =>
  items.map(([match, decision], i): RawRule => ({ rule_id: `r${i}`, match, decision }))
);
// NEW is either independent or a small edit of OLD (the interesting case for a review).
const pairArb = fc.oneof(
  fc.tuple(rulesArb, rulesArb),
  fc.tuple(rulesArb, fc.nat(), matchArb, decisionArb, fc.constantFrom("match", "decision", "drop"))
    .map(([oldR, pick, m, dec, what]): [RawRule[], RawRule[]] => {
      if (oldR.length === 0) return [oldR, [{ rule_id: "r0", match: m, decision: dec }]];
      const i = pick % oldR.length;
      const newR = oldR.map((r) => ({ ...r }));
      if (what === "match") newR[i].match = m;
      else if (what === "decision") newR[i].decision = dec;
      else newR.splice(i, 1);
      return [oldR, newR];
    }),
);

Deno.test("diffRuleSets: every changed request of the finite space is in exactly one class, as brute force says", () => {
  fc.assert(fc.property(pairArb, ([oldR, newR]) => check(oldR, newR)), { numRuns: 400 });
});

// ---- by hand ----

const dec = { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] };

Deno.test("diffRuleSets: adding prod to a rule widens exactly cap x prod, with a witness", () => {
  const d = diffRuleSets(
    parseRules([{
      decision: { candidate_workers_ranked: [] },
      rule_id: "r1",
      match: { capability_id: "cap.doc.summarize", env: "dev" },
    }]),
    parseRules([{
      decision: { candidate_workers_ranked: [] },
      rule_id: "r1",
      match: { capability_id: "cap.doc.summarize", env: { in: ["dev", "prod"] } },
    }]),
  );
  assert.equal(d.widened.length, 1);
  assert.deepEqual(d.widened[0].match, { capability_id: "cap.doc.summarize", env: "prod" });
  assert.equal(d.widened[0].combinations, 36);
  assert.equal(d.widened[0].old_rule_id, null);
  assert.equal(d.widened[0].new_rule_id, "r1");
  assert.equal(d.widened[0].witness.env, "prod");
  assert.equal(d.widened[0].witness.capability_id, "cap.doc.summarize");
  assert.equal(d.narrowed.length + d.changed.length, 0);
  assert.equal(d.identical, false);
});

Deno.test("diffRuleSets: a catch-all removed narrows every id, named or not, as one class", () => {
  const d = diffRuleSets(
    parseRules([{
      decision: { candidate_workers_ranked: [] },
      rule_id: "only",
      match: { capability_id: "cap.a" },
    }, { decision: { candidate_workers_ranked: [] }, rule_id: "all" }]),
    parseRules([{
      decision: { candidate_workers_ranked: [] },
      rule_id: "only",
      match: { capability_id: "cap.a" },
    }]),
  );
  assert.equal(d.narrowed.length, 1);
  assert.deepEqual(d.narrowed[0].match, { capability_id: { not_in: ["cap.a"] } });
  assert.equal(d.narrowed[0].includes_unnamed_capabilities, true);
  assert.equal(d.narrowed[0].witness.capability_id, "cap.unnamed.other");
  assert.equal(d.narrowed[0].old_rule_id, "all");
});

Deno.test("diffRuleSets: a blast cap changed for prod only is a change in prod only", () => {
  const d = diffRuleSets(
    parseRules([{ rule_id: "r", decision: { ...dec, max_blast_by_env: { prod: 10 } } }]),
    parseRules([{ rule_id: "r", decision: { ...dec, max_blast_by_env: { prod: 20 } } }]),
  );
  assert.equal(d.changed.length, 1);
  assert.deepEqual(d.changed[0].match, { capability_id: { any: true }, env: "prod" });
  assert.deepEqual(d.changed[0].aspects, ["blast_cap"]);
});

Deno.test("diffRuleSets: the same rules in any key order are identical; a renamed rule is a change", () => {
  const a = [{ rule_id: "r", match: { env: "dev", qos_class: "P0" }, decision: dec }];
  const b = [{ rule_id: "r", match: { qos_class: "P0", env: "dev" }, decision: dec }];
  assert.equal(diffRuleSets(parseRules(a), parseRules(b)).identical, true);
  const renamed = diffRuleSets(
    parseRules(a),
    parseRules([{ ...b[0], rule_id: "s" }]),
  );
  assert.deepEqual(renamed.changed.map((c) => c.aspects), [["rule_id"]]);
  assert.deepEqual(renamed.changed[0].match, {
    capability_id: { any: true },
    env: "dev",
    qos_class: "P0",
  });
});

Deno.test("diffRuleSets: the witness id for unnamed ids avoids every named id", () => {
  const d = diffRuleSets(
    parseRules([{
      decision: { candidate_workers_ranked: [] },
      rule_id: "x",
      match: { capability_id: "cap.unnamed.other" },
    }]),
    parseRules([]),
  );
  assert.equal(d.unnamed_capability_witness, "cap.unnamed.other.2");
  assert.equal(d.narrowed.length, 1);
  assert.equal(d.narrowed[0].includes_unnamed_capabilities, false);
});

Deno.test("diffRuleSets: shadowed rules of either side are listed (prod/edge denial)", () => {
  const d = diffRuleSets(
    parseRules([]),
    parseRules([{ decision: { candidate_workers_ranked: [] }, rule_id: "all" }, {
      decision: { candidate_workers_ranked: [] },
      rule_id: "late",
      match: { env: "prod" },
    }]),
  );
  assert.deepEqual(d.shadowed_rule_ids, { old: [], new: ["late"] });
});
