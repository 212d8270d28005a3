// The executed-decision rows of the SQLite store are written on the next turn of the event loop,
// not after a timer: a dispatch waits for its row before the worker runs, so a timer (1-2 ms
// each in Deno) held every dispatch that long on an idle hall.
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import type { DecisionRow } from "../../src/hall/store/types.ts";

const row = (id: string): DecisionRow => ({
  decision_id: id,
  parent_decision_id: null,
  tenant_id: "acme",
  correlation_id: `corr-${id}`,
  capability_id: "cap.doc.summarize",
  outcome: "DISPATCH",
  blast_dimensions_score: 2,
  chain_blast_score: 2,
  created_at: "2026-12-08T00:00:00.000Z",
});
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

Deno.test("sqlite decision rows: recorded without waiting for any timer", async () => {
  const store = await openSqliteStore(":memory:");
  const realSetTimeout = globalThis.setTimeout;
  let timers = 0;
  try {
    // Timers never fire meanwhile: a flush that waits for one leaves the rows unwritten.
    globalThis.setTimeout = ((() => {
      timers++;
      return 0;
    }) as unknown) as typeof setTimeout;
    let done = 0;
    const a = store.recordDecision(row("dec-a")).then(() => done++);
    const b = store.recordDecision(row("dec-b")).then(() => done++);
    for (let i = 0; i < 5 && done < 2; i++) await nextTurn();
    assert.equal(done, 2, `rows still waiting (${timers} timer(s) scheduled instead)`);
    await Promise.all([a, b]);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  assert.equal((await store.getDecision("dec-a"))?.correlation_id, "corr-dec-a");
  assert.equal((await store.getDecision("dec-b"))?.correlation_id, "corr-dec-b");
  await store.close();
});
