// Minting: spec 5.7 fields, chain fields, the receipt_hash recipe, signatures, validation.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  computeReceiptHash,
  generateSigningKey,
  KeyRing,
  mintReceipt,
  prepareReceipt,
  receiptSigningBytes,
  signingKeyFromSeed,
  signReceipt,
  WcpError,
} from "../../mod.ts";
import { fieldsFor, hex, idFor } from "./_helpers.ts";

Deno.test("receipt: fields, chain fields and the hash recipe written out by hand", async () => {
  const key = await signingKeyFromSeed(new Uint8Array(32).fill(1));
  const r = await mintReceipt(null, fieldsFor(0), key, { newId: () => idFor(0) });
  assert.equal(r.seq, 0);
  assert.equal(r.prev_receipt_hash, null);
  assert.equal(r.signing_key_id, key.key_id);
  assert.equal(r.receipt_id, idFor(0));
  for (
    const f of [
      "correlation_id",
      "dispatched_at",
      "worker_id",
      "capability_id",
      "policy_decision",
      "controls_verified",
      "artifact_hash",
    ]
  ) {
    assert.ok(f in r, f);
  }
  // JCS: keys sorted, compact, no receipt_hash / signature.
  const f = fieldsFor(0);
  const canonical = `{"artifact_hash":"${f.artifact_hash}","capability_id":"cap.doc.summarize",` +
    `"controls_verified":["ctrl.obs.audit-log-append-only","ctrl.privacy.pii-redaction"],` +
    `"correlation_id":"${f.correlation_id}","decision_id":"d-0","dispatched_at":"${f.dispatched_at}",` +
    `"policy_decision":"${f.policy_decision}","prev_receipt_hash":null,"receipt_id":"${
      idFor(0)
    }",` +
    `"seq":0,"signing_key_id":"${key.key_id}","tenant_id":"acme","worker_id":"org.acme.summarizer.1"}`;
  assert.equal(r.receipt_hash, "sha256:" + createHash("sha256").update(canonical).digest("hex"));
  assert.equal(computeReceiptHash(r), r.receipt_hash);
  // Ed25519 is deterministic: the same key and hash give the same signature, verifiable by anyone.
  assert.match(r.signature, /^[0-9a-f]{128}$/);
  assert.equal(
    await new KeyRing([key]).verify(
      key.key_id,
      hex(r.signature),
      receiptSigningBytes(r.receipt_hash),
    ),
    true,
  );
  const again = await mintReceipt(null, fieldsFor(0), key, { newId: () => idFor(0) });
  assert.equal(again.signature, r.signature);
});

Deno.test("receipt: linking, seq and a UUIDv7 id by default", async () => {
  const key = await generateSigningKey();
  const a = await mintReceipt(null, fieldsFor(0), key, { now: Date.UTC(2026, 0, 1) });
  const b = await mintReceipt(a, fieldsFor(1), key);
  assert.equal(b.seq, 1);
  assert.equal(b.prev_receipt_hash, a.receipt_hash);
  assert.match(
    a.receipt_id,
    /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.equal(
    a.receipt_id.slice(0, 13).replace("-", ""),
    Date.UTC(2026, 0, 1).toString(16).padStart(12, "0"),
  );
  // The synchronous step links without signing; the signature does not enter the chain.
  const unsigned = prepareReceipt(b, fieldsFor(2), key.key_id);
  assert.equal(unsigned.prev_receipt_hash, b.receipt_hash);
  assert.equal("signature" in unsigned, false);
  const signed = await signReceipt(unsigned, key);
  assert.equal(signed.receipt_hash, unsigned.receipt_hash);
  // Artifact hashes in upper case are normalised.
  const up = prepareReceipt(
    null,
    { ...fieldsFor(0), artifact_hash: "SHA256:" + "AB".repeat(32) },
    key.key_id,
  );
  assert.equal(up.artifact_hash, "sha256:" + "ab".repeat(32));
});

Deno.test("receipt: bad fields are RECEIPT_INVALID naming the field", async () => {
  const key = await generateSigningKey();
  const bad: [string, Record<string, unknown>][] = [
    ["tenant_id", { tenant_id: "" }],
    ["correlation_id", { correlation_id: 1 }],
    ["worker_id", { worker_id: undefined }],
    ["controls_verified", { controls_verified: "ctrl.a" }],
    ["controls_verified", { controls_verified: [1] }],
    ["artifact_hash", { artifact_hash: "md5:abc" }],
    ["seq", { seq: 5 }],
    ["receipt_hash", { receipt_hash: "sha256:" + "0".repeat(64) }],
    ["$.x", { x: NaN }],
  ];
  for (const [path, patch] of bad) {
    assert.throws(
      () => prepareReceipt(null, { ...fieldsFor(0), ...patch } as never, key.key_id),
      (e) => e instanceof WcpError && e.code === "RECEIPT_INVALID" && e.path === path,
      path,
    );
  }
  assert.throws(() => prepareReceipt(null, fieldsFor(0), ""), WcpError);
  // Too deep (or cyclic) for JCS: RECEIPT_INVALID, not a RangeError from the stack.
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  for (
    const f of [
      () => prepareReceipt(null, { ...fieldsFor(0), extra: deep }, key.key_id),
      () => computeReceiptHash({ extra: deep }),
    ]
  ) {
    assert.throws(
      f,
      (e) => e instanceof WcpError && e.code === "RECEIPT_INVALID" && /too deep/.test(e.message),
    );
  }
  for (const t of ["yesterday", "2026-01-01", "2026-13-45T00:00:00Z"]) {
    assert.throws(
      () => prepareReceipt(null, { ...fieldsFor(0), dispatched_at: t }, key.key_id),
      (e) => e instanceof WcpError && e.path === "dispatched_at",
      t,
    );
  }
  assert.throws(
    () => prepareReceipt(null, fieldsFor(0), key.key_id, { newId: () => crypto.randomUUID() }),
    (e) => e instanceof WcpError && e.path === "receipt_id",
  );
  const a = await mintReceipt(null, fieldsFor(0), key);
  assert.throws(
    () => prepareReceipt(a, fieldsFor(1, "globex"), key.key_id),
    (e) => e instanceof WcpError && e.code === "RECEIPT_TENANT_MISMATCH",
  );
  const other = await generateSigningKey();
  await assert.rejects(
    () => signReceipt(prepareReceipt(null, fieldsFor(0), key.key_id), other),
    WcpError,
  );
  const u = prepareReceipt(null, fieldsFor(0), key.key_id);
  await assert.rejects(
    () => signReceipt({ ...u, worker_id: "org.evil.w" }, key),
    (e) => e instanceof WcpError && e.path === "receipt_hash",
  );
});
