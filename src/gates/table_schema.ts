/**
 * The gate table's zod schemas, unannotated so that the hall's config schema can extend them;
 * the public face (`table.ts`) re-exports them with explicit types.
 *
 * @module
 */

import { z } from "zod";
import { SUPERVISOR_LEVELS } from "../model.ts";

const stringOrList = z.union([z.string(), z.array(z.string()).min(1)]);
const decision = z.enum(["ALLOW", "DENY", "REQUIRE_HUMAN"]);

/** One rule of the gate table: first match wins. */
export const gateRuleObject = z.strictObject({
  match: z.strictObject({
    capability_id: stringOrList.optional(),
    env: stringOrList.optional(),
    data_label: stringOrList.optional(),
    tenant_risk: stringOrList.optional(),
    qos_class: stringOrList.optional(),
    tenant_id: stringOrList.optional(),
    min_blast_score: z.number().int().min(0).max(100).optional(),
  }),
  decision,
  reason: z.string().max(500).optional(),
  supervisor_level: z.enum(SUPERVISOR_LEVELS).optional(),
});

/** The gate table (consulted for rules whose escalation sets `policy_gate`). */
export const gateTableObject = z.strictObject({
  type: z.literal("table").optional(),
  policy_version: z.string().min(1).max(100).default("pol.hall.v1"),
  default: decision.default("ALLOW"),
  /** The reason of the default answer (default `policy_gate.default`). */
  default_reason: z.string().min(1).max(500).optional(),
  rules: z.array(gateRuleObject).max(1000).default([]),
});
