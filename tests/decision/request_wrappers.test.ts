// A Boolean, Number or String object given Object's prototype (or none) looks like `{}` to a
// walk of its properties, but `JSON.stringify` sends its hidden value: the request a worker
// receives would not be the one hashed. The decision refuses it like any other non-plain value,
// naming the path (spec README decision 21).
import assert from "node:assert/strict";
import { requestHash } from "../../mod.ts";
import { decide, input } from "../core/_router_helpers.ts";

Deno.test("request: a wrapper object with a replaced prototype is DENY_INVALID_INPUT at its path", () => {
  const cases: [unknown, string][] = [
    [Object.setPrototypeOf(new Boolean(false), Object.prototype), "Boolean"],
    [Object.setPrototypeOf(new Number(5), null), "Number"],
    [Object.setPrototypeOf(new String("s"), Object.prototype), "String"],
    [Object.setPrototypeOf(new Date(0), null), "Date"],
  ];
  for (const [w, kind] of cases) {
    const { d } = decide(input({ request: { items: [{ w }] } }));
    assert.equal(d.outcome, "DENY", kind);
    assert.equal(d.deny_reason_if_denied?.code, "DENY_INVALID_INPUT", kind);
    assert.deepEqual(d.deny_reason_if_denied?.fields, ["request.items[0].w"], kind);
    assert.match(
      d.deny_reason_if_denied!.message,
      new RegExp(
        `^request\\.items\\[0\\]\\.w must be plain JSON .*it is a ${kind} object whose ` +
          "prototype was replaced",
      ),
    );
    assert.equal(d.request_hash, null, kind);
    assert.equal(requestHash({ w }), null, kind);
  }
  // What it would have been sent as: not the `{}` a property walk sees.
  const b = Object.setPrototypeOf(new Boolean(false), Object.prototype);
  assert.equal(JSON.stringify({ b }), '{"b":false}');
  // A plain object with a null prototype is still plain JSON.
  const plain = decide(input({ request: { o: Object.assign(Object.create(null), { a: 1 }) } })).d;
  assert.equal(plain.outcome, "DISPATCH", JSON.stringify(plain.deny_reason_if_denied));
});
