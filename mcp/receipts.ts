/**
 * Evidence receipts for executions this server performs itself: one hash chain per tenant, signed
 * with an Ed25519 key generated for the process (or supplied), minted with the core's receipts API.
 *
 * @module
 */

import {
  type ChainAnchor,
  type ChainReport,
  mintReceipt,
  type Receipt,
  verifyReceiptChain,
} from "../src/receipts/mod.ts";
import { generateSigningKey, type SigningKey, type TrustedKey } from "../src/attestation/mod.ts";
import type { RouteDecision } from "../src/model.ts";
import { formatTimestamp } from "../src/ids.ts";
import type { AppendedReceipt, Signer } from "../src/engine/mod.ts";
import type { ReceiptFields } from "../src/receipts/mod.ts";

/** A receipt as minted by the core. */
export type WcpReceipt = Receipt;

/** Receipts kept in memory per tenant; older ones are dropped and replaced by an anchor. */
export const MAX_RECEIPTS_KEPT = 10_000;

/**
 * Per-tenant receipt chains kept in memory (the newest `maxKept`; verification of the kept
 * segment starts from the anchor of the last dropped receipt).
 *
 * @example
 * ```ts
 * import { ReceiptBook } from "./receipts.ts";
 * const book = new ReceiptBook();
 * book.chain("acme").length; // 0
 * ```
 */
export class ReceiptBook {
  #chains = new Map<string, Receipt[]>();
  #key: Promise<SigningKey> | null = null;
  #now: () => number;
  #tail: Promise<unknown> = Promise.resolve();
  #anchors = new Map<string, ChainAnchor>();
  #maxKept: number;

  /**
   * @param now Clock in epoch milliseconds.
   * @param key Signing key (default: generated once, on first use).
   * @param maxKept Receipts kept per tenant (default `MAX_RECEIPTS_KEPT`).
   */
  constructor(now: () => number = Date.now, key?: SigningKey, maxKept: number = MAX_RECEIPTS_KEPT) {
    this.#now = now;
    if (key) this.#key = Promise.resolve(key);
    this.#maxKept = Math.max(1, Math.floor(maxKept));
  }

  /** The last dropped receipt of a tenant (where the kept segment starts), or null. */
  anchor(tenantId: string): ChainAnchor | null {
    return this.#anchors.get(tenantId) ?? null;
  }

  #signer(): Promise<SigningKey> {
    return this.#key ??= generateSigningKey();
  }

  /** The public key that verifies this book's receipts. */
  async trustedKey(): Promise<TrustedKey> {
    const k = await this.#signer();
    return { key_id: k.key_id, public_key: k.public_key };
  }

  /** Receipts of one tenant, oldest first. */
  chain(tenantId: string): readonly Receipt[] {
    return this.#chains.get(tenantId) ?? [];
  }

  /** Mint and append the receipt of an execution allowed by `decision`. */
  mint(decision: RouteDecision, extras: Record<string, unknown>): Promise<Receipt> {
    return this.append({
      tenant_id: decision.tenant_id,
      correlation_id: decision.correlation_id,
      dispatched_at: formatTimestamp(this.#now()),
      worker_id: decision.selected_worker_id ?? "",
      capability_id: decision.capability_id,
      policy_decision: String(extras.policy_decision ?? "ALLOW"),
      controls_verified: decision.controls_verified ?? [],
      artifact_hash: decision.request_hash ?? "",
      decision_id: decision.decision_id,
      ...extras,
    }).then((r) => r.receipt);
  }

  /**
   * Sign and append a receipt with the engine's fields (the receipt half of the engine's store
   * port).
   */
  append(fields: ReceiptFields, at: number = this.#now()): Promise<AppendedReceipt> {
    // Mints run one at a time: signing is async, and two mints reading the same head would fork
    // the chain.
    const next = this.#tail.then(() => this.#mintNow(fields, at));
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async #mintNow(fields: ReceiptFields, at: number): Promise<AppendedReceipt> {
    const signer: Signer = await this.#signer();
    const chain = this.#chains.get(fields.tenant_id) ?? [];
    this.#chains.set(fields.tenant_id, chain);
    const prev = chain.length > 0 ? chain[chain.length - 1] : null;
    const receipt = await mintReceipt(prev, fields, signer, { now: at });
    chain.push(receipt);
    // Drop in batches so the cost of trimming stays small per mint.
    if (chain.length > this.#maxKept + Math.ceil(this.#maxKept / 10)) {
      const dropped = chain.splice(0, chain.length - this.#maxKept);
      const last = dropped[dropped.length - 1];
      this.#anchors.set(fields.tenant_id, { seq: last.seq, receipt_hash: last.receipt_hash });
    }
    return { receipt_id: receipt.receipt_id, seq: receipt.seq, receipt };
  }

  /** Verify the chain kept for a tenant, from its anchor. */
  async verifyTenant(tenantId: string): Promise<ChainReport> {
    return await verifyReceiptChain([...this.chain(tenantId)], {
      keys: [await this.trustedKey()],
      anchor: this.anchor(tenantId),
    });
  }

  /** Verify receipts (a whole chain from seq 0) against this book's key and any extra keys. */
  async verify(receipts: unknown[], extraKeys: TrustedKey[] = []): Promise<ChainReport> {
    return await verifyReceiptChain(receipts, { keys: [await this.trustedKey(), ...extraKeys] });
  }
}
