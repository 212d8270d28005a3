// One tenant's telemetry page at scale, for one tree of this repository: 100,000 decisions of 4
// events on a SQLite file (every 1,000th of tenant "rare", the rest of 50 busy tenants) and
// 100,000 events on a PostgreSQL (the test helper starts one), then the median time of a page of a
// busy tenant, of "rare" and of a tenant with no events; also how long PostgreSQL took to append.
//   git worktree add /tmp/tt_before 5db4f8f
//   deno run --config tests/deno.json --no-lock -A scripts/bench_telemetry_tenant.ts /tmp/tt_before
//   deno run --config tests/deno.json --no-lock -A scripts/bench_telemetry_tenant.ts .
//   git worktree remove /tmp/tt_before
// deno-lint-ignore-file no-explicit-any
import { sharedPostgres } from "../tests/helpers/postgres.ts";

const root = new URL(`${Deno.args[0] ?? "."}/`, `file://${Deno.cwd()}/`).href;
const TENANTS = ["tenant-3", "rare", "nobody"];

async function medianPageMs(store: any, tenant: string, runs: number): Promise<string> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await store.pageTelemetry({ tenant_id: tenant });
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[runs >> 1].toFixed(2);
}

const tenantOf = (k: number) => (k % 1000 === 0 ? "rare" : `tenant-${k % 50}`);
const event = (k: number, i: number) => ({
  event_id: `e-${k}-${i}`,
  decision_id: `d-${k}`,
  correlation_id: `c-${k}`,
  timestamp: "2026-12-08T05:00:00.000Z",
  event: { event_id: `e-${k}-${i}`, tenant_id: tenantOf(k), detail: "x".repeat(400) },
});

{
  const { openSqliteStore } = await import(`${root}src/hall/store/sqlite/mod.ts`);
  const dir = await Deno.makeTempDir({ prefix: "wcp-tt-" });
  const store = await openSqliteStore(`${dir}/hall.sqlite`, { telemetryWorker: false });
  const batch: unknown[] = [];
  for (let k = 0; k < 100_000; k++) {
    for (let i = 0; i < 4; i++) batch.push(event(k, i));
    if (batch.length >= 4000) await store.appendTelemetry(batch.splice(0));
  }
  for (const t of TENANTS) {
    console.log(`sqlite page of ${t}: ${await medianPageMs(store, t, 5)} ms`);
  }
  await store.close();
  await Deno.remove(dir, { recursive: true });
}

{
  const { openPostgresStore } = await import(`${root}src/hall/store/postgres/mod.ts`);
  const pg = await sharedPostgres();
  const store = await openPostgresStore(pg.url, { schema: "telemetry_tenant_bench", max: 2 });
  const rows = Array.from({ length: 100_000 }, (_, k) => event(k, 0));
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += 5000) await store.appendTelemetry(rows.slice(i, i + 5000));
  console.log(`postgres append of 100,000 events: ${(performance.now() - t0).toFixed(0)} ms`);
  for (const t of TENANTS) {
    console.log(`postgres page of ${t}: ${await medianPageMs(store, t, 7)} ms`);
  }
  await store.close();
  await pg.stop();
}
