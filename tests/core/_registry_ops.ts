// Random registry histories for the registry's property tests (incremental indexes, tenant
// index): worker records, the operations a hall applies (enrol, revoke, remove, availability,
// ban), and the plain model of the state they leave.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Registry } from "../../mod.ts";

export const SPECIES = ["wrk.doc.a", "wrk.doc.b", "wrk.fin.c"];
export const CAPS = ["cap.doc.summarize", "cap.fin.pay"];
export const CONTROLS = ["ctrl.obs.audit-log-append-only", "ctrl.privilege_envelopes_required"];
export const HASHES = ["aa", "bb", "cc"].map((h) => "sha256:" + h.repeat(32));

/** A worker record of one of SPECIES, with `tenants` from the given arbitrary (none: unbound). */
export const recordArb = (
  id: string,
  tenants: fc.Arbitrary<readonly string[] | undefined>,
): fc.Arbitrary<Record<string, unknown>> =>
  fc.record({
    species: fc.constantFrom(...SPECIES),
    controls: fc.subarray(CONTROLS),
    tenants,
    envs: fc.option(fc.subarray(["dev", "prod"]), { nil: undefined }),
    hash: fc.option(fc.constantFrom(...HASHES), { nil: undefined }),
    revoked: fc.boolean(),
    dims: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  }).map((r) => ({
    worker_id: id,
    worker_species_id: r.species,
    capabilities: CAPS,
    currently_implements: r.controls,
    ...(r.tenants ? { tenants: r.tenants } : {}),
    ...(r.envs ? { allowed_environments: r.envs } : {}),
    ...(r.hash ? { attestation: { code_hash: r.hash } } : {}),
    ...(r.revoked ? { status: "revoked" } : {}),
    ...(r.dims !== undefined
      ? {
        blast_radius: {
          data: r.dims,
          network: 1,
          financial: r.dims,
          time: 0,
          reversibility: "reversible",
        },
      }
      : {}),
  }));

export type Op =
  | { op: "enroll"; record: Record<string, unknown>; position?: string }
  | { op: "revoke" | "remove"; id: string }
  | { op: "available"; id: string; available: boolean }
  | { op: "ban" | "unban"; hash: string };

/** One operation on the workers `workerIds`; enrolments weigh `enrollWeight` against 2/1/1. */
export function opArb(o: {
  workerIds: string[];
  enrollWeight: number;
  record: (id: string) => fc.Arbitrary<Record<string, unknown>>;
  position: (id: string) => fc.Arbitrary<string | undefined>;
}): fc.Arbitrary<Op> {
  return fc.oneof(
    {
      weight: o.enrollWeight,
      arbitrary: fc.constantFrom(...o.workerIds).chain((id) =>
        fc.record({ record: o.record(id), position: o.position(id) }).map((
          { record, position },
        ) => ({ op: "enroll", record, ...(position !== undefined ? { position } : {}) }) as Op)
      ),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constantFrom("revoke" as const, "remove" as const),
        id: fc.constantFrom(...o.workerIds),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("available" as const),
        id: fc.constantFrom(...o.workerIds),
        available: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constantFrom("ban" as const, "unban" as const),
        hash: fc.constantFrom(...HASHES),
      }),
    },
  );
}

/**
 * The state the operations leave, kept the plain way: a Map keeps first-insertion order (a
 * removed worker enrolled again goes last), as the registry's first-enrolment order does.
 */
export interface Model {
  workers: Map<string, { record: Record<string, unknown>; position: string; available: boolean }>;
  bans: Set<string>;
}

/** Apply `op` to the registry and to the model. */
export function apply(reg: Registry, model: Model, op: Op): void {
  switch (op.op) {
    case "enroll": {
      reg.enroll(op.record, op.position === undefined ? {} : { position: op.position });
      const id = op.record.worker_id as string;
      const prev = model.workers.get(id);
      model.workers.set(id, {
        record: op.record,
        position: op.position ?? prev?.position ?? "",
        available: prev?.available ?? true,
      });
      break;
    }
    case "revoke": {
      const w = model.workers.get(op.id);
      assert.equal(reg.revoke(op.id), w !== undefined);
      if (w) w.record = { ...w.record, status: "revoked" };
      break;
    }
    case "remove":
      assert.equal(reg.remove(op.id), model.workers.delete(op.id));
      break;
    case "available": {
      const w = model.workers.get(op.id);
      if (!w) break;
      reg.setAvailable(op.id, op.available);
      w.available = op.available;
      break;
    }
    case "ban":
      reg.ban({ sha256: op.hash, reason: "prop", reported_at: "2026-01-01T00:00:00.000Z" });
      model.bans.add(op.hash);
      break;
    case "unban":
      reg.unban(op.hash);
      model.bans.delete(op.hash);
      break;
  }
}
