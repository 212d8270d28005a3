// Separation of duties (spec README decision 19): the token whose request was held cannot resolve
// that hold unless hall_config.allow_self_approval; who resolved it, and the note, are recorded
// and carried by the evidence receipt of the approved dispatch.
import assert from "node:assert/strict";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { createHallApp } from "../../src/hall/app.ts";
import { computeReceiptHash } from "../../src/receipts/receipt.ts";
import { ADMIN, APPROVER, APPROVER_LABEL, err, hallTest, j, tokenIdOf } from "./_helpers.ts";

const tokenId = tokenIdOf;

hallTest("approvals: the requester cannot resolve its own hold; another admin can", async (h) => {
  const id = await h.hold(); // held for ADMIN
  const held = await j(await h.req(`/wcp/approvals/${id}`));
  const adminId = await tokenId(h, "admin (WCP_ADMIN_TOKEN)");
  assert.deepEqual(held.requested_by, {
    principal_id: adminId,
    label: "admin (WCP_ADMIN_TOKEN)",
  });
  assert.equal(held.resolved_by, null);

  for (const decision of ["approve", "deny"] as const) {
    const self = await h.resolve(id, decision, ADMIN);
    assert.equal(self.status, 403, decision);
    const e = err(await j(self));
    assert.equal(e.code, "APPROVER_IS_REQUESTER");
    assert.equal(e.path, "id");
  }
  assert.equal((await j(await h.req(`/wcp/approvals/${id}`))).status, "pending", "unchanged");

  const ok = await h.req(`/wcp/approvals/${id}/resolve`, {
    method: "POST",
    token: APPROVER,
    json: { decision: "approve", note: "checked the recipient" },
  });
  assert.equal(ok.status, 200);
  const approved = await j(ok);
  const approverId = await tokenId(h, APPROVER_LABEL);
  assert.deepEqual(approved.resolved_by, { principal_id: approverId, label: APPROVER_LABEL });
  assert.equal(approved.note, "checked the recipient");
  assert.deepEqual(approved.requested_by, held.requested_by);

  // The receipt of the approved dispatch carries who approved it, covered by its hash.
  const run = await j(
    await h.req("/wcp/dispatch", { method: "POST", json: { approval_id: id } }),
  );
  assert.deepEqual(run.receipt.approval, {
    approval_id: id,
    resolved_by: { principal_id: approverId, label: APPROVER_LABEL },
    note: "checked the recipient",
    resolved_at: approved.resolved_at,
  });
  const verify = await j(await h.req("/wcp/receipts/verify?tenant_id=acme"));
  assert.equal(verify.ok, true, JSON.stringify(verify));
  // Editing the approval facts in the stored receipt breaks its hash.
  const [stored] = await h.store.tenantChain("acme");
  assert.equal(computeReceiptHash(stored.receipt), stored.receipt_hash);
  const edited = structuredClone(stored.receipt) as Record<string, unknown>;
  (edited.approval as { note: string }).note = "approved by nobody in particular";
  assert.notEqual(computeReceiptHash(edited), stored.receipt_hash);
  // An ordinary dispatch carries no approval.
  const plain = await j(
    await h.req("/wcp/dispatch", {
      method: "POST",
      json: {
        correlation_id: crypto.randomUUID(),
        tenant_id: "acme",
        env: "dev",
        data_label: "INTERNAL",
        tenant_risk: "low",
        qos_class: "P2",
        capability_id: "cap.doc.summarize",
        request: { text: "Hi." },
      },
    }),
  );
  assert.equal(plain.receipt.approval, undefined);
});

hallTest(
  "approvals: a namespace token's hold is resolved by an admin, recorded as its",
  async (h) => {
    const grant = await h.grant("org.acme");
    const id = await h.hold({ tenant_id: "org.acme" }, grant.token);
    const a = await j(await h.resolve(id, "deny", ADMIN));
    assert.equal(a.status, "denied");
    assert.equal(a.requested_by.principal_id, grant.token_id);
    assert.equal(a.resolved_by.principal_id, await tokenId(h, "admin (WCP_ADMIN_TOKEN)"));
  },
);

hallTest(
  "approvals: with allow_self_approval the requester may resolve its own hold",
  () => ({ config: { allow_self_approval: true } }),
  async (h) => {
    const id = await h.hold();
    const self = await h.resolve(id, "approve", ADMIN);
    assert.equal(self.status, 200);
    const row = await j(self);
    assert.equal(row.requested_by.principal_id, row.resolved_by.principal_id);
  },
);

Deno.test("approvals: allow_self_approval must be a boolean", async () => {
  const store = await openSqliteStore(":memory:");
  try {
    await assert.rejects(
      () =>
        createHallApp({
          store,
          rules: { rules: [] },
          config: { allow_self_approval: "yes" as never },
        }),
      (e: { code?: string; path?: string }) =>
        e.code === "CONFIG_INVALID" && e.path === "allow_self_approval",
    );
  } finally {
    await store.close();
  }
});
