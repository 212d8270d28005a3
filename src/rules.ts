/**
 * Routing rules: parse and validate a rules document, compile it once into an index, and find
 * shadowed rules once per rule set. (Contract stub: the implementation lands with issue 2.)
 *
 * @module
 */

import type { Env } from "./model.ts";
import { WcpError } from "./errors.ts";

/** A condition on one match field. */
export type Condition =
  | string
  | { any: true }
  | { in: string[] }
  | { eq: string }
  | { not_in: string[] };

/** The five fields a rule can match on. */
export const MATCH_FIELDS = [
  "capability_id",
  "env",
  "data_label",
  "tenant_risk",
  "qos_class",
] as const;
/** A match field. */
export type MatchField = typeof MATCH_FIELDS[number];

/** One routing rule, as written in a rules file. */
export interface Rule {
  /** Unique id, echoed as `matched_rule_id`. */
  rule_id: string;
  /** Conditions; an absent field matches anything. */
  match: Partial<Record<MatchField, Condition>>;
  /** What to do on a match. */
  decision: RuleDecision;
}

/** The decision block of a rule. */
export interface RuleDecision {
  /** Candidate species in preference order. */
  candidate_workers_ranked: { worker_species_id: string; score_hint?: number | null }[];
  /** Controls that must be present. */
  required_controls_suggested: string[];
  /** Profiles echoed on the decision. */
  recommended_profiles: Record<string, unknown>[];
  /** Escalation settings (booleans validated at load time). */
  escalation: Record<string, unknown>;
  /** Preconditions (booleans validated at load time). */
  preconditions: Record<string, unknown>;
  /** Per-environment cap on the five-dimension blast score (chain total). */
  max_blast_by_env?: Partial<Record<Env, number>>;
}

/** A shadowed rule: `shadowed` can never match because `shadowing` matches a superset first. */
export interface ShadowWarning {
  /** The earlier, broader rule. */
  shadowing_rule_id: string;
  /** The later, unreachable rule. */
  shadowed_rule_id: string;
  /** `duplicate` or `subsumed`. */
  kind: "duplicate" | "subsumed";
  /** A sentence for people. */
  message: string;
}

/** A compiled, immutable rule set. */
export interface RuleSet {
  /** Rules in document order. */
  readonly rules: readonly Rule[];
  /** Shadow analysis, computed once at compile time. */
  readonly shadowWarnings: readonly ShadowWarning[];
  /** The first rule matching these field values, or undefined (fail closed). */
  match(fields: Record<MatchField, string>): Rule | undefined;
}

/**
 * Parse, validate and compile a rules document (`{"rules": [...]}` or a bare array).
 * Throws `WcpError` (code `RULES_INVALID`, with `path`) on any invalid part.
 *
 * @example
 * ```ts
 * import { parseRules } from "@wcp/core";
 * const rules = parseRules({ rules: [{ rule_id: "r1", match: { capability_id: "cap.doc.summarize" },
 *   decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] } }] });
 * rules.rules.length; // 1
 * ```
 */
export function parseRules(_doc: unknown): RuleSet {
  throw new WcpError("NOT_IMPLEMENTED", "", "parseRules lands with issue 2");
}
