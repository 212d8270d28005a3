// Per-op figures for attestation and receipts (pure core): deno bench --allow-read tests/bench/hash_bench.ts
// The package-vs-sha256sum throughput ratio is measured by scripts/hash_ratio.ts (needs a temp dir).
import {
  computeReceiptHash,
  generateSigningKey,
  hmacSha256Hex,
  hmacSigningPayload,
  merkleRoot,
  mintReceipt,
  type PackageFile,
  packageHash,
  type Receipt,
  verifyReceiptChain,
} from "../../mod.ts";

const files: PackageFile[] = Array.from({ length: 10_000 }, (_, i) => ({
  path: `code/mod${i % 37}/file-${(i * 7919) % 10_000}.py`,
  size: i * 13,
  sha256: (i.toString(16).padStart(8, "0")).repeat(8),
}));
const key = await generateSigningKey();
const fields = {
  tenant_id: "acme",
  correlation_id: "00000000-0000-4000-8000-000000000001",
  dispatched_at: "2026-01-01T00:00:00.000Z",
  worker_id: "org.acme.summarizer.1",
  capability_id: "cap.doc.summarize",
  policy_decision: "ALLOW",
  controls_verified: ["ctrl.obs.audit-log-append-only"],
  artifact_hash: "sha256:" + "ab".repeat(32),
};
const chain: Receipt[] = [];
for (let i = 0; i < 1000; i++) chain.push(await mintReceipt(chain.at(-1) ?? null, fields, key));
const leaves = chain.map((r) => new TextEncoder().encode(r.receipt_hash));
const manifest = {
  schema_version: "awp.v1",
  worker_id: "org.acme.summarizer.1",
  worker_species_id: "wrk.doc.summarizer",
  worker_version: "1.0.0",
  package_hash: "ab".repeat(32),
  built_at_utc: "2026-01-01T00:00:00Z",
  build_source: "local",
};

Deno.bench("packageHash: combine 10,000 per-file digests (sort + hash)", () => {
  packageHash(files);
});
Deno.bench("manifest HMAC signature (reference payload)", () => {
  hmacSha256Hex("secret", hmacSigningPayload(manifest));
});
Deno.bench("computeReceiptHash (JCS + SHA-256)", () => {
  computeReceiptHash(chain[0]);
});
Deno.bench("mintReceipt (hash + Ed25519 sign)", async () => {
  await mintReceipt(chain[999], fields, key);
});
Deno.bench("verifyReceiptChain: 1,000 receipts", async () => {
  await verifyReceiptChain(chain, { keys: [key] });
});
Deno.bench("merkleRoot: 1,000 leaves", () => {
  merkleRoot(leaves);
});
