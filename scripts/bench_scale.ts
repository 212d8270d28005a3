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
 * usage: deno task bench:scale [--sections receipts] [--backends sqlite,postgres]
 *          [--receipts 100000] [--samples 200] [--json test-artifacts/scale.json]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { openSqliteStore } from "../src/hall/store/sqlite/mod.ts";
import { createHallApp, type HallApp } from "../src/hall/app.ts";
import { ensureAdminToken, EXAMPLE_RULES } from "../src/hall/bootstrap.ts";
import { openPostgresStore } from "../src/hall/store/postgres/mod.ts";
import type { HallStore, ReceiptRow } from "../src/hall/store/types.ts";
import { generateSigningKey, type SigningKey } from "../src/attestation/ed25519.ts";
import { startPostgres, type TestPostgres } from "../tests/helpers/postgres.ts";
import postgres from "postgres";

const args = parseArgs({
  options: {
    sections: { type: "string", default: "receipts" },
    backends: { type: "string", default: "sqlite,postgres" },
    receipts: { type: "string", default: "100000" },
    samples: { type: "string", default: "200" },
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
  samples: number;
  tmp: string;
  pg: () => Promise<TestPostgres>;
  key: SigningKey;
}

const SECTIONS: Record<string, (ctx: Ctx) => Promise<Row[]>> = { receipts: receiptRows };

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

async function hallOn(store: HallStore, key: SigningKey, chainCheck: boolean): Promise<HallApp> {
  await ensureAdminToken(store, Date.now(), TOKEN);
  return await createHallApp({
    store,
    rules: EXAMPLE_RULES,
    signingKey: key,
    chainCheckMs: chainCheck ? 3_600_000 : 0,
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

/** Copy a chain into a PostgreSQL store's tables as a hall before the tree left it. */
async function copyChain(from: HallStore, url: string, schema: string): Promise<void> {
  // Every setting given, so that the driver reads no PG* variable (as openPostgresStore does).
  const sql = postgres(url, {
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

const tmp = await Deno.makeTempDir({ prefix: "wcp-scale-" });
const server: { pg: TestPostgres | null } = { pg: null };
const ctx: Ctx = {
  backends: args.values.backends!.split(",").map((s) => s.trim()).filter(Boolean),
  receipts: Number(args.values.receipts),
  samples: Number(args.values.samples),
  tmp,
  pg: async () => (server.pg ??= await startPostgres()),
  key: await generateSigningKey(),
};
for (const b of ctx.backends) {
  if (b !== "sqlite" && b !== "postgres") throw new Error(`--backends: unknown backend ${b}`);
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
    "SQLite FULL sync, PostgreSQL fsync on\n",
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
