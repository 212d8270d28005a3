// A small JSON Schema (2020-12 subset) checker for the catalog schema: type, const, enum,
// pattern, min/maxLength, required, properties, additionalProperties: false, items, minItems,
// uniqueItems and local $ref. Enough to hold the data files to catalog.schema.json in tests.

type Schema = Record<string, unknown>;

export function validateJsonSchema(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (s: Schema): Schema => {
    if (typeof s.$ref !== "string") return s;
    const parts = s.$ref.replace(/^#\//, "").split("/");
    let node: unknown = root;
    for (const p of parts) node = (node as Schema)[p];
    if (!node) throw new Error(`unresolved $ref ${s.$ref}`);
    return resolve(node as Schema);
  };
  const typeOf = (v: unknown) =>
    v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;
  const walk = (schema0: Schema, v: unknown, path: string) => {
    const s = resolve(schema0);
    if (s.type !== undefined) {
      const t = typeOf(v);
      const ok = s.type === t || (s.type === "number" && t === "integer");
      if (!ok) return errors.push(`${path}: expected ${s.type}, got ${t}`);
    }
    if ("const" in s && v !== s.const) errors.push(`${path}: expected ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.includes(v)) errors.push(`${path}: not one of ${s.enum}`);
    if (typeof v === "string") {
      if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(v)) {
        errors.push(`${path}: ${JSON.stringify(v)} does not match ${s.pattern}`);
      }
      if (typeof s.minLength === "number" && v.length < s.minLength) {
        errors.push(`${path}: too short`);
      }
      if (typeof s.maxLength === "number" && v.length > s.maxLength) {
        errors.push(`${path}: too long`);
      }
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === "number" && v.length < s.minItems) {
        errors.push(`${path}: too few items`);
      }
      if (s.uniqueItems === true && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) {
        errors.push(`${path}: items not unique`);
      }
      if (s.items) v.forEach((x, i) => walk(s.items as Schema, x, `${path}[${i}]`));
    }
    if (typeOf(v) === "object") {
      const o = v as Record<string, unknown>;
      for (const r of (s.required as string[] | undefined) ?? []) {
        if (!(r in o)) errors.push(`${path}: missing ${r}`);
      }
      const props = (s.properties as Record<string, Schema> | undefined) ?? {};
      for (const [k, x] of Object.entries(o)) {
        if (props[k]) walk(props[k], x, `${path}.${k}`);
        else if (s.additionalProperties === false) errors.push(`${path}: unexpected field ${k}`);
      }
    }
  };
  walk(root, value, "$");
  return errors;
}
