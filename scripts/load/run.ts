/**
 * Load benchmark of the hall (`deno task load`): decisions/s and latency percentiles for
 * `POST /wcp/route` (decision only) and `POST /wcp/dispatch` (decide, run the in-process demo
 * worker, mint and persist a signed receipt), on the embedded SQLite store and on PostgreSQL.
 *
 * Each hall is a real `deno run src/hall/main.ts` child on 127.0.0.1; PostgreSQL is a throwaway
 * server from Debian's package (tests/helpers/postgres.ts) with durable settings (fsync and
 * synchronous_commit on) so its figures are honest; `postgres-x2` runs two hall processes on one
 * database, each loaded by its own wrk. The load tool is `wrk` (Debian package) with
 * `post.lua`; every run is bounded in time (`--duration`) and in request count (`--max-requests`).
 *
 * `--hall-threads N` starts each hall with `--threads N` (N threads of one process on one port).
 * The `floor` backend is no hall at all (`floor_server.ts`: read the JSON body, answer 2.8 KB of
 * JSON with the hall's headers): the ceiling any Deno server reaches with this traffic here.
 * `--runs N` repeats every measurement N times and reports the median run (all rates listed).
 *
 * usage: deno task load [--backends sqlite,postgres,postgres-x2,floor] [--endpoints route,dispatch]
 *          [--duration 10] [--max-requests 400000] [--connections 32] [--threads 1]
 *          [--hall-threads 1] [--runs 1] [--tenants 8] [--pg-durable on|off]
 *          [--json test-artifacts/load.json]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startPostgres, type TestPostgres } from "../../tests/helpers/postgres.ts";
import { type HallProcess, startHall } from "./hall_process.ts";

const LUA = new URL("./post.lua", import.meta.url).pathname;
const FLOOR = new URL("./floor_server.ts", import.meta.url).pathname;
const SRC = new URL("../../src", import.meta.url).pathname;

interface RunResult {
  backend: string;
  endpoint: string;
  connections: number;
  requests: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p90ms: number;
  p99ms: number;
  maxms: number;
  errors: number;
  non2xx: number;
  capped: boolean;
  /** Every run's rate (the row is the median run). */
  rates: number[];
}

function fail(message: string): never {
  console.error(`load: ${message}`);
  Deno.exit(2);
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) fail(`--${name}: '${text}' is not a positive integer`);
  return n;
}

async function hasWrk(): Promise<boolean> {
  try {
    const r = await new Deno.Command("wrk", { args: ["-v"], stdout: "null", stderr: "null" })
      .output();
    return r.code === 0 || r.code === 1; // wrk -v prints its version and exits 1
  } catch {
    return false;
  }
}

/** One wrk run; parses the `WCP_RESULT` line that post.lua prints. */
async function wrk(opts: {
  url: string;
  token: string;
  seconds: number;
  connections: number;
  threads: number;
  maxRequests: number;
  tenants: string[];
}): Promise<Omit<RunResult, "backend" | "endpoint" | "rates">> {
  const perThread = Math.ceil(opts.maxRequests / opts.threads);
  const out = await new Deno.Command("wrk", {
    args: [
      `-t${opts.threads}`,
      `-c${opts.connections}`,
      `-d${opts.seconds}s`,
      "--timeout",
      "10s",
      "-s",
      LUA,
      opts.url,
    ],
    env: {
      WCP_TOKEN: opts.token,
      WCP_TENANTS: opts.tenants.join(","),
      WCP_MAX_PER_THREAD: String(perThread),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const m = text.match(
    /WCP_RESULT requests=(\d+) duration_us=(\d+) p50=(\d+) p90=(\d+) p99=(\d+) max=(\d+) errors=(\d+) non2xx=(\d+)/,
  );
  if (!m) throw new Error(`wrk gave no result (exit ${out.code}):\n${text}`);
  const [requests, durationUs, p50, p90, p99, max, errors, non2xx] = m.slice(1).map(Number);
  const seconds = durationUs / 1e6;
  return {
    connections: opts.connections,
    requests,
    seconds,
    perSecond: requests / seconds,
    p50ms: p50 / 1000,
    p90ms: p90 / 1000,
    p99ms: p99 / 1000,
    maxms: max / 1000,
    errors,
    non2xx,
    capped: requests >= perThread * opts.threads,
  };
}

/**
 * `floor_server.ts` (no governance; the same traffic) as a child, shaped like a hall process so
 * the same runs load it.
 */
async function startFloor(threads: number): Promise<HallProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      // Its extra threads load it and the hall's header code (src/hall/middleware/security_headers.ts) themselves.
      ...(threads > 1 ? ["--unstable-net", `--allow-read=${FLOOR},${SRC}`] : []),
      "--allow-net=127.0.0.1",
      FLOOR,
      "--threads",
      String(threads),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on http:\/\/127\.0\.0\.1:\d+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`floor server exited: ${text}`);
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  const port = Number(text.match(/127\.0\.0\.1:(\d+)/)![1]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir: "",
    token: "",
    output: () => text,
    kill: async () => {
      child.kill("SIGKILL");
      await child.status;
    },
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function health(hall: HallProcess): Promise<Record<string, unknown>> {
  const res = await fetch(`${hall.url}/wcp/health`);
  return await res.json();
}

async function main(): Promise<void> {
  let a;
  try {
    a = parseArgs({
      args: Deno.args,
      options: {
        backends: { type: "string" },
        endpoints: { type: "string" },
        duration: { type: "string" },
        "max-requests": { type: "string" },
        connections: { type: "string" },
        threads: { type: "string" },
        "hall-threads": { type: "string" },
        runs: { type: "string" },
        tenants: { type: "string" },
        json: { type: "string" },
        "pg-durable": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  if (a.help) {
    console.log(
      "usage: deno task load [--backends sqlite,postgres,postgres-x2,floor] [--endpoints route,dispatch]\n" +
        "         [--duration 10] [--max-requests 400000] [--connections 32] [--threads 1]\n" +
        "         [--hall-threads 1] [--runs 1] [--tenants 8] [--pg-durable on|off] [--json FILE]",
    );
    return;
  }
  const backends = (a.backends ?? "sqlite,postgres,postgres-x2").split(",");
  for (const b of backends) {
    if (!["sqlite", "postgres", "postgres-x2", "floor"].includes(b)) {
      fail(`--backends: '${b}' is not sqlite, postgres, postgres-x2 or floor`);
    }
  }
  const endpoints = (a.endpoints ?? "route,dispatch").split(",");
  for (const e of endpoints) if (e !== "route" && e !== "dispatch") fail(`--endpoints: ${e}?`);
  const duration = positiveInt("duration", a.duration, 10);
  if (duration > 120) fail("--duration: at most 120 seconds");
  const maxRequests = positiveInt("max-requests", a["max-requests"], 400_000);
  const connections = positiveInt("connections", a.connections, 32);
  const threads = positiveInt("threads", a.threads, 1);
  const hallThreads = positiveInt("hall-threads", a["hall-threads"], 1);
  if (hallThreads > 64) fail("--hall-threads: at most 64");
  const repeats = positiveInt("runs", a.runs, 1);
  const tenants = Array.from(
    { length: positiveInt("tenants", a.tenants, 8) },
    (_, i) => `tenant-${i}`,
  );
  const durableText = a["pg-durable"] ?? "on";
  if (durableText !== "on" && durableText !== "off") fail("--pg-durable: 'on' or 'off'");
  // off: the test helper's settings (fsync, synchronous_commit, full_page_writes off).
  const durable = durableText === "on";
  if (!(await hasWrk())) fail("wrk not found: install it with `apt-get install -y wrk`");

  const results: RunResult[] = [];
  const acknowledged = new Map<string, number>();
  const checks: string[] = [];
  let failed = false;
  for (const backend of backends) {
    // `postgres-x2`: two hall processes on one database, each loaded by its own wrk with half the
    // connections and half the request budget; rates add up, latency is the worse instance's.
    const instances = backend === "postgres-x2" ? 2 : 1;
    let pg: TestPostgres | null = null;
    const halls: HallProcess[] = [];
    try {
      if (backend !== "sqlite" && backend !== "floor") {
        pg = await startPostgres({
          database: "wcp_load",
          settings: durable
            ? { fsync: "on", synchronous_commit: "on", full_page_writes: "on" }
            : {},
        });
      }
      // One after the other: the first start bootstraps an empty database.
      for (let i = 0; i < instances; i++) {
        halls.push(
          backend === "floor"
            ? await startFloor(hallThreads)
            : await startHall({ databaseUrl: pg?.url, threads: hallThreads }),
        );
      }
      console.error(`load: ${backend} hall(s) at ${halls.map((h) => h.url).join(", ")}`);
      for (const endpoint of endpoints) {
        if (backend === "floor" && endpoint !== "route") continue; // it has nothing to dispatch
        const share = (h: HallProcess) => ({
          url: `${h.url}/wcp/${endpoint}`,
          token: h.token,
          connections: Math.max(1, Math.round(connections / instances)),
          threads,
          tenants,
        });
        const budget = Math.ceil(maxRequests / instances);
        // Warm up (JIT, connection pools) and estimate the rate, so that the measured run can
        // respect --max-requests without wrk stopping early.
        const warm = await Promise.all(
          halls.map((h) => wrk({ ...share(h), seconds: 2, maxRequests: budget })),
        );
        const rate = Math.min(...warm.map((w) => w.perSecond));
        const seconds = Math.max(2, Math.min(duration, Math.ceil(budget / rate)));
        const measured: Omit<RunResult, "backend" | "endpoint" | "rates">[] = [];
        const allRuns: Awaited<ReturnType<typeof wrk>>[] = [];
        for (let k = 0; k < repeats; k++) {
          const runs = await Promise.all(
            halls.map((h) => wrk({ ...share(h), seconds, maxRequests: budget })),
          );
          allRuns.push(...runs);
          measured.push({
            connections: runs.reduce((n, x) => n + x.connections, 0),
            requests: runs.reduce((n, x) => n + x.requests, 0),
            seconds: Math.max(...runs.map((x) => x.seconds)),
            perSecond: runs.reduce((n, x) => n + x.perSecond, 0),
            p50ms: Math.max(...runs.map((x) => x.p50ms)),
            p90ms: Math.max(...runs.map((x) => x.p90ms)),
            p99ms: Math.max(...runs.map((x) => x.p99ms)),
            maxms: Math.max(...runs.map((x) => x.maxms)),
            errors: runs.reduce((n, x) => n + x.errors, 0),
            non2xx: runs.reduce((n, x) => n + x.non2xx, 0),
            capped: runs.some((x) => x.capped),
          });
        }
        // The median run by rate (its own latencies), with every run's rate listed beside it.
        const sorted = [...measured].sort((x, y) => x.perSecond - y.perSecond);
        const r = {
          ...sorted[Math.floor((sorted.length - 1) / 2)],
          rates: measured.map((x) => x.perSecond),
        };
        const runs = allRuns;
        results.push({ backend, endpoint, ...r });
        if (endpoint === "dispatch") {
          const ok = (x: { requests: number; non2xx: number }) => x.requests - x.non2xx;
          const all = [...warm, ...runs].reduce((n, x) => n + ok(x), 0);
          acknowledged.set(backend, all);
        }
        console.error(
          `load: ${backend} ${endpoint}: ${r.perSecond.toFixed(0)}/s p99 ${r.p99ms.toFixed(2)} ms` +
            ` (${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors)`,
        );
      }
      if (backend === "floor") continue;
      const h = await health(halls[0]);
      console.error(`load: ${backend} store after the runs: ${JSON.stringify(h.counts ?? h)}`);
      if (endpoints.includes("dispatch")) {
        // Every acknowledged dispatch left a receipt: the chains must verify and hold at least
        // as many receipts as wrk counted 2xx answers (requests cut off at the end may add more).
        const res = await fetch(`${halls[0].url}/wcp/receipts/verify`, {
          headers: { authorization: `Bearer ${halls[0].token}` },
        });
        const report = await res.json() as {
          ok: boolean;
          tenants: { count: number; breaks: unknown[] }[];
        };
        const stored = report.tenants.reduce((n, t) => n + t.count, 0);
        const acked = acknowledged.get(backend) ?? 0;
        const line = `${backend}: ${stored} receipts in ${report.tenants.length} chains, ` +
          `verified ${report.ok ? "ok" : "BROKEN"}, ${acked} acknowledged dispatches`;
        console.error(`load: ${line}`);
        checks.push(line);
        if (!report.ok || stored < acked) failed = true;
      }
    } finally {
      await Promise.all(halls.map((h) => h.stop()));
      await pg?.stop();
    }
  }

  // Deno reads /proc only with --allow-all, so ask grep (already allowed to run programs).
  const cpuinfo = await new Deno.Command("grep", { args: ["-m1", "model name", "/proc/cpuinfo"] })
    .output().then((o) => new TextDecoder().decode(o.stdout), () => "");
  const cpu = cpuinfo.match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  console.log(
    `\n${navigator.hardwareConcurrency} cores (${cpu}), wrk -t${threads} -c${connections}, ` +
      `${hallThreads} thread(s) per hall, median of ${repeats} run(s), ` +
      `${tenants.length} tenants, PostgreSQL fsync ${durableText}, ` +
      `bounded by ${duration} s and ${maxRequests} requests per run\n`,
  );
  console.log(
    "| store | endpoint | requests | decisions/s | runs | p50 ms | p90 ms | p99 ms | non-2xx |",
  );
  console.log("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
  const per = hallThreads > 1 ? `, ${hallThreads} threads each` : "";
  const label: Record<string, string> = {
    sqlite: `SQLite (1 hall${per})`,
    postgres: `PostgreSQL (1 hall${per})`,
    "postgres-x2": `PostgreSQL (2 halls${per})`,
    floor: `no hall: bare Deno.serve${hallThreads > 1 ? `, ${hallThreads} threads` : ""}`,
  };
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  for (const r of results) {
    console.log(
      `| ${label[r.backend]} | \`POST /wcp/${r.endpoint}\` | ${n(r.requests)} | ` +
        `${n(r.perSecond)}${r.capped ? " (capped)" : ""} | ${r.rates.map(n).join(" / ")} | ` +
        `${r.p50ms.toFixed(2)} | ` +
        `${r.p90ms.toFixed(2)} | ${r.p99ms.toFixed(2)} | ${r.non2xx + r.errors} |`,
    );
  }
  if (checks.length) console.log(`\nreceipts: ${checks.join("; ")}`);
  if (a.json) {
    await Deno.writeTextFile(a.json, JSON.stringify({ results, checks }, null, 2) + "\n");
  }
  if (failed) fail("a receipt chain did not verify or lost acknowledged receipts");
}

if (import.meta.main) await main();
