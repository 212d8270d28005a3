// The registry's tenant index (issue 14): `workersForTenant(species, tenant)` is exactly the
// species' workers that `servesTenant` accepts, in the species' order, after any random sequence
// of enrolments (tenants and species changed by re-enrolment), revocations, removals,
// availability changes and bans; and a decision routed through the index is the decision routed
// through a plain filter over every worker (a registry-like object without the index, which the
// router reads by filtering its species lists).
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  makeDecision,
  parseRules,
  Registry,
  type RegistryRecord,
  servesTenant,
  type TelemetryEvent,
  validateRegistryRecord,
} from "../../mod.ts";
import { ids, input, NOW } from "./_router_helpers.ts";
import {
  apply,
  CAPS,
  CONTROLS,
  HASHES,
  type Model,
  opArb as registryOpArb,
  recordArb,
  SPECIES,
} from "./_registry_ops.ts";

const TENANTS = ["acme", "beta", "gamma", "delta", "t1", "t2", "t3", "t4"];
// Tenants a request may come from: bound ones, one no record names, and "*" itself (a request
// from tenant "*" is served only by workers that serve everyone).
const REQUEST_TENANTS = ["acme", "beta", "gamma", "t4", "zeta", "*"];
const WORKER_IDS = Array.from({ length: 16 }, (_, i) => `org.idx.w${i}`);

const RULES = parseRules([
  {
    rule_id: "sum",
    match: { capability_id: "cap.doc.summarize" },
    decision: {
      candidate_workers_ranked: [
        { worker_species_id: "wrk.doc.a" },
        { worker_species_id: "wrk.doc.b" },
      ],
      required_controls_suggested: [CONTROLS[0]],
      max_blast_by_env: { prod: 10 },
      escalation: { policy_gate: false, human_required_default: false, hold_over_cap: true },
    },
  },
  {
    rule_id: "pay",
    match: { capability_id: "cap.fin.pay" },
    decision: {
      candidate_workers_ranked: [
        { worker_species_id: "wrk.fin.c" },
        { worker_species_id: "wrk.doc.a" },
        { worker_species_id: "wrk.doc.b" },
      ],
      required_controls_suggested: CONTROLS,
      max_blast_by_env: { prod: 8, dev: 20 },
      escalation: { policy_gate: false, human_required_default: false },
    },
  },
]);

const tenantsArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(["*"]) },
  {
    weight: 5,
    arbitrary: fc.uniqueArray(fc.constantFrom(...TENANTS), { minLength: 1, maxLength: 3 }),
  },
);

const opArb = registryOpArb({
  workerIds: WORKER_IDS,
  enrollWeight: 6,
  record: (id) => recordArb(id, tenantsArb),
  // A few positions (ties broken by first enrolment), or none (a re-enrolment keeps its place).
  position: () => fc.option(fc.constantFrom("1", "2", "3"), { nil: undefined }),
});

// Every worker of the model, validated, in the registry's order: position, then first enrolment.
function ordered(model: Model): RegistryRecord[] {
  return [...model.workers.values()]
    .map((w, i) => ({ w, i }))
    .sort((a, b) => a.w.position < b.w.position ? -1 : a.w.position > b.w.position ? 1 : a.i - b.i)
    .map(({ w }) => validateRegistryRecord(w.record));
}

// A registry-like object with no tenant index: each species' workers are a filter over all the
// model's workers; availability, hashes and bans from the model too.
function plainRegistry(model: Model): Registry {
  const all = ordered(model);
  const hashOf = (id: string): string | null => {
    const a = model.workers.get(id)?.record.attestation as { code_hash?: string } | undefined;
    return a?.code_hash ?? null;
  };
  const plain = {
    workersForSpecies: (s: string) => all.filter((r) => r.worker_species_id === s),
    isAvailable: (id: string) => {
      const w = model.workers.get(id);
      return w !== undefined && w.available && w.record.status !== "revoked";
    },
    registeredHash: hashOf,
    isBanned: (h: string) => model.bans.has(h.startsWith("sha256:") ? h : "sha256:" + h),
    hasBans: () => model.bans.size > 0,
  };
  return plain as unknown as Registry;
}

interface Req {
  tenant_id: string;
  env: string;
  capability_id: string;
  current: string | undefined;
  attest: boolean;
}

const requestArb: fc.Arbitrary<Req> = fc.record({
  tenant_id: fc.constantFrom(...REQUEST_TENANTS),
  env: fc.constantFrom("dev", "prod"),
  capability_id: fc.constantFrom(...CAPS),
  current: fc.option(fc.constantFrom(...HASHES), { nil: undefined }),
  attest: fc.boolean(),
});

function decideWith(reg: Registry, req: Req): string {
  const events: TelemetryEvent[] = [];
  const d = makeDecision(
    input({ tenant_id: req.tenant_id, env: req.env, capability_id: req.capability_id }),
    {
      rules: RULES,
      registry: reg,
      config: { require_worker_attestation: req.attest },
      now: () => NOW,
      newId: ids(),
      currentWorkerHash: () => req.current ?? null,
      telemetry: (e) => events.push(e),
    },
  );
  return JSON.stringify({ d, events });
}

Deno.test("tenant index: workersForTenant is the filter of the species' workers, after any changes", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const reg = new Registry();
      const model: Model = { workers: new Map(), bans: new Set() };
      // Checked after every change, not only at the end: the index is kept up to date in place.
      for (const op of ops) {
        apply(reg, model, op);
        for (const s of SPECIES) {
          const species = reg.workersForSpecies(s);
          for (const t of [...TENANTS, ...REQUEST_TENANTS]) {
            const got = reg.workersForTenant(s, t);
            const want = species.filter((r) => servesTenant(r, t));
            assert.equal(got.length, want.length, `${s} ${t}`);
            // The same records (the registry's own, not copies), in the same order.
            got.forEach((r, i) => assert.equal(r, want[i], `${s} ${t} [${i}]`));
          }
        }
      }
      // And the species lists are the model's, so the filter above is over every worker.
      const all = ordered(model);
      for (const s of SPECIES) {
        assert.deepEqual(
          reg.workersForSpecies(s).map((r) => r.worker_id),
          all.filter((r) => r.worker_species_id === s).map((r) => r.worker_id),
        );
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("tenant index: decisions through the index are those of a plain filter over all workers", () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 60 }),
      fc.array(requestArb, { minLength: 1, maxLength: 10 }),
      (ops, requests) => {
        const reg = new Registry();
        const model: Model = { workers: new Map(), bans: new Set() };
        for (const op of ops) apply(reg, model, op);
        const plain = plainRegistry(model);
        for (const req of requests) {
          assert.equal(decideWith(reg, req), decideWith(plain, req));
        }
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("tenant index: a worker moved between tenants, species and the shared list is found once", () => {
  const reg = new Registry();
  const rec = (id: string, extra: Record<string, unknown> = {}) => ({
    worker_id: id,
    worker_species_id: "wrk.doc.a",
    capabilities: ["cap.doc.summarize"],
    ...extra,
  });
  const view = (t: string, s = "wrk.doc.a") => reg.workersForTenant(s, t).map((r) => r.worker_id);
  reg.enroll(rec("org.i.shared"));
  reg.enroll(rec("org.i.a", { tenants: ["acme"] }));
  reg.enroll(rec("org.i.ab", { tenants: ["acme", "beta"] }));
  assert.deepEqual(view("acme"), ["org.i.shared", "org.i.a", "org.i.ab"]);
  assert.deepEqual(view("beta"), ["org.i.shared", "org.i.ab"]);
  assert.deepEqual(view("gamma"), ["org.i.shared"]);
  // Rebound: from acme to gamma, keeping its place among the species' workers.
  reg.enroll(rec("org.i.a", { tenants: ["gamma"] }));
  assert.deepEqual(view("acme"), ["org.i.shared", "org.i.ab"]);
  assert.deepEqual(view("gamma"), ["org.i.shared", "org.i.a"]);
  // Bound to everyone, then to one tenant again.
  reg.enroll(rec("org.i.ab", { tenants: ["*"] }));
  assert.deepEqual(view("zeta"), ["org.i.shared", "org.i.ab"]);
  reg.enroll(rec("org.i.ab", { tenants: ["beta"] }));
  assert.deepEqual(view("zeta"), ["org.i.shared"]);
  assert.deepEqual(view("beta"), ["org.i.shared", "org.i.ab"]);
  // Revoked: still listed (selection skips it as revoked), the new record in every list.
  reg.revoke("org.i.ab");
  assert.equal(reg.workersForTenant("wrk.doc.a", "beta")[1].status, "revoked");
  // To another species, then removed.
  reg.enroll(rec("org.i.a", { tenants: ["gamma"], worker_species_id: "wrk.doc.b" }));
  assert.deepEqual(view("gamma"), ["org.i.shared"]);
  assert.deepEqual(view("gamma", "wrk.doc.b"), ["org.i.a"]);
  assert.equal(reg.remove("org.i.shared"), true);
  assert.deepEqual(view("gamma"), []);
  assert.deepEqual(view("beta"), ["org.i.ab"]);
  assert.deepEqual(view("beta", "wrk.none"), []);
});
