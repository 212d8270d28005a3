// Very deep (non-cyclic) values are bad input with a clear JCS_INVALID error naming the limit,
// never an engine RangeError; every caller reports them as bad input.
import assert from "node:assert/strict";
import {
  canonicalJson,
  jcsDigest,
  Registry,
  requestHash,
  routeInputHash,
  WcpError,
} from "../../mod.ts";
import { computeReceiptHash } from "../../src/receipts/mod.ts";
import { jcsOrUndefined, MAX_DEPTH } from "../../src/encoding/_jcs.ts";
import { decide, input, worker } from "./_router_helpers.ts";

function nestedArrays(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

function nestedObjects(levels: number): unknown {
  let v: unknown = "leaf";
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

function tooDeep(fn: () => unknown, code = "JCS_INVALID"): WcpError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof WcpError, `expected WcpError, got ${caught}`);
  assert.equal(caught.code, code);
  assert.match(caught.message, /nested too deep: the limit is 200 levels of arrays and objects/);
  return caught;
}

Deno.test("canonicalJson: 100,000 nested arrays or objects are JCS_INVALID, not a RangeError", () => {
  assert.equal(MAX_DEPTH, 200);
  const arrays = tooDeep(() => canonicalJson(nestedArrays(100_000)));
  // The path names where the limit was crossed: 200 levels in.
  assert.equal(arrays.path, "$" + "[0]".repeat(200));
  const objects = tooDeep(() => canonicalJson(nestedObjects(100_000)));
  assert.equal(objects.path, "$" + ".a".repeat(200));
  tooDeep(() => canonicalJson({ ok: 1, deep: nestedArrays(1_000_000) }));
  tooDeep(() => jcsDigest(nestedArrays(100_000)));
});

Deno.test("canonicalJson: the limit is 200 levels, the same as the hot-path writer's", () => {
  for (const make of [nestedArrays, nestedObjects]) {
    const ok = make(200);
    assert.equal(canonicalJson(ok), JSON.stringify(ok));
    assert.equal(jcsOrUndefined(ok), canonicalJson(ok));
    tooDeep(() => canonicalJson(make(201)));
    assert.equal(jcsOrUndefined(make(201)), undefined);
  }
  // Cycles are still reported as cycles, not as depth.
  const cyc: unknown[] = [];
  cyc.push(cyc);
  assert.throws(() => canonicalJson(cyc), /cyclic reference/);
});

Deno.test("canonicalJson callers: a too-deep value is bad input everywhere", () => {
  // Receipts: RECEIPT_INVALID naming the limit.
  const receipt = tooDeep(
    () => computeReceiptHash({ receipt_id: "r-1", extra: nestedArrays(100_000) }),
    "RECEIPT_INVALID",
  );
  assert.equal(receipt.path, "$.extra" + "[0]".repeat(199));
  // Registry records: RECORD_INVALID naming the field (not a crash while enrolling).
  assert.throws(
    () => new Registry().enroll(worker({ x_meta: nestedObjects(100_000) })),
    (e: unknown) => e instanceof WcpError && /nested too deep/.test(e.message),
  );
  // Input hashing: null, never a throw.
  assert.equal(requestHash(nestedObjects(100_000)), null);
  assert.equal(routeInputHash(input({ request: nestedObjects(100_000) })), null);
  // Decisions: DENY_INVALID_INPUT naming request and the limit.
  const d = decide(input({ request: nestedObjects(100_000) })).d;
  assert.equal(d.deny_reason_if_denied?.code, "DENY_INVALID_INPUT");
  const reason = d.deny_reason_if_denied as unknown as {
    fields: string[];
    errors: { field: string; message: string }[];
  };
  assert.deepEqual(reason.fields, ["request" + ".a".repeat(200)]);
  assert.match(reason.errors[0].message, /^request\.a\.a.* must be plain JSON.* nested too deep/);
  assert.match(reason.errors[0].message, /the limit is 200 levels/);
});

Deno.test("canonicalJson: lone surrogates are refused; noncharacters are kept (RFC 7493 SHOULD NOT)", () => {
  assert.throws(() => canonicalJson("\ud800"), /lone surrogate/);
  assert.throws(() => canonicalJson({ ["\udfff"]: 1 }), /member name must be well-formed/);
  for (const s of ["\ufdd0", "\ufdef", "\ufffe", "\uffff", "\u{1fffe}", "\u{10ffff}"]) {
    assert.equal(canonicalJson(s), `"${s}"`);
    assert.equal(canonicalJson({ [s]: s }), `{"${s}":"${s}"}`);
  }
});
