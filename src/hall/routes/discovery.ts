/**
 * WCP discovery (spec 5.6): `GET /wcp/health`, `GET /wcp/capabilities`, `GET /wcp/workers`.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { checkHallCompliance, type ComplianceReport } from "../../catalog/compliance.ts";
import { servesTenant } from "../../registry/registry.ts";
import type { Hall } from "../hall.ts";
import { type HallEnv, principal } from "../_http.ts";
import { Health, page, Worker, WorkerSummary } from "../api_schemas.ts";
import { decodeCursor, PAGE_DEFAULT, pageBody, pageParams } from "../_paging.ts";
import type { Registry } from "../../registry/registry.ts";
import { namespaceOf } from "../middleware/auth.ts";
import { storeHealthOf } from "../store_guard.ts";
import { fails, mount, operation } from "./_declare.ts";
import { workerUnknown, workerView } from "./workers.ts";

/** The discovery operations (spec 5.6). */
export const discoveryOps = {
  health: operation({
    method: "get",
    path: "/wcp/health",
    operationId: "getHealth",
    summary: "Health, compliance level, features, counts",
    tag: "discovery",
    auth: "public",
    responses: {
      200: { description: "Serving", schema: Health },
      503: { description: "Degraded: the store fails (reason, store.error)", schema: Health },
    },
  }),
  capabilities: operation({
    method: "get",
    path: "/wcp/capabilities",
    operationId: "listCapabilities",
    summary:
      "Capabilities served by enrolled workers, by id, one page (?limit&cursor): how many workers serve each and their species; the workers of one are GET /wcp/workers?capability=",
    tag: "discovery",
    auth: "token",
    query: z.strictObject(pageParams),
    responses: {
      200: {
        description: "A page of capabilities",
        schema: page(
          "capabilities",
          z.object({
            capability_id: z.string(),
            worker_count: z.number().int().min(1),
            worker_species: z.array(z.string()),
          }),
        ),
      },
    },
  }),
  workers: operation({
    method: "get",
    path: "/wcp/workers",
    operationId: "listWorkers",
    summary:
      "Enrolled workers in enrolment order, one page (?namespace&capability&limit&cursor&detail); a namespace token gets its own (view full) and the active workers serving its tenant (view shared: routing fields only)",
    tag: "discovery",
    auth: "token",
    query: z.strictObject({
      namespace: z.string().max(200, { error: "at most 200 characters" }).optional(),
      capability: z.string().min(1, { error: "must not be empty" }).max(200, {
        error: "at most 200 characters",
      }).optional().describe("Only workers declaring this capability"),
      ...pageParams,
      detail: z.enum(["summary", "full"], { error: "one of summary, full" }).optional()
        .describe(
          "summary (default): rows without the record (its species and capabilities only); full: the rows GET /wcp/workers/{id} answers",
        ),
    }),
    responses: {
      200: {
        description: "A page of workers",
        schema: page("workers", z.union([WorkerSummary, Worker])),
      },
    },
  }),
  worker: operation({
    method: "get",
    path: "/wcp/workers/{id}",
    operationId: "getWorker",
    summary: "One worker; 404 WORKER_UNKNOWN also for a worker the caller may not see",
    tag: "discovery",
    auth: "token",
    params: z.object({ id: z.string() }),
    responses: {
      200: { description: "The worker", schema: Worker },
      404: fails("WORKER_UNKNOWN"),
    },
  }),
};

/** Features this hall implements (reported by `/wcp/health`). */
export const FEATURES = [
  "capability_routing",
  "fail_closed",
  "deterministic_decisions",
  "controls_enforcement",
  "mandatory_telemetry",
  "dry_run",
  "blast_radius",
  "privilege_envelopes",
  "policy_gate",
  "human_approval",
  "evidence_receipts",
  "receipt_chain_per_tenant",
  "merkle_checkpoints",
  "discovery_api",
  "signatory_tenants",
  "worker_attestation",
  "ban_list",
  "worker_chains",
  "live_events",
  "hot_reload_rules",
] as const;

/**
 * The compliance level of this hall's configuration, by the same function as `wcp check hall.json`
 * (`checkHallCompliance`): its floors, the rules in force, whether a policy gate is configured;
 * receipts, telemetry, dry run and discovery are always on here.
 */
export function hallCompliance(hall: Hall): ComplianceReport {
  return checkHallCompliance({
    hall_config: hall.config,
    rules: { rules: hall.rules.rules },
    ...(hall.hasPolicyGate ? { policy_gate: true } : {}),
  });
}

/** Public health (no token needed); `authed` adds counts. */
export function healthRoute(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();
  mount(app, discoveryOps.health, async (c) => {
    // A store that failed is probed with a small write: a full disk still answers reads.
    const guard = storeHealthOf(hall.store);
    if (guard?.failing) await guard.probe();
    const failing = guard?.failing ??
      (await hall.store.ping()
        ? null
        : { reason: `the ${hall.store.backend} store does not answer`, since: null });
    const ok = failing === null;
    const counts = ok ? await hall.store.counts().catch(() => null) : null;
    const compliance = hallCompliance(hall);
    const body = {
      status: ok ? "ok" : "degraded",
      ...(failing ? { reason: `store: ${failing.reason}` } : {}),
      wcp_version: "0.1",
      api_version: 1,
      compliance_level: compliance.achieved_level,
      compliance_gaps: compliance.gaps,
      features: FEATURES,
      counts: counts
        ? {
          ...counts,
          rules: hall.rules.rules.length,
          shadow_warnings: hall.rules.shadowWarnings.length,
          event_subscribers: hall.events.subscriberCount,
        }
        : null,
      store: {
        backend: hall.store.backend,
        ok,
        // Why the store is failing and since when (null while it works or only stops answering).
        error: failing,
        migration_version: ok ? await hall.store.migrationVersion().catch(() => null) : null,
      },
      telemetry: {
        sinks: hall.telemetry.sinks,
        errors: hall.telemetry.sinkErrors,
        // Where the store writes telemetry (SQLite: its own thread, or why the serving thread).
        writer: hall.telemetry.writer,
      },
      // The registry mirror: full loads (start only), refreshes, rows read and applied, version.
      registry_sync: { ...hall.registrySync },
      floors: {
        require_signatory: hall.config.require_signatory,
        require_worker_attestation: hall.config.require_worker_attestation,
        enforce_privilege_envelopes: hall.config.enforce_privilege_envelopes,
        approval_ttl_seconds: hall.config.approval_ttl_seconds,
      },
      rules_loaded_at: hall.rulesLoadedAt,
      threads: hall.thread,
      uptime_seconds: Math.floor((hall.now() - hall.startedAt) / 1000),
    };
    return c.json(body, ok ? 200 : 503);
  });
  return app;
}

/**
 * Capabilities and workers (any token). A namespace token lists and reads only its own
 * namespace's workers and the active workers that serve its tenant
 * (docs/protocol/trust.md#tenant-binding); any other worker is answered as unknown.
 */
export function discoveryRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();
  mount(app, discoveryOps.capabilities, (c, { query }) => {
    const p = principal(c);
    const after = decodeCursor("capabilities", query.cursor, ["string"]);
    const ns = p.role === "admin" ? null : p.namespace;
    const all = capabilityIndex(hall.registry, ns);
    // The first capability after the cursor's id (binary search over the sorted index).
    let lo = 0;
    if (after !== null) {
      const id = after[0] as string;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (all[mid].capability_id <= id) lo = mid + 1;
        else hi = mid;
      }
    }
    const limit = query.limit ?? PAGE_DEFAULT;
    const rows = all.slice(lo, lo + limit);
    const next = lo + limit < all.length ? [rows[rows.length - 1].capability_id] : null;
    return c.json(pageBody("capabilities", "capabilities", rows, next));
  });
  mount(app, discoveryOps.workers, async (c, { query }) => {
    const p = principal(c);
    const after = decodeCursor("workers", query.cursor, ["string", "string"]);
    if (p.role !== "admin" && p.namespace === null) {
      return c.json(pageBody("workers", "workers", [], null));
    }
    const rows = await hall.store.pageWorkers({
      ...(query.namespace ? { namespace: query.namespace } : {}),
      ...(query.capability ? { capability: query.capability } : {}),
      // A namespace token pages only what it may see (the store filters, so every page's last
      // row, hence its cursor, is one of those).
      ...(p.role === "admin" ? {} : { visible_to: p.namespace! }),
      after,
      ...(query.limit ? { limit: query.limit } : {}),
    });
    const full = query.detail === "full";
    const workers = rows.rows.map((w) => {
      const view = workerView(p, w);
      return view && !full ? workerSummary(view) : view;
    }).filter((w) => w !== null);
    return c.json(pageBody("workers", "workers", workers, rows.next));
  });
  mount(app, discoveryOps.worker, async (c, { params }) => {
    const row = await hall.store.getWorker(params.id);
    const view = row ? workerView(principal(c), row) : null;
    if (!view) throw workerUnknown();
    return c.json(view);
  });
  return app;
}

// A worker's page row: its view without the record, but the record's species and capabilities.
function workerSummary(view: Record<string, unknown>): Record<string, unknown> {
  const { record, ...rest } = view as { record: Record<string, unknown> };
  return {
    ...rest,
    worker_species_id: record.worker_species_id,
    capabilities: record.capabilities,
  };
}

type CapabilityCount = ReturnType<Registry["capabilityCounts"]>[number];

// The capability index of a registry as one caller may see it (null: an admin; else a
// namespace: its own workers and the active ones serving its tenant), built once per registry
// version (one pass over the records), so a page is a binary search and a slice.
const capabilityCache = new WeakMap<
  Registry,
  { version: number; byScope: Map<string | null, CapabilityCount[]> }
>();

function capabilityIndex(registry: Registry, ns: string | null): CapabilityCount[] {
  let c = capabilityCache.get(registry);
  if (!c || c.version !== registry.version) {
    c = { version: registry.version, byScope: new Map() };
    capabilityCache.set(registry, c);
  }
  let rows = c.byScope.get(ns);
  if (!rows) {
    rows = registry.capabilityCounts((w) =>
      w.status !== "revoked" &&
      (ns === null || namespaceOf(w.worker_id) === ns || servesTenant(w, ns))
    );
    // Bounded: one entry per namespace that asked since the last registry change.
    if (c.byScope.size >= 256) c.byScope.clear();
    c.byScope.set(ns, rows);
  }
  return rows;
}
