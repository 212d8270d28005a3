/**
 * The keyset pages every `HallStore` backend must serve (`HallStorePages`, issue 14 item 2):
 * paging a list covers every row that was there exactly once, in the list's order, even with
 * rows inserted between pages; ties of the first order column are broken by the id; filters
 * (status, namespace, capability, a namespace token's visibility, tenant) hold on every page;
 * limits are capped. Call `runPageContract(name, makeStore)` with an EMPTY store factory.
 *
 * @module
 */

import assert from "node:assert/strict";
import { sha256Hex } from "../../src/encoding/hash.ts";
import type {
  AlertRow,
  ApprovalRow,
  BanRow,
  BuiltReceipt,
  ChainLink,
  HallStore,
  KeyedPage,
  PageKey,
  StoreFactory,
  TelemetryPageQuery,
  TelemetryRow,
  WorkerRow,
} from "../../src/hall/store/types.ts";

const BASE = Date.parse("2026-12-01T20:00:00.000Z");
// Many rows share a time (ties are broken by the id), and ids are not in time order.
const at = (i: number) => new Date(BASE + Math.floor(i / 3) * 1000).toISOString();
const id = (i: number) => `${(i * 7919) % 1000}`.padStart(3, "0") + `-${i}`;

function worker(wid: string, ns: string, when: string, extra: Record<string, unknown> = {}) {
  const row: WorkerRow = {
    worker_id: wid,
    namespace: ns,
    record: {
      worker_id: wid,
      worker_species_id: "wrk.doc.summarizer",
      capabilities: ["cap.doc.x"],
      ...extra,
    } as WorkerRow["record"],
    status: "active",
    current_hash: null,
    attestation: null,
    flagged: false,
    enrolled_by: "tok-admin",
    enrolled_at: when,
    updated_at: when,
  };
  return row;
}

function approval(aid: string, when: string, status: ApprovalRow["status"] = "pending") {
  const row: ApprovalRow = {
    approval_id: aid,
    decision_id: `d-${aid}`,
    tenant_id: "acme",
    correlation_id: `c-${aid}`,
    capability_id: "cap.doc.x",
    supervisor_level: "gatekeeper",
    status,
    input: { capability_id: "cap.doc.x", big: "x".repeat(200) },
    decision: { decision_id: `d-${aid}`, outcome: "STEWARD_HOLD" },
    created_at: when,
    expires_at: new Date(Date.parse(when) + 3_600_000_000).toISOString(),
    requested_by: { principal_id: "tok-agent", label: "agent" },
    resolved_at: null,
    resolved_by: null,
    note: null,
    escalations: 0,
    consumed_at: null,
  };
  return row;
}

function ban(i: number, when: string): BanRow {
  return {
    sha256: sha256Hex(`ban-${i}`),
    reason: "malware",
    source: "test",
    evidence_url: null,
    reported_at: when,
    status: "reported",
    confirmed_at: null,
    confirmed_by: null,
  };
}

function alertRow(aid: string, when: string): AlertRow {
  return {
    alert_id: aid,
    kind: "other",
    severity: 3,
    message: `alert ${aid}`,
    subject: aid,
    details: {},
    created_at: when,
    acknowledged_at: null,
    acknowledged_by: null,
  };
}

function receiptBuilder(tag: string): (link: ChainLink) => BuiltReceipt {
  return (link) => {
    const body = {
      receipt_id: crypto.randomUUID(),
      tenant_id: link.tenant_id,
      seq: link.seq,
      prev_receipt_hash: link.prev_receipt_hash,
      correlation_id: `corr-${tag}`,
      decision_id: null,
      dispatched_at: new Date(BASE + link.seq * 1000).toISOString(),
    };
    return { ...body, receipt_hash: "sha256:" + sha256Hex(JSON.stringify(body)) };
  };
}

/**
 * Page through a list with `limit`, calling `between(pageNumber)` after each page (to insert rows
 * between pages); returns every row seen and the number of pages.
 */
async function collect<T>(
  page: (after: PageKey | null, limit: number) => Promise<KeyedPage<T>>,
  limit: number,
  between: (n: number) => Promise<void> = () => Promise.resolve(),
): Promise<{ rows: T[]; pages: number }> {
  const rows: T[] = [];
  let after: PageKey | null = null;
  let pages = 0;
  for (;;) {
    const p = await page(after, limit);
    pages++;
    assert.ok(p.rows.length <= limit, `a page holds at most ${limit} rows`);
    rows.push(...p.rows);
    if (p.next === null) break;
    assert.ok(p.rows.length > 0, "a page with a next key is not empty");
    after = p.next;
    await between(pages);
    assert.ok(pages < 10_000, "paging ends");
  }
  return { rows, pages };
}

function cmp(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

/** Every id of `before` appears exactly once in `seen`, and `seen` has no duplicate. */
function coversOnce(seen: string[], before: string[]): void {
  assert.equal(new Set(seen).size, seen.length, "no row is listed twice");
  const s = new Set(seen);
  for (const x of before) assert.ok(s.has(x), `row ${x} is listed`);
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

/** Register the page contract tests for one backend. */
export function runPageContract(name: string, make: StoreFactory): void {
  const t = (title: string, fn: (s: HallStore) => Promise<void>): void => {
    Deno.test({
      name: `store pages [${name}]: ${title}`,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: () => withStore(make, fn),
    });
  };

  t(
    "workers: every row once, in (enrolled_at, worker_id) order, inserts between pages",
    async (s) => {
      const N = 40;
      for (let i = 0; i < N; i++) await s.putWorker(worker(`org.acme.${id(i)}`, "org.acme", at(i)));
      const before = (await s.listWorkers()).map((w) => w.worker_id);
      let added = 0;
      const { rows, pages } = await collect(
        (after, limit) => s.pageWorkers({ after, limit }),
        7,
        async () => {
          // One row sorting before every key seen, one tied with the page's time, one at the end.
          await s.putWorker(worker(`org.acme.early-${added}`, "org.acme", at(0)));
          await s.putWorker(worker(`org.acme.zz-${added}`, "org.acme", at(3 * added)));
          await s.putWorker(worker(`org.acme.late-${added}`, "org.acme", at(1000 + added)));
          added++;
        },
      );
      assert.ok(pages >= 6);
      const ids = rows.map((w) => w.worker_id);
      coversOnce(ids, before);
      const keys = rows.map((w) => [w.enrolled_at, w.worker_id]);
      for (let i = 1; i < keys.length; i++) assert.ok(cmp(keys[i - 1], keys[i]) < 0, "ascending");
      // Rows added after the last key seen are listed (the end of the list is live).
      assert.ok(ids.includes(`org.acme.late-0`));
      // A full row, as getWorker answers it.
      assert.deepEqual(rows[0], await s.getWorker(rows[0].worker_id));
    },
  );

  t("workers: limit is capped at 1000, defaults to 100, last page has no next key", async (s) => {
    for (let i = 0; i < 120; i++) await s.putWorker(worker(`x.bob.${id(i)}`, "x.bob", at(i)));
    const first = await s.pageWorkers({});
    assert.equal(first.rows.length, 100);
    assert.notEqual(first.next, null);
    const big = await s.pageWorkers({ limit: 5000 });
    assert.equal(big.rows.length, 120);
    assert.equal(big.next, null);
    const exact = await s.pageWorkers({ limit: 120 });
    assert.equal(exact.next, null, "no next key when the page ends with the last row");
    const after = await s.pageWorkers({ after: ["9999-01-01T00:00:00.000Z", "z"] });
    assert.deepEqual(after, { rows: [], next: null });
  });

  t("workers: namespace, capability and a namespace token's visibility", async (s) => {
    await s.putWorker(worker("org.acme.own", "org.acme", at(0), { tenants: ["org.acme"] }));
    await s.putWorker(worker("org.acme.revoked", "org.acme", at(3)));
    await s.revokeWorker("org.acme.revoked", at(6));
    await s.putWorker(worker("x.bob.all", "x.bob", at(9)));
    await s.putWorker(worker("x.bob.star", "x.bob", at(12), { tenants: ["*"] }));
    await s.putWorker(worker("x.bob.acme", "x.bob", at(15), { tenants: ["org.beta", "org.acme"] }));
    await s.putWorker(worker("x.bob.beta", "x.bob", at(18), { tenants: ["org.beta"] }));
    await s.putWorker(worker("x.bob.gone", "x.bob", at(21)));
    await s.revokeWorker("x.bob.gone", at(24));
    await s.putWorker(
      worker("x.bob.trans", "x.bob", at(27), { capabilities: ["cap.doc.translate"] }),
    );
    const ids = async (q: Parameters<HallStore["pageWorkers"]>[0]) =>
      (await collect((after, limit) => s.pageWorkers({ ...q, after, limit }), 2)).rows
        .map((w) => w.worker_id);
    assert.deepEqual(await ids({ visible_to: "org.acme" }), [
      "org.acme.own",
      "org.acme.revoked",
      "x.bob.all",
      "x.bob.star",
      "x.bob.acme",
      "x.bob.trans",
    ]);
    assert.deepEqual(await ids({ visible_to: "org.beta" }), [
      "x.bob.all",
      "x.bob.star",
      "x.bob.acme",
      "x.bob.beta",
      "x.bob.trans",
    ]);
    assert.deepEqual(await ids({ namespace: "org.acme" }), ["org.acme.own", "org.acme.revoked"]);
    assert.deepEqual(await ids({ capability: "cap.doc.translate" }), ["x.bob.trans"]);
    assert.deepEqual(await ids({ capability: "cap.doc.x", visible_to: "org.beta" }), [
      "x.bob.all",
      "x.bob.star",
      "x.bob.acme",
      "x.bob.beta",
    ]);
  });

  t(
    "workers of one capability: every row once, in order, as re-enrolments change it",
    async (s) => {
      // 60 workers over three capabilities (each declaring one or two), many at one time.
      const caps = (i: number) =>
        i % 3 === 0 ? ["cap.doc.x", "cap.doc.rare"] : i % 3 === 1 ? ["cap.doc.x"] : ["cap.doc.y"];
      const N = 60;
      for (let i = 0; i < N; i++) {
        await s.putWorker(
          worker(`org.acme.${id(i)}`, i % 2 ? "org.acme" : "org.beta", at(i), {
            capabilities: caps(i),
          }),
        );
      }
      const page = (capability: string, more: Record<string, unknown> = {}) =>
        collect((after, limit) => s.pageWorkers({ capability, ...more, after, limit }), 4);
      const want = async (capability: string, namespace?: string) =>
        (await s.listWorkers(namespace === undefined ? {} : { namespace })).filter((w) =>
          (w.record.capabilities as string[]).includes(capability)
        ).map((w) => w.worker_id);
      for (const cap of ["cap.doc.x", "cap.doc.rare", "cap.doc.y", "cap.doc.none"]) {
        const { rows } = await page(cap);
        assert.deepEqual(rows.map((w) => w.worker_id), await want(cap), cap);
        const ns = (await page(cap, { namespace: "org.acme" })).rows.map((w) => w.worker_id);
        assert.deepEqual(ns, await want(cap, "org.acme"), `${cap} in org.acme`);
      }
      // A page's rows are the whole rows.
      const [first] = (await page("cap.doc.rare")).rows;
      assert.deepEqual(first, await s.getWorker(first.worker_id));
      // Re-enrolled with other capabilities (and a later time), revoked, enrolled between pages.
      const moved = `org.acme.${id(0)}`;
      await s.putWorker(worker(moved, "org.beta", at(500), { capabilities: ["cap.doc.y"] }));
      const revoked = `org.acme.${id(3)}`;
      await s.revokeWorker(revoked, at(501));
      let added = 0;
      const { rows } = await collect(
        (after, limit) => s.pageWorkers({ capability: "cap.doc.rare", after, limit }),
        3,
        async () => {
          await s.putWorker(
            worker(`org.acme.new-${added++}`, "org.acme", at(600), {
              capabilities: ["cap.doc.rare"],
            }),
          );
        },
      );
      const ids = rows.map((w) => w.worker_id);
      assert.ok(!ids.includes(moved), "a worker that no longer declares it is not listed");
      assert.ok(
        ids.includes(revoked),
        "a revoked worker still declares it (the list shows status)",
      );
      assert.equal(rows.find((w) => w.worker_id === revoked)?.status, "revoked");
      coversOnce(ids, (await want("cap.doc.rare")).filter((x) => !x.startsWith("org.acme.new-")));
      const keys = rows.map((w) => [w.enrolled_at, w.worker_id]);
      for (let i = 1; i < keys.length; i++) assert.ok(cmp(keys[i - 1], keys[i]) < 0, "ascending");
      assert.ok(ids.includes("org.acme.new-0"), "a worker enrolled between pages is listed");
      const y = (await page("cap.doc.y")).rows.map((w) => w.worker_id);
      assert.deepEqual(y, await want("cap.doc.y"));
      assert.equal(y.at(-1), moved, "listed under its new capability, at its new time");
    },
  );

  t("approvals: summaries by default, whole rows when full, status filter", async (s) => {
    for (let i = 0; i < 15; i++) await s.createApproval(approval(`ap-${id(i)}`, at(i)));
    await s.resolveApproval(`ap-${id(4)}`, {
      status: "denied",
      by: { principal_id: "op", label: "ops" },
      at: at(30),
      note: null,
    });
    const all = await collect((after, limit) => s.pageApprovals({ after, limit }), 4);
    assert.equal(all.rows.length, 15);
    for (const r of all.rows) {
      assert.equal("input" in r, false, "a summary has no input");
      assert.equal("decision" in r, false, "a summary has no decision");
    }
    const keys = all.rows.map((a) => [a.created_at, a.approval_id]);
    for (let i = 1; i < keys.length; i++) assert.ok(cmp(keys[i - 1], keys[i]) < 0);
    const { input: _i, decision: _d, ...summary } = (await s.getApproval(all.rows[0].approval_id))!;
    assert.deepEqual(all.rows[0], summary);
    const full = await s.pageApprovals({ full: true, limit: 3 });
    assert.deepEqual(full.rows[0], await s.getApproval(full.rows[0].approval_id));
    const pending = await collect(
      (after, limit) => s.pageApprovals({ status: "pending", after, limit }),
      4,
      async (n) => await s.createApproval(approval(`ap-new-${n}`, at(100 + n))),
    );
    const pids = pending.rows.map((a) => a.approval_id);
    coversOnce(pids, all.rows.map((a) => a.approval_id).filter((x) => x !== `ap-${id(4)}`));
    assert.ok(!pids.includes(`ap-${id(4)}`), "a denied approval is not pending");
    assert.ok(pending.rows.every((a) => a.status === "pending"));
  });

  t("bans, tokens, namespaces: every row once, in order", async (s) => {
    for (let i = 0; i < 11; i++) await s.reportBan(ban(i, at(i)));
    await s.confirmBan(ban(2, at(2)).sha256, "op", at(40));
    const bans = await collect((after, limit) => s.pageBans({ after, limit }), 3);
    assert.deepEqual(
      bans.rows.map((b) => b.sha256),
      (await s.listBans()).map((b) => [b.reported_at, b.sha256]).sort(cmp).map((k) => k[1]),
    );
    const keys = bans.rows.map((b) => [b.reported_at, b.sha256]);
    for (let i = 1; i < keys.length; i++) assert.ok(cmp(keys[i - 1], keys[i]) < 0);
    const confirmed = await s.pageBans({ status: "confirmed" });
    assert.deepEqual(confirmed.rows.map((b) => b.sha256), [ban(2, at(2)).sha256]);

    for (let i = 0; i < 9; i++) {
      await s.createToken({
        token_id: `tok_${id(i)}`,
        token_hash: sha256Hex(`t${i}`),
        role: "namespace",
        namespace: "org.acme",
        label: `t${i}`,
        created_at: at(i),
        revoked_at: null,
      });
    }
    const tokens = await collect((after, limit) => s.pageTokens({ after, limit }), 2);
    assert.deepEqual(
      tokens.rows.map((x) => x.token_id),
      [...Array(9).keys()].map((i) => `tok_${id(i)}`).sort(),
    );

    for (let i = 0; i < 7; i++) {
      await s.putNamespace({
        namespace: `org.n${id(i)}`,
        tier: "free",
        owner: "o",
        created_at: at(i),
      });
    }
    const names = await collect((after, limit) => s.pageNamespaces({ after, limit }), 3);
    assert.deepEqual(
      names.rows.map((n) => n.namespace),
      [...Array(7).keys()].map((i) => `org.n${id(i)}`).sort(),
    );
    const one = await s.pageNamespaces({ namespace: `org.n${id(3)}` });
    assert.deepEqual(one.rows.map((n) => n.namespace), [`org.n${id(3)}`]);
  });

  t("alerts: newest first, open filter, inserts between pages", async (s) => {
    for (let i = 0; i < 13; i++) await s.createAlert(alertRow(`al-${id(i)}`, at(i)));
    await s.acknowledgeAlert(`al-${id(5)}`, "op", at(50));
    const before = (await s.listAlerts({ limit: 1000 })).map((a) => a.alert_id);
    const all = await collect(
      (after, limit) => s.pageAlerts({ after, limit }),
      4,
      async (n) => await s.createAlert(alertRow(`al-new-${n}`, at(200 + n))),
    );
    const ids = all.rows.map((a) => a.alert_id);
    coversOnce(ids, before);
    assert.ok(!ids.some((x) => x.startsWith("al-new-")), "newer alerts come before the cursor");
    const keys = all.rows.map((a) => [a.created_at, a.alert_id]);
    for (let i = 1; i < keys.length; i++) assert.ok(cmp(keys[i - 1], keys[i]) > 0, "descending");
    const open = await collect(
      (after, limit) => s.pageAlerts({ acknowledged: false, after, limit }),
      5,
    );
    assert.ok(open.rows.every((a) => a.acknowledged_at === null));
    assert.ok(!open.rows.some((a) => a.alert_id === `al-${id(5)}`));
    const acked = await s.pageAlerts({ acknowledged: true });
    assert.deepEqual(acked.rows.map((a) => a.alert_id), [`al-${id(5)}`]);
  });

  t(
    "receipts: (tenant_id, seq) order across chains, tenant filter, appends between pages",
    async (s) => {
      for (let i = 0; i < 9; i++) {
        await s.appendReceipt("acme", receiptBuilder(`a${i}`));
        await s.appendReceipt("beta", receiptBuilder(`b${i}`));
      }
      const all = await collect(
        (after, limit) => s.pageReceipts({ after, limit }),
        4,
        async (n) => void await s.appendReceipt("acme", receiptBuilder(`late${n}`)),
      );
      const keys = all.rows.map((r) => [r.tenant_id, r.seq]);
      for (let i = 1; i < keys.length; i++) assert.ok(cmp(keys[i - 1], keys[i]) < 0);
      assert.deepEqual(all.rows.filter((r) => r.tenant_id === "beta").map((r) => r.seq), [
        ...Array(9).keys(),
      ]);
      assert.equal(new Set(all.rows.map((r) => r.receipt_id)).size, all.rows.length);
      const acme = await collect(
        (after, limit) => s.pageReceipts({ tenant_id: "acme", after, limit }),
        5,
      );
      assert.ok(acme.rows.every((r) => r.tenant_id === "acme"));
      assert.deepEqual(acme.rows.map((r) => r.seq), [...Array(acme.rows.length).keys()]);
      const head = await s.chainHead("acme");
      assert.deepEqual(acme.rows[acme.rows.length - 1], head);
      // A key of another chain: before "beta" it starts beta's chain; after it, nothing.
      const beta = await s.pageReceipts({ tenant_id: "beta", after: ["acme", 5], limit: 3 });
      assert.deepEqual(beta.rows.map((r) => r.seq), [0, 1, 2]);
      assert.deepEqual(await s.pageReceipts({ tenant_id: "acme", after: ["beta", 0] }), {
        rows: [],
        next: null,
      });
    },
  );

  t("receipt tenants, checkpoints, tiers: every row once, in order", async (s) => {
    const tenants = [...Array(7).keys()].map((i) => `t${id(i)}`);
    for (const t of tenants) await s.appendReceipt(t, receiptBuilder(t));
    const seen = await collect((after, limit) => s.pageReceiptTenants({ after, limit }), 3);
    assert.deepEqual(seen.rows, [...tenants].sort());
    for (let n = 1; n <= 5; n++) {
      await s.putCheckpoint({
        tenant_id: tenants[0],
        tree_size: n * 10,
        root: "sha256:" + sha256Hex(`root${n}`),
        created_at: at(n),
        proof: { n },
      });
    }
    const cps = await collect((after, limit) => s.pageCheckpoints(tenants[0], { after, limit }), 2);
    assert.deepEqual(cps.rows.map((c) => c.tree_size), [10, 20, 30, 40, 50]);
    assert.deepEqual(cps.rows[4].proof, { n: 5 });
    assert.deepEqual((await s.pageCheckpoints(tenants[1], {})).rows, []);
    for (let i = 0; i < 5; i++) {
      await s.putTier({ tier: `tier-${id(i)}`, max_workers: i, requests_per_minute: 60 });
    }
    const tiers = await collect((after, limit) => s.pageTiers({ after, limit }), 2);
    const names = tiers.rows.map((x) => x.tier);
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, names.length);
    for (let i = 0; i < 5; i++) assert.ok(names.includes(`tier-${id(i)}`));
  });

  t(
    "telemetry: pages go back from the newest, every event once and in order, writes between pages",
    async (s) => {
      // Decisions of 1-4 events (SQLite packs a decision's events into one row: keys fall
      // inside rows), two tenants, and batches as the hall writes them where the store has them.
      let n = 0;
      const all: TelemetryRow[] = [];
      const decide = async (size: number, tenant: string, asBatch = false) => {
        const d = `d-${n}`;
        const rows = [...Array(size).keys()].map((k): TelemetryRow => ({
          event_id: `e-${n}-${k}`,
          decision_id: d,
          correlation_id: `c-${n % 3}`,
          timestamp: at(n),
          event: { event_id: `e-${n}-${k}`, timestamp: at(n), tenant_id: tenant, k },
        }));
        n++;
        if (asBatch && s.appendTelemetryBatches) {
          await s.appendTelemetryBatches([{
            decision_id: d,
            correlation_id: rows[0].correlation_id,
            events_json: JSON.stringify(rows.map((r) => r.event)),
          }]);
        } else await s.appendTelemetry(rows);
        return rows;
      };
      for (let i = 0; i < 12; i++) {
        all.push(...await decide(1 + (i % 4), i % 3 === 0 ? "org.b" : "org.a", i % 5 === 4));
      }
      // Back in time from the newest: each page oldest first, `limit` events (the last fewer).
      const added: TelemetryRow[] = [];
      const back = async (
        q: Omit<TelemetryPageQuery, "before" | "limit">,
        limit: number,
        writeBetween = false,
      ) => {
        const pages: TelemetryRow[][] = [];
        let before: PageKey | null = null;
        for (;;) {
          const p = await s.pageTelemetry({ ...q, before, limit });
          assert.ok(p.rows.length <= limit);
          pages.push(p.rows);
          // Newer events written meanwhile are not in the older pages.
          if (writeBetween && pages.length === 1) added.push(...await decide(2, "org.a"));
          if (p.next === null) break;
          assert.equal(p.rows.length, limit, "a page before the last one is full");
          assert.equal(p.next.length, 2);
          before = p.next;
          assert.ok(pages.length < 1000);
        }
        return pages.reverse().flat().map((e) => e.event_id);
      };
      const ids = (rows: TelemetryRow[]) => rows.map((e) => e.event_id);
      assert.deepEqual(await back({}, 4, true), ids(all), "all events once, in order");
      all.push(...added); // written after the first page: newer than every event paged
      assert.deepEqual(await back({}, 1), ids(all), "one event a page");
      const a = all.filter((e) => e.event.tenant_id === "org.a");
      assert.deepEqual(await back({ tenant_id: "org.a" }, 3), ids(a), "one tenant");
      assert.deepEqual(await back({ tenant_id: "org.none" }, 3), []);
      // Inside one decision (one packed row) a page at a time.
      const d7 = all.filter((e) => e.decision_id === "d-7");
      assert.equal(d7.length, 4);
      assert.deepEqual(await back({ decision_id: "d-7" }, 1), ids(d7));
      const c1 = all.filter((e) => e.correlation_id === "c-1");
      assert.deepEqual(await back({ correlation_id: "c-1" }, 2), ids(c1));
      // The whole event, as listTelemetry gives it; listTelemetry is the first page.
      const first = await s.pageTelemetry({ limit: 5 });
      assert.deepEqual(first.rows, await s.listTelemetry({ limit: 5 }));
      assert.equal(first.rows[4].event_id, (await s.listTelemetry({ limit: 1 }))[0].event_id);
      assert.deepEqual(first.rows.at(-1)?.event, {
        event_id: first.rows.at(-1)?.event_id,
        timestamp: first.rows.at(-1)?.timestamp,
        tenant_id: "org.a",
        k: 1,
      });
    },
  );

  t(
    "telemetry: limit defaults to 100, is capped at 1000; the oldest page has no next key",
    async (s) => {
      for (let i = 0; i < 12; i++) {
        await s.appendTelemetry([...Array(10).keys()].map((k) => ({
          event_id: `e-${i}-${k}`,
          decision_id: `d-${i}`,
          correlation_id: "c",
          timestamp: at(i),
          event: { tenant_id: "org.a" },
        })));
      }
      const first = await s.pageTelemetry({});
      assert.equal(first.rows.length, 100);
      assert.equal(first.rows[0].event_id, "e-2-0");
      assert.notEqual(first.next, null);
      const rest = await s.pageTelemetry({ before: first.next });
      assert.deepEqual(
        rest.rows.map((e) => e.event_id),
        [...Array(20).keys()].map((i) => `e-${Math.floor(i / 10)}-${i % 10}`),
      );
      assert.equal(rest.next, null);
      const big = await s.pageTelemetry({ limit: 5000 });
      assert.equal(big.rows.length, 120);
      assert.equal(big.next, null);
      assert.equal((await s.pageTelemetry({ limit: 120 })).next, null, "the oldest event is in it");
    },
  );
}
