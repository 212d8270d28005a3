// The replay log of both stores (SQLite and PostgreSQL): records come back in the order they were
// appended, paged by seq, filtered by time, capped at 1000 a page, and survive a reopen.
import assert from "node:assert/strict";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import type { HallStore } from "../../src/hall/store/types.ts";
import type { DecisionRecord } from "../../mod.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";

function record(i: number): DecisionRecord {
  return {
    decision_id: `d${i}`,
    timestamp: `2026-12-01T12:00:${String(i % 60).padStart(2, "0")}.000Z`,
    input: {
      correlation_id: `c${i}`,
      tenant_id: "acme",
      env: "dev",
      data_label: "PUBLIC",
      tenant_risk: "low",
      qos_class: "P2",
      capability_id: "cap.doc.summarize",
      policy_version: "policy.v0",
      dry_run: false,
      blast_score: null,
      parent_decision_id: null,
      request: i % 2 ? { writes: true } : {},
    },
    parent_chain_blast_score: null,
    gate_answer: null,
    outcome: "DENY",
    deny_code: "DENY_NO_MATCHING_RULE",
    matched_rule_id: "NO_MATCH",
    selected_worker_id: null,
    blast_score: 10,
    blast_dimensions_score: null,
  };
}

async function contract(store: HallStore): Promise<void> {
  assert.deepEqual(await store.listDecisionRecords(), []);
  await store.appendDecisionRecords([]);
  const all = Array.from({ length: 1205 }, (_, i) => record(i + 1));
  await store.appendDecisionRecords(all.slice(0, 5));
  await store.appendDecisionRecords(all.slice(5));
  const first = await store.listDecisionRecords({ limit: 3 });
  assert.deepEqual(first.map((r) => r.record.decision_id), ["d1", "d2", "d3"]);
  assert.deepEqual(first[1].record, all[1]);
  const seqs = first.map((r) => r.seq);
  assert.ok(seqs[0] < seqs[1] && seqs[1] < seqs[2]);
  const next = await store.listDecisionRecords({ after_seq: seqs[2], limit: 2 });
  assert.deepEqual(next.map((r) => r.record.decision_id), ["d4", "d5"]);
  const page = await store.listDecisionRecords({ limit: 5000 });
  assert.equal(page.length, 1000);
  const since = await store.listDecisionRecords({ since: "2026-12-01T12:00:59.000Z", limit: 100 });
  assert.ok(since.length > 0);
  assert.ok(since.every((r) => r.record.timestamp >= "2026-12-01T12:00:59.000Z"));
  let n = 0;
  let after = 0;
  for (;;) {
    const p = await store.listDecisionRecords({ after_seq: after, limit: 1000 });
    if (p.length === 0) break;
    n += p.length;
    after = p[p.length - 1].seq;
  }
  assert.equal(n, 1205);
}

Deno.test("decision records: SQLite", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/hall.sqlite`;
    const store = await openSqliteStore(path, { telemetryWorker: false });
    await contract(store);
    await store.close();
    const again = await openSqliteStore(path, { telemetryWorker: false });
    assert.equal((await again.listDecisionRecords({ limit: 1 }))[0].record.decision_id, "d1");
    await again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "decision records: PostgreSQL",
  ignore: skipPostgresTests(),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const pg = await sharedPostgres();
    const schema = `dr_${Date.now().toString(36)}`;
    const store = await openPostgresStore(pg.url, { schema, max: 2 });
    try {
      await contract(store);
    } finally {
      await store.close();
    }
  },
});
