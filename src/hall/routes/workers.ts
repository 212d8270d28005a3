/**
 * Worker enrolment, update, revocation and attestation. Namespace tokens act only inside their
 * own namespace; tier limits cap the workers per namespace.
 *
 * Trust boundaries (docs/protocol/trust.md#tenant-binding and docs/protocol/trust.md#tamper):
 * - a worker enrolled with a namespace token serves that namespace's tenant only (`tenants` is
 *   set to `[<namespace>]` when absent); a namespace token may narrow `tenants`, never widen it
 *   (403 `TENANTS_FORBIDDEN`); only an admin lists other tenants or `"*"`; a PUT without
 *   `tenants` keeps the worker's current value;
 * - a namespace owner's PUT never changes the registered `attestation.code_hash` (403
 *   `ATTESTATION_CHANGE_FORBIDDEN`; omitted, the registered attestation is kept): new code is
 *   registered by a verified attestation (the first one), by an admin's PUT, or by an admin's
 *   `clear-tamper` with `register_current`;
 * - a tamper flag is cleared only by an admin (`POST /wcp/workers/:id/clear-tamper`) or by a
 *   verified attestation whose package hash is the registered one; no PUT clears it.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { z } from "zod";
import { packageHash } from "../../attestation/package_hash.ts";
import { manifestMode, verifyManifest } from "../../attestation/verify.ts";
import { trustedKeysFromRecord } from "../../attestation/ed25519.ts";
import { WcpError } from "../../errors.ts";
import { normalizeDigest } from "../../encoding/hash.ts";
import type { RegistryRecord } from "../../model.ts";
import {
  recordHashJcs,
  recordHashPyCompat,
  Registry,
  servesTenant,
} from "../../registry/registry.ts";
import { type HallEnv, principal } from "../_http.ts";
import {
  AttestationRefused,
  AttestationResult,
  AttestationState,
  RegistryRecord as RecordSchema,
  Worker,
} from "../api_schemas.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { AttestationBody, ClearTamperBody, JsonObject } from "../schemas.ts";
import { namespaceOf, type Principal, requireAdmin, requireNamespace } from "../middleware/auth.ts";
import type { WorkerRow } from "../store/types.ts";
import { fails, mount, operation } from "./_declare.ts";

const Id = z.object({ id: z.string().describe("worker_id") });

/** The worker operations. */
export const workerOps = {
  enrol: operation({
    method: "post",
    path: "/wcp/workers",
    operationId: "enrolWorker",
    summary:
      'Enrol a worker (record with artifact_hash); a namespace token\'s worker serves its own tenant (tenants: [namespace]; others or "*" need an admin, 403 TENANTS_FORBIDDEN)',
    tag: "workers",
    auth: "token",
    // Any object: the core validates the record and names the field.
    body: JsonObject,
    bodyDoc: RecordSchema,
    responses: {
      201: { description: "Enrolled", schema: Worker },
      409: fails("WORKER_EXISTS"),
    },
  }),
  update: operation({
    method: "put",
    path: "/wcp/workers/{id}",
    operationId: "updateWorker",
    summary:
      "Update a worker record (tenants kept when omitted; a namespace token never widens them nor changes the registered attestation.code_hash: 403 ATTESTATION_CHANGE_FORBIDDEN; the tamper flag is kept)",
    tag: "workers",
    auth: "token",
    params: Id,
    body: JsonObject,
    bodyDoc: RecordSchema,
    responses: {
      200: { description: "Updated", schema: Worker },
      404: fails("WORKER_UNKNOWN"),
      409: fails("WORKER_REVOKED"),
    },
  }),
  revoke: operation({
    method: "post",
    path: "/wcp/workers/{id}/revoke",
    operationId: "revokeWorker",
    summary: "Revoke a worker",
    tag: "workers",
    auth: "token",
    params: Id,
    responses: {
      200: { description: "Revoked", schema: Worker },
      404: fails("WORKER_UNKNOWN"),
      409: fails("WORKER_REVOKED: already revoked"),
    },
  }),
  attestation: operation({
    method: "get",
    path: "/wcp/workers/{id}/attestation",
    operationId: "getWorkerAttestation",
    summary: "Attestation state (owner namespace and admins; 404 for anyone else)",
    tag: "workers",
    auth: "token",
    params: Id,
    responses: {
      200: { description: "The attestation state", schema: AttestationState },
      404: fails("WORKER_UNKNOWN"),
    },
  }),
  attest: operation({
    method: "post",
    path: "/wcp/workers/{id}/attestation",
    operationId: "attestWorker",
    summary:
      "Submit a package manifest with the per-file digests; the hall recomputes the package hash and accepts it only if the manifest signature (Ed25519 key of the worker's namespace in the record, or the HMAC secret) covers it; 422 with error.code ATTEST_* otherwise",
    tag: "workers",
    auth: "token",
    params: Id,
    body: AttestationBody,
    responses: {
      200: { description: "Verified", schema: AttestationResult },
      404: fails("WORKER_UNKNOWN"),
      422: { description: "Not verified (error.code ATTEST_*)", schema: AttestationRefused },
    },
  }),
  clearTamper: operation({
    method: "post",
    path: "/wcp/workers/{id}/clear-tamper",
    operationId: "clearWorkerTamper",
    summary:
      "Clear a tamper flag; register_current registers the verified current hash, else 409 TAMPER_UNRESOLVED while it differs from the registered one",
    tag: "workers",
    auth: "admin",
    params: Id,
    body: ClearTamperBody,
    responses: {
      200: { description: "Cleared", schema: Worker },
      404: fails("WORKER_UNKNOWN"),
      409: fails("WORKER_NOT_FLAGGED or TAMPER_UNRESOLVED"),
    },
  }),
};

/** A worker row as the API shows it to an admin or its own namespace (the `full` view). */
export function publicWorker(w: WorkerRow): Record<string, unknown> {
  return {
    worker_id: w.worker_id,
    namespace: w.namespace,
    status: w.status,
    view: "full",
    flagged: w.flagged,
    current_hash: w.current_hash,
    attestation_verified: w.attestation?.verified ?? null,
    enrolled_at: w.enrolled_at,
    updated_at: w.updated_at,
    record: w.record,
  };
}

// What another namespace's token sees of a worker that serves its tenant: enough to route to it,
// none of the owner's keys, endpoint, contacts, attestation, tenant list or incidents.
const SHARED_RECORD_FIELDS = [
  "worker_id",
  "worker_species_id",
  "capabilities",
  "risk_tier",
  "idempotency",
  "determinism",
  "required_controls",
  "currently_implements",
  "allowed_environments",
  "blast_radius",
  "status",
] as const;

function sharedWorker(w: WorkerRow): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const f of SHARED_RECORD_FIELDS) {
    if (w.record[f] !== undefined) record[f] = structuredClone(w.record[f]);
  }
  return {
    worker_id: w.worker_id,
    namespace: w.namespace,
    status: w.status,
    view: "shared",
    flagged: null,
    current_hash: null,
    attestation_verified: null,
    enrolled_at: w.enrolled_at,
    updated_at: w.updated_at,
    record,
  };
}

/**
 * A worker as `p` may see it, or null when it may not (docs/protocol/trust.md#tenant-binding):
 * admins and the worker's own namespace see everything; another namespace's token sees an active
 * worker that serves its tenant in the `shared` view, and nothing of the others (answered as
 * unknown).
 */
export function workerView(p: Principal, w: WorkerRow): Record<string, unknown> | null {
  if (p.role === "admin" || w.namespace === p.namespace) return publicWorker(w);
  if (p.namespace === null || w.status === "revoked") return null;
  return servesTenant(w.record, p.namespace) ? sharedWorker(w) : null;
}

/** 404 `WORKER_UNKNOWN`: the same answer for an unknown worker and one the caller may not see. */
export function workerUnknown(): HttpError {
  return new HttpError(404, "WORKER_UNKNOWN", "no such worker", { path: "worker_id" });
}

// Re-validate a record after the hall changed fields of it (its artifact_hash is recomputed).
function reenroll(record: RegistryRecord, change: Record<string, unknown>): RegistryRecord {
  const { artifact_hash: _old, ...rest } = record;
  return validateRecord({ ...rest, ...change });
}

// Decision 18: which tenants a worker serves (see the module comment). Returns the fields the
// hall sets on the record (none when it keeps the record as given).
function tenantBinding(
  p: Principal,
  record: RegistryRecord,
  ns: string,
  existing: RegistryRecord | null,
): Record<string, unknown> {
  if (record.tenants === undefined) {
    if (existing?.tenants !== undefined) return { tenants: existing.tenants };
    if (!existing && p.role !== "admin") return { tenants: [ns] };
    return {}; // an admin's worker without tenants serves everyone
  }
  if (p.role === "admin") return {};
  const everyone = existing !== null &&
    (existing.tenants === undefined || existing.tenants.includes("*"));
  record.tenants.forEach((t, i) => {
    const granted = t === "*"
      ? everyone
      : t === ns || (existing !== null && servesTenant(existing, t));
    if (!granted) {
      throw new HttpError(
        403,
        "TENANTS_FORBIDDEN",
        `tenants[${i}]: a worker enrolled with this token serves tenant '${ns}'; serving ` +
          `${t === "*" ? 'every tenant ("*")' : `'${t}'`} needs an admin`,
        { path: "tenants" },
      );
    }
  });
  return {};
}

// A namespace owner never changes the registered code hash with a PUT (an unsigned claim): the
// attestation is kept when omitted and must name the registered hash when given.
function attestationGuard(
  p: Principal,
  record: RegistryRecord,
  existing: WorkerRow,
): Record<string, unknown> {
  if (p.role === "admin") return {};
  const registered = existing.record.attestation?.code_hash ?? null;
  if (registered === null && !existing.flagged) return {};
  if (record.attestation === undefined) {
    return existing.record.attestation ? { attestation: existing.record.attestation } : {};
  }
  const given = record.attestation.code_hash;
  if (given === registered) return {};
  const flaggedHash = existing.flagged && given === existing.current_hash;
  throw new HttpError(
    403,
    "ATTESTATION_CHANGE_FORBIDDEN",
    flaggedHash
      ? "attestation.code_hash: this is the hash flagged as tampered; only an admin can accept " +
        "it (POST /wcp/workers/:id/clear-tamper with register_current)"
      : `attestation.code_hash: a namespace token cannot change the registered code hash ` +
        `(${registered ?? "none"}); new code is registered by an admin`,
    { path: "attestation.code_hash", extra: { registered_hash: registered } },
  );
}

function validateRecord(body: Record<string, unknown>): RegistryRecord {
  // artifact_hash is the record's own digest (recordHashJcs: sha256 of the JCS form without
  // artifact_hash): omitted, the hall computes it; given, it must match (the core names the recipe).
  if (body.endpoint !== undefined) {
    let ok = false;
    try {
      const u = new URL(String(body.endpoint));
      ok = u.protocol === "http:" || u.protocol === "https:";
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new HttpError(400, "RECORD_INVALID", "endpoint: must be an http(s) URL", {
        path: "endpoint",
      });
    }
  }
  let record: RegistryRecord;
  try {
    record = new Registry().enroll(body);
  } catch (e) {
    if (e instanceof WcpError) {
      throw new HttpError(400, e.code, e.message, { path: e.path });
    }
    throw e;
  }
  // The hall re-reads the stored form (attestation.code_hash normalised to sha256:<hex>), so it
  // must verify on its own: a hash that matched only the record as sent would be stored and then
  // refused by every later load.
  const own = recordHashJcs(record);
  if (record.artifact_hash !== own && record.artifact_hash !== recordHashPyCompat(record)) {
    throw new HttpError(
      400,
      "RECORD_INVALID",
      `artifact_hash: matches the record as sent, not its stored form (attestation.code_hash ` +
        `normalised to sha256:<hex>): expected ${own}, the SHA-256 of the JCS form of the ` +
        "normalised record without artifact_hash; omit it and the hall computes it",
      { path: "artifact_hash" },
    );
  }
  return record;
}

async function checkBanned(hall: Hall, record: RegistryRecord): Promise<void> {
  const h = record.attestation?.code_hash;
  if (typeof h !== "string") return;
  const ban = await hall.store.getBan(normalizeDigest(h) ?? h);
  if (ban?.status === "confirmed") {
    await hall.alert("banned_hash", 1, `enrolment of ${record.worker_id} with a banned hash`, h, {
      worker_id: record.worker_id,
    });
    throw new HttpError(403, "WORKER_BANNED", "attestation.code_hash is on the ban list", {
      path: "attestation.code_hash",
    });
  }
}

async function checkTier(hall: Hall, p: Principal, namespace: string): Promise<void> {
  if (p.role === "admin") return;
  const ns = await hall.store.getNamespace(namespace);
  const tier = ns ? await hall.store.getTier(ns.tier) : null;
  const max = tier?.max_workers ?? 0;
  const count = await hall.store.countActiveWorkers(namespace);
  if (count >= max) {
    throw new HttpError(
      403,
      "TIER_LIMIT",
      `namespace ${namespace} may enrol at most ${max} workers`,
      {
        extra: { tier: ns?.tier ?? null, max_workers: max },
      },
    );
  }
}

function ownNamespace(p: Principal, workerId: string): string {
  const ns = namespaceOf(workerId);
  if (!ns) {
    throw new HttpError(
      400,
      "RECORD_INVALID",
      "worker_id: must start with org.<name>. or x.<name>.",
      {
        path: "worker_id",
      },
    );
  }
  requireNamespace(p, ns);
  return ns;
}

/** Enrol, update, revoke, attest. */
export function workerRoutes(
  hall: Hall,
  options: { hmacSecret?: string; workerOrigins?: string[] },
): Hono<HallEnv> {
  const app = new Hono<HallEnv>();
  // The hall will POST to a registered endpoint, so a namespace owner may only point it at an
  // origin the operator listed (no requests to arbitrary loopback services); admins may set any.
  const origins = new Set(options.workerOrigins ?? []);
  const checkEndpoint = (p: Principal, record: RegistryRecord): void => {
    if (p.role === "admin" || record.endpoint === undefined) return;
    const origin = new URL(String(record.endpoint)).origin;
    if (!origins.has(origin)) {
      throw new HttpError(
        403,
        "ENDPOINT_NOT_ALLOWED",
        `endpoint: origin ${origin} is not allowed`,
        {
          path: "endpoint",
        },
      );
    }
  };
  const iso = () => new Date(hall.now()).toISOString();

  mount(app, workerOps.enrol, async (c, input) => {
    const p = principal(c);
    const body = await input.body();
    if (typeof body.worker_id === "string") ownNamespace(p, body.worker_id);
    const given = validateRecord(body);
    const ns = ownNamespace(p, given.worker_id);
    const binding = tenantBinding(p, given, ns, null);
    const record = Object.keys(binding).length ? reenroll(given, binding) : given;
    checkEndpoint(p, record);
    // Serialise enrolments per namespace in this instance, so the tier count cannot be raced.
    const previous = enrolLocks.get(ns) ?? Promise.resolve();
    let unlock = () => {};
    const mine = new Promise<void>((r) => (unlock = r));
    const chained = previous.then(() => mine);
    enrolLocks.set(ns, chained);
    await previous;
    try {
      return await enrolLocked(c, p, ns, record);
    } finally {
      unlock();
      if (enrolLocks.get(ns) === chained) enrolLocks.delete(ns);
    }
  });

  const enrolLocks = new Map<string, Promise<void>>();
  const enrolLocked = async (
    c: Context<HallEnv>,
    p: Principal,
    ns: string,
    record: RegistryRecord,
  ): Promise<Response> => {
    if (await hall.store.getWorker(record.worker_id)) {
      throw new HttpError(409, "WORKER_EXISTS", "worker_id: already enrolled; use PUT to update", {
        path: "worker_id",
      });
    }
    await checkTier(hall, p, ns);
    await checkBanned(hall, record);
    const at = iso();
    const row: WorkerRow = {
      worker_id: record.worker_id,
      namespace: ns,
      record,
      status: record.status === "revoked" ? "revoked" : "active",
      current_hash: null,
      attestation: null,
      flagged: false,
      enrolled_by: p.token_id,
      enrolled_at: at,
      updated_at: at,
    };
    await hall.store.putWorker(row);
    hall.applyWorker(row);
    hall.events.publish("worker", { change: "enrolled", worker_id: row.worker_id });
    return c.json(publicWorker(row), 201);
  };

  mount(app, workerOps.update, async (c, input) => {
    const p = principal(c);
    const id = input.params.id;
    ownNamespace(p, id);
    const body = await input.body();
    if (body.worker_id !== id) {
      throw new HttpError(400, "RECORD_INVALID", "worker_id: must equal the id in the path", {
        path: "worker_id",
      });
    }
    // One read-modify-write of this worker at a time (see Hall.withWorkerLock).
    return await hall.withWorkerLock(id, async () => {
      const existing = await hall.store.getWorker(id);
      if (!existing) {
        throw new HttpError(404, "WORKER_UNKNOWN", "no such worker", { path: "worker_id" });
      }
      if (existing.status === "revoked") {
        throw new HttpError(
          409,
          "WORKER_REVOKED",
          "a revoked worker cannot be updated; enrol a new id",
        );
      }
      const given = validateRecord(body);
      const change = {
        ...tenantBinding(p, given, existing.namespace, existing.record),
        ...attestationGuard(p, given, existing),
      };
      const record = Object.keys(change).length ? reenroll(given, change) : given;
      checkEndpoint(p, record);
      await checkBanned(hall, record);
      const sameCode = existing.record.attestation?.code_hash === record.attestation?.code_hash;
      const row: WorkerRow = {
        ...existing,
        record,
        status: record.status === "revoked" ? "revoked" : "active",
        // New code means the old verification no longer says anything about it.
        current_hash: sameCode ? existing.current_hash : null,
        attestation: sameCode ? existing.attestation : null,
        // A PUT never clears a tamper flag (an admin does, explicitly: clear-tamper).
        flagged: existing.flagged,
        updated_at: iso(),
      };
      await hall.store.putWorker(row);
      const stored = (await hall.applyStoredWorker(id)) ?? row;
      hall.events.publish("worker", { change: "updated", worker_id: id });
      return c.json(publicWorker(stored));
    });
  });

  mount(app, workerOps.revoke, async (c, { params }) => {
    const p = principal(c);
    const id = params.id;
    ownNamespace(p, id);
    // Inside the worker's lock: a PUT or an attestation that read the row before the revocation
    // would otherwise write it back as active.
    return await hall.withWorkerLock(id, async () => {
      const ok = await hall.store.revokeWorker(id, iso());
      if (!ok) {
        const w = await hall.store.getWorker(id);
        if (!w) throw workerUnknown();
        throw new HttpError(409, "WORKER_REVOKED", "already revoked", { path: "worker_id" });
      }
      const row = (await hall.store.getWorker(id))!;
      hall.applyWorker(row); // (a record the validator now refuses leaves the mirror: fine here)
      hall.events.publish("worker", { change: "revoked", worker_id: id });
      return c.json(publicWorker(row));
    });
  });

  // Manifests and hashes are the owner's and the admins' only: anyone else gets the unknown answer.
  mount(app, workerOps.attestation, async (c, { params }) => {
    const p = principal(c);
    const w = await hall.store.getWorker(params.id);
    if (!w || (p.role !== "admin" && w.namespace !== p.namespace)) throw workerUnknown();
    return c.json({
      worker_id: w.worker_id,
      registered_hash: hall.registry.registeredHash(w.worker_id),
      current_hash: w.current_hash,
      flagged: w.flagged,
      attestation: w.attestation,
    });
  });

  // The hall never sees the package: it recomputes the package hash from the submitted per-file
  // digests and accepts it only if the manifest's signature (Ed25519 by a key in the record's
  // `public_keys`, bound to the worker's namespace, or the reference HMAC secret) covers that hash.
  // The current hash used at dispatch is therefore what the namespace's key attested, never an
  // unsigned client claim.
  mount(app, workerOps.attest, async (c, input) => {
    const p = principal(c);
    const id = input.params.id;
    ownNamespace(p, id);
    const body = await input.body();
    return await hall.withWorkerLock(id, async () => {
      const w = await hall.store.getWorker(id);
      if (!w) throw new HttpError(404, "WORKER_UNKNOWN", "no such worker", { path: "worker_id" });
      let computed;
      try {
        computed = packageHash(body.files);
      } catch (e) {
        if (e instanceof WcpError) throw new HttpError(400, e.code, e.message, { path: e.path });
        throw e;
      }
      const mode = manifestMode(body.manifest);
      let keys;
      try {
        keys = trustedKeysFromRecord(w.record);
      } catch (e) {
        if (e instanceof WcpError) throw new HttpError(400, e.code, e.message, { path: e.path });
        throw e;
      }
      const common = {
        manifest: body.manifest,
        computed,
        workerId: w.worker_id,
        workerSpeciesId: w.record.worker_species_id,
        now: hall.now(),
      };
      const result = mode === "ed25519"
        ? await verifyManifest({ ...common, mode: "ed25519", keys })
        : await verifyManifest({ ...common, mode: "hmac-sha256", secret: options.hmacSecret });
      const at = iso();
      const registered = hall.registry.registeredHash(id);
      let next: WorkerRow = {
        ...w,
        attestation: {
          manifest: body.manifest,
          verified: result.ok,
          verified_at: at,
          detail: result.deny_code ?? "ok",
        },
        updated_at: at,
      };
      let tampered = false;
      if (result.ok) {
        next.current_hash = computed.digest;
        if (!registered) {
          // First verified package: it becomes the registered code hash.
          const { artifact_hash: _drop, ...rest } = w.record;
          const record = new Registry().enroll({
            ...rest,
            attestation: {
              ...(w.record.attestation ?? {}),
              code_hash: computed.digest,
              hash_method: "signed_manifest",
              attested_at: at,
              attested_by: p.token_id,
            },
          });
          next = { ...next, record };
        } else if (registered !== computed.digest) {
          tampered = true;
          next.flagged = true;
        } else {
          // A fresh verified attestation of the registered code: the running code is the
          // registered code again, so a tamper flag is cleared.
          next.flagged = false;
        }
      }
      // A submission that does not verify changes nothing: the last verified attestation stays.
      if (result.ok) {
        await hall.store.putWorker(next);
        await hall.applyStoredWorker(id);
      }
      const ban = await hall.store.getBan(computed.digest);
      const banned = ban?.status === "confirmed";
      if (banned) {
        await hall.alert(
          "banned_hash",
          1,
          `worker ${id} submitted a banned package`,
          computed.digest,
          {
            worker_id: id,
          },
        );
      }
      if (tampered) {
        await hall.alert(
          "tamper",
          1,
          `worker ${id} package hash differs from the registered hash`,
          id,
          {
            registered_hash: registered,
            current_hash: computed.digest,
          },
        );
      }
      hall.events.publish("worker", { change: "attested", worker_id: id, verified: result.ok });
      if (result.ok && w.flagged && !next.flagged) {
        hall.events.publish("worker", {
          change: "tamper_cleared",
          worker_id: id,
          by: "attestation",
        });
      }
      return c.json({
        ...(result.ok ? {} : {
          error: {
            code: result.deny_code ?? "ATTEST_FAILED",
            message: "the manifest does not verify; nothing was registered",
            path: "manifest",
          },
        }),
        worker_id: id,
        verified: result.ok,
        deny_code: result.deny_code,
        package_hash: computed.digest,
        registered_hash: hall.registry.registeredHash(id),
        tampered,
        banned,
        meta: result.meta,
      }, result.ok ? 200 : 422);
    });
  });

  // Admin only: clear a tamper flag, after looking into it. While the verified current hash still
  // differs from the registered one, the admin must say which code is right: `register_current`
  // registers the current hash (the new code is accepted); otherwise a verified attestation of
  // the registered code is needed first (409 TAMPER_UNRESOLVED).
  mount(app, workerOps.clearTamper, async (c, input) => {
    const p = principal(c);
    const id = input.params.id;
    const body = await input.body();
    return await hall.withWorkerLock(id, async () => {
      const w = await hall.store.getWorker(id);
      if (!w) throw workerUnknown();
      if (!w.flagged) {
        throw new HttpError(409, "WORKER_NOT_FLAGGED", "this worker has no tamper flag", {
          path: "worker_id",
        });
      }
      const registered = w.record.attestation?.code_hash ?? null;
      const current = w.current_hash;
      const differs = current !== null && current !== registered;
      let record = w.record;
      if (differs && body.register_current) {
        await checkBanned(hall, { ...record, attestation: { code_hash: current } });
        record = reenroll(record, {
          attestation: {
            ...(record.attestation ?? {}),
            code_hash: current,
            hash_method: "admin_accepted",
            attested_at: iso(),
            attested_by: p.token_id,
          },
        });
      } else if (differs) {
        throw new HttpError(
          409,
          "TAMPER_UNRESOLVED",
          `the verified current hash ${current} still differs from the registered hash ` +
            `${registered ?? "(none)"}: submit a verified attestation of the registered code, or ` +
            "pass register_current: true to register the current hash",
          {
            path: "register_current",
            extra: { registered_hash: registered, current_hash: current },
          },
        );
      }
      const row: WorkerRow = { ...w, record, flagged: false, updated_at: iso() };
      await hall.store.putWorker(row);
      const stored = (await hall.applyStoredWorker(id)) ?? row;
      hall.events.publish("worker", {
        change: "tamper_cleared",
        worker_id: id,
        by: p.token_id,
        note: body.note ?? null,
        registered_hash: record.attestation?.code_hash ?? null,
      });
      return c.json(publicWorker(stored));
    });
  });

  return app;
}

/** Re-export for admin-only checks in other route files. */
export { requireAdmin };
