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
  type ConsistencyProof,
  type InclusionProof,
  makeCheckpointFromRoot,
  merkleRoot,
  mintReceipt,
  type Receipt,
  type ReceiptFields,
  verifyCheckpoint,
  verifyReceiptPages,
} from "../receipts/mod.ts";
import {
  consistencyPlan,
  foldNodes,
  inclusionPlan,
  nodeKey,
  planNodes,
  rootNodes,
  TreeFrontier,
  type TreeNodeRef,
} from "../receipts/stored_tree.ts";
import { toHex } from "../encoding/bytes.ts";
import { HttpError } from "./errors.ts";
import { KeyRing } from "../attestation/ed25519.ts";
import { PooledKeyRing } from "./signature_pool.ts";
import type { BuiltReceipt, CheckpointRow, HallStore, ReceiptRow } from "./store/types.ts";

const KEY_META = "receipt_signing_key";
/** Rows per page when a chain is read for verification. */
const PAGE = 2000;
/** A verified chain this many receipts past its newest checkpoint gets a new one. */
export const CHECKPOINT_EVERY = 1024;
/** A chain at least this long is verified with its signatures checked on worker threads. */
const POOL_MIN = 8192;

/** Mints, verifies and checkpoints receipts for one hall. */
export class ReceiptService {
  readonly #store: HallStore;
  readonly signer: SigningKey;
  readonly trusted: TrustedKey[];

  private constructor(store: HallStore, signer: SigningKey, trusted: TrustedKey[]) {
    this.#store = store;
    this.signer = signer;
    this.trusted = trusted;
    this.#ring = new KeyRing(trusted);
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
      // mintReceipt signs the hash it has just computed (signReceipt would hash it again).
      const signed = await mintReceipt(prev, fields, this.signer, { now });
      if (signed.seq !== link.seq || signed.prev_receipt_hash !== link.prev_receipt_hash) {
        throw new Error("receipt chain position disagrees with the store head");
      }
      return signed as unknown as BuiltReceipt;
    });
  }

  // One ring for every verification: the imported Web Crypto key is cached in it.
  readonly #ring: KeyRing;
  // The last receipt verified per tenant, with the tree over the chain up to it when known: the
  // next check continues from it.
  #verified = new Map<string, Anchor>();

  /**
   * Pages of a tenant's chain after `afterSeq`, by seq; on the first pass each page's receipts
   * also extend `tree` (the Merkle tree of what is verified) and `seen.last` is the last row.
   */
  #pages(
    tenantId: string,
    afterSeq: number,
    tree: TreeFrontier | null,
    seen: { last: ReceiptRow | null; tree: TreeFrontier | null },
  ): () => AsyncIterable<unknown[]> {
    const store = this.#store;
    let pass = 0;
    // A copy: the anchor's tree must not grow with receipts that may fail verification.
    seen.tree = tree === null ? null : new TreeFrontier(tree.size, tree.nodes());
    return async function* () {
      const first = pass++ === 0;
      let next = afterSeq + 1;
      while (true) {
        const rows = await store.tenantChain(tenantId, { fromSeq: next, limit: PAGE });
        if (rows.length === 0) return;
        if (first) {
          seen.last = rows[rows.length - 1];
          for (const r of rows) {
            if (seen.tree === null) break;
            try {
              seen.tree.append(r.receipt.receipt_hash);
            } catch {
              seen.tree = null; // a malformed hash: the report has the break
            }
          }
        }
        yield rows.map((r) => r.receipt);
        if (rows.length < PAGE) return;
        next = rows[rows.length - 1].seq + 1;
      }
    };
  }

  /** Verify one tenant's whole chain, read in pages, signatures checked in batches. */
  async verify(tenantId: string): Promise<ChainReport> {
    const seen = { last: null as ReceiptRow | null, tree: null as TreeFrontier | null };
    // The tree of the verified receipts is computed when a checkpoint may follow, or when the
    // checks that continue from here have none yet (they sign the next checkpoints).
    const [head, newest] = await Promise.all([
      this.#store.chainHead(tenantId),
      this.#store.latestCheckpoint(tenantId),
    ]);
    const wantTree = !this.#verified.get(tenantId)?.tree ||
      (head !== null && head.seq + 1 - (newest?.tree_size ?? 0) >= CHECKPOINT_EVERY);
    // A long chain's signatures are checked on worker threads (node:crypto, one per core) while
    // this thread reads and hashes; starting the threads costs more than a short chain's checks.
    const pooled = head !== null && head.seq + 1 >= POOL_MIN
      ? new PooledKeyRing(this.trusted)
      : null;
    let report: ChainReport;
    try {
      report = await verifyReceiptPages(
        this.#pages(tenantId, -1, wantTree ? new TreeFrontier(0, []) : null, seen),
        { keys: pooled ?? this.#ring },
      );
    } finally {
      pooled?.close();
    }
    if (report.ok && seen.last) await this.#afterVerified(tenantId, seen.last, seen.tree);
    return report;
  }

  /**
   * Remember how far a tenant's chain verified, and sign a checkpoint there when the chain has
   * grown {@link CHECKPOINT_EVERY} receipts past its newest one (so the next start can begin
   * there). The checkpoint's root is the one computed from the verified receipts, and it is
   * signed only when the stored tree gives the same root.
   */
  async #afterVerified(tenantId: string, last: ReceiptRow, tree: TreeFrontier | null) {
    const size = last.seq + 1;
    const known = tree !== null && tree.size === size ? tree : null;
    // An anchor that carries its tree is kept rather than replaced by one without.
    if (known === null && this.#verified.get(tenantId)?.tree) return;
    this.#verified.set(tenantId, { seq: last.seq, receipt_hash: last.receipt_hash, tree: known });
    if (known === null) return;
    const newest = await this.#store.latestCheckpoint(tenantId);
    if (size - (newest?.tree_size ?? 0) < CHECKPOINT_EVERY) return;
    const root = rootOf(known);
    const stored = await this.#treeRoot(tenantId, size).catch(() => null);
    if (stored === null || toHex(stored) !== toHex(root)) {
      console.warn(
        `hall: receipts: the stored Merkle tree of tenant ${tenantId} does not give the root ` +
          `of its ${size} verified receipts; no checkpoint signed`,
      );
      return;
    }
    await this.#storeCheckpoint(tenantId, size, root, last.receipt.receipt_hash, Date.now());
  }

  /**
   * The newest stored checkpoint as a verified starting point: its signature verifies with the
   * hall's key, the stored tree still gives its root, and the stored receipt at its head is the
   * one it names. Null (with a warning when one exists but fails) otherwise.
   */
  async #fromCheckpoint(tenantId: string): Promise<Anchor | null> {
    const row = await this.#store.latestCheckpoint(tenantId);
    if (!row) return null;
    const fail = (why: string): null => {
      console.warn(
        `hall: receipts: checkpoint ${row.tree_size} of tenant ${tenantId} ${why}; ` +
          "verifying the whole chain",
      );
      return null;
    };
    const cp = row.proof as Record<string, unknown>;
    if (!await verifyCheckpoint(cp, this.#ring)) return fail("does not verify");
    if (cp.tenant_id !== tenantId || cp.tree_size !== row.tree_size || row.tree_size < 1) {
      return fail("is not this chain's");
    }
    const size = row.tree_size;
    const refs = rootNodes(size);
    const hashes = await this.#store.receiptTreeNodes(tenantId, refs);
    if (hashes.some((h) => h === null)) return fail("is not covered by the stored tree");
    const tree = new TreeFrontier(size, refs.map((r, i) => ({ ...r, hash: hashes[i]! })));
    if ("sha256:" + toHex(rootOf(tree)) !== cp.root_hash) {
      return fail("has a root the stored tree no longer gives");
    }
    const [head] = await this.#store.tenantChain(tenantId, { fromSeq: size - 1, limit: 1 });
    if (!head || head.seq !== size - 1 || head.receipt_hash !== cp.head_receipt_hash) {
      return fail("names a head receipt the chain no longer has");
    }
    return { seq: size - 1, receipt_hash: head.receipt_hash, tree };
  }

  /**
   * Verify what was appended since the last check (every tenant), or every whole chain with
   * `full`. Without a last check in this process, an incremental check starts after the newest
   * signed checkpoint that still holds (see `#fromCheckpoint`; the whole chain otherwise): the
   * hall's start check, which must not re-verify 100k receipts at every start. Returns the broken
   * tenants, with their reports.
   */
  async check(full: boolean): Promise<{ tenant_id: string; report: ChainReport }[]> {
    const broken: { tenant_id: string; report: ChainReport }[] = [];
    for (const tenant of await this.#store.receiptTenants()) {
      const anchor = full ? null : this.#verified.get(tenant) ?? await this.#fromCheckpoint(tenant);
      if (!anchor) {
        const report = await this.verify(tenant);
        if (!report.ok) broken.push({ tenant_id: tenant, report });
        continue;
      }
      const seen = { last: null as ReceiptRow | null, tree: null as TreeFrontier | null };
      const report = await verifyReceiptPages(
        this.#pages(tenant, anchor.seq, anchor.tree, seen),
        { keys: this.#ring, anchor, tenantId: tenant },
      );
      if (!report.ok) {
        broken.push({ tenant_id: tenant, report });
      } else if (seen.last) {
        await this.#afterVerified(tenant, seen.last, seen.tree);
      } else if (!this.#verified.has(tenant)) {
        this.#verified.set(tenant, anchor);
      }
    }
    return broken;
  }

  /** Hashes of stored tree nodes by `nodeKey`; 409 when one is not stored. */
  async #nodes(tenantId: string, refs: TreeNodeRef[]): Promise<Map<string, Uint8Array>> {
    const hashes = await this.#store.receiptTreeNodes(tenantId, refs);
    const out = new Map<string, Uint8Array>();
    refs.forEach((r, i) => {
      const h = hashes[i];
      if (h === null || h.length !== 32) throw treeBehind(tenantId);
      out.set(nodeKey(r), h);
    });
    return out;
  }

  async #treeRoot(tenantId: string, size: number): Promise<Uint8Array> {
    if (size === 0) return merkleRoot([]);
    const refs = rootNodes(size);
    const nodes = await this.#nodes(tenantId, refs);
    return foldNodes(refs, (r) => nodes.get(nodeKey(r))!);
  }

  /** Leaves of the stored tree, which must cover the whole chain (else 409). */
  async #coveredSize(tenantId: string): Promise<number> {
    const [size, head] = await Promise.all([
      this.#store.receiptTreeSize(tenantId),
      this.#store.chainHead(tenantId),
    ]);
    if (head && size < head.seq + 1) throw treeBehind(tenantId);
    return size;
  }

  /**
   * Proof that a receipt is in its tenant's chain: an RFC 6962 audit path against the newest
   * stored checkpoint that covers it (a new checkpoint is signed and stored when none does),
   * read from O(log n) stored tree nodes.
   */
  async proof(
    tenantId: string,
    receiptId: string,
    now: number,
  ): Promise<{ receipt: BuiltReceipt; proof: InclusionProof; checkpoint: unknown } | null> {
    const [row, treeSize] = await Promise.all([
      this.#store.getReceipt(tenantId, receiptId),
      this.#store.receiptTreeSize(tenantId),
    ]);
    if (!row) return null;
    const index = row.seq;
    if (index >= treeSize) throw treeBehind(tenantId);
    const cp = await this.#store.latestCheckpoint(tenantId, {
      minSize: index + 1,
      maxSize: treeSize,
    }) ?? await this.checkpoint(tenantId, now);
    const size = cp!.tree_size;
    const plan = inclusionPlan(index, size);
    const nodes = await this.#nodes(tenantId, planNodes(plan));
    const get = (r: TreeNodeRef) => nodes.get(nodeKey(r))!;
    return {
      receipt: row.receipt,
      proof: {
        receipt_hash: row.receipt.receipt_hash,
        leaf_index: index,
        tree_size: size,
        audit_path: plan.map((p) => toHex(foldNodes(p, get))),
      },
      checkpoint: cp!.proof,
    };
  }

  /**
   * The RFC 6962 consistency proof between the first `oldSize` receipts of a tenant's chain and
   * the first `newSize` (default: the whole chain), from stored tree nodes.
   */
  async consistency(
    tenantId: string,
    oldSize: number,
    newSize?: number,
  ): Promise<ConsistencyProof> {
    const treeSize = await this.#coveredSize(tenantId);
    const to = newSize ?? treeSize;
    if (to > treeSize) {
      throw new HttpError(400, "INVALID_QUERY", `new_size: the chain has ${treeSize} receipts`, {
        path: "new_size",
      });
    }
    if (oldSize > to) {
      throw new HttpError(400, "INVALID_QUERY", `old_size: must not exceed new_size (${to})`, {
        path: "old_size",
      });
    }
    if (oldSize === 0 || oldSize === to) return { old_size: oldSize, new_size: to, proof: [] };
    const plan = consistencyPlan(oldSize, to);
    const nodes = await this.#nodes(tenantId, planNodes(plan));
    const get = (r: TreeNodeRef) => nodes.get(nodeKey(r))!;
    return { old_size: oldSize, new_size: to, proof: plan.map((p) => toHex(foldNodes(p, get))) };
  }

  /** Sign a Merkle checkpoint over a tenant's chain as it is now, and store it. */
  async checkpoint(tenantId: string, now: number): Promise<CheckpointRow | null> {
    const size = await this.#coveredSize(tenantId);
    if (size === 0) return null;
    const [head] = await this.#store.tenantChain(tenantId, { fromSeq: size - 1, limit: 1 });
    if (!head || head.seq !== size - 1) throw treeBehind(tenantId);
    const root = await this.#treeRoot(tenantId, size);
    return await this.#storeCheckpoint(tenantId, size, root, head.receipt.receipt_hash, now);
  }

  async #storeCheckpoint(
    tenantId: string,
    size: number,
    root: Uint8Array,
    headHash: string,
    now: number,
  ): Promise<CheckpointRow> {
    const cp = await makeCheckpointFromRoot(
      { tenant_id: tenantId, tree_size: size, root, head_receipt_hash: headHash },
      this.signer,
      { now },
    );
    const c = cp as unknown as Record<string, unknown>;
    const row: CheckpointRow = {
      tenant_id: tenantId,
      tree_size: size,
      root: String(c.root ?? c.root_hash ?? ""),
      created_at: new Date(now).toISOString(),
      proof: c,
    };
    await this.#store.putCheckpoint(row);
    return row;
  }
}

/** Where a check continues from: a verified receipt and the tree up to it (when known). */
interface Anchor {
  seq: number;
  receipt_hash: string;
  tree: TreeFrontier | null;
}

function rootOf(tree: TreeFrontier): Uint8Array {
  const nodes = tree.nodes();
  if (nodes.length === 0) return merkleRoot([]);
  return foldNodes(nodes, (r) => (r as (typeof nodes)[number]).hash);
}

function treeBehind(tenantId: string): HttpError {
  return new HttpError(
    409,
    "RECEIPT_TREE_BEHIND",
    `the stored Merkle tree of tenant ${tenantId} does not cover its chain (a malformed or ` +
      "missing receipt: GET /wcp/receipts/verify locates it)",
    { path: "tenant_id" },
  );
}
