// Revoking the last active admin token would lock every operator out until a restart.
import assert from "node:assert/strict";
import { APPROVER_LABEL, hallTest, j } from "./_helpers.ts";

hallTest("tokens: the last active admin token cannot be revoked; others can", async (h) => {
  // The test hall's second admin (the approver of held requests) goes first.
  type Token = { role: string; label: string; token_id: string; revoked_at: string | null };
  const approver = (await j(await h.req("/wcp/tokens"))).tokens.find((t: Token) =>
    t.label === APPROVER_LABEL
  );
  const gone = await h.req(`/wcp/tokens/${approver.token_id}/revoke`, { method: "POST" });
  assert.equal(gone.status, 200);
  const tokens = (await j(await h.req("/wcp/tokens"))).tokens;
  const admins = tokens.filter((t: Token) => t.role === "admin" && t.revoked_at === null);
  assert.equal(admins.length, 1);
  const only = admins[0].token_id;
  const refused = await h.req(`/wcp/tokens/${only}/revoke`, { method: "POST" });
  const body = await j(refused);
  assert.equal(refused.status, 409);
  assert.equal(body.error.code, "LAST_ADMIN_TOKEN");
  assert.equal((await h.req("/wcp/tokens")).status, 200, "the admin still works");

  // With a second admin token the first may go, and the second keeps working.
  const second = await j(
    await h.req("/wcp/tokens", { method: "POST", json: { role: "admin", label: "spare" } }),
  );
  assert.equal((await h.req(`/wcp/tokens/${only}/revoke`, { method: "POST" })).status, 200);
  assert.equal((await h.req("/wcp/tokens")).status, 401);
  const spare = await h.req(`/wcp/tokens/${second.token_id}/revoke`, {
    method: "POST",
    token: second.token,
  });
  assert.equal(spare.status, 409);
  // Namespace tokens are never "the last admin".
  await h.req("/wcp/namespaces", {
    method: "POST",
    token: second.token,
    json: { namespace: "org.acme", tier: "free", owner: "acme" },
  });
  const ns = (await j(await h.req("/wcp/tokens", { token: second.token }))).tokens.find((
    t: { namespace: string | null },
  ) => t.namespace === "org.acme");
  const r = await h.req(`/wcp/tokens/${ns.token_id}/revoke`, {
    method: "POST",
    token: second.token,
  });
  assert.equal(r.status, 200);
});
