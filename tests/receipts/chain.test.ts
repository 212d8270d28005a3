// Chain verification: every kind of break, located (index + receipt_id), as a sev1 event.
import assert from "node:assert/strict";
import {
  computeReceiptHash,
  generateSigningKey,
  mintReceipt,
  type Receipt,
  receiptSigningBytes,
  type SigningKey,
  verifyReceiptChain,
  verifyReceiptLog,
  WcpError,
} from "../../mod.ts";
import { fieldsFor, mintChain, toHex } from "./_helpers.ts";

const key = await generateSigningKey();
const chain = await mintChain(8, [key]);

/** Re-hash and re-sign a receipt (an insider with the key rewriting history). */
async function reseal(r: Record<string, unknown>, k: SigningKey = key): Promise<Receipt> {
  const rest: Record<string, unknown> = { ...r, signing_key_id: k.key_id };
  delete rest.signature;
  const receipt_hash = computeReceiptHash(rest);
  return {
    ...rest,
    receipt_hash,
    signature: toHex(await k.sign(receiptSigningBytes(receipt_hash))),
  } as Receipt;
}

async function firstBreak(receipts: unknown[], opts: Record<string, unknown> = {}) {
  const r = await verifyReceiptChain(receipts, { keys: [key], now: 0, ...opts });
  assert.equal(r.ok, false);
  return { ...r.breaks[0], report: r };
}

Deno.test("chain: an intact chain verifies, with its head", async () => {
  const r = await verifyReceiptChain(chain, {
    keys: [key],
    head: { seq: 7, receipt_hash: chain[7].receipt_hash },
  });
  assert.deepEqual(r, {
    ok: true,
    count: 8,
    head_hash: chain[7].receipt_hash,
    breaks: [],
    event: null,
  });
  assert.equal((await verifyReceiptChain([], { keys: [key] })).ok, true);
});

Deno.test("chain: progress is reported while verifying", async () => {
  const long = await mintChain(600, [key]);
  const calls: number[] = [];
  const r = await verifyReceiptChain(long, {
    keys: [key],
    onProgress: (d, t) => calls.push(d / t),
  });
  assert.equal(r.ok, true);
  assert.deepEqual(calls, [256 / 600, 512 / 600, 1]);
});

Deno.test("chain: a changed field is hash_mismatch at its position, as a sev1 event", async () => {
  const t = chain.slice();
  t[3] = { ...t[3], capability_id: "cap.exfiltrate" };
  const b = await firstBreak(t);
  assert.equal(b.kind, "hash_mismatch");
  assert.equal(b.index, 3);
  assert.equal(b.receipt_id, chain[3].receipt_id);
  assert.deepEqual(b.report.event, {
    event_id: "evt.os.receipt.chain-broken",
    severity: "sev1",
    timestamp: "1970-01-01T00:00:00.000Z",
    tenant_id: "acme",
    kind: "hash_mismatch",
    index: 3,
    receipt_id: chain[3].receipt_id,
    message: "content does not match receipt_hash",
    breaks_total: 1,
  });
});

Deno.test("chain: re-hashing without the key is bad_signature", async () => {
  const t = chain.slice();
  const forged = { ...t[4], policy_decision: "DENY" } as Record<string, unknown>;
  forged.receipt_hash = computeReceiptHash(forged);
  t[4] = forged as unknown as Receipt;
  const b = await firstBreak(t);
  assert.equal(b.kind, "bad_signature");
  assert.equal(b.index, 4);
  // The next receipt still points at the original hash.
  assert.deepEqual(b.report.breaks.map((x) => [x.kind, x.index]), [["bad_signature", 4], [
    "broken_link",
    5,
  ]]);
});

Deno.test("chain: a receipt signed by an untrusted key is unknown_key", async () => {
  const intruder = await generateSigningKey();
  const t = chain.slice();
  t[2] = await reseal(t[2], intruder);
  const b = await firstBreak(t);
  assert.equal(b.kind, "unknown_key");
  assert.equal(b.index, 2);
  assert.equal(b.found, intruder.key_id);
});

Deno.test("chain: a rewritten link (re-signed by an insider) is broken_link", async () => {
  const t = chain.slice();
  t[5] = await reseal({ ...t[5], prev_receipt_hash: "sha256:" + "0".repeat(64) });
  const b = await firstBreak(t);
  assert.equal(b.kind, "broken_link");
  assert.equal(b.index, 5);
  assert.deepEqual(b.expected, { seq: 5, prev_receipt_hash: chain[4].receipt_hash });
});

Deno.test("chain: a removed receipt is missing_link at the gap", async () => {
  const t = [...chain.slice(0, 3), ...chain.slice(4)];
  const b = await firstBreak(t);
  assert.equal(b.kind, "missing_link");
  assert.equal(b.index, 3);
  assert.equal(b.receipt_id, chain[4].receipt_id);
  assert.match(b.message, /receipts 3\.\.3 are missing/);
  assert.equal(b.report.breaks.length, 1);
  // Removing the first receipt.
  const first = await firstBreak(chain.slice(1));
  assert.deepEqual([first.kind, first.index], ["missing_link", 0]);
});

Deno.test("chain: swapped receipts are reordered at the first moved position", async () => {
  const t = chain.slice();
  [t[5], t[6]] = [t[6], t[5]];
  const b = await firstBreak(t);
  assert.equal(b.kind, "reordered");
  assert.equal(b.index, 5);
  assert.equal(b.receipt_id, chain[6].receipt_id);
  assert.ok(b.report.breaks.every((x) => x.kind === "reordered"));
});

Deno.test("chain: a replayed receipt is duplicate", async () => {
  const t = [...chain.slice(0, 4), chain[2], ...chain.slice(4)];
  const b = await firstBreak(t);
  assert.equal(b.kind, "duplicate");
  assert.equal(b.index, 4);
  assert.equal(b.receipt_id, chain[2].receipt_id);
});

Deno.test("chain: a cut-off end is truncated against the expected head", async () => {
  const b = await firstBreak(chain.slice(0, 6), {
    head: { seq: 7, receipt_hash: chain[7].receipt_hash },
  });
  assert.deepEqual([b.kind, b.index, b.receipt_id], ["truncated", 6, null]);
});

Deno.test("chain: another tenant's receipt is tenant_mismatch", async () => {
  const globex = await mintReceipt(chain[2], fieldsFor(3), key);
  const moved = await reseal({ ...globex, tenant_id: "globex" });
  const t = [...chain.slice(0, 3), moved, ...chain.slice(4)];
  const b = await firstBreak(t);
  assert.deepEqual([b.kind, b.index, b.expected, b.found], [
    "tenant_mismatch",
    3,
    "acme",
    "globex",
  ]);
  const wrongTenant = await firstBreak(chain, { tenantId: "globex" });
  assert.deepEqual([wrongTenant.kind, wrongTenant.index], ["tenant_mismatch", 0]);
});

Deno.test("chain: malformed entries are located; the log form reports unparsable lines", async () => {
  for (
    const [patch, re] of [
      [{ signature: chain[1].signature.toUpperCase() }, /signature/],
      [{ seq: "1" }, /seq/],
      [{ receipt_id: "not-a-uuid" }, /receipt_id/],
      [{ prev_receipt_hash: "sha256:XYZ" }, /prev_receipt_hash/],
      [{ controls_verified: null }, /controls_verified/],
    ] as const
  ) {
    const t: unknown[] = chain.slice();
    t[1] = { ...chain[1], ...patch };
    const b = await firstBreak(t);
    assert.deepEqual([b.kind, b.index], ["malformed", 1]);
    assert.match(b.message, re);
  }
  const lines = chain.map((r) => JSON.stringify(r));
  lines[6] = lines[6].slice(1); // no opening brace: not JSON, but the id is still readable
  const log = await verifyReceiptLog(lines.join("\n") + "\n", { keys: [key] });
  assert.deepEqual([log.breaks[0].kind, log.breaks[0].index, log.breaks[0].receipt_id], [
    "malformed",
    6,
    chain[6].receipt_id,
  ]);
  assert.equal(log.count, 8);
  assert.equal(
    (await verifyReceiptLog(chain.map((r) => JSON.stringify(r)).join("\n"), { keys: [key] })).ok,
    true,
  );
  assert.equal((await verifyReceiptLog("", { keys: [key] })).count, 0);
});

Deno.test("chain: key rotation — receipts by several trusted keys verify; dropping one is located", async () => {
  const next = await generateSigningKey();
  const rotated = await mintChain(6, [key, next]);
  assert.equal((await verifyReceiptChain(rotated, { keys: [key, next] })).ok, true);
  const r = await verifyReceiptChain(rotated, { keys: [next] });
  assert.deepEqual(r.breaks.map((b) => [b.kind, b.index]), [
    ["unknown_key", 0],
    ["unknown_key", 2],
    ["unknown_key", 4],
  ]);
});

Deno.test("chain: a segment verifies against an anchor, and only against the right one", async () => {
  const anchor = { seq: 3, receipt_hash: chain[3].receipt_hash };
  assert.equal((await verifyReceiptChain(chain.slice(4), { keys: [key], anchor })).ok, true);
  const wrong = await verifyReceiptChain(chain.slice(4), {
    keys: [key],
    anchor: { seq: 2, receipt_hash: chain[2].receipt_hash },
  });
  // Receipt 3 lies between that anchor and the segment.
  assert.deepEqual([wrong.breaks[0].kind, wrong.breaks[0].index], ["missing_link", 0]);
});

Deno.test("chain: hostile arguments — not an array is one malformed break; bad keys name keys[i]", async () => {
  for (const notList of [null, "receipts", { 0: chain[0], length: 1 }, 7]) {
    const r = await verifyReceiptChain(notList as unknown as unknown[], { keys: [key] });
    assert.equal(r.ok, false);
    assert.equal(r.count, 0);
    assert.deepEqual([r.breaks[0].kind, r.breaks[0].index], ["malformed", 0]);
    assert.equal(r.event?.severity, "sev1");
  }
  const invalid = (path: string) => (e: unknown) =>
    e instanceof WcpError && e.code === "KEY_INVALID" && e.path === path;
  await assert.rejects(verifyReceiptChain(chain, { keys: null as never }), invalid("keys"));
  await assert.rejects(verifyReceiptChain(chain, { keys: 5 as never }), invalid("keys"));
  await assert.rejects(
    verifyReceiptChain(chain, { keys: [key, null] as never }),
    invalid("keys[1]"),
  );
  await assert.rejects(
    verifyReceiptChain(chain, { keys: [{ key_id: key.key_id, public_key: "!!" }] }),
    invalid("keys[0].public_key"),
  );
  // An array-like object is not a list: its receipt is never trusted by accident.
  const proto = JSON.parse(`{"__proto__": ${JSON.stringify(chain[0])}}`);
  const p = await verifyReceiptChain([proto], { keys: [key] });
  assert.deepEqual([p.ok, p.breaks[0].kind], [false, "malformed"]);
});
