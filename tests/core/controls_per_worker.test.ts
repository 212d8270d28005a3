// Controls belong to the worker that runs (spec README decision 17): a rule's required controls
// are met by a candidate only through its own currently_implements or the hall's
// hall_provided_controls; the decision's controls_verified says which really apply.
import assert from "node:assert/strict";
import { DEFAULT_HALL_CONFIG, parseRules, validateHallConfig, WcpError } from "../../mod.ts";
import { decide, input, registryWith, worker } from "./_router_helpers.ts";

const AUDIT = "ctrl.obs.audit-log-append-only";
const PII = "ctrl.privacy.pii-redaction";

function rules(
  required: string[],
  species = ["wrk.doc.summarizer"],
  extra: Record<string, unknown> = {},
) {
  return parseRules([{
    rule_id: "r-sum",
    match: { capability_id: "cap.doc.summarize" },
    decision: {
      candidate_workers_ranked: species.map((s) => ({ worker_species_id: s })),
      required_controls_suggested: required,
      ...extra,
    },
  }]);
}

// A record that merely declares the control, of a species no rule routes to.
const decoy = worker({
  worker_id: "x.mallory.decoy",
  worker_species_id: "wrk.misc.decoy",
  capabilities: ["cap.misc.nothing"],
  currently_implements: [AUDIT],
});

Deno.test("controls: another worker's declaration never unlocks a control (the attack)", () => {
  const registry = registryWith(worker({ currently_implements: [] }), decoy);
  const { d } = decide(input(), { rules: rules([AUDIT]), registry });
  assert.equal(d.outcome, "DENY");
  assert.equal(d.deny_reason_if_denied?.code, "DENY_MISSING_REQUIRED_CONTROLS");
  assert.deepEqual(d.deny_reason_if_denied?.missing, [AUDIT]);
  assert.equal(d.selected_worker_id, null);
  assert.deepEqual(d.controls_verified, []);
  // Nor does a worker of the rule's own species that is revoked, unavailable or env-bound.
  for (const fix of ["revoke", "unavailable", "env"] as const) {
    const other = worker({
      worker_id: "org.acme.summarizer.2",
      currently_implements: [AUDIT],
      ...(fix === "env" ? { allowed_environments: ["prod"] } : {}),
    });
    const reg = registryWith(worker({ currently_implements: [] }), other);
    if (fix === "revoke") reg.revoke("org.acme.summarizer.2");
    if (fix === "unavailable") reg.setAvailable("org.acme.summarizer.2", false);
    const r = decide(input(), { rules: rules([AUDIT]), registry: reg }).d;
    assert.equal(r.deny_reason_if_denied?.code, "DENY_MISSING_REQUIRED_CONTROLS", fix);
  }
});

Deno.test("controls: a worker of another tenant that has the control does not count", () => {
  const registry = registryWith(
    worker({
      worker_id: "org.beta.summarizer.1",
      tenants: ["beta"],
      currently_implements: [AUDIT],
    }),
    worker({ currently_implements: [] }),
  );
  const { d } = decide(input({ tenant_id: "acme" }), { rules: rules([AUDIT]), registry });
  assert.equal(d.deny_reason_if_denied?.code, "DENY_MISSING_REQUIRED_CONTROLS");
  assert.ok(!JSON.stringify(d).includes("org.beta"));
  const beta = decide(input({ tenant_id: "beta" }), { rules: rules([AUDIT]), registry }).d;
  assert.equal(beta.selected_worker_id, "org.beta.summarizer.1");
});

Deno.test("controls: a candidate that lacks one is skipped (missing_controls) and the next tried", () => {
  const registry = registryWith(
    worker({ currently_implements: [AUDIT] }),
    worker({
      worker_id: "org.acme.lite.1",
      worker_species_id: "wrk.doc.summarizer-lite",
      currently_implements: [AUDIT, PII, "ctrl.obs.extra"],
    }),
  );
  const { d } = decide(input(), {
    rules: rules([AUDIT, PII], ["wrk.doc.summarizer", "wrk.doc.summarizer-lite"]),
    registry,
  });
  assert.equal(d.outcome, "DISPATCH");
  assert.equal(d.selected_worker_id, "org.acme.lite.1");
  assert.deepEqual(d.candidate_workers_ranked, [
    {
      worker_species_id: "wrk.doc.summarizer",
      score_hint: null,
      worker_id: "org.acme.summarizer.1",
      skip_reason: "missing_controls",
      missing_controls: [PII],
    },
    {
      worker_species_id: "wrk.doc.summarizer-lite",
      score_hint: null,
      worker_id: "org.acme.lite.1",
      skip_reason: null,
    },
  ]);
  // Only the required controls, and only those that apply: never the worker's other ones.
  assert.deepEqual(d.controls_verified, [AUDIT, PII]);
  assert.deepEqual(d.required_controls_effective, [AUDIT, PII]);
});

Deno.test("controls: missing lists what the eligible candidates lack, united", () => {
  const registry = registryWith(
    worker({ currently_implements: [AUDIT] }),
    worker({
      worker_id: "org.acme.lite.1",
      worker_species_id: "wrk.doc.summarizer-lite",
      currently_implements: [PII],
    }),
  );
  const { d } = decide(input(), {
    rules: rules(
      [AUDIT, PII, "ctrl.pol.default-deny"],
      ["wrk.doc.summarizer", "wrk.doc.summarizer-lite"],
    ),
    registry,
  });
  assert.equal(d.deny_reason_if_denied?.code, "DENY_MISSING_REQUIRED_CONTROLS");
  assert.deepEqual(d.deny_reason_if_denied?.missing, [AUDIT, "ctrl.pol.default-deny", PII]);
  // With no worker at all, every control the hall does not provide is missing.
  const none = decide(input(), {
    rules: rules([AUDIT, PII]),
    registry: registryWith(decoy),
    config: { hall_provided_controls: [PII] },
  }).d;
  assert.deepEqual(none.deny_reason_if_denied?.missing, [AUDIT]);
});

Deno.test("controls: the hall's own controls count for every candidate", () => {
  const registry = registryWith(worker({ currently_implements: [PII] }), decoy);
  const { d } = decide(input(), {
    rules: rules([AUDIT, PII]),
    registry,
    config: { hall_provided_controls: [AUDIT] },
  });
  assert.equal(d.outcome, "DISPATCH");
  assert.deepEqual(d.controls_verified, [AUDIT, PII], "the worker's own plus the hall's");
  // The hall providing all of them passes the step even for a worker that declares none.
  const bare = decide(input(), {
    rules: rules([AUDIT]),
    registry: registryWith(worker({ currently_implements: undefined })),
    config: { hall_provided_controls: [AUDIT, "ctrl.obs.other"] },
  }).d;
  assert.equal(bare.outcome, "DISPATCH");
  assert.deepEqual(bare.controls_verified, [AUDIT], "restricted to what the rule required");
});

Deno.test("controls: unenforced controls dispatch but controls_verified claims only what holds", () => {
  const registry = registryWith(worker({ currently_implements: [] }), decoy);
  const { d } = decide(input(), {
    rules: rules([AUDIT], ["wrk.doc.summarizer"], {
      preconditions: { deny_if_missing_required_controls: false },
    }),
    registry,
    config: { enforce_required_controls: false },
  });
  assert.equal(d.outcome, "DISPATCH");
  assert.deepEqual(d.required_controls_effective, [AUDIT]);
  assert.deepEqual(d.controls_verified, []);
  assert.equal(d.candidate_workers_ranked[0].skip_reason, null);
});

Deno.test("controls: the control-meeting candidate banned: DENY_WORKER_BANNED, the other skipped", () => {
  const hash = "cd".repeat(32);
  const registry = registryWith(
    worker({ currently_implements: [] }),
    worker({
      worker_id: "org.acme.summarizer.2",
      currently_implements: [AUDIT],
      attestation: { code_hash: hash },
    }),
  );
  registry.ban({ sha256: hash, reason: "x", reported_at: "2026-01-01T00:00:00.000Z" });
  const { d } = decide(input(), { rules: rules([AUDIT]), registry });
  assert.equal(d.deny_reason_if_denied?.code, "DENY_WORKER_BANNED");
});

Deno.test("controls: a dispatched decision with no required controls verifies none", () => {
  const { d } = decide(input(), { rules: rules([]) });
  assert.equal(d.outcome, "DISPATCH");
  assert.deepEqual(d.controls_verified, []);
});

Deno.test("config: hall_provided_controls is a list of distinct ctrl.* ids, default []", () => {
  assert.deepEqual(DEFAULT_HALL_CONFIG.hall_provided_controls, []);
  const given = [AUDIT];
  const c = validateHallConfig({ hall_provided_controls: given });
  assert.deepEqual(c.hall_provided_controls, [AUDIT]);
  assert.notEqual(c.hall_provided_controls, given, "copied");
  const bad: [unknown, string, RegExp][] = [
    ["ctrl.obs.x", "hall_provided_controls", /array of ctrl\.\* ids/],
    [[AUDIT, 5], "hall_provided_controls[1]", /ctrl\.\* id/],
    [["obs.audit"], "hall_provided_controls[0]", /ctrl\.\* id/],
    [["ctrl"], "hall_provided_controls[0]", /ctrl\.\* id/],
    [["ctrl.Obs.x"], "hall_provided_controls[0]", /ctrl\.\* id/],
    [[AUDIT, AUDIT], "hall_provided_controls[1]", /duplicate/],
  ];
  for (const [v, path, msg] of bad) {
    assert.throws(() => validateHallConfig({ hall_provided_controls: v }), (e: unknown) => {
      assert.ok(e instanceof WcpError);
      assert.equal(e.code, "CONFIG_INVALID");
      assert.equal(e.path, path);
      assert.match(e.message, msg);
      return true;
    });
  }
  // In a decision, a bad list denies naming it.
  const d = decide(input(), { config: { hall_provided_controls: ["nope"] } }).d;
  assert.equal(d.deny_reason_if_denied?.code, "DENY_INTERNAL_ERROR");
  assert.match(d.deny_reason_if_denied!.message, /config\.hall_provided_controls\[0\]/);
});

Deno.test("config: a hall_provided_controls list changed in place is read again", () => {
  const registry = registryWith(worker({ currently_implements: [] }));
  const config = { hall_provided_controls: [AUDIT] };
  assert.equal(decide(input(), { rules: rules([AUDIT]), registry, config }).d.outcome, "DISPATCH");
  config.hall_provided_controls.pop();
  const d = decide(input(), { rules: rules([AUDIT]), registry, config }).d;
  assert.equal(d.deny_reason_if_denied?.code, "DENY_MISSING_REQUIRED_CONTROLS");
});
