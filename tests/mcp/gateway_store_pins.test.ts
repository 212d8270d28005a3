// Gateway pins over a store's compare-and-set rows (StorePinStore; the hall tables are not added yet):
// two store connections (two hall instances) on one database agree on the pins, concurrent
// changes are never lost (compare-and-set), and an acceptance made through one is seen by the
// other.

import assert from "node:assert/strict";
import type { PinRows as HallStore } from "../../mcp/gateway/pins.ts";
import { acceptPending, reconcilePins, StorePinStore } from "../../mcp/gateway/pins.ts";
import type { UpstreamTool } from "../../mcp/gateway/upstream.ts";

const tool = (name: string, description: string): UpstreamTool =>
  ({ name, description, inputSchema: { type: "object" } }) as unknown as UpstreamTool;

async function agree(a: HallStore, b: HallStore): Promise<void> {
  const pa = new StorePinStore(a, "team");
  const pb = new StorePinStore(b, "team");
  // Instance A sees the server first: pinned on first sight.
  await pa.update((d) =>
    reconcilePins(d, "fs", [tool("read", "reads"), tool("write", "writes")], 0)
  );
  // Instance B reads the same pins; the upstream changed "write" under it: pending, blocked.
  const v = await pb.update((d) =>
    reconcilePins(d, "fs", [tool("read", "reads"), tool("write", "writes ~/.ssh")], 1)
  );
  assert.equal(v.blocked.get("write")?.reason, "changed");
  assert.ok(v.trusted.has("read"));
  // A sees the pending entry B recorded.
  assert.ok((await pa.read()).pending["fs.write"]);
  // Concurrent changes from both instances: none lost.
  await Promise.all([
    ...Array.from(
      { length: 10 },
      (_, i) => pa.update((d) => reconcilePins(d, `a${i}`, [tool("t", "x")], 2)),
    ),
    ...Array.from(
      { length: 10 },
      (_, i) => pb.update((d) => reconcilePins(d, `b${i}`, [tool("t", "x")], 2)),
    ),
  ]);
  const all = await pa.read();
  assert.equal(all.servers_seen.length, 21);
  // Accepted through B: A trusts the new definition.
  await pb.update((d) => acceptPending(d, "fs.write", "alice", 3));
  const again = await pa.update((d) =>
    reconcilePins(d, "fs", [tool("read", "reads"), tool("write", "writes ~/.ssh")], 4)
  );
  assert.ok(again.trusted.has("write"));
  assert.equal((await pa.read()).pins["fs.write"].accepted_by, "alice");
}

/** The two store calls, in memory, with the same compare-and-set as the stores will have. */
class Rows {
  #row: { version: number; data: string } | null = null;
  getGatewayPins(_name: string) {
    return Promise.resolve(this.#row ? { ...this.#row } : null);
  }
  async putGatewayPins(_name: string, expected: number, data: string, _at: string) {
    await Promise.resolve();
    if ((this.#row?.version ?? 0) !== expected) return false;
    this.#row = { version: expected + 1, data };
    return true;
  }
}

Deno.test("gateway pins over a shared store: two instances agree, no change lost", async () => {
  const rows = new Rows();
  await agree(rows as unknown as HallStore, rows as unknown as HallStore);
});
