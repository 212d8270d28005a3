/**
 * Test helpers: a hall over an in-memory SQLite store with the example rules and demo workers,
 * `hallTest` (a test over a fresh hall, stopped whatever happens), and the few requests most hall
 * tests repeat (a namespace and its token, a held request, resolving an approval).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  buildManifest,
  packageHashFromContents,
  type SigningKey,
  signManifestEd25519,
} from "../../src/attestation/mod.ts";
import type { NamespaceGrant } from "../../src/client/wire.ts";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { createHallApp, type HallApp, type HallAppOptions } from "../../src/hall/app.ts";
import {
  DEMO_WORKERS,
  enrollDemoWorkers,
  ensureAdminToken,
  EXAMPLE_HALL_CONFIG,
  EXAMPLE_RULES,
} from "../../src/hall/bootstrap.ts";
import { compileGate, GateConfigSchema } from "../../src/hall/file_config.ts";
import { hashToken } from "../../src/hall/middleware/auth.ts";
import { recordHashJcs } from "../../src/registry/registry.ts";
import type { HallStore } from "../../src/hall/store/types.ts";

export const ADMIN = "wcp_test-admin-token-0123456789abcdef0123456789abc";
/**
 * A second admin token: the supervisor who resolves holds raised with `ADMIN` (a token cannot
 * resolve its own hold: spec README decision 19).
 */
export const APPROVER = "wcp_test-approver-token-0123456789abcdef012345678";
/** The label of the `APPROVER` token. */
export const APPROVER_LABEL = "approver (tests)";

/** Deno.test options of hall tests: the hall keeps timers and streams open across a test. */
export const HALL_TEST = { sanitizeOps: false, sanitizeResources: false };

/** A response's JSON body, untyped: tests read into it freely. */
// deno-lint-ignore no-explicit-any
export async function j(res: Response): Promise<any> {
  return await res.json();
}

/** The `error` object of an error body. */
export function err(body: Record<string, unknown>): Record<string, unknown> {
  return body.error as Record<string, unknown>;
}

/** `req`'s options: `token` (default the admin's, null for none) and a `json` body. */
export type TestRequestInit = RequestInit & { token?: string | null; json?: unknown };

/** A test hall and a request helper that adds the admin token. */
export interface TestHall extends HallApp {
  store: HallStore;
  req: (path: string, init?: TestRequestInit) => Promise<Response>;
  /** `POST /wcp/namespaces` as admin (asserting 201): the namespace and its owner token. */
  grant: (namespace?: string, tier?: string) => Promise<NamespaceGrant>;
  /** `POST /wcp/route` of a request the example rules hold for a human: its approval id. */
  hold: (over?: Record<string, unknown>, token?: string | null) => Promise<string>;
  /**
   * `POST /wcp/approvals/:id/resolve` with `decision` (as the second admin, `APPROVER`, unless
   * `token` is given).
   */
  resolve: (id: string, decision: "approve" | "deny", token?: string | null) => Promise<Response>;
  stop: () => Promise<void>;
}

/**
 * A summarizer worker record `id` (the demo capability, the audit-log control) with `extra`
 * fields, its `artifact_hash` computed last.
 */
export function summarizerRecord(
  id: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const r: Record<string, unknown> = {
    worker_id: id,
    worker_species_id: "wrk.doc.summarizer",
    capabilities: ["cap.doc.summarize"],
    currently_implements: ["ctrl.obs.audit-log-append-only"],
    ...extra,
  };
  r.artifact_hash = recordHashJcs(r);
  return r;
}

/** The token id of the hall's token labelled `label` (`GET /wcp/tokens` as admin). */
export async function tokenIdOf(h: Pick<TestHall, "req">, label: string): Promise<string> {
  const tokens = (await j(await h.req("/wcp/tokens"))).tokens as {
    token_id: string;
    label: string;
  }[];
  const found = tokens.find((t) => t.label === label);
  assert.ok(found, `no token labelled ${label}`);
  return found.token_id;
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

/** An attestation submission: `contents` hashed as a package, its manifest signed with `key`. */
export async function signedSubmission(
  key: SigningKey,
  workerId: string,
  contents: Record<string, string>,
): Promise<{ manifest: Record<string, unknown>; files: unknown[] }> {
  const computed = packageHashFromContents(contents);
  const manifest = await signManifestEd25519(
    buildManifest({
      packageHash: computed,
      workerId,
      workerSpeciesId: "wrk.doc.summarizer",
      workerVersion: "1.0.0",
    }),
    key,
  );
  return { manifest: manifest as Record<string, unknown>, files: computed.files };
}

export async function testHall(over: Partial<HallAppOptions> = {}): Promise<TestHall> {
  const store = over.store ?? await openSqliteStore(":memory:");
  await ensureAdminToken(store, Date.now(), ADMIN);
  if (!(await store.findToken(hashToken(APPROVER)))) {
    await store.createToken({
      token_id: `tok_approver_${crypto.randomUUID().slice(0, 8)}`,
      token_hash: hashToken(APPROVER),
      role: "admin",
      namespace: null,
      label: APPROVER_LABEL,
      created_at: new Date().toISOString(),
      revoked_at: null,
    });
  }
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
    // As a real client sends it (Host, Content-Length), through the hall's own fetch handler,
    // so requests the route fast lane takes are tested through it.
    if (!headers.has("host")) headers.set("host", "localhost");
    if (typeof body === "string" && !headers.has("content-length")) {
      headers.set("content-length", String(new TextEncoder().encode(body).length));
    }
    const request = new Request(`http://localhost${path}`, { ...init, headers, body });
    return Promise.resolve(h.fetch(request));
  };
  return {
    ...h,
    store,
    req,
    grant: async (namespace = "org.acme", tier = "free") => {
      const r = await req("/wcp/namespaces", {
        method: "POST",
        json: { namespace, tier, owner: namespace.split(".")[1] },
      });
      const body = await j(r);
      assert.equal(r.status, 201, JSON.stringify(body));
      return body;
    },
    hold: async (over = {}, token) => {
      const r = await req("/wcp/route", {
        method: "POST",
        token,
        json: routeInput({ capability_id: "cap.msg.notify", ...over }),
      });
      const d = await j(r);
      assert.equal(d.outcome, "STEWARD_HOLD", JSON.stringify(d));
      return String(d.pending_approval_id);
    },
    resolve: (id, decision, token = APPROVER) =>
      req(`/wcp/approvals/${id}/resolve`, { method: "POST", token, json: { decision } }),
    stop: async () => {
      await h.close();
      await store.close();
    },
  };
}

/** Runs `fn` on a fresh test hall (see `testHall`) and stops the hall afterwards, pass or fail. */
export async function withHall<T>(
  over: Partial<HallAppOptions>,
  fn: (h: TestHall) => Promise<T>,
): Promise<T> {
  const h = await testHall(over);
  try {
    return await fn(h);
  } finally {
    await h.stop();
  }
}

/** `Deno.test` over a fresh test hall (options `over`, made when the test runs), stopped after. */
export function hallTest(name: string, fn: (h: TestHall) => Promise<void>): void;
export function hallTest(
  name: string,
  over: () => Partial<HallAppOptions>,
  fn: (h: TestHall) => Promise<void>,
): void;
export function hallTest(
  name: string,
  a: (() => Partial<HallAppOptions>) | ((h: TestHall) => Promise<void>),
  b?: (h: TestHall) => Promise<void>,
): void {
  const [over, fn] = b
    ? [a as () => Partial<HallAppOptions>, b]
    : [() => ({}), a as (h: TestHall) => Promise<void>];
  Deno.test({ name, ...HALL_TEST, fn: () => withHall(over(), fn) });
}
