// The pure parts of the external policy gates (src/gates): Cedar answer mapping (with the real
// engine passed in), webhook signing and answer checking, and the hall's gate runner
// (decideWithGate): the gate asked only when the rule asks for it, and a replay with the recorded
// answer giving the same decision.
import assert from "node:assert/strict";
import * as cedar from "@cedar-policy/cedar-wasm";
import { bundledCatalogData } from "../../mod.ts";
import type { PolicyContext } from "../../mod.ts";
import {
  cedarCatalogIndex,
  type CedarEngine,
  cedarSchema,
  compileCedarGate,
  type GateAnswer,
  parseWebhookAnswer,
  signWebhook,
  verifyWebhookSignature,
  webhookCacheKey,
} from "../../src/gates/mod.ts";
import { decideWithGate, type LoadedGate } from "../../src/hall/gates.ts";
import { input, registryWith, rulesOf } from "./_router_helpers.ts";
import { makeDecision } from "../../mod.ts";

const catalog = bundledCatalogData();
// The package's types are richer than the structural subset the gate uses.
const engine = cedar as unknown as CedarEngine;
const compile = (text: string) =>
  compileCedarGate(engine, {
    text,
    schema: cedarSchema(catalog),
    index: cedarCatalogIndex(catalog),
  });
const CTX: PolicyContext = {
  capability_id: "cap.doc.summarize",
  tenant_id: "acme",
  env: "prod",
  data_label: "INTERNAL",
  tenant_risk: "low",
  qos_class: "P2",
  policy_version: "policy.v0",
  blast_score: 12,
  matched_rule_id: "r-sum",
};

Deno.test("cedar schema: catalog capabilities are actions grouped by domain and risk tier", () => {
  const s = cedarSchema(catalog, ["cap.acme.custom"]);
  const sum = s.WCP.actions["cap.doc.summarize"] as { memberOf: { id: string }[] };
  assert.deepEqual(sum.memberOf.map((m) => m.id), ["domain:doc", "risk:low"]);
  assert.ok("cap.acme.custom" in s.WCP.actions);
  assert.ok("domain:acme" in s.WCP.actions);
  assert.deepEqual(Object.keys(s.WCP.entityTypes).sort(), [
    "DataLabel",
    "Environment",
    "Tenant",
    "Worker",
  ]);
  // A policy naming an action the schema lacks fails validation.
  assert.throws(
    () => compile(`permit(principal, action == WCP::Action::"cap.nope.never", resource);`),
    /policies\[policy0\]: policies:1:\d+: policy 'policy0' fails schema validation/,
  );
});

Deno.test("cedar mapping: no permit denies; forbid wins; annotated forbid holds unless a plain forbid applies", () => {
  assert.equal(
    compile(`forbid(principal, action, resource) when { false };`).evaluate(CTX).reason,
    "cedar: no permit policy applies",
  );
  const g = compile(`@id("all") permit(principal, action, resource);
@id("hold-prod") @require_human("executor")
forbid(principal, action, resource == WCP::Environment::"prod");
@id("hold-risky") @require_human("gatekeeper")
forbid(principal, action, resource) when { principal.risk == "high" };
@id("no-restricted") forbid(principal, action, resource)
when { context.data_label == WCP::DataLabel::"RESTRICTED" };`);
  const held = g.evaluate({ ...CTX, tenant_risk: "high" });
  assert.equal(held.decision, "REQUIRE_HUMAN");
  assert.deepEqual(held.determining_policies.sort(), ["hold-prod", "hold-risky"]);
  assert.equal(held.supervisor_level, "executor", "the highest level of the holding policies");
  const denied = g.evaluate({ ...CTX, data_label: "RESTRICTED" });
  assert.equal(denied.decision, "DENY");
  assert.deepEqual(denied.determining_policies, ["no-restricted"]);
  const allowed = g.evaluate({ ...CTX, env: "dev" });
  assert.equal(allowed.decision, "ALLOW");
  assert.deepEqual(allowed.determining_policies, ["all"]);
  // An annotated permit holds too; without a level the rule's level applies (none set).
  const p = compile(
    `@id("ask") @require_human permit(principal, action in WCP::Action::"domain:doc", resource);`,
  )
    .evaluate(CTX);
  assert.equal(p.decision, "REQUIRE_HUMAN");
  assert.equal(p.supervisor_level, undefined);
});

Deno.test("cedar mapping: a policy that errors while evaluating denies (Cedar alone would skip it)", () => {
  const g = compile(`@id("all") permit(principal, action, resource);
@id("overflow") forbid(principal, action, resource)
when { context.blast_score * 9223372036854775807 > 0 };`);
  const a = g.evaluate(CTX);
  assert.equal(a.decision, "DENY");
  assert.equal(a.error_code, "GATE_EVALUATION_ERROR");
  assert.deepEqual(a.determining_policies, ["overflow"]);
  assert.match(a.reason, /^policy_gate_evaluation_error: policy 'overflow'/);
  // blast_score 0 does not overflow: allowed.
  assert.equal(g.evaluate({ ...CTX, blast_score: 0 }).decision, "ALLOW");
});

Deno.test("cedar loading: bad @require_human level, duplicate @id, templates are refused", () => {
  assert.throws(
    () => compile(`@require_human("boss") permit(principal, action, resource);`),
    /policies\[policy0\]: policies:1:1: @require_human\("boss"\) is not a supervisor level/,
  );
  assert.throws(
    () =>
      compile(
        `@id("a") permit(principal, action, resource);\n@id("a") permit(principal, action, resource);`,
      ),
    /policies\[a\]: policies:2:1: duplicate policy id 'a'/,
  );
  assert.throws(
    () => compile(`permit(principal == ?principal, action, resource);`),
    /templates are not supported/,
  );
});

const SECRET = new TextEncoder().encode("0123456789abcdef0123456789abcdef");

Deno.test("webhook signature: HMAC-SHA256 over '<t>.<body>' (checked with WebCrypto), replay window", async () => {
  const body = JSON.stringify({ a: 1 });
  const header = signWebhook(SECRET, body, 1_700_000_000);
  const key = await crypto.subtle.importKey(
    "raw",
    SECRET,
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`1700000000.${body}`)),
  );
  const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(header, `t=1700000000,v1=${hex}`);
  assert.equal(verifyWebhookSignature(SECRET, body, header, 1_700_000_100).ok, true);
  assert.deepEqual(verifyWebhookSignature(SECRET, body + " ", header, 1_700_000_100), {
    ok: false,
    reason: "signature mismatch",
  });
  assert.equal(
    verifyWebhookSignature(new TextEncoder().encode("x".repeat(32)), body, header, 1_700_000_000)
      .ok,
    false,
  );
  assert.match(
    (verifyWebhookSignature(SECRET, body, header, 1_700_000_301) as { reason: string }).reason,
    /replay/,
  );
  assert.equal(verifyWebhookSignature(SECRET, body, null, 1_700_000_000).ok, false);
});

Deno.test("webhook answer: strict schema; a malformed answer is marked invalid with the field", () => {
  const ok = parseWebhookAnswer(
    { decision: "REQUIRE_HUMAN", supervisor_level: "executor", cache_ttl_seconds: 30 },
    "hook.v1",
  );
  assert.equal(ok.decision, "REQUIRE_HUMAN");
  assert.equal(ok.policy_version, "hook.v1");
  assert.equal(ok.cache_ttl_seconds, 30);
  for (
    const [raw, path] of [
      [{ decision: "allow" }, "decision"],
      [{ decision: "ALLOW", extra: 1 }, "(answer)"],
      [{ decision: "ALLOW", cache_ttl_seconds: 86_401 }, "cache_ttl_seconds"],
      [{ decision: "ALLOW", supervisor_level: "boss" }, "supervisor_level"],
      [[], "(answer)"],
    ] as const
  ) {
    const a = parseWebhookAnswer(raw, "v");
    assert.equal(a.error_code, "GATE_ANSWER_INVALID", JSON.stringify(raw));
    assert.equal(a.invalid?.path, path, JSON.stringify(raw));
  }
  assert.notEqual(webhookCacheKey(CTX), webhookCacheKey({ ...CTX, blast_score: 13 }));
  assert.notEqual(webhookCacheKey(CTX), webhookCacheKey(CTX, ["wrk.other"]));
});

Deno.test("decideWithGate: the async gate is asked once, only when the rule asks; a replay with the recorded answer decides the same", async () => {
  const asked: PolicyContext[] = [];
  const answer: GateAnswer = {
    decision: "DENY",
    policy_version: "hook.v9",
    reason: "closed",
    determining_policies: ["p1"],
  };
  const gate: LoadedGate = {
    type: "webhook",
    policy_version: "hook.v9",
    info: {},
    ask: (ctx) => {
      asked.push(ctx);
      return Promise.resolve({ answer, cached: false });
    },
  };
  const registry = registryWith();
  const opts = (rules: ReturnType<typeof rulesOf>) => ({
    rules,
    registry,
    now: () => 0,
    newId: () => "00000000-0000-4000-8000-000000000000",
  });
  const gated = rulesOf({ escalation: { policy_gate: true } });
  const d = await decideWithGate(
    gate,
    () => ({}),
    (policyGate) => makeDecision(input(), { ...opts(gated), policyGate }),
  );
  assert.equal(asked.length, 1);
  assert.equal(asked[0].matched_rule_id, "r-sum");
  assert.equal(d.deny_reason_if_denied?.code, "DENY_POLICY_GATE");
  assert.equal(d.policy_version, "hook.v9");
  assert.deepEqual(d.policy_gate?.determining_policies, ["p1"]);
  // Replay: the core with a gate returning the recorded answer gives the same decision.
  const rec = d.policy_gate!;
  const replay = makeDecision(input(), {
    ...opts(gated),
    policyGate: () => ({
      decision: rec.decision,
      policy_version: rec.policy_version,
      reason: rec.reason,
    }),
  });
  const { policy_gate: _, ...first } = d;
  assert.deepEqual(replay, first);
  // A rule without escalation.policy_gate: no question asked.
  const plain = await decideWithGate(
    gate,
    () => ({}),
    (policyGate) => makeDecision(input(), { ...opts(rulesOf()), policyGate }),
  );
  assert.equal(asked.length, 1);
  assert.equal(plain.outcome, "DISPATCH");
  assert.equal(plain.policy_gate, undefined);
  // The context changed between the question and the decision (e.g. the registry): denied.
  let n = 0;
  const changed = await decideWithGate(
    gate,
    () => ({}),
    (policyGate) =>
      makeDecision(input({ blast_score: n++ === 0 ? 10 : 90 }), { ...opts(gated), policyGate }),
  );
  assert.equal(changed.policy_gate?.error_code, "GATE_CONTEXT_CHANGED");
  assert.equal(changed.deny_reason_if_denied?.code, "DENY_POLICY_GATE");
});
