/**
 * Byte-exact emulation of Python's `json.dumps(value, sort_keys=True, ensure_ascii=True)`, the
 * serialisation PyHall signs (compact) and writes (`indent=2`). Private: used for compatibility
 * only; everything new is RFC 8785 (JCS).
 *
 * @module
 */

import { WcpError } from "../errors.ts";

/** Compare two strings by Unicode code point (Python `str` order), not by UTF-16 unit. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort above every BMP unit in code-point order.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
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
    else out += "\\u" + c.toString(16).padStart(4, "0");
  }
  return out + '"';
}

/** Python `repr(float)` for a finite number that Python would hold as a float. */
function pyFloat(x: number): string {
  if (Object.is(x, -0)) return "-0.0";
  const [mant, expText] = x.toExponential().split("e");
  const exp = Number(expText);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let body: string;
  if (exp < -4 || exp >= 16) {
    // Python's repr switches to exponent notation below 1e-4 and from 1e16.
    body = sci(digits, exp);
  } else if (exp < 0) {
    body = "0." + "0".repeat(-exp - 1) + digits;
  } else if (digits.length > exp + 1) {
    body = digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
  } else {
    body = digits + "0".repeat(exp + 1 - digits.length) + ".0";
  }
  return (neg ? "-" : "") + body;
}

function sci(digits: string, exp: number): string {
  const m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
  const e = Math.abs(exp).toString().padStart(2, "0");
  return `${m}e${exp < 0 ? "-" : "+"}${e}`;
}

function pyNumber(x: number, path: string): string {
  if (!Number.isFinite(x)) {
    throw new WcpError("JSON_INVALID", path, "numbers must be finite");
  }
  // JSON.parse cannot tell 1 from 1.0; integral values are written as Python ints.
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? String(x) : pyFloat(x);
}

/**
 * Serialise like `json.dumps(value, sort_keys=True, separators=(",", ":"))` when `indent` is
 * undefined, or like `json.dumps(value, indent=indent, sort_keys=True)` otherwise.
 */
export function pyJsonDumps(value: unknown, indent?: number): string {
  return dump(value, indent, 0, "$");
}

function dump(v: unknown, indent: number | undefined, depth: number, path: string): string {
  if (v === null) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "number") return pyNumber(v, path);
  if (typeof v === "string") return pyString(v);
  if (typeof v !== "object") {
    throw new WcpError("JSON_INVALID", path, `${typeof v} is not a JSON value`);
  }
  const nl = indent === undefined ? "" : "\n" + " ".repeat(indent * (depth + 1));
  const end = indent === undefined ? "" : "\n" + " ".repeat(indent * depth);
  const colon = indent === undefined ? ":" : ": ";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const items = v.map((x, i) => nl + dump(x ?? null, indent, depth + 1, `${path}[${i}]`));
    return "[" + items.join(",") + end + "]";
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(compareCodePoints);
  if (keys.length === 0) return "{}";
  const items = keys.map((k) =>
    nl + pyString(k) + colon + dump(obj[k], indent, depth + 1, `${path}.${k}`)
  );
  return "{" + items.join(",") + end + "}";
}
