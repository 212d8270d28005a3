// A receipt row for a store's `appendReceipt` in tests: its hash derived from a tag and the chain
// position the store hands over, so rows are distinct and a test can tell whose row landed where.
import { sha256Hex } from "../../src/encoding/hash.ts";

/** The row builder `appendReceipt(tenant, receiptRowFor(tag))` expects, linked where it is put. */
export const receiptRowFor =
  (tag: string) => (link: { seq: number; prev_receipt_hash: string | null }) => ({
    receipt_id: crypto.randomUUID(),
    prev_receipt_hash: link.prev_receipt_hash,
    receipt_hash: `sha256:${sha256Hex(`${tag}-${link.seq}`)}`,
    correlation_id: tag,
    dispatched_at: new Date().toISOString(),
  });
