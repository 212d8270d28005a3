import assert from "node:assert/strict";
import { DEFAULT_HALL_CONFIG, validateHallConfig, WcpError } from "../../mod.ts";

function rejects(value: unknown, path: string, message: RegExp): void {
  assert.throws(() => validateHallConfig(value), (e: unknown) => {
    assert.ok(e instanceof WcpError, `expected WcpError, got ${e}`);
    assert.equal(e.code, "CONFIG_INVALID");
    assert.equal(e.path, path);
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("validateHallConfig: undefined and {} give the defaults, as fresh copies", () => {
  for (const v of [undefined, {}]) {
    const c = validateHallConfig(v);
    assert.deepEqual(c, { ...DEFAULT_HALL_CONFIG });
    c.allowed_tenants.push("x");
    assert.deepEqual(DEFAULT_HALL_CONFIG.allowed_tenants, []);
  }
});

Deno.test("validateHallConfig: given fields override the defaults, the rest are filled", () => {
  const tenants = ["acme", "globex"];
  const c = validateHallConfig({
    require_signatory: true,
    allowed_tenants: tenants,
    blast_gate_threshold: 0,
    approval_ttl_seconds: 0.5,
    approvals_enabled: false,
    default_supervisor_level: "incident_commander",
    egress_allowlist: { prod: ["api.acme.example"], dev: [] },
  });
  assert.equal(c.require_signatory, true);
  assert.deepEqual(c.allowed_tenants, tenants);
  assert.notEqual(c.allowed_tenants, tenants); // copied, not aliased
  assert.equal(c.blast_gate_threshold, 0);
  assert.equal(c.approval_ttl_seconds, 0.5);
  assert.equal(c.approvals_enabled, false);
  assert.equal(c.default_supervisor_level, "incident_commander");
  assert.deepEqual(c.egress_allowlist, { prod: ["api.acme.example"], dev: [] });
  assert.equal(c.enforce_correlation_id, true);
  assert.equal(c.redact_tenant_in_prod, false);
  assert.equal(validateHallConfig({ blast_gate_threshold: 100 }).blast_gate_threshold, 100);
});

Deno.test("validateHallConfig: an unknown key is refused with the nearest known key", () => {
  rejects({ require_signatry: true }, "require_signatry", /did you mean "require_signatory"\?/);
  rejects({ requre_signatory: true }, "requre_signatory", /did you mean "require_signatory"\?/);
  rejects({ approval_ttl: 60 }, "approval_ttl", /did you mean "approval_ttl_seconds"\?/);
  rejects({ Blast_Gate_Threshold: 50 }, "Blast_Gate_Threshold", /"blast_gate_threshold"/);
  rejects({ zzz: 1 }, "zzz", /unknown key; known keys: require_signatory, .*egress_allowlist/);
});

Deno.test("validateHallConfig: wrong types are refused, naming the key", () => {
  rejects(null, "", /must be an object, got null/);
  rejects([], "", /must be an object, got an array/);
  rejects("yes", "", /must be an object/);
  for (
    const k of [
      "require_signatory",
      "require_worker_attestation",
      "enforce_correlation_id",
      "enforce_required_controls",
      "enforce_blast_scoring_in_prod",
      "enforce_privilege_envelopes",
      "approvals_enabled",
      "redact_tenant_in_prod",
    ]
  ) {
    rejects({ [k]: "true" }, k, /must be a boolean \(true or false\), got the string "true"/);
    rejects({ [k]: 1 }, k, /must be a boolean \(true or false\), got number 1/);
  }
  rejects({ allowed_tenants: "acme" }, "allowed_tenants", /must be an array of tenant ids/);
  rejects({ blast_gate_threshold: "85" }, "blast_gate_threshold", /from 0 to 100/);
  rejects({ approval_ttl_seconds: "900" }, "approval_ttl_seconds", /> 0/);
  rejects({ egress_allowlist: ["x"] }, "egress_allowlist", /object of env/);
});

Deno.test("validateHallConfig: tenants must be non-empty strings", () => {
  rejects({ allowed_tenants: ["acme", 7] }, "allowed_tenants[1]", /non-empty string, got number 7/);
  rejects({ allowed_tenants: ["acme", null] }, "allowed_tenants[1]", /got null/);
  rejects({ allowed_tenants: [""] }, "allowed_tenants[0]", /non-empty string/);
});

Deno.test("validateHallConfig: bad enum values are refused", () => {
  rejects(
    { default_supervisor_level: "boss" },
    "default_supervisor_level",
    /one of advisory, gatekeeper, executor, incident_commander, got the string "boss"/,
  );
  rejects({ egress_allowlist: { prd: ["x"] } }, "egress_allowlist.prd", /did you mean "prod"/);
  rejects({ egress_allowlist: { mars: [] } }, "egress_allowlist.mars", /dev, stage, prod, edge/);
  rejects({ egress_allowlist: { prod: [1] } }, "egress_allowlist.prod[0]", /non-empty string/);
  rejects({ egress_allowlist: { prod: "x" } }, "egress_allowlist.prod", /array of destinations/);
});

Deno.test("validateHallConfig: out-of-range numbers are refused", () => {
  for (const th of [-1, 100.5, 101, NaN, Infinity]) {
    rejects({ blast_gate_threshold: th }, "blast_gate_threshold", /from 0 to 100/);
  }
  for (const ttl of [0, -5, NaN, Infinity, 31_536_001]) {
    rejects({ approval_ttl_seconds: ttl }, "approval_ttl_seconds", /> 0 and <= 31536000/);
  }
});
