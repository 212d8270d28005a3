import assert from "node:assert/strict";
import { checkHallCompliance, checkWorkerCompliance, DEFAULT_HALL_CONFIG } from "../../mod.ts";

const basic = {
  worker_id: "org.acme.sum.1",
  worker_species_id: "wrk.doc.summarizer",
  capabilities: ["cap.doc.summarize"],
  risk_tier: "low",
};
const standard = {
  ...basic,
  required_controls: ["ctrl.obs.audit-log-append-only"],
  currently_implements: ["ctrl.obs.audit-log-append-only", "ctrl.pol.default-deny"],
  allowed_environments: ["dev", "prod"],
};
const full = {
  ...standard,
  blast_radius: { data: 1, network: 0, financial: 0, time: 1, reversibility: "reversible" },
  privilege_envelope: { secrets_access: [], network_egress: [], filesystem_writes: [], tools: [] },
  idempotency: "idempotent",
  artifact_hash: "sha256:" + "a".repeat(64),
};

Deno.test("worker compliance climbs Basic -> Standard -> Full with each level's fields", () => {
  assert.equal(checkWorkerCompliance({}).achieved_level, "none");
  assert.equal(checkWorkerCompliance(basic).achieved_level, "WCP-Basic");
  assert.equal(checkWorkerCompliance(standard).achieved_level, "WCP-Standard");
  const r = checkWorkerCompliance(full);
  assert.equal(r.achieved_level, "WCP-Full");
  assert.deepEqual(r.gaps, []);
  assert.equal(r.worker_id, "org.acme.sum.1");
});

Deno.test("control matching is exact: the reference's loose substrings do not count", () => {
  // The reference accepts ctrl.identity.secrets_deny_default as "default deny" (substring).
  const loose = {
    ...standard,
    currently_implements: ["ctrl.obs.audit-log-append-only", "ctrl.identity.secrets_deny_default"],
  };
  const r = checkWorkerCompliance(loose);
  assert.equal(r.achieved_level, "WCP-Basic");
  assert.ok(r.gaps.some((g) => g.startsWith("standard: a default-deny control is declared")));
  // both spellings of the real ids are accepted
  const underscore = {
    ...standard,
    currently_implements: ["ctrl.obs.audit_log_append_only", "ctrl.pol.default_deny"],
  };
  assert.equal(checkWorkerCompliance(underscore).achieved_level, "WCP-Standard");
});

Deno.test("Full accepts the evidence-receipt control instead of an artifact_hash; lists dims", () => {
  const { artifact_hash: _, ...noHash } = full;
  assert.equal(checkWorkerCompliance(noHash).achieved_level, "WCP-Standard");
  const withReceipts = {
    ...noHash,
    currently_implements: [...standard.currently_implements, "ctrl.gov.evidence-receipt"],
  };
  assert.equal(checkWorkerCompliance(withReceipts).achieved_level, "WCP-Full");
  const r = checkWorkerCompliance({ ...full, blast_radius: { data: 1 } });
  assert.ok(r.gaps.includes(
    "full: blast_radius declares all five dimensions (missing network, financial, time, reversibility)",
  ));
});

Deno.test("non-object and wrongly typed records fail closed, never throw", () => {
  for (const bad of [null, 42, "x", [], { worker_id: 7, capabilities: "cap.doc.summarize" }]) {
    const r = checkWorkerCompliance(bad);
    assert.equal(r.achieved_level, "none");
  }
  assert.equal(checkWorkerCompliance({ ...basic, capabilities: [] }).achieved_level, "none");
});

Deno.test("hall compliance: defaults with rules are Standard; Full needs every safeguard", () => {
  assert.equal(checkHallCompliance({}).achieved_level, "none");
  const std = checkHallCompliance({ rules: "rules.json" });
  assert.equal(std.achieved_level, "WCP-Standard");
  assert.deepEqual(std.gaps, [
    "full: privilege envelopes are enforced (enforce_privilege_envelopes)",
    "full: a policy gate is configured (policy_gate)",
    "full: only signatory tenants are served (require_signatory, allowed_tenants)",
    "full: worker code attestation is required (require_worker_attestation)",
  ]);
  const fullDoc = {
    rules: { rules: [{ rule_id: "r" }] },
    policy_gate: "gate.ts",
    hall_config: {
      ...DEFAULT_HALL_CONFIG,
      enforce_privilege_envelopes: true,
      require_signatory: true,
      allowed_tenants: ["acme"],
      require_worker_attestation: true,
    },
  };
  assert.equal(checkHallCompliance(fullDoc).achieved_level, "WCP-Full");
  assert.equal(
    checkHallCompliance({
      ...fullDoc,
      hall_config: { ...fullDoc.hall_config, allowed_tenants: [] },
    })
      .achieved_level,
    "WCP-Standard",
  );
  assert.equal(checkHallCompliance({ ...fullDoc, telemetry: false }).achieved_level, "WCP-Basic");
  assert.equal(
    checkHallCompliance({ rules: "r.json", enforce_correlation_id: false }).achieved_level,
    "none",
  );
});
