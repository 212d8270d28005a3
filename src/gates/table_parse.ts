/**
 * Parsing a gate table from a file (hall.json, the MCP config): zod validation with the field
 * named in the error, and the older MCP form converted. Kept apart from `table.ts` so that code
 * that only compiles a table (the playground) does not bundle zod.
 *
 * @module
 */

import { gateTableObject } from "./table_schema.ts";
import type { GateTable } from "./table.ts";
import { WcpError } from "../errors.ts";

function zodAt(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : (out ? "." : "") + String(p);
  return out;
}

// The MCP config's older shape, converted field for field.
function fromClauses(v: Record<string, unknown>): Record<string, unknown> {
  const { version, clauses, ...rest } = v;
  return {
    ...rest,
    ...(version !== undefined ? { policy_version: version } : {}),
    rules: Array.isArray(clauses)
      ? clauses.map((c) => {
        if (typeof c !== "object" || c === null) return c;
        const { when, ...r } = c as Record<string, unknown>;
        return { ...r, match: when ?? {} };
      })
      : clauses,
  };
}

/**
 * Validate a gate table (the older MCP form `version`/`clauses`/`when` is converted); throws
 * `WcpError` `code` (default `POLICY_GATE_INVALID`) with `path` under `prefix`.
 *
 * @example
 * ```ts
 * import { parseGateTable } from "@wcp/core/gates";
 * parseGateTable({ version: "v1", clauses: [{ when: { env: "prod" }, decision: "DENY",
 *   reason: "no" }] }).rules[0].match.env; // "prod"
 * ```
 */
export function parseGateTable(
  doc: unknown,
  prefix = "policy_gate",
  code = "POLICY_GATE_INVALID",
): GateTable {
  const isOld = typeof doc === "object" && doc !== null && !Array.isArray(doc) &&
    ("clauses" in doc || "version" in doc) && !("rules" in doc) && !("policy_version" in doc);
  const r = gateTableObject.safeParse(isOld ? fromClauses(doc as Record<string, unknown>) : doc);
  if (!r.success) {
    const i = r.error.issues[0];
    const rel = zodAt(i.code === "unrecognized_keys" ? [...i.path, i.keys[0]] : i.path);
    throw new WcpError(code, rel ? `${prefix}.${rel}` : prefix, i.message);
  }
  return r.data as GateTable;
}
