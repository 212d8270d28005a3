import assert from "node:assert/strict";
import { canonicalJson, jcsDigest, normalizeDigest, sha256Hex, WcpError } from "../../mod.ts";

// Known answers from RFC 8785 section 3.2.2 (number and string serialisation).
Deno.test("canonicalJson: RFC 8785 example object", () => {
  const input = {
    numbers: [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    string: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    literals: [null, true, false],
  };
  assert.deepEqual(
    canonicalJson(input),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  );
});

Deno.test("canonicalJson: keys sort by UTF-16 code units, nested", () => {
  // RFC 8785 section 3.2.3 ordering example keys.
  const obj = {
    "\u20ac": 1,
    "\r": 2,
    "\ufb33": 3,
    "1": 4,
    "\u{1f600}": 5,
    "\u0080": 6,
    "\u00f6": 7,
  };
  assert.deepEqual(
    Object.keys(JSON.parse(canonicalJson(obj))),
    ["1", "\r", "\u0080", "\u00f6", "\u20ac", "\u{1f600}", "\ufb33"],
  );
  assert.deepEqual(
    canonicalJson({ b: { d: 1, c: [2, { f: 1, e: 0 }] }, a: -0 }),
    '{"a":0,"b":{"c":[2,{"e":0,"f":1}],"d":1}}',
  );
});

Deno.test("canonicalJson: non-JSON values are rejected with a path", () => {
  assert.throws(
    () => canonicalJson({ a: [1, NaN] }),
    (e) => e instanceof WcpError && e.path === "$.a[1]",
  );
  assert.throws(() => canonicalJson(10n), WcpError);
});

Deno.test("canonicalJson: lone surrogates are rejected with the path (I-JSON, RFC 7493 2.1)", () => {
  for (
    const [value, path] of [
      [{ a: ["ok", "x\ud800"] }, "$.a[1]"],
      ["\udc00", "$"],
      [{ n: { ["k\udbff"]: 1 } }, "$.n.k\udbff"],
      [{ t: "\udc00\ud800" }, "$.t"], // reversed pair: two lone halves
    ] as const
  ) {
    assert.throws(
      () => canonicalJson(value),
      (e) => e instanceof WcpError && e.code === "JCS_INVALID" && e.path === path,
      path,
    );
  }
  // A proper pair is fine and written raw (UTF-8), not escaped.
  assert.equal(canonicalJson({ e: "\ud83d\ude00" }), '{"e":"\u{1F600}"}');
});

Deno.test("sha256Hex and digests", () => {
  assert.deepEqual(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.deepEqual(jcsDigest({ b: 1, a: 2 }), jcsDigest({ a: 2, b: 1 }));
  assert.deepEqual(normalizeDigest("AB".repeat(32)), "sha256:" + "ab".repeat(32));
  assert.deepEqual(normalizeDigest("sha256:xyz"), null);
});
