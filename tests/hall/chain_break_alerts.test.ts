// A broken chain is one open severity-1 alert, however often it is verified (each
// GET /wcp/receipts/verify used to add another); once acknowledged, a still-broken chain raises
// one new alert and the acknowledged one stays acknowledged.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { HALL_TEST, j, routeInput, testHall } from "./_helpers.ts";

Deno.test("receipts verify: one open chain_break alert per broken chain", HALL_TEST, async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp_review_chain_" });
  const path = `${dir}/hall.sqlite`;
  const h = await testHall({ store: await openSqliteStore(path), chainCheckMs: 0 });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await h.req("/wcp/dispatch", { method: "POST", json: routeInput() });
      assert.equal(r.status, 200);
    }
    assert.equal((await j(await h.req("/wcp/receipts/verify"))).ok, true);
    // Someone edits a stored receipt behind the hall's back.
    const db = new DatabaseSync(path);
    db.exec(
      `UPDATE receipts SET data = replace(data, '"tenant_id":"acme"', '"tenant_id":"acmf"')
       WHERE tenant_id = 'acme' AND seq = 1`,
    );
    db.close();
    const breaks = async () =>
      (await j(await h.req("/wcp/alerts"))).alerts.filter((a: { kind: string }) =>
        a.kind === "chain_break"
      );
    for (const q of ["", "?tenant_id=acme", "", "?tenant_id=acme"]) {
      const v = await j(await h.req(`/wcp/receipts/verify${q}`));
      assert.equal(v.ok, false, "the break is reported on every call");
    }
    const raised = await breaks();
    assert.equal(
      raised.length,
      1,
      JSON.stringify(raised.map((a: { subject: string }) => a.subject)),
    );
    assert.equal(raised[0].subject, "acme");

    const ack = await h.req(`/wcp/alerts/${raised[0].alert_id}/ack`, { method: "POST", json: {} });
    assert.equal(ack.status, 200);
    await h.req("/wcp/receipts/verify");
    await h.req("/wcp/receipts/verify");
    const after = await breaks();
    assert.equal(after.length, 2);
    assert.equal(
      after.filter((a: { acknowledged_at: string | null }) => !a.acknowledged_at).length,
      1,
    );
    assert.ok(
      after.some((a: { alert_id: string; acknowledged_at: string | null }) =>
        a.alert_id === raised[0].alert_id && a.acknowledged_at !== null
      ),
      "the acknowledgement stays",
    );
  } finally {
    await h.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
