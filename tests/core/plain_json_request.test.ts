// The request is plain JSON (spec README decision 21): anything JSON could not have produced is
// DENY_INVALID_INPUT naming the offending value's path, so the hashed request is exactly what a
// worker receives.
import assert from "node:assert/strict";
import { requestHash, routeInputHash } from "../../mod.ts";
import { decide, input } from "./_router_helpers.ts";

function denied(request: unknown, path: string, reason: RegExp): void {
  const { d } = decide(input({ request }));
  assert.equal(d.outcome, "DENY", path);
  assert.equal(d.deny_reason_if_denied?.code, "DENY_INVALID_INPUT", path);
  assert.deepEqual(d.deny_reason_if_denied?.fields, [path]);
  const msg = d.deny_reason_if_denied!.message;
  assert.ok(msg.startsWith(`${path} must be plain JSON`), msg);
  assert.match(msg, reason);
  assert.equal(d.request_hash, null, "no hash of a request that is not what was sent");
}

class Order {
  id = 1;
}

Deno.test("plain JSON: a Date request is refused (it used to dispatch with the hash of {})", () => {
  denied(new Date(0), "request", /it is a Date/);
  denied({ when: new Date(0) }, "request.when", /it is a Date/);
  denied(
    { items: [{}, {}, { when: new Date(0) }] },
    "request.items[2].when",
    /it is a Date, not a plain object/,
  );
  assert.equal(requestHash(new Date(0)), null);
  assert.equal(requestHash({ when: new Date(0) }), null);
  assert.equal(routeInputHash(input({ request: { when: new Date(0) } })), null);
});

Deno.test("plain JSON: built-in and class instances, functions, symbols, bigints are refused", () => {
  denied({ m: new Map([["a", 1]]) }, "request.m", /it is a Map/);
  denied({ s: new Set([1]) }, "request.s", /it is a Set/);
  denied({ o: new Order() }, "request.o", /it is an Order/);
  denied({ b: new Uint8Array([1, 2]) }, "request.b", /it is a Uint8Array/);
  denied({ r: /x/ }, "request.r", /it is a RegExp/);
  denied({ n: new Number(1) }, "request.n", /it is a Number/);
  denied({ f: () => 1 }, "request.f", /function/);
  denied({ y: Symbol("y") }, "request.y", /symbol/);
  denied({ big: 10n }, "request.big", /bigint/);
  denied({ x: NaN }, "request.x", /NaN \(not a finite number\)/);
  denied({ x: [1, Infinity] }, "request.x[1]", /Infinity/);
  denied({ x: [1, undefined] }, "request.x[1]", /undefined/);
  class MyList extends Array {}
  denied({ l: MyList.from([1]) }, "request.l", /array subclass/);
  denied({ "a b": { c: new Date(0) } }, 'request["a b"].c', /Date/);
  denied({ s: "\ud800" }, "request.s", /lone surrogate/);
});

Deno.test("plain JSON: getters, non-enumerable and symbol-keyed properties are refused", () => {
  // A getter that answers differently on each read: the hash would not be what is passed on.
  let reads = 0;
  const counter = {
    get amount() {
      return ++reads;
    },
  };
  denied(counter, "request.amount", /getter or setter/);
  assert.equal(reads, 0, "the getter is never called");
  denied({ deep: [counter] }, "request.deep[0].amount", /getter/);
  // A hidden toJSON: JSON.stringify(request) would send {evil: 1} while the hash covers {a: 1}.
  const hidden = { a: 1 };
  Object.defineProperty(hidden, "toJSON", { value: () => ({ evil: 1 }), enumerable: false });
  assert.equal(JSON.stringify(hidden), '{"evil":1}');
  denied(hidden, "request.toJSON", /non-enumerable/);
  denied({ [Symbol("k")]: 1, a: 1 }, "request", /symbol-keyed property/);
  // Arrays: holes and extra properties.
  // deno-lint-ignore no-sparse-arrays
  denied({ a: [1, , 3] }, "request.a[1]", /hole in a sparse array/);
  const extra = Object.assign([1, 2], { note: "x" });
  denied({ a: extra }, "request.a.note", /other than an index/);
  // `request` itself as a getter of the input.
  const inp = input();
  delete inp.request;
  Object.defineProperty(inp, "request", { get: () => ({ text: "hi" }), enumerable: true });
  const { d } = decide(inp);
  assert.equal(d.deny_reason_if_denied?.code, "DENY_INVALID_INPUT");
  assert.deepEqual(d.deny_reason_if_denied?.fields, ["request"]);
  assert.match(d.deny_reason_if_denied!.message, /getter or setter/);
  // Inherited from a prototype.
  const child = Object.assign(Object.create({ request: { a: 1 } }), input());
  delete child.request;
  const c = decide(child).d;
  assert.equal(c.deny_reason_if_denied?.code, "DENY_INVALID_INPUT");
  assert.match(c.deny_reason_if_denied!.message, /inherited/);
});

Deno.test("plain JSON: cycles and too-deep nesting are refused with their path", () => {
  const a: Record<string, unknown> = { x: 1 };
  a.self = { back: a };
  denied(a, "request.self.back", /cycle/);
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 300; i++) deep = { a: deep };
  const { d } = decide(input({ request: deep }));
  assert.equal(d.deny_reason_if_denied?.code, "DENY_INVALID_INPUT");
  assert.deepEqual(d.deny_reason_if_denied?.fields, ["request" + ".a".repeat(200)]);
  assert.match(d.deny_reason_if_denied!.message, /nested too deep/);
});

Deno.test("plain JSON: blast_radius and privilege_context are held to the same rule", () => {
  const { d } = decide(input({ privilege_context: { since: new Date(0) } }));
  assert.deepEqual(d.deny_reason_if_denied?.fields, ["privilege_context.since"]);
  const b = decide(input({ blast_radius: { data: new Map() } })).d;
  assert.deepEqual(b.deny_reason_if_denied?.fields, ["blast_radius.data"]);
});

Deno.test("plain JSON: what JSON carries is accepted and hashed as JSON would send it", () => {
  const nullProto = Object.assign(Object.create(null), { b: [1, "x", null, true], a: { c: -0 } });
  const request = {
    nested: nullProto,
    frozen: Object.freeze({ z: 1 }),
    list: [[], {}, 1.5e-7, "é"],
    left_out: undefined, // dropped, as JSON.stringify drops it
  };
  const { d } = decide(input({ request }));
  assert.equal(d.outcome, "DISPATCH", JSON.stringify(d.deny_reason_if_denied));
  const sent = JSON.parse(JSON.stringify(request));
  assert.equal(d.request_hash, requestHash(sent));
  assert.equal(requestHash(request), requestHash(sent));
  // A throwing Proxy trap is bad input, not an internal error.
  const hostile = new Proxy({}, {
    ownKeys() {
      throw new Error("no");
    },
  });
  const h = decide(input({ request: { p: hostile } })).d;
  assert.equal(h.deny_reason_if_denied?.code, "DENY_INVALID_INPUT");
  assert.match(h.deny_reason_if_denied!.message, /cannot be read/);
});
