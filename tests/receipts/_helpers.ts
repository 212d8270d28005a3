// Shared fixtures for receipt and attestation tests: deterministic fields, ids and clocks, and
// hex conversions for known-answer vectors.
import { mintReceipt, type Receipt, type ReceiptFields, type SigningKey } from "../../mod.ts";

/** Dispatch facts of receipt i, deterministic. */
export function fieldsFor(i: number, tenant = "acme"): ReceiptFields {
  return {
    tenant_id: tenant,
    correlation_id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    dispatched_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    worker_id: "org.acme.summarizer.1",
    capability_id: "cap.doc.summarize",
    policy_decision: i % 7 === 0 ? "REQUIRE_HUMAN:approved" : "ALLOW",
    controls_verified: ["ctrl.obs.audit-log-append-only", "ctrl.privacy.pii-redaction"],
    artifact_hash: "sha256:" + (i * 2654435761 >>> 0).toString(16).padStart(8, "0").repeat(8),
    decision_id: `d-${i}`,
  };
}

/** A deterministic UUIDv7 for receipt i. */
export function idFor(i: number): string {
  const t = (Date.UTC(2026, 0, 1) + i).toString(16).padStart(12, "0");
  const r = i.toString(16).padStart(15, "0");
  return `${t.slice(0, 8)}-${t.slice(8)}-7${r.slice(0, 3)}-8${r.slice(3, 6)}-${
    r.slice(6).padStart(12, "0")
  }`;
}

/** Mint a chain of n receipts (keys[i % keys.length] signs receipt i: rotation). */
export async function mintChain(
  n: number,
  keys: SigningKey[],
  tenant = "acme",
): Promise<Receipt[]> {
  const out: Receipt[] = [];
  let prev: Receipt | null = null;
  for (let i = 0; i < n; i++) {
    const r: Receipt = await mintReceipt(prev, fieldsFor(i, tenant), keys[i % keys.length], {
      newId: () => idFor(i),
    });
    out.push(r);
    prev = r;
  }
  return out;
}

/** Bytes of a hex string (known-answer vectors). */
export const hex = (s: string): Uint8Array =>
  Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));

/** Lowercase hex of bytes. */
export const toHex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
