import assert from "node:assert/strict";
import { openSqliteStore, SqliteStore } from "../../src/adapters/store/sqlite.ts";
import { runStoreContract } from "./store_contract.ts";

const features = { approvedExpiry: true };
runStoreContract("sqlite memory", () => Promise.resolve(new SqliteStore(":memory:")), features);

runStoreContract("sqlite file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-store-" });
  return new SqliteStore(`${dir}/hall.sqlite`);
}, features);

Deno.test("sqlite store: data survives reopening the file, and two handles share one chain", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-store-" });
  const path = `${dir}/hall.sqlite`;
  const a = await openSqliteStore(path);
  const b = await openSqliteStore(path);
  const build = (tag: string) => (link: { seq: number; prev_receipt_hash: string | null }) => ({
    receipt_id: crypto.randomUUID(),
    prev_receipt_hash: link.prev_receipt_hash,
    receipt_hash: `sha256:${tag}-${link.seq}`,
    correlation_id: tag,
    dispatched_at: new Date().toISOString(),
  });
  // Two handles (as two processes would) appending to one tenant chain: still linear.
  await Promise.all([
    ...Array.from({ length: 10 }, (_, i) => a.appendReceipt("acme", build(`a${i}`))),
    ...Array.from({ length: 10 }, (_, i) => b.appendReceipt("acme", build(`b${i}`))),
  ]);
  await a.close();
  await b.close();
  const c = await openSqliteStore(path);
  const chain = await c.tenantChain("acme");
  assert.deepEqual(chain.map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i));
  for (let i = 1; i < chain.length; i++) {
    assert.equal(chain[i].prev_receipt_hash, chain[i - 1].receipt_hash);
  }
  assert.equal(await c.migrationVersion(), 2);
  await c.close();
  await Deno.remove(dir, { recursive: true });
});
