/**
 * Several real hall processes (`deno run src/hall/main.ts`) on one PostgreSQL database:
 * concurrent dispatches from two instances keep every tenant's receipt chain linear (no fork, no
 * gap, verified by the receipts chain verifier), and a hall killed with SIGKILL in the middle of a
 * burst loses no acknowledged receipt and leaves a chain that verifies and keeps growing.
 */
import assert from "node:assert/strict";
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import { verifyReceiptChain } from "../../src/receipts/mod.ts";
import type { TrustedKey } from "../../src/attestation/ed25519.ts";
import { type HallProcess, startHall } from "../../scripts/load/hall_process.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";

const ignore = skipPostgresTests();
const TENANTS = ["acme", "globex", "initech"];

interface Ack {
  instance: string;
  tenant_id: string;
  receipt_id: string;
  receipt_hash: string;
}

function dispatchBody(tenant: string): string {
  return JSON.stringify({
    correlation_id: crypto.randomUUID(),
    tenant_id: tenant,
    env: "dev",
    data_label: "INTERNAL",
    tenant_risk: "low",
    qos_class: "P2",
    capability_id: "cap.doc.summarize",
    request: { text: "Several halls share one chain. Each link counts." },
  });
}

/**
 * Sends `count` dispatches to `hall`, at most `concurrency` at a time. Records every 2xx receipt
 * in `acks`; a request that fails (the hall died) counts in the returned `failed`.
 */
async function burst(
  hall: HallProcess,
  name: string,
  count: number,
  concurrency: number,
  acks: Ack[],
  onAck?: () => void,
): Promise<{ ok: number; failed: number; other: string[] }> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  const other: string[] = [];
  const worker = async () => {
    while (next < count) {
      const tenant = TENANTS[next++ % TENANTS.length];
      let res: Response;
      try {
        res = await fetch(`${hall.url}/wcp/dispatch`, {
          method: "POST",
          headers: { authorization: `Bearer ${hall.token}`, "content-type": "application/json" },
          body: dispatchBody(tenant),
        });
      } catch {
        failed++;
        continue;
      }
      let body: { receipt?: { receipt_id: string; receipt_hash: string; tenant_id: string } };
      try {
        body = await res.json();
      } catch {
        failed++; // the connection died mid-response: not acknowledged
        continue;
      }
      if (res.status === 200 && body.receipt) {
        ok++;
        acks.push({
          instance: name,
          tenant_id: body.receipt.tenant_id,
          receipt_id: body.receipt.receipt_id,
          receipt_hash: body.receipt.receipt_hash,
        });
        onAck?.();
      } else {
        other.push(`${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, failed, other };
}

async function receiptKeys(hall: HallProcess): Promise<TrustedKey[]> {
  const res = await fetch(`${hall.url}/wcp/receipts/key`, {
    headers: { authorization: `Bearer ${hall.token}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()).keys;
}

/**
 * Reads every tenant chain straight from the database (not through a hall) and checks it with the
 * receipts verifier: linear, signed, and containing every acknowledged receipt.
 */
async function assertChains(url: string, keys: TrustedKey[], acks: Ack[]): Promise<number> {
  const store = await openPostgresStore(url, { max: 2 });
  let total = 0;
  try {
    for (const tenant of TENANTS) {
      const chain = await store.tenantChain(tenant);
      assert.deepEqual(chain.map((r) => r.seq), chain.map((_, i) => i), `${tenant}: no gap`);
      const report = await verifyReceiptChain(chain.map((r) => r.receipt), { keys });
      assert.equal(report.ok, true, `${tenant}: ${JSON.stringify(report.breaks.slice(0, 3))}`);
      assert.equal(report.count, chain.length);
      const inChain = new Map(chain.map((r) => [r.receipt_id, r.receipt_hash]));
      const mine = acks.filter((a) => a.tenant_id === tenant);
      for (const a of mine) {
        assert.equal(inChain.get(a.receipt_id), a.receipt_hash, `${tenant}: acked ${a.receipt_id}`);
      }
      total += chain.length;
    }
  } finally {
    await store.close();
  }
  return total;
}

async function freshDatabase(name: string): Promise<string> {
  const pg = await sharedPostgres();
  return await pg.createDatabase(`${name}_${Date.now().toString(36)}`);
}

Deno.test({
  name: "postgres: two hall processes under concurrent dispatch keep every tenant chain linear",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const url = await freshDatabase("two_halls");
    // Sequential start: the first one bootstraps the database (token, demo workers, signing key).
    const a = await startHall({ databaseUrl: url });
    const b = await startHall({ databaseUrl: url }).catch(async (e) => {
      await a.stop();
      throw e;
    });
    try {
      const [keysA, keysB] = [await receiptKeys(a), await receiptKeys(b)];
      assert.deepEqual(keysA, keysB, "both instances sign with the one key kept in the database");

      const acks: Ack[] = [];
      const [ra, rb] = await Promise.all([
        burst(a, "a", 150, 12, acks),
        burst(b, "b", 150, 12, acks),
      ]);
      assert.deepEqual([ra.ok, ra.failed, ra.other], [150, 0, []]);
      assert.deepEqual([rb.ok, rb.failed, rb.other], [150, 0, []]);

      const total = await assertChains(url, keysA, acks);
      assert.equal(total, 300, "one receipt per dispatch, none lost, none doubled");
      for (const tenant of TENANTS) {
        const by = new Set(acks.filter((x) => x.tenant_id === tenant).map((x) => x.instance));
        assert.deepEqual([...by].sort(), ["a", "b"], `${tenant}: both instances appended`);
      }
      // Each hall's own verifier agrees.
      for (const h of [a, b]) {
        const res = await fetch(`${h.url}/wcp/receipts/verify`, {
          headers: { authorization: `Bearer ${h.token}` },
        });
        const report = await res.json();
        assert.equal(report.ok, true);
        assert.equal(report.tenants.length, TENANTS.length);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  },
});

Deno.test({
  name: "postgres: a hall killed with SIGKILL mid-burst loses no acknowledged receipt",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const url = await freshDatabase("kill_hall");
    const a = await startHall({ databaseUrl: url });
    const b = await startHall({ databaseUrl: url }).catch(async (e) => {
      await a.stop();
      throw e;
    });
    let a2: HallProcess | null = null;
    try {
      const keys = await receiptKeys(a);
      const acks: Ack[] = [];
      let killed: Promise<void> | null = null;
      let ackedA = 0;
      const [ra, rb] = await Promise.all([
        burst(a, "a", 400, 16, acks, () => {
          // Kill while 16 requests are in flight, some of them inside the receipt transaction.
          if (++ackedA === 60) killed = a.kill();
        }),
        burst(b, "b", 200, 8, acks),
      ]);
      await killed;
      assert.ok(killed, "the kill happened");
      assert.ok(ra.ok >= 60 && ra.ok < 400, `a acked ${ra.ok} before dying`);
      assert.ok(ra.failed > 0, "requests in flight at the kill were not acknowledged");
      // The dead instance's open transaction (and its chain-head lock) died with its connection.
      assert.deepEqual([rb.ok, rb.failed, rb.other], [200, 0, []]);

      const afterKill = await assertChains(url, keys, acks);
      assert.ok(afterKill >= ra.ok + rb.ok, "every acknowledged receipt is in a chain");

      // A restarted instance continues the same chains.
      a2 = await startHall({ databaseUrl: url });
      const r2 = await burst(a2, "a2", 30, 6, acks);
      assert.deepEqual([r2.ok, r2.failed], [30, 0]);
      const final = await assertChains(url, keys, acks);
      assert.equal(final, afterKill + 30);
    } finally {
      await Promise.all([a.stop(), b.stop(), a2?.stop()]);
    }
  },
});

async function call(
  hall: HallProcess,
  method: string,
  path: string,
  body?: unknown,
  token: string = hall.token,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${hall.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

function routeInput(capability: string, tenant = "acme"): Record<string, unknown> {
  return { ...JSON.parse(dispatchBody(tenant)), capability_id: capability };
}

Deno.test({
  name:
    "postgres: instances share approvals (held on one, approved on another, run once) and revocations",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const url = await freshDatabase("shared_state");
    const a = await startHall({ databaseUrl: url });
    const b = await startHall({ databaseUrl: url }).catch(async (e) => {
      await a.stop();
      throw e;
    });
    try {
      // The example policy gate holds cap.msg.notify for a human.
      const held = await call(a, "POST", "/wcp/dispatch", routeInput("cap.msg.notify"));
      assert.equal(held.status, 202, JSON.stringify(held.body));
      const approvalId = held.body.approval_id as string;
      assert.ok(approvalId);

      const pending = await call(b, "GET", "/wcp/approvals/pending");
      const ids = (pending.body.approvals as { approval_id: string }[]).map((x) => x.approval_id);
      assert.ok(ids.includes(approvalId), "the other instance sees the held request");
      const early = await call(b, "POST", "/wcp/dispatch", { approval_id: approvalId });
      assert.equal(early.status, 409, "not approved yet");

      // Another admin approves (the token that raised the hold cannot: decision 19).
      const approver = await call(b, "POST", "/wcp/tokens", { role: "admin", label: "approver" });
      const resolved = await call(b, "POST", `/wcp/approvals/${approvalId}/resolve`, {
        decision: "approve",
      }, approver.body.token as string);
      assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
      const again = await call(a, "POST", `/wcp/approvals/${approvalId}/resolve`, {
        decision: "deny",
      }, approver.body.token as string);
      assert.equal(again.status, 409, "a resolved approval cannot be resolved again elsewhere");

      // Six racing dispatches of the approved request on both instances: exactly one runs.
      const runs = await Promise.all(
        [a, b, a, b, a, b].map((h) =>
          call(h, "POST", "/wcp/dispatch", { approval_id: approvalId })
        ),
      );
      const ok = runs.filter((r) => r.status === 200);
      assert.equal(ok.length, 1, JSON.stringify(runs.map((r) => r.status)));
      for (const r of runs.filter((x) => x.status !== 200)) {
        assert.equal(r.status, 409);
        assert.equal((r.body.error as { code: string }).code, "APPROVAL_CONSUMED");
      }
      const receipt = ok[0].body.receipt as { correlation_id: string; approval_id: string };
      assert.equal(receipt.approval_id, approvalId);
      const byCorr = await call(
        b,
        "GET",
        `/wcp/receipts?correlation_id=${encodeURIComponent(receipt.correlation_id)}`,
      );
      assert.equal(byCorr.body.count, 1, "one receipt for the approved request");

      // A revocation through A is enforced by B after its registry sync (every second).
      assert.equal(
        (await call(b, "POST", "/wcp/dispatch", routeInput("cap.doc.summarize"))).status,
        200,
      );
      const revoked = await call(a, "POST", "/wcp/workers/org.demo.summarizer.1/revoke");
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      assert.equal(
        (await call(a, "POST", "/wcp/dispatch", routeInput("cap.doc.summarize"))).status,
        403,
      );
      let status = 0;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        status = (await call(b, "POST", "/wcp/dispatch", routeInput("cap.doc.summarize"))).status;
        if (status === 403) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(status, 403, "instance B stopped dispatching to the revoked worker");
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  },
});

Deno.test({
  name: "postgres: one hall with --threads 2 dispatches from both threads into linear chains",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const url = await freshDatabase("threads");
    const hall = await startHall({ databaseUrl: url, threads: 2 });
    try {
      // A fresh connection per request, so the kernel spreads them over both threads.
      const send = async (path: string, init: RequestInit = {}): Promise<Response> => {
        const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
        try {
          const res = await fetch(`${hall.url}${path}`, { ...init, client });
          await res.clone().arrayBuffer();
          return res;
        } finally {
          client.close();
        }
      };
      const threads = new Set<number>();
      const acks: Ack[] = [];
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < 60) {
          const tenant = TENANTS[next++ % TENANTS.length];
          const res = await send("/wcp/dispatch", {
            method: "POST",
            headers: { authorization: `Bearer ${hall.token}`, "content-type": "application/json" },
            body: dispatchBody(tenant),
          });
          assert.equal(res.status, 200);
          const { receipt } = await res.json();
          assert.equal(receipt.tenant_id, tenant);
          assert.match(receipt.receipt_hash, /^sha256:[0-9a-f]{64}$/);
          acks.push({
            instance: "threads",
            tenant_id: tenant,
            receipt_id: receipt.receipt_id,
            receipt_hash: receipt.receipt_hash,
          });
          threads.add((await (await send("/wcp/health")).json()).threads.index);
        }
      }));
      assert.deepEqual([...threads].sort(), [0, 1], "both threads answered");
      const total = await assertChains(url, await receiptKeys(hall), acks);
      assert.equal(total, 60, "one receipt per dispatch, none lost, none doubled");
    } finally {
      await hall.stop();
    }
  },
});

Deno.test({
  name: "postgres: instances tell each other at once (token revocations, rate spending, approvals)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const url = await freshDatabase("peers");
    const a = await startHall({ databaseUrl: url });
    const b = await startHall({ databaseUrl: url }).catch(async (e) => {
      await a.stop();
      throw e;
    });
    const as = (h: HallProcess, token: string) =>
      fetch(`${h.url}/wcp/workers`, { headers: { authorization: `Bearer ${token}` } })
        .then(async (r) => (await r.body?.cancel(), r.status));
    try {
      // A namespace token B has verified (so B's cache holds it for 5 s) is revoked through A:
      // B refuses it well before its cache would have expired.
      const grant = await call(a, "POST", "/wcp/namespaces", {
        namespace: "org.peer",
        tier: "team",
        owner: "peer",
      });
      assert.equal(grant.status, 201, JSON.stringify(grant.body));
      const token = grant.body.token as string;
      assert.equal(await as(b, token), 200);
      const revoked = await call(a, "POST", `/wcp/tokens/${grant.body.token_id}/revoke`);
      assert.equal(revoked.status, 200);
      const t0 = Date.now();
      let status = 200;
      while (Date.now() - t0 < 6_000 && status !== 401) {
        await new Promise((r) => setTimeout(r, 50));
        status = await as(b, token);
      }
      assert.equal(status, 401);
      assert.ok(Date.now() - t0 < 2_000, `B refused it after ${Date.now() - t0} ms, not at once`);

      // A token's rate budget is one across the instances: 10/min, 6 spent on A, 4 left on B.
      assert.equal(
        (await call(a, "PUT", "/wcp/tiers/tiny", { max_workers: 1, requests_per_minute: 10 }))
          .status,
        200,
      );
      const tiny = await call(a, "POST", "/wcp/namespaces", {
        namespace: "org.tiny",
        tier: "tiny",
        owner: "tiny",
      });
      assert.equal(tiny.status, 201, JSON.stringify(tiny.body));
      const t = tiny.body.token as string;
      const onA = [];
      for (let i = 0; i < 6; i++) onA.push(await as(a, t));
      assert.deepEqual(onA, [200, 200, 200, 200, 200, 200]);
      await new Promise((r) => setTimeout(r, 600)); // A reports its spending every 100 ms
      const onB = [];
      for (let i = 0; i < 6; i++) onB.push(await as(b, t));
      assert.deepEqual(onB, [200, 200, 200, 200, 429, 429]);

      // A's live stream shows a request held on B (approvals and alerts cross instances; the
      // dashboard on any instance refreshes its queue on them), once.
      const ac = new AbortController();
      const stream = await fetch(`${a.url}/wcp/events?events=approval,ban`, {
        headers: { authorization: `Bearer ${a.token}` },
        signal: ac.signal,
      });
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      // What arrives within `ms` ("" if nothing): a read that outlives its wait is kept for the
      // next call, so no chunk is dropped.
      let pending: Promise<ReadableStreamReadResult<string>> | null = null;
      const readWithin = async (ms: number): Promise<string> => {
        pending ??= reader.read();
        const r = await Promise.race([
          pending,
          new Promise<null>((resolve) => setTimeout(() => resolve(null), ms)),
        ]);
        if (r === null) return "";
        pending = null;
        return r.value ?? "";
      };
      let text = "";
      while (!text.includes("event: ready")) text += (await reader.read()).value ?? "";
      const held = await call(b, "POST", "/wcp/dispatch", routeInput("cap.msg.notify"));
      assert.equal(held.status, 202, JSON.stringify(held.body));
      const id = held.body.approval_id as string;
      const until = Date.now() + 5_000;
      while (!text.includes(id) && Date.now() < until) {
        text += await readWithin(500);
      }
      await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive by now
      text += await readWithin(200);
      assert.equal(text.split(id).length - 1, 1, `one approval event on A for ${id}:\n${text}`);
      assert.match(text, /"change":"created"/);

      // A ban confirmed on B is a `ban` event on A's stream as well.
      const sha = "sha256:" + "3c".repeat(32);
      const reported = await call(b, "POST", "/wcp/ban-list/report", { sha256: sha, reason: "x" });
      assert.equal(reported.status, 201);
      assert.equal((await call(b, "POST", `/wcp/ban-list/${sha}/confirm`, {})).status, 200);
      let bans = "";
      const banUntil = Date.now() + 5_000;
      while (!bans.includes('"change":"confirmed"') && Date.now() < banUntil) {
        bans += await readWithin(500);
      }
      ac.abort();
      assert.match(bans, /event: ban\n/);
      assert.match(bans, new RegExp(`"sha256":"${sha}"`));
      assert.match(bans, /"change":"reported"[^]*"change":"confirmed"/);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  },
});
