// Unknown ids in the path or query are 404s that name the parameter (they had no path).
import assert from "node:assert/strict";
import { hallTest, j } from "./_helpers.ts";

hallTest("unknown ids: 404 naming the parameter", async (h) => {
  const cases: [string, string, string, string][] = [
    ["GET", "/wcp/approvals/nope", "APPROVAL_UNKNOWN", "id"],
    ["POST", "/wcp/alerts/nope/ack", "ALERT_UNKNOWN", "id"],
    [
      "GET",
      "/wcp/receipts/proof?tenant_id=acme&receipt_id=nope",
      "RECEIPT_UNKNOWN",
      "receipt_id",
    ],
    ["PUT", "/wcp/namespaces/org.nope/tier", "NAMESPACE_UNKNOWN", "ns"],
    ["POST", "/wcp/tokens/tok_nope/revoke", "TOKEN_UNKNOWN", "id"],
  ];
  for (const [method, path, code, param] of cases) {
    const json = method === "GET" ? undefined : path.includes("tier") ? { tier: "free" } : {};
    const r = await h.req(path, { method, json });
    const body = await j(r);
    assert.equal(r.status, 404, `${path}: ${JSON.stringify(body)}`);
    assert.equal(body.error.code, code);
    assert.equal(body.error.path, param, path);
  }
  await h.req("/wcp/workers/org.demo.greeter.1/revoke", { method: "POST" });
  const again = await h.req("/wcp/workers/org.demo.greeter.1/revoke", { method: "POST" });
  assert.equal(again.status, 409);
  assert.equal((await j(again)).error.path, "worker_id");
});

hallTest("unknown routes: the message names the path, shortened when it is long", async (h) => {
  const short = await j(await h.req("/nope/here"));
  assert.equal(short.error.message, "no route GET /nope/here");
  const long = await h.req(`/nope/${"x".repeat(5000)}`);
  assert.equal(long.status, 404);
  const body = await j(long);
  assert.equal(body.error.code, "NOT_FOUND");
  assert.ok(body.error.message.length < 200, body.error.message.slice(0, 300));
  assert.match(body.error.message, /^no route GET \/nope\/x+… \(5006 characters\)$/);
});
