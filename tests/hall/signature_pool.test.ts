// The hall's signature pool (src/hall/signature_pool.ts): a full chain verification whose
// signatures are checked on worker threads reports a tampered signature at its index, exactly as
// with Web Crypto on the main thread, and a thread that breaks fails closed (its batches are
// checked here; a bad signature in them is still found, none is taken as verifying).
import assert from "node:assert/strict";
import {
  generateSigningKey,
  KeyRing,
  mintReceipt,
  type Receipt,
  type SigningKey,
  trustedKeyOf,
  verifyReceiptChain,
} from "../../mod.ts";
import { PooledKeyRing } from "../../src/hall/signature_pool.ts";

const FIELDS = {
  tenant_id: "acme",
  correlation_id: "c",
  dispatched_at: "2026-01-01T00:00:00.000Z",
  worker_id: "org.acme.doc.summarizer.1",
  capability_id: "cap.doc.summarize",
  policy_decision: "ALLOW",
  controls_verified: [],
  artifact_hash: "sha256:" + "ab".repeat(32),
};

async function chainOf(key: SigningKey, n: number): Promise<Receipt[]> {
  const out: Receipt[] = [];
  let prev: Receipt | null = null;
  for (let i = 0; i < n; i++) {
    prev = await mintReceipt(prev, { ...FIELDS, correlation_id: `c-${i}` }, key);
    out.push(prev);
  }
  return out;
}

const key = await generateSigningKey();
// Three batches of 512 and a part: the tampered receipts sit in the second and the last.
const chain = await chainOf(key, 1600);
const tampered = chain.map((r) => ({ ...r }));
for (const i of [700, 1599]) {
  // Another receipt's valid signature: well-formed, does not verify for this hash.
  tampered[i].signature = chain[i - 1].signature;
}

async function breaksWith(ring: KeyRing, receipts: Receipt[]) {
  try {
    const report = await verifyReceiptChain(receipts, { keys: ring });
    return report.breaks.map((b) => [b.kind, b.index, b.receipt_id]);
  } finally {
    (ring as PooledKeyRing).close?.();
  }
}

const expected = [
  ["bad_signature", 700, chain[700].receipt_id],
  ["bad_signature", 1599, chain[1599].receipt_id],
];

Deno.test("pool: an intact chain verifies, tampered signatures are found at their index", async () => {
  assert.deepEqual(await breaksWith(new PooledKeyRing([trustedKeyOf(key)]), chain), []);
  const pooled = await breaksWith(new PooledKeyRing([trustedKeyOf(key)]), tampered);
  assert.deepEqual(pooled, expected);
  // The same report as Web Crypto on the main thread.
  assert.deepEqual(await breaksWith(new KeyRing([key]), tampered), pooled);
});

Deno.test("pool: a signature by a key of another ring entry is checked with that key", async () => {
  const other = await generateSigningKey();
  const mixed = [...tampered.slice(0, 800), ...(await chainOf(other, 1))];
  mixed[800] = { ...mixed[800] }; // signed by `other`, unlinked: a link break, not a signature one
  const ring = new PooledKeyRing([trustedKeyOf(other), trustedKeyOf(key)]);
  const breaks = await breaksWith(ring, mixed);
  assert.deepEqual(breaks[0], expected[0]);
  assert.equal(breaks.some((b) => b[0] === "bad_signature" && b[1] === 800), false);
});

for (const mode of ["throw", "short"]) {
  Deno.test(`pool: a thread that breaks (${mode}) fails closed`, async () => {
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: string) => warnings.push(m);
    try {
      const workerUrl = new URL(
        `./fixtures/_broken_signature_worker.ts?mode=${mode}`,
        import.meta.url,
      );
      const ring = new PooledKeyRing([trustedKeyOf(key)], { workerUrl, threads: 2 });
      assert.deepEqual(await breaksWith(ring, tampered), expected);
      const again = new PooledKeyRing([trustedKeyOf(key)], { workerUrl, threads: 2 });
      assert.deepEqual(await breaksWith(again, chain), []);
      assert.ok(warnings.some((w) => w.includes("checking signatures on the main thread")));
    } finally {
      console.warn = warn;
    }
  });
}
