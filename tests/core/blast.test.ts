// Both blast scores (README 16): the reference's 0-100 heuristic with max(caller, computed) and
// its prod/edge gate, and the five-dimension score with per-env caps and chain accumulation.
import assert from "node:assert/strict";
import {
  blastDimensionsScore,
  blastGatePasses,
  checkBlastCap,
  computeBlastScore,
  DATA_LABELS,
  effectiveBlastScore,
  QOS_CLASSES,
} from "../../mod.ts";
import { decide, input, registryWith, rulesOf, worker } from "./_router_helpers.ts";

Deno.test("blast: the heuristic's table of gated scores (behaviour.md 4.1)", () => {
  const score = (data_label: string, qos_class: string, egress: boolean, writes: boolean) =>
    computeBlastScore({
      env: "prod",
      data_label: data_label as "PUBLIC",
      qos_class: qos_class as "P0",
      request: { egress, writes },
    });
  assert.equal(score("INTERNAL", "P0", true, true), 85);
  assert.equal(score("RESTRICTED", "P0", false, true), 90);
  assert.equal(score("RESTRICTED", "P0", true, false), 90);
  assert.equal(score("RESTRICTED", "P0", true, true), 100, "105 capped");
  for (const q of ["P1", "P2", "P3"]) assert.equal(score("RESTRICTED", q, true, true), 95);
  // Every other combination stays below 85.
  let atOrAbove = 0;
  for (const d of DATA_LABELS) {
    for (const q of QOS_CLASSES) {
      for (const e of [false, true]) {
        for (const w of [false, true]) if (score(d, q, e, w) >= 85) atOrAbove++;
      }
    }
  }
  assert.equal(atOrAbove, 4 + 3);
  assert.equal(computeBlastScore({ env: "prod", data_label: "PUBLIC", qos_class: "P2" }), 25);
  assert.equal(computeBlastScore({ env: "dev", data_label: "PUBLIC", qos_class: "P2" }), 10);
});

Deno.test('blast: flags use Python truthiness ([] and {} add nothing; "false" does)', () => {
  const base = { env: "dev", data_label: "PUBLIC", qos_class: "P2" } as const;
  assert.equal(computeBlastScore({ ...base, request: { egress: [] } }), 10);
  assert.equal(computeBlastScore({ ...base, request: { egress: {} } }), 10);
  assert.equal(computeBlastScore({ ...base, request: { egress: 0, writes: "" } }), 10);
  assert.equal(computeBlastScore({ ...base, request: { external_call: "false" } }), 25);
  assert.equal(computeBlastScore({ ...base, request: { mutates_state: ["x"] } }), 25);
});

Deno.test("blast: effective score is max(caller, computed); the gate is prod/edge only", () => {
  assert.equal(effectiveBlastScore(40, 0), 40);
  assert.equal(effectiveBlastScore(40, 90), 90);
  assert.equal(effectiveBlastScore(40, undefined), 40);
  assert.equal(blastGatePasses("prod", 84), true);
  assert.equal(blastGatePasses("prod", 85), false);
  assert.equal(blastGatePasses("edge", 85), false);
  assert.equal(blastGatePasses("stage", 100), true);
  assert.equal(blastGatePasses("prod", 70, 70), false, "configurable threshold");
});

Deno.test("blast: the gate threshold comes from the config", () => {
  const d = decide(input({ env: "prod" }), { config: { blast_gate_threshold: 40 } }).d;
  assert.equal(d.blast_score, 45);
  assert.equal(d.deny_reason_if_denied?.code, "DENY_REQUIRES_HUMAN");
  const off = decide(input({ env: "prod", blast_score: 99 }), {
    config: { enforce_blast_scoring_in_prod: false },
  }).d;
  assert.equal(off.outcome, "DISPATCH");
  assert.equal(off.blast_gate_passed, null, "the gate did not run");
  assert.equal(off.blast_score, 99);
});

Deno.test("blast: ctrl.blast_radius_scoring runs the gate in dev, where it never denies", () => {
  const rules = rulesOf({ required_controls_suggested: ["ctrl.blast_radius_scoring"] });
  const registry = registryWith(worker({ currently_implements: ["ctrl.blast_radius_scoring"] }));
  const { d, events } = decide(input({ blast_score: 100 }), { rules, registry });
  assert.equal(d.outcome, "DISPATCH");
  assert.equal(d.blast_gate_passed, true);
  assert.equal(events[0].event_id, "evt.gov.blast_scored");
  assert.equal(events[0].blast_score, 100);
});

Deno.test("blast: five-dimension score, reversibility names and numbers", () => {
  const dims = { data: 1, network: 2, financial: 3, time: 4 };
  assert.equal(blastDimensionsScore({ ...dims, reversibility: "reversible" }), 10);
  assert.equal(blastDimensionsScore({ ...dims, reversibility: "partially-reversible" }), 12);
  assert.equal(blastDimensionsScore({ ...dims, reversibility: "difficult" }), 14);
  assert.equal(blastDimensionsScore({ ...dims, reversibility: "irreversible" }), 15);
  assert.equal(blastDimensionsScore({ ...dims, reversibility: 3 }), 13);
  assert.equal(
    blastDimensionsScore({ data: 5, network: 5, financial: 5, time: 5, reversibility: 5 }),
    25,
  );
  assert.equal(blastDimensionsScore(null), null);
  assert.equal(
    blastDimensionsScore({ ...dims, reversibility: "unknown" } as never),
    null,
    "malformed is unknown, never zero",
  );
});

Deno.test("blast: caps apply to the chain; unknown scores fail a cap (fail closed)", () => {
  const r = { data: 1, network: 1, financial: 0, time: 1, reversibility: "reversible" } as const;
  assert.deepEqual(checkBlastCap(r, 8, null), { own: 3, chain: 3, cap: 8, withinCap: true });
  assert.deepEqual(checkBlastCap(r, 8, 5), { own: 3, chain: 8, cap: 8, withinCap: true });
  assert.deepEqual(checkBlastCap(r, 8, 6), { own: 3, chain: 9, cap: 8, withinCap: false });
  assert.equal(checkBlastCap(r, 8, undefined).withinCap, false, "unknown parent chain");
  assert.equal(checkBlastCap(undefined, 8, null).withinCap, false, "undeclared dimensions");
  assert.equal(checkBlastCap(undefined, null, null).withinCap, true, "no cap, no constraint");
});

const RADIUS = {
  data: 2,
  network: 1,
  financial: 0,
  time: 1,
  reversibility: "partially-reversible",
};

Deno.test("blast: decisions report dimensions and the chain from the parent decision", () => {
  const registry = registryWith(worker({ blast_radius: RADIUS }));
  const rules = rulesOf({ max_blast_by_env: { dev: 10 } });
  const seen: string[] = [];
  const chainBlastScore = (id: string) => {
    seen.push(id);
    return id === "dec-parent" ? 4 : null;
  };
  const own = decide(input(), { registry, rules, chainBlastScore }).d;
  assert.equal(own.blast_dimensions_score, 6);
  assert.equal(own.chain_blast_score, 6);
  assert.equal(own.parent_decision_id, null);

  const child = decide(input({ parent_decision_id: "dec-parent" }), {
    registry,
    rules,
    chainBlastScore,
  }).d;
  assert.equal(child.outcome, "DISPATCH");
  assert.equal(child.chain_blast_score, 10);
  assert.equal(child.parent_decision_id, "dec-parent");
  assert.deepEqual(seen, ["dec-parent"]);

  const over = decide(input({ parent_decision_id: "dec-parent" }), {
    registry,
    rules: rulesOf({ max_blast_by_env: { dev: 9 } }),
    chainBlastScore,
  }).d;
  assert.equal(over.deny_reason_if_denied?.code, "DENY_BLAST_OVER_CAP");

  const unknownParent = decide(input({ parent_decision_id: "dec-gone" }), {
    registry,
    rules,
    chainBlastScore,
  }).d;
  assert.equal(unknownParent.deny_reason_if_denied?.code, "DENY_BLAST_OVER_CAP");

  const throwing = decide(input({ parent_decision_id: "dec-parent" }), {
    registry,
    rules,
    chainBlastScore: () => {
      throw new Error("store down");
    },
  }).d;
  assert.equal(throwing.deny_reason_if_denied?.code, "DENY_BLAST_OVER_CAP");
});

Deno.test("blast: a cap only binds in its environment; the next candidate within cap wins", () => {
  const registry = registryWith(
    worker({ worker_id: "org.acme.big", blast_radius: { ...RADIUS, financial: 5 } }),
    worker({ worker_id: "org.acme.small", blast_radius: RADIUS }),
  );
  const rules = rulesOf({ max_blast_by_env: { prod: 8 } });
  assert.equal(decide(input(), { registry, rules }).d.selected_worker_id, "org.acme.big");
  const prod = decide(input({ env: "prod" }), { registry, rules }).d;
  assert.equal(prod.selected_worker_id, "org.acme.small");
  assert.equal(prod.candidate_workers_ranked[0].skip_reason, "blast_over_cap");
  assert.equal(prod.blast_dimensions_score, 6);
});
