// The bearer-token cache: verified tokens skip hashing and the store for a short TTL; revocation
// is honoured within that TTL (at once after a local revocation); unknown tokens are never cached.
import assert from "node:assert/strict";
import { Authenticator, hashToken } from "../../src/hall/middleware/auth.ts";
import type { HallStore, TokenRow } from "../../src/hall/store/types.ts";

const TOKEN = "wcp_cache-test-token-0123456789abcdef";

function fakeStore(rows: TokenRow[]): { store: HallStore; lookups: () => number } {
  let n = 0;
  const store = {
    findToken(hash: string): Promise<TokenRow | null> {
      n++;
      return Promise.resolve(rows.find((r) => r.token_hash === hash) ?? null);
    },
  } as unknown as HallStore;
  return { store, lookups: () => n };
}

function row(over: Partial<TokenRow> = {}): TokenRow {
  return {
    token_id: "tok_1",
    token_hash: hashToken(TOKEN),
    role: "admin",
    namespace: null,
    label: "t",
    created_at: "2026-12-01T20:00:00.000Z",
    revoked_at: null,
    ...over,
  };
}

Deno.test("auth cache: a verified token is looked up once per TTL, not per request", async () => {
  const r = row();
  const { store, lookups } = fakeStore([r]);
  const auth = new Authenticator(store, 60_000);
  for (let i = 0; i < 50; i++) {
    assert.deepEqual(await auth.authenticate(TOKEN), {
      token_id: "tok_1",
      role: "admin",
      namespace: null,
      label: "t",
    });
  }
  assert.equal(lookups(), 1);
});

Deno.test("auth cache: a token revoked in the store is refused once the TTL has passed", async () => {
  const r = row();
  const { store, lookups } = fakeStore([r]);
  const auth = new Authenticator(store, 30);
  assert.ok(await auth.authenticate(TOKEN));
  r.revoked_at = "2026-12-01T20:01:00.000Z"; // another instance revoked it
  await new Promise((res) => setTimeout(res, 60));
  assert.equal(await auth.authenticate(TOKEN), null);
  assert.equal(await auth.authenticate(TOKEN), null, "and stays refused");
  assert.ok(lookups() >= 2);
});

Deno.test("auth cache: invalidate() (local revocation) takes effect at once", async () => {
  const r = row();
  const { store } = fakeStore([r]);
  const auth = new Authenticator(store, 60_000);
  assert.ok(await auth.authenticate(TOKEN));
  r.revoked_at = "2026-12-01T20:01:00.000Z";
  auth.invalidate();
  assert.equal(await auth.authenticate(TOKEN), null);
});

Deno.test("auth cache: unknown and near-miss tokens are never cached or accepted", async () => {
  const { store, lookups } = fakeStore([row()]);
  const auth = new Authenticator(store, 60_000);
  assert.ok(await auth.authenticate(TOKEN));
  const before = lookups();
  for (const t of [TOKEN.slice(0, -1) + "X", TOKEN + "0", "wcp_unknown-token-000000000000"]) {
    assert.equal(await auth.authenticate(t), null);
    assert.equal(await auth.authenticate(t), null);
  }
  assert.equal(lookups() - before, 6, "every unknown token goes to the store, every time");
  assert.equal(await auth.authenticate("nope_" + TOKEN), null, "wrong prefix: refused outright");
});
