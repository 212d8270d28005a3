/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the byte form we hash and sign.
 *
 * @module
 */

import { WcpError } from "../errors.ts";
import { MAX_DEPTH } from "./_jcs.ts";

/**
 * Serialise a JSON value in RFC 8785 canonical form: object keys sorted by UTF-16 code units,
 * no whitespace, ECMAScript number and string serialisation. `undefined` object members are
 * dropped (as JSON.stringify does); non-finite numbers, `undefined` at top level or in arrays,
 * functions, symbols, bigints, cycles, strings or member names holding a lone surrogate
 * (RFC 8785 takes I-JSON input, and RFC 7493 section 2.1 forbids surrogate code points) and
 * arrays or objects nested more than 200 levels deep (the limit the router applies to request
 * payloads; deeper values would otherwise exhaust the stack) are rejected with a `WcpError`
 * (code `JCS_INVALID`) whose `path` names the offending value. Noncharacters (U+FDD0..U+FDEF,
 * U+xFFFE, U+xFFFF) are kept: RFC 7493 only says SHOULD NOT.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "@wcp/core";
 * canonicalJson({ b: 2, a: [1, "x"], c: 1.0 }); // '{"a":[1,"x"],"b":2,"c":1}'
 * try {
 *   canonicalJson({ note: "\ud800" });
 * } catch (e) {
 *   (e as { path: string }).path; // "$.note"
 * }
 * ```
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, "$", [], 0);
  return out.join("");
}

const LONE_SURROGATE = "must be well-formed Unicode: a lone surrogate is not allowed (I-JSON)";

const TOO_DEEP = `nested too deep: the limit is ${MAX_DEPTH} levels of arrays and objects`;

function write(value: unknown, out: string[], path: string, open: object[], depth: number): void {
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
      if (!value.isWellFormed()) throw new WcpError("JCS_INVALID", path, LONE_SURROGATE);
      out.push(JSON.stringify(value));
      return;
    case "object": {
      if (open.includes(value)) {
        throw new WcpError("JCS_INVALID", path, "cyclic reference (JSON has no cycles)");
      }
      if (depth >= MAX_DEPTH) throw new WcpError("JCS_INVALID", path, TOO_DEEP);
      open.push(value);
      if (Array.isArray(value)) {
        out.push("[");
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(",");
          if (value[i] === undefined) {
            throw new WcpError("JCS_INVALID", `${path}[${i}]`, "undefined is not a JSON value");
          }
          write(value[i], out, `${path}[${i}]`, open, depth + 1);
        }
        out.push("]");
        open.pop();
        return;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      out.push("{");
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out.push(",");
        const at = `${path}.${keys[i]}`;
        if (!keys[i].isWellFormed()) {
          throw new WcpError("JCS_INVALID", at, `member name ${LONE_SURROGATE}`);
        }
        out.push(JSON.stringify(keys[i]), ":");
        write(obj[keys[i]], out, at, open, depth + 1);
      }
      out.push("}");
      open.pop();
      return;
    }
    default:
      throw new WcpError("JCS_INVALID", path, `${typeof value} is not a JSON value`);
  }
}
