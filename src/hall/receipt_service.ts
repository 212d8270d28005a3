/**
 * Hall-minted evidence receipts: one signing key per hall deployment (kept in the store's meta
 * table, so every instance on a shared database signs with the same key), chained per tenant
 * through `HallStore.appendReceipt`, verified and checkpointed with the receipts module.
 *
 * @module
 */

import {
  exportKeyFile,
  generateSigningKey,
  parseKeyFile,
  type SigningKey,
  signingKeyFromKeyFile,
  type TrustedKey,
  trustedKeyOf,
} from "../attestation/mod.ts";
import {
  type ChainReport,
  type InclusionProof,
  makeCheckpoint,
  prepareReceipt,
  type Receipt,
  type ReceiptFields,
  receiptInclusionProof,
  signReceipt,
  verifyReceiptChain,
} from "../receipts/mod.ts";
import type { BuiltReceipt, CheckpointRow, HallStore, ReceiptRow } from "./store/types.ts";

const KEY_META = "receipt_signing_key";

/** Mints, verifies and checkpoints receipts for one hall. */
export class ReceiptService {
  readonly #store: HallStore;
  readonly signer: SigningKey;
  readonly trusted: TrustedKey[];

  private constructor(store: HallStore, signer: SigningKey, trusted: TrustedKey[]) {
    this.#store = store;
    this.signer = signer;
    this.trusted = trusted;
  }

  /** Load the deployment's signing key from the store, creating it on first start. */
  static async open(store: HallStore, signer?: SigningKey): Promise<ReceiptService> {
    if (signer) return new ReceiptService(store, signer, [trustedKeyOf(signer)]);
    let text = await store.getMeta(KEY_META);
    if (text === null) {
      const fresh = await generateSigningKey();
      const file = await exportKeyFile(fresh, { includePrivate: true });
      text = await store.setMetaIfAbsent(KEY_META, JSON.stringify(file));
    }
    const key = await signingKeyFromKeyFile(parseKeyFile(JSON.parse(text)));
    return new ReceiptService(store, key, [trustedKeyOf(key)]);
  }

  /** Append a signed receipt for `fields` at the head of the tenant's chain. */
  async mint(fields: ReceiptFields, now: number): Promise<ReceiptRow> {
    return await this.#store.appendReceipt(fields.tenant_id, async (link) => {
      const prev = link.prev_receipt as unknown as Receipt | null;
      const unsigned = prepareReceipt(prev, fields, this.signer.key_id, { now });
      if (unsigned.seq !== link.seq || unsigned.prev_receipt_hash !== link.prev_receipt_hash) {
        throw new Error("receipt chain position disagrees with the store head");
      }
      const signed = await signReceipt(unsigned, this.signer);
      return signed as unknown as BuiltReceipt;
    });
  }

  /** Verify one tenant's whole chain. */
  async verify(tenantId: string): Promise<ChainReport> {
    const rows = await this.#store.tenantChain(tenantId);
    const report = await verifyReceiptChain(rows.map((r) => r.receipt), { keys: this.trusted });
    if (report.ok && rows.length) {
      const last = rows[rows.length - 1];
      this.#verified.set(tenantId, { seq: last.seq, receipt_hash: last.receipt_hash });
    }
    return report;
  }

  // The last receipt verified per tenant: the background check continues from it.
  #verified = new Map<string, { seq: number; receipt_hash: string }>();

  /**
   * Verify what was appended since the last check (every tenant), or every whole chain with
   * `full`. Returns the tenants whose chain is broken, with their reports.
   */
  async check(full: boolean): Promise<{ tenant_id: string; report: ChainReport }[]> {
    const broken: { tenant_id: string; report: ChainReport }[] = [];
    for (const tenant of await this.#store.receiptTenants()) {
      const anchor = full ? undefined : this.#verified.get(tenant);
      if (!anchor) {
        const report = await this.verify(tenant);
        if (!report.ok) broken.push({ tenant_id: tenant, report });
        continue;
      }
      const rows = await this.#store.tenantChain(tenant, { fromSeq: anchor.seq + 1 });
      if (rows.length === 0) continue;
      const report = await verifyReceiptChain(rows.map((r) => r.receipt), {
        keys: this.trusted,
        anchor,
        tenantId: tenant,
      });
      if (report.ok) {
        const last = rows[rows.length - 1];
        this.#verified.set(tenant, { seq: last.seq, receipt_hash: last.receipt_hash });
      } else {
        broken.push({ tenant_id: tenant, report });
      }
    }
    return broken;
  }

  /**
   * Proof that a receipt is in its tenant's chain: an RFC 6962 audit path against the newest
   * stored checkpoint that covers it (a new checkpoint is signed and stored when none does).
   */
  async proof(
    tenantId: string,
    receiptId: string,
    now: number,
  ): Promise<{ receipt: BuiltReceipt; proof: InclusionProof; checkpoint: unknown } | null> {
    const rows = await this.#store.tenantChain(tenantId);
    const index = rows.findIndex((r) => r.receipt_id === receiptId);
    if (index < 0) return null;
    const stored = (await this.#store.listCheckpoints(tenantId)).filter((c) =>
      c.tree_size > index && c.tree_size <= rows.length
    ).pop();
    const cp = stored ?? await this.checkpoint(tenantId, now);
    const size = cp!.tree_size;
    const receipts = rows.slice(0, size).map((r) => r.receipt as unknown as Receipt);
    return {
      receipt: rows[index].receipt,
      proof: receiptInclusionProof(receipts, index),
      checkpoint: cp!.proof,
    };
  }

  /** Sign a Merkle checkpoint over a tenant's chain as it is now, and store it. */
  async checkpoint(tenantId: string, now: number): Promise<CheckpointRow | null> {
    const rows = await this.#store.tenantChain(tenantId);
    if (rows.length === 0) return null;
    const receipts = rows.map((r) => r.receipt as unknown as Receipt);
    const cp = await makeCheckpoint(receipts, this.signer, { now });
    const c = cp as unknown as Record<string, unknown>;
    const row: CheckpointRow = {
      tenant_id: tenantId,
      tree_size: rows.length,
      root: String(c.root ?? c.root_hash ?? ""),
      created_at: new Date(now).toISOString(),
      proof: c,
    };
    await this.#store.putCheckpoint(row);
    return row;
  }
}
