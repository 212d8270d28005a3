/**
 * The `pages` section of `deno task bench:scale` (issue 14 item 2): 100k rows in every paged
 * list (workers, pending approvals, receipts, alerts, bans, tokens, namespaces; 100 capabilities
 * over the workers), seeded in bulk straight into the store, then the time (p50 and max of
 * `samples` requests, through the hall's fetch handler) and the bytes of a page: the first page
 * (default limit 100), a page deep in the list (a cursor at row 50,000), a page of 1,000, and a
 * page of whole rows (`detail=full`) where the rows are slim. Target: <= 20 ms and <= 1 MB.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import type postgres from "postgres";
import type { HallApp } from "../src/hall/app.ts";
import { encodeCursor } from "../src/hall/_paging.ts";
import { openSqliteStore } from "../src/hall/store/sqlite/mod.ts";
import { openPostgresStore } from "../src/hall/store/postgres/mod.ts";
import type { HallStore } from "../src/hall/store/types.ts";
import { sha256Hex } from "../src/encoding/hash.ts";

/** What the section needs from the benchmark. */
export interface PageBenchDeps {
  backends: string[];
  tmp: string;
  token: string;
  pgUrl: () => Promise<string>;
  rawSql: (url: string) => postgres.Sql;
  /** 100k worker rows (and the demo workers) into a fresh store at `where`. */
  seedWorkers: (backend: string, n: number, where: string) => Promise<void>;
  hallOn: (store: HallStore) => Promise<HallApp>;
}

/** One line of the cost table. */
export interface PageRow {
  section: string;
  backend: string;
  measure: string;
  value: string;
  target?: string;
}

const N = 100_000;
const AT = "2026-12-01T00:00:00.000Z"; // every row at one time: ties broken by the id
const FAR = "2099-01-01T00:00:00.000Z";
const pad = (i: number) => String(i).padStart(6, "0");

// A held decision of a realistic size (what a page of summaries leaves out).
const DECISION = JSON.stringify({
  decision_id: "d",
  outcome: "STEWARD_HOLD",
  denied: false,
  supervisor_required: true,
  supervisor_level: "gatekeeper",
  reason_codes: ["POLICY_REQUIRE_HUMAN"],
  candidates: Array.from({ length: 6 }, (_, i) => ({
    worker_id: `org.demo.w${i}`,
    worker_species_id: "wrk.doc.summarizer",
    score: 0.5,
    skip_reason: null,
    controls: ["ctrl.obs.audit-log-append-only", "ctrl.sec.no-network"],
  })),
  escalation_context: {
    capability_id: "cap.doc.summarize",
    blast_score: 40,
    tenant_risk: "medium",
    data_label: "CONFIDENTIAL",
    policy_version: "policy.v1",
  },
  telemetry_envelopes: Array.from({ length: 3 }, (_, i) => ({
    event_id: `evt.os.task.${i}`,
    timestamp: AT,
    correlation_id: "c",
    details: "x".repeat(120),
  })),
});
const INPUT = JSON.stringify({
  capability_id: "cap.doc.summarize",
  tenant_id: "acme",
  env: "prod",
  data_label: "CONFIDENTIAL",
  tenant_risk: "medium",
  request: { text: "y".repeat(400) },
});

function receiptJson(i: number): string {
  return JSON.stringify({
    receipt_id: `r-${pad(i)}`,
    seq: i,
    prev_receipt_hash: i === 0 ? null : `sha256:${sha256Hex(`r${i - 1}`)}`,
    tenant_id: "acme",
    correlation_id: `c-${pad(i)}`,
    decision_id: `d-${pad(i)}`,
    dispatched_at: AT,
    worker_id: "org.demo.summarizer.1",
    capability_id: "cap.doc.summarize",
    policy_decision: "ALLOW",
    controls_verified: ["ctrl.obs.audit-log-append-only"],
    artifact_hash: `sha256:${sha256Hex(`a${i}`)}`,
    result_hash: `sha256:${sha256Hex(`o${i}`)}`,
    signing_key_id: "k1",
    signature: "s".repeat(86),
    receipt_hash: `sha256:${sha256Hex(`r${i}`)}`,
  });
}

function seedSqlite(path: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("BEGIN");
    const ap = db.prepare(`INSERT INTO approvals (approval_id, status, tenant_id, created_at,
      expires_at, requested_by, resolved_by, data) VALUES (?, 'pending', 'acme', ?, ?, 'tok-seed', NULL, ?)`);
    const al = db.prepare(
      "INSERT INTO alerts (alert_id, created_at, acknowledged_at, data) VALUES (?, ?, NULL, ?)",
    );
    const ba = db.prepare(
      "INSERT INTO bans (sha256, status, reported_at, data) VALUES (?, 'reported', ?, ?)",
    );
    const tk = db.prepare(
      "INSERT INTO tokens (token_id, token_hash, revoked_at, data) VALUES (?, ?, NULL, ?)",
    );
    const ns = db.prepare("INSERT INTO namespaces (namespace, data) VALUES (?, ?)");
    const rc = db.prepare(`INSERT INTO receipts (tenant_id, seq, receipt_id, receipt_hash,
      prev_receipt_hash, correlation_id, decision_id, dispatched_at, data)
      VALUES ('acme', ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (let i = 0; i < N; i++) {
      const id = `ap-${pad(i)}`;
      ap.run(
        id,
        AT,
        FAR,
        `{"approval_id":"${id}","decision_id":"d-${i}","tenant_id":"acme","correlation_id":"c-${i}",` +
          `"capability_id":"cap.doc.summarize","supervisor_level":"gatekeeper","status":"pending",` +
          `"input":${INPUT},"decision":${DECISION},"created_at":"${AT}","expires_at":"${FAR}",` +
          `"requested_by":{"principal_id":"tok-seed","label":"seed"},"resolved_at":null,` +
          `"resolved_by":null,"note":null,"escalations":0,"consumed_at":null}`,
      );
      const aid = `al-${pad(i)}`;
      al.run(
        aid,
        AT,
        JSON.stringify({
          alert_id: aid,
          kind: "other",
          severity: 3,
          message: `alert ${i}`,
          subject: `s${i}`,
          details: {},
          created_at: AT,
          acknowledged_at: null,
          acknowledged_by: null,
        }),
      );
      const sha = sha256Hex(`ban-${i}`);
      ba.run(
        sha,
        AT,
        JSON.stringify({
          sha256: sha,
          reason: "malware",
          source: "seed",
          evidence_url: null,
          reported_at: AT,
          status: "reported",
          confirmed_at: null,
          confirmed_by: null,
        }),
      );
      const tid = `tok_seed_${pad(i)}`;
      tk.run(
        tid,
        sha256Hex(`tok-${i}`),
        JSON.stringify({
          token_id: tid,
          token_hash: sha256Hex(`tok-${i}`),
          role: "namespace",
          namespace: `org.n${pad(i)}`,
          label: `seed ${i}`,
          created_at: AT,
          revoked_at: null,
        }),
      );
      ns.run(
        `org.n${pad(i)}`,
        JSON.stringify({
          namespace: `org.n${pad(i)}`,
          tier: "free",
          owner: "seed",
          created_at: AT,
        }),
      );
      const r = JSON.parse(receiptJson(i));
      rc.run(
        i,
        r.receipt_id,
        r.receipt_hash,
        r.prev_receipt_hash,
        r.correlation_id,
        r.decision_id,
        AT,
        JSON.stringify(r),
      );
    }
    db.exec("COMMIT");
  } finally {
    db.close();
  }
}

async function seedPostgres(sql: postgres.Sql, schema: string): Promise<void> {
  await sql.unsafe(`set search_path to "${schema}"`);
  await sql`insert into approvals (approval_id, decision_id, tenant_id, correlation_id,
      capability_id, supervisor_level, status, input, decision, created_at, expires_at,
      requested_by, requested_by_label)
    select 'ap-' || lpad(i::text, 6, '0'), 'd-' || i, 'acme', 'c-' || i, 'cap.doc.summarize',
      'gatekeeper', 'pending', ${INPUT}, ${DECISION}, ${AT}, ${FAR}, 'tok-seed', 'seed'
    from generate_series(0, ${N - 1}) as i`;
  await sql`insert into alerts (alert_id, kind, severity, message, subject, details, created_at)
    select 'al-' || lpad(i::text, 6, '0'), 'other', 3, 'alert ' || i, 's' || i, '{}', ${AT}
    from generate_series(0, ${N - 1}) as i`;
  await sql`insert into bans (sha256, reason, source, reported_at, status)
    select encode(sha256(('ban-' || i)::bytea), 'hex'), 'malware', 'seed', ${AT}, 'reported'
    from generate_series(0, ${N - 1}) as i`;
  await sql`insert into tokens (token_id, token_hash, role, namespace, label, created_at)
    select 'tok_seed_' || lpad(i::text, 6, '0'), encode(sha256(('tok-' || i)::bytea), 'hex'),
      'namespace', 'org.n' || lpad(i::text, 6, '0'), 'seed ' || i, ${AT}
    from generate_series(0, ${N - 1}) as i`;
  await sql`insert into namespaces (namespace, tier, owner, created_at)
    select 'org.n' || lpad(i::text, 6, '0'), 'free', 'seed', ${AT}
    from generate_series(0, ${N - 1}) as i`;
  for (let from = 0; from < N; from += 10_000) {
    const batch = [];
    for (let i = from; i < Math.min(N, from + 10_000); i++) {
      const r = JSON.parse(receiptJson(i));
      batch.push({
        seq: i,
        receipt_id: r.receipt_id,
        receipt_hash: r.receipt_hash,
        prev_receipt_hash: r.prev_receipt_hash,
        correlation_id: r.correlation_id,
        decision_id: r.decision_id,
        receipt: JSON.stringify(r),
      });
    }
    await sql`insert into receipts (tenant_id, seq, receipt_id, receipt_hash, prev_receipt_hash,
        correlation_id, decision_id, dispatched_at, receipt)
      select 'acme', seq, receipt_id, receipt_hash, prev_receipt_hash, correlation_id,
        decision_id, ${AT}, receipt
      from jsonb_to_recordset(${JSON.stringify(batch)}::text::jsonb) as x(seq bigint,
        receipt_id text, receipt_hash text, prev_receipt_hash text, correlation_id text,
        decision_id text, receipt text)`;
  }
  await sql`analyze`;
}

// The capability filter of the workers page as the store ran it before its index (SQLite
// migration 9, PostgreSQL 10) and as it runs it now, straight on the database, alternately.
async function capabilityQueries(
  backend: string,
  deps: PageBenchDeps,
  samples: number,
): Promise<{ before: number; after: number }> {
  const cap = "cap.scale.c7";
  const times = { before: [] as number[], after: [] as number[] };
  let run: (which: "before" | "after") => Promise<number>;
  let done: () => Promise<void>;
  if (backend === "sqlite") {
    const db = new DatabaseSync(`${deps.tmp}/pages.sqlite`, { readOnly: true });
    const q = {
      before: db.prepare(`SELECT data FROM workers WHERE EXISTS (SELECT 1
        FROM json_each(data, '$.record.capabilities') WHERE value = ?)
        ORDER BY enrolled_at, worker_id LIMIT 101`),
      after: db.prepare(`SELECT data FROM worker_capabilities AS c JOIN workers
        ON workers.worker_id = c.worker_id WHERE c.capability_id = ?
        ORDER BY c.enrolled_at, c.worker_id LIMIT 101`),
    };
    run = (which) => Promise.resolve(q[which].all(cap).length);
    done = () => Promise.resolve(db.close());
  } else {
    const sql = deps.rawSql(await deps.pgUrl());
    await sql.unsafe(`set search_path to "pages"`);
    run = async (which) =>
      (which === "before"
        ? await sql`select * from workers where (record::jsonb -> 'capabilities') ? ${cap}
          order by enrolled_at, worker_id limit 101`
        : await sql`select w.* from worker_capabilities as c join workers as w
          on w.worker_id = c.worker_id where c.capability_id = ${cap}
          order by c.enrolled_at, c.worker_id limit 101`).length;
    done = () => sql.end();
  }
  try {
    for (let i = 0; i < samples + 2; i++) {
      for (const which of i % 2 ? ["after", "before"] as const : ["before", "after"] as const) {
        const t0 = performance.now();
        const n = await run(which);
        if (n !== 101) throw new Error(`capability query ${which}: ${n} rows`);
        if (i >= 2) times[which].push(performance.now() - t0);
      }
    }
  } finally {
    await done();
  }
  return { before: pct(times.before, 0.5), after: pct(times.after, 0.5) };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/** The `pages` rows. */
export async function pageRows(deps: PageBenchDeps, samples = 20): Promise<PageRow[]> {
  const rows: PageRow[] = [];
  for (const backend of deps.backends) {
    let store: HallStore;
    if (backend === "sqlite") {
      const path = `${deps.tmp}/pages.sqlite`;
      await deps.seedWorkers("sqlite", N, path);
      seedSqlite(path);
      store = await openSqliteStore(path);
    } else {
      const schema = "pages";
      await deps.seedWorkers("postgres", N, schema);
      const sql = deps.rawSql(await deps.pgUrl());
      try {
        await seedPostgres(sql, schema);
      } finally {
        await sql.end();
      }
      store = await openPostgresStore(await deps.pgUrl(), { schema });
    }
    console.error(`bench:scale: pages ${backend}: seeded ${N} rows per list`);
    const app = await deps.hallOn(store);
    try {
      const deep = (list: string, key: (string | number)[]) => `cursor=${encodeCursor(list, key)}`;
      const w = ["org.scale.w50000"];
      const cases: [string, string][] = [
        ["workers, first page", "/wcp/workers"],
        ["workers, page at row 50,000", `/wcp/workers?${deep("workers", [AT, w[0]])}`],
        ["workers, limit 1000", "/wcp/workers?limit=1000"],
        ["workers, detail=full", "/wcp/workers?detail=full"],
        ["workers of one capability (1k of 100k)", "/wcp/workers?capability=cap.scale.c7"],
        ["capabilities, first page", "/wcp/capabilities"],
        ["pending approvals, first page", "/wcp/approvals/pending"],
        [
          "pending approvals, page at row 50,000",
          `/wcp/approvals/pending?${deep("approvals/pending", [AT, "ap-050000"])}`,
        ],
        ["pending approvals, limit 1000", "/wcp/approvals/pending?limit=1000"],
        ["pending approvals, detail=full", "/wcp/approvals/pending?detail=full"],
        ["receipts, first page", "/wcp/receipts?tenant_id=acme"],
        [
          "receipts, page at seq 50,000",
          `/wcp/receipts?tenant_id=acme&${deep("receipts", ["acme", 50_000])}`,
        ],
        ["receipts, limit 1000", "/wcp/receipts?tenant_id=acme&limit=1000"],
        ["alerts, first page", "/wcp/alerts"],
        ["alerts, page at row 50,000", `/wcp/alerts?${deep("alerts", [AT, "al-050000"])}`],
        ["alerts, limit 1000", "/wcp/alerts?limit=1000"],
        ["ban list, first page", "/wcp/ban-list"],
        ["ban list, limit 1000", "/wcp/ban-list?limit=1000"],
        ["tokens, page at row 50,000", `/wcp/tokens?${deep("tokens", ["tok_seed_050000"])}`],
        ["tokens, limit 1000", "/wcp/tokens?limit=1000"],
        [
          "namespaces, page at row 50,000",
          `/wcp/namespaces?${deep("namespaces", ["org.n050000"])}`,
        ],
        ["namespaces, limit 1000", "/wcp/namespaces?limit=1000"],
      ];
      for (const [label, path] of cases) {
        const times: number[] = [];
        let bytes = 0;
        let count = 0;
        for (let i = 0; i < samples + 2; i++) {
          const t0 = performance.now();
          const res = await app.fetch(
            new Request(`http://localhost${path}`, {
              headers: { authorization: `Bearer ${deps.token}`, host: "localhost" },
            }),
          );
          const body = new Uint8Array(await res.arrayBuffer());
          const dt = performance.now() - t0;
          if (res.status !== 200) {
            throw new Error(`${path}: HTTP ${res.status} ${new TextDecoder().decode(body)}`);
          }
          if (i >= 2) times.push(dt); // the first two warm the statement caches
          bytes = body.length;
          count = (JSON.parse(new TextDecoder().decode(body)) as { count: number }).count;
        }
        const p50 = pct(times, 0.5);
        const max = Math.max(...times);
        const value = `p50 ${p50.toFixed(2)} ms, max ${max.toFixed(2)} ms, ${
          bytes.toLocaleString("en-US")
        } B, ${count} rows`;
        rows.push({
          section: "pages",
          backend,
          measure: `${label} (100k rows)`,
          value,
          target: "<= 20 ms, <= 1 MB",
        });
        console.error(`bench:scale: pages ${backend}: ${label}: ${value}`);
      }
      const ab = await capabilityQueries(backend, deps, samples);
      rows.push({
        section: "pages",
        backend,
        measure: "one capability's page, the store's query alone: the filter over every " +
          "record (before) / the capability's rows (after), interleaved",
        value: `p50 ${ab.before.toFixed(2)} ms / ${ab.after.toFixed(2)} ms`,
      });
      console.error(
        `bench:scale: pages ${backend}: capability query before / after: ` +
          `${ab.before.toFixed(2)} / ${ab.after.toFixed(2)} ms`,
      );
    } finally {
      await app.close();
      await store.close();
    }
  }
  return rows;
}
