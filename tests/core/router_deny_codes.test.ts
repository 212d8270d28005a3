// Every deny code in DENY_CODES, each from a realistic scenario, with the payload it promises.
import assert from "node:assert/strict";
import {
  DEFAULT_HALL_CONFIG,
  DENY_CODES,
  type DenyCode,
  parseRules,
  type PolicyGateFn,
  Registry,
  type RouteDecision,
} from "../../mod.ts";
import { decide, input, registryWith, rulesOf, worker } from "./_router_helpers.ts";

const HASH_A = "sha256:" + "a".repeat(64);
const HASH_B = "sha256:" + "b".repeat(64);

type Scenario = () => RouteDecision;

const scenarios: Record<DenyCode, Scenario> = {
  DENY_UNKNOWN_TENANT: () =>
    decide(input(), { config: { require_signatory: true, allowed_tenants: ["globex"] } }).d,
  DENY_MISSING_TENANT_ID: () => decide(input({ tenant_id: "  \t" })).d,
  DENY_INVALID_INPUT: () => decide(input({ env: "production", blast_score: 50.5 })).d,
  DENY_SHADOW_RULES_DETECTED: () =>
    decide(input({ env: "prod" }), {
      rules: parseRules([
        {
          decision: { candidate_workers_ranked: [] },
          rule_id: "all",
          match: { capability_id: { any: true } },
        },
        {
          decision: { candidate_workers_ranked: [] },
          rule_id: "late",
          match: { capability_id: "cap.doc.summarize" },
        },
      ]),
    }).d,
  DENY_NO_MATCHING_RULE: () => decide(input({ capability_id: "cap.fin.transfer" })).d,
  DENY_MISSING_CORRELATION_ID: () => decide(input({ correlation_id: " " })).d,
  DENY_MISSING_REQUIRED_CONTROLS: () =>
    decide(input(), {
      rules: rulesOf({
        required_controls_suggested: ["ctrl.obs.audit-log-append-only", "ctrl.pol.default-deny"],
      }),
    }).d,
  DENY_REQUIRES_HUMAN: () =>
    decide(
      input({ env: "prod", data_label: "RESTRICTED", qos_class: "P0", request: { writes: 1 } }),
    )
      .d,
  DENY_POLICY_GATE_UNCONFIGURED: () =>
    decide(input(), { rules: rulesOf({ escalation: { policy_gate: true } }) }).d,
  DENY_INTERNAL_ERROR: () =>
    decide(input(), {
      rules: rulesOf({ escalation: { policy_gate: true } }),
      policyGate: () => {
        throw new Error("secret stack detail");
      },
    }).d,
  DENY_POLICY_GATE: () =>
    decide(input(), {
      rules: rulesOf({ escalation: { policy_gate: true } }),
      policyGate: {
        evaluate: () => ({ decision: "DENY", policy_version: "pol.v2", reason: "embargo" }),
      },
    }).d,
  DENY_REQUIRES_HUMAN_APPROVAL: () =>
    decide(input(), {
      rules: rulesOf({ escalation: { policy_gate: true } }),
      config: { approvals_enabled: false },
      policyGate: () => ({ decision: "REQUIRE_HUMAN", policy_version: "pol.v3", reason: "big" }),
    }).d,
  DENY_POLICY_GATE_INVALID_RESPONSE: () =>
    decide(input(), {
      rules: rulesOf({ escalation: { policy_gate: true } }),
      policyGate: (() => ({ decision: "allow" })) as unknown as PolicyGateFn,
    }).d,
  DENY_NO_AVAILABLE_WORKER: () => decide(input(), { registry: new Registry() }).d,
  DENY_WORKER_BANNED: () => {
    const registry = registryWith(worker({ attestation: { code_hash: HASH_A } }));
    registry.ban({ sha256: HASH_A, reason: "malware", reported_at: "2026-11-30T00:00:00.000Z" });
    return decide(input(), { registry }).d;
  },
  DENY_BLAST_OVER_CAP: () =>
    decide(input(), {
      rules: rulesOf({ max_blast_by_env: { dev: 3 } }),
      registry: registryWith(worker({
        blast_radius: { data: 2, network: 1, financial: 0, time: 1, reversibility: "difficult" },
      })),
    }).d,
  DENY_ATTESTATION_UNCONFIGURED: () =>
    decide(input(), { config: { require_worker_attestation: true } }).d,
  DENY_WORKER_ATTESTATION_MISSING: () =>
    decide(input(), {
      config: { require_worker_attestation: true },
      currentWorkerHash: () => HASH_A,
    }).d,
  DENY_WORKER_ATTESTATION_INVALID_HASH: () => {
    // A registry backed by a store that returns a corrupted hash (enroll itself rejects bad ones).
    class CorruptStore extends Registry {
      override registeredHash(): string | null {
        return "md5:0cc175b9c0f1b6a831c399e269772661";
      }
    }
    const registry = new CorruptStore();
    registry.enroll(worker());
    return decide(input(), {
      registry,
      config: { require_worker_attestation: true },
      currentWorkerHash: () => HASH_A,
    }).d;
  },
  DENY_WORKER_HASH_UNAVAILABLE: () =>
    decide(input(), {
      registry: registryWith(worker({ attestation: { code_hash: HASH_A } })),
      config: { require_worker_attestation: true },
      currentWorkerHash: () => {
        throw new Error("file vanished");
      },
    }).d,
  DENY_WORKER_TAMPERED: () =>
    decide(input(), {
      registry: registryWith(worker({ attestation: { code_hash: HASH_A } })),
      config: { require_worker_attestation: true },
      currentWorkerHash: () => HASH_B,
    }).d,
  DENY_PRIVILEGE_ENVELOPE_UNCONFIGURED: () =>
    decide(input(), { config: { enforce_privilege_envelopes: true } }).d,
  DENY_PRIVILEGE_ENVELOPE_VIOLATED: () =>
    decide(input({ env: "prod", data_label: "RESTRICTED" }), {
      rules: rulesOf({ required_controls_suggested: ["ctrl.privilege_envelopes_required"] }),
      registry: registryWith(worker({
        currently_implements: ["ctrl.privilege_envelopes_required"],
        privilege_envelope: { network_egress: ["api.example.com"] },
      })),
      config: { egress_allowlist: { prod: ["internal.example.com"] } },
    }).d,
};

Deno.test("deny codes: every code in DENY_CODES has a scenario", () => {
  assert.deepEqual(Object.keys(scenarios).sort(), [...DENY_CODES].sort());
});

for (const code of DENY_CODES) {
  Deno.test(`deny codes: ${code} is reachable with a consistent payload`, () => {
    const d = scenarios[code]();
    assert.equal(d.deny_reason_if_denied?.code, code, JSON.stringify(d.deny_reason_if_denied));
    assert.equal(d.denied, true);
    assert.equal(d.outcome, "DENY");
    assert.equal(d.selected_worker_species_id, null);
    assert.equal(d.selected_worker_id, null);
    assert.equal(d.supervisor_required, false);
    assert.ok(d.deny_reason_if_denied!.message.length > 10);
    assert.equal(d.telemetry_envelopes.length, 1);
    const e = d.telemetry_envelopes[0];
    assert.equal(e.event_id, "evt.os.task.denied");
    assert.equal(e.deny_code, code);
    assert.equal(e.decision_id, d.decision_id);
    if (code !== "DENY_INVALID_INPUT") assert.match(d.artifact_hash ?? "", /^sha256:[0-9a-f]{64}$/);
  });
}

Deno.test("deny codes: pre-routing and no-match denials name PRE_ROUTING / NO_MATCH", () => {
  for (
    const c of ["DENY_UNKNOWN_TENANT", "DENY_MISSING_TENANT_ID", "DENY_INVALID_INPUT"] as const
  ) {
    assert.equal(scenarios[c]().matched_rule_id, "PRE_ROUTING", c);
  }
  for (const c of ["DENY_SHADOW_RULES_DETECTED", "DENY_NO_MATCHING_RULE"] as const) {
    assert.equal(scenarios[c]().matched_rule_id, "NO_MATCH", c);
  }
  assert.equal(scenarios.DENY_MISSING_CORRELATION_ID().matched_rule_id, "r-sum");
});

Deno.test("deny codes: payload extras", () => {
  const tenant = scenarios.DENY_UNKNOWN_TENANT();
  assert.equal(tenant.deny_reason_if_denied!.tenant_id, "acme");

  const inv = scenarios.DENY_INVALID_INPUT();
  assert.deepEqual(inv.deny_reason_if_denied!.fields, ["env", "blast_score"]);
  assert.equal(inv.env, null, "an unknown env is never mapped to a valid one");
  assert.equal(inv.artifact_hash, null);

  const shadow = scenarios.DENY_SHADOW_RULES_DETECTED();
  assert.deepEqual(shadow.deny_reason_if_denied!.shadowed_rule_ids, ["late"]);
  assert.equal(shadow.deny_reason_if_denied!.shadow_count, 1);

  const controls = scenarios.DENY_MISSING_REQUIRED_CONTROLS();
  assert.deepEqual(controls.deny_reason_if_denied!.missing, ["ctrl.pol.default-deny"]);
  assert.deepEqual(controls.required_controls_effective, [
    "ctrl.obs.audit-log-append-only",
    "ctrl.pol.default-deny",
  ]);

  const blast = scenarios.DENY_REQUIRES_HUMAN();
  assert.equal(blast.deny_reason_if_denied!.blast_score, 90);
  assert.equal(blast.blast_gate_passed, false);
  assert.equal(blast.escalation_effective.human_required_default, true);
  assert.equal(blast.escalation_effective.rationale, "REQUIRE_HUMAN_HIGH_BLAST");

  const internal = scenarios.DENY_INTERNAL_ERROR();
  assert.ok(!JSON.stringify(internal).includes("secret stack detail"), "no exception text leaks");

  const gate = scenarios.DENY_POLICY_GATE();
  assert.equal(gate.deny_reason_if_denied!.reason, "embargo");
  assert.equal(gate.deny_reason_if_denied!.policy_version, "pol.v2");
  assert.equal(gate.policy_version, "pol.v2");

  const human = scenarios.DENY_REQUIRES_HUMAN_APPROVAL();
  assert.equal(human.deny_reason_if_denied!.supervisor_required, true);
  assert.equal(human.pending_approval_id, undefined);

  const bad = scenarios.DENY_POLICY_GATE_INVALID_RESPONSE();
  assert.match(bad.deny_reason_if_denied!.message, /"allow"/);

  const none = scenarios.DENY_NO_AVAILABLE_WORKER();
  assert.deepEqual(none.candidate_workers_ranked, [{
    worker_species_id: "wrk.doc.summarizer",
    score_hint: 1,
    worker_id: null,
    skip_reason: "unavailable",
  }]);

  const banned = scenarios.DENY_WORKER_BANNED();
  assert.equal(banned.candidate_workers_ranked[0].skip_reason, "banned");

  const cap = scenarios.DENY_BLAST_OVER_CAP();
  assert.equal(cap.candidate_workers_ranked[0].skip_reason, "blast_over_cap");
  assert.equal(cap.deny_reason_if_denied!.max_blast, 3);

  const tampered = scenarios.DENY_WORKER_TAMPERED();
  assert.equal(tampered.worker_attestation_checked, true);
  assert.equal(tampered.worker_attestation_valid, false);
  assert.equal(tampered.deny_reason_if_denied!.worker_id, "org.acme.summarizer.1");
  const text = JSON.stringify(tampered);
  assert.ok(!text.includes("a".repeat(64)) && !text.includes("b".repeat(64)), "no hash values");
  assert.ok(!("registered_hash" in tampered.deny_reason_if_denied!));
  assert.ok(!("current_hash" in tampered.deny_reason_if_denied!));

  for (const c of ["DENY_WORKER_ATTESTATION_MISSING", "DENY_WORKER_HASH_UNAVAILABLE"] as const) {
    const d = scenarios[c]();
    assert.equal(d.worker_attestation_checked, false, c);
    assert.equal(d.worker_attestation_valid, null, c);
    assert.equal(d.candidate_workers_ranked[0].skip_reason, "attestation_failed", c);
  }

  const priv = scenarios.DENY_PRIVILEGE_ENVELOPE_VIOLATED();
  assert.equal(priv.deny_reason_if_denied!.reason, "egress_not_allowlisted:api.example.com");
  assert.equal(priv.privilege_envelope_ok, false);
});

Deno.test("deny codes: signatory redaction in prod hides the tenant everywhere", () => {
  const { d, events } = decide(input({ env: "prod", tenant_id: "secret-tenant" }), {
    config: { require_signatory: true, allowed_tenants: [], redact_tenant_in_prod: true },
  });
  assert.equal(d.deny_reason_if_denied!.code, "DENY_UNKNOWN_TENANT");
  assert.ok(!JSON.stringify(d).includes("secret-tenant"));
  assert.ok(!JSON.stringify(events).includes("secret-tenant"));
  const dev = decide(input({ env: "dev", tenant_id: "t2" }), {
    config: { require_signatory: true, allowed_tenants: [], redact_tenant_in_prod: true },
  }).d;
  assert.equal(dev.deny_reason_if_denied!.tenant_id, "t2");
});

Deno.test("deny codes: an empty tenant with signatory on is DENY_UNKNOWN_TENANT (Py order)", () => {
  const d = decide(input({ tenant_id: "" }), {
    config: { require_signatory: true, allowed_tenants: ["acme"] },
  }).d;
  assert.equal(d.deny_reason_if_denied!.code, "DENY_UNKNOWN_TENANT");
});

Deno.test("deny codes: a wrongly typed config field denies instead of guessing", () => {
  const d = decide(input(), {
    config: { require_signatory: "yes" } as unknown as Record<string, never>,
  }).d;
  assert.equal(d.deny_reason_if_denied!.code, "DENY_INTERNAL_ERROR");
  assert.match(d.deny_reason_if_denied!.message, /require_signatory/);
  // Every switch of the Hall config, not just one.
  const switches = Object.entries(DEFAULT_HALL_CONFIG).filter(([, v]) => typeof v === "boolean");
  assert.equal(switches.length, 9);
  for (const [key] of switches) {
    const r = decide(input(), { config: { [key]: "false" } as never }).d.deny_reason_if_denied;
    assert.equal(r?.code, "DENY_INTERNAL_ERROR", key);
    assert.ok(r!.message.includes(`config.${key} must be a boolean`), r!.message);
  }
});

Deno.test("deny codes: a misspelt config floor denies naming the key it resembles", () => {
  for (
    const [key, meant] of [
      ["require_signatry", "require_signatory"],
      ["Require_Worker_Attestation", "require_worker_attestation"],
      ["enforce_privilege_envelope", "enforce_privilege_envelopes"],
    ]
  ) {
    const { d, events } = decide(input(), { config: { [key]: true } as never });
    assert.equal(d.outcome, "DENY", key);
    assert.equal(d.deny_reason_if_denied!.code, "DENY_INTERNAL_ERROR");
    assert.equal(d.matched_rule_id, "PRE_ROUTING");
    assert.ok(d.deny_reason_if_denied!.message.includes(`config.${key}`));
    assert.ok(d.deny_reason_if_denied!.message.includes(`"${meant}"`));
    assert.equal(events.length, 1);
  }
  // Keys unlike any floor (another section of a hall file) deny too, as validateHallConfig
  // refuses them: pass the hall file's `hall_config` section, not the whole file.
  const other = decide(input(), {
    config: { policy_gate: { default: "ALLOW" }, listen: "127.0.0.1:8080" } as never,
  }).d;
  assert.equal(other.outcome, "DENY");
  assert.equal(other.deny_reason_if_denied!.code, "DENY_INTERNAL_ERROR");
  assert.match(
    other.deny_reason_if_denied!.message,
    /config\.policy_gate: unknown key; known keys: /,
  );
});

Deno.test("deny codes: a caller cannot lower the blast score (B-1)", () => {
  const d = decide(input({
    env: "prod",
    data_label: "RESTRICTED",
    qos_class: "P0",
    request: { egress: true, writes: true },
    blast_score: 0,
  })).d;
  assert.equal(d.deny_reason_if_denied!.code, "DENY_REQUIRES_HUMAN");
  assert.equal(d.blast_score, 100);
  const raised = decide(input({ env: "prod", blast_score: 90 })).d;
  assert.equal(raised.deny_reason_if_denied!.code, "DENY_REQUIRES_HUMAN");
});

Deno.test("deny codes: a rules document or a non-Registry in the options is named, not ignored", () => {
  const doc = decide(input(), { rules: { rules: [] } as never }).d;
  assert.equal(doc.deny_reason_if_denied!.code, "DENY_INTERNAL_ERROR");
  assert.match(doc.deny_reason_if_denied!.message, /options\.rules must be a compiled RuleSet/);
  const reg = decide(input(), { registry: { workers: () => [] } as never }).d;
  assert.match(reg.deny_reason_if_denied!.message, /options\.registry must be a Registry/);
  const none = decide(input(), { rules: undefined as never }).d;
  assert.equal(none.deny_reason_if_denied!.code, "DENY_NO_MATCHING_RULE", "no rules: fail closed");
});

Deno.test("deny codes: a signatory denial of an invalid input reports one denying step", () => {
  const { d } = decide({ tenant_id: "stranger", env: "production" }, {
    config: { require_signatory: true, allowed_tenants: ["acme"] },
    trace: true,
  });
  assert.equal(d.deny_reason_if_denied!.code, "DENY_UNKNOWN_TENANT");
  assert.deepEqual(d.trace!.filter((t) => t.outcome === "deny").map((t) => t.step), ["signatory"]);
  assert.equal(d.artifact_hash, null, "no hash of an invalid input");
});

Deno.test("deny codes: a lone surrogate anywhere in the input is DENY_INVALID_INPUT naming it", () => {
  for (
    const [overrides, field, where] of [
      [{ tenant_id: "acme\ud800" }, "tenant_id", "tenant_id"],
      [{ capability_id: "\udc00cap" }, "capability_id", "capability_id"],
      [{ policy_version: "v\ud800" }, "policy_version", "policy_version"],
      [{ task_id: "\ud800" }, "task_id", "task_id"],
      [{ parent_decision_id: "p\udfff" }, "parent_decision_id", "parent_decision_id"],
      // Inside request (and the other objects), the field is the offending value's path.
      [{ request: { notes: ["ok", "x\ud800"] } }, "request.notes[1]", "request.notes[1]"],
      [{ request: { ["k\udc00"]: 1 } }, 'request["k\\udc00"]', 'request["k\\udc00"]'],
      [{ privilege_context: { a: "\ud800" } }, "privilege_context.a", "privilege_context.a"],
    ] as const
  ) {
    const { d, events } = decide(input(overrides));
    const r = d.deny_reason_if_denied;
    assert.equal(r?.code, "DENY_INVALID_INPUT", field);
    assert.deepEqual(r?.fields, [field]);
    assert.match(r!.message, /well-formed Unicode/);
    assert.ok(r!.message.includes(where), `${r!.message} names ${where}`);
    // Telemetry never carries the unpaired half (it cannot be written as UTF-8).
    for (const e of events) {
      for (const v of Object.values(e)) {
        if (typeof v === "string") assert.ok(v.isWellFormed(), `${e.event_id}: ${v}`);
      }
    }
  }
  // A proper surrogate pair is ordinary text.
  assert.equal(decide(input({ tenant_id: "acme\u{1F600}" })).d.outcome, "DISPATCH");
});
