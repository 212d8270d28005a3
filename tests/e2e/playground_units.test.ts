/**
 * The playground's browser-independent parts, run in Deno: the policy-gate table (first match,
 * wildcards, fail closed), the URL-fragment codec, and the Decisions evaluation of every example
 * scenario through the real core (the browser test checks the same outcomes on the page).
 */

import assert from "node:assert/strict";
import type { PolicyContext } from "../../mod.ts";
import { evaluate } from "../../playground/src/evaluate.ts";
import { baseWorld, SCENARIOS } from "../../playground/src/examples.ts";
import {
  type GateRow,
  sanitizeGateRows,
  tableGate,
  toHallGate,
} from "../../playground/src/gate.ts";
import { compileGate, parseHallFileConfig } from "../../src/hall/file_config.ts";
import { DATA_LABELS, ENVS, TENANT_RISKS } from "../../mod.ts";
import { decodeState, encodeState, MAX_STATE_BYTES } from "../../playground/src/share.ts";

const CTX: PolicyContext = {
  capability_id: "cap.fin.initiate-payment",
  tenant_id: "acme",
  env: "prod",
  data_label: "PUBLIC",
  tenant_risk: "low",
  qos_class: "P2",
  policy_version: "policy.v0",
  blast_score: 25,
  matched_rule_id: "fin.payment",
};

const row = (patch: Partial<GateRow>): GateRow => ({
  capability_id: "*",
  env: "*",
  data_label: "*",
  tenant_risk: "*",
  decision: "ALLOW",
  reason: "r",
  ...patch,
});

Deno.test("gate table: first matching row wins; * matches anything", () => {
  const gate = tableGate([
    row({ env: "dev", decision: "DENY", reason: "dev only" }),
    row({ capability_id: "cap.fin.initiate-payment", decision: "REQUIRE_HUMAN", reason: "money" }),
    row({ decision: "ALLOW", reason: "default" }),
  ]);
  assert.deepEqual(gate(CTX), {
    decision: "REQUIRE_HUMAN",
    policy_version: "pol.playground.v1",
    reason: "money",
  });
  assert.equal(gate({ ...CTX, env: "dev" }).decision, "DENY");
  assert.equal(gate({ ...CTX, capability_id: "cap.doc.summarize" }).reason, "default");
});

Deno.test("gate table: no matching row denies (fail closed) and every call is recorded", () => {
  const calls: PolicyContext[] = [];
  const gate = tableGate([row({ tenant_risk: "high", decision: "ALLOW" })], calls);
  assert.equal(gate(CTX).decision, "DENY");
  assert.equal(tableGate([])(CTX).decision, "DENY");
  assert.deepEqual(calls, [CTX]);
});

Deno.test("gate table exported for hall.json: the hall accepts it and answers the same", () => {
  const rows = baseWorld().gate;
  const hall = compileGate(parseHallFileConfig({ policy_gate: toHallGate(rows) }).policy_gate!);
  const table = tableGate(rows);
  let compared = 0;
  for (const capability_id of ["cap.fin.initiate-payment", "cap.doc.summarize"]) {
    for (const env of ENVS) {
      for (const data_label of DATA_LABELS) {
        for (const tenant_risk of TENANT_RISKS) {
          const ctx = { ...CTX, capability_id, env, data_label, tenant_risk };
          const [a, b] = [table(ctx), hall(ctx)];
          assert.deepEqual([b.decision, b.policy_version, b.reason], [
            a.decision,
            a.policy_version,
            a.reason,
          ], JSON.stringify(ctx));
          compared++;
        }
      }
    }
  }
  assert.equal(compared, 2 * 4 * 3 * 3);
  // Without the catch-all row both fail closed the same way.
  const strict = rows.slice(0, 2);
  const hallStrict = compileGate(
    parseHallFileConfig({ policy_gate: toHallGate(strict) }).policy_gate!,
  );
  const other = { ...CTX, capability_id: "cap.doc.summarize" };
  assert.equal(tableGate(strict)(other).decision, "DENY");
  assert.equal(hallStrict(other).decision, "DENY");
});

Deno.test("gate rows from a shared link: malformed rows are dropped", () => {
  const good = row({ decision: "DENY" });
  assert.deepEqual(
    sanitizeGateRows([good, { ...good, decision: "MAYBE" }, { ...good, env: 3 }, null, "x"]),
    [good],
  );
  assert.deepEqual(sanitizeGateRows({ rows: [good] }), []);
});

Deno.test("URL state: round trip, compressed and url-safe; garbage is refused", async () => {
  const world = baseWorld();
  const encoded = await encodeState({ v: 1, world, note: "héllo ✓" });
  assert.match(encoded, /^z\.[A-Za-z0-9_-]+$/);
  assert.ok(encoded.length < JSON.stringify(world).length, "compression pays for itself");
  assert.deepEqual(await decodeState(encoded), { v: 1, world, note: "héllo ✓" });
  await assert.rejects(() => decodeState("z.not-valid-state"));
  await assert.rejects(() => decodeState("q.abc"), /unknown state encoding/);
});

Deno.test("URL state: a link that expands past the limit is refused (no decompression bomb)", async () => {
  const bomb = await encodeState({ pad: "x".repeat(MAX_STATE_BYTES + 10) });
  assert.ok(bomb.length < 10_000, `the bomb is small (${bomb.length} chars)`);
  await assert.rejects(() => decodeState(bomb), /state larger than/);
  const fits = await encodeState({ pad: "x".repeat(MAX_STATE_BYTES - 100) });
  assert.equal(((await decodeState(fits)) as { pad: string }).pad.length, MAX_STATE_BYTES - 100);
});

Deno.test("every example scenario decides as its menu label says, through the real core", () => {
  for (const s of SCENARIOS) {
    const ev = evaluate(s.world(), () => Date.UTC(2026, 0, 1));
    assert.deepEqual(ev.errors, {}, s.id);
    const d = ev.decision!;
    if (s.expect.startsWith("DENY_")) {
      assert.equal(d.outcome, "DENY", s.id);
      assert.equal(d.deny_reason_if_denied?.code, s.expect, s.id);
    } else {
      assert.equal(d.outcome, s.expect, s.id);
    }
    assert.ok(d.trace && d.trace.length > 0, `${s.id} has a trace`);
    assert.ok(ev.events.length > 0, `${s.id} emitted telemetry`);
  }
});

Deno.test("evaluation names the broken part and does not decide", () => {
  const w = baseWorld();
  const ev = evaluate({
    ...w,
    rules: "{",
    registry: JSON.stringify([{ worker_id: "nope" }]),
    config: "[]",
  });
  assert.equal(ev.decision, null);
  assert.match(ev.errors.rules ?? "", /rules is not valid JSON/);
  // The engine's world loader names the part, the entry and the field.
  assert.match(ev.errors.registry ?? "", /^RECORD_INVALID: registry\[0\]\.worker_id: /);
  assert.match(ev.errors.config ?? "", /config must be an object/);
  // A misspelt floor is named, with the key it probably meant.
  const typo = evaluate({ ...w, config: JSON.stringify({ require_signatry: true }) });
  assert.equal(typo.decision, null);
  assert.match(
    typo.errors.config ?? "",
    /^CONFIG_INVALID: hall_config\.require_signatry: .*require_signatory/,
  );
  assert.equal(ev.errors.input, undefined);
  const bad = evaluate({ ...w, rules: JSON.stringify({ rules: [{ match: {} }] }) });
  assert.match(bad.errors.rules ?? "", /^RULES_INVALID: /);
});

Deno.test("the gate consulted by a held decision sees the request's context", () => {
  const s = SCENARIOS.find((x) => x.id === "approval")!;
  const ev = evaluate(s.world());
  assert.equal(ev.decision?.outcome, "STEWARD_HOLD");
  assert.equal(ev.gateCalls.length, 1);
  assert.equal(ev.gateCalls[0].capability_id, "cap.fin.initiate-payment");
  assert.equal(ev.gateCalls[0].env, "prod");
});
