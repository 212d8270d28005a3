/**
 * Plain JSON (docs/protocol/hashes.md#plain-json): the JCS text of a value that JSON itself could
 * have produced, or `undefined`. Stricter than `jcsOrUndefined` (which, like `canonicalJson`, reads
 * any object through `Object.keys`, so a Date or a Map hashes as `{}`):
 *
 * - objects must have `Object.prototype` or `null` as prototype, arrays `Array.prototype` (no Date,
 *   Map, Set, RegExp, typed array, boxed primitive, class instance or array subclass), and a
 *   Boolean, Number, String, Date, RegExp or Error given Object's prototype (or null) is still
 *   refused (`Object.prototype.toString` tells it; `JSON.stringify` would send a Boolean's
 *   hidden value). One wrapper cannot be told from a plain object cheaply: a BigInt object given
 *   another prototype reads as `{}` (`JSON.stringify` throws on it, so nothing else is sent);
 * - every own property must be an enumerable data property with a string key: no getters or
 *   setters (whose value could differ between the hash and a later read), no non-enumerable or
 *   symbol-keyed properties (invisible to the hash, visible to an in-process worker);
 * - arrays are dense, with no properties besides their indices;
 * - values are strings (well-formed Unicode), finite numbers, booleans, null, or such objects and
 *   arrays, nested at most `MAX_DEPTH` levels (which also stops cycles); functions, symbols,
 *   bigints and `undefined` array elements are refused. An object member whose value is
 *   `undefined` is left out, as `JSON.stringify` does.
 *
 * Values are read from property descriptors, never through getters, so what is hashed is what a
 * later read returns. A Proxy cannot be told apart from its target in plain JavaScript: one that
 * answers its traps inconsistently can still differ from what was hashed (the hall never sees one:
 * its requests come from `JSON.parse`). A throwing Proxy trap makes the value "not plain JSON".
 *
 * @module
 */

import { MAX_DEPTH } from "./_jcs.ts";

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const getProto = Object.getPrototypeOf;
const ownKeys = Reflect.ownKeys;
const getDesc = Object.getOwnPropertyDescriptor;
const ownNames = Object.getOwnPropertyNames;
const ownSymbols = Object.getOwnPropertySymbols;
const toStr = Object.prototype.toString;
// What `Object.prototype.toString` says of an object with no internal state: a Boolean, Number,
// String, Date, RegExp or Error whose prototype was replaced by Object's (or null) says otherwise,
// and `JSON.stringify` reads a Boolean's, Number's or String's hidden value (it would send
// `false` where the hash covered `{}`).
const PLAIN_TAG = "[object Object]";

// No quote, backslash, control character or surrogate (paired or not): such a string is its own
// JSON text between quotes, and well-formed. One regular-expression test is about half the cost
// of `isWellFormed` plus `JSON.stringify` on a short string.
// deno-lint-ignore no-control-regex
const VERBATIM = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

// JCS text of a string (RFC 8785 escapes as `JSON.stringify` does), or `undefined` when it holds
// a lone surrogate.
function str(v: string): string | undefined {
  if (VERBATIM.test(v)) return '"' + v + '"';
  return v.isWellFormed() ? JSON.stringify(v) : undefined;
}

function w(v: unknown, depth: number): string | undefined {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return str(v);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      return Number.isFinite(v) ? JSON.stringify(v) : undefined;
    case "object": {
      if (depth >= MAX_DEPTH) return undefined;
      if (Array.isArray(v)) {
        if (getProto(v) !== ARRAY_PROTO) return undefined;
        const n = v.length;
        // The indices and "length": anything else is a hole or an extra property.
        if (ownKeys(v).length !== n + 1) return undefined;
        let out = "[";
        for (let i = 0; i < n; i++) {
          const d = getDesc(v, i);
          // A data descriptor has `writable`; an accessor has `get`/`set` instead.
          if (d === undefined || d.writable === undefined || !d.enumerable) return undefined;
          const x = d.value;
          if (x === undefined) return undefined;
          const s = w(x, depth + 1);
          if (s === undefined) return undefined;
          out += i === 0 ? s : "," + s;
        }
        return out + "]";
      }
      const p = getProto(v);
      if (p !== OBJECT_PROTO && p !== null) return undefined;
      if (toStr.call(v) !== PLAIN_TAG) return undefined;
      // The string keys (enumerable or not) and, separately, whether there is any symbol key:
      // together what `Reflect.ownKeys` lists, at a fraction of its cost on an ordinary object
      // (V8 answers both from the object's cached key list). A Proxy answers its `ownKeys` trap
      // twice here: see the module documentation about inconsistent Proxies.
      if (ownSymbols(v).length !== 0) return undefined;
      const names = ownNames(v);
      if (names.length > 1) names.sort();
      let out = "{";
      let first = true;
      for (let i = 0; i < names.length; i++) {
        const k = names[i];
        const d = getDesc(v, k);
        if (d === undefined || d.writable === undefined || !d.enumerable) return undefined;
        const x = d.value;
        if (x === undefined) continue;
        const s = typeof x === "string" ? str(x) : w(x, depth + 1);
        if (s === undefined) return undefined;
        const q = str(k);
        if (q === undefined) return undefined;
        out += first ? q + ":" + s : "," + q + ":" + s;
        first = false;
      }
      return out + "}";
    }
    default:
      return undefined;
  }
}

/**
 * JCS text of a plain JSON value, or `undefined` when it is not one (see the module
 * documentation). Never throws.
 */
export function plainJsonJcs(value: unknown): string | undefined {
  try {
    return w(value, 0);
  } catch {
    return undefined; // a Proxy trap that throws, or a revoked Proxy
  }
}

/** Where a value stops being plain JSON, and why. */
export interface PlainJsonProblem {
  /** JavaScript-style path from `root`, e.g. `request.items[2].when`. */
  path: string;
  /** What is there, e.g. `it is a Date`. */
  reason: string;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function member(path: string, k: string): string {
  return IDENT.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
}

function kindOf(v: object): string {
  try {
    const p = getProto(v);
    const c = p === null ? undefined : getDesc(p, "constructor")?.value;
    const name = typeof c === "function" && typeof c.name === "string" ? c.name : "";
    if (name !== "") return `${/^[AEIO]/.test(name) ? "an" : "a"} ${name}`;
  } catch { /* fall through */ }
  return "an object with a prototype other than Object's";
}

const DEEP = `nested too deep: the limit is ${MAX_DEPTH} levels of arrays and objects`;

function find(v: unknown, path: string, open: object[], depth: number): PlainJsonProblem | null {
  if (v === null) return null;
  switch (typeof v) {
    case "string":
      return v.isWellFormed()
        ? null
        : { path, reason: "it holds a lone surrogate (not well-formed Unicode)" };
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(v) ? null : { path, reason: `it is ${v} (not a finite number)` };
    case "bigint":
      return { path, reason: "it is a bigint (JSON numbers only; send a number or a string)" };
    case "undefined":
      return { path, reason: "it is undefined (not a JSON value)" };
    case "function":
      return { path, reason: "it is a function (not a JSON value)" };
    case "symbol":
      return { path, reason: "it is a symbol (not a JSON value)" };
    case "object": {
      if (open.includes(v)) return { path, reason: "it is a cycle (JSON has no cycles)" };
      if (depth >= MAX_DEPTH) return { path, reason: DEEP };
      open.push(v);
      const r = Array.isArray(v)
        ? findInArray(v, path, open, depth)
        : findInObject(v, path, open, depth);
      open.pop();
      return r;
    }
    default:
      return { path, reason: `it is a ${typeof v} (not a JSON value)` };
  }
}

function findInArray(
  v: unknown[],
  path: string,
  open: object[],
  depth: number,
): PlainJsonProblem | null {
  if (getProto(v) !== ARRAY_PROTO) {
    return { path, reason: `it is ${kindOf(v)} (an array subclass, not a plain array)` };
  }
  const n = v.length;
  for (const k of ownKeys(v)) {
    if (typeof k === "symbol") return { path, reason: "it has a symbol-keyed property" };
    if (k === "length") continue;
    const i = Number(k);
    if (!(Number.isInteger(i) && i >= 0 && i < n && String(i) === k)) {
      return { path: member(path, k), reason: "it is a property of an array other than an index" };
    }
  }
  for (let i = 0; i < n; i++) {
    const at = `${path}[${i}]`;
    const d = getDesc(v, i);
    if (d === undefined) return { path: at, reason: "it is a hole in a sparse array" };
    const bad = descriptorProblem(d, at);
    if (bad !== null) return bad;
    const r = find(d.value, at, open, depth + 1);
    if (r !== null) return r;
  }
  return null;
}

function findInObject(
  v: object,
  path: string,
  open: object[],
  depth: number,
): PlainJsonProblem | null {
  const p = getProto(v);
  if (p !== OBJECT_PROTO && p !== null) {
    return { path, reason: `it is ${kindOf(v)}, not a plain object` };
  }
  const tag = toStr.call(v);
  if (tag !== PLAIN_TAG) {
    return {
      path,
      reason: `it is a ${tag.slice(8, -1)} object whose prototype was replaced, not a plain object`,
    };
  }
  const keys = ownKeys(v);
  for (const k of keys) {
    if (typeof k === "symbol") {
      return { path, reason: `it has a symbol-keyed property (${String(k)})` };
    }
  }
  for (const k of (keys as string[]).sort()) {
    const at = member(path, k);
    const d = getDesc(v, k)!;
    const bad = descriptorProblem(d, at);
    if (bad !== null) return bad;
    // Left out like JSON.stringify leaves it out, name and all (as the fast path does).
    if (d.value === undefined) continue;
    if (!k.isWellFormed()) {
      return {
        path: at,
        reason: "its member name holds a lone surrogate (not well-formed Unicode)",
      };
    }
    const r = find(d.value, at, open, depth + 1);
    if (r !== null) return r;
  }
  return null;
}

function descriptorProblem(d: PropertyDescriptor, at: string): PlainJsonProblem | null {
  if (!("value" in d)) {
    return { path: at, reason: "it is a getter or setter (plain JSON has data properties only)" };
  }
  if (!d.enumerable) return { path: at, reason: "it is a non-enumerable property" };
  return null;
}

/**
 * Where and why `value` is not plain JSON, or `null` when it is: the slow, explaining walk (cycle
 * detection, every property's descriptor), the reference `plainJsonJcs` is tested against.
 * `root` names the value, e.g. `request`. A problem at `root` when the value cannot be read.
 */
export function findPlainJsonProblem(value: unknown, root: string): PlainJsonProblem | null {
  try {
    return find(value, root, [], 0);
  } catch {
    return { path: root, reason: "it cannot be read (a Proxy trap threw, or it was revoked)" };
  }
}

/**
 * Where and why `value` is not plain JSON (slow path, for the message of a denial, after
 * `plainJsonJcs` refused it). `root` names the value, e.g. `request`. Returns a problem at `root`
 * when the value cannot be read at all, or when this walk finds nothing wrong (a Proxy that
 * answered the two walks differently).
 */
export function plainJsonProblem(value: unknown, root: string): PlainJsonProblem {
  return findPlainJsonProblem(value, root) ??
    { path: root, reason: "it changed while it was being read" };
}
