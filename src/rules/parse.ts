/**
 * Parse, validate and compile a rules document; the defaults of a rule's optional blocks and
 * the copies a decision takes of them.
 *
 * @module
 */

import type { Escalation, PreconditionsChecked } from "../model.ts";
import { ESCALATION_DEFAULTS, parseDocument, PRECONDITION_DEFAULTS } from "./_parse.ts";
import { CompiledRuleSet } from "./_index.ts";
import type { RuleEscalation, RuleSet } from "./types.ts";

/**
 * Escalation defaults of a rule without an `escalation` block (frozen).
 *
 * @example
 * ```ts
 * import { DEFAULT_RULE_ESCALATION } from "@wcp/core";
 * DEFAULT_RULE_ESCALATION.human_required_if.length; // 0
 * ```
 */
export const DEFAULT_RULE_ESCALATION: RuleEscalation = ESCALATION_DEFAULTS;

/**
 * Preconditions defaults of a rule without a `preconditions` block (frozen;
 * docs/protocol/rules.md#preconditions-defaults).
 *
 * @example
 * ```ts
 * import { DEFAULT_RULE_PRECONDITIONS } from "@wcp/core";
 * DEFAULT_RULE_PRECONDITIONS.deny_if_missing_required_controls; // true
 * ```
 */
export const DEFAULT_RULE_PRECONDITIONS: Readonly<PreconditionsChecked> = PRECONDITION_DEFAULTS;

/**
 * A fresh, mutable `Escalation` for a decision from a rule's frozen escalation block (so no
 * decision shares or mutates rule state).
 *
 * @example
 * ```ts
 * import { parseRules, toEscalation } from "@wcp/core";
 * const rule = parseRules([{ rule_id: "r1",
 *   decision: { candidate_workers_ranked: [], escalation: { policy_gate: true } } }]).rules[0];
 * const esc = toEscalation(rule.decision.escalation);
 * esc.rationale = "held"; // allowed: a copy
 * ```
 */
export function toEscalation(e: RuleEscalation): Escalation {
  const out: Escalation = {
    policy_gate: e.policy_gate,
    msavx_step_up: e.msavx_step_up,
    human_required_default: e.human_required_default,
    human_required_if: e.human_required_if.map((x) =>
      structuredClone(x) as Record<string, unknown>
    ),
    rationale: e.rationale,
    hold_over_cap: e.hold_over_cap,
  };
  if (e.supervisor_level !== undefined) out.supervisor_level = e.supervisor_level;
  return out;
}

/**
 * A fresh, mutable `PreconditionsChecked` from a rule's frozen preconditions.
 *
 * @example
 * ```ts
 * import { DEFAULT_RULE_PRECONDITIONS, toPreconditions } from "@wcp/core";
 * toPreconditions(DEFAULT_RULE_PRECONDITIONS).must_have_correlation_id; // true
 * ```
 */
export function toPreconditions(p: Readonly<PreconditionsChecked>): PreconditionsChecked {
  return { ...p };
}

/**
 * Parse, validate and compile a rules document (`{"rules": [...]}` or a bare array).
 * Throws `WcpError` (code `RULES_INVALID`, `path` such as `rules[3].match.env`, the rule id in
 * the message) on any invalid part. Compiles the match index and the shadow analysis once.
 *
 * @example
 * ```ts
 * import { parseRules } from "@wcp/core";
 * const rules = parseRules({ rules: [{ rule_id: "r1", match: { capability_id: "cap.doc.summarize" },
 *   decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] } }] });
 * rules.rules.length; // 1
 * ```
 */
export function parseRules(doc: unknown): RuleSet {
  return new CompiledRuleSet(parseDocument(doc));
}
