/**
 * Exact comparison of two rule sets over the whole request space of the rule grammar.
 *
 * The space is finite up to capability ids: four enumerated fields (4 x 3 x 3 x 4 = 144
 * combinations) times the capability ids. Only ids that some rule of either set names (in an exact
 * condition, `eq`, `in` or `not_in`) can behave differently from each other; every other id is
 * accepted by exactly the same rules (those whose capability condition is absent, `any` or a
 * `not_in`), so all of them form one class, represented by one fresh witness id that neither set
 * names. Comparing first matches over (named ids + 1) x 144 cells is therefore exhaustive, not a
 * sample: every request that changes is in exactly one reported class.
 *
 * Pure: no file, network or `Deno.*` calls.
 *
 * @module
 */

import type { Env, RouteInput } from "../model.ts";
import type { Condition, Rule, RuleSet } from "./types.ts";
import { COMBOS, ENUM_DOMAINS, ENUM_FIELDS, type EnumField, valuesOfCombo } from "./_domain.ts";

/** What kind of change a class of requests undergoes. */
export type RuleDiffKind = "widen" | "narrow" | "change";

/**
 * What differs between the matched rules of a `change` class (both sets match). `rule_id`: a
 * different rule matches (its decision may be the same); the others compare the decision blocks:
 * `candidates` (`candidate_workers_ranked`), `required_controls`, `policy_gate`,
 * `human_required_default`, `hold_over_cap`, `supervisor_level`, `escalation` (any other escalation
 * field), `blast_cap` (`max_blast_by_env` for the request's environment), `preconditions`,
 * `recommended_profiles`.
 */
export type RuleDiffAspect =
  | "rule_id"
  | "candidates"
  | "required_controls"
  | "policy_gate"
  | "human_required_default"
  | "hold_over_cap"
  | "supervisor_level"
  | "escalation"
  | "blast_cap"
  | "preconditions"
  | "recommended_profiles";

/**
 * One class of requests that behaves the same way under both rule sets, written as a rule `match`
 * block (a field absent from `match` takes every value). The class is a product of the listed
 * values; classes of one diff never overlap.
 */
export interface RuleDiffClass {
  /** `widen`: NEW matches, OLD matched nothing; `narrow`: the reverse; `change`: both match. */
  kind: RuleDiffKind;
  /**
   * The requests of the class. `capability_id` is an exact id, `{"in": [...]}`, or, when the class
   * includes the ids neither set names, `{"any": true}` or `{"not_in": [...]}`.
   */
  match: {
    capability_id: Condition;
    env?: Condition;
    data_label?: Condition;
    tenant_risk?: Condition;
    qos_class?: Condition;
  };
  /** True when the class includes every capability id that neither rule set names. */
  includes_unnamed_capabilities: boolean;
  /** The rule OLD's first match is, or null (no match: denied). */
  old_rule_id: string | null;
  /** The rule NEW's first match is, or null (no match: denied). */
  new_rule_id: string | null;
  /** For `change`: what differs (sorted); empty for `widen` and `narrow`. */
  aspects: RuleDiffAspect[];
  /** Enum combinations in the class, per capability. */
  combinations: number;
  /** A concrete request of the class. */
  witness: RouteInput;
}

/** Counts of a diff. */
export interface RuleDiffSummary {
  /** Classes NEW allows and OLD denied. */
  widened: number;
  /** Classes OLD allowed and NEW denies. */
  narrowed: number;
  /** Classes both allow with a different matched rule or decision. */
  changed: number;
  /** Capability ids named by either set (each compared on its own). */
  named_capabilities: number;
  /** Cells compared: (named ids + 1) x 144. */
  cells_compared: number;
}

/** The result of {@link diffRuleSets}. */
export interface RuleSetDiff {
  /** True when no request is treated differently. */
  identical: boolean;
  /** Widening classes (NEW allows, OLD denied), in capability order. */
  widened: RuleDiffClass[];
  /** Narrowing classes (OLD allowed, NEW denies). */
  narrowed: RuleDiffClass[];
  /** Classes whose matched rule or decision changes. */
  changed: RuleDiffClass[];
  /** Counts. */
  summary: RuleDiffSummary;
  /** The witness id standing for every capability id neither set names. */
  unnamed_capability_witness: string;
  /**
   * Rules that can never match first (duplicate or subsumed) in each set: with any of them, the
   * router denies every prod and edge request with `DENY_SHADOW_RULES_DETECTED`, which the classes
   * above (first-match semantics) do not show.
   */
  shadowed_rule_ids: { old: string[]; new: string[] };
}

/** Options of {@link diffRuleSets}. */
export interface RuleDiffOptions {
  /**
   * Tenant and correlation id of the witness requests (defaults `tenant.witness` and a fixed
   * UUID); they do not influence matching.
   */
  witnessTenantId?: string;
  /** Correlation id of witness requests. */
  witnessCorrelationId?: string;
}

const FRESH_BASE = "cap.unnamed.other";

/** Every capability id a rule's capability condition names. */
function namedIds(rule: Rule, into: Set<string>): void {
  const c = rule.match.capability_id;
  if (c === undefined) return;
  if (typeof c === "string") into.add(c);
  else if ("eq" in c) into.add(c.eq);
  else if ("in" in c) { for (const v of c.in) into.add(v); }
  else if ("not_in" in c) { for (const v of c.not_in) into.add(v); }
}

function freshId(named: ReadonlySet<string>): string {
  if (!named.has(FRESH_BASE)) return FRESH_BASE;
  for (let i = 2;; i++) {
    const id = `${FRESH_BASE}.${i}`;
    if (!named.has(id)) return id;
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The aspects in which two matched rules differ for a request in environment `env`. */
function aspectsOf(a: Rule, b: Rule, env: Env): RuleDiffAspect[] {
  const out: RuleDiffAspect[] = [];
  const da = a.decision, db = b.decision;
  if (a.rule_id !== b.rule_id) out.push("rule_id");
  if (!same(da.candidate_workers_ranked, db.candidate_workers_ranked)) out.push("candidates");
  if (!same(da.required_controls_suggested, db.required_controls_suggested)) {
    out.push("required_controls");
  }
  const ea = da.escalation, eb = db.escalation;
  if (ea.policy_gate !== eb.policy_gate) out.push("policy_gate");
  if (ea.human_required_default !== eb.human_required_default) out.push("human_required_default");
  if (ea.hold_over_cap !== eb.hold_over_cap) out.push("hold_over_cap");
  if (ea.supervisor_level !== eb.supervisor_level) out.push("supervisor_level");
  if (
    ea.msavx_step_up !== eb.msavx_step_up || ea.rationale !== eb.rationale ||
    !same(ea.human_required_if, eb.human_required_if)
  ) out.push("escalation");
  if (da.max_blast_by_env[env] !== db.max_blast_by_env[env]) out.push("blast_cap");
  if (!same(da.preconditions, db.preconditions)) out.push("preconditions");
  if (!same(da.recommended_profiles, db.recommended_profiles)) out.push("recommended_profiles");
  return out.sort();
}

/** The first-match index of every combination for one capability id. */
function tableOf(rs: RuleSet, cap: string): Int32Array {
  const t = new Int32Array(COMBOS);
  for (let c = 0; c < COMBOS; c++) {
    t[c] = rs.matchIndex({ capability_id: cap, ...valuesOfCombo(c) });
  }
  return t;
}

/** Split a set of combinations into disjoint products of field values (greedy, maximal). */
function cubesOf(cells: Uint8Array): Record<EnumField, string[]>[] {
  const left = cells.slice();
  const cubes: Record<EnumField, string[]>[] = [];
  const sizes = ENUM_FIELDS.map((f) => ENUM_DOMAINS[f].length);
  const indexOf = (idx: number[]): number =>
    ((idx[0] * sizes[1] + idx[1]) * sizes[2] + idx[2]) * sizes[3] + idx[3];
  const allIn = (sets: number[][]): boolean => {
    for (const a of sets[0]) {
      for (const b of sets[1]) {
        for (const c of sets[2]) {
          for (const d of sets[3]) if (!left[indexOf([a, b, c, d])]) return false;
        }
      }
    }
    return true;
  };
  for (let start = 0; start < COMBOS; start++) {
    if (!left[start]) continue;
    const v = valuesOfCombo(start);
    const sets = ENUM_FIELDS.map((f) => [ENUM_DOMAINS[f].indexOf(v[f])]);
    for (let f = 0; f < ENUM_FIELDS.length; f++) {
      for (let x = 0; x < sizes[f]; x++) {
        if (sets[f].includes(x)) continue;
        const trial = sets.map((s, i) => (i === f ? [...s, x] : s));
        if (allIn(trial)) sets[f] = [...sets[f], x].sort((p, q) => p - q);
      }
    }
    for (const a of sets[0]) {
      for (const b of sets[1]) {
        for (const c of sets[2]) for (const d of sets[3]) left[indexOf([a, b, c, d])] = 0;
      }
    }
    const cube = {} as Record<EnumField, string[]>;
    ENUM_FIELDS.forEach((f, i) => (cube[f] = sets[i].map((x) => ENUM_DOMAINS[f][x])));
    cubes.push(cube);
  }
  return cubes;
}

function enumCondition(field: EnumField, values: string[]): Condition | undefined {
  if (values.length === ENUM_DOMAINS[field].length) return undefined;
  return values.length === 1 ? values[0] : { in: values };
}

interface Group {
  kind: RuleDiffKind;
  oldIdx: number;
  newIdx: number;
  aspects: RuleDiffAspect[];
  /** Cell mask (as a string key) -> capabilities with exactly that mask. */
  byMask: Map<string, { cells: Uint8Array; caps: string[] }>;
}

/**
 * Compare two compiled rule sets over every request of the grammar and report each class of
 * requests whose first match changes: `widened` (NEW matches, OLD matched nothing: NEW allows what
 * OLD denied), `narrowed` (the reverse) and `changed` (both match, but another rule or another
 * decision: candidates, controls, escalation, blast cap). Each class carries a witness request.
 * Exact: every differing request lies in exactly one class (see the module comment for why the
 * infinite capability space reduces to the named ids plus one fresh id).
 *
 * @example
 * ```ts
 * import { diffRuleSets, parseRules } from "@wcp/core";
 * const decision = { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] };
 * const oldRules = parseRules([{ rule_id: "r1", match: { capability_id: "cap.doc.summarize",
 *   env: "dev" }, decision }]);
 * const newRules = parseRules([{ rule_id: "r1", match: { capability_id: "cap.doc.summarize",
 *   env: { in: ["dev", "prod"] } }, decision }]);
 * const d = diffRuleSets(oldRules, newRules);
 * d.widened.length; // 1
 * d.widened[0].match; // { capability_id: "cap.doc.summarize", env: "prod" }
 * d.widened[0].witness.env; // "prod"
 * ```
 */
export function diffRuleSets(
  oldRules: RuleSet,
  newRules: RuleSet,
  options: RuleDiffOptions = {},
): RuleSetDiff {
  const named = new Set<string>();
  for (const r of oldRules.rules) namedIds(r, named);
  for (const r of newRules.rules) namedIds(r, named);
  const fresh = freshId(named);
  const caps = [...[...named].sort(), fresh];
  const groups = new Map<string, Group>();
  const order: string[] = [];
  for (const cap of caps) {
    const to = tableOf(oldRules, cap);
    const tn = tableOf(newRules, cap);
    const cellsByGroup = new Map<string, Uint8Array>();
    for (let c = 0; c < COMBOS; c++) {
      const o = to[c], n = tn[c];
      if (o < 0 && n < 0) continue;
      let kind: RuleDiffKind;
      let aspects: RuleDiffAspect[] = [];
      if (o < 0) kind = "widen";
      else if (n < 0) kind = "narrow";
      else {
        aspects = aspectsOf(oldRules.rules[o], newRules.rules[n], valuesOfCombo(c).env as Env);
        if (aspects.length === 0) continue;
        kind = "change";
      }
      const key = `${kind}\u0000${o}\u0000${n}\u0000${aspects.join(",")}`;
      let g = groups.get(key);
      if (g === undefined) {
        g = { kind, oldIdx: o, newIdx: n, aspects, byMask: new Map() };
        groups.set(key, g);
        order.push(key);
      }
      let cells = cellsByGroup.get(key);
      if (cells === undefined) cellsByGroup.set(key, cells = new Uint8Array(COMBOS));
      cells[c] = 1;
    }
    for (const [key, cells] of cellsByGroup) {
      const g = groups.get(key)!;
      const mk = cells.join("");
      const entry = g.byMask.get(mk);
      if (entry) entry.caps.push(cap);
      else g.byMask.set(mk, { cells, caps: [cap] });
    }
  }
  const tenant = options.witnessTenantId ?? "tenant.witness";
  const correlation = options.witnessCorrelationId ?? "00000000-0000-4000-8000-000000000000";
  const out: Record<RuleDiffKind, RuleDiffClass[]> = { widen: [], narrow: [], change: [] };
  const namedList = caps.slice(0, -1);
  for (const key of order) {
    const g = groups.get(key)!;
    for (const { cells, caps: members } of g.byMask.values()) {
      const unnamed = members.includes(fresh);
      const listed = members.filter((c) => c !== fresh);
      let capability: Condition;
      if (unnamed) {
        const excluded = namedList.filter((c) => !listed.includes(c));
        capability = excluded.length === 0 ? { any: true } : { not_in: excluded };
      } else capability = listed.length === 1 ? listed[0] : { in: listed };
      for (const cube of cubesOf(cells)) {
        const match: RuleDiffClass["match"] = { capability_id: capability };
        for (const f of ENUM_FIELDS) {
          const cond = enumCondition(f, cube[f]);
          if (cond !== undefined) match[f] = cond;
        }
        out[g.kind].push({
          kind: g.kind,
          match,
          includes_unnamed_capabilities: unnamed,
          old_rule_id: g.oldIdx < 0 ? null : oldRules.rules[g.oldIdx].rule_id,
          new_rule_id: g.newIdx < 0 ? null : newRules.rules[g.newIdx].rule_id,
          aspects: g.aspects,
          combinations: cube.env.length * cube.data_label.length * cube.tenant_risk.length *
            cube.qos_class.length,
          witness: {
            correlation_id: correlation,
            tenant_id: tenant,
            env: cube.env[0] as RouteInput["env"],
            data_label: cube.data_label[0] as RouteInput["data_label"],
            tenant_risk: cube.tenant_risk[0] as RouteInput["tenant_risk"],
            qos_class: cube.qos_class[0] as RouteInput["qos_class"],
            capability_id: listed[0] ?? fresh,
          },
        });
      }
    }
  }
  const widened = out.widen, narrowed = out.narrow, changed = out.change;
  return {
    identical: widened.length + narrowed.length + changed.length === 0,
    widened,
    narrowed,
    changed,
    summary: {
      widened: widened.length,
      narrowed: narrowed.length,
      changed: changed.length,
      named_capabilities: named.size,
      cells_compared: caps.length * COMBOS,
    },
    unnamed_capability_witness: fresh,
    shadowed_rule_ids: {
      old: [...oldRules.shadowedRuleIds],
      new: [...newRules.shadowedRuleIds],
    },
  };
}
