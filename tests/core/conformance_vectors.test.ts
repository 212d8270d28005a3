// The 13 public cross-implementation vectors (../shared/conformance), including those the
// references skip (CV-009/010 per-worker environments, CV-012 telemetry sanitisation) and CV-013
// as a real tamper test.
import assert from "node:assert/strict";
import { makeDecision, parseRules, Registry, sha256Hex } from "../../mod.ts";

interface Vector {
  id: string;
  description: string;
  skip_sdks: string[];
  input?: Record<string, unknown>;
  rule?: Record<string, unknown>;
  setup?: Record<string, unknown>;
  expect?: { denied: boolean; deny_code: string | null; telemetry_invariant?: string };
  expected_deny_code?: string;
}

const url = new URL("../../../shared/conformance/wcp-conformance-vectors.json", import.meta.url);
const doc = JSON.parse(await Deno.readTextFile(url)) as { vectors: Vector[] };
const byId = new Map(doc.vectors.map((v) => [v.id, v]));

Deno.test("conformance: the file holds CV-001 … CV-013, each well formed", () => {
  const expected = Array.from({ length: 13 }, (_, i) => `CV-${String(i + 1).padStart(3, "0")}`);
  assert.deepEqual([...byId.keys()].sort(), expected);
  for (const v of doc.vectors) {
    assert.ok(v.description.length > 0, v.id);
    if (v.id !== "CV-013") assert.ok(v.input && v.expect, v.id);
  }
});

function setUp(v: Vector): { registry: Registry; rules: ReturnType<typeof parseRules> } {
  const setup = v.setup ?? {};
  const registry = new Registry();
  let rule = v.rule;
  if (typeof setup.worker_species_id === "string") {
    // CV-009/010: a worker enrolled for some environments only, routed by a match-any rule.
    registry.enroll({
      worker_id: "org.conformance.devonly-worker",
      worker_species_id: setup.worker_species_id,
      capabilities: [setup.worker_capability],
      allowed_environments: setup.worker_allowed_envs,
    });
    rule = {
      rule_id: "cv-rule-any",
      match: { capability_id: { any: true } },
      decision: { candidate_workers_ranked: [{ worker_species_id: setup.worker_species_id }] },
    };
  } else if (!setup.no_workers) {
    registry.enroll({
      worker_id: "org.conformance.test-worker",
      worker_species_id: "wrk.test.worker",
      capabilities: ["cap.doc.summarize", "cap.doc.devonly"],
      currently_implements: setup.control_present ? [setup.required_control] : [],
    });
  }
  return { registry, rules: parseRules(rule ? [rule] : []) };
}

for (const v of doc.vectors.filter((x) => x.id !== "CV-013")) {
  Deno.test(`conformance: ${v.id} ${v.description}`, () => {
    const { registry, rules } = setUp(v);
    const d = makeDecision(v.input, { rules, registry });
    assert.equal(d.denied, v.expect!.denied, JSON.stringify(d.deny_reason_if_denied));
    assert.equal(d.deny_reason_if_denied?.code ?? null, v.expect!.deny_code);
    assert.equal(d.outcome, v.expect!.denied ? "DENY" : "DISPATCH");
    if (!d.denied) {
      const ids = d.telemetry_envelopes.map((e) => e.event_id);
      for (const id of ["evt.os.task.routed", "evt.os.worker.selected", "evt.os.policy.gated"]) {
        assert.ok(ids.includes(id), `${v.id} emits ${id}`);
      }
    }
    if (v.expect!.telemetry_invariant) {
      // deno-lint-ignore no-control-regex
      const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
      for (const e of d.telemetry_envelopes) {
        for (const [k, val] of Object.entries(e)) {
          if (typeof val === "string") assert.ok(!control.test(val), `${v.id} ${e.event_id}.${k}`);
        }
      }
      const routed = d.telemetry_envelopes.find((e) => e.event_id === "evt.os.task.routed");
      assert.equal(routed?.capability_id, "cap.doc.summarizeevt.injected fake-entry");
      // The decision itself keeps the raw value (behaviour.md 8.3).
      assert.equal(d.capability_id, v.input!.capability_id);
    }
  });
}

Deno.test("conformance: CV-009 names the per-worker environment skip", () => {
  const v = byId.get("CV-009")!;
  const { registry, rules } = setUp(v);
  const d = makeDecision(v.input, { rules, registry });
  assert.equal(d.candidate_workers_ranked[0].skip_reason, "env_not_allowed");
  assert.equal(d.candidate_workers_ranked[0].worker_id, "org.conformance.devonly-worker");
});

Deno.test("conformance: CV-013 enroll with a hash, dispatch, change one byte, dispatch again", () => {
  // The worker's code, held in memory the way a file adapter would read it.
  const files = new Map<string, Uint8Array>([
    ["org.conformance.test-worker", new TextEncoder().encode("def run(): pass\n")],
  ]);
  const registeredHex = sha256Hex(files.get("org.conformance.test-worker")!);
  // behaviour.md 9.3 worker file hash vector.
  assert.equal(registeredHex, "c8327cd399024e76344103d38590d8e9c08a8dde6bd450efc1d48196c4c587c7");

  const registry = new Registry();
  registry.enroll({
    worker_id: "org.conformance.test-worker",
    worker_species_id: "wrk.test.worker",
    capabilities: ["cap.doc.summarize"],
    attestation: { code_hash: registeredHex, hash_method: "file" },
  });
  assert.equal(registry.registeredHash("org.conformance.test-worker"), "sha256:" + registeredHex);
  const rules = parseRules([byId.get("CV-011")!.rule]);
  const options = {
    rules,
    registry,
    config: { require_worker_attestation: true },
    currentWorkerHash: (workerId: string) => {
      const bytes = files.get(workerId);
      return bytes ? sha256Hex(bytes) : null;
    },
  };
  const inp = byId.get("CV-011")!.input;

  const before = makeDecision(inp, options);
  assert.equal(before.outcome, "DISPATCH");
  assert.equal(before.worker_attestation_checked, true);
  assert.equal(before.worker_attestation_valid, true);

  files.get("org.conformance.test-worker")![4] ^= 0x01; // "def run" -> "defrrun"-like one-byte flip
  const after = makeDecision(inp, options);
  assert.equal(after.outcome, "DENY");
  assert.equal(after.deny_reason_if_denied?.code, byId.get("CV-013")!.expected_deny_code);
  assert.equal(after.worker_attestation_checked, true);
  assert.equal(after.worker_attestation_valid, false);
  const reason = after.deny_reason_if_denied!;
  assert.ok(!("registered_hash" in reason) && !("current_hash" in reason));
  const currentHex = sha256Hex(files.get("org.conformance.test-worker")!);
  const text = JSON.stringify(after);
  assert.ok(!text.includes(registeredHex) && !text.includes(currentHex), "no hash values leak");

  files.get("org.conformance.test-worker")![4] ^= 0x01; // restored: dispatch again
  assert.equal(makeDecision(inp, options).outcome, "DISPATCH");
});
