// Policy helpers: the gate answer checker (fail closed on anything unexpected) and the built-in
// privilege policy (behaviour.md 6), plus their wiring in makeDecision.
import assert from "node:assert/strict";
import { checkGateResult, policyAllowsPrivilege } from "../../mod.ts";
import { decide, input, registryWith, rulesOf, worker } from "./_router_helpers.ts";

Deno.test("policy: gate answers: objects and 3-tuples; anything else is unusable", () => {
  assert.deepEqual(checkGateResult({ decision: "ALLOW", policy_version: "p", reason: "r" }, "d"), {
    ok: true,
    result: { decision: "ALLOW", policy_version: "p", reason: "r" },
  });
  assert.deepEqual(checkGateResult(["DENY", "p2", "no"], "d"), {
    ok: true,
    result: { decision: "DENY", policy_version: "p2", reason: "no" },
  });
  const fallback = checkGateResult(
    { decision: "REQUIRE_HUMAN", supervisor_level: "executor" },
    "d",
  );
  assert.ok(fallback.ok);
  assert.equal(fallback.result.policy_version, "d");
  assert.equal(fallback.result.supervisor_level, "executor");
  for (
    const bad of [
      undefined,
      null,
      "ALLOW",
      ["ALLOW", "p"],
      { decision: "allow" },
      { decision: "ALLOW", policy_version: 3 },
      { decision: "ALLOW", policy_version: "" },
      { decision: "ALLOW", reason: {} },
      { decision: "REQUIRE_HUMAN", supervisor_level: "boss" },
      { decision: ["ALLOW"] },
    ]
  ) {
    assert.equal(checkGateResult(bad, "d").ok, false, JSON.stringify(bad));
  }
});

Deno.test("policy: built-in privilege policy only constrains RESTRICTED data in prod/edge", () => {
  const allow = { prod: ["payments.example.com"] };
  assert.equal(
    policyAllowsPrivilege("dev", "RESTRICTED", { network_egress: "unrestricted" }, {}).ok,
    true,
  );
  assert.equal(
    policyAllowsPrivilege("prod", "INTERNAL", { secrets_access: ["vault"] }, {}).ok,
    true,
  );
  assert.deepEqual(
    policyAllowsPrivilege("prod", "RESTRICTED", { network_egress: "unrestricted" }, allow),
    {
      ok: false,
      reason: "network_egress_unrestricted_not_allowed_for_restricted",
    },
  );
  assert.equal(
    policyAllowsPrivilege("edge", "RESTRICTED", { secrets_access: ["vault:x"] }, allow).reason,
    "secrets_access_not_allowed_for_restricted",
  );
  assert.deepEqual(
    policyAllowsPrivilege("prod", "RESTRICTED", { egress: { allowlist: ["x.example.com"] } }, {}),
    { ok: false, reason: "egress_denied_no_allowlist_configured" },
  );
  assert.equal(
    policyAllowsPrivilege("prod", "RESTRICTED", { network_egress: ["payments.example.com"] }, allow)
      .ok,
    true,
  );
  assert.equal(
    policyAllowsPrivilege("prod", "RESTRICTED", { network_egress: ["evil.example.com"] }, allow)
      .reason,
    "egress_not_allowlisted:evil.example.com",
  );
  assert.equal(
    policyAllowsPrivilege("prod", "RESTRICTED", { network_egress: "none" }, {}).ok,
    true,
  );
});

const privRules = rulesOf({ required_controls_suggested: ["ctrl.privilege_envelopes_required"] });
const privWorker = (envelope: Record<string, unknown>) =>
  registryWith(
    worker({
      currently_implements: ["ctrl.privilege_envelopes_required"],
      privilege_envelope: envelope,
    }),
  );

Deno.test("policy: a custom privilegePolicy decides; a throwing one denies without detail", () => {
  const seen: unknown[] = [];
  const ok = decide(input({ env: "prod" }), {
    rules: privRules,
    registry: privWorker({ tools: ["pdf"] }),
    privilegePolicy: (env, label, envelope) => {
      seen.push([env, label, envelope]);
      return { ok: true, reason: "custom_ok" };
    },
  }).d;
  assert.equal(ok.outcome, "DISPATCH");
  assert.equal(ok.privilege_envelope_ok, true);
  assert.deepEqual(seen, [["prod", "INTERNAL", { tools: ["pdf"] }]]);
  const no = decide(input(), {
    rules: privRules,
    registry: privWorker({}),
    privilegePolicy: () => ({ ok: false, reason: "tools_not_approved" }),
  }).d;
  assert.equal(no.deny_reason_if_denied?.code, "DENY_PRIVILEGE_ENVELOPE_VIOLATED");
  assert.equal(no.deny_reason_if_denied?.reason, "tools_not_approved");
  const garbage = decide(input(), {
    rules: privRules,
    registry: privWorker({}),
    privilegePolicy: (() => "yes") as never,
  }).d;
  assert.equal(garbage.deny_reason_if_denied?.code, "DENY_PRIVILEGE_ENVELOPE_VIOLATED");
  const thrown = decide(input(), {
    rules: privRules,
    registry: privWorker({}),
    privilegePolicy: () => {
      throw new Error("policy db password=hunter2");
    },
  }).d;
  assert.equal(thrown.deny_reason_if_denied?.code, "DENY_INTERNAL_ERROR");
  assert.ok(!JSON.stringify(thrown).includes("hunter2"));
});

Deno.test("policy: deny_if_no_attestation_in_prod turns attestation on in prod/edge only", () => {
  const rules = rulesOf({ preconditions: { deny_if_no_attestation_in_prod: true } });
  const registry = registryWith(worker({ attestation: { code_hash: "9a".repeat(32) } }));
  assert.equal(
    decide(input({ env: "prod" }), { rules, registry }).d.deny_reason_if_denied?.code,
    "DENY_ATTESTATION_UNCONFIGURED",
  );
  const attested = decide(input({ env: "edge" }), {
    rules,
    registry,
    currentWorkerHash: () => "9a".repeat(32),
  }).d;
  assert.equal(attested.outcome, "DISPATCH");
  assert.equal(attested.worker_attestation_checked, true);
  const dev = decide(input(), { rules, registry }).d;
  assert.equal(dev.outcome, "DISPATCH");
  assert.equal(dev.worker_attestation_checked, false);
});
