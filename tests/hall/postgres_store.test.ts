/**
 * PostgreSQL-specific guarantees of the hall store, with several connection pools standing in for
 * several hall instances on one database: linear receipt chains under concurrent appends,
 * consume-once approvals, racing migrations, and the database-level guards behind them.
 * (The backend-independent behaviour is `tests/hall/postgres_contract.test.ts`.)
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openPostgresStore, type PostgresStore } from "../../src/hall/store/postgres/mod.ts";
import type { ApprovalRow, BuiltReceipt, ChainLink } from "../../src/hall/store/types.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";
import { sha256Hex } from "../../src/encoding/hash.ts";
import { type Receipt, receiptInclusionProof } from "../../src/receipts/mod.ts";
import { foldNodes, inclusionPlan, nodeKey } from "../../src/receipts/stored_tree.ts";
import { toHex } from "../../src/encoding/bytes.ts";
import { appendTenantBatch, tenantEvent, tenantPageIds } from "./_telemetry_rows.ts";

const ignore = skipPostgresTests();
let schemaCounter = 0;

/** `n` stores (independent pools, as from n hall instances) on one fresh schema. */
async function instances(n: number, max = 4): Promise<PostgresStore[]> {
  const pg = await sharedPostgres();
  const schema = `ps_${Date.now().toString(36)}_${schemaCounter++}`;
  const stores: PostgresStore[] = [];
  for (let i = 0; i < n; i++) stores.push(await openPostgresStore(pg.url, { schema, max }));
  return stores;
}

async function closeAll(stores: PostgresStore[]): Promise<void> {
  await Promise.all(stores.map((s) => s.close()));
}

function receiptFor(link: ChainLink, tag: string): BuiltReceipt {
  const body = { tenant: link.tenant_id, seq: link.seq, prev: link.prev_receipt_hash, tag };
  assert.equal(link.prev_receipt?.receipt_hash ?? null, link.prev_receipt_hash);
  return {
    receipt_id: crypto.randomUUID(),
    prev_receipt_hash: link.prev_receipt_hash,
    receipt_hash: `sha256:${sha256Hex(JSON.stringify(body))}`,
    correlation_id: crypto.randomUUID(),
    dispatched_at: new Date().toISOString(),
    decision_id: `dec-${tag}`,
    tag,
  };
}

function approval(id: string, status: ApprovalRow["status"]): ApprovalRow {
  const now = new Date();
  return {
    approval_id: id,
    decision_id: `dec-${id}`,
    tenant_id: "acme",
    correlation_id: crypto.randomUUID(),
    capability_id: "cap.doc.summarize",
    supervisor_level: "gatekeeper",
    status,
    input: { tenant_id: "acme" },
    decision: { outcome: "STEWARD_HOLD" },
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + 60_000).toISOString(),
    resolved_at: null,
    requested_by: null,
    resolved_by: null,
    note: null,
    escalations: 0,
    consumed_at: null,
  };
}

Deno.test({
  name: "postgres store: racing migrations from 4 instances apply each migration once",
  ignore,
  async fn() {
    const pg = await sharedPostgres();
    const schema = `mig_${Date.now().toString(36)}`;
    const stores = await Promise.all(
      [0, 1, 2, 3].map(() => openPostgresStore(pg.url, { schema, migrate: false, max: 2 })),
    );
    try {
      assert.equal(await stores[0].migrationVersion(), 0);
      await Promise.all(stores.map((s) => s.migrate()));
      const v = await stores[1].migrationVersion();
      assert.ok(v >= 1);
      await stores[2].migrate(); // idempotent
      assert.equal(await stores[3].migrationVersion(), v);
      // The version numbers have gaps (there is no PostgreSQL version 3), so the count is not the
      // highest version: the racing instances must leave exactly the rows one instance migrating
      // alone leaves, each once, the highest being the reported version.
      const alone = `${schema}_alone`;
      stores.push(await openPostgresStore(pg.url, { schema: alone, max: 1 }));
      const sql = postgres(pg.url, { onnotice: () => {}, max: 1 });
      const versions = async (s: string): Promise<number[]> =>
        (await sql.unsafe(`select version from "${s}".wcp_migrations order by version`))
          .map((r) => Number(r.version));
      const raced = await versions(schema);
      const expected = await versions(alone);
      await sql.end();
      assert.deepEqual(raced, expected, "one row per migration, no duplicates, none missing");
      assert.equal(raced.at(-1), v);
    } finally {
      await closeAll(stores);
    }
  },
});

Deno.test({
  name: "postgres store: 3 instances x 3 tenants x 60 concurrent appends give linear chains",
  ignore,
  async fn() {
    const stores = await instances(3);
    try {
      const tenants = ["acme", "globex", "initech"];
      const perTenantPerInstance = 20;
      const jobs: Promise<unknown>[] = [];
      stores.forEach((store, i) => {
        for (const tenant of tenants) {
          for (let k = 0; k < perTenantPerInstance; k++) {
            jobs.push(store.appendReceipt(tenant, async (link) => {
              // Yield inside the lock, as a real signer does, to widen any race window.
              await new Promise((r) => setTimeout(r, 0));
              return receiptFor(link, `${i}-${k}`);
            }));
          }
        }
      });
      const results = await Promise.all(jobs);
      assert.equal(results.length, 180);
      for (const tenant of tenants) {
        const chain = await stores[0].tenantChain(tenant);
        assert.equal(chain.length, 60, `${tenant}: every append is in the chain`);
        chain.forEach((row, idx) => {
          assert.equal(row.seq, idx, `${tenant}: seq without gap`);
          assert.equal(row.prev_receipt_hash, idx === 0 ? null : chain[idx - 1].receipt_hash);
          assert.equal(row.receipt.prev_receipt_hash, row.prev_receipt_hash);
        });
        assert.equal(new Set(chain.map((r) => r.receipt_hash)).size, 60, "no duplicate");
      }
      assert.deepEqual(await stores[2].receiptTenants(), tenants);
      assert.equal((await stores[1].counts()).receipts, 180);
    } finally {
      await closeAll(stores);
    }
  },
});

Deno.test({
  name: "postgres store: a failing or lying builder leaves no gap and no row",
  ignore,
  async fn() {
    const [a, b] = await instances(2);
    try {
      await a.appendReceipt("acme", (link) => receiptFor(link, "first"));
      await assert.rejects(
        b.appendReceipt("acme", () => Promise.reject(new Error("signer down"))),
        /signer down/,
      );
      await assert.rejects(
        b.appendReceipt(
          "acme",
          (link) => ({ ...receiptFor(link, "liar"), prev_receipt_hash: null }),
        ),
        (e: Error & { code?: string }) => e.code === "RECEIPT_CHAIN_MISMATCH",
      );
      const next = await b.appendReceipt("acme", (link) => receiptFor(link, "second"));
      assert.equal(next.seq, 1, "the rolled-back appends did not consume a seq");
      const chain = await a.tenantChain("acme");
      assert.deepEqual(chain.map((r) => r.receipt.tag), ["first", "second"]);
      assert.equal(chain[1].prev_receipt_hash, chain[0].receipt_hash);
    } finally {
      await closeAll([a, b]);
    }
  },
});

Deno.test({
  name: "postgres store: the schema itself refuses a fork, a duplicate position, a second genesis",
  ignore,
  async fn() {
    const pg = await sharedPostgres();
    const [a] = await instances(1);
    try {
      const r1 = await a.appendReceipt("acme", (link) => receiptFor(link, "1"));
      await a.appendReceipt("acme", (link) => receiptFor(link, "2"));
      const schema = (await postgresSchemaOf(pg.url, r1.receipt_id))!;
      const sql = postgres(pg.url, { onnotice: () => {}, max: 1 });
      const insert = (seq: number, prev: string | null) =>
        sql.unsafe(
          `insert into "${schema}".receipts (tenant_id, seq, receipt_id, receipt_hash,
            prev_receipt_hash, correlation_id, dispatched_at, receipt)
           values ('acme', $1, $2, $3, $4, 'c', '2026-01-01T00:00:00.000Z', '{}')`,
          [seq, crypto.randomUUID(), `sha256:${crypto.randomUUID()}`, prev],
        );
      try {
        // A second child of receipt 1 (a fork) is refused even with a fresh seq.
        await assert.rejects(insert(2, r1.receipt_hash), /duplicate key|unique/i);
        // A second receipt at an existing position is refused.
        await assert.rejects(insert(1, "sha256:other"), /duplicate key|unique/i);
        // Only seq 0 may lack a predecessor.
        await assert.rejects(insert(2, null), /check constraint/i);
      } finally {
        await sql.end();
      }
    } finally {
      await a.close();
    }
  },
});

async function postgresSchemaOf(url: string, receiptId: string): Promise<string | null> {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    const schemas = await sql`select table_schema from information_schema.tables
      where table_name = 'receipts'`;
    for (const { table_schema } of schemas) {
      const [hit] = await sql.unsafe(
        `select 1 from "${table_schema}".receipts where receipt_id = $1`,
        [receiptId],
      );
      if (hit) return table_schema as string;
    }
    return null;
  } finally {
    await sql.end();
  }
}

Deno.test({
  name: "postgres store: an approved request is consumed exactly once across instances",
  ignore,
  async fn() {
    const stores = await instances(3);
    try {
      await stores[0].createApproval(approval("ap-1", "pending"));
      const at = new Date().toISOString();
      // Racing resolutions: exactly one wins.
      const resolved = await Promise.all(
        stores.flatMap((s, i) => [
          s.resolveApproval("ap-1", {
            status: "approved",
            by: { principal_id: `i${i}`, label: "" },
            at,
            note: null,
          }),
          s.resolveApproval("ap-1", {
            status: "denied",
            by: { principal_id: `i${i}`, label: "" },
            at,
            note: null,
          }),
        ]),
      );
      const winners = resolved.filter((r) => r !== null);
      assert.equal(winners.length, 1, "one resolution wins");
      if (winners[0]!.status === "denied") {
        // Force the path under test: a fresh approval resolved once, then consumed concurrently.
        await stores[0].createApproval(approval("ap-2", "pending"));
        await stores[0].resolveApproval("ap-2", {
          status: "approved",
          by: { principal_id: "x", label: "" },
          at,
          note: null,
        });
      }
      const id = winners[0]!.status === "approved" ? "ap-1" : "ap-2";
      const consumed = await Promise.all(
        Array.from({ length: 30 }, (_, k) => stores[k % 3].consumeApproval(id, at)),
      );
      assert.equal(consumed.filter((r) => r !== null).length, 1, "exactly one consume wins");
      const row = await stores[2].getApproval(id);
      assert.equal(row?.status, "consumed");
      assert.equal(row?.consumed_at, at);
      assert.equal(await stores[1].consumeApproval(id, at), null, "never again");
    } finally {
      await closeAll(stores);
    }
  },
});

/** `n` approvals created at `created`, approved at `created` with a dispatch deadline `deadline`. */
async function approvedBatch(
  store: PostgresStore,
  prefix: string,
  n: number,
  created: string,
  deadline: string,
): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);
  for (const id of ids) {
    await store.createApproval({ ...approval(id, "pending"), created_at: created });
    const r = await store.resolveApproval(id, {
      status: "approved",
      by: { principal_id: "op", label: "" },
      at: created,
      note: null,
      expires_at: deadline,
    });
    assert.equal(r?.expires_at, deadline);
  }
  return ids;
}

Deno.test({
  name:
    "postgres store: consumes racing expiries on 3 instances: each approval consumed or expired, once",
  ignore,
  async fn() {
    const stores = await instances(3);
    try {
      const created = "2026-12-01T20:00:00.000Z";
      const deadline = "2026-12-01T20:05:00.000Z";
      const justBefore = "2026-12-01T20:04:59.999Z"; // a consume here is still in time
      let consumedTotal = 0;
      let expiredTotal = 0;
      for (let round = 0; round < 3; round++) {
        const ids = await approvedBatch(stores[0], `r${round}`, 40, created, deadline);
        // Interleave: every instance expires (at the deadline) several times while every
        // approval is consumed (just before it) from some instance, all at once.
        const consumes: Promise<ApprovalRow | null>[] = [];
        const expiries: Promise<ApprovalRow[]>[] = [];
        ids.forEach((id, k) => {
          consumes.push(stores[k % 3].consumeApproval(id, justBefore));
          if (k % 10 === 9) { for (const s of stores) expiries.push(s.expireApprovals(deadline)); }
        });
        const consumed = (await Promise.all(consumes)).filter((r) => r !== null).map((r) =>
          r!.approval_id
        );
        const expired = (await Promise.all(expiries)).flat().map((r) => r.approval_id);
        assert.equal(new Set(expired).size, expired.length, "no expiry reported twice");
        assert.deepEqual(
          consumed.filter((id) => expired.includes(id)),
          [],
          "never both consumed and expired",
        );
        assert.deepEqual([...consumed, ...expired].sort(), ids, "each one is one or the other");
        for (const id of ids) {
          const row = await stores[1].getApproval(id);
          if (consumed.includes(id)) {
            assert.equal(row?.status, "consumed");
            assert.equal(row?.consumed_at, justBefore);
          } else {
            assert.equal(row?.status, "expired");
            assert.deepEqual(
              row?.resolved_by,
              { principal_id: "op", label: "" },
              "an expired approved row keeps its approver",
            );
            assert.equal(row?.resolved_at, created);
            assert.equal(row?.consumed_at, null);
            // Not brought back: neither consumable (even with an earlier clock) nor resolvable.
            assert.equal(await stores[2].consumeApproval(id, created), null);
            assert.equal(
              await stores[2].resolveApproval(id, {
                status: "approved",
                by: { principal_id: "op2", label: "" },
                at: created,
                note: null,
                expires_at: "2026-12-01T21:00:00.000Z",
              }),
              null,
            );
          }
        }
        assert.deepEqual(await stores[2].expireApprovals(deadline), [], "nothing left to expire");
        consumedTotal += consumed.length;
        expiredTotal += expired.length;
      }
      assert.equal(consumedTotal + expiredTotal, 120);
    } finally {
      await closeAll(stores);
    }
  },
});

Deno.test({
  name: "postgres store: approvals racing expiries: an expired request is never approved after",
  ignore,
  async fn() {
    const stores = await instances(3);
    try {
      const created = "2026-12-01T20:00:00.000Z";
      const deadline = "2026-12-01T20:05:00.000Z";
      const ids = Array.from({ length: 40 }, (_, i) => `pa-${String(i).padStart(3, "0")}`);
      for (const id of ids) {
        await stores[0].createApproval({
          ...approval(id, "pending"),
          created_at: created,
          expires_at: deadline,
        });
      }
      // Approved just before the pending deadline with a new dispatch deadline an hour on, while
      // other instances expire at the pending deadline.
      const newDeadline = "2026-12-01T21:05:00.000Z";
      const resolves: Promise<ApprovalRow | null>[] = [];
      const expiries: Promise<ApprovalRow[]>[] = [];
      ids.forEach((id, k) => {
        resolves.push(stores[k % 3].resolveApproval(id, {
          status: "approved",
          by: { principal_id: "op", label: "" },
          at: "2026-12-01T20:04:59.999Z",
          note: null,
          expires_at: newDeadline,
        }));
        if (k % 10 === 9) { for (const s of stores) expiries.push(s.expireApprovals(deadline)); }
      });
      const approved = (await Promise.all(resolves)).filter((r) => r !== null).map((r) =>
        r!.approval_id
      );
      const expired = (await Promise.all(expiries)).flat().map((r) => r.approval_id);
      assert.equal(new Set(expired).size, expired.length, "no expiry reported twice");
      assert.deepEqual([...approved, ...expired].sort(), ids, "each one is one or the other");
      for (const id of ids) {
        const row = await stores[1].getApproval(id);
        if (approved.includes(id)) {
          assert.equal(row?.status, "approved");
          assert.equal(row?.expires_at, newDeadline, "the approval's own deadline holds");
        } else {
          assert.equal(row?.status, "expired");
          assert.equal(row?.resolved_at, deadline, "a pending row expires at the expiry time");
          assert.equal(row?.resolved_by, null);
        }
      }
    } finally {
      await closeAll(stores);
    }
  },
});

Deno.test({
  name: "postgres store: JSON and times round-trip verbatim; ids sort bytewise",
  ignore,
  async fn() {
    const [a] = await instances(1);
    try {
      const r = await a.appendReceipt("acme", (link) => ({
        ...receiptFor(link, "x"),
        nested: { z: 1, a: [1.5, "é", null], big: 12345678901234 },
        text: "line\u2028sep",
      }));
      const [back] = await a.tenantChain("acme");
      assert.deepEqual(back.receipt, r.receipt);
      assert.deepEqual(Object.keys(back.receipt), Object.keys(r.receipt), "key order kept");
      for (const id of ["b", "B", "a", "_", "Z"]) {
        await a.putNamespace({ namespace: `x.${id}`, tier: "free", owner: "", created_at: "t" });
      }
      const names = (await a.listNamespaces()).map((n) => n.namespace);
      assert.deepEqual(names, ["x.B", "x.Z", "x._", "x.a", "x.b"]);
    } finally {
      await a.close();
    }
  },
});

Deno.test({
  name: "postgres store: an unreachable server gives a clear error naming host and port",
  ignore,
  async fn() {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    await assert.rejects(
      openPostgresStore(`postgres://postgres@127.0.0.1:${port}/nope`, { connectTimeoutSeconds: 2 }),
      (e: Error) => e.message.includes(`127.0.0.1:${port}/nope`) && !e.message.includes("    at "),
    );
    await assert.rejects(
      openPostgresStore("mysql://x"),
      /must start with postgres:\/\//,
    );
  },
});

Deno.test({
  name: "postgres store: recordDecisions writes a batch in one go and ignores duplicates",
  ignore,
  async fn() {
    const [a, b] = await instances(2);
    try {
      const rows = Array.from({ length: 2500 }, (_, i) => ({
        decision_id: `d-${i}`,
        parent_decision_id: i % 2 ? `d-${i - 1}` : null,
        tenant_id: "acme",
        correlation_id: `c-${i}`,
        capability_id: "cap.doc.summarize",
        outcome: "DISPATCH",
        blast_dimensions_score: i % 7,
        chain_blast_score: null,
        created_at: new Date(Date.UTC(2026, 11, 1, 20, 0, 0, i)).toISOString(),
      }));
      // Two instances flushing overlapping batches: the first write of each id wins.
      await Promise.all([
        a.recordDecisions(rows.slice(0, 1500)),
        b.recordDecisions(rows.slice(1000).map((r) => ({ ...r, outcome: "DENY" }))),
      ]);
      await a.recordDecisions([]);
      assert.deepEqual(await b.getDecision("d-3"), rows[3]);
      assert.equal((await a.getDecision("d-2499"))?.outcome, "DENY");
      assert.equal((await a.getDecision("d-2499"))?.blast_dimensions_score, 2499 % 7);
      const outcome1200 = (await b.getDecision("d-1200"))?.outcome;
      assert.ok(outcome1200 === "DISPATCH" || outcome1200 === "DENY");
      assert.equal(await a.getDecision("d-2500"), null);
    } finally {
      await closeAll([a, b]);
    }
  },
});

Deno.test({
  name: "postgres store: a telemetry flush larger than one statement's 65,535 parameters",
  ignore,
  async fn() {
    const [a] = await instances(1);
    try {
      // 20,000 events x 5 parameters: one statement would exceed the protocol's limit.
      const rows = Array.from({ length: 20_000 }, (_, i) => ({
        event_id: "evt.os.task.routed",
        decision_id: `d-${i}`,
        correlation_id: `c-${i % 10}`,
        timestamp: "2026-12-01T20:00:00.000Z",
        event: { i } as Record<string, unknown>,
      }));
      // A hostile correlation id (lone surrogate) must not sink the batch.
      rows[7].correlation_id = "bad\ud800id";
      rows[7].event = { i: 7, text: "\udfff" };
      await a.appendTelemetry(rows);
      const [seventh] = await a.listTelemetry({ decision_id: "d-7" });
      assert.equal(seventh.correlation_id, "bad\ufffdid");
      assert.deepEqual(seventh.event, { i: 7, text: "\udfff" }, "the event text is kept verbatim");
      const newest = await a.listTelemetry({ limit: 3 });
      assert.deepEqual(newest.map((r) => r.event), [{ i: 19_997 }, { i: 19_998 }, { i: 19_999 }]);
      assert.equal((await a.listTelemetry({ decision_id: "d-12345" }))[0].correlation_id, "c-5");
    } finally {
      await a.close();
    }
  },
});

Deno.test({
  name:
    "postgres store: migrate backfills the Merkle tree of chains written before it, and appends continue it",
  ignore,
  async fn() {
    const pg = await sharedPostgres();
    const schema = `tree_${Date.now().toString(36)}`;
    const a = await openPostgresStore(pg.url, { schema, max: 2 });
    const raw = postgres(pg.url, { max: 1, onnotice: () => {} });
    const proof = async (index: number, size: number) => {
      const out: string[] = [];
      for (const p of inclusionPlan(index, size)) {
        const hashes = await a.receiptTreeNodes("acme", p);
        const m = new Map(p.map((r, i) => [nodeKey(r), hashes[i]!]));
        out.push(toHex(foldNodes(p, (r) => m.get(nodeKey(r))!)));
      }
      return out;
    };
    const chain = async () =>
      (await a.tenantChain("acme")).map((r) =>
        ({ seq: r.seq, receipt_hash: r.receipt_hash }) as unknown as Receipt
      );
    try {
      for (let i = 0; i < 41; i++) await a.appendReceipt("acme", (l) => receiptFor(l, `m${i}`));
      assert.deepEqual(await proof(33, 41), receiptInclusionProof(await chain(), 33).audit_path);
      // As a hall of the version before the tree left it: no tree rows, no tree columns set.
      await raw.unsafe(`set search_path to "${schema}";
        delete from receipt_tree; update chain_heads set tree_size = null, tree_frontier = null`);
      assert.equal(await a.receiptTreeSize("acme"), 0);
      // An append then writes no nodes (the tree stays behind and proofs refuse)...
      await a.appendReceipt("acme", (l) => receiptFor(l, "m41"));
      assert.equal(await a.receiptTreeSize("acme"), 0);
      // ...until migrate (every start) backfills it; the next append continues it.
      await a.migrate();
      assert.equal(await a.receiptTreeSize("acme"), 42);
      await a.appendReceipt("acme", (l) => receiptFor(l, "m42"));
      assert.equal(await a.receiptTreeSize("acme"), 43);
      const all = await chain();
      assert.deepEqual(await proof(33, 43), receiptInclusionProof(all, 33).audit_path);
      assert.deepEqual(await proof(42, 43), receiptInclusionProof(all, 42).audit_path);
    } finally {
      await raw.end();
      await a.close();
    }
  },
});

Deno.test({
  name:
    "postgres store: migration 2 keeps an older hall's approvals, their resolvers with their token's label",
  ignore,
  async fn() {
    const pg = await sharedPostgres();
    const schema = `sod_${Date.now().toString(36)}`;
    const a = await openPostgresStore(pg.url, { schema, max: 2 });
    const raw = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      // Back to the schema before migration 2, with rows as a hall of that version wrote them.
      await raw.unsafe(`set search_path to "${schema}";
        delete from wcp_migrations where version = 2;
        alter table approvals drop column requested_by, drop column requested_by_label,
          drop column resolved_by_label;
        insert into tokens (token_id, token_hash, role, namespace, label, created_at)
          values ('tok_ops', '${"ab".repeat(32)}', 'admin', null, 'ops desk',
            '2026-01-01T00:00:00.000Z');`);
      const old = (id: string, status: string, by: string | null) =>
        raw.unsafe(
          `insert into "${schema}".approvals (approval_id, decision_id, tenant_id, correlation_id,
            capability_id, supervisor_level, status, input, decision, created_at, expires_at,
            resolved_at, resolved_by)
          values ($1, $1, 'acme', $1, 'cap.doc.x', 'gatekeeper', $2, '{}', '{}',
            '2026-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z', $3, $4)`,
          [id, status, by ? "2026-01-01T00:01:00.000Z" : null, by],
        );
      await old("a-known", "approved", "tok_ops");
      await old("a-gone", "denied", "tok_gone");
      await old("a-pending", "pending", null);
      await a.migrate();
      const known = await a.getApproval("a-known");
      assert.deepEqual(known?.resolved_by, { principal_id: "tok_ops", label: "ops desk" });
      assert.equal(known?.requested_by, null);
      assert.deepEqual((await a.getApproval("a-gone"))?.resolved_by, {
        principal_id: "tok_gone",
        label: "",
      });
      const pending = await a.getApproval("a-pending");
      assert.equal(pending?.requested_by, null);
      assert.equal(pending?.resolved_by, null);
      const r = await a.resolveApproval("a-pending", {
        status: "denied",
        by: { principal_id: "tok_ops", label: "ops desk" },
        at: "2026-01-01T00:02:00.000Z",
        note: "no",
      });
      assert.deepEqual(r?.resolved_by, { principal_id: "tok_ops", label: "ops desk" });
    } finally {
      await raw.end();
      await a.close();
    }
  },
});

Deno.test({
  name:
    "postgres store: telemetry of one tenant comes from an index, a stored lone surrogate fails no page, older rows are backfilled",
  ignore,
  async fn() {
    const pg = await sharedPostgres();
    const s = `tel_${Date.now().toString(36)}`;
    const store = await openPostgresStore(pg.url, { schema: s, max: 2 });
    const sql = postgres(pg.url, { onnotice: () => {}, max: 1 });
    try {
      const row = (k: number, tenant: string, extra?: Record<string, unknown>) =>
        tenantEvent(`e-${k}`, `d-${k}`, tenant, extra);
      await store.appendTelemetry([...Array(2000).keys()].map((k) => row(k, "busy")));
      // A hostile event (a lone surrogate, stored as its escape) and a batch the server unpacks.
      await store.appendTelemetry([row(5000, "rare", { note: "lone \ud800 surrogate" })]);
      await appendTenantBatch(store, "e-b", "rare");
      const rare = () => tenantPageIds(store, "rare");
      assert.deepEqual(await rare(), ["e-5000", "e-b"]);
      assert.equal((await store.pageTelemetry({ tenant_id: "busy", limit: 5 })).rows.length, 5);

      await sql.unsafe(`analyze "${s}".telemetry`);
      const plan = (await sql.unsafe(
        `explain select * from "${s}".telemetry where true and tenant_json = $1
          order by ord desc limit 101`,
        [JSON.stringify("rare")],
      )).map((r) => Object.values(r)[0]).join("\n");
      assert.match(plan, /Index Scan Backward using telemetry_tenant/);

      // A database from before migration 11: rows without the column get it from their events
      // (one with a paired surrogate escape too); the row the server cannot read matches none.
      await sql.unsafe(`drop index "${s}".telemetry_tenant;
        alter table "${s}".telemetry drop column tenant_json;
        delete from "${s}".wcp_migrations where version = 11;
        insert into "${s}".telemetry (event_id, decision_id, correlation_id, timestamp, event)
        values ('e-old', 'd-old', 'c-old', 't', '{"event_id":"e-old","tenant_id":"old"}'),
          ('e-emoji', 'd-emoji', 'c-emoji', 't',
            '{"event_id":"e-emoji","tenant_id":"old","n":"\\ud83d\\ude00"}'),
          ('e-bad', 'd-bad', 'c-bad', 't', '{"event_id":"e-bad","tenant_id":"old","n":"\\ud800"}')`);
      await store.migrate();
      assert.deepEqual(await tenantPageIds(store, "old"), ["e-old", "e-emoji"]);
      // The hostile row lost its column with the rest and the server cannot read its event again:
      // it now matches no tenant (before the index, it failed every tenant's page).
      assert.deepEqual(await rare(), ["e-b"]);
      const all = (await store.pageTelemetry({ limit: 3 })).rows.map((e) => e.event_id);
      assert.deepEqual(all, ["e-old", "e-emoji", "e-bad"], "unfiltered pages still list it");
    } finally {
      await sql.end();
      await store.close();
    }
  },
});
