/**
 * Receipt chains of the SQLite store: group-committed appends (one transaction, one fsync, per
 * batch), reads, checkpoints, and the chains' stored trees (`receipt_tree.ts`).
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import type { BuiltReceipt, ChainLink, CheckpointRow, ReceiptQuery, ReceiptRow } from "../types.ts";
import { receiptLeafInput, type TreeNodeRef } from "../../../receipts/stored_tree.ts";
import { cap, parse, promised, type Row, type SqliteDb } from "./db.ts";
import type { SqliteReceiptTree } from "./receipt_tree.ts";

interface PendingAppend {
  tenantId: string;
  build: (link: ChainLink) => BuiltReceipt | Promise<BuiltReceipt>;
  resolve: (row: ReceiptRow) => void;
  reject: (e: unknown) => void;
}

type Head = { seq: number; hash: string | null; receipt: BuiltReceipt | null };

/** Chain heads kept in memory (one receipt each); beyond this the cache starts over. */
const HEADS_CACHED = 4096;

/** Receipt rows and checkpoints over one connection. */
export class SqliteReceipts {
  readonly #db: SqliteDb;
  readonly #tree: SqliteReceiptTree;
  // Serialises receipt appends inside this process; other processes are excluded by BEGIN IMMEDIATE.
  #appendQueue: Promise<unknown> = Promise.resolve();
  #pending: PendingAppend[] = [];
  #batching = false;

  /** Rows in `db`, trees in `tree`. */
  constructor(db: SqliteDb, tree: SqliteReceiptTree) {
    this.#db = db;
    this.#tree = tree;
  }

  // Batches committed whose WAL flush is still running (their appends resolve after it).
  #flushing = new Set<Promise<void>>();

  /** Resolves when the appends queued so far are settled (written and flushed, or failed). */
  async settled(): Promise<void> {
    await this.#appendQueue.then(() => {}, () => {});
    while (this.#flushing.size > 0) await Promise.all(this.#flushing);
  }

  // ---- receipts ----
  // The chain heads this connection last committed or read, so a batch does not re-read and
  // re-parse the newest receipt of each tenant; the commit checks the stored head's seq (another
  // process may have appended: then the batch is rebuilt from the store).
  #heads = new Map<string, Head>();
  #cachedHead(tenantId: string): Head {
    const h = this.#heads.get(tenantId);
    if (h !== undefined) return h;
    const read = this.#head(tenantId);
    if (this.#heads.size >= HEADS_CACHED) this.#heads.clear();
    this.#heads.set(tenantId, read);
    return read;
  }
  #headSeq(tenantId: string): number {
    const row = this.#db.get(
      "SELECT seq FROM receipts WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1",
      tenantId,
    ) as { seq: number } | undefined;
    return row ? Number(row.seq) : -1;
  }
  #head(tenantId: string): Head {
    const row = this.#db.get(
      "SELECT seq, receipt_hash, data FROM receipts WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1",
      tenantId,
    ) as { seq: number; receipt_hash: string; data: string } | undefined;
    return row
      ? { seq: Number(row.seq), hash: row.receipt_hash, receipt: JSON.parse(row.data) }
      : { seq: -1, hash: null, receipt: null };
  }

  appendReceipt(
    tenantId: string,
    build: (link: ChainLink) => BuiltReceipt | Promise<BuiltReceipt>,
  ): Promise<ReceiptRow> {
    return new Promise<ReceiptRow>((resolve, reject) => {
      this.#pending.push({ tenantId, build, resolve, reject });
      if (!this.#batching) {
        this.#batching = true;
        this.#appendQueue = this.#drain();
      }
    });
  }

  // Group commit: appends that arrive while a batch is being built go into the next batch, and a
  // whole batch is written in one transaction, so durability does not cost one disk flush per
  // receipt. The commit does not wait for the disk (`txDeferred`): the batch's appends resolve
  // once the WAL flush after it is done (`durable`), which runs off the event loop while the next
  // batch is signed and committed; a flush serves every batch committed before it started.
  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, 512);
        await this.#appendBatch(batch);
      }
    } finally {
      this.#batching = false;
    }
  }

  async #appendBatch(batch: PendingAppend[]): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      // Build outside the write lock (signing is async), chaining within the batch in memory.
      const start = new Map<string, Head>();
      const heads = new Map<string, Head>();
      const built: { item: PendingAppend; row: ReceiptRow }[] = [];
      for (const item of batch) {
        if (!heads.has(item.tenantId)) {
          const h = this.#cachedHead(item.tenantId);
          start.set(item.tenantId, h);
          heads.set(item.tenantId, h);
        }
        const head = heads.get(item.tenantId)!;
        const link: ChainLink = {
          tenant_id: item.tenantId,
          seq: head.seq + 1,
          prev_receipt_hash: head.hash,
          prev_receipt: head.receipt,
        };
        let receipt: BuiltReceipt;
        try {
          receipt = await item.build(link);
          if (receipt.prev_receipt_hash !== link.prev_receipt_hash) {
            throw new Error("receipt builder did not chain to the given prev_receipt_hash");
          }
          // A receipt_hash that cannot be a Merkle leaf is refused (before anything is written).
          receiptLeafInput(receipt.receipt_hash);
        } catch (e) {
          item.reject(e);
          continue;
        }
        const row: ReceiptRow = {
          tenant_id: item.tenantId,
          seq: link.seq,
          receipt_id: receipt.receipt_id,
          receipt_hash: receipt.receipt_hash,
          prev_receipt_hash: receipt.prev_receipt_hash,
          correlation_id: receipt.correlation_id,
          decision_id: typeof receipt.decision_id === "string" ? receipt.decision_id : null,
          dispatched_at: receipt.dispatched_at,
          receipt,
        };
        heads.set(item.tenantId, { seq: row.seq, hash: row.receipt_hash, receipt });
        built.push({ item, row });
      }
      // Trees of chains TREE_LAG receipts ahead are extended in this commit (no fsync of their own).
      const lagging = this.#tree.lagging();
      let committed: boolean;
      try {
        committed = await this.#db.txDeferredWhenFree(() => {
          // Another process sharing the file may have appended meanwhile: then rebuild.
          for (const [tenant, h] of start) if (this.#headSeq(tenant) !== h.seq) return false;
          for (const tenant of lagging) this.#tree.catchUpOrLog(tenant);
          for (const { row } of built) {
            this.#db.run(
              `INSERT INTO receipts (tenant_id, seq, receipt_id, receipt_hash, prev_receipt_hash,
               correlation_id, decision_id, dispatched_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              row.tenant_id,
              row.seq,
              row.receipt_id,
              row.receipt_hash,
              row.prev_receipt_hash,
              row.correlation_id,
              row.decision_id,
              row.dispatched_at,
              JSON.stringify(row.receipt),
            );
          }
          return true;
        });
      } catch (e) {
        for (const tenant of start.keys()) this.#heads.delete(tenant);
        for (const { item } of built) item.reject(e);
        return;
      }
      if (!committed) { for (const tenant of start.keys()) this.#heads.delete(tenant); }
      if (committed) {
        for (const tenant of start.keys()) this.#heads.set(tenant, heads.get(tenant)!);
        this.#tree.committed(lagging, built.map((b) => b.row.tenant_id));
        // Acknowledged only once on the disk; a failed flush fails the batch (not acknowledged).
        const flushed: Promise<void> = this.#db.durable().then(
          () => {
            for (const { item, row } of built) item.resolve(row);
          },
          (e) => {
            for (const { item } of built) item.reject(e);
          },
        ).finally(() => this.#flushing.delete(flushed));
        this.#flushing.add(flushed);
        return;
      }
      batch = built.map((b) => b.item);
    }
    for (const item of batch) item.reject(new Error("receipt chain is too contended"));
  }

  /** Tenants with at least one receipt, sorted. */
  tenants(): string[] {
    return this.#db.all("SELECT DISTINCT tenant_id FROM receipts ORDER BY tenant_id").map((r) =>
      String((r as { tenant_id: string }).tenant_id)
    );
  }

  receiptTreeSize(tenantId: string): Promise<number> {
    return promised(() => {
      this.#tree.ensure(tenantId);
      return this.#tree.size(tenantId);
    });
  }

  receiptTreeNodes(
    tenantId: string,
    refs: readonly TreeNodeRef[],
  ): Promise<(Uint8Array | null)[]> {
    return promised(() => {
      const got = refs.map((r) => this.#tree.node(tenantId, r));
      if (got.every((h) => h !== null)) return got;
      this.#tree.ensure(tenantId);
      return refs.map((r) => this.#tree.node(tenantId, r));
    });
  }

  chainHead(tenantId: string): Promise<ReceiptRow | null> {
    return promised(() => {
      const r = this.#db.get(
        "SELECT * FROM receipts WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1",
        tenantId,
      );
      return r ? this.#receiptRow(r) : null;
    });
  }

  getReceipt(tenantId: string, receiptId: string): Promise<ReceiptRow | null> {
    return promised(() => {
      const r = this.#db.get(
        "SELECT * FROM receipts WHERE receipt_id = ? AND tenant_id = ?",
        receiptId,
        tenantId,
      );
      return r ? this.#receiptRow(r) : null;
    });
  }

  #receiptRow(r: unknown): ReceiptRow {
    const x = r as Row & { data: string };
    return {
      tenant_id: String(x.tenant_id),
      seq: Number(x.seq),
      receipt_id: String(x.receipt_id),
      receipt_hash: String(x.receipt_hash),
      prev_receipt_hash: x.prev_receipt_hash === null ? null : String(x.prev_receipt_hash),
      correlation_id: String(x.correlation_id),
      decision_id: x.decision_id === null ? null : String(x.decision_id),
      dispatched_at: String(x.dispatched_at),
      receipt: JSON.parse(x.data) as BuiltReceipt,
    };
  }

  listReceipts(query: ReceiptQuery = {}): Promise<ReceiptRow[]> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.tenant_id !== undefined) (where.push("tenant_id = ?"), params.push(query.tenant_id));
    if (query.correlation_id !== undefined) {
      where.push("correlation_id = ?");
      params.push(query.correlation_id);
    }
    if (query.since !== undefined) (where.push("dispatched_at >= ?"), params.push(query.since));
    if (query.until !== undefined) (where.push("dispatched_at < ?"), params.push(query.until));
    const sql = `SELECT * FROM receipts ${where.length ? "WHERE " + where.join(" AND ") : ""}
      ORDER BY tenant_id, seq LIMIT ?`;
    params.push(cap(query.limit, 100));
    return promised(() => this.#db.all(sql, ...params).map((r) => this.#receiptRow(r)));
  }
  tenantChain(
    tenantId: string,
    options: { fromSeq?: number; limit?: number } = {},
  ): Promise<ReceiptRow[]> {
    const rows = this.#db.all(
      "SELECT * FROM receipts WHERE tenant_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
      tenantId,
      options.fromSeq ?? 0,
      options.limit ?? -1,
    );
    return promised(() => rows.map((r) => this.#receiptRow(r)));
  }
  receiptTenants(): Promise<string[]> {
    return promised(() => this.tenants());
  }
  putCheckpoint(row: CheckpointRow): Promise<void> {
    return promised(() => {
      this.#db.run(
        "INSERT OR REPLACE INTO checkpoints (tenant_id, tree_size, data) VALUES (?, ?, ?)",
        row.tenant_id,
        row.tree_size,
        JSON.stringify(row),
      );
    });
  }
  listCheckpoints(tenantId: string): Promise<CheckpointRow[]> {
    return promised(() =>
      this.#db.all("SELECT data FROM checkpoints WHERE tenant_id = ? ORDER BY tree_size", tenantId)
        .map((r) => parse<CheckpointRow>(r))
    );
  }
  latestCheckpoint(
    tenantId: string,
    range: { minSize?: number; maxSize?: number } = {},
  ): Promise<CheckpointRow | null> {
    return promised(() => {
      const r = this.#db.get(
        `SELECT data FROM checkpoints WHERE tenant_id = ? AND tree_size >= ? AND tree_size <= ?
         ORDER BY tree_size DESC LIMIT 1`,
        tenantId,
        range.minSize ?? 0,
        range.maxSize ?? Number.MAX_SAFE_INTEGER,
      );
      return r ? parse<CheckpointRow>(r) : null;
    });
  }
}
