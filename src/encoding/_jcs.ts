/**
 * The RFC 8785 serialiser of `canonical_json.ts`, as a non-throwing hot-path variant: it returns
 * `undefined` for anything that is not a JSON value (including cycles and nesting deeper than
 * `MAX_DEPTH`) instead of throwing. Differentially tested against `canonicalJson`.
 *
 * @module
 */

/** Deepest nesting accepted in a request payload and by `canonicalJson` (also stops cycles). */
export const MAX_DEPTH = 200;

function w(v: unknown, depth: number): string | undefined {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      // RFC 8785 input is I-JSON: no lone surrogates (canonicalJson says where).
      return v.isWellFormed() ? JSON.stringify(v) : undefined;
    case "boolean":
      return v ? "true" : "false";
    case "number":
      return Number.isFinite(v) ? JSON.stringify(v) : undefined;
    case "object": {
      if (depth >= MAX_DEPTH) return undefined;
      if (Array.isArray(v)) {
        let out = "[";
        for (let i = 0; i < v.length; i++) {
          const x = v[i];
          if (x === undefined) return undefined;
          const s = w(x, depth + 1);
          if (s === undefined) return undefined;
          out += i === 0 ? s : "," + s;
        }
        return out + "]";
      }
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length > 1) keys.sort();
      let out = "{";
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const x = o[keys[i]];
        if (x === undefined) continue;
        const s = w(x, depth + 1);
        if (s === undefined || !keys[i].isWellFormed()) return undefined;
        out += (first ? "" : ",") + JSON.stringify(keys[i]) + ":" + s;
        first = false;
      }
      return out + "}";
    }
    default:
      return undefined;
  }
}

/** JCS text of a JSON value, or `undefined` when it is not one. Never throws on plain data. */
export function jcsOrUndefined(value: unknown): string | undefined {
  return w(value, 0);
}
