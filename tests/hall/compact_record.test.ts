// compactRecord (the replay record without its default fields) walks the fields without entry
// arrays; it must drop and keep exactly what the Object.entries form did (kept here as the
// reference), for every shape of field the input can hold.
import assert from "node:assert/strict";
import fc from "fast-check";
import { compactRecord } from "../../src/hall/decision_records.ts";
import type { DecisionRecord } from "../../mod.ts";

function reference(r: DecisionRecord): DecisionRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (v !== null) out[k] = v;
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.input)) {
    if (v === null || (k === "dry_run" && v === false)) continue;
    if (k === "policy_version" && v === "policy.v0") continue;
    if (k === "request" && Object.keys(v as object).length === 0) continue;
    input[k] = v;
  }
  out.input = input;
  return out as unknown as DecisionRecord;
}

Deno.test("compactRecord drops and keeps what the entries form did", () => {
  const value = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 3 }),
    fc.constant({}),
    fc.constant([]),
    fc.dictionary(fc.string({ maxLength: 2 }), fc.integer(), { maxKeys: 2 }),
  );
  fc.assert(
    fc.property(
      fc.record({
        request: value,
        dry_run: value,
        policy_version: fc.oneof(fc.constant("policy.v0"), fc.constant("policy.v2"), value),
        tenant_id: value,
        blast_score: value,
      }, { requiredKeys: [] }),
      fc.record({ deny_code: value, gate_answer: value, selected_worker_id: value }),
      (input, top) => {
        const r = { decision_id: "d1", timestamp: "t", ...top, input } as unknown as DecisionRecord;
        assert.deepEqual(compactRecord(r), reference(r));
      },
    ),
    { numRuns: 2000 },
  );
});
