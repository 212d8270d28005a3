/**
 * The one declarative policy-gate table: its schema, its matcher and its compiler, shared by
 * `hall.json` (`policy_gate`), the MCP server's config (`policy_gate`) and the playground's gate
 * panel. First matching rule wins; a rule's `match` fields are exact values or lists of values
 * (absent: anything), plus `min_blast_score`.
 *
 * The MCP config's older form (`version`, `clauses[].when`) still loads: {@linkcode parseGateTable}
 * converts it (`version` -> `policy_version`, `clauses` -> `rules`, `when` -> `match`).
 *
 * @module
 */

import type { SUPERVISOR_LEVELS } from "../model.ts";
import type { PolicyContext, PolicyGateFn, PolicyGateResult } from "../decision/policy.ts";

/** What a table rule matches (absent fields match anything). */
export interface GateMatch {
  /** Capability id, or any of a list. */
  capability_id?: string | string[];
  /** Environment, or any of a list. */
  env?: string | string[];
  /** Data label, or any of a list. */
  data_label?: string | string[];
  /** Tenant risk, or any of a list. */
  tenant_risk?: string | string[];
  /** QoS class, or any of a list. */
  qos_class?: string | string[];
  /** Tenant id, or any of a list. */
  tenant_id?: string | string[];
  /** The effective blast score is at least this. */
  min_blast_score?: number;
}

/** One rule of a gate table. */
export interface GateRule {
  /** When it applies. */
  match: GateMatch;
  /** What the gate answers. */
  decision: "ALLOW" | "DENY" | "REQUIRE_HUMAN";
  /** Why (default `policy_gate.rules[<i>]`). */
  reason?: string;
  /** For `REQUIRE_HUMAN`: who must act. */
  supervisor_level?: (typeof SUPERVISOR_LEVELS)[number];
}

/** A parsed gate table. */
export interface GateTable {
  /** `table` (optional in files). */
  type?: "table";
  /** The version the answers carry. */
  policy_version: string;
  /** The answer when no rule matches. */
  default: "ALLOW" | "DENY" | "REQUIRE_HUMAN";
  /** The reason of the default answer. */
  default_reason?: string;
  /** Rules in order. */
  rules: GateRule[];
}

function matches(cond: string | string[] | undefined, value: string): boolean {
  if (cond === undefined) return true;
  return Array.isArray(cond) ? cond.includes(value) : cond === value;
}

/**
 * The position of the table's first rule matching `ctx`, or -1 (the default applies).
 *
 * @example
 * ```ts
 * import { matchGateTable } from "@wcp/core/gates";
 * matchGateTable({ policy_version: "v", default: "ALLOW", rules: [{ match: { env: "prod" },
 *   decision: "DENY" }] }, { env: "dev" } as never); // -1
 * ```
 */
export function matchGateTable(table: GateTable, ctx: PolicyContext): number {
  return table.rules.findIndex(({ match: m }) =>
    matches(m.capability_id, ctx.capability_id) && matches(m.env, ctx.env) &&
    matches(m.data_label, ctx.data_label) && matches(m.tenant_risk, ctx.tenant_risk) &&
    matches(m.qos_class, ctx.qos_class) && matches(m.tenant_id, ctx.tenant_id) &&
    (m.min_blast_score === undefined || ctx.blast_score >= m.min_blast_score)
  );
}

/**
 * Compile a gate table into the core's synchronous gate.
 *
 * @example
 * ```ts
 * import { compileGateTable } from "@wcp/core/gates";
 * const gate = compileGateTable({ policy_version: "v1", default: "DENY", rules: [] });
 * gate({ env: "dev" } as never).reason; // "policy_gate.default"
 * ```
 */
export function compileGateTable(table: GateTable): PolicyGateFn {
  return (ctx: PolicyContext): PolicyGateResult => {
    const i = matchGateTable(table, ctx);
    if (i >= 0) {
      const r = table.rules[i];
      return {
        decision: r.decision,
        policy_version: table.policy_version,
        reason: r.reason ?? `policy_gate.rules[${i}]`,
        ...(r.supervisor_level ? { supervisor_level: r.supervisor_level } : {}),
      };
    }
    return {
      decision: table.default,
      policy_version: table.policy_version,
      reason: table.default_reason ?? "policy_gate.default",
    };
  };
}
