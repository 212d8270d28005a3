/**
 * The one emulator of Python's `json.dumps(value, sort_keys=True, ensure_ascii=True)`, for the
 * reference's recipes only: the RouteInput `artifact_hash`
 * (docs/protocol/hashes.md#python-artifact-hash, default separators), registry-record hashes
 * (docs/protocol/hashes.md#record-hash, compact), the manifest HMAC payload
 * (docs/protocol/hashes.md#manifest-payload, compact) and `manifest.json` (`indent=2`). Everything
 * we produce ourselves is JCS.
 *
 * @module
 */

import { WcpError } from "../errors.ts";

/**
 * Marks a number that Python holds as a float, so it serialises as `1.0` rather than `1`.
 * JavaScript numbers do not keep the int/float distinction; integral numbers serialise as ints.
 *
 * @example
 * ```ts
 * import { artifactHashPyCompat, PyFloat } from "@wcp/core";
 * const h = artifactHashPyCompat({ capability_id: "cap.a.b", env: "dev", data_label: "PUBLIC",
 *   tenant_risk: "low", qos_class: "P2", tenant_id: "t", correlation_id: "c",
 *   request: { n: new PyFloat(1) } });
 * h.length; // 64
 * ```
 */
export class PyFloat {
  /** The number. */
  readonly value: number;
  /**
   * Wrap a number.
   *
   * @param value The float value.
   */
  constructor(value: number) {
    this.value = value;
  }
}

/** Python `repr(float)`: shortest round-trip digits, fixed notation for exponents -4..15. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mant, expStr] = Math.abs(x).toExponential().split("e");
  const digits = mant.replace(".", "");
  const exp = Number(expStr); // value = d.ddd × 10^exp
  const decpt = exp + 1; // value = 0.ddd × 10^decpt
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return sign + "0." + "0".repeat(-decpt) + digits;
    if (decpt >= digits.length) return sign + digits + "0".repeat(decpt - digits.length) + ".0";
    return sign + digits.slice(0, decpt) + "." + digits.slice(decpt);
  }
  const m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
  const e = Math.abs(exp);
  return sign + m + "e" + (exp < 0 ? "-" : "+") + (e < 10 ? "0" + e : String(e));
}

/** Python `ensure_ascii` string literal: every unit outside 0x20..0x7e is escaped. */
export function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else out += "\\u" + c.toString(16).padStart(4, "0"); // UTF-16 units: surrogate pairs as Python
  }
  return out + '"';
}

function isSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdfff;
}

/**
 * Compare two strings by Unicode code point (Python `str` order), not by UTF-16 unit. The two
 * orders differ only where a surrogate meets a unit in U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (!isSurrogate(x) && !isSurrogate(y)) return x - y;
    // Rare: compare whole code points from here (a lone surrogate is its own code point).
    return (a.codePointAt(i) ?? x) - (b.codePointAt(i) ?? y);
  }
  return a.length - b.length;
}

/**
 * How to serialise; the defaults are the RouteInput recipe
 * (docs/protocol/hashes.md#python-artifact-hash).
 */
export interface PyJsonOptions {
  /** Separators `(",", ":")` instead of Python's default `(", ", ": ")`. */
  compact?: boolean;
  /** `json.dumps(indent=n)`: one member per line, separators `","` and `": "`. */
  indent?: number;
  /**
   * Values JSON cannot hold. `"python"` (default): NaN and ±Infinity as Python's literals, and
   * `default=str` for functions, bigints and symbols. `"throw"`: a `WcpError` (`JSON_INVALID`)
   * naming the path, for files that must stay strict JSON.
   */
  nonJson?: "python" | "throw";
  /**
   * Integral numbers of magnitude 1e16 or more: `"int"` (default) or `"float"` (what Python's
   * `json.loads` makes of such a number when the file wrote it in exponent form).
   */
  largeIntegers?: "int" | "float";
}

/**
 * Serialise like Python `json.dumps(value, sort_keys=True)` with `ensure_ascii` on, per the
 * options. `undefined` members are dropped and `undefined` array items are `null`; a cycle is a
 * `WcpError` (`JSON_INVALID`) naming the path.
 */
export function pyJsonDumps(value: unknown, options: PyJsonOptions = {}): string {
  const indent = options.indent;
  const strict = options.nonJson === "throw";
  const floatFrom = options.largeIntegers === "float" ? 1e16 : Infinity;
  const item = indent !== undefined || options.compact ? "," : ", ";
  const kv = options.compact && indent === undefined ? ":" : ": ";
  const open: object[] = [];

  const number = (x: number, path: string): string => {
    if (!Number.isFinite(x) && strict) {
      throw new WcpError("JSON_INVALID", path, "numbers must be finite");
    }
    if (!Number.isInteger(x) || Math.abs(x) >= floatFrom) return pyFloatRepr(x);
    return Object.is(x, -0) ? "0" : BigInt(x).toString();
  };

  const write = (v: unknown, depth: number, path: string): string => {
    if (v === null || v === undefined) return "null";
    if (v instanceof PyFloat) {
      if (strict && !Number.isFinite(v.value)) {
        throw new WcpError("JSON_INVALID", path, "numbers must be finite");
      }
      return pyFloatRepr(v.value);
    }
    switch (typeof v) {
      case "boolean":
        return v ? "true" : "false";
      case "number":
        return number(v, path);
      case "string":
        return pyString(v);
      case "object": {
        if (open.includes(v)) throw new WcpError("JSON_INVALID", path, "cyclic reference");
        open.push(v);
        const nl = indent === undefined ? "" : "\n" + " ".repeat(indent * (depth + 1));
        const end = indent === undefined ? "" : "\n" + " ".repeat(indent * depth);
        let out: string;
        if (Array.isArray(v)) {
          out = v.length === 0
            ? "[]"
            : "[" + v.map((x, i) => nl + write(x, depth + 1, `${path}[${i}]`)).join(item) + end +
              "]";
        } else {
          const obj = v as Record<string, unknown>;
          const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(
            compareCodePoints,
          );
          out = keys.length === 0 ? "{}" : "{" +
            keys.map((k) => nl + pyString(k) + kv + write(obj[k], depth + 1, `${path}.${k}`))
              .join(item) +
            end + "}";
        }
        open.pop();
        return out;
      }
      default:
        if (strict) {
          throw new WcpError("JSON_INVALID", path, `${typeof v} is not a JSON value`);
        }
        return pyString(String(v));
    }
  };
  return write(value, 0, "$");
}
