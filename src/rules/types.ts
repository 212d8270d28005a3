/**
 * The types of routing rules: conditions, compiled rules and rule sets, shadow and loader
 * warnings (docs/protocol/rules.md#rule-grammar is the grammar).
 *
 * @module
 */

import type { Env, PreconditionsChecked, SupervisorLevel } from "../model.ts";
import { MATCH_FIELDS as FIELDS } from "./_domain.ts";

/**
 * A condition on one match field, as written in a rules file.
 *
 * @example
 * ```ts
 * import type { Condition } from "@wcp/core";
 * const conditions: Condition[] = ["prod", { any: true }, { in: ["dev", "stage"] },
 *   { eq: "P0" }, { not_in: ["RESTRICTED"] }];
 * ```
 */
export type Condition =
  | string
  | { any: true }
  | { in: string[] }
  | { eq: string }
  | { not_in: string[] };

/**
 * The five fields a rule can match on, in the order conditions are stored.
 *
 * @example
 * ```ts
 * import { MATCH_FIELDS } from "@wcp/core";
 * MATCH_FIELDS.includes("env"); // true
 * ```
 */
export const MATCH_FIELDS: readonly [
  "capability_id",
  "env",
  "data_label",
  "tenant_risk",
  "qos_class",
] = FIELDS;
/**
 * A match field.
 *
 * @example
 * ```ts
 * import type { MatchField } from "@wcp/core";
 * const f: MatchField = "qos_class";
 * ```
 */
export type MatchField = typeof MATCH_FIELDS[number];

/**
 * One compiled routing rule: validated, normalised and deeply frozen.
 *
 * @example
 * ```ts
 * import { parseRules, type Rule } from "@wcp/core";
 * const rule: Rule = parseRules([{ rule_id: "r1", decision: { candidate_workers_ranked: [] } }])
 *   .rules[0];
 * rule.decision.preconditions.must_have_correlation_id; // true (default)
 * ```
 */
export interface Rule {
  /** Unique, non-empty id, echoed as `matched_rule_id`. */
  readonly rule_id: string;
  /** Conditions as written (frozen copy, fields in MATCH_FIELDS order); absent = anything. */
  readonly match: Readonly<Partial<Record<MatchField, Condition>>>;
  /** What to do on a match, with every default filled in. */
  readonly decision: RuleDecision;
}

/**
 * One candidate of a rule, normalised (`score_hint` is `null` when absent).
 *
 * @example
 * ```ts
 * import type { RuleCandidate } from "@wcp/core";
 * const c: RuleCandidate = { worker_species_id: "wrk.doc.summarizer", score_hint: null };
 * ```
 */
export interface RuleCandidate {
  /** A non-empty species id. */
  readonly worker_species_id: string;
  /** Informational; order is rule order. */
  readonly score_hint: number | null;
}

/**
 * A rule's escalation block, type-checked and with defaults filled in. `supervisor_level` is
 * absent when the rule did not set it (the router then applies its default, `gatekeeper`).
 *
 * @example
 * ```ts
 * import { DEFAULT_RULE_ESCALATION } from "@wcp/core";
 * DEFAULT_RULE_ESCALATION.policy_gate; // false
 * ```
 */
export interface RuleEscalation {
  /** Run the policy gate. Default false. */
  readonly policy_gate: boolean;
  /** Echoed. Default false. */
  readonly msavx_step_up: boolean;
  /** Echoed. Default false. */
  readonly human_required_default: boolean;
  /** Echoed (frozen JSON objects). Default `[]`. */
  readonly human_required_if: readonly Readonly<Record<string, unknown>>[];
  /** Default null. */
  readonly rationale: string | null;
  /** Hold for a human instead of skipping an over-cap candidate. Default false. */
  readonly hold_over_cap: boolean;
  /** Supervisor level for holds; absent unless the rule sets it. */
  readonly supervisor_level?: SupervisorLevel;
}

/**
 * The decision block of a compiled rule: every key present, validated, frozen.
 *
 * @example
 * ```ts
 * import { parseRules } from "@wcp/core";
 * const d = parseRules([{ rule_id: "r1", decision: { candidate_workers_ranked: [],
 *   required_controls_suggested: ["ctrl.b", "ctrl.a", "ctrl.b"] } }]).rules[0].decision;
 * d.required_controls_suggested; // ["ctrl.a", "ctrl.b"] (a sorted set)
 * ```
 */
export interface RuleDecision {
  /** Candidate species in preference order. */
  readonly candidate_workers_ranked: readonly RuleCandidate[];
  /** Controls that must be present: sorted, de-duplicated. */
  readonly required_controls_suggested: readonly string[];
  /** Profiles echoed on the decision (frozen JSON objects). */
  readonly recommended_profiles: readonly Readonly<Record<string, unknown>>[];
  /** Escalation settings. */
  readonly escalation: RuleEscalation;
  /** Preconditions (the six flags of PreconditionsChecked). */
  readonly preconditions: Readonly<PreconditionsChecked>;
  /** Per-environment cap (integer 0-25) on the five-dimension blast score; `{}` when none. */
  readonly max_blast_by_env: Readonly<Partial<Record<Env, number>>>;
}

/**
 * A finding of the shadow analysis: a rule that can never be the first match.
 * `duplicate`: an earlier rule accepts exactly the same requests; `subsumed`: an earlier rule
 * accepts a strict superset; `unsatisfiable`: the rule accepts no request at all (for example
 * `not_in` every env), and `shadowing_rule_id` is null.
 *
 * @example
 * ```ts
 * import { parseRules } from "@wcp/core";
 * const decision = { candidate_workers_ranked: [] };
 * const rs = parseRules([{ rule_id: "all", decision },
 *   { rule_id: "late", match: { env: "prod" }, decision }]);
 * rs.shadowWarnings[0].kind; // "subsumed"
 * ```
 */
export interface ShadowWarning {
  /** The earliest rule that covers the shadowed one; null for `unsatisfiable`. */
  shadowing_rule_id: string | null;
  /** The rule that can never match first. */
  shadowed_rule_id: string;
  /** How it is unreachable. */
  kind: "duplicate" | "subsumed" | "unsatisfiable";
  /** A sentence for people. */
  message: string;
}

/**
 * A non-fatal finding of the loader: a key that the references ignore, and so do we.
 *
 * @example
 * ```ts
 * import { parseRules } from "@wcp/core";
 * const rs = parseRules([{ rule_id: "r1",
 *   decision: { candidate_workers_ranked: [], escalation: { policy_gat: true } } }]);
 * rs.warnings[0].path; // "rules[0].decision.escalation.policy_gat"
 * ```
 */
export interface RuleSetWarning {
  /** The rule it is in. */
  rule_id: string;
  /** Where. */
  path: string;
  /** What. */
  message: string;
}

/**
 * A compiled, immutable rule set.
 *
 * @example
 * ```ts
 * import { parseRules } from "@wcp/core";
 * const rs = parseRules([{ rule_id: "r1", match: { capability_id: "cap.doc.summarize" },
 *   decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] } }]);
 * rs.match({ capability_id: "cap.doc.summarize", env: "dev", data_label: "PUBLIC",
 *   tenant_risk: "low", qos_class: "P2" })?.rule_id; // "r1"
 * ```
 */
export interface RuleSet {
  /** Rules in document order. */
  readonly rules: readonly Rule[];
  /** Shadow analysis, computed once at compile time, in rule order of the shadowed rule. */
  readonly shadowWarnings: readonly ShadowWarning[];
  /** Ids of `duplicate` and `subsumed` rules, sorted (for `DENY_SHADOW_RULES_DETECTED`). */
  readonly shadowedRuleIds: readonly string[];
  /** Ignored keys found while loading. */
  readonly warnings: readonly RuleSetWarning[];
  /** The first rule matching these field values, or undefined (fail closed, also on bad enums). */
  match(fields: Readonly<Record<MatchField, string>>): Rule | undefined;
  /** Like `match`, but the rule's position in `rules`, or -1. */
  matchIndex(fields: Readonly<Record<MatchField, string>>): number;
}
