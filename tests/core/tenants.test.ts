// Tenant-bound workers (spec README decision 18), the library part: the `tenants` field of a
// registry record, `servesTenant`, and the `tenant_not_served` skip at worker selection.
import assert from "node:assert/strict";
import { Registry, servesTenant, validateRegistryRecord, WcpError } from "../../mod.ts";
import { decide, input, registryWith, rulesOf, worker } from "./_router_helpers.ts";

function rejects(record: unknown, path: string, message?: RegExp): void {
  assert.throws(
    () => validateRegistryRecord(record),
    (e: unknown) => {
      assert.ok(e instanceof WcpError, String(e));
      assert.equal(e.code, "RECORD_INVALID");
      assert.equal(e.path, path, e.message);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

Deno.test('tenants: a record\'s tenants must be a non-empty list of distinct ids, or ["*"]', () => {
  rejects(worker({ tenants: "acme" }), "tenants", /non-empty array/);
  rejects(worker({ tenants: null }), "tenants");
  rejects(worker({ tenants: {} }), "tenants");
  rejects(worker({ tenants: [] }), "tenants", /at least one/);
  rejects(worker({ tenants: ["acme", 5] }), "tenants[1]", /tenant id string/);
  rejects(worker({ tenants: ["acme", ""] }), "tenants[1]", /non-empty/);
  rejects(worker({ tenants: [" \t"] }), "tenants[0]", /whitespace/);
  rejects(worker({ tenants: ["acme", "acme"] }), "tenants[1]", /duplicate/);
  rejects(worker({ tenants: ["acme", "*"] }), "tenants[1]", /only entry/);
  rejects(worker({ tenants: ["*", "acme"] }), "tenants[0]", /only entry/);
  rejects(worker({ tenants: ["a".repeat(257)] }), "tenants[0]", /at most 256/);
  rejects(worker({ tenants: ["ac\ud800me"] }), "tenants[0]", /well-formed/);
  // Accepted forms are stored as given.
  assert.deepEqual(validateRegistryRecord(worker({ tenants: ["*"] })).tenants, ["*"]);
  assert.deepEqual(
    validateRegistryRecord(worker({ tenants: ["acme", "beta"] })).tenants,
    ["acme", "beta"],
  );
  assert.equal(validateRegistryRecord(worker()).tenants, undefined);
  // The registry refuses the same records at enrolment.
  assert.throws(() => new Registry().enroll(worker({ tenants: [] })), /tenants/);
});

Deno.test('tenants: servesTenant: absent and ["*"] serve everyone; a list, exactly; junk, nobody', () => {
  assert.equal(servesTenant({}, "acme"), true);
  assert.equal(servesTenant({ tenants: ["*"] }, "anyone"), true);
  assert.equal(servesTenant({ tenants: ["acme", "beta"] }, "beta"), true);
  assert.equal(servesTenant({ tenants: ["acme"] }, "Acme"), false, "case-sensitive");
  assert.equal(servesTenant({ tenants: ["acme"] }, "acme "), false);
  assert.equal(servesTenant({ tenants: "acme" }, "acme"), false, "not an array: fail closed");
  assert.equal(servesTenant({ tenants: null }, "acme"), false);
});

Deno.test("tenants: a worker of another tenant is passed over, unlisted, and the next tried", () => {
  const registry = registryWith(
    worker({ worker_id: "org.beta.summarizer.1", tenants: ["beta"] }),
    worker({ worker_id: "org.acme.summarizer.1", tenants: ["acme"] }),
  );
  const { d } = decide(input({ tenant_id: "acme" }), { registry });
  assert.equal(d.outcome, "DISPATCH");
  assert.equal(d.selected_worker_id, "org.acme.summarizer.1");
  // Only the workers the tenant may use are listed (the registry's tenant index): another
  // tenant's worker is neither named nor counted.
  assert.deepEqual(
    d.candidate_workers_ranked.map((c) => [c.worker_id, c.skip_reason]),
    [["org.acme.summarizer.1", null]],
  );
  assert.ok(!JSON.stringify(d).includes("org.beta"), "nothing about beta's worker leaks");
  const beta = decide(input({ tenant_id: "beta" }), { registry }).d;
  assert.equal(beta.selected_worker_id, "org.beta.summarizer.1");
});

Deno.test("tenants: no worker serving the tenant denies DENY_NO_AVAILABLE_WORKER", () => {
  const registry = registryWith(worker({ tenants: ["beta", "gamma"] }));
  const { d } = decide(input({ tenant_id: "acme" }), { registry });
  assert.equal(d.outcome, "DENY");
  assert.equal(d.deny_reason_if_denied?.code, "DENY_NO_AVAILABLE_WORKER");
  assert.deepEqual(d.candidate_workers_ranked, [{
    worker_species_id: "wrk.doc.summarizer",
    score_hint: 1,
    worker_id: null,
    skip_reason: "tenant_not_served",
  }]);
  // Served by "*" and by a record without tenants.
  for (const tenants of [["*"], undefined]) {
    const reg = registryWith(worker(tenants ? { tenants } : {}));
    assert.equal(decide(input({ tenant_id: "acme" }), { registry: reg }).d.outcome, "DISPATCH");
  }
});

Deno.test("tenants: a revoked or banned worker of another tenant is reported only as not served", () => {
  const registry = registryWith(
    worker({
      worker_id: "org.beta.summarizer.1",
      tenants: ["beta"],
      attestation: { code_hash: "ab".repeat(32) },
    }),
  );
  registry.revoke("org.beta.summarizer.1");
  registry.ban({ sha256: "ab".repeat(32), reason: "x", reported_at: "2026-01-01T00:00:00.000Z" });
  const { d, events } = decide(input({ tenant_id: "acme" }), {
    registry,
    rules: rulesOf(),
  });
  assert.equal(d.deny_reason_if_denied?.code, "DENY_NO_AVAILABLE_WORKER");
  assert.equal(d.candidate_workers_ranked[0].skip_reason, "tenant_not_served");
  assert.ok(!JSON.stringify(events).includes("org.beta"), "no worker-flagged event about it");
});

Deno.test("tenants: the listing does not grow with other tenants' workers", () => {
  // 300 workers of the routed species bound to other tenants, before, between and after the two
  // the tenant may use (one of them unavailable).
  const others = (from: number) =>
    Array.from(
      { length: 100 },
      (_, i) => worker({ worker_id: `org.t${from + i}.summarizer`, tenants: [`t${from + i}`] }),
    );
  const registry = registryWith(
    ...others(0),
    worker({ worker_id: "org.acme.summarizer.1", tenants: ["acme", "t5"] }),
    ...others(100),
    worker({ worker_id: "org.demo.summarizer" }),
    ...others(200),
  );
  registry.setAvailable("org.acme.summarizer.1", false);
  const { d, events } = decide(input({ tenant_id: "acme" }), { registry });
  assert.equal(d.selected_worker_id, "org.demo.summarizer");
  assert.deepEqual(
    d.candidate_workers_ranked.map((c) => [c.worker_id, c.skip_reason]),
    [["org.acme.summarizer.1", "unavailable"], ["org.demo.summarizer", null]],
  );
  assert.ok(!/org\.t\d/.test(JSON.stringify({ d, events })), "no other tenant's id anywhere");
  // None of them serving the tenant: one entry for the species, not 300.
  const none = registryWith(...others(0), ...others(100), ...others(200));
  const denied = decide(input({ tenant_id: "acme" }), { registry: none }).d;
  assert.equal(denied.deny_reason_if_denied?.code, "DENY_NO_AVAILABLE_WORKER");
  assert.deepEqual(denied.candidate_workers_ranked, [{
    worker_species_id: "wrk.doc.summarizer",
    score_hint: 1,
    worker_id: null,
    skip_reason: "tenant_not_served",
  }]);
  // A species with no worker at all is still "unavailable".
  const empty = decide(input({ tenant_id: "acme" }), { registry: new Registry() }).d;
  assert.equal(empty.candidate_workers_ranked[0].skip_reason, "unavailable");
});
