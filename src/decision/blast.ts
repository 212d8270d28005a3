/**
 * Blast radius in both forms (docs/protocol/decisions.md#blast-radius): the reference's 0-100
 * heuristic over the RouteInput with its prod/edge gate, and the spec's five-dimension score of a
 * worker (0-25) with per-environment caps and chain accumulation.
 *
 * @module
 */

import type { BlastRadius, DataLabel, Env, QosClass } from "../model.ts";

/** The RouteInput fields the heuristic reads. */
export interface BlastInput {
  /** Data label. */
  data_label: DataLabel;
  /** Environment. */
  env: Env;
  /** QoS class. */
  qos_class: QosClass;
  /** The request payload; `egress`, `external_call`, `writes`, `mutates_state` are read. */
  request?: Record<string, unknown>;
}

// Python truthiness (the reference baseline): [], {}, 0, "", false and null are falsy.
function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (typeof v === "number") return !Number.isNaN(v);
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/**
 * The reference's 0-100 heuristic (docs/protocol/decisions.md#blast-heuristic): 10, plus 20
 * (INTERNAL) or 40 (RESTRICTED), plus 15 in prod/edge, plus 10 for P0, plus 15 for egress/external
 * calls, plus 15 for writes/state mutation; capped at 100. Flags use Python truthiness like the
 * reference.
 *
 * @example
 * ```ts
 * import { computeBlastScore } from "@wcp/core";
 * computeBlastScore({ data_label: "PUBLIC", env: "prod", qos_class: "P2" }); // 25
 * computeBlastScore({ data_label: "RESTRICTED", env: "prod", qos_class: "P0",
 *   request: { egress: true, writes: true } }); // 100
 * ```
 */
export function computeBlastScore(input: BlastInput): number {
  let score = 10;
  if (input.data_label === "INTERNAL") score += 20;
  else if (input.data_label === "RESTRICTED") score += 40;
  if (input.env === "prod" || input.env === "edge") score += 15;
  if (input.qos_class === "P0") score += 10;
  const r = input.request;
  if (r !== undefined && r !== null) {
    if (pyTruthy(r.egress) || pyTruthy(r.external_call)) score += 15;
    if (pyTruthy(r.writes) || pyTruthy(r.mutates_state)) score += 15;
  }
  return score > 100 ? 100 : score;
}

/**
 * The effective 0-100 score: the larger of the computed and the caller's (a caller can raise the
 * score, never lower it; docs/protocol/decisions.md#blast-radius).
 *
 * @example
 * ```ts
 * import { effectiveBlastScore } from "@wcp/core";
 * effectiveBlastScore(40, 0); // 40
 * effectiveBlastScore(40, 90); // 90
 * effectiveBlastScore(40, null); // 40
 * ```
 */
export function effectiveBlastScore(computed: number, caller: number | null | undefined): number {
  return typeof caller === "number" && caller > computed ? caller : computed;
}

/**
 * The 0-100 gate (docs/protocol/decisions.md#blast-gate): fails iff the environment is prod-like
 * and the score is at or above the threshold (default 85, `HallConfig.blast_gate_threshold`). Dev
 * and stage never fail.
 *
 * @example
 * ```ts
 * import { blastGatePasses } from "@wcp/core";
 * blastGatePasses("prod", 85); // false
 * blastGatePasses("dev", 100); // true
 * blastGatePasses("edge", 84); // true
 * ```
 */
export function blastGatePasses(env: Env, score: number, threshold = 85): boolean {
  return !((env === "prod" || env === "edge") && score >= threshold);
}

const REVERSIBILITY_POINTS: Record<string, number> = {
  "reversible": 0,
  "partially-reversible": 2,
  "difficult": 4,
  "irreversible": 5,
};

/**
 * The spec's five-dimension score (0-25): data + network + financial + time + reversibility
 * (`reversible` 0, `partially-reversible` 2, `difficult` 4, `irreversible` 5, or a number 0-5).
 * Returns null when the dimensions are absent or malformed (unknown blast is never "zero").
 *
 * @example
 * ```ts
 * import { blastDimensionsScore } from "@wcp/core";
 * blastDimensionsScore({ data: 1, network: 2, financial: 0, time: 1,
 *   reversibility: "partially-reversible" }); // 6
 * blastDimensionsScore(undefined); // null
 * ```
 */
export function blastDimensionsScore(radius: BlastRadius | null | undefined): number | null {
  if (radius === null || typeof radius !== "object") return null;
  let sum = 0;
  for (const k of ["data", "network", "financial", "time"] as const) {
    const v = radius[k];
    if (typeof v !== "number" || !(v >= 0 && v <= 5)) return null;
    sum += v;
  }
  const r = radius.reversibility;
  const rv = typeof r === "string" ? REVERSIBILITY_POINTS[r] : r;
  if (typeof rv !== "number" || !(rv >= 0 && rv <= 5)) return null;
  return sum + rv;
}

/** How a candidate's five-dimension score compares with the rule's cap for the environment. */
export interface BlastCapCheck {
  /** The worker's own score (0-25), null when it declares no dimensions. */
  own: number | null;
  /** Own score plus the parent chain's total, null when either is unknown. */
  chain: number | null;
  /** The cap in force for the environment, null when the rule sets none. */
  cap: number | null;
  /** Whether the candidate is within the cap (unknown scores fail a cap: fail closed). */
  withinCap: boolean;
}

/**
 * Check a candidate against a per-environment cap (`decision.max_blast_by_env`), applied to the
 * chain total when the request names a parent decision.
 *
 * @param radius The worker's declared dimensions.
 * @param cap The rule's cap for the environment, or null/undefined for none.
 * @param parentChain The parent chain's total: a number, `null` when there is no parent, or
 * `undefined` when there is a parent whose total is unknown.
 *
 * @example
 * ```ts
 * import { checkBlastCap } from "@wcp/core";
 * const radius = { data: 1, network: 1, financial: 0, time: 1, reversibility: "reversible" } as const;
 * checkBlastCap(radius, 8, null).withinCap; // true (3 <= 8)
 * checkBlastCap(radius, 8, 6).withinCap; // false (chain 9 > 8)
 * ```
 */
export function checkBlastCap(
  radius: BlastRadius | null | undefined,
  cap: number | null | undefined,
  parentChain: number | null | undefined,
): BlastCapCheck {
  const own = blastDimensionsScore(radius);
  const chain = own === null || parentChain === undefined ? null : own + (parentChain ?? 0);
  const c = typeof cap === "number" ? cap : null;
  return { own, chain, cap: c, withinCap: c === null || (chain !== null && chain <= c) };
}
