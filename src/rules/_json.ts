/**
 * Small validation helpers shared by the rules loader: plain-object checks, paths, and a deep,
 * frozen copy of JSON data (profiles and `human_required_if` are echoed on decisions, so they must
 * be plain JSON that nobody can mutate later).
 *
 * @module
 */

import { WcpError } from "../errors.ts";

/** The error code of every rules-document problem. */
export const RULES_INVALID = "RULES_INVALID";

/** True for `{...}` objects (not arrays, not null, not class instances). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A short description of a value's JSON type, for messages. */
export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (typeof v === "number") return `the number ${v}`;
  if (typeof v === "boolean") return `the boolean ${v}`;
  return typeof v;
}

/** Throw the rules error. */
export function fail(path: string, message: string): never {
  throw new WcpError(RULES_INVALID, path, message);
}

const MAX_DEPTH = 32;

/** A deep-frozen copy of a JSON value; anything else (undefined, NaN, functions, cycles) throws. */
export function frozenJsonCopy(v: unknown, path: string, who: string, depth = 0): unknown {
  if (depth > MAX_DEPTH) fail(path, `${who}: nested deeper than ${MAX_DEPTH} levels`);
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) fail(path, `${who}: ${v} is not a JSON number`);
    return v;
  }
  if (Array.isArray(v)) {
    return Object.freeze(v.map((x, i) => frozenJsonCopy(x, `${path}[${i}]`, who, depth + 1)));
  }
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const copy = frozenJsonCopy(x, `${path}.${k}`, who, depth + 1);
      // A JSON key "__proto__" is data; plain assignment would set the copy's prototype instead.
      if (k === "__proto__") {
        Object.defineProperty(out, k, {
          value: copy,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else out[k] = copy;
    }
    return Object.freeze(out);
  }
  return fail(path, `${who}: ${typeName(v)} is not JSON data`);
}
