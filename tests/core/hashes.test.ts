// Decision hashes (README 14) and the reference's recipe (behaviour.md 9.1), plus differential
// tests of the hot-path SHA-256 and JCS writers against @noble/hashes and canonicalJson.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  artifactHashPyCompat,
  canonicalJson,
  jcsDigest,
  PyFloat,
  requestHash,
  routeInputHash,
  sha256Hex,
  WcpError,
} from "../../mod.ts";
import { sha256HexOfString } from "../../src/encoding/sha256.ts";
import { jcsOrUndefined } from "../../src/encoding/_jcs.ts";
import { pyJsonDumps } from "../../src/encoding/py_json.ts";
import { pyJsonDumps as attestationDumps } from "../../src/attestation/_py_json.ts";
import { decide, input } from "./_router_helpers.ts";

const VECTOR_A = {
  capability_id: "cap.hello.greet",
  env: "dev",
  data_label: "PUBLIC",
  tenant_risk: "low",
  qos_class: "P2",
  tenant_id: "test-tenant",
  correlation_id: "00000000-0000-4000-8000-000000000000",
};

Deno.test("hashes: artifactHashPyCompat matches the reference's vectors A and B", () => {
  assert.equal(
    artifactHashPyCompat(VECTOR_A),
    "b91bee2913d0d05c1d638024e723075f52b88476f7471fd73b867686ca527988",
  );
  const b = { ...VECTOR_A, request: { text: "héllo", n: new PyFloat(1), meta: { b: 2, a: 1 } } };
  assert.equal(
    artifactHashPyCompat(b),
    "f66516ff5b6fb794cf85fc3d449d08e9c6e319ac18c13820694d3d39be0c18e0",
  );
  // Fields the reference does not model are ignored, as pydantic's extra="ignore" does.
  assert.equal(
    artifactHashPyCompat({ ...VECTOR_A, policy_version: "x", task_id: "t" }),
    artifactHashPyCompat(VECTOR_A),
  );
});

Deno.test("hashes: Python float repr and escaping in the compat serialiser", () => {
  const cases: [number, string][] = [
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [123456789012345678, "1.2345678901234568e+17"],
    [-2.5e-7, "-2.5e-07"],
    [0.1, "0.1"],
    [-0, "-0.0"],
  ];
  for (const [x, py] of cases) assert.equal(pyJsonDumps(new PyFloat(x)), py, String(x));
  assert.equal(pyJsonDumps(2.5), "2.5");
  assert.equal(pyJsonDumps(3), "3");
  assert.equal(
    pyJsonDumps({ b: [1, "é\u{1F600}\n\u007f"], a: null }),
    '{"a": null, "b": [1, "\\u00e9\\ud83d\\ude00\\n\\u007f"]}',
  );
  assert.equal(pyJsonDumps({ b: 1, a: 2 }, { compact: true }), '{"a":2,"b":1}');
});

Deno.test("hashes: one Python json.dumps emulator serves the router and attestation recipes", () => {
  // json.dumps({"b": [1, {}], "a": []}, indent=2, sort_keys=True)
  const indented = '{\n  "a": [],\n  "b": [\n    1,\n    {}\n  ]\n}';
  assert.equal(pyJsonDumps({ b: [1, {}], a: [] }, { indent: 2 }), indented);
  assert.equal(attestationDumps({ b: [1, {}], a: [] }, 2), indented);
  assert.equal(attestationDumps({ b: "\u03b2", a: [1, null] }), '{"a":[1,null],"b":"\\u03b2"}');
  // Non-finite numbers: Python literals for the router recipe, an error naming the path for files.
  assert.equal(pyJsonDumps({ x: [NaN, -Infinity] }), '{"x": [NaN, -Infinity]}');
  assert.throws(
    () => attestationDumps({ x: [1, Infinity] }),
    (e) => e instanceof WcpError && e.code === "JSON_INVALID" && e.path === "$.x[1]",
  );
  assert.throws(() => attestationDumps({ f: () => 1 }), (e) => (e as WcpError).path === "$.f");
  assert.equal(pyJsonDumps({ f: 10n }), '{"f": "10"}'); // default=str
  // Large integral numbers: ints for the router, floats where attestation reads Python files.
  assert.equal(pyJsonDumps(1e16), "10000000000000000");
  assert.equal(attestationDumps(1e16), "1e+16");
  assert.equal(attestationDumps(123), "123");
  // Python str order is by code point: sorted(["\ue000", "\ud800", "\U00010000", "\uffff"]).
  assert.equal(
    pyJsonDumps({ "\ue000": 1, "\u{10000}": 2, "\uffff": 3, "\ud800": 4 }, { compact: true }),
    '{"\\ud800":4,"\\ue000":1,"\\uffff":3,"\\ud800\\udc00":2}',
  );
  const cyclic: unknown[] = [];
  cyclic.push({ c: cyclic });
  for (const dump of [() => pyJsonDumps(cyclic), () => attestationDumps(cyclic)]) {
    assert.throws(dump, (e) => e instanceof WcpError && e.path === "$[0].c");
  }
});

Deno.test("hashes: artifact_hash is the JCS digest of the normalised input; request_hash of request", () => {
  const { d } = decide(input());
  const normalised = { ...input(), policy_version: "policy.v0", dry_run: false };
  assert.equal(d.artifact_hash, jcsDigest(normalised));
  assert.equal(d.artifact_hash, routeInputHash(input()));
  assert.equal(d.request_hash, jcsDigest({ text: "hello" }));
  assert.equal(d.request_hash, requestHash({ text: "hello" }));
  // Defaults, unknown keys and the credential do not change it; real fields do.
  assert.equal(
    routeInputHash({ ...input(), dry_run: false, policy_version: "policy.v0", blast_score: null }),
    d.artifact_hash,
  );
  assert.equal(
    routeInputHash({ ...input(), x_unknown: 1, tenant_credential: "s3cret" }),
    d.artifact_hash,
  );
  assert.notEqual(routeInputHash(input({ dry_run: true })), d.artifact_hash);
  assert.notEqual(routeInputHash(input({ request: { text: "hellp" } })), d.artifact_hash);
  assert.equal(requestHash(undefined), jcsDigest({}));
  assert.equal(requestHash([1]), null);
  assert.equal(routeInputHash({ env: "prod" }), null);
});

Deno.test("hashes: denied decisions carry the hashes too (README 14)", () => {
  const { d } = decide(input({ capability_id: "cap.none.here" }));
  assert.equal(d.denied, true);
  assert.equal(d.artifact_hash, routeInputHash(input({ capability_id: "cap.none.here" })));
  assert.match(d.request_hash!, /^sha256:[0-9a-f]{64}$/);
});

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const routeInputs = fc.record({
  correlation_id: fc.string(),
  tenant_id: fc.string({ minLength: 1 }),
  env: fc.constantFrom("dev", "stage", "prod", "edge"),
  data_label: fc.constantFrom("PUBLIC", "INTERNAL", "RESTRICTED"),
  tenant_risk: fc.constantFrom("low", "medium", "high"),
  qos_class: fc.constantFrom("P0", "P1", "P2", "P3"),
  capability_id: fc.string({ minLength: 1, unit: "binary" }),
  request: optional(fc.dictionary(fc.string({ unit: "binary" }), fc.jsonValue())),
  blast_score: optional(fc.integer({ min: 0, max: 100 })),
  dry_run: optional(fc.boolean()),
  policy_version: optional(fc.string({ minLength: 1 })),
  parent_decision_id: optional(fc.string({ minLength: 1 })),
  task_id: optional(fc.string()),
  blast_radius: optional(fc.dictionary(fc.string(), fc.jsonValue())),
});

Deno.test("hashes: the fast canonical input equals canonicalJson of the normalised object", () => {
  fc.assert(
    fc.property(routeInputs, (i) => {
      const n: Record<string, unknown> = { ...i };
      n.request ??= {};
      n.dry_run ??= false;
      n.policy_version ??= "policy.v0";
      for (const k of Object.keys(n)) if (n[k] === undefined) delete n[k];
      assert.equal(routeInputHash(i), jcsDigest(n));
    }),
    { numRuns: 300 },
  );
});

Deno.test("hashes: hot-path SHA-256 equals @noble/hashes on arbitrary UTF-16 strings", () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 10_000]) {
    const s = "é".repeat(n >> 1) + "x".repeat(n - (n >> 1));
    assert.equal(sha256HexOfString(s), sha256Hex(s), `length ${n}`);
  }
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
      assert.equal(sha256HexOfString(s), sha256Hex(s));
    }),
    { numRuns: 500 },
  );
  assert.equal(
    sha256HexOfString("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("hashes: hot-path JCS equals canonicalJson, and refuses exactly what it refuses", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => assert.equal(jcsOrUndefined(v), canonicalJson(v))),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.anything(), (v) => {
      let expected: string | undefined;
      try {
        expected = canonicalJson(v);
      } catch {
        expected = undefined;
      }
      assert.equal(jcsOrUndefined(v), expected);
    }),
    { numRuns: 500 },
  );
  // Strings of code units around the surrogate range: proper pairs and lone halves (I-JSON
  // forbids the latter in both writers).
  const nearSurrogates = fc.integer({ min: 0xd7fe, max: 0xe001 }).map((c) =>
    String.fromCharCode(c)
  );
  let refused = 0;
  fc.assert(
    fc.property(fc.jsonValue(), fc.string({ unit: nearSurrogates }), (j, str) => {
      const v = { j, str, [str]: [j, str] };
      let expected: string | undefined;
      try {
        expected = canonicalJson(v);
      } catch (e) {
        assert.ok(e instanceof WcpError && e.code === "JCS_INVALID");
        refused++;
      }
      assert.equal(jcsOrUndefined(v), expected);
    }),
    { numRuns: 500, seed: 20261201 },
  );
  assert.ok(refused > 0, "the generator produced lone surrogates");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(jcsOrUndefined(cyclic), undefined);
  assert.throws(
    () => canonicalJson({ a: [cyclic] }),
    (e) => e instanceof WcpError && e.code === "JCS_INVALID" && e.path === "$.a[0].self",
  );
  // One object referenced twice is not a cycle.
  const shared = { x: 1 };
  assert.equal(canonicalJson([shared, shared]), '[{"x":1},{"x":1}]');
});
