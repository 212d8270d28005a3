/**
 * Receipt chains of the PostgreSQL store: a tenant's chain is appended inside one transaction
 * that first locks the tenant's chain-head row, and `PRIMARY KEY (tenant_id, seq)` plus
 * `UNIQUE (tenant_id, prev_receipt_hash)` guard against a fork even if the lock were bypassed.
 * Reads, checkpoints, and the tree reads (`receipt_tree.ts`).
 *
 * @module
 */

import type { BuiltReceipt, ChainLink, CheckpointRow, ReceiptQuery, ReceiptRow } from "../types.ts";
import { toHex } from "../../../encoding/bytes.ts";
import type { TreeNode } from "../../../receipts/stored_tree.ts";
import { json, num, pageSize, parseJson, type Sql } from "./db.ts";
import { toCheckpoint, toReceipt } from "./rows.ts";
import { frontierHex, frontierOf, treeNodes, treeSizeOf } from "./receipt_tree.ts";

/** Thrown when a receipt builder breaks the chain contract; the append is rolled back. */
export class ReceiptChainError extends Error {
  /** A stable code for logs. */
  readonly code = "RECEIPT_CHAIN_MISMATCH";
}

/** Refuses a built receipt that would not extend the chain at `seq` after `prev`. */
function checkBuilt(r: BuiltReceipt, tenantId: string, seq: number, prev: string | null): void {
  if ((r.prev_receipt_hash ?? null) !== prev) {
    throw new ReceiptChainError(
      `receipt builder returned prev_receipt_hash ${r.prev_receipt_hash} ` +
        `but the head of tenant ${tenantId} is ${prev}`,
    );
  }
  if (typeof r.seq === "number" && r.seq !== seq) {
    throw new ReceiptChainError(`receipt builder returned seq ${r.seq}, the chain is at ${seq}`);
  }
  if (r.tenant_id !== undefined && r.tenant_id !== tenantId) {
    throw new ReceiptChainError(`receipt builder returned tenant ${r.tenant_id} for ${tenantId}`);
  }
  for (const f of ["receipt_id", "receipt_hash", "correlation_id", "dispatched_at"] as const) {
    if (typeof r[f] !== "string" || r[f] === "") {
      throw new ReceiptChainError(`receipt builder returned no ${f}`);
    }
  }
}

/** Receipt rows, checkpoints and tree reads. */
export class PgReceipts {
  readonly #sql: Sql;

  /** Rows over the pool `sql`. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async appendReceipt(
    tenantId: string,
    build: (link: ChainLink) => BuiltReceipt | Promise<BuiltReceipt>,
  ): Promise<ReceiptRow> {
    // One transaction on one reserved connection, written as two pipelined round trips:
    // (BEGIN + lock-and-read the head), then (insert + move the head + COMMIT). The head row stays
    // locked from the first round trip to the commit, so appenders for this tenant on every
    // instance queue up behind it. If the insert fails, PostgreSQL turns the pipelined COMMIT of
    // the aborted transaction into a rollback, so nothing is half-written.
    const c = await this.#sql.reserve();
    let open = false;
    try {
      // execute() sends at once; a postgres.js query otherwise waits until it is awaited.
      const begin = c`begin`.execute();
      // Creates the head on first use and, either way, takes its row lock; RETURNING sees the
      // latest committed head (not the statement's snapshot) after waiting for another appender.
      const lock = c`insert into chain_heads (tenant_id, next_seq, receipt_hash, receipt,
          tree_size, tree_frontier)
        values (${tenantId}, 0, null, null, 0, ''::bytea)
        on conflict (tenant_id) do update set tenant_id = excluded.tenant_id
        returning next_seq, receipt_hash, receipt, tree_size,
          encode(tree_frontier, 'hex') as tree_frontier`.execute();
      open = true;
      await begin;
      const [head] = await lock;
      const seq = num(head.next_seq);
      const prev: string | null = head.receipt_hash;
      const receipt = await build({
        tenant_id: tenantId,
        seq,
        prev_receipt_hash: prev,
        prev_receipt: parseJson<BuiltReceipt | null>(head.receipt),
      });
      checkBuilt(receipt, tenantId, seq, prev);
      // The tree grows with the chain when it covers it (else it stays behind; see migrate).
      const tree = frontierOf(head.tree_size, head.tree_frontier, seq);
      const nodes: TreeNode[] = tree ? tree.append(receipt.receipt_hash) : [];
      const treeSize = tree ? seq + 1 : head.tree_size;
      const frontier = tree ? frontierHex(tree) : head.tree_frontier;
      const decisionId = typeof receipt.decision_id === "string" ? receipt.decision_id : null;
      const text = json(receipt);
      const write = c`with ins as (
          insert into receipts (tenant_id, seq, receipt_id, receipt_hash, prev_receipt_hash,
            correlation_id, decision_id, dispatched_at, receipt)
          values (${tenantId}, ${seq}, ${receipt.receipt_id}, ${receipt.receipt_hash}, ${prev},
            ${receipt.correlation_id}, ${decisionId}, ${receipt.dispatched_at}, ${text})
          returning *),
        tree as (
          insert into receipt_tree (tenant_id, level, idx, hash)
          select ${tenantId}, g, ${seq}::bigint >> g,
            substring(decode(${nodes.map((n) => toHex(n.hash)).join("")}, 'hex') from g * 32 + 1
              for 32)
          from generate_series(0, ${nodes.length - 1}) g
          on conflict (tenant_id, level, idx) do update set hash = excluded.hash),
        head as (
          update chain_heads set next_seq = ${seq + 1}, receipt_hash = ${receipt.receipt_hash},
            receipt = ${text}, tree_size = ${treeSize}, tree_frontier = decode(${frontier}, 'hex')
          where tenant_id = ${tenantId} and next_seq = ${seq} returning 1)
        select ins.*, 1 / (select count(*) from head)::int as head_moved from ins`.execute();
      // Division by zero above aborts the transaction if the head did not move with the insert.
      const commit = c`commit`.execute();
      const [written, committed] = await Promise.allSettled([write, commit]);
      open = false;
      if (written.status === "rejected") throw written.reason;
      if (committed.status === "rejected") throw committed.reason;
      // A commit of an aborted transaction reports ROLLBACK instead of failing.
      if (committed.value.command !== "COMMIT") {
        throw new ReceiptChainError(`receipt append for tenant ${tenantId} was rolled back`);
      }
      return toReceipt(written.value[0]);
    } catch (e) {
      if (open) await c`rollback`.catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  async listReceipts(query: ReceiptQuery = {}): Promise<ReceiptRow[]> {
    const t = query.tenant_id ?? null;
    const c = query.correlation_id ?? null;
    const since = query.since ?? null;
    const until = query.until ?? null;
    const rows = await this.#sql`select * from receipts
      where (${t}::text is null or tenant_id = ${t})
        and (${c}::text is null or correlation_id = ${c})
        and (${since}::text is null or dispatched_at >= ${since})
        and (${until}::text is null or dispatched_at < ${until})
      order by tenant_id, seq limit ${pageSize(query.limit, 100)}`;
    return rows.map(toReceipt);
  }

  async tenantChain(
    tenantId: string,
    options: { fromSeq?: number; limit?: number } = {},
  ): Promise<ReceiptRow[]> {
    const from = options.fromSeq ?? 0;
    const rows = options.limit === undefined
      ? await this.#sql`select * from receipts where tenant_id = ${tenantId} and seq >= ${from}
          order by seq`
      : await this.#sql`select * from receipts where tenant_id = ${tenantId} and seq >= ${from}
          order by seq limit ${Math.max(0, Math.trunc(options.limit))}`;
    return rows.map(toReceipt);
  }

  async receiptTenants(): Promise<string[]> {
    const rows = await this.#sql`select tenant_id from chain_heads where next_seq > 0
      order by tenant_id`;
    return rows.map((r) => r.tenant_id as string);
  }

  async putCheckpoint(c: CheckpointRow): Promise<void> {
    await this.#sql`insert into checkpoints (tenant_id, tree_size, root, created_at, proof)
      values (${c.tenant_id}, ${c.tree_size}, ${c.root}, ${c.created_at}, ${json(c.proof)})
      on conflict (tenant_id, tree_size) do update set root = excluded.root,
        created_at = excluded.created_at, proof = excluded.proof`;
  }

  async listCheckpoints(tenantId: string): Promise<CheckpointRow[]> {
    const rows = await this.#sql`select * from checkpoints where tenant_id = ${tenantId}
      order by tree_size`;
    return rows.map(toCheckpoint);
  }

  async latestCheckpoint(
    tenantId: string,
    range: { minSize?: number; maxSize?: number } = {},
  ): Promise<CheckpointRow | null> {
    const [r] = await this.#sql`select * from checkpoints where tenant_id = ${tenantId}
      and tree_size >= ${range.minSize ?? 0}
      and tree_size <= ${range.maxSize ?? Number.MAX_SAFE_INTEGER}
      order by tree_size desc limit 1`;
    return r ? toCheckpoint(r) : null;
  }

  async chainHead(tenantId: string): Promise<ReceiptRow | null> {
    const [r] = await this.#sql`select * from receipts where tenant_id = ${tenantId}
      order by seq desc limit 1`;
    return r ? toReceipt(r) : null;
  }

  async getReceipt(tenantId: string, receiptId: string): Promise<ReceiptRow | null> {
    const [r] = await this.#sql`select * from receipts where receipt_id = ${receiptId}
      and tenant_id = ${tenantId}`;
    return r ? toReceipt(r) : null;
  }

  async receiptTreeSize(tenantId: string): Promise<number> {
    return await treeSizeOf(this.#sql, tenantId);
  }

  async receiptTreeNodes(
    tenantId: string,
    refs: readonly { level: number; index: number }[],
  ): Promise<(Uint8Array | null)[]> {
    return await treeNodes(this.#sql, tenantId, refs);
  }
}
