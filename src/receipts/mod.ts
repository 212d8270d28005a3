/**
 * Evidence receipts minted by the hall (spec 5.7): hash-chained per tenant stream, Ed25519
 * signed, verified with every break located (a sev1 integrity event), and RFC 6962 Merkle
 * checkpoints with inclusion proofs for third parties.
 *
 * @example
 * ```ts
 * import { generateSigningKey, mintReceipt, verifyReceiptChain } from "@wcp/core/receipts";
 * const key = await generateSigningKey();
 * const fields = { tenant_id: "acme", correlation_id: "c-1",
 *   dispatched_at: "2026-01-01T00:00:00.000Z", worker_id: "org.acme.w.1",
 *   capability_id: "cap.doc.summarize", policy_decision: "ALLOW",
 *   controls_verified: ["ctrl.obs.audit-log-append-only"], artifact_hash: "sha256:" + "0".repeat(64) };
 * const first = await mintReceipt(null, fields, key);
 * const second = await mintReceipt(first, { ...fields, correlation_id: "c-2" }, key);
 * const report = await verifyReceiptChain([first, second], { keys: [key] });
 * console.log(report.ok); // true
 * ```
 *
 * @module
 */
export * from "./receipt.ts";
export * from "./chain.ts";
export * from "./merkle.ts";
export * from "./checkpoint.ts";
export { generateSigningKey } from "../attestation/ed25519.ts";
export * from "./keys.ts";
