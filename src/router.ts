/**
 * The decision pipeline: `makeDecision`. (Contract stub: the implementation lands with issue 2.)
 *
 * @module
 */

import type { HallConfig } from "./config.ts";
import type { RouteDecision } from "./model.ts";
import type { PolicyGate, PolicyGateFn } from "./policy.ts";
import type { Registry } from "./registry.ts";
import type { RuleSet } from "./rules.ts";
import type { TelemetrySink } from "./telemetry.ts";

/** Everything a decision needs besides the input. */
export interface DecisionOptions {
  /** Compiled rules (`parseRules`). */
  rules: RuleSet;
  /** Enrolled workers, controls, attestation hashes, ban list. */
  registry?: Registry;
  /** Hall floors; missing fields take `DEFAULT_HALL_CONFIG`. */
  config?: Partial<HallConfig>;
  /** The policy gate (object or function). */
  policyGate?: PolicyGate | PolicyGateFn;
  /** Current code hash of an enrolled worker, for attestation at dispatch. */
  currentWorkerHash?: (workerId: string) => string | null | undefined;
  /** Chain total of the five-dimension blast score up to and including a parent decision. */
  chainBlastScore?: (parentDecisionId: string) => number | null | undefined;
  /** Receives every telemetry event. */
  telemetry?: TelemetrySink;
  /** Clock in epoch milliseconds (default `Date.now`). */
  now?: () => number;
  /** Id generator for decision and approval ids (default UUIDv4). */
  newId?: () => string;
  /** Attach a step-by-step `trace` to the decision. */
  trace?: boolean;
}

/**
 * Decide one request. Synchronous and total: whatever `input` is, it returns a decision.
 *
 * @example
 * ```ts
 * import { makeDecision, parseRules } from "@wcp/core";
 * const rules = parseRules({ rules: [] });
 * const d = makeDecision({ capability_id: "cap.x.y" }, { rules });
 * d.outcome; // "DENY"
 * ```
 */
export function makeDecision(_input: unknown, _options: DecisionOptions): RouteDecision {
  throw new Error("makeDecision lands with issue 2");
}
