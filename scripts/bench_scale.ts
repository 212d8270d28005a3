/**
 * Scale benchmark (`deno task bench:scale`): the hall's cost table at 100k rows (issue 14), on the
 * embedded SQLite store (a file, FULL sync, as `deno task serve` opens it) and on PostgreSQL (a
 * throwaway server from tests/helpers/postgres.ts, fsync on). Everything runs in this process
 * through the hall's own fetch handler (no network hop), so the figures are the hall's work.
 *
 * Sections are rows of one table; each is a function in `SECTIONS` that seeds what it needs and
 * returns its rows, so later rows (workers, approvals, route and dispatch at scale) are added as
 * new sections. `--sections` picks some.
 *
 * - `receipts`: seed one tenant chain of `--receipts` signed receipts (SQLite: through the
 *   hall's append path; PostgreSQL: copied from the SQLite seed, then `migrate` builds the
 *   Merkle tree as for a chain older than it, timed), then time proof requests, consistency
 *   proofs, a full verification (`GET /wcp/receipts/verify`) and the start of a hall on that
 *   store (its start check), with a checkpoint at the head and 1,000 receipts after one.
 *
 * - `workers`: seed `--workers` (comma-separated sizes, default 1k and 100k) worker rows straight
 *   into the store, beside the demo workers the requests route to: with `--seed routed` (the
 *   default) workers of the species the requests route to (`wrk.doc.summarizer`), each bound to
 *   one of `--tenants` tenants (default 1,000) other than the requests' tenant, so every decision
 *   passes over them (the tenant index); with `--seed other`, 100 species and capabilities the
 *   rules do not name. Then time the start (the registry's one full load), the route rate,
 *   p99 and process CPU per route (`--requests` requests, 32 in flight, in 8 batches that
 *   alternate between the sizes, every size's halls open at once), a route right after each of
 *   `--samples`
 *   enrolments (enrolment-to-next-decision), and on a second hall on the same store (SQLite: a
 *   second thread joined by the thread channel; PostgreSQL: a second instance over NOTIFY) how
 *   long until it routes with the new worker and its route p99 right after (the enrolled workers
 *   are of the routed species, alternately bound to another tenant and serving everyone), and
 *   the candidates listed in a decision.
 *
 * - `pages` (`scripts/_bench_pages.ts`): 100k rows in every paged list, seeded in bulk, then the
 *   time and bytes of a first page, a page deep in the list (cursor at row 50,000), a page of
 *   1,000 and a page of whole rows, through the hall's fetch handler (target <= 20 ms, <= 1 MB).
 *
 * usage: deno task bench:scale [--sections receipts,workers,pages] [--backends sqlite,postgres]
 *          [--receipts 100000] [--workers 1000,100000] [--requests 20000] [--samples 200]
 *          [--seed routed|other] [--tenants 1000]
 *          [--json test-artifacts/scale.json]
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { openSqliteStore } from "../src/hall/store/sqlite/mod.ts";
import { createHallApp, type HallApp } from "../src/hall/app.ts";
import { enrollDemoWorkers, ensureAdminToken, EXAMPLE_RULES } from "../src/hall/bootstrap.ts";
import { type HallPeers, instancePeers, joinPeers, newPeerSeed } from "../src/hall/cluster.ts";
import { recordHashJcs } from "../src/registry/mod.ts";
import { openPostgresStore } from "../src/hall/store/postgres/mod.ts";
import type { HallStore, ReceiptRow } from "../src/hall/store/types.ts";
import { generateSigningKey, type SigningKey } from "../src/attestation/ed25519.ts";
import { startPostgres, type TestPostgres } from "../tests/helpers/postgres.ts";
import postgres from "postgres";
import { pageRows } from "./_bench_pages.ts";

const args = parseArgs({
  options: {
    sections: { type: "string", default: "receipts" },
    backends: { type: "string", default: "sqlite,postgres" },
    receipts: { type: "string", default: "100000" },
    workers: { type: "string", default: "1000,100000" },
    requests: { type: "string", default: "20000" },
    samples: { type: "string", default: "200" },
    seed: { type: "string", default: "routed" },
    tenants: { type: "string", default: "1000" },
    json: { type: "string" },
  },
});

const TOKEN = "wcp_bench-scale-admin-token-0123456789abcdef0123456";
const TENANT = "acme";

/** One line of the cost table. */
interface Row {
  section: string;
  backend: string;
  measure: string;
  value: string;
  target?: string;
}

interface Ctx {
  backends: string[];
  receipts: number;
  workers: number[];
  requests: number;
  samples: number;
  seed: "routed" | "other";
  tenants: number;
  tmp: string;
  pg: () => Promise<TestPostgres>;
  key: SigningKey;
}

const SECTIONS: Record<string, (ctx: Ctx) => Promise<Row[]>> = {
  receipts: receiptRows,
  workers: workerRows,
  pages: (ctx) =>
    pageRows({
      backends: ctx.backends,
      tmp: ctx.tmp,
      token: TOKEN,
      pgUrl: async () => (await ctx.pg()).url,
      rawSql,
      seedWorkers: (backend, n, where) => seedWorkers(backend, ctx, n, where),
      hallOn: (store) => hallOn(store, ctx.key, false),
    }),
};

function ms(x: number): string {
  return x < 10 ? x.toFixed(2) : x.toFixed(0);
}

function rate(n: number, millis: number): string {
  return Math.round(n / millis * 1000).toLocaleString("en-US");
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function hallOn(
  store: HallStore,
  key: SigningKey,
  chainCheck: boolean,
  peers?: HallPeers,
  registrySyncMs = 0,
): Promise<HallApp> {
  await ensureAdminToken(store, Date.now(), TOKEN);
  return await createHallApp({
    store,
    rules: EXAMPLE_RULES,
    signingKey: key,
    chainCheckMs: chainCheck ? 3_600_000 : 0,
    ...(peers ? { peers } : {}),
    registrySyncMs,
  });
}

async function get(app: HallApp, path: string): Promise<{ status: number; body: unknown }> {
  const res = await app.fetch(
    new Request(`http://localhost${path}`, {
      headers: { authorization: `Bearer ${TOKEN}`, host: "localhost" },
    }),
  );
  return { status: res.status, body: await res.json() };
}

async function post(app: HallApp, path: string, json: unknown): Promise<number> {
  const body = JSON.stringify(json);
  const res = await app.fetch(
    new Request(`http://localhost${path}`, {
      method: "POST",
      body,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        host: "localhost",
        "content-type": "application/json",
        "content-length": String(body.length),
      },
    }),
  );
  await res.body?.cancel();
  return res.status;
}

/** Append `n` receipts to the tenant's chain through the hall (64 in flight). */
async function mint(app: HallApp, n: number, from: number): Promise<number> {
  const t0 = performance.now();
  let next = from;
  const lane = async () => {
    while (next < from + n) {
      next++;
      await app.hall.receipts.mint({
        tenant_id: TENANT,
        correlation_id: crypto.randomUUID(),
        dispatched_at: new Date().toISOString(),
        worker_id: "org.acme.doc.summarizer.1",
        capability_id: "cap.doc.summarize",
        policy_decision: "ALLOW",
        controls_verified: ["ctrl.obs.audit-log-append-only"],
        artifact_hash: "sha256:" + "ab".repeat(32),
        decision_id: crypto.randomUUID(),
      }, Date.now());
    }
  };
  await Promise.all(Array.from({ length: 64 }, lane));
  return performance.now() - t0;
}

/** A plain client on the benchmark's server. */
function rawSql(url: string): postgres.Sql {
  // Every setting given, so that the driver reads no PG* variable (as openPostgresStore does).
  return postgres(url, {
    max: 1,
    onnotice: () => {},
    ssl: false,
    sslnegotiation: null,
    idle_timeout: 0,
    max_lifetime: 600,
    max_pipeline: 100,
    keep_alive: 60,
    prepare: true,
    debug: false,
    fetch_types: true,
    publications: "alltables",
    target_session_attrs: "read-write",
    connect_timeout: 10,
    backoff: () => 0.5,
    connection: { application_name: "wcp-bench-scale" },
  } as postgres.Options<Record<string, never>>);
}

/** Copy a chain into a PostgreSQL store's tables as a hall before the tree left it. */
async function copyChain(from: HallStore, url: string, schema: string): Promise<void> {
  const sql = rawSql(url);
  try {
    await sql.unsafe(`set search_path to "${schema}"`);
    let next = 0;
    let last: ReceiptRow | null = null;
    while (true) {
      const rows = await from.tenantChain(TENANT, { fromSeq: next, limit: 5000 });
      if (rows.length === 0) break;
      const batch = JSON.stringify(rows.map((r) => ({ ...r, receipt: JSON.stringify(r.receipt) })));
      await sql`insert into receipts (tenant_id, seq, receipt_id, receipt_hash, prev_receipt_hash,
          correlation_id, decision_id, dispatched_at, receipt)
        select tenant_id, seq, receipt_id, receipt_hash, prev_receipt_hash, correlation_id,
          decision_id, dispatched_at, receipt
        from jsonb_to_recordset(${batch}::text::jsonb) as x(tenant_id text, seq bigint,
          receipt_id text, receipt_hash text, prev_receipt_hash text, correlation_id text,
          decision_id text, dispatched_at text, receipt text)`;
      last = rows[rows.length - 1];
      next = last.seq + 1;
    }
    if (last) {
      await sql`insert into chain_heads (tenant_id, next_seq, receipt_hash, receipt)
        values (${TENANT}, ${last.seq + 1}, ${last.receipt_hash}, ${JSON.stringify(last.receipt)})`;
    }
  } finally {
    await sql.end();
  }
}

async function receiptRows(ctx: Ctx): Promise<Row[]> {
  const rows: Row[] = [];
  const n = ctx.receipts;
  const row = (backend: string, measure: string, value: string, target?: string) => {
    rows.push({ section: "receipts", backend, measure, value, ...(target ? { target } : {}) });
    console.error(`bench:scale: receipts ${backend}: ${measure}: ${value}`);
  };
  // The chain is seeded once on SQLite (the hall's append path); PostgreSQL gets a copy.
  const sqlitePath = `${ctx.tmp}/hall.sqlite`;
  const seedStore = await openSqliteStore(sqlitePath);
  const seedHall = await hallOn(seedStore, ctx.key, false);
  const seedMs = await mint(seedHall, n, 0);
  await seedHall.close();
  await seedStore.close();
  row(
    "sqlite",
    `seed: ${n.toLocaleString("en-US")} receipts appended (64 in flight)`,
    `${rate(n, seedMs)}/s`,
  );

  for (const backend of ctx.backends) {
    let store: HallStore;
    if (backend === "sqlite") {
      store = await openSqliteStore(sqlitePath);
    } else {
      const pg = await ctx.pg();
      const schema = `scale_${Date.now().toString(36)}`;
      store = await openPostgresStore(pg.url, { schema });
      const src = await openSqliteStore(sqlitePath);
      await copyChain(src, pg.url, schema);
      await src.close();
      const t0 = performance.now();
      await store.migrate();
      row(
        backend,
        `Merkle tree backfill of ${n.toLocaleString("en-US")} receipts (migrate)`,
        `${ms(performance.now() - t0)} ms`,
      );
    }
    try {
      const app = await hallOn(store, ctx.key, false);
      // A checkpoint at the head: proofs are answered against it (no signing per request).
      let t0 = performance.now();
      const status = await post(app, "/wcp/receipts/checkpoint", { tenant_id: TENANT });
      if (status !== 201) throw new Error(`checkpoint: HTTP ${status}`);
      row(
        backend,
        `POST /wcp/receipts/checkpoint at ${n.toLocaleString("en-US")}`,
        `${ms(performance.now() - t0)} ms`,
      );

      const ids: string[] = [];
      for (let i = 0; i < ctx.samples; i++) {
        const seq = Math.floor(Math.random() * n);
        const [r] = await store.tenantChain(TENANT, { fromSeq: seq, limit: 1 });
        ids.push(r.receipt_id);
      }
      const times: number[] = [];
      const budget = performance.now() + 20_000; // an O(n) proof would take minutes
      for (const id of ids) {
        t0 = performance.now();
        const res = await get(app, `/wcp/receipts/proof?tenant_id=${TENANT}&receipt_id=${id}`);
        times.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`proof: HTTP ${res.status}`);
        if (performance.now() > budget) break;
      }
      row(
        backend,
        `GET /wcp/receipts/proof p50 / p99 (${times.length} receipts)`,
        `${ms(pct(times, 0.5))} / ${ms(pct(times, 0.99))} ms`,
        "<= 5 ms",
      );
      const ctimes: number[] = [];
      for (let i = 0; i < Math.min(ctx.samples, 100); i++) {
        const old = 1 + Math.floor(Math.random() * (n - 1));
        t0 = performance.now();
        const res = await get(app, `/wcp/receipts/consistency?tenant_id=${TENANT}&old_size=${old}`);
        ctimes.push(performance.now() - t0);
        if (res.status !== 200) {
          ctimes.length = 0;
          break; // a hall without the route
        }
      }
      if (ctimes.length) {
        row(
          backend,
          `GET /wcp/receipts/consistency p50 / p99 (${ctimes.length} sizes)`,
          `${ms(pct(ctimes, 0.5))} / ${ms(pct(ctimes, 0.99))} ms`,
          "<= 5 ms",
        );
      }
      t0 = performance.now();
      const v = await get(app, `/wcp/receipts/verify?tenant_id=${TENANT}`);
      const vms = performance.now() - t0;
      if (!(v.body as { ok: boolean }).ok) throw new Error("verify: the chain does not verify");
      row(
        backend,
        "GET /wcp/receipts/verify (whole chain)",
        `${rate(n, vms)} receipts/s (${ms(vms)} ms)`,
        ">= 50,000/s",
      );
      await app.close();

      // Starts: the hall's start check with the checkpoint at the head, then with 1,000 after it.
      for (const extra of [0, 1000]) {
        if (extra) {
          const a = await hallOn(store, ctx.key, false);
          await mint(a, extra, n);
          await a.close();
        }
        t0 = performance.now();
        const h = await hallOn(store, ctx.key, true);
        const broken = await h.hall.startupCheck;
        const sms = performance.now() - t0;
        await h.close();
        if (broken.length) throw new Error(`start: broken chains ${broken}`);
        row(
          backend,
          extra
            ? `hall start, ${extra.toLocaleString("en-US")} receipts after the newest checkpoint`
            : `hall start, ${n.toLocaleString("en-US")} receipts, checkpoint at the head`,
          `${ms(sms)} ms`,
        );
      }
    } finally {
      await store.close();
    }
  }
  return rows;
}

// ---- workers: registry size, enrolment-to-next-decision, a second thread or instance ----

const SEED_AT = "2026-12-01T00:00:00.000Z";

/** How the seeded workers are laid out (see the module doc). */
type Layout = { seed: "routed" | "other"; tenants: number };

function seedRecord(i: number, layout: Layout): Record<string, unknown> {
  const r: Record<string, unknown> = layout.seed === "routed"
    ? {
      // A summarizer as the demo one, bound to one of the other tenants.
      worker_id: `org.scale.w${i}`,
      worker_species_id: "wrk.doc.summarizer",
      capabilities: ["cap.doc.summarize"],
      risk_tier: "low",
      currently_implements: ["ctrl.obs.audit-log-append-only"],
      allowed_environments: ["dev", "stage", "prod"],
      blast_radius: { data: 1, network: 0, financial: 0, time: 1, reversibility: "reversible" },
      tenants: [`t${i % layout.tenants}`],
    }
    : {
      worker_id: `org.scale.w${i}`,
      worker_species_id: `wrk.scale.s${i % 100}`,
      capabilities: [`cap.scale.c${i % 100}`],
      currently_implements: ["ctrl.obs.audit-log-append-only"],
    };
  r.artifact_hash = recordHashJcs(r);
  return r;
}

const OTHER: Layout = { seed: "other", tenants: 1 };

/**
 * `n` worker rows in the store, written in bulk (not timed: the seed is not the hall's work),
 * enrolled before the demo workers (so they come first in their species' order).
 */
async function seedWorkers(
  backend: string,
  ctx: Ctx,
  n: number,
  where: string,
  layout: Layout = OTHER,
): Promise<void> {
  if (backend === "sqlite") {
    // NORMAL sync for the seed only (the hall then opens the file with FULL).
    const seed = await openSqliteStore(where, { synchronous: "NORMAL" });
    try {
      for (let i = 0; i < n; i++) {
        await seed.putWorker({
          worker_id: `org.scale.w${i}`,
          namespace: "org.scale",
          record: seedRecord(i, layout) as never,
          status: "active",
          current_hash: null,
          attestation: null,
          flagged: false,
          enrolled_by: "tok-seed",
          enrolled_at: SEED_AT,
          updated_at: SEED_AT,
        });
      }
      await enrollDemoWorkers(seed, Date.now());
    } finally {
      await seed.close();
    }
    return;
  }
  const pg = await ctx.pg();
  const store = await openPostgresStore(pg.url, { schema: where });
  await store.migrate();
  await enrollDemoWorkers(store, Date.now());
  await store.close();
  const sql = rawSql(pg.url);
  try {
    await sql.unsafe(`set search_path to "${where}"`);
    for (let from = 0; from < n; from += 5000) {
      const batch = [];
      for (let i = from; i < Math.min(n, from + 5000); i++) {
        batch.push({
          worker_id: `org.scale.w${i}`,
          record: JSON.stringify(seedRecord(i, layout)),
        });
      }
      await sql`insert into workers (worker_id, namespace, record, status, enrolled_by,
          enrolled_at, updated_at)
        select worker_id, 'org.scale', record, 'active', 'tok-seed', ${SEED_AT}, ${SEED_AT}
        from jsonb_to_recordset(${JSON.stringify(batch)}::text::jsonb)
          as x(worker_id text, record text)`;
    }
  } finally {
    await sql.end();
  }
}

function routeBody(): string {
  return JSON.stringify({
    correlation_id: crypto.randomUUID(),
    tenant_id: TENANT,
    env: "dev",
    data_label: "INTERNAL",
    tenant_risk: "low",
    qos_class: "P2",
    capability_id: "cap.doc.summarize",
    request: { text: "Scale. Two sentences." },
  });
}

/** One `POST /wcp/route`; the decision's candidates listed and who was selected. */
async function routeListing(app: HallApp): Promise<{ candidates: number; selected: string }> {
  const body = routeBody();
  const res = await app.fetch(
    new Request("http://localhost/wcp/route", {
      method: "POST",
      body,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        host: "localhost",
        "content-type": "application/json",
        "content-length": String(body.length),
      },
    }),
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`route answered ${res.status}: ${text}`);
  const j = JSON.parse(text);
  const d = j.decision ?? j;
  return {
    candidates: (d.candidate_workers_ranked as unknown[]).length,
    selected: String(d.selected_worker_id),
  };
}

/** One `POST /wcp/route`; its latency in ms (throws unless 200). */
async function routeOnce(app: HallApp): Promise<number> {
  const body = routeBody();
  const t0 = performance.now();
  const res = await app.fetch(
    new Request("http://localhost/wcp/route", {
      method: "POST",
      body,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        host: "localhost",
        "content-type": "application/json",
        "content-length": String(body.length),
      },
    }),
  );
  await res.body?.cancel();
  const t = performance.now() - t0;
  if (res.status !== 200) throw new Error(`route answered ${res.status}`);
  return t;
}

/** `n` routes, 32 in flight: the rate, the process CPU per route (ms) and the latencies. */
async function routeBatch(
  app: HallApp,
  n: number,
): Promise<{ perSecond: number; cpuMs: number; lat: number[] }> {
  const lat: number[] = [];
  let next = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  const lane = async () => {
    while (next++ < n) lat.push(await routeOnce(app));
  };
  await Promise.all(Array.from({ length: 32 }, lane));
  const wall = performance.now() - t0;
  return { perSecond: n / (wall / 1000), cpuMs: (cpuMs() - c0) / n, lat };
}

/** CPU time of the whole process (every thread), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  return pct(xs, 0.5);
}

/** The halls of one size: A serves the load and enrols, B is the other thread or instance. */
interface SizeHalls {
  n: number;
  size: string;
  a: HallApp;
  b: HallApp;
  close: () => Promise<void>;
}

async function workerRows(ctx: Ctx): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (backend: string, measure: string, value: string, target?: string) => {
    rows.push({ section: "workers", backend, measure, value, ...(target ? { target } : {}) });
    console.error(`bench:scale: workers ${backend}: ${measure}: ${value}`);
  };
  const ROUNDS = 8;
  for (const backend of ctx.backends) {
    const halls: SizeHalls[] = [];
    try {
      // Every size's two halls first, so the route rates can be measured interleaved.
      for (const n of ctx.workers) {
        const size = n.toLocaleString("en-US");
        const where = backend === "sqlite" ? `${ctx.tmp}/workers-${n}.sqlite` : `scale_w${n}`;
        await seedWorkers(backend, ctx, n, where, { seed: ctx.seed, tenants: ctx.tenants });
        const open = async () =>
          backend === "sqlite"
            ? await openSqliteStore(where)
            : await openPostgresStore((await ctx.pg()).url, { schema: where });
        // Two halls on the store: threads of one process (SQLite) or two instances (PostgreSQL).
        const storeA = await open();
        const storeB = await open();
        let peersA: HallPeers;
        let peersB: HallPeers;
        if (backend === "sqlite") {
          const seed = newPeerSeed();
          peersA = joinPeers(seed);
          peersB = joinPeers(seed);
        } else {
          peersA = await instancePeers((on) => storeA.openPeerChannel!(on), "bench-a", true);
          peersB = await instancePeers((on) => storeB.openPeerChannel!(on), "bench-b", true);
        }
        const t0 = performance.now();
        const a = await hallOn(storeA, ctx.key, false, peersA, 1_000);
        row(
          backend,
          `hall start (registry loaded), ${size} workers`,
          `${ms(performance.now() - t0)} ms`,
        );
        const b = await hallOn(storeB, ctx.key, false, peersB, 1_000);
        halls.push({
          n,
          size,
          a,
          b,
          close: async () => {
            await a.close();
            await b.close();
            await storeA.close();
            await storeB.close();
          },
        });
        const listing = await routeListing(a);
        row(
          backend,
          `candidates listed in a decision, ${size} workers (selected)`,
          `${listing.candidates} (${listing.selected})`,
        );
      }

      // Route load: a warm-up, then ROUNDS rounds, each a batch on every size in turn.
      for (const h of halls) for (let i = 0; i < 500; i++) await routeOnce(h.a);
      const per = new Map<number, { rate: number[]; cpu: number[]; lat: number[] }>();
      const batch = Math.max(1, Math.floor(ctx.requests / ROUNDS));
      for (let r = 0; r < ROUNDS; r++) {
        for (const h of r % 2 ? [...halls].reverse() : halls) {
          const x = await routeBatch(h.a, batch);
          let m = per.get(h.n);
          if (!m) per.set(h.n, m = { rate: [], cpu: [], lat: [] });
          m.rate.push(x.perSecond);
          m.cpu.push(x.cpuMs);
          m.lat.push(...x.lat);
        }
      }
      for (const h of halls) {
        const m = per.get(h.n)!;
        row(
          backend,
          `route, ${h.size} workers (rate, p50 / p99, CPU per route; median of ${ROUNDS} ` +
            `interleaved batches of ${batch})`,
          `${rate(median(m.rate), 1000)}/s, ${ms(pct(m.lat, 0.5))} / ${ms(pct(m.lat, 0.99))} ms, ` +
            `${(median(m.cpu) * 1000).toFixed(0)} us`,
        );
      }
      const lo = halls.reduce((x, y) => (y.n < x.n ? y : x));
      const hi = halls.reduce((x, y) => (y.n > x.n ? y : x));
      if (lo !== hi) {
        const rl = per.get(lo.n)!;
        const rh = per.get(hi.n)!;
        row(
          backend,
          `route rate at ${hi.size} / at ${lo.size} workers (median of the rounds' ratios; ` +
            "CPU per route, inverse ratio)",
          `${median(rh.rate.map((x, i) => x / rl.rate[i])).toFixed(2)} (${
            median(rl.cpu.map((x, i) => x / rh.cpu[i])).toFixed(2)
          })`,
          ">= 0.90",
        );
      }

      // Enrolment to the next decision, on the enrolling hall and on the other one.
      for (const { n, size, a, b } of halls) {
        const here: number[] = [];
        const control: number[] = [];
        const there: number[] = [];
        const seen: number[] = [];
        const enrol: number[] = [];
        for (let i = 0; i < ctx.samples; i++) {
          const id = `org.scale.new${i}`;
          // Of the routed species: alternately bound to another tenant and serving everyone.
          const rec: Record<string, unknown> = {
            worker_id: id,
            worker_species_id: "wrk.doc.summarizer",
            capabilities: ["cap.doc.summarize"],
            currently_implements: ["ctrl.obs.audit-log-append-only"],
            ...(i % 2 === 0 ? { tenants: [`t${i % ctx.tenants}`] } : {}),
          };
          rec.artifact_hash = recordHashJcs(rec);
          // The control: a route with no enrolment just before it, in the same conditions.
          control.push(await routeOnce(a));
          const e0 = performance.now();
          const status = await post(a, "/wcp/workers", rec);
          enrol.push(performance.now() - e0);
          if (status !== 201) throw new Error(`enrol answered ${status}`);
          here.push(await routeOnce(a));
          const s0 = performance.now();
          while (b.hall.registry.get(id) === undefined) await new Promise((r) => setTimeout(r, 0));
          seen.push(performance.now() - s0);
          there.push(await routeOnce(b));
        }
        const other = backend === "sqlite" ? "second thread" : "second instance";
        row(
          backend,
          `enrol (POST /wcp/workers), ${size} workers, p50 / p99`,
          `${ms(pct(enrol, 0.5))} / ${ms(pct(enrol, 0.99))} ms`,
        );
        row(
          backend,
          `route right after an enrolment, ${size} workers, p50 / p99 / max`,
          `${ms(pct(here, 0.5))} / ${ms(pct(here, 0.99))} / ${ms(Math.max(...here))} ms`,
          "p99 <= 2 ms",
        );
        row(
          backend,
          `control: route with no enrolment before it, ${size} workers, p50 / p99 / max`,
          `${ms(pct(control, 0.5))} / ${ms(pct(control, 0.99))} / ${ms(Math.max(...control))} ms`,
        );
        row(
          backend,
          `enrolment seen by the ${other}, ${size} workers, p50 / p99`,
          `${ms(pct(seen, 0.5))} / ${ms(pct(seen, 0.99))} ms`,
        );
        row(
          backend,
          `${other}: route right after it saw the enrolment, ${size} workers, p50 / p99 / max`,
          `${ms(pct(there, 0.5))} / ${ms(pct(there, 0.99))} / ${ms(Math.max(...there))} ms`,
          "p99 <= 2 ms",
        );
        row(
          backend,
          `registry rows read by the ${other} for ${ctx.samples} enrolments (full loads after start)`,
          `${b.hall.registrySync.rows_read - n - 3} (${b.hall.registrySync.full_loads - 1})`,
        );
      }
    } finally {
      for (const h of halls) await h.close();
    }
  }
  return rows;
}

const tmp = await Deno.makeTempDir({ prefix: "wcp-scale-" });
const server: { pg: TestPostgres | null } = { pg: null };
const ctx: Ctx = {
  backends: args.values.backends!.split(",").map((s) => s.trim()).filter(Boolean),
  receipts: Number(args.values.receipts),
  workers: args.values.workers!.split(",").map(Number),
  requests: Number(args.values.requests),
  samples: Number(args.values.samples),
  seed: args.values.seed as "routed" | "other",
  tenants: Number(args.values.tenants),
  tmp,
  pg: async () => (server.pg ??= await startPostgres()),
  key: await generateSigningKey(),
};
for (const b of ctx.backends) {
  if (b !== "sqlite" && b !== "postgres") throw new Error(`--backends: unknown backend ${b}`);
}
if (ctx.workers.some((n) => !Number.isSafeInteger(n) || n < 1)) {
  throw new Error("--workers: comma-separated integers >= 1");
}
if (ctx.seed !== "routed" && ctx.seed !== "other") {
  throw new Error("--seed: routed or other");
}
if (!Number.isSafeInteger(ctx.tenants) || ctx.tenants < 1) {
  throw new Error("--tenants: an integer >= 1");
}
if (!Number.isSafeInteger(ctx.requests) || ctx.requests < 1) {
  throw new Error("--requests: an integer >= 1");
}
if (!Number.isSafeInteger(ctx.receipts) || ctx.receipts < 2) {
  throw new Error("--receipts: an integer >= 2");
}
const all: Row[] = [];
try {
  for (const name of args.values.sections!.split(",")) {
    const section = SECTIONS[name.trim()];
    if (!section) throw new Error(`--sections: unknown section ${name} (${Object.keys(SECTIONS)})`);
    all.push(...await section(ctx));
  }
} finally {
  await server.pg?.stop();
  await Deno.remove(tmp, { recursive: true });
}
const cpu = Deno.build.arch;
console.log(
  `\n${navigator.hardwareConcurrency} cores (${cpu}), one process, in-process requests, ` +
    "SQLite FULL sync, PostgreSQL fsync on" +
    (args.values.sections!.includes("workers")
      ? `; workers seeded: ${ctx.seed}` +
        (ctx.seed === "routed" ? `, bound to ${ctx.tenants} other tenants` : "")
      : "") +
    "\n",
);
console.log("| section | store | measure | value | target |");
console.log("| --- | --- | --- | ---: | --- |");
for (const r of all) {
  const store = r.backend === "sqlite" ? "SQLite" : "PostgreSQL";
  console.log(`| ${r.section} | ${store} | ${r.measure} | ${r.value} | ${r.target ?? ""} |`);
}
if (args.values.json) {
  await Deno.writeTextFile(args.values.json, JSON.stringify(all, null, 2) + "\n");
}
