/**
 * The behaviour every `HallStore` backend must have. Call `runStoreContract(name, makeStore)` from a
 * test file; `makeStore` returns an EMPTY store (the contract migrates and closes it).
 *
 * @module
 */

import assert from "node:assert/strict";
import { sha256Hex } from "../../src/encoding/hash.ts";
import {
  merkleRoot,
  type Receipt,
  receiptConsistencyProof,
  receiptInclusionProof,
} from "../../src/receipts/mod.ts";
import {
  consistencyPlan,
  foldNodes,
  inclusionPlan,
  nodeKey,
  rootNodes,
  type TreeNodeRef,
} from "../../src/receipts/stored_tree.ts";
import { fromHexStrict, toHex } from "../../src/encoding/bytes.ts";
import type {
  AlertRow,
  ApprovalRow,
  BuiltReceipt,
  ChainLink,
  HallStore,
  StoreFactory,
  WorkerRow,
} from "../../src/hall/store/types.ts";

const T0 = "2026-12-01T20:00:00.000Z";
const T1 = "2026-12-01T20:05:00.000Z";
const T2 = "2026-12-01T20:20:00.000Z";

function worker(id: string, ns: string, at = T0): WorkerRow {
  return {
    worker_id: id,
    namespace: ns,
    record: { worker_id: id, worker_species_id: "wrk.doc.summarizer", capabilities: ["cap.doc.x"] },
    status: "active",
    current_hash: null,
    attestation: null,
    flagged: false,
    enrolled_by: "tok-admin",
    enrolled_at: at,
    updated_at: at,
  };
}

// Who raised and who resolved the holds below (spec README decision 19).
const REQUESTER = { principal_id: "tok-agent", label: "agent ci" };
const OP = { principal_id: "op", label: "ops desk" };
const OP2 = { principal_id: "op2", label: "second desk" };

function approval(id: string, expires = T2): ApprovalRow {
  return {
    approval_id: id,
    decision_id: `d-${id}`,
    tenant_id: "acme",
    correlation_id: `c-${id}`,
    capability_id: "cap.doc.x",
    supervisor_level: "gatekeeper",
    status: "pending",
    input: { capability_id: "cap.doc.x" },
    decision: { decision_id: `d-${id}`, outcome: "STEWARD_HOLD" },
    created_at: T0,
    expires_at: expires,
    requested_by: REQUESTER,
    resolved_at: null,
    resolved_by: null,
    note: null,
    escalations: 0,
    consumed_at: null,
  };
}

// A builder that chains like the hall's (hash over the link and a payload), with a delay so that
// concurrent appends really overlap.
function builder(payload: string, delayMs = 0): (link: ChainLink) => Promise<BuiltReceipt> {
  return async (link) => {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const body = {
      receipt_id: crypto.randomUUID(),
      tenant_id: link.tenant_id,
      seq: link.seq,
      prev_receipt_hash: link.prev_receipt_hash,
      correlation_id: `corr-${payload}`,
      decision_id: `dec-${payload}`,
      dispatched_at: new Date(Date.parse(T0) + link.seq * 1000).toISOString(),
    };
    return { ...body, receipt_hash: "sha256:" + sha256Hex(JSON.stringify(body)) };
  };
}

async function withStore(make: StoreFactory, fn: (s: HallStore) => Promise<void>): Promise<void> {
  const store = await make();
  try {
    await store.migrate();
    await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * Register the contract tests for one backend.
 *
 * @example
 * ```ts
 * runStoreContract("sqlite", () => Promise.resolve(new SqliteStore(":memory:")));
 * ```
 */
/** The tree hash of a plan entry, read from the store's nodes. */
async function fold(s: HallStore, tenant: string, refs: TreeNodeRef[]): Promise<Uint8Array> {
  const hashes = await s.receiptTreeNodes(tenant, refs);
  const byKey = new Map(refs.map((r, i) => [nodeKey(r), hashes[i]]));
  return foldNodes(refs, (r) => {
    const h = byKey.get(nodeKey(r));
    assert.ok(h instanceof Uint8Array && h.length === 32, `node ${nodeKey(r)} is stored`);
    return h;
  });
}

function leaf(receiptHash: string): Uint8Array {
  return fromHexStrict(receiptHash.slice(7))!;
}

export function runStoreContract(
  name: string,
  make: StoreFactory,
  // Opt-in while a backend catches up: approved-but-undispatched approvals expire (hall-2, 21:15).
  features: { approvedExpiry?: boolean } = {},
): void {
  const t = (title: string, fn: (s: HallStore) => Promise<void>): void => {
    Deno.test({
      name: `store contract [${name}]: ${title}`,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: () => withStore(make, fn),
    });
  };

  t("migrations are recorded and idempotent", async (s) => {
    const v = await s.migrationVersion();
    assert.ok(v >= 1);
    await s.migrate();
    assert.equal(await s.migrationVersion(), v);
    assert.equal(await s.ping(), true);
  });

  t("meta: first writer wins", async (s) => {
    assert.equal(await s.getMeta("k"), null);
    assert.equal(await s.setMetaIfAbsent("k", "one"), "one");
    assert.equal(await s.setMetaIfAbsent("k", "two"), "one");
    assert.equal(await s.getMeta("k"), "one");
  });

  t("workers: put, replace, list by namespace, count, revoke", async (s) => {
    await s.putWorker(worker("org.acme.a", "org.acme", T0));
    await s.putWorker(worker("org.acme.b", "org.acme", T1));
    await s.putWorker(worker("x.bob.c", "x.bob", T1));
    assert.deepEqual((await s.listWorkers()).map((w) => w.worker_id), [
      "org.acme.a",
      "org.acme.b",
      "x.bob.c",
    ]);
    assert.deepEqual((await s.listWorkers({ namespace: "x.bob" })).map((w) => w.worker_id), [
      "x.bob.c",
    ]);
    const replaced = {
      ...worker("org.acme.a", "org.acme", T0),
      current_hash: "sha256:" + "a".repeat(64),
    };
    await s.putWorker(replaced);
    assert.deepEqual(await s.getWorker("org.acme.a"), replaced);
    assert.equal(await s.countActiveWorkers("org.acme"), 2);
    assert.equal(await s.revokeWorker("org.acme.a", T1), true);
    assert.equal(await s.revokeWorker("org.acme.a", T1), false);
    assert.equal(await s.revokeWorker("org.nope.z", T1), false);
    assert.equal((await s.getWorker("org.acme.a"))?.status, "revoked");
    assert.equal(await s.countActiveWorkers("org.acme"), 1);
    assert.equal(await s.getWorker("org.nope.z"), null);
    assert.equal((await s.counts()).workers, 2);
    // Revocation is final: a write prepared from the row read before it changes nothing.
    const revoked = await s.getWorker("org.acme.a");
    await s.putWorker({ ...replaced, flagged: true, updated_at: T2 });
    assert.deepEqual(await s.getWorker("org.acme.a"), revoked);
    assert.equal(await s.countActiveWorkers("org.acme"), 1);
  });

  t("registry changes: only the rows written after a version, in order, paged", async (s) => {
    const empty = await s.listRegistryChanges(0);
    assert.deepEqual(empty, { version: 0, workers: [], bans: [], more: false });
    await s.putWorker(worker("org.acme.a", "org.acme", T0));
    await s.putWorker(worker("org.acme.b", "org.acme", T1));
    const sha = "sha256:" + "d".repeat(64);
    await s.reportBan({
      sha256: sha,
      reason: "malware",
      source: "t1",
      evidence_url: null,
      reported_at: T0,
      status: "reported",
      confirmed_at: null,
      confirmed_by: null,
    });
    const all = await s.listRegistryChanges(0);
    assert.deepEqual(all.workers.map((w) => w.worker_id), ["org.acme.a", "org.acme.b"]);
    assert.deepEqual(all.workers[0], worker("org.acme.a", "org.acme", T0));
    assert.deepEqual(all.bans.map((b) => [b.sha256, b.status]), [[sha, "reported"]]);
    assert.equal(all.more, false);
    const v1 = all.version;
    assert.ok(v1 >= 3);
    // Nothing written since: nothing listed, the version stays.
    assert.deepEqual(await s.listRegistryChanges(v1), {
      version: v1,
      workers: [],
      bans: [],
      more: false,
    });
    // An update, a revocation, a confirmation: each listed once, as it is now.
    await s.putWorker({ ...worker("org.acme.b", "org.acme", T1), current_hash: sha });
    assert.equal(await s.revokeWorker("org.acme.a", T2), true);
    await s.confirmBan(sha, "admin", T1);
    const next = await s.listRegistryChanges(v1);
    assert.deepEqual(next.workers.map((w) => [w.worker_id, w.status, w.current_hash]), [
      ["org.acme.b", "active", sha],
      ["org.acme.a", "revoked", null],
    ]);
    assert.deepEqual(next.bans.map((b) => b.status), ["confirmed"]);
    assert.ok(next.version > v1);
    // Writes that change nothing (a revoked row is never replaced, a ban confirmed twice) give
    // no new version.
    await s.putWorker({ ...worker("org.acme.a", "org.acme", T0), updated_at: T2 });
    assert.equal(await s.revokeWorker("org.acme.a", T2), false);
    await s.confirmBan(sha, "other", T2);
    assert.equal((await s.listRegistryChanges(next.version)).workers.length, 0);
    assert.equal((await s.listRegistryChanges(next.version)).bans.length, 0);
    // A lifted ban is a change too.
    await s.reviewBan(sha, "lifted", "admin", T2, null);
    const lifted = await s.listRegistryChanges(next.version);
    assert.deepEqual(lifted.bans.map((b) => b.status), ["lifted"]);
    // Paged: one change at a time, in the order written, each version larger than the last.
    const seen: string[] = [];
    let since = 0;
    for (let guard = 0; guard < 10; guard++) {
      const page = await s.listRegistryChanges(since, 1);
      assert.ok(page.workers.length + page.bans.length <= 1);
      seen.push(...page.workers.map((w) => w.worker_id), ...page.bans.map((b) => b.status));
      if (page.workers.length + page.bans.length === 0) break;
      assert.ok(page.version > since);
      assert.equal(page.more, true);
      since = page.version;
    }
    assert.deepEqual(seen, ["org.acme.b", "org.acme.a", "lifted"]);
    assert.equal(since, lifted.version);
    await assert.rejects(() => s.listRegistryChanges(-1), /since/);
    await assert.rejects(() => s.listRegistryChanges(1.5), /since/);
  });

  t("tokens, namespaces, tiers", async (s) => {
    const hash = sha256Hex("secret");
    await s.createToken({
      token_id: "t1",
      token_hash: hash,
      role: "namespace",
      namespace: "org.acme",
      label: "acme",
      created_at: T0,
      revoked_at: null,
    });
    assert.equal((await s.findToken(hash))?.namespace, "org.acme");
    assert.equal(await s.findToken(sha256Hex("other")), null);
    await assert.rejects(() =>
      s.createToken({
        token_id: "t2",
        token_hash: hash,
        role: "admin",
        namespace: null,
        label: "dup",
        created_at: T0,
        revoked_at: null,
      })
    );
    assert.equal(await s.revokeToken("t1", T1), true);
    assert.equal(await s.revokeToken("t1", T1), false);
    assert.equal(await s.findToken(hash), null);
    assert.equal((await s.listTokens())[0].revoked_at, T1);

    await s.putTier({ tier: "free", max_workers: 2, requests_per_minute: 60 });
    await s.putTier({ tier: "free", max_workers: 3, requests_per_minute: 60 });
    assert.equal((await s.getTier("free"))?.max_workers, 3);
    assert.equal(await s.getTier("gold"), null);
    await s.putNamespace({ namespace: "x.bob", tier: "free", owner: "bob", created_at: T0 });
    await s.putNamespace({ namespace: "org.acme", tier: "free", owner: "acme", created_at: T0 });
    assert.deepEqual((await s.listNamespaces()).map((n) => n.namespace), ["org.acme", "x.bob"]);
    assert.equal((await s.getNamespace("x.bob"))?.owner, "bob");
    assert.equal((await s.listTiers()).length, 1);
  });

  t(
    "tokens: the last active admin token is never revoked, even when all are revoked at once",
    async (s) => {
      const admin = (id: string) => ({
        token_id: id,
        token_hash: sha256Hex(`secret-${id}`),
        role: "admin" as const,
        namespace: null,
        label: id,
        created_at: T0,
        revoked_at: null,
      });
      for (const id of ["a1", "a2", "a3"]) await s.createToken(admin(id));
      await s.createToken({ ...admin("n1"), role: "namespace", namespace: "org.acme" });
      assert.equal(await s.revokeTokenKeepingAdmin("n1", T1), "revoked");
      assert.equal(await s.revokeTokenKeepingAdmin("n1", T1), "unknown");
      assert.equal(await s.revokeTokenKeepingAdmin("nope", T1), "unknown");
      assert.equal(await s.revokeTokenKeepingAdmin("a3", T1), "revoked");
      assert.equal(await s.revokeTokenKeepingAdmin("a2", T1), "revoked");
      assert.equal(await s.revokeTokenKeepingAdmin("a1", T1), "last_admin");
      // Every active admin token revoked at the same moment, ten times over: exactly one stays.
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 3; i++) await s.createToken(admin(`r${round}_${i}`));
        const active = async () =>
          (await s.listTokens()).filter((t) => t.role === "admin" && !t.revoked_at);
        const ids = (await active()).map((t) => t.token_id);
        assert.equal(ids.length, 4);
        const outcomes = await Promise.all(ids.map((id) => s.revokeTokenKeepingAdmin(id, T1)));
        assert.equal((await active()).length, 1, JSON.stringify(outcomes));
        assert.deepEqual(
          [...outcomes].sort(),
          ["last_admin", "revoked", "revoked", "revoked"],
          `round ${round}`,
        );
      }
    },
  );

  t("ban list: report is idempotent, confirm keeps the first confirmation", async (s) => {
    const h = "sha256:" + "b".repeat(64);
    const row = {
      sha256: h,
      reason: "malware",
      source: "t1",
      evidence_url: null,
      reported_at: T0,
      status: "reported" as const,
      confirmed_at: null,
      confirmed_by: null,
    };
    assert.deepEqual(await s.reportBan(row), row);
    assert.equal((await s.reportBan({ ...row, reason: "again" })).reason, "malware");
    assert.equal((await s.listBans({ status: "confirmed" })).length, 0);
    const c = await s.confirmBan(h, "admin", T1);
    assert.equal(c?.status, "confirmed");
    assert.equal((await s.confirmBan(h, "other", T2))?.confirmed_by, "admin");
    assert.equal(await s.confirmBan("sha256:" + "c".repeat(64), "admin", T1), null);
    assert.equal((await s.listBans({ status: "confirmed" }))[0].sha256, h);
    assert.equal((await s.getBan(h))?.confirmed_at, T1);
    assert.equal((await s.counts()).bans_confirmed, 1);
  });

  t("ban list: reject only a report, lift only a confirmed ban, confirm again", async (s) => {
    const entry = (sha256: string) => ({
      sha256,
      reason: "malware",
      source: "t1",
      evidence_url: null,
      reported_at: T0,
      status: "reported" as const,
      confirmed_at: null,
      confirmed_by: null,
    });
    const r = "sha256:" + "d".repeat(64);
    const c = "sha256:" + "e".repeat(64);
    await s.reportBan(entry(r));
    await s.reportBan(entry(c));
    await s.confirmBan(c, "admin", T1);
    // From the wrong state nothing changes (the row comes back as it is).
    assert.equal((await s.reviewBan(r, "lifted", "admin", T1, null))?.status, "reported");
    assert.equal((await s.reviewBan(c, "rejected", "admin", T1, null))?.status, "confirmed");
    const rejected = await s.reviewBan(r, "rejected", "admin", T1, "false positive");
    assert.equal(rejected?.status, "rejected");
    assert.equal(rejected?.reviewed_by, "admin");
    assert.equal(rejected?.review_note, "false positive");
    // Twice keeps the first review.
    assert.equal((await s.reviewBan(r, "rejected", "other", T2, null))?.reviewed_by, "admin");
    const lifted = await s.reviewBan(c, "lifted", "admin", T2, null);
    assert.equal(lifted?.status, "lifted");
    assert.equal(lifted?.reviewed_at, T2);
    assert.equal((await s.getBan(c))?.status, "lifted");
    assert.equal((await s.counts()).bans_confirmed, 0);
    assert.deepEqual((await s.listBans({ status: "rejected" })).map((b) => b.sha256), [r]);
    assert.equal(await s.reviewBan("sha256:" + "f".repeat(64), "lifted", "a", T1, null), null);
    // A lifted ban confirmed again is enforced again.
    assert.equal((await s.confirmBan(c, "admin", T2))?.status, "confirmed");
    assert.equal((await s.counts()).bans_confirmed, 1);
  });

  t("approvals: resolve only pending and unexpired; escalate; expire", async (s) => {
    await s.createApproval(approval("a1"));
    await s.createApproval(approval("a2"));
    await s.createApproval(approval("a3", T1));
    assert.equal((await s.listApprovals({ status: "pending" })).length, 3);
    assert.equal((await s.counts()).approvals_pending, 3);

    const esc = await s.escalateApproval("a2", {
      supervisor_level: "incident_commander",
      at: T0,
      expires_at: T2,
    });
    assert.equal(esc?.supervisor_level, "incident_commander");
    assert.equal(esc?.escalations, 1);

    const r = await s.resolveApproval("a1", { status: "approved", by: OP, at: T0, note: "ok" });
    assert.equal(r?.status, "approved");
    assert.deepEqual(r?.resolved_by, OP);
    assert.equal(r?.note, "ok");
    assert.deepEqual(r?.requested_by, REQUESTER, "who raised the hold is kept");
    assert.deepEqual((await s.getApproval("a1"))?.resolved_by, OP);
    assert.deepEqual((await s.getApproval("a2"))?.requested_by, REQUESTER);
    assert.equal((await s.getApproval("a2"))?.resolved_by, null);
    assert.equal(
      await s.resolveApproval("a1", { status: "denied", by: OP2, at: T0, note: null }),
      null,
    );
    // a3 expires at T1: resolving at T1 is too late.
    assert.equal(
      await s.resolveApproval("a3", { status: "approved", by: OP, at: T1, note: null }),
      null,
    );
    const expired = await s.expireApprovals(T1);
    assert.deepEqual(expired.map((a) => a.approval_id), ["a3"]);
    assert.equal((await s.getApproval("a3"))?.status, "expired");
    assert.equal(await s.getApproval("zz"), null);
    assert.deepEqual((await s.listApprovals({ status: "pending" })).map((a) => a.approval_id), [
      "a2",
    ]);
    assert.equal((await s.listApprovals({ tenant_id: "other" })).length, 0);
  });

  t(
    "approvals: a row created with its decision already serialised reads back the same",
    async (s) => {
      // The hall hands the route's answer text over with a hold (not serialised twice); the row
      // read back (and the caller's object) is the same as one created without it.
      const plain = approval("j1");
      const given = approval("j2");
      const decision = { decision_id: "d-j2", outcome: "STEWARD_HOLD", nested: { a: [1, "x"] } };
      given.decision = decision;
      const { requested_by: _by, ...noRequester } = approval("j3");
      await s.createApproval(plain);
      await s.createApproval(given, JSON.stringify(decision));
      await s.createApproval(noRequester as ApprovalRow, JSON.stringify(noRequester.decision));
      assert.deepEqual(await s.getApproval("j1"), plain);
      assert.deepEqual(await s.getApproval("j2"), given);
      assert.deepEqual(given.decision, decision, "the caller's row is left as it was");
      assert.equal("requested_by" in noRequester, false, "the caller's row is left as it was");
      assert.deepEqual(await s.getApproval("j3"), { ...noRequester, requested_by: null });
    },
  );

  t("approvals: an approved request is consumed exactly once, even concurrently", async (s) => {
    await s.createApproval(approval("p1"));
    assert.equal(await s.consumeApproval("p1", T0), null, "pending cannot be consumed");
    await s.resolveApproval("p1", { status: "approved", by: OP, at: T0, note: null });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => s.consumeApproval("p1", T1)),
    );
    assert.equal(results.filter((r) => r !== null).length, 1);
    assert.equal((await s.getApproval("p1"))?.status, "consumed");
    await s.createApproval(approval("p2"));
    await s.resolveApproval("p2", { status: "denied", by: OP, at: T0, note: null });
    assert.equal(await s.consumeApproval("p2", T1), null, "denied cannot be consumed");
  });

  if (features.approvedExpiry) {
    t("approvals: an approved request not dispatched by its new expires_at expires", async (s) => {
      await s.createApproval(approval("q1", T1));
      await s.createApproval(approval("q2", T1));
      // Approved at T0 with a dispatch deadline of T2 (after the pending deadline T1).
      const r = await s.resolveApproval("q1", {
        status: "approved",
        by: OP,
        at: T0,
        note: null,
        expires_at: T2,
      });
      assert.equal(r?.expires_at, T2);
      await s.resolveApproval("q2", { status: "approved", by: OP, at: T0, note: null });
      assert.equal((await s.getApproval("q2"))?.expires_at, T1, "no expires_at: unchanged");
      // At T1 only q2 (deadline T1) expires; q1 is still approved and can be consumed until T2.
      assert.deepEqual((await s.expireApprovals(T1)).map((a) => a.approval_id), ["q2"]);
      const q2 = await s.getApproval("q2");
      assert.equal(q2?.status, "expired");
      assert.deepEqual(q2?.resolved_by, OP, "who approved it is kept");
      assert.equal(await s.consumeApproval("q2", T1), null, "an expired approval is not consumed");
      assert.equal((await s.getApproval("q1"))?.status, "approved");
      assert.equal(await s.consumeApproval("q1", T2), null, "consumed at its deadline: too late");
      assert.deepEqual((await s.expireApprovals(T2)).map((a) => a.approval_id), ["q1"]);
      assert.equal((await s.getApproval("q1"))?.status, "expired");
    });
  }

  if (features.approvedExpiry) {
    t(
      "approvals: consumes and expiries at once: each approved request is one or the other",
      async (s) => {
        const ids = Array.from({ length: 12 }, (_, i) => `race-${String(i).padStart(2, "0")}`);
        for (const id of ids) {
          await s.createApproval(approval(id, T1));
          await s.resolveApproval(id, { status: "approved", by: OP, at: T0, note: null });
        }
        // Consumes just before the deadline T1 interleaved with expiries at it.
        const justBefore = new Date(Date.parse(T1) - 1).toISOString();
        const consumes: Promise<ApprovalRow | null>[] = [];
        const expiries: Promise<ApprovalRow[]>[] = [];
        ids.forEach((id, k) => {
          consumes.push(s.consumeApproval(id, justBefore));
          if (k % 4 === 1) expiries.push(s.expireApprovals(T1), s.expireApprovals(T1));
        });
        const consumed = (await Promise.all(consumes)).flatMap((r) => r ? [r.approval_id] : []);
        const expired = (await Promise.all(expiries)).flat().map((r) => r.approval_id);
        assert.equal(new Set(expired).size, expired.length, "no expiry reported twice");
        assert.deepEqual([...consumed, ...expired].sort(), ids, "each one is one or the other");
        for (const id of ids) {
          const want = consumed.includes(id) ? "consumed" : "expired";
          assert.equal((await s.getApproval(id))?.status, want, id);
        }
        assert.deepEqual(await s.expireApprovals(T2), []);
      },
    );
  }

  t("receipts: per-tenant chains, linear under concurrent appends", async (s) => {
    const appends = [
      ...Array.from({ length: 30 }, (_, i) => s.appendReceipt("acme", builder(`a${i}`, i % 3))),
      ...Array.from({ length: 10 }, (_, i) => s.appendReceipt("beta", builder(`b${i}`, 1))),
    ];
    const rows = await Promise.all(appends);
    assert.equal(new Set(rows.map((r) => `${r.tenant_id}/${r.seq}`)).size, 40);
    for (const [tenant, n] of [["acme", 30], ["beta", 10]] as const) {
      const chain = await s.tenantChain(tenant);
      assert.deepEqual(chain.map((r) => r.seq), Array.from({ length: n }, (_, i) => i));
      assert.equal(chain[0].prev_receipt_hash, null);
      for (let i = 1; i < chain.length; i++) {
        assert.equal(chain[i].prev_receipt_hash, chain[i - 1].receipt_hash);
        assert.equal(chain[i].receipt.seq, chain[i].seq);
      }
    }
    assert.deepEqual(await s.receiptTenants(), ["acme", "beta"]);
    assert.equal((await s.counts()).receipts, 40);
    const part = await s.tenantChain("acme", { fromSeq: 28 });
    assert.deepEqual(part.map((r) => r.seq), [28, 29]);
    assert.equal((await s.tenantChain("acme", { fromSeq: 2, limit: 3 })).length, 3);
  });

  t("receipts: a builder that does not chain is refused and nothing is written", async (s) => {
    await assert.rejects(() =>
      s.appendReceipt("acme", async (link) => ({
        ...(await builder("x")(link)),
        prev_receipt_hash: "sha256:" + "0".repeat(64),
      }))
    );
    await assert.rejects(() =>
      s.appendReceipt("acme", () => {
        throw new Error("signer down");
      })
    );
    assert.equal((await s.tenantChain("acme")).length, 0);
    const r = await s.appendReceipt("acme", builder("ok"));
    assert.equal(r.seq, 0);
    let seen: ChainLink | null = null;
    const r2 = await s.appendReceipt("acme", (link) => {
      seen = link;
      return builder("ok2")(link);
    });
    assert.equal(r2.seq, 1);
    assert.equal(seen!.prev_receipt_hash, r.receipt_hash);
    assert.deepEqual(seen!.prev_receipt, r.receipt, "the builder is handed the head receipt");
  });

  t("receipts: query by tenant, correlation id and time", async (s) => {
    for (let i = 0; i < 5; i++) await s.appendReceipt("acme", builder(`q${i}`));
    await s.appendReceipt("beta", builder("q9"));
    assert.equal((await s.listReceipts({ tenant_id: "acme" })).length, 5);
    const byCorr = await s.listReceipts({ correlation_id: "corr-q2" });
    assert.equal(byCorr.length, 1);
    assert.equal(byCorr[0].decision_id, "dec-q2");
    // dispatched_at = T0 + seq seconds (seq from 0): seq 2..3 lie in [T0+2s, T0+4s).
    const since = new Date(Date.parse(T0) + 2000).toISOString();
    const until = new Date(Date.parse(T0) + 4000).toISOString();
    assert.deepEqual(
      (await s.listReceipts({ tenant_id: "acme", since, until })).map((r) => r.seq),
      [2, 3],
    );
    assert.equal((await s.listReceipts({ limit: 2 })).length, 2);
    assert.equal((await s.listReceipts()).length, 6);
  });

  t("checkpoints", async (s) => {
    await s.putCheckpoint({
      tenant_id: "acme",
      tree_size: 2,
      root: "sha256:x",
      created_at: T0,
      proof: {},
    });
    await s.putCheckpoint({
      tenant_id: "acme",
      tree_size: 1,
      root: "sha256:y",
      created_at: T0,
      proof: {},
    });
    await s.putCheckpoint({
      tenant_id: "acme",
      tree_size: 2,
      root: "sha256:z",
      created_at: T1,
      proof: { a: 1 },
    });
    const cps = await s.listCheckpoints("acme");
    assert.deepEqual(cps.map((c) => [c.tree_size, c.root]), [[1, "sha256:y"], [2, "sha256:z"]]);
    assert.deepEqual(cps[1].proof, { a: 1 });
    // The newest within a size range (what a proof for receipt i, or a start, looks for).
    await s.putCheckpoint({
      tenant_id: "acme",
      tree_size: 5,
      root: "r5",
      created_at: T1,
      proof: {},
    });
    await s.putCheckpoint({
      tenant_id: "beta",
      tree_size: 9,
      root: "b9",
      created_at: T1,
      proof: {},
    });
    assert.equal((await s.latestCheckpoint("acme"))?.tree_size, 5);
    assert.equal((await s.latestCheckpoint("acme", { maxSize: 4 }))?.tree_size, 2);
    assert.equal((await s.latestCheckpoint("acme", { minSize: 2, maxSize: 2 }))?.root, "sha256:z");
    assert.equal(await s.latestCheckpoint("acme", { minSize: 6 }), null);
    assert.equal(await s.latestCheckpoint("gamma"), null);
  });

  t("receipts: head and lookup by id, per tenant", async (s) => {
    assert.equal(await s.chainHead("acme"), null);
    const a0 = await s.appendReceipt("acme", builder("h0"));
    const a1 = await s.appendReceipt("acme", builder("h1"));
    const b0 = await s.appendReceipt("beta", builder("h2"));
    assert.equal((await s.chainHead("acme"))?.receipt_id, a1.receipt_id);
    assert.equal((await s.chainHead("beta"))?.seq, 0);
    assert.deepEqual(await s.getReceipt("acme", a0.receipt_id), a0);
    assert.equal(await s.getReceipt("acme", b0.receipt_id), null, "another tenant's receipt");
    assert.equal(await s.getReceipt("acme", "nope"), null);
  });

  t(
    "receipt tree: appends store the RFC 6962 nodes; proofs read from them equal the in-memory ones",
    async (s) => {
      // Concurrent appends on two tenants, lengths that are not powers of two.
      await Promise.all([
        ...Array.from({ length: 37 }, (_, i) => s.appendReceipt("acme", builder(`t${i}`, i % 3))),
        ...Array.from({ length: 6 }, (_, i) => s.appendReceipt("beta", builder(`u${i}`, 1))),
      ]);
      for (const [tenant, n] of [["acme", 37], ["beta", 6]] as const) {
        assert.equal(await s.receiptTreeSize(tenant), n);
        const chain = (await s.tenantChain(tenant)).map((r) => r.receipt as unknown as Receipt);
        for (const size of [1, 2, 5, 6, 16, 17, 32, 37].filter((x) => x <= n)) {
          const prefix = chain.slice(0, size);
          assert.equal(
            toHex(await fold(s, tenant, rootNodes(size))),
            toHex(merkleRoot(prefix.map((r) => leaf(r.receipt_hash)))),
            `${tenant} root of ${size}`,
          );
          for (const i of [0, size >> 1, size - 1]) {
            const plan = inclusionPlan(i, size);
            const got = [];
            for (const p of plan) got.push(toHex(await fold(s, tenant, p)));
            assert.deepEqual(
              got,
              receiptInclusionProof(prefix, i).audit_path,
              `${tenant} ${i}/${size}`,
            );
          }
          for (const old of [1, size >> 1, size - 1].filter((x) => x >= 1 && x < size)) {
            const got = [];
            for (const p of consistencyPlan(old, size)) got.push(toHex(await fold(s, tenant, p)));
            assert.deepEqual(
              got,
              receiptConsistencyProof(prefix, old).proof,
              `${tenant} ${old}->${size}`,
            );
          }
        }
      }
      // Nodes are per tenant; nodes not (yet) complete are not stored.
      assert.deepEqual(await s.receiptTreeNodes("beta", [{ level: 3, index: 0 }]), [null]);
      assert.deepEqual(await s.receiptTreeNodes("gamma", [{ level: 0, index: 0 }]), [null]);
      assert.equal(await s.receiptTreeSize("gamma"), 0);
    },
  );

  t(
    "receipt tree: a receipt_hash that cannot be a Merkle leaf is refused, nothing written",
    async (s) => {
      await s.appendReceipt("acme", builder("ok0"));
      await assert.rejects(
        s.appendReceipt("acme", async (link) => ({
          ...(await builder("bad")(link)),
          receipt_hash: "sha256:not-hex",
        })),
        /receipt_hash/,
      );
      assert.equal((await s.tenantChain("acme")).length, 1);
      assert.equal(await s.receiptTreeSize("acme"), 1);
      await s.appendReceipt("acme", builder("ok1"));
      assert.equal(await s.receiptTreeSize("acme"), 2);
    },
  );

  t("telemetry and decisions", async (s) => {
    await s.appendTelemetry([
      {
        event_id: "evt.os.task.routed",
        decision_id: "d1",
        correlation_id: "c1",
        timestamp: T0,
        event: { a: 1 },
      },
      {
        event_id: "evt.os.worker.selected",
        decision_id: "d1",
        correlation_id: "c1",
        timestamp: T0,
        event: {},
      },
      {
        event_id: "evt.os.task.denied",
        decision_id: "d2",
        correlation_id: "c2",
        timestamp: T1,
        event: {},
      },
    ]);
    await s.appendTelemetry([]);
    assert.deepEqual((await s.listTelemetry({ decision_id: "d1" })).map((e) => e.event_id), [
      "evt.os.task.routed",
      "evt.os.worker.selected",
    ]);
    assert.equal((await s.listTelemetry({ correlation_id: "c2" })).length, 1);
    assert.deepEqual((await s.listTelemetry({ limit: 1 })).map((e) => e.decision_id), ["d2"]);
    assert.deepEqual((await s.listTelemetry({ decision_id: "d1" }))[0].event, { a: 1 });

    const d = {
      decision_id: "d1",
      parent_decision_id: null,
      tenant_id: "acme",
      correlation_id: "c1",
      capability_id: "cap.doc.x",
      outcome: "DISPATCH",
      blast_dimensions_score: 4,
      chain_blast_score: 4,
      created_at: T0,
    };
    await s.recordDecision(d);
    await s.recordDecision({ ...d, chain_blast_score: 99 });
    assert.deepEqual(await s.getDecision("d1"), d);
    assert.equal(await s.getDecision("nope"), null);
  });

  t("alerts: acknowledged alerts stay acknowledged", async (s) => {
    const a: AlertRow = {
      alert_id: "al1",
      kind: "tamper",
      severity: 1,
      message: "worker tampered",
      subject: "org.acme.a",
      details: { h: 1 },
      created_at: T0,
      acknowledged_at: null,
      acknowledged_by: null,
    };
    await s.createAlert(a);
    await s.createAlert({ ...a, alert_id: "al2", kind: "chain_break", created_at: T1 });
    assert.deepEqual((await s.listAlerts()).map((x) => x.alert_id), ["al2", "al1"]);
    assert.equal((await s.counts()).alerts_open, 2);
    const ack = await s.acknowledgeAlert("al1", "op", T1);
    assert.equal(ack?.acknowledged_by, "op");
    assert.equal((await s.acknowledgeAlert("al1", "op2", T2))?.acknowledged_by, "op");
    assert.equal(await s.acknowledgeAlert("nope", "op", T1), null);
    assert.deepEqual((await s.listAlerts({ acknowledged: false })).map((x) => x.alert_id), ["al2"]);
    assert.deepEqual((await s.listAlerts({ acknowledged: true })).map((x) => x.alert_id), ["al1"]);
    assert.deepEqual((await s.listAlerts({ acknowledged: true }))[0].details, { h: 1 });
  });

  t("gateway pins: compare-and-set on a version, one row per gateway name", async (s) => {
    assert.equal(await s.getGatewayPins("team"), null);
    // Key order, spacing and non-ASCII text come back byte for byte.
    const one = '{"version":1, "pins":{"fs.é":{}},"a":"\u00e9"}';
    assert.equal(await s.putGatewayPins("team", 0, one, T0), true);
    assert.deepEqual(await s.getGatewayPins("team"), { version: 1, data: one, updated_at: T0 });
    // A writer that read nothing, or a version that is not the stored one, writes nothing.
    assert.equal(await s.putGatewayPins("team", 0, '{"x":1}', T1), false);
    assert.equal(await s.putGatewayPins("team", 2, '{"x":2}', T1), false);
    assert.equal((await s.getGatewayPins("team"))?.data, one);
    assert.equal(await s.putGatewayPins("team", 1, '{"x":3}', T1), true);
    assert.deepEqual(await s.getGatewayPins("team"), {
      version: 2,
      data: '{"x":3}',
      updated_at: T1,
    });
    // Another gateway's pins are another row.
    assert.equal(await s.getGatewayPins("other"), null);
    assert.equal(await s.putGatewayPins("other", 0, "{}", T2), true);
    assert.equal((await s.getGatewayPins("team"))?.version, 2);
    assert.equal((await s.getGatewayPins("other"))?.version, 1);
  });

  t("gateway pins: of concurrent writers of one version exactly one wins", async (s) => {
    for (const expected of [0, 1]) {
      const wins = await Promise.all(
        Array.from(
          { length: 12 },
          (_, i) => s.putGatewayPins("team", expected, JSON.stringify({ writer: i, expected }), T0),
        ),
      );
      assert.equal(wins.filter(Boolean).length, 1, `one writer of version ${expected}`);
      const row = await s.getGatewayPins("team");
      assert.equal(row?.version, expected + 1);
      assert.deepEqual(JSON.parse(row!.data), { writer: wins.indexOf(true), expected });
    }
  });

  t("gateway pins: bad arguments are refused naming the argument, nothing stored", async (s) => {
    const refused = async (p: Promise<unknown>, path: string) => {
      await assert.rejects(p, (e: Error & { code?: string; path?: string }) => {
        assert.equal(e.code, "GATEWAY_PINS_INVALID");
        assert.equal(e.path, path);
        return true;
      });
    };
    await refused(s.putGatewayPins("", 0, "{}", T0), "name");
    await refused(s.putGatewayPins("x".repeat(201), 0, "{}", T0), "name");
    await refused(s.getGatewayPins(""), "name");
    await refused(s.putGatewayPins("team", -1, "{}", T0), "expected");
    await refused(s.putGatewayPins("team", 1.5, "{}", T0), "expected");
    await refused(s.putGatewayPins("team", 0, "{not json", T0), "data");
    await refused(s.putGatewayPins("team", 0, "[1]", T0), "data");
    await refused(s.putGatewayPins("team", 0, "{}", "yesterday"), "at");
    assert.equal(await s.getGatewayPins("team"), null);
  });
}
