// Rule matching cost at 10, 1,000 and 100,000 rules: early match, late match, no match, a match
// by a wildcard rule, and (for scale) a plain first-match loop and compiling the rule set.
// Run: deno bench --allow-read tests/bench/rules_bench.ts
import { type MatchField, parseRules, type RuleSet } from "../../mod.ts";

type Fields = Record<MatchField, string>;
const ENVS = ["dev", "stage", "prod", "edge"];
const LABELS = ["PUBLIC", "INTERNAL", "RESTRICTED"];

/**
 * Exactly n rules of a realistic shape: exact capability ids with some enum conditions, a block of
 * six rules for one capability in the middle, two wildcards at the end.
 */
function ruleDoc(n: number): unknown[] {
  const rules: unknown[] = [];
  for (let i = 0; i < n - 8; i++) {
    const match: Record<string, unknown> = { capability_id: `cap.bench.c${i}` };
    if (i % 3 === 1) match.env = ENVS[i % 4];
    if (i % 5 === 2) match.data_label = { in: [LABELS[i % 3], "RESTRICTED"] };
    rules.push({
      rule_id: `r${i}`,
      match,
      decision: { candidate_workers_ranked: [{ worker_species_id: `wrk.bench.w${i}` }] },
    });
  }
  // One capability with six rules (above the short-scan limit: the per-capability table path).
  for (const env of ["dev", "stage", "prod"]) {
    for (const qos_class of ["P0", "P1"]) {
      rules.splice(Math.floor(rules.length / 2), 0, {
        decision: { candidate_workers_ranked: [] },
        rule_id: `hot-${env}-${qos_class}`,
        match: { capability_id: "cap.bench.hot", env, qos_class },
      });
    }
  }
  rules.push({
    decision: { candidate_workers_ranked: [] },
    rule_id: "wild-restricted-edge",
    match: { capability_id: { any: true }, data_label: "RESTRICTED", env: "edge" },
  });
  rules.push({
    decision: { candidate_workers_ranked: [] },
    rule_id: "wild-p0",
    match: { capability_id: { not_in: ["cap.bench.c0"] }, qos_class: "P0", tenant_risk: "high" },
  });
  return rules;
}

const input = (capability_id: string, extra: Partial<Fields> = {}): Fields => ({
  capability_id,
  env: "dev",
  data_label: "PUBLIC",
  tenant_risk: "low",
  qos_class: "P2",
  ...extra,
});

function linearFirstMatch(doc: unknown[], x: Fields): number {
  for (let i = 0; i < doc.length; i++) {
    const m = (doc[i] as { match: Record<string, unknown> }).match;
    let ok = true;
    for (const f in m) {
      const c = m[f] as string | { any?: true; in?: string[]; not_in?: string[] };
      const v = x[f as MatchField];
      if (typeof c === "string") ok = c === v;
      else if (c.any) ok = true;
      else if (c.in) ok = c.in.includes(v);
      else if (c.not_in) ok = !c.not_in.includes(v);
      if (!ok) break;
    }
    if (ok) return i;
  }
  return -1;
}

let sink = 0;
for (const n of [10, 1_000, 100_000]) {
  if (parseRules(ruleDoc(n)).rules.length !== n) throw new Error("bench setup: size");
}
for (const n of [10, 1_000, 100_000]) {
  const doc = ruleDoc(n);
  const rs: RuleSet = parseRules(doc);
  const early = input("cap.bench.c0");
  const late = input(`cap.bench.c${n - 9}`, { env: ENVS[(n - 9) % 4], data_label: "RESTRICTED" });
  const none = input("cap.bench.none");
  const wild = input("cap.other", { qos_class: "P0", tenant_risk: "high" });
  const hot = input("cap.bench.hot", { env: "prod", qos_class: "P1" });
  if (rs.match(hot)?.rule_id !== "hot-prod-P1") throw new Error("bench setup: hot");
  if (rs.match(early)?.rule_id !== "r0") throw new Error("bench setup: early");
  if (rs.match(late)?.rule_id !== `r${n - 9}`) throw new Error("bench setup: late");
  if (rs.match(none) !== undefined) throw new Error("bench setup: none");
  if (rs.match(wild)?.rule_id !== "wild-p0") throw new Error("bench setup: wild");
  const group = `match ${n.toLocaleString("en")} rules`;
  Deno.bench(`early match, ${n} rules`, { group, baseline: true }, () => {
    sink ^= rs.matchIndex(early);
  });
  Deno.bench(`late match, ${n} rules`, { group }, () => {
    sink ^= rs.matchIndex(late);
  });
  Deno.bench(`no match, ${n} rules`, { group }, () => {
    sink ^= rs.matchIndex(none);
  });
  Deno.bench(`wildcard match, ${n} rules`, { group }, () => {
    sink ^= rs.matchIndex(wild);
  });
  Deno.bench(`match on a capability with 6 rules, ${n} rules`, { group }, () => {
    sink ^= rs.matchIndex(hot);
  });
  Deno.bench(`plain loop, late match, ${n} rules`, { group }, () => {
    sink ^= linearFirstMatch(doc, late);
  });
  if (n <= 1_000) {
    Deno.bench(`parseRules (compile + shadow analysis), ${n} rules`, { group: "compile" }, () => {
      sink ^= parseRules(doc).rules.length;
    });
  }
}
Deno.bench("parseRules (compile + shadow analysis), 100000 rules", {
  group: "compile",
  n: 5,
  warmup: 1,
}, () => {
  sink ^= parseRules(ruleDoc(100_000)).rules.length;
});
globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
