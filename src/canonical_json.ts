/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the byte form we hash and sign.
 *
 * @module
 */

import { WcpError } from "./errors.ts";

/**
 * Serialise a JSON value in RFC 8785 canonical form: object keys sorted by UTF-16 code units,
 * no whitespace, ECMAScript number and string serialisation. `undefined` object members are
 * dropped (as JSON.stringify does); non-finite numbers, `undefined` at top level or in arrays,
 * functions, symbols and bigints are rejected with a `WcpError` (code `JCS_INVALID`).
 *
 * @example
 * ```ts
 * import { canonicalJson } from "@wcp/core";
 * canonicalJson({ b: 2, a: [1, "x"], c: 1.0 }); // '{"a":[1,"x"],"b":2,"c":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, "$");
  return out.join("");
}

function write(value: unknown, out: string[], path: string): void {
  if (value === null) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) {
        throw new WcpError("JCS_INVALID", path, "numbers must be finite (no NaN or Infinity)");
      }
      // ECMAScript Number-to-String is exactly what RFC 8785 prescribes; -0 serialises as 0.
      out.push(JSON.stringify(value));
      return;
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "object": {
      if (Array.isArray(value)) {
        out.push("[");
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(",");
          if (value[i] === undefined) {
            throw new WcpError("JCS_INVALID", `${path}[${i}]`, "undefined is not a JSON value");
          }
          write(value[i], out, `${path}[${i}]`);
        }
        out.push("]");
        return;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      out.push("{");
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out.push(",");
        out.push(JSON.stringify(keys[i]), ":");
        write(obj[keys[i]], out, `${path}.${keys[i]}`);
      }
      out.push("}");
      return;
    }
    default:
      throw new WcpError("JCS_INVALID", path, `${typeof value} is not a JSON value`);
  }
}
