// A tamper flag is cleared only by an admin (clear-tamper) or by a verified attestation of the
// registered code, and a namespace owner's PUT never changes the registered code hash.
import assert from "node:assert/strict";
import { generateSigningKey, type SigningKey } from "../../src/attestation/mod.ts";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import type { WorkerRow } from "../../src/hall/store/types.ts";
import {
  err,
  hallTest,
  j,
  routeInput,
  signedSubmission,
  summarizerRecord,
  type TestHall,
  testHall,
  withHall,
} from "./_helpers.ts";

const ID = "org.acme.sum.1";

const record = (extra: Record<string, unknown> = {}) => summarizerRecord(ID, extra);

const V1 = { "code/worker.py": "print('v1')\n" };
const EVIL = { "code/worker.py": "print('evil')\n" };

/**
 * org.acme's worker enrolled with a signing key of the namespace; the demo summarizer is revoked
 * so that routing reaches this worker.
 */
async function enrolled(h: TestHall): Promise<{ token: string; key: SigningKey }> {
  const { token } = await h.grant("org.acme");
  const key = await generateSigningKey({ namespace: "org.acme" });
  await h.req("/wcp/workers/org.demo.summarizer.1/revoke", { method: "POST" });
  const rec = record({ public_keys: { [key.key_id]: key.public_key } });
  assert.equal((await h.req("/wcp/workers", { method: "POST", token, json: rec })).status, 201);
  return { token, key };
}

/** POST an attestation of `contents` for the worker, signed with `key`. */
const attestation = async (h: TestHall, token: string, key: SigningKey, contents: Files) =>
  h.req(`/wcp/workers/${ID}/attestation`, {
    method: "POST",
    token,
    json: await signedSubmission(key, ID, contents),
  });
type Files = Record<string, string>;

/**
 * `inner` behind a proxy: the first call of `method` after `arm()` (for the worker `id`, when
 * given) gets its answer from `inner`, then waits for `release()` before handing it out; `held`
 * resolves when that call waits. `extra` replaces other methods.
 */
function holding<S extends object>(
  inner: S,
  method: keyof S & string,
  id?: string,
  extra: Partial<S> = {},
): { store: S; arm(): void; held: Promise<void>; release(): void } {
  let armed = false;
  let hold = () => {};
  const held = new Promise<void>((r) => (hold = r));
  let release = () => {};
  const released = new Promise<void>((r) => (release = r));
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === method) {
        const call = Reflect.get(target, prop, target) as (...a: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          const out = await call.apply(target, args);
          if (armed && (id === undefined || args[0] === id)) {
            armed = false;
            hold();
            await released;
          }
          return out;
        };
      }
      if (Object.hasOwn(extra, prop)) return (extra as Record<string | symbol, unknown>)[prop];
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store, arm: () => (armed = true), held, release: () => release() };
}

/**
 * Resolves when a second read-modify-write of the worker asks for its lock (so it queues behind
 * the first one, where the hall serialises them).
 */
function secondLock(h: TestHall): Promise<void> {
  const lock = h.hall.withWorkerLock.bind(h.hall);
  let queued = () => {};
  const behind = new Promise<void>((r) => (queued = r));
  let calls = 0;
  h.hall.withWorkerLock = (id, fn) => {
    if (id === ID && ++calls === 2) queued();
    return lock(id, fn);
  };
  return behind;
}

/**
 * org.acme's worker, its v1 package attested (registered), then other code attested: flagged.
 * The demo summarizer is revoked so that routing reaches this worker.
 */
async function flagged(h: TestHall): Promise<{
  token: string;
  key: SigningKey;
  rec: Record<string, unknown>;
  registered: string;
  tampered: string;
}> {
  const { token, key } = await enrolled(h);
  const attest = async (contents: Files) => await j(await attestation(h, token, key, contents));
  const first = await attest(V1);
  assert.equal(first.verified, true);
  const t = await attest(EVIL);
  assert.equal(t.tampered, true);
  const w = await j(await h.req(`/wcp/workers/${ID}`, { token }));
  assert.equal(w.flagged, true);
  // The owner's view of its record, as a client would PUT it back.
  const { artifact_hash: _a, ...rec } = w.record;
  return { token, key, rec, registered: first.package_hash, tampered: t.package_hash };
}

const route = async (h: TestHall) =>
  await j(
    await h.req("/wcp/route", { method: "POST", json: routeInput({ tenant_id: "org.acme" }) }),
  );

hallTest(
  "tamper: an owner's PUT neither clears the flag nor registers the tampered hash",
  () => ({ config: { require_worker_attestation: true } }),
  async (h) => {
    const f = await flagged(h);
    const put = (rec: Record<string, unknown>) =>
      h.req(`/wcp/workers/${ID}`, { method: "PUT", token: f.token, json: rec });

    // The unchanged record: accepted, and the flag stays.
    const same = await put(f.rec);
    assert.equal(same.status, 200);
    assert.equal((await j(same)).flagged, true);
    assert.equal((await route(h)).deny_reason_if_denied.code, "DENY_WORKER_TAMPERED");

    // The tampered hash as code_hash: refused, nothing changes.
    const launder = await put({ ...f.rec, attestation: { code_hash: f.tampered } });
    assert.equal(launder.status, 403);
    const e = err(await j(launder));
    assert.equal(e.code, "ATTESTATION_CHANGE_FORBIDDEN");
    assert.equal(e.path, "attestation.code_hash");
    // Any other hash too: the owner never changes the registered hash with a PUT.
    const other = await put({ ...f.rec, attestation: { code_hash: "sha256:" + "c".repeat(64) } });
    assert.equal(other.status, 403);
    // Leaving attestation out keeps the registered one (it cannot be dropped to re-register).
    const { attestation: _drop, ...bare } = f.rec;
    const kept = await j(await put(bare));
    assert.equal(kept.record.attestation.code_hash, f.registered);
    const att = await j(await h.req(`/wcp/workers/${ID}/attestation`, { token: f.token }));
    assert.equal(att.registered_hash, f.registered);
    assert.equal(att.flagged, true);
    assert.equal((await route(h)).deny_reason_if_denied.code, "DENY_WORKER_TAMPERED");

    // An admin may change the code hash, but a PUT clears no flag, not even an admin's.
    const byAdmin = await h.req(`/wcp/workers/${ID}`, { method: "PUT", json: f.rec });
    assert.equal((await j(byAdmin)).flagged, true);
  },
);

hallTest(
  "tamper: only an admin clears the flag; a verified attestation of the registered code does too",
  () => ({ config: { require_worker_attestation: true } }),
  async (h) => {
    const f = await flagged(h);
    const clear = (json: unknown, token?: string) =>
      h.req(`/wcp/workers/${ID}/clear-tamper`, { method: "POST", token, json });

    assert.equal((await clear({}, f.token)).status, 403, "not the owner");
    const unresolved = await clear({ note: "looked at it" });
    assert.equal(unresolved.status, 409);
    assert.equal(err(await j(unresolved)).code, "TAMPER_UNRESOLVED");

    // The running code is the registered code again: a fresh verified attestation clears it.
    const back = await j(await attestation(h, f.token, f.key, V1));
    assert.equal(back.tampered, false);
    assert.equal((await j(await h.req(`/wcp/workers/${ID}`))).flagged, false);
    assert.equal((await route(h)).outcome, "DISPATCH");
    assert.equal((await clear({})).status, 409, "nothing to clear");

    // Flagged again; the admin accepts the new code: registered := the verified current hash.
    await attestation(h, f.token, f.key, EVIL);
    const accepted = await clear({ register_current: true, note: "release 2 approved" });
    assert.equal(accepted.status, 200);
    const w = await j(accepted);
    assert.equal(w.flagged, false);
    assert.equal(w.record.attestation.code_hash, f.tampered);
    assert.equal(w.record.attestation.hash_method, "admin_accepted");
    assert.equal((await route(h)).outcome, "DISPATCH");
    const bad = await clear({ register_current: "yes" });
    assert.equal(bad.status, 400);
    assert.equal(err(await j(bad)).path, "register_current");
    assert.equal((await clear({}, undefined)).status, 409);
    assert.equal(
      (await h.req("/wcp/workers/org.acme.none.1/clear-tamper", { method: "POST", json: {} }))
        .status,
      404,
    );
  },
);

Deno.test({
  name: "tamper: a PUT racing an attestation of other code cannot write the old hash back",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    // A store whose first getBan after `arm()` waits for `release` (the PUT checks the ban list
    // between reading the row and writing it), and that reports the rows it writes.
    const inner = await openSqliteStore(":memory:");
    let attestationWrote = () => {};
    const wrote = new Promise<void>((r) => (attestationWrote = r));
    const gate = holding(inner, "getBan", undefined, {
      putWorker: async (row: WorkerRow) => {
        await inner.putWorker(row);
        if (row.flagged) attestationWrote();
      },
    });
    await withHall(
      { store: gate.store, config: { require_worker_attestation: true } },
      async (h) => {
        const { token, key } = await enrolled(h);
        const v1 = await attestation(h, token, key, V1);
        const { artifact_hash: _a, ...current } =
          (await j(await h.req(`/wcp/workers/${ID}`))).record;
        assert.equal((await j(v1)).verified, true);

        // The owner's PUT reads the row, then waits in the ban check; meanwhile other code is
        // attested. The gate opens when the attestation has written its flag (no serialisation)
        // or has queued behind the PUT (one read-modify-write per worker at a time).
        const behind = secondLock(h);
        gate.arm();
        const put = h.req(`/wcp/workers/${ID}`, { method: "PUT", token, json: current });
        await gate.held; // the PUT has read the row and waits in its ban check
        const evil = attestation(h, token, key, EVIL);
        await Promise.race([wrote, behind]);
        gate.release();
        assert.equal((await put).status, 200);
        assert.equal((await j(await evil)).tampered, true);
        const after = await j(await h.req(`/wcp/workers/${ID}`));
        assert.equal(after.flagged, true, "the tamper flag survives the PUT");
        assert.equal(
          (await route(h)).deny_reason_if_denied.code,
          "DENY_WORKER_TAMPERED",
          "the attested other code is still refused",
        );
      },
    );
  },
});

Deno.test({
  name: "workers: a revocation during an attestation is not undone by the attestation's write",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    // The first getWorker of the worker after `arm()` reads the row, then waits for `release`:
    // the attestation holds a row read before the revocation.
    const gate = holding(await openSqliteStore(":memory:"), "getWorker", ID);
    await withHall({ store: gate.store }, async (h) => {
      const { token, key } = await enrolled(h);
      const submission = await signedSubmission(key, ID, V1);

      const behind = secondLock(h);
      gate.arm();
      const attest = h.req(`/wcp/workers/${ID}/attestation`, {
        method: "POST",
        token,
        json: submission,
      });
      await gate.held; // the attestation has read the row (still active) and waits
      const revoke = h.req(`/wcp/workers/${ID}/revoke`, { method: "POST", token });
      // The revocation either finished (nothing serialises it with the attestation) or waits
      // behind it; then the attestation goes on with the row it read.
      await Promise.race([revoke, behind]);
      gate.release();
      assert.equal((await revoke).status, 200);
      await (await attest).body?.cancel();
      assert.equal((await j(await h.req(`/wcp/workers/${ID}`))).status, "revoked");
      const d = await route(h);
      assert.equal(d.outcome, "DENY", "a revoked worker is never selected");
    });
  },
});

Deno.test({
  name: "workers: an attestation on another hall racing a revocation neither revives nor routes it",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-revoke-race-" });
    const path = `${dir}/hall.sqlite`;
    const a = await testHall({ store: await openSqliteStore(path) });
    let b: TestHall | null = null;
    try {
      const { token, key } = await enrolled(a);

      // Hall B on the same file; its attestation reads the row, then waits until A revoked it.
      const gate = holding(await openSqliteStore(path), "getWorker", ID);
      b = await testHall({ store: gate.store });
      gate.arm();
      const attest = attestation(b, token, key, V1);
      await gate.held;
      assert.equal((await a.req(`/wcp/workers/${ID}/revoke`, { method: "POST" })).status, 200);
      gate.release();
      await (await attest).body?.cancel();
      assert.equal((await a.store.getWorker(ID))?.status, "revoked", "the store keeps it revoked");
      const onB = await j(
        await b.req("/wcp/route", {
          method: "POST",
          json: routeInput({ tenant_id: "org.acme" }),
        }),
      );
      assert.equal(onB.outcome, "DENY", "hall B does not route to it either");
    } finally {
      await b?.stop();
      await a.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
