/**
 * Test helpers: a hall over an in-memory SQLite store with the example rules and demo workers.
 *
 * @module
 */

import { openSqliteStore } from "../../src/adapters/store/sqlite.ts";
import { createHallApp, type HallApp, type HallAppOptions } from "../../src/hall/app.ts";
import {
  DEMO_WORKERS,
  enrollDemoWorkers,
  ensureAdminToken,
  EXAMPLE_HALL_CONFIG,
  EXAMPLE_RULES,
} from "../../src/hall/bootstrap.ts";
import { compileGate, GateConfigSchema } from "../../src/hall/file_config.ts";
import type { HallStore } from "../../src/hall/store/types.ts";

export const ADMIN = "wcp_test-admin-token-0123456789abcdef0123456789abc";

/** A test hall and a request helper that adds the admin token. */
export interface TestHall extends HallApp {
  store: HallStore;
  req: (
    path: string,
    init?: RequestInit & { token?: string | null; json?: unknown },
  ) => Promise<Response>;
  stop: () => Promise<void>;
}

export function routeInput(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    correlation_id: crypto.randomUUID(),
    tenant_id: "acme",
    env: "dev",
    data_label: "INTERNAL",
    tenant_risk: "low",
    qos_class: "P2",
    capability_id: "cap.doc.summarize",
    request: { text: "Hello world. Second sentence." },
    ...over,
  };
}

export async function testHall(over: Partial<HallAppOptions> = {}): Promise<TestHall> {
  const store = over.store ?? await openSqliteStore(":memory:");
  await ensureAdminToken(store, Date.now(), ADMIN);
  if ((await store.listWorkers()).length === 0) await enrollDemoWorkers(store, Date.now());
  const h = await createHallApp({
    store,
    rules: EXAMPLE_RULES,
    policyGate: compileGate(GateConfigSchema.parse(EXAMPLE_HALL_CONFIG.policy_gate)),
    inProcessWorkers: DEMO_WORKERS,
    ...over,
  });
  const req: TestHall["req"] = (path, init = {}) => {
    const headers = new Headers(init.headers);
    const token = init.token === undefined ? ADMIN : init.token;
    if (token) headers.set("authorization", `Bearer ${token}`);
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers.set("content-type", "application/json");
    }
    return Promise.resolve(h.app.request(`http://localhost${path}`, { ...init, headers, body }));
  };
  return {
    ...h,
    store,
    req,
    stop: async () => {
      await h.close();
      await store.close();
    },
  };
}
