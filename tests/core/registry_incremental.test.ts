// The registry keeps its species index and controls up to date change by change (issue 14): a
// registry built by a random sequence of enrolments, updates, revocations, removals,
// availability changes and bans decides exactly as one built from scratch from the final state.
import assert from "node:assert/strict";
import fc from "fast-check";
import { makeDecision, parseRules, Registry, type RegistryRecord } from "../../mod.ts";
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

const WORKER_IDS = Array.from({ length: 8 }, (_, i) => `org.prop.w${i}`);

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
    },
  },
  {
    rule_id: "pay",
    match: { capability_id: "cap.fin.pay" },
    decision: {
      candidate_workers_ranked: [
        { worker_species_id: "wrk.fin.c" },
        { worker_species_id: "wrk.doc.a" },
      ],
      required_controls_suggested: CONTROLS,
      max_blast_by_env: { prod: 8, dev: 20 },
      escalation: { policy_gate: false, human_required_default: false },
    },
  },
]);

const TENANTS = fc.option(fc.constantFrom(["acme"], ["beta"], ["*"], ["acme", "beta"]), {
  nil: undefined,
});

const opArb = (positions: boolean) =>
  registryOpArb({
    workerIds: WORKER_IDS,
    enrollWeight: 5,
    record: (id) => recordArb(id, TENANTS),
    // Unique positions (a time, then the id) on every enrolment, as the hall gives them; or none.
    position: (id) =>
      positions
        ? fc.integer({ min: 0, max: 5 }).map((t) => `${t}\u0000${id}`)
        : fc.constant(undefined),
  });

function fromScratch(model: Model, order: string[]): Registry {
  const reg = new Registry();
  for (const id of order) {
    const w = model.workers.get(id)!;
    reg.enroll(w.record, { position: w.position });
    if (!w.available) reg.setAvailable(id, false);
  }
  for (const h of model.bans) {
    reg.ban({ sha256: h, reason: "prop", reported_at: "2026-01-01T00:00:00.000Z" });
  }
  return reg;
}

const requestArb = fc.record({
  tenant_id: fc.constantFrom("acme", "beta", "gamma"),
  env: fc.constantFrom("dev", "prod"),
  capability_id: fc.constantFrom(...CAPS),
  current: fc.option(fc.constantFrom(...HASHES), { nil: undefined }),
});

interface Req {
  tenant_id: string;
  env: string;
  capability_id: string;
  current: string | undefined;
}

function decideWith(reg: Registry, req: Req): string {
  const d = makeDecision(
    input({ tenant_id: req.tenant_id, env: req.env, capability_id: req.capability_id }),
    {
      rules: RULES,
      registry: reg,
      now: () => NOW,
      newId: ids(),
      currentWorkerHash: () => req.current ?? null,
    },
  );
  return JSON.stringify(d);
}

function sameIndexes(inc: Registry, scratch: Registry, model: Model): void {
  for (const s of SPECIES) {
    const got = inc.workersForSpecies(s).map((r: RegistryRecord) => r.worker_id);
    assert.deepEqual(got, scratch.workersForSpecies(s).map((r) => r.worker_id), s);
    // And the order is (position, first enrolment) over the model's workers of that species.
    const want = [...model.workers].filter(([, w]) => w.record.worker_species_id === s)
      .map(([id, w], i) => ({ id, position: w.position, i }))
      .sort((a, b) => a.position < b.position ? -1 : a.position > b.position ? 1 : a.i - b.i)
      .map((x) => x.id);
    assert.deepEqual(got, want, `order of ${s}`);
  }
  const controls = new Set<string>();
  for (const w of model.workers.values()) {
    if (w.record.status === "revoked") continue;
    for (const c of w.record.currently_implements as string[]) controls.add(c);
  }
  assert.deepEqual([...inc.controlsPresent()].sort(), [...controls].sort());
  assert.deepEqual([...scratch.controlsPresent()].sort(), [...controls].sort());
  assert.deepEqual(inc.workers().map((r) => r.worker_id), [...model.workers.keys()]);
}

for (const positions of [false, true]) {
  Deno.test(
    `registry incremental: decides as a registry built from scratch (${
      positions ? "with positions, scratch in reverse order" : "enrolment order"
    })`,
    () => {
      fc.assert(
        fc.property(
          fc.array(opArb(positions), { maxLength: 40 }),
          fc.array(requestArb, { minLength: 1, maxLength: 8 }),
          (ops, requests) => {
            const inc = new Registry();
            const model: Model = { workers: new Map(), bans: new Set() };
            for (const op of ops) apply(inc, model, op);
            // With unique positions the enrolment order of the scratch registry does not matter.
            const order = [...model.workers.keys()];
            const scratch = fromScratch(model, positions ? order.reverse() : order);
            if (!positions) sameIndexes(inc, scratch, model);
            else {
              for (const s of SPECIES) {
                assert.deepEqual(
                  inc.workersForSpecies(s).map((r) => r.worker_id),
                  scratch.workersForSpecies(s).map((r) => r.worker_id),
                );
              }
            }
            for (const req of requests) {
              assert.equal(decideWith(inc, req), decideWith(scratch, req));
            }
          },
        ),
        { numRuns: 400 },
      );
    },
  );
}

Deno.test("registry incremental: a position orders a species' workers, then enrolment order", () => {
  const reg = new Registry();
  const rec = (id: string, species = "wrk.doc.a") => ({
    worker_id: id,
    worker_species_id: species,
    capabilities: ["cap.doc.summarize"],
  });
  reg.enroll(rec("org.p.c"), { position: "2026-01-03" });
  reg.enroll(rec("org.p.a"), { position: "2026-01-01" });
  reg.enroll(rec("org.p.b"), { position: "2026-01-02" });
  const order = () => reg.workersForSpecies("wrk.doc.a").map((r) => r.worker_id);
  assert.deepEqual(order(), ["org.p.a", "org.p.b", "org.p.c"]);
  // Re-enrolled with a later position: it moves; without one: it keeps its place.
  reg.enroll(rec("org.p.a"), { position: "2026-01-04" });
  assert.deepEqual(order(), ["org.p.b", "org.p.c", "org.p.a"]);
  reg.enroll(rec("org.p.b"));
  assert.deepEqual(order(), ["org.p.b", "org.p.c", "org.p.a"]);
  // To another species and back.
  reg.enroll(rec("org.p.c", "wrk.doc.b"));
  assert.deepEqual(order(), ["org.p.b", "org.p.a"]);
  assert.deepEqual(reg.workersForSpecies("wrk.doc.b").map((r) => r.worker_id), ["org.p.c"]);
  reg.enroll(rec("org.p.c"));
  assert.deepEqual(order(), ["org.p.b", "org.p.c", "org.p.a"]);
  assert.equal(reg.workersForSpecies("wrk.doc.b").length, 0);
  assert.throws(
    () => reg.enroll(rec("org.p.d"), { position: 5 as unknown as string }),
    (e: unknown) => (e as { code?: string; path?: string }).path === "position",
  );
  assert.equal(reg.get("org.p.d"), undefined, "a refused position enrols nothing");
});
