// The hall's recorder writes each replay record as JSON text from one object of the members the
// compact form keeps (decisionRecordText); the text must be exactly what the object path gives
// (JSON.stringify(compactRecord(decisionRecordOf(...)))), for real decisions of the golden
// cases and any shape of the fields the record reads; the recorder's queue (UTF-8 bytes) must
// hand each text over unchanged, and the store must keep it as the same record (read back
// equal, in order, on SQLite and PostgreSQL).
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  compactRecord,
  DecisionRecorder,
  decisionRecordText,
} from "../../src/hall/decision_records.ts";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import type { DecisionRecordTexts, HallStore } from "../../src/hall/store/types.ts";
import {
  type DecisionRecord,
  decisionRecordOf,
  makeDecision,
  parseRules,
  type PolicyGateResult,
  RECORDED_REQUEST_FLAGS,
  Registry,
  type RouteDecision,
} from "../../mod.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";

const FIX = new URL("../fixtures/core/", import.meta.url);
const readJson = (n: string) => JSON.parse(Deno.readTextFileSync(new URL(n, FIX)));
const cases = readJson("cases.json") as {
  base: Record<string, unknown>;
  cases: { name: string; input: Record<string, unknown>; config?: Record<string, unknown> }[];
};
const rules = parseRules(readJson("rules.json"));
const registry = new Registry();
for (const r of readJson("registry.json")) registry.enroll(r);

function decide(input: Record<string, unknown>, config: Record<string, unknown> = {}) {
  return makeDecision(input, {
    rules,
    registry,
    config: { require_worker_attestation: true, ...config },
    policyGate: () => ({ decision: "ALLOW", policy_version: "pol.v2", reason: "ok" }),
    currentWorkerHash: (id) => registry.registeredHash(id),
  });
}

function reference(
  input: unknown,
  d: RouteDecision,
  score: number | null,
  gate: PolicyGateResult | null,
): string | null {
  const r = decisionRecordOf(input, d, score, gate);
  return r === null ? null : JSON.stringify(compactRecord(r));
}

const GATE: PolicyGateResult = { decision: "ALLOW", policy_version: "pol.v2", reason: 'o"k' };

Deno.test("decisionRecordText: the golden decisions give the object path's text", () => {
  let recorded = 0;
  for (const c of cases.cases) {
    const input = { ...cases.base, ...c.input };
    const d = decide(input, c.config);
    for (const score of [null, 0, 7, 12.5]) {
      for (const gate of [null, GATE]) {
        const want = reference(input, d, score, gate);
        assert.equal(decisionRecordText(input, d, score, gate), want, c.name);
        if (want !== null) recorded++;
      }
    }
  }
  assert.ok(recorded > 40, `only ${recorded} of the golden decisions were recordable`);
});

Deno.test("decisionRecordText: any shape of the fields a record reads", () => {
  // decisionRecordText reads these four by name: a new recorded flag must be added there too.
  assert.deepEqual(RECORDED_REQUEST_FLAGS, ["egress", "external_call", "writes", "mutates_state"]);
  const value = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.integer({ min: -5, max: 120 }),
    fc.double(),
    fc.string({ maxLength: 4 }),
    fc.constant("policy.v0"),
    fc.constant({}),
    fc.constant([]),
    fc.constant([0]),
    fc.dictionary(fc.string({ maxLength: 2 }), fc.integer(), { maxKeys: 2 }),
  );
  const flags = fc.record({
    egress: value,
    external_call: value,
    writes: value,
    mutates_state: value,
    text: value,
  }, { requiredKeys: [] });
  const base = { ...cases.base, ...cases.cases[0].input };
  fc.assert(
    fc.property(
      fc.record({
        dry_run: value,
        policy_version: value,
        blast_score: value,
        parent_decision_id: value,
        request: fc.oneof(value, flags),
        tenant_id: fc.oneof(fc.constant('acme\u2028"x"'), value),
        capability_id: fc.oneof(
          fc.constant("cap.doc.summarize"),
          fc.constant("cap.none.x"),
          value,
        ),
      }, { requiredKeys: [] }),
      fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 100 }), fc.constant(Number.NaN)),
      fc.oneof(fc.constant(null), fc.constant(GATE)),
      (over, score, gate) => {
        const input: Record<string, unknown> = { ...base, ...over };
        for (const k of Object.keys(over)) {
          if ((over as Record<string, unknown>)[k] === undefined) delete input[k];
        }
        const d = decide(input);
        assert.equal(
          decisionRecordText(input, d, score, gate),
          reference(input, d, score, gate),
        );
      },
    ),
    { numRuns: 1500 },
  );
  // Not an object, or a decision without an environment: no record either way.
  const d = decide(base);
  for (const bad of [null, [], "x", 3]) assert.equal(decisionRecordText(bad, d, null, null), null);
  assert.equal(decisionRecordText(base, { ...d, env: null } as RouteDecision, null, null), null);
});

async function storesTheSameRecords(store: HallStore): Promise<void> {
  const recorder = new DecisionRecorder(store);
  const want: DecisionRecord[] = [];
  for (let i = 0; i < 7; i++) {
    for (const c of cases.cases) {
      const input = { ...cases.base, ...c.input, correlation_id: `c-${i}-${c.name}` };
      const d = decide(input, c.config);
      recorder.add(input, d, i % 2 ? 4 : null);
      const r = decisionRecordOf(input, d, i % 2 ? 4 : null);
      if (r) want.push(JSON.parse(JSON.stringify(compactRecord(r))));
    }
  }
  await recorder.flush();
  assert.equal(recorder.lastError, null);
  const got: DecisionRecord[] = [];
  for (let after = 0;;) {
    const page = await store.listDecisionRecords({ after_seq: after, limit: 1000 });
    if (page.length === 0) break;
    got.push(...page.map((p) => p.record));
    after = page[page.length - 1].seq;
  }
  assert.ok(want.length > 50);
  assert.deepEqual(got, want);
}

Deno.test("the recorder's texts are stored as the same records: SQLite", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const telemetryWorker of [false, true]) {
      const store = await openSqliteStore(`${dir}/hall-${telemetryWorker}.sqlite`, {
        telemetryWorker,
      });
      try {
        await storesTheSameRecords(store);
      } finally {
        await store.close();
      }
    }
    const memory = await openSqliteStore(":memory:");
    await storesTheSameRecords(memory);
    await memory.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the recorder's texts are stored as the same records: PostgreSQL",
  ignore: skipPostgresTests(),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const pg = await sharedPostgres();
    const schema = `drt_${Date.now().toString(36)}`;
    const store = await openPostgresStore(pg.url, { schema, max: 2 });
    try {
      await storesTheSameRecords(store);
    } finally {
      await store.close();
    }
  },
});

// A store with only `method`, which keeps what it is given in `seen`.
function capturingStore<T>(
  method: "appendDecisionRecords" | "appendDecisionRecordTexts",
  seen: T[],
): HallStore {
  return {
    [method]: (batch: T) => {
      seen.push(batch);
      return Promise.resolve();
    },
  } as unknown as HallStore;
}

Deno.test("a store without the text method gets the records as objects", async () => {
  const seen: DecisionRecord[][] = [];
  const recorder = new DecisionRecorder(capturingStore("appendDecisionRecords", seen));
  const input = { ...cases.base, ...cases.cases[0].input };
  const d = decide(input);
  recorder.add(input, d, null);
  await recorder.flush();
  assert.deepEqual(seen, [[
    JSON.parse(JSON.stringify(compactRecord(decisionRecordOf(input, d)!))),
  ]]);
});

Deno.test("the recorder hands over each text as it was made: multi-byte, lone surrogates, past its first buffer", async () => {
  const batches: DecisionRecordTexts[] = [];
  const recorder = new DecisionRecorder(capturingStore("appendDecisionRecordTexts", batches));
  const base = { ...cases.base, ...cases.cases[0].input };
  const d = decide(base);
  // Texts of 1 to ~3,000 code units, with two- to four-byte UTF-8, U+2028, and lone surrogates
  // (escaped by JSON): ~1.9 MB of queue against a first buffer of 1 MiB.
  const odd = ["é", "€", "😀", "\u2028", "\ud800", "\udfff", "x"];
  const want: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < 1_500; i++) {
    const tenant = odd[i % odd.length].repeat(i % 700) + `-${i}`;
    const input = { ...base, tenant_id: tenant };
    const di = { ...d, decision_id: `d-${i}`, timestamp: `2026-12-08T00:00:${i % 60}.000Z` };
    recorder.add(input, di, i % 3 ? null : i);
    want.push(decisionRecordText(input, di, i % 3 ? null : i, null)!);
    ids.push(di.decision_id);
  }
  await recorder.flush();
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0].records, want);
  assert.deepEqual(batches[0].decision_ids, ids);
  assert.equal(batches[0].timestamps[61], "2026-12-08T00:00:1.000Z");
  // The queue starts again empty, and a flush with nothing queued writes nothing.
  recorder.add(base, d, null);
  await recorder.flush();
  await recorder.flush();
  assert.equal(batches.length, 2);
  assert.deepEqual(batches[1].records, [decisionRecordText(base, d, null, null)]);
});
