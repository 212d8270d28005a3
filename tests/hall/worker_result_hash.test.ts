// A worker result the receipt cannot hash must still leave a receipt for the call that ran.
import assert from "node:assert/strict";
import { routeInput, testHall } from "./_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function j(res: Response): Promise<Record<string, unknown>> {
  return await res.json() as Record<string, unknown>;
}

Deno.test({
  name:
    "dispatch: an unhashable worker result (lone surrogate, NaN) is a failed call with a receipt",
  ...opts,
  fn: async () => {
    let calls = 0;
    const results: unknown[] = [{ text: "broken \ud800 text" }, { score: NaN }, { text: "fine" }];
    const h = await testHall({
      inProcessWorkers: { "org.demo.summarizer.1": () => results[calls++] },
    });
    try {
      for (const expected of ["failed", "failed", "succeeded"]) {
        const res = await h.req("/wcp/dispatch", { method: "POST", json: routeInput() });
        assert.equal(res.status, expected === "failed" ? 502 : 200, "a failed call is a 502");
        const body = await j(res);
        const receipt = body.receipt as Record<string, unknown>;
        assert.ok(receipt, "every executed call gets a receipt");
        assert.equal(receipt.execution_status, expected);
        if (expected === "failed") {
          assert.equal(receipt.result_hash, null);
          assert.equal(body.result, null, "the unhashable result is not passed on");
          assert.match(String(body.worker_error), /not JSON the hall can hash/);
        } else {
          assert.match(String(receipt.result_hash), /^sha256:[0-9a-f]{64}$/);
        }
      }
      assert.equal(calls, 3);
      assert.equal((await h.store.counts()).receipts, 3);
      const v = await j(await h.req("/wcp/receipts/verify"));
      assert.equal(v.ok, true, "the chain stays valid");
    } finally {
      await h.stop();
    }
  },
});
