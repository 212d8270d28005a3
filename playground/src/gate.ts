/**
 * The playground's policy gate: the panel's rows (a `*` cell matches anything) are the shared gate
 * table of hall.json and the MCP config (`src/gates/table.ts`), compiled by the same matcher; when
 * no row matches the gate denies (fail closed).
 *
 * @module
 */

import type { PolicyContext, PolicyGateFn } from "../../mod.ts";
import { compileGateTable, type GateTable } from "../../src/gates/table.ts";

/** The fields a gate row can match on. */
export const GATE_FIELDS = ["capability_id", "env", "data_label", "tenant_risk"] as const;

/** One row of the policy gate table. */
export interface GateRow {
  /** Exact capability id or `*`. */
  capability_id: string;
  /** Exact env or `*`. */
  env: string;
  /** Exact data label or `*`. */
  data_label: string;
  /** Exact tenant risk or `*`. */
  tenant_risk: string;
  /** What the gate answers. */
  decision: "ALLOW" | "DENY" | "REQUIRE_HUMAN";
  /** Why (shown on the decision). */
  reason: string;
}

/** The policy version the table answers with. */
export const GATE_POLICY_VERSION = "pol.playground.v1";

/** Compile a table into a gate function; `calls` records every context it was asked about. */
export function tableGate(rows: readonly GateRow[], calls?: PolicyContext[]): PolicyGateFn {
  const gate = compileGateTable(toHallGate(rows));
  return (ctx: PolicyContext) => {
    calls?.push(ctx);
    return gate(ctx);
  };
}

/** Check a table read from a shared URL; returns only well-formed rows. */
export function sanitizeGateRows(value: unknown): GateRow[] {
  if (!Array.isArray(value)) return [];
  const decisions = ["ALLOW", "DENY", "REQUIRE_HUMAN"];
  return value.filter((r): r is GateRow =>
    r !== null && typeof r === "object" &&
    GATE_FIELDS.every((f) => typeof (r as Record<string, unknown>)[f] === "string") &&
    decisions.includes((r as GateRow).decision) && typeof (r as GateRow).reason === "string"
  );
}

/** The hall's declarative gate (`hall.json` `policy_gate`): the shared gate table. */
export type HallGateConfig = GateTable;

/** Export a table as the hall's `policy_gate` block, so a gate designed here runs in a hall. */
export function toHallGate(rows: readonly GateRow[]): HallGateConfig {
  return {
    policy_version: GATE_POLICY_VERSION,
    default: "DENY",
    default_reason: "no gate row matched (fail closed)",
    rules: rows.map((r) => ({
      match: Object.fromEntries(GATE_FIELDS.filter((f) => r[f] !== "*").map((f) => [f, r[f]])),
      decision: r.decision,
      reason: r.reason,
    })),
  };
}
