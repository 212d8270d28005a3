/**
 * In-process profile of the hall's request path, without the network or a load tool: calls
 * `createHallApp(...).fetch` directly, so the figure is the ceiling one hall instance can reach
 * on one core. Run with `--cpu-prof` to see where the time goes.
 *
 * usage: deno run --allow-read --allow-write --allow-env --allow-net=127.0.0.1 \
 *          scripts/load/profile_route.ts [--endpoint route|dispatch] [--requests 20000]
 *          [--concurrency 32] [--database-url postgres://…]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import type { HallStore } from "../../src/hall/store/types.ts";
import { createHallApp } from "../../src/hall/app.ts";
import {
  DEMO_WORKERS,
  enrollDemoWorkers,
  ensureAdminToken,
  EXAMPLE_RULES,
} from "../../src/hall/bootstrap.ts";
import { TEST_ADMIN_TOKEN } from "./hall_process.ts";

const a = parseArgs({
  args: Deno.args,
  options: {
    endpoint: { type: "string", default: "route" },
    requests: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "32" },
    "database-url": { type: "string" },
  },
}).values;
const total = Number(a.requests);
const concurrency = Number(a.concurrency);
const dir = await Deno.makeTempDir({ prefix: "wcp-prof-" });
const store: HallStore = a["database-url"]
  ? await openPostgresStore(a["database-url"])
  : await openSqliteStore(`${dir}/hall.sqlite`);
await ensureAdminToken(store, Date.now(), TEST_ADMIN_TOKEN);
await enrollDemoWorkers(store, Date.now());
const hall = await createHallApp({
  store,
  rules: EXAMPLE_RULES,
  inProcessWorkers: DEMO_WORKERS,
  allowedHosts: ["127.0.0.1"],
  rateLimitPerMinute: 0,
});
const url = `http://127.0.0.1/wcp/${a.endpoint}`;
const headers = {
  authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
  "content-type": "application/json",
  host: "127.0.0.1",
};
let sent = 0;
let ok = 0;
const statuses = new Map<number, number>();
const one = async () => {
  while (sent < total) {
    const i = sent++;
    const body = JSON.stringify({
      correlation_id: crypto.randomUUID(),
      tenant_id: `tenant-${i % 8}`,
      env: "dev",
      data_label: "INTERNAL",
      tenant_risk: "low",
      qos_class: "P2",
      capability_id: "cap.doc.summarize",
      request: { text: "hello" },
    });
    // Content-Length as a real client sends it (without it Hono's body limit streams the body).
    const res = await hall.fetch(
      new Request(url, {
        method: "POST",
        headers: { ...headers, "content-length": String(new TextEncoder().encode(body).length) },
        body,
      }),
    );
    await res.arrayBuffer();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status === 200) ok++;
  }
};
// Warm-up, then measure.
const warm = sent;
await Promise.all(Array.from({ length: concurrency }, one));
const t0 = performance.now();
sent = 0;
ok = 0;
statuses.clear();
await Promise.all(Array.from({ length: concurrency }, one));
const ms = performance.now() - t0;
console.log(
  `${a.endpoint}: ${total} requests in ${ms.toFixed(0)} ms = ${(total / ms * 1000).toFixed(0)}/s ` +
    `(statuses ${JSON.stringify(Object.fromEntries(statuses))}, warm-up ${warm})`,
);
await hall.close();
await store.close();
await Deno.remove(dir, { recursive: true });
