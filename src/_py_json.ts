/**
 * A Python `json.dumps(value, sort_keys=True, ensure_ascii=True)` emulator, for the reference's
 * hash recipes only (behaviour.md sections 9.1 and 9.2). Everything we produce ourselves is JCS.
 *
 * @module
 */

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

function pyString(s: string): string {
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

// Python sorts str keys by code point; JS sorts by UTF-16 unit. They differ only around surrogates.
function byCodePoint(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** Separators: Python's defaults (`", "`, `": "`) or compact (`","`, `":"`). */
export interface PyJsonOptions {
  /** Use `(",", ":")` instead of Python's default `(", ", ": ")`. */
  compact?: boolean;
}

/**
 * Serialise like Python `json.dumps(value, sort_keys=True, default=str)` (ensure_ascii on).
 * Non-JSON values (functions, bigints, symbols, undefined in arrays) become their `String()` form.
 */
export function pyJsonDumps(value: unknown, options: PyJsonOptions = {}): string {
  const item = options.compact ? "," : ", ";
  const kv = options.compact ? ":" : ": ";
  const seen = new Set<object>();
  const write = (v: unknown): string => {
    if (v === null || v === undefined) return "null";
    if (v instanceof PyFloat) return pyFloatRepr(v.value);
    switch (typeof v) {
      case "boolean":
        return v ? "true" : "false";
      case "number":
        return Number.isInteger(v)
          ? (Object.is(v, -0) ? "0" : BigInt(v).toString())
          : pyFloatRepr(v);
      case "string":
        return pyString(v);
      case "object": {
        if (seen.has(v)) throw new TypeError("Circular reference detected");
        seen.add(v);
        let out: string;
        if (Array.isArray(v)) {
          out = "[" + v.map(write).join(item) + "]";
        } else {
          const obj = v as Record<string, unknown>;
          const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(byCodePoint);
          out = "{" + keys.map((k) => pyString(k) + kv + write(obj[k])).join(item) + "}";
        }
        seen.delete(v);
        return out;
      }
      default:
        return pyString(String(v));
    }
  };
  return write(value);
}
