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
import { Health, list, Worker } from "../api_schemas.ts";
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
    summary: "Capabilities served by enrolled workers",
    tag: "discovery",
    auth: "token",
    responses: {
      200: {
        description: "Capabilities with the workers and species serving them",
        schema: list(
          "capabilities",
          z.object({
            capability_id: z.string(),
            workers: z.array(z.string()),
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
      "Enrolled workers (?namespace=); a namespace token gets its own (view full) and the active workers serving its tenant (view shared: routing fields only)",
    tag: "discovery",
    auth: "token",
    query: z.object({ namespace: z.string().optional() }),
    responses: { 200: { description: "Workers", schema: list("workers", Worker) } },
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
      telemetry: { sinks: hall.telemetry.sinks, errors: hall.telemetry.sinkErrors },
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
 * namespace's workers and the active workers that serve its tenant (spec README decision 18);
 * any other worker is answered as unknown.
 */
export function discoveryRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();
  mount(app, discoveryOps.capabilities, (c) => {
    const p = principal(c);
    const ns = p.role === "admin" ? null : p.namespace;
    const byCap = new Map<string, { workers: string[]; species: Set<string> }>();
    for (const w of hall.registry.workers()) {
      if (w.status === "revoked") continue;
      if (ns !== null && namespaceOf(w.worker_id) !== ns && !servesTenant(w, ns)) continue;
      for (const cap of w.capabilities) {
        const e = byCap.get(cap) ?? { workers: [], species: new Set<string>() };
        e.workers.push(w.worker_id);
        e.species.add(w.worker_species_id);
        byCap.set(cap, e);
      }
    }
    const capabilities = [...byCap.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      .map(([capability_id, e]) => ({
        capability_id,
        workers: e.workers,
        worker_species: [...e.species].sort(),
      }));
    return c.json({ capabilities, count: capabilities.length });
  });
  mount(app, discoveryOps.workers, async (c, { query }) => {
    const p = principal(c);
    const ns = query.namespace;
    const rows = await hall.store.listWorkers(ns ? { namespace: ns } : {});
    const workers = rows.map((w) => workerView(p, w)).filter((w) => w !== null);
    return c.json({ workers, count: workers.length });
  });
  mount(app, discoveryOps.worker, async (c, { params }) => {
    const row = await hall.store.getWorker(params.id);
    const view = row ? workerView(principal(c), row) : null;
    if (!view) throw workerUnknown();
    return c.json(view);
  });
  return app;
}
