/**
 * The RFC 6962 tree of each receipt chain in the SQLite store (table `receipt_tree`, one row per
 * complete subtree keyed by `nodePosition`), derived from the committed receipts.
 *
 * @module
 */

import {
  leavesAtPosition,
  nodePosition,
  rootNodes,
  TreeFrontier,
  type TreeNode,
  type TreeNodeRef,
} from "../../../receipts/stored_tree.ts";
import type { SqliteDb } from "./db.ts";

/** A chain this many receipts ahead of its stored tree has the tree extended. */
export const TREE_LAG = 256;

/** The stored trees of every chain over one connection. */
export class SqliteReceiptTree {
  readonly #db: SqliteDb;

  /** Trees in `db`. */
  constructor(db: SqliteDb) {
    this.#db = db;
  }

  // The tree is derived from committed receipts rather than written with each one: written per
  // receipt, its rows made every commit dirty one more page per chain (a tenth more CPU per
  // dispatch, measured). A chain TREE_LAG receipts ahead of its tree gets it extended in bulk
  // inside the next append's transaction (a few pages per 256 receipts, no fsync of its own),
  // and up to the chain's head before any tree read, so readers always see the whole chain.
  // Receipts this process appended per chain since its tree was last extended.
  readonly #lag = new Map<string, number>();

  /** `catchUp`, logging (not throwing) a failure: the next tree read catches up. */
  catchUpOrLog(tenantId: string): void {
    try {
      this.catchUp(tenantId);
    } catch (e) {
      // The append goes on; the next tree read catches up (and reports what fails there).
      console.error(`hall: sqlite: receipt tree of ${tenantId}: ${(e as Error).message}`);
    }
  }

  /** Extend a chain's tree up to its head when it is behind (a tree read needs all of it). */
  ensure(tenantId: string): void {
    const row = this.#db.get(
      "SELECT MAX(seq) AS m FROM receipts WHERE tenant_id = ?",
      tenantId,
    ) as { m: number | null };
    const chain = row.m === null ? 0 : Number(row.m) + 1;
    if (this.size(tenantId) < chain) {
      this.#db.tx(() => this.catchUp(tenantId));
      this.#lag.delete(tenantId);
    }
  }

  // Many rows per INSERT (64 at a time): a statement per node cost more than the node itself.
  #putNodes(nodes: [string, TreeNode][]): void {
    const CHUNK = 64;
    const sql = (k: number) =>
      "INSERT OR REPLACE INTO receipt_tree (tenant_id, pos, hash) VALUES " +
      Array(k).fill("(?, ?, ?)").join(", ");
    let i = 0;
    for (; i + CHUNK <= nodes.length; i += CHUNK) {
      this.#db.run(
        sql(CHUNK),
        ...nodes.slice(i, i + CHUNK).flatMap(([t, n]) => [t, nodePosition(n), n.hash]),
      );
    }
    for (; i < nodes.length; i++) {
      const [t, n] = nodes[i];
      this.#db.run(sql(1), t, nodePosition(n), n.hash);
    }
  }

  /** A stored node's hash, or null. */
  node(tenantId: string, ref: TreeNodeRef): Uint8Array | null {
    const row = this.#db.get(
      "SELECT hash FROM receipt_tree WHERE tenant_id = ? AND pos = ?",
      tenantId,
      nodePosition(ref),
    ) as { hash: Uint8Array } | undefined;
    return row ? new Uint8Array(row.hash) : null;
  }

  /** Leaves the stored tree covers. */
  size(tenantId: string): number {
    const row = this.#db.get(
      "SELECT MAX(pos) AS m FROM receipt_tree WHERE tenant_id = ?",
      tenantId,
    ) as { m: number | null };
    return row.m === null ? 0 : leavesAtPosition(Number(row.m));
  }

  /** The tree's frontier at `size` leaves, or null when a node of it is not stored. */
  #frontier(tenantId: string, size: number): TreeFrontier | null {
    const nodes: TreeNode[] = [];
    for (const ref of rootNodes(size)) {
      const hash = this.node(tenantId, ref);
      if (hash === null) return null;
      nodes.push({ ...ref, hash });
    }
    return new TreeFrontier(size, nodes);
  }

  /**
   * Extend a chain's stored tree over the receipts it does not cover yet (all of them after the
   * migration that added it), inside the caller's transaction. Stops before a receipt whose seq
   * leaves a gap or whose receipt_hash is malformed (chain verification reports those; proofs
   * then refuse the sizes the tree does not cover).
   */
  catchUp(tenantId: string): void {
    let size = this.size(tenantId);
    let tree = this.#frontier(tenantId, size);
    if (tree === null) {
      this.#db.run("DELETE FROM receipt_tree WHERE tenant_id = ?", tenantId);
      size = 0;
      tree = new TreeFrontier(0, []);
    }
    const PAGE = 5000;
    while (true) {
      const rows = this.#db.all(
        "SELECT seq, receipt_hash FROM receipts WHERE tenant_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
        tenantId,
        size,
        PAGE,
      ) as { seq: number; receipt_hash: string }[];
      const made: [string, TreeNode][] = [];
      let stop = false;
      for (const r of rows) {
        if (Number(r.seq) !== tree.size) {
          stop = true;
          break;
        }
        try {
          for (const n of tree.append(r.receipt_hash)) made.push([tenantId, n]);
        } catch {
          stop = true;
          break;
        }
      }
      this.#putNodes(made);
      if (stop || rows.length < PAGE) return;
      size = tree.size;
    }
  }

  /** Chains this process appended TREE_LAG or more receipts to since their tree was extended. */
  lagging(): string[] {
    return [...this.#lag].filter(([, n]) => n >= TREE_LAG).map(([t]) => t);
  }

  /** After a commit: `extended` chains' trees were brought up to date, `appended` got receipts. */
  committed(extended: readonly string[], appended: readonly string[]): void {
    for (const tenant of extended) this.#lag.delete(tenant);
    for (const tenant of appended) this.#lag.set(tenant, (this.#lag.get(tenant) ?? 0) + 1);
  }
}
