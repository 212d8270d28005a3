/**
 * Match conditions: validation of the grammar (docs/protocol/rules.md#rule-grammar) and compilation
 * to one formal semantics, a set of admissible values per field, shared by the matcher and the
 * shadow analysis.
 *
 * @module
 */

import type { Condition, MatchField } from "./types.ts";
import { ENUM_DOMAINS, type EnumField, fullBits } from "./_domain.ts";
import { fail, isPlainObject, typeName } from "./_json.ts";

/** Capability condition compiled: the domain is infinite, so keep the operator. */
export type CapCondition =
  | { readonly kind: "any" }
  | { readonly kind: "in"; readonly values: ReadonlySet<string> }
  | { readonly kind: "not_in"; readonly values: ReadonlySet<string> };

/** The capability condition that accepts everything. */
export const CAP_ANY: CapCondition = Object.freeze({ kind: "any" });

const OPERATORS = ["any", "in", "eq", "not_in"] as const;

/** A validated condition, its frozen written form, and the values it lists (if any). */
interface Parsed {
  written: Condition;
  op: "exact" | typeof OPERATORS[number];
  values: readonly string[];
}

function parseCondition(
  field: MatchField,
  c: unknown,
  path: string,
  who: string,
): Parsed {
  const checkValue = (v: unknown, at: string): string => {
    if (typeof v !== "string") {
      fail(at, `${who}: ${field} values must be strings, got ${typeName(v)}`);
    }
    if (v === "") fail(at, `${who}: ${field} value must not be empty`);
    if (field !== "capability_id") {
      const domain = ENUM_DOMAINS[field as EnumField];
      if (!domain.includes(v)) {
        fail(
          at,
          `${who}: ${JSON.stringify(v)} is not a valid ${field} (one of ${domain.join("|")})`,
        );
      }
    }
    return v;
  };
  if (typeof c === "string") {
    return { written: checkValue(c, path), op: "exact", values: [c] };
  }
  if (!isPlainObject(c)) {
    fail(
      path,
      `${who}: a condition is a string or one of {"any": true}, {"in": [...]}, {"eq": "..."}, ` +
        `{"not_in": [...]}; got ${typeName(c)}`,
    );
  }
  const keys = Object.keys(c);
  if (keys.length !== 1) {
    fail(
      path,
      keys.length === 0
        ? `${who}: empty condition object (use {"any": true} to match everything)`
        : `${who}: a condition takes exactly one operator, got ${keys.join(", ")}`,
    );
  }
  const op = keys[0];
  const arg = c[op];
  const at = `${path}.${op}`;
  switch (op) {
    case "any":
      if (arg !== true) fail(at, `${who}: "any" must be true, got ${typeName(arg)}`);
      return { written: Object.freeze({ any: true as const }), op, values: [] };
    case "eq":
      return { written: Object.freeze({ eq: checkValue(arg, at) }), op, values: [arg as string] };
    case "in":
    case "not_in": {
      if (!Array.isArray(arg)) fail(at, `${who}: "${op}" takes an array, got ${typeName(arg)}`);
      if (arg.length === 0) {
        fail(at, `${who}: "${op}" needs at least one value`);
      }
      const values = Object.freeze(arg.map((v, i) => checkValue(v, `${at}[${i}]`)));
      const written = op === "in" ? { in: values as string[] } : { not_in: values as string[] };
      return { written: Object.freeze(written), op, values };
    }
    default:
      return fail(
        at,
        `${who}: unknown operator ${JSON.stringify(op)} (expected one of ${OPERATORS.join(", ")})`,
      );
  }
}

/** Validate a capability condition; compile it. */
export function compileCapability(
  c: unknown,
  path: string,
  who: string,
): { written: Condition; compiled: CapCondition } {
  const p = parseCondition("capability_id", c, path, who);
  if (p.op === "any") return { written: p.written, compiled: CAP_ANY };
  const values = new Set(p.values);
  const kind = p.op === "not_in" ? "not_in" : "in";
  return { written: p.written, compiled: Object.freeze({ kind, values }) };
}

/** Validate an enum-field condition; compile it to a bitmask over the field's domain. */
export function compileEnum(
  field: EnumField,
  c: unknown,
  path: string,
  who: string,
): { written: Condition; bits: number } {
  const p = parseCondition(field, c, path, who);
  const domain = ENUM_DOMAINS[field];
  let listed = 0;
  for (const v of p.values) listed |= 1 << domain.indexOf(v);
  const full = fullBits(field);
  const bits = p.op === "any" ? full : p.op === "not_in" ? full & ~listed : listed;
  return { written: p.written, bits };
}

/** Does capability condition `c` accept value `v`? */
export function capAccepts(c: CapCondition, v: string): boolean {
  if (c.kind === "any") return true;
  return c.kind === "in" ? c.values.has(v) : !c.values.has(v);
}

/** Is every capability `b` accepts also accepted by `a`? (Set inclusion on an infinite domain.) */
export function capCovers(a: CapCondition, b: CapCondition): boolean {
  if (a.kind === "any") return true;
  if (a.kind === "in") {
    if (b.kind !== "in") return false;
    for (const v of b.values) if (!a.values.has(v)) return false;
    return true;
  }
  // a is not_in X
  if (b.kind === "any") return false;
  if (b.kind === "in") {
    for (const v of b.values) if (a.values.has(v)) return false;
    return true;
  }
  for (const v of a.values) if (!b.values.has(v)) return false;
  return true;
}
