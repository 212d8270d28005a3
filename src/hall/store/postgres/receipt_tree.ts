/**
 * The RFC 6962 tree of each receipt chain in the PostgreSQL store (table `receipt_tree`, one row
 * per complete subtree, written in the append's transaction; the chain head keeps the tree's
 * size and right edge), and its catch-up for chains that are behind.
 *
 * @module
 */

import { toHex } from "../../../encoding/bytes.ts";
import { rootNodes, TreeFrontier, type TreeNode } from "../../../receipts/stored_tree.ts";
import { num, type Sql } from "./db.ts";

/** The head's stored frontier, when the tree covers the chain's `size` leaves; else null. */
export function frontierOf(treeSize: unknown, hex: unknown, size: number): TreeFrontier | null {
  if (treeSize === null || num(treeSize) !== size || typeof hex !== "string") return null;
  const refs = rootNodes(size);
  if (hex.length !== refs.length * 64 || !/^[0-9a-f]*$/.test(hex)) return null;
  return new TreeFrontier(
    size,
    refs.map((r, i) => ({ ...r, hash: hexBytes(hex.slice(i * 64, i * 64 + 64)) })),
  );
}

export function frontierHex(tree: TreeFrontier): string {
  return tree.nodes().map((n) => toHex(n.hash)).join("");
}

export function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export async function treeSizeOf(q: Sql, tenantId: string): Promise<number> {
  const [r] = await q`select coalesce(max(idx) + 1, 0) as n from receipt_tree
    where tenant_id = ${tenantId} and level = 0`;
  return num(r.n);
}

export async function treeNodes(
  q: Sql,
  tenantId: string,
  refs: readonly { level: number; index: number }[],
): Promise<(Uint8Array | null)[]> {
  if (refs.length === 0) return [];
  const wanted = JSON.stringify(refs.map((r) => [r.level, r.index]));
  const rows = await q`select level, idx, encode(hash, 'hex') as h from receipt_tree
    where tenant_id = ${tenantId} and (level, idx) in (
      select (e->>0)::integer, (e->>1)::bigint from jsonb_array_elements(${wanted}::text::jsonb) e)`;
  const byKey = new Map(rows.map((r) => [`${num(r.level)}:${num(r.idx)}`, r.h as string]));
  return refs.map((r) => {
    const h = byKey.get(`${r.level}:${r.index}`);
    return h === undefined ? null : hexBytes(h);
  });
}

/**
 * Extend a chain's stored tree over the receipts it does not cover (inside the caller's
 * transaction, the head row locked first), and record its size and frontier on the head. Stops
 * before a receipt whose seq leaves a gap or whose receipt_hash is malformed.
 */
export async function catchUpTree(q: Sql, tenantId: string): Promise<void> {
  await q`select 1 from chain_heads where tenant_id = ${tenantId} for update`;
  let size = await treeSizeOf(q, tenantId);
  const refs = rootNodes(size);
  const have = await treeNodes(q, tenantId, refs);
  let tree: TreeFrontier;
  if (have.every((h) => h !== null)) {
    tree = new TreeFrontier(size, refs.map((r, i) => ({ ...r, hash: have[i]! })));
  } else {
    await q`delete from receipt_tree where tenant_id = ${tenantId}`;
    size = 0;
    tree = new TreeFrontier(0, []);
  }
  const PAGE = 5000;
  let done = false;
  while (!done) {
    const rows = await q`select seq, receipt_hash from receipts
      where tenant_id = ${tenantId} and seq >= ${tree.size} order by seq limit ${PAGE}`;
    const made: TreeNode[] = [];
    for (const r of rows) {
      if (num(r.seq) !== tree.size) {
        done = true;
        break;
      }
      try {
        made.push(...tree.append(r.receipt_hash as string));
      } catch {
        done = true;
        break;
      }
    }
    if (made.length) {
      const batch = JSON.stringify(made.map((n) => [n.level, n.index, toHex(n.hash)]));
      await q`insert into receipt_tree (tenant_id, level, idx, hash)
        select ${tenantId}, (e->>0)::integer, (e->>1)::bigint, decode(e->>2, 'hex')
        from jsonb_array_elements(${batch}::text::jsonb) e
        on conflict (tenant_id, level, idx) do update set hash = excluded.hash`;
    }
    if (rows.length < PAGE) done = true;
  }
  await q`update chain_heads set tree_size = ${tree.size},
    tree_frontier = decode(${frontierHex(tree)}, 'hex') where tenant_id = ${tenantId}`;
}
