// Registry: record validation naming the field, both record-hash recipes, clean re-enrolment,
// availability, revocation, attestation hashes keyed by worker id, and the ban list.
import assert from "node:assert/strict";
import {
  recordHashJcs,
  recordHashPyCompat,
  Registry,
  sha256Hex,
  validateRegistryRecord,
  WcpError,
} from "../../mod.ts";
import { decide, input, rulesOf, worker } from "./_router_helpers.ts";

function rejects(record: unknown, path: string, pattern?: RegExp): void {
  assert.throws(() => new Registry().enroll(record), (e: unknown) => {
    assert.ok(e instanceof WcpError, String(e));
    assert.equal(e.code, "RECORD_INVALID");
    assert.equal(e.path, path, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("registry: a minimal record enrolls with a computed JCS artifact_hash", () => {
  const reg = new Registry();
  const rec = reg.enroll(worker());
  assert.match(rec.artifact_hash!, /^sha256:[0-9a-f]{64}$/);
  assert.equal(rec.artifact_hash, recordHashJcs(rec as Record<string, unknown>));
  assert.equal(reg.size, 1);
  // Re-enrolling the stored record (hash now present) verifies.
  assert.equal(new Registry().enroll(rec).artifact_hash, rec.artifact_hash);
});

Deno.test("registry: artifact_hash is verified under our recipe and the reference's", () => {
  const base = worker({
    notes: "café ✓",
    blast_radius: { data: 1, network: 0, financial: 0, time: 1, reversibility: "reversible" },
  });
  const jcs = recordHashJcs(base);
  const py = recordHashPyCompat(base);
  assert.notEqual(jcs, py, "ASCII escaping makes the two recipes differ here");
  assert.equal(new Registry().enroll({ ...base, artifact_hash: jcs }).artifact_hash, jcs);
  assert.equal(new Registry().enroll({ ...base, artifact_hash: py }).artifact_hash, py);
  const upper = "SHA256:" + py.slice(7).toUpperCase();
  assert.equal(new Registry().enroll({ ...base, artifact_hash: upper }).artifact_hash, py);
  rejects(
    { ...base, artifact_hash: "sha256:" + "0".repeat(64) },
    "artifact_hash",
    /does not match/,
  );
  rejects({ ...base, artifact_hash: "md5:abc" }, "artifact_hash");
  rejects({ ...base, notes: "changed", artifact_hash: jcs }, "artifact_hash");
});

Deno.test("registry: recordHashPyCompat is Python's compact sorted ASCII-escaped dump", () => {
  const rec = {
    worker_id: "org.a.w",
    notes: "café ✓",
    b: [1, 2.5, true, null],
    artifact_hash: "x",
  };
  // json.dumps(rec_without_artifact_hash, sort_keys=True, separators=(",", ":"))
  const python = '{"b":[1,2.5,true,null],"notes":"caf\\u00e9 \\u2713","worker_id":"org.a.w"}';
  assert.equal(recordHashPyCompat(rec), "sha256:" + sha256Hex(python));
});

Deno.test("registry: every invalid field is named in the error path", () => {
  rejects(null, "");
  rejects([worker()], "");
  rejects(worker({ worker_id: undefined }), "worker_id");
  rejects(worker({ worker_id: "acme.summarizer" }), "worker_id", /org\.<name>/);
  rejects(worker({ worker_id: "org.acme" }), "worker_id");
  rejects(worker({ worker_id: "org.Acme.w" }), "worker_id");
  rejects(worker({ worker_species_id: undefined }), "worker_species_id");
  rejects(worker({ worker_species_id: "cap.doc.summarize" }), "worker_species_id", /wrk\./);
  rejects(worker({ capabilities: [] }), "capabilities");
  rejects(worker({ capabilities: "cap.doc.summarize" }), "capabilities");
  rejects(worker({ capabilities: ["cap.doc.summarize", "Cap.Bad"] }), "capabilities[1]");
  rejects(worker({ capabilities: ["cap.a.b", "cap.a.b"] }), "capabilities[1]", /duplicate/);
  rejects(worker({ risk_tier: "extreme" }), "risk_tier");
  rejects(worker({ owner: 7 }), "owner");
  rejects(worker({ currently_implements: ["INVALID_CONTROL"] }), "currently_implements[0]");
  rejects(worker({ currently_implements: ["../../etc/passwd"] }), "currently_implements[0]");
  rejects(worker({ required_controls: ["ctrl."] }), "required_controls[0]");
  rejects(worker({ allowed_environments: ["dev", "production"] }), "allowed_environments[1]");
  rejects(worker({ privilege_envelope: [] }), "privilege_envelope");
  rejects(
    worker({ blast_radius: { data: 6, network: 0, financial: 0, time: 0, reversibility: 0 } }),
    "blast_radius.data",
  );
  rejects(
    worker({
      blast_radius: { data: 1, network: 0, financial: 0, time: 0, reversibility: "maybe" },
    }),
    "blast_radius.reversibility",
  );
  rejects(worker({ attestation: { code_hash: "sha1:abc" } }), "attestation.code_hash");
  rejects(worker({ attestation: "x" }), "attestation");
  rejects(worker({ status: "paused" }), "status");
  rejects(worker({ public_keys: { k1: 5 } }), "public_keys.k1");
  rejects(worker({ extra: { n: NaN } }), "extra.n", /not a JSON value/);
});

Deno.test("registry: accepted underscore control ids as the reference does; extensions kept", () => {
  const rec = new Registry().enroll(
    worker({ currently_implements: ["ctrl.obs.audit_log_append_only"], x_vendor: { tier: 2 } }),
  );
  assert.deepEqual(rec.currently_implements, ["ctrl.obs.audit_log_append_only"]);
  assert.deepEqual(rec.x_vendor, { tier: 2 });
  assert.ok(validateRegistryRecord(worker({ worker_id: "x.alice.echo" })));
});

Deno.test("registry: attestation code_hash normalised and keyed by worker_id, not species", () => {
  const reg = new Registry();
  reg.enroll(worker({ worker_id: "org.acme.w1", attestation: { code_hash: "AB".repeat(32) } }));
  reg.enroll(
    worker({ worker_id: "x.bob.w1", attestation: { code_hash: "sha256:" + "cd".repeat(32) } }),
  );
  assert.equal(reg.registeredHash("org.acme.w1"), "sha256:" + "ab".repeat(32));
  assert.equal(reg.registeredHash("x.bob.w1"), "sha256:" + "cd".repeat(32));
  assert.equal(reg.registeredHash("wrk.doc.summarizer"), null);
  assert.equal(reg.get("org.acme.w1")!.attestation!.code_hash, "sha256:" + "ab".repeat(32));
});

Deno.test("registry: re-enrolment replaces species, capabilities, controls and hash (B-24)", () => {
  const reg = new Registry();
  reg.enroll(worker({ attestation: { code_hash: "ab".repeat(32) } }));
  reg.setAvailable("org.acme.summarizer.1", false);
  reg.enroll(worker({
    worker_species_id: "wrk.doc.translator",
    capabilities: ["cap.doc.translate"],
    currently_implements: [],
  }));
  assert.equal(reg.size, 1);
  assert.equal(reg.workersForSpecies("wrk.doc.summarizer").length, 0);
  assert.equal(reg.workersForSpecies("wrk.doc.translator").length, 1);
  assert.deepEqual(reg.capabilities(), ["cap.doc.translate"]);
  assert.equal(reg.controlsPresent().size, 0);
  assert.equal(reg.registeredHash("org.acme.summarizer.1"), null);
  assert.equal(reg.isAvailable("org.acme.summarizer.1"), false, "availability is kept");
  assert.deepEqual(reg.workersForCapability("cap.doc.summarize"), []);
});

Deno.test("registry: stored records are detached from the caller and from readers", () => {
  const reg = new Registry();
  const rec = worker();
  reg.enroll(rec);
  (rec.capabilities as string[]).push("cap.evil.thing");
  reg.get("org.acme.summarizer.1")!.capabilities.push("cap.evil.other");
  reg.workers()[0].capabilities.push("cap.evil.third");
  assert.deepEqual(reg.get("org.acme.summarizer.1")!.capabilities, ["cap.doc.summarize"]);
});

Deno.test("registry: availability, revocation and removal", () => {
  const reg = new Registry();
  reg.enroll(worker());
  assert.equal(reg.isAvailable("org.acme.summarizer.1"), true);
  assert.throws(
    () => reg.setAvailable("org.nobody.w", true),
    (e: unknown) => e instanceof WcpError && e.code === "WORKER_UNKNOWN",
  );
  assert.equal(reg.revoke("org.nobody.w"), false);
  assert.equal(reg.revoke("org.acme.summarizer.1"), true);
  assert.equal(reg.isAvailable("org.acme.summarizer.1"), false);
  assert.equal(reg.controlsPresent().size, 0, "a revoked worker's controls no longer count");
  assert.equal(reg.remove("org.acme.summarizer.1"), true);
  assert.equal(reg.remove("org.acme.summarizer.1"), false);
  assert.equal(reg.size, 0);
});

Deno.test("registry: the router skips unavailable and revoked workers and tries the next", () => {
  const reg = new Registry();
  reg.enroll(worker({ worker_id: "org.acme.a" }));
  reg.enroll(worker({ worker_id: "org.acme.b" }));
  reg.enroll(worker({ worker_id: "org.acme.c" }));
  reg.setAvailable("org.acme.a", false);
  reg.revoke("org.acme.b");
  const { d } = decide(input(), { registry: reg, rules: rulesOf() });
  assert.equal(d.selected_worker_id, "org.acme.c");
  assert.deepEqual(d.candidate_workers_ranked.map((c) => [c.worker_id, c.skip_reason]), [
    ["org.acme.a", "unavailable"],
    ["org.acme.b", "revoked"],
    ["org.acme.c", null],
  ]);
});

Deno.test("registry: ban list normalises, lists, unbans and validates", () => {
  const reg = new Registry();
  assert.equal(reg.hasBans(), false);
  reg.ban({
    sha256: "EF".repeat(32),
    reason: "cryptominer",
    reported_at: "2026-11-01T00:00:00.000Z",
    source: "feed",
  });
  assert.equal(reg.isBanned("ef".repeat(32)), true);
  assert.equal(reg.isBanned("sha256:" + "EF".repeat(32)), true);
  assert.equal(reg.isBanned("not a hash"), false);
  assert.deepEqual(reg.banList(), [{
    sha256: "sha256:" + "ef".repeat(32),
    reason: "cryptominer",
    reported_at: "2026-11-01T00:00:00.000Z",
    source: "feed",
  }]);
  assert.equal(reg.unban("sha256:" + "ef".repeat(32)), true);
  assert.equal(reg.isBanned("ef".repeat(32)), false);
  assert.throws(
    () => reg.ban({ sha256: "nope", reason: "x", reported_at: "t" }),
    (e: unknown) => e instanceof WcpError && e.code === "BAN_INVALID" && e.path === "sha256",
  );
  assert.throws(
    () => reg.ban({ sha256: "ab".repeat(32), reason: 5 as unknown as string, reported_at: "t" }),
    (e: unknown) => e instanceof WcpError && e.path === "reason",
  );
});

Deno.test("registry: a banned current hash is refused even without attestation (README 12)", () => {
  const reg = new Registry();
  reg.enroll(worker({ worker_id: "org.acme.a" }));
  reg.enroll(worker({ worker_id: "org.acme.b" }));
  reg.ban({
    sha256: "66".repeat(32),
    reason: "known bad",
    reported_at: "2026-11-01T00:00:00.000Z",
  });
  const current = (id: string) => (id === "org.acme.a" ? "66".repeat(32) : "77".repeat(32));
  const { d } = decide(input(), { registry: reg, currentWorkerHash: current });
  assert.equal(d.selected_worker_id, "org.acme.b");
  assert.equal(d.candidate_workers_ranked[0].skip_reason, "banned");
});

Deno.test("registry: version grows on every change and only then", () => {
  const reg = new Registry();
  const seen = [reg.version];
  reg.enroll(worker());
  seen.push(reg.version);
  reg.setAvailable("org.acme.summarizer.1", false);
  seen.push(reg.version);
  reg.ban({ sha256: "ab".repeat(32), reason: "x", reported_at: "2026-01-01T00:00:00.000Z" });
  seen.push(reg.version);
  reg.unban("ab".repeat(32));
  seen.push(reg.version);
  reg.revoke("org.acme.summarizer.1");
  seen.push(reg.version);
  reg.remove("org.acme.summarizer.1");
  seen.push(reg.version);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `change ${i}`);
  const v = reg.version;
  reg.isBanned("ab".repeat(32));
  reg.controlsPresent();
  reg.remove("org.none.x");
  reg.unban("cd".repeat(32));
  assert.equal(reg.version, v, "reads and no-op changes keep the version");
});
