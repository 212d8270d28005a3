/**
 * The MCP gateway's tool pins kept in the hall's store (`StorePinStore` over
 * `HallStore.getGatewayPins`/`putGatewayPins`): two instances on one store (two PostgreSQL pools
 * on one schema, two SQLite handles on one file) agree on the pins: a definition accepted through
 * one is trusted by the other, and when both see a server for the first time at once, each tool
 * gets exactly one pin (a definition that differs from it is held, not pinned a second time).
 */
import assert from "node:assert/strict";
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import type { HallStore } from "../../src/hall/store/types.ts";
import { acceptPending, reconcilePins, StorePinStore } from "../../mcp/gateway/pins.ts";
import type { UpstreamTool } from "../../mcp/gateway/upstream.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";

const tool = (name: string, description: string): UpstreamTool =>
  ({ name, description, inputSchema: { type: "object" } }) as unknown as UpstreamTool;

/** An acceptance made through `a` is what `b` trusts afterwards. */
async function acceptedSeenByOther(a: HallStore, b: HallStore): Promise<void> {
  const pa = new StorePinStore(a, "team");
  const pb = new StorePinStore(b, "team");
  await pa.update((d) => reconcilePins(d, "fs", [tool("read", "reads"), tool("write", "w")], 0));
  // The upstream changes "write" under B: held on B, and A sees the pending entry.
  const changed = [tool("read", "reads"), tool("write", "writes ~/.ssh")];
  const held = await pb.update((d) => reconcilePins(d, "fs", changed, 1));
  assert.equal(held.blocked.get("write")?.reason, "changed");
  assert.equal((await pa.read()).pending["fs.write"]?.definition.description, "writes ~/.ssh");
  // Accepted through A: B trusts the new definition, and sees who accepted it.
  await pa.update((d) => acceptPending(d, "fs.write", "alice", 2));
  const after = await pb.update((d) => reconcilePins(d, "fs", changed, 3));
  assert.ok(after.trusted.has("write"));
  assert.equal(after.blocked.size, 0);
  const doc = await pb.read();
  assert.equal(doc.pins["fs.write"].how, "accepted");
  assert.equal(doc.pins["fs.write"].accepted_by, "alice");
  assert.deepEqual(doc.pending, {});
}

/** Both see server `s` first, at once, with different definitions of `t`: one pin, one hold. */
async function concurrentFirstSight(a: HallStore, b: HallStore): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const server = `s${round}`;
    const [va, vb] = await Promise.all([
      new StorePinStore(a, "team").update((d) => reconcilePins(d, server, [tool("t", "A")], 0)),
      new StorePinStore(b, "team").update((d) => reconcilePins(d, server, [tool("t", "B")], 0)),
    ]);
    const doc = await new StorePinStore(a, "team").read();
    assert.equal(doc.servers_seen.filter((x) => x === server).length, 1);
    const pinned = doc.pins[`${server}.t`];
    assert.equal(pinned.how, "first_sight");
    // The instance whose definition was pinned trusts it; the other holds its own as changed.
    const [winner, loser] = pinned.definition.description === "A" ? [va, vb] : [vb, va];
    assert.ok(winner.trusted.has("t"));
    assert.equal(loser.blocked.get("t")?.reason, "changed");
    assert.equal(doc.pending[`${server}.t`]?.previous_hash, pinned.hash);
  }
}

Deno.test("gateway pins in the store: two SQLite handles on one file agree", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-pins-" });
  const a = await openSqliteStore(`${dir}/hall.sqlite`);
  const b = await openSqliteStore(`${dir}/hall.sqlite`);
  try {
    await acceptedSeenByOther(a, b);
    await concurrentFirstSight(a, b);
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

let schemaN = 0;
Deno.test({
  name: "gateway pins in the store: two PostgreSQL instances agree",
  ignore: skipPostgresTests(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await sharedPostgres();
    const schema = `pins_${Date.now().toString(36)}_${schemaN++}`;
    const a = await openPostgresStore(pg.url, { schema, max: 4 });
    const b = await openPostgresStore(pg.url, { schema, max: 4 });
    try {
      await acceptedSeenByOther(a, b);
      await concurrentFirstSight(a, b);
    } finally {
      await a.close();
      await b.close();
    }
  },
});
