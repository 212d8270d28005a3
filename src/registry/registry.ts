/**
 * The worker registry: enrolled records, controls present, availability, attestation hashes keyed
 * by worker id, and the ban list.
 *
 * @module
 */

import type { RegistryRecord } from "../model.ts";
import { ENVS } from "../model.ts";
import { WcpError } from "../errors.ts";
import { canonicalJson } from "../encoding/canonical_json.ts";
import { normalizeDigest, sha256Hex } from "../encoding/hash.ts";
import { pyJsonDumps } from "../encoding/py_json.ts";

/** One entry of the ban list. */
export interface BanEntry {
  /** `sha256:<64 hex>`. */
  sha256: string;
  /** Why it is banned. */
  reason: string;
  /** RFC 3339 time it was reported. */
  reported_at: string;
  /** Who reported it. */
  source?: string;
}

// worker_id: org.<name>.… or x.<name>.… (spec section 12: the only source of trust attribution).
const WORKER_ID = /^(?:org|x)\.[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+$/;
// Catalog ids: 2-4 segments; underscores accepted where the reference accepts them (lint flags them).
const ID_SEGMENTS = /^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*){1,3}$/;
const RISK_TIERS = ["low", "medium", "high", "critical"];
const STATUSES = ["active", "revoked"];
const REVERSIBILITY = ["reversible", "partially-reversible", "difficult", "irreversible"];
const STRING_FIELDS = [
  "idempotency",
  "determinism",
  "owner",
  "contact",
  "notes",
  "endpoint",
  "catalog_version_min",
] as const;
const BLAST_DIMS = ["data", "network", "financial", "time"] as const;

function invalid(path: string, message: string): never {
  throw new WcpError("RECORD_INVALID", path, message);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing (the field is missing)";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v) ?? String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkId(v: unknown, path: string, prefix: string): string {
  if (typeof v !== "string") invalid(path, `must be a string, got ${describe(v)}`);
  if (v.length > 64 || !ID_SEGMENTS.test(v) || !v.startsWith(prefix + ".")) {
    invalid(
      path,
      `must be a ${prefix}.* id (2-4 dot-separated lowercase segments, at most 64 characters), ` +
        `got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function checkIdList(v: unknown, path: string, prefix: string, nonEmpty: boolean): string[] {
  if (!Array.isArray(v)) invalid(path, `must be an array of ${prefix}.* ids, got ${describe(v)}`);
  if (nonEmpty && v.length === 0) invalid(path, `must list at least one ${prefix}.* id`);
  const seen = new Set<string>();
  v.forEach((id, i) => {
    checkId(id, `${path}[${i}]`, prefix);
    if (seen.has(id)) invalid(`${path}[${i}]`, `duplicate id ${JSON.stringify(id)}`);
    seen.add(id);
  });
  return v as string[];
}

function checkBlastRadius(v: unknown): void {
  if (!isPlainObject(v)) invalid("blast_radius", `must be an object, got ${describe(v)}`);
  for (const dim of BLAST_DIMS) {
    const x = v[dim];
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 5) {
      invalid(`blast_radius.${dim}`, `must be an integer 0-5, got ${describe(x)}`);
    }
  }
  const r = v.reversibility;
  const okNumber = typeof r === "number" && Number.isInteger(r) && r >= 0 && r <= 5;
  if (!okNumber && !(typeof r === "string" && REVERSIBILITY.includes(r))) {
    invalid(
      "blast_radius.reversibility",
      `must be one of ${REVERSIBILITY.join("|")} or an integer 0-5, got ${describe(r)}`,
    );
  }
}

const MAX_TENANT_ID = 256;

// `tenants` (docs/protocol/trust.md#tenant-binding): a non-empty list of distinct tenant ids, or
// ["*"] alone.
function checkTenants(v: unknown): void {
  if (!Array.isArray(v)) {
    invalid("tenants", `must be a non-empty array of tenant ids or ["*"], got ${describe(v)}`);
  }
  if (v.length === 0) {
    invalid(
      "tenants",
      'must list at least one tenant id (or ["*"] for every tenant); omit it to serve everyone',
    );
  }
  const seen = new Set<string>();
  v.forEach((t, i) => {
    const at = `tenants[${i}]`;
    if (typeof t !== "string") invalid(at, `must be a tenant id string, got ${describe(t)}`);
    if (t.trim() === "") invalid(at, "must be a non-empty tenant id (not only whitespace)");
    if (t.length > MAX_TENANT_ID) {
      invalid(at, `must be at most ${MAX_TENANT_ID} characters, got ${t.length}`);
    }
    if (!t.isWellFormed()) invalid(at, "must be well-formed Unicode (it holds a lone surrogate)");
    if (t === "*" && v.length > 1) {
      invalid(at, '"*" (every tenant) must be the only entry: write ["*"] or list tenant ids');
    }
    if (seen.has(t)) invalid(at, `duplicate tenant id ${JSON.stringify(t)}`);
    seen.add(t);
  });
}

/**
 * Whether a worker record serves a tenant (docs/protocol/trust.md#tenant-binding): a record without
 * `tenants` serves everyone, `["*"]` serves everyone, otherwise the tenant id must be listed
 * exactly (case-sensitive). A `tenants` value that is not an array (a record that never went
 * through `validateRegistryRecord`) serves nobody: fail closed.
 *
 * @param record A registry record (or anything with an optional `tenants` field).
 * @param tenantId The request's `tenant_id`.
 * @returns True when the worker may be selected for this tenant.
 *
 * @example
 * ```ts
 * import { servesTenant } from "@wcp/core";
 * const rec = { worker_id: "org.acme.sum.1", tenants: ["acme"] };
 * servesTenant(rec, "acme"); // true
 * servesTenant(rec, "beta"); // false
 * servesTenant({ worker_id: "org.demo.echo" }, "beta"); // true (no tenants: everyone)
 * ```
 */
export function servesTenant(record: { tenants?: unknown }, tenantId: string): boolean {
  const t = record.tenants;
  if (t === undefined) return true;
  if (!Array.isArray(t)) return false;
  for (let i = 0; i < t.length; i++) {
    const x = t[i];
    if (x === tenantId || x === "*") return true;
  }
  return false;
}

function cloneJson(v: unknown, path: string): unknown {
  try {
    // Round-trip through JCS: rejects non-JSON values (NaN, functions, cycles) and detaches the
    // stored record from the caller's object.
    return JSON.parse(canonicalJson(v));
  } catch (e) {
    const where = e instanceof WcpError && e.path ? e.path.replace(/^\$\.?/, "") : "";
    return invalid(where || path, "record is not a JSON value: " + (e as Error).message);
  }
}

/**
 * The record hash we produce: `sha256:` + SHA-256 of the JCS form of the record without its
 * `artifact_hash` field.
 *
 * @example
 * ```ts
 * import { recordHashJcs } from "@wcp/core";
 * recordHashJcs({ worker_id: "org.a.b", artifact_hash: "ignored" }) ===
 *   recordHashJcs({ worker_id: "org.a.b" }); // true
 * ```
 */
export function recordHashJcs(record: Record<string, unknown>): string {
  const { artifact_hash: _omit, ...rest } = record;
  return "sha256:" + sha256Hex(canonicalJson(rest));
}

/**
 * The reference's record hash (docs/protocol/hashes.md#record-hash): `sha256:` + SHA-256 of Python
 * `json.dumps(record_without_artifact_hash, sort_keys=True, separators=(",", ":"))`, ASCII-escaped.
 *
 * @example
 * ```ts
 * import { recordHashPyCompat } from "@wcp/core";
 * recordHashPyCompat({ worker_id: "org.a.b" }).startsWith("sha256:"); // true
 * ```
 */
export function recordHashPyCompat(record: Record<string, unknown>): string {
  const { artifact_hash: _omit, ...rest } = record;
  return "sha256:" + sha256Hex(pyJsonDumps(rest, { compact: true }));
}

/**
 * Validate a registry record (spec section 6) and return the normalised copy that would be stored:
 * `attestation.code_hash` as `sha256:<64 lowercase hex>` and `artifact_hash` set (computed when
 * absent, verified when present against our JCS recipe and the reference's). Throws `WcpError`
 * (code `RECORD_INVALID`, `path` = the offending field).
 *
 * @example
 * ```ts
 * import { validateRegistryRecord } from "@wcp/core";
 * const rec = validateRegistryRecord({ worker_id: "org.acme.sum.1",
 *   worker_species_id: "wrk.doc.summarizer", capabilities: ["cap.doc.summarize"] });
 * rec.artifact_hash?.startsWith("sha256:"); // true
 * ```
 */
export function validateRegistryRecord(record: unknown): RegistryRecord {
  if (!isPlainObject(record)) {
    invalid("", `a registry record must be a JSON object, got ${describe(record)}`);
  }
  const r = record;
  if (r.worker_id === undefined) invalid("worker_id", "is required");
  if (typeof r.worker_id !== "string") {
    invalid("worker_id", `must be a string, got ${describe(r.worker_id)}`);
  }
  if (r.worker_id.length > 128 || !WORKER_ID.test(r.worker_id)) {
    invalid(
      "worker_id",
      "must be in a tenant signer namespace, org.<name>.<worker> or x.<name>.<worker> " +
        `(lowercase, digits, '-', '_', at most 128 characters), got ${JSON.stringify(r.worker_id)}`,
    );
  }
  if (r.worker_species_id === undefined) invalid("worker_species_id", "is required");
  checkId(r.worker_species_id, "worker_species_id", "wrk");
  if (r.capabilities === undefined) invalid("capabilities", "is required");
  checkIdList(r.capabilities, "capabilities", "cap", true);
  if (r.risk_tier !== undefined && !RISK_TIERS.includes(r.risk_tier as string)) {
    invalid("risk_tier", `must be one of ${RISK_TIERS.join("|")}, got ${describe(r.risk_tier)}`);
  }
  for (const f of STRING_FIELDS) {
    if (r[f] !== undefined && typeof r[f] !== "string") {
      invalid(f, `must be a string, got ${describe(r[f])}`);
    }
  }
  if (r.required_controls !== undefined) {
    checkIdList(r.required_controls, "required_controls", "ctrl", false);
  }
  if (r.currently_implements !== undefined) {
    checkIdList(r.currently_implements, "currently_implements", "ctrl", false);
  }
  if (r.allowed_environments !== undefined) {
    const envs = r.allowed_environments;
    if (!Array.isArray(envs)) {
      invalid(
        "allowed_environments",
        `must be an array of ${ENVS.join("|")}, got ${describe(envs)}`,
      );
    }
    envs.forEach((e, i) => {
      if (!(ENVS as readonly unknown[]).includes(e)) {
        invalid(
          `allowed_environments[${i}]`,
          `must be one of ${ENVS.join("|")}, got ${describe(e)}`,
        );
      }
    });
  }
  if (r.tenants !== undefined) checkTenants(r.tenants);
  if (r.privilege_envelope !== undefined && !isPlainObject(r.privilege_envelope)) {
    invalid("privilege_envelope", `must be an object, got ${describe(r.privilege_envelope)}`);
  }
  if (r.blast_radius !== undefined) checkBlastRadius(r.blast_radius);
  if (r.public_keys !== undefined) {
    if (!isPlainObject(r.public_keys)) {
      invalid("public_keys", `must be an object of key id to key, got ${describe(r.public_keys)}`);
    }
    for (const [k, key] of Object.entries(r.public_keys)) {
      if (typeof key !== "string") {
        invalid(`public_keys.${k}`, `must be a string, got ${describe(key)}`);
      }
    }
  }
  if (r.status !== undefined && !STATUSES.includes(r.status as string)) {
    invalid("status", `must be one of ${STATUSES.join("|")}, got ${describe(r.status)}`);
  }
  if (r.attestation !== undefined) {
    if (!isPlainObject(r.attestation)) {
      invalid("attestation", `must be an object with code_hash, got ${describe(r.attestation)}`);
    }
    if (normalizeDigest(r.attestation.code_hash) === null) {
      invalid(
        "attestation.code_hash",
        `must be a SHA-256 digest (sha256:<64 hex> or 64 hex), got ${
          describe(r.attestation.code_hash)
        }`,
      );
    }
    for (const f of ["hash_method", "attested_at", "attested_by", "source_file"]) {
      const v = r.attestation[f];
      if (v !== undefined && typeof v !== "string") {
        invalid(`attestation.${f}`, `must be a string, got ${describe(v)}`);
      }
    }
  }
  if (r.artifact_hash !== undefined && typeof r.artifact_hash !== "string") {
    invalid("artifact_hash", `must be a string sha256:<64 hex>, got ${describe(r.artifact_hash)}`);
  }

  const stored = cloneJson(r, "") as Record<string, unknown>;
  if (isPlainObject(stored.attestation)) {
    stored.attestation.code_hash = normalizeDigest(stored.attestation.code_hash);
  }
  const jcs = recordHashJcs(stored);
  if (r.artifact_hash !== undefined) {
    const given = normalizeDigest(r.artifact_hash);
    if (given === null) {
      invalid("artifact_hash", `must be sha256:<64 hex>, got ${JSON.stringify(r.artifact_hash)}`);
    }
    const asGiven = r as Record<string, unknown>;
    const ok = given === jcs || given === recordHashJcs(asGiven) ||
      given === recordHashPyCompat(asGiven);
    if (!ok) {
      invalid(
        "artifact_hash",
        `does not match the record: expected ${jcs}, the "sha256:" + SHA-256 of the RFC 8785 ` +
          "(JCS) form of the record without artifact_hash (recordHashJcs; the reference's " +
          "sorted-keys json.dumps digest is accepted too); re-compute it or omit it to have it " +
          "computed",
      );
    }
    stored.artifact_hash = given;
  } else {
    stored.artifact_hash = jcs;
  }
  return stored as RegistryRecord;
}

interface Entry {
  record: RegistryRecord;
  available: boolean;
  hash: string | null;
  /** Where the worker sits among its species' workers (see `enroll`'s `position`). */
  position: string;
  /** Order of first enrolment (a worker removed and enrolled again gets a new one). */
  seq: number;
  /**
   * The tenant lists of its species this entry is in (the tenant index): null for a worker that
   * serves every tenant (no `tenants`, or `["*"]`), else the tenant ids its record lists.
   */
  tenants: readonly string[] | null;
}

// Which tenant lists a record belongs in (see `Entry.tenants`), as `servesTenant` reads it: a
// `tenants` value that is not an array serves nobody (in no list).
function tenantKeys(r: RegistryRecord): readonly string[] | null {
  const t = (r as { tenants?: unknown }).tenants;
  if (t === undefined) return null;
  if (!Array.isArray(t)) return EMPTY_KEYS;
  for (let i = 0; i < t.length; i++) {
    const x = t[i];
    if (x === "*") return null;
    if (typeof x !== "string") return t.filter((y): y is string => typeof y === "string");
  }
  // The stored record's own list (records are replaced, never changed in place).
  return t as string[];
}

function sameKeys(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Workers in (position, seq) order, and their records in the same order (the array handed out).
class WorkerList {
  readonly entries: Entry[] = [];
  readonly records: RegistryRecord[] = [];

  get size(): number {
    return this.entries.length;
  }

  // Where `e` is (or would be inserted): the first index not before it.
  find(e: Entry): number {
    const list = this.entries;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(list[mid], e)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // Insert in order (appending when it is the last, the usual case of a load in order).
  insert(e: Entry): void {
    const last = this.entries[this.entries.length - 1];
    if (last === undefined || before(last, e)) {
      this.entries.push(e);
      this.records.push(e.record);
      return;
    }
    const i = this.find(e);
    this.entries.splice(i, 0, e);
    this.records.splice(i, 0, e.record);
  }

  // Remove `e` (it keeps the record it was inserted or last replaced with).
  remove(e: Entry): void {
    const i = this.find(e);
    if (this.entries[i] !== e) return;
    if (i === this.entries.length - 1) {
      this.entries.pop();
      this.records.pop();
    } else {
      this.entries.splice(i, 1);
      this.records.splice(i, 1);
    }
  }

  // `e.record` changed in place (same place in the order).
  replaced(e: Entry): void {
    const i = this.find(e);
    if (this.entries[i] === e) this.records[i] = e.record;
  }
}

// The workers of one species, and the tenant index over them: those that serve every tenant and
// those bound to each tenant (a worker listing two tenants is in both lists), with, per tenant
// that has both, the two merged in order (built on first use, dropped when either list changes).
class SpeciesIndex {
  readonly all = new WorkerList();
  readonly shared = new WorkerList();
  readonly byTenant = new Map<string, WorkerList>();
  #merged = new Map<string, RegistryRecord[]>();

  add(e: Entry): void {
    this.all.insert(e);
    this.#addTenants(e);
  }

  delete(e: Entry): void {
    this.all.remove(e);
    this.#deleteTenants(e);
  }

  // `e.record` was replaced in place; `keys` are its new record's tenant keys.
  replaced(e: Entry, keys: readonly string[] | null): void {
    this.all.replaced(e);
    if (!sameKeys(keys, e.tenants)) {
      this.#deleteTenants(e);
      e.tenants = keys;
      this.#addTenants(e);
      return;
    }
    if (e.tenants === null) {
      this.shared.replaced(e);
      this.#merged.clear();
      return;
    }
    for (const t of e.tenants) {
      this.byTenant.get(t)?.replaced(e);
      this.#merged.delete(t);
    }
  }

  #addTenants(e: Entry): void {
    if (e.tenants === null) {
      this.shared.insert(e);
      this.#merged.clear();
      return;
    }
    for (const t of e.tenants) {
      let list = this.byTenant.get(t);
      if (list === undefined) this.byTenant.set(t, list = new WorkerList());
      list.insert(e);
      this.#merged.delete(t);
    }
  }

  #deleteTenants(e: Entry): void {
    if (e.tenants === null) {
      this.shared.remove(e);
      this.#merged.clear();
      return;
    }
    for (const t of e.tenants) {
      const list = this.byTenant.get(t);
      if (list === undefined) continue;
      list.remove(e);
      if (list.size === 0) this.byTenant.delete(t);
      this.#merged.delete(t);
    }
  }

  // The records a tenant may be routed to, in order.
  forTenant(tenant: string): readonly RegistryRecord[] {
    const own = this.byTenant.get(tenant);
    if (own === undefined) return this.shared.records;
    if (this.shared.size === 0) return own.records;
    let m = this.#merged.get(tenant);
    if (m === undefined) {
      m = mergeLists(own.entries, this.shared.entries);
      this.#merged.set(tenant, m);
    }
    return m;
  }
}

// The records of two lists in (position, seq) order, merged (a worker is in one of them only).
function mergeLists(a: readonly Entry[], b: readonly Entry[]): RegistryRecord[] {
  const out: RegistryRecord[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    out[k++] = before(a[i], b[j]) ? a[i++].record : b[j++].record;
  }
  while (i < a.length) out[k++] = a[i++].record;
  while (j < b.length) out[k++] = b[j++].record;
  return out;
}

/** Options of {@link Registry.enroll}. */
export interface EnrollOptions {
  /**
   * Where the worker sits among the workers of its species (the order the router tries them):
   * workers are ordered by `position` (string order), then by first enrolment. Omitted: a new
   * worker gets `""` and a re-enrolled one keeps its place, so without positions the order is
   * the enrolment order. A hall mirroring a store passes the store's order (its enrolment time
   * and id), so a registry kept up to date change by change orders workers exactly as one loaded
   * from scratch.
   */
  position?: string;
}

// Entries of one species, ordered by (position, seq).
function before(a: Entry, b: Entry): boolean {
  return a.position < b.position || (a.position === b.position && a.seq < b.seq);
}

/**
 * In-memory registry. Pure: persistence is the hall's job (it replays records into one).
 *
 * Every change updates the species index and the controls in place (O(log n) for a worker of a
 * species with n workers), so the decision after an enrolment costs what any other does, at any
 * registry size.
 *
 * @example
 * ```ts
 * import { Registry } from "@wcp/core";
 * const reg = new Registry();
 * reg.enroll({ worker_id: "org.acme.sum.1", worker_species_id: "wrk.doc.summarizer",
 *   capabilities: ["cap.doc.summarize"] });
 * reg.get("org.acme.sum.1")?.worker_species_id; // "wrk.doc.summarizer"
 * ```
 */
export class Registry {
  #entries = new Map<string, Entry>();
  #bans = new Map<string, BanEntry>();
  // The species index: the workers of each species in (position, seq) order (their records are
  // what `workersForSpecies` hands out), and the tenant index over them (`workersForTenant`).
  #bySpecies = new Map<string, SpeciesIndex>();
  // Controls of the non-revoked workers, with how many workers implement each.
  #controlCounts = new Map<string, number>();
  #controls = new Set<string>();
  #seq = 0;

  #version = 0;

  #index(e: Entry): void {
    const species = e.record.worker_species_id;
    let s = this.#bySpecies.get(species);
    if (!s) this.#bySpecies.set(species, s = new SpeciesIndex());
    e.tenants = tenantKeys(e.record);
    s.add(e);
    this.#indexControls(e.record);
  }

  #unindex(e: Entry): void {
    const species = e.record.worker_species_id;
    const s = this.#bySpecies.get(species);
    if (s) {
      s.delete(e);
      if (s.all.size === 0) this.#bySpecies.delete(species);
    }
    this.#unindexControls(e.record);
  }

  // Replace an entry's record, keeping the indexes in step (same species and position: in place).
  #replace(e: Entry, record: RegistryRecord, position: string): void {
    const old = e.record;
    if (old.worker_species_id === record.worker_species_id && e.position === position) {
      this.#unindexControls(old);
      e.record = record;
      this.#bySpecies.get(old.worker_species_id)!.replaced(e, tenantKeys(record));
      this.#indexControls(record);
      return;
    }
    this.#unindex(e);
    e.record = record;
    e.position = position;
    this.#index(e);
  }

  #indexControls(r: RegistryRecord): void {
    if (r.status === "revoked") return;
    for (const c of r.currently_implements ?? []) {
      const n = this.#controlCounts.get(c) ?? 0;
      this.#controlCounts.set(c, n + 1);
      if (n === 0) this.#controls.add(c);
    }
  }

  #unindexControls(r: RegistryRecord): void {
    if (r.status === "revoked") return;
    for (const c of r.currently_implements ?? []) {
      const n = this.#controlCounts.get(c) ?? 0;
      if (n <= 1) {
        this.#controlCounts.delete(c);
        this.#controls.delete(c);
      } else this.#controlCounts.set(c, n - 1);
    }
  }

  /**
   * A counter that grows on every change (enrol, remove, revoke, availability, ban), so a
   * caller holding copies or caches can tell when to refresh them.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * const reg = new Registry();
   * const v = reg.version;
   * reg.ban({ sha256: "ab".repeat(32), reason: "x", reported_at: "2026-01-01T00:00:00.000Z" });
   * reg.version > v; // true
   * ```
   */
  get version(): number {
    return this.#version;
  }

  /**
   * Validate and enroll (or replace) a record; returns the stored, normalised record with
   * `artifact_hash` set. Throws `WcpError` (code `RECORD_INVALID`, `path` = field). Re-enrolling a
   * worker id replaces its species, capabilities, controls and hash; availability is kept.
   * `options.position` orders the workers of a species (see {@link EnrollOptions}).
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * const reg = new Registry();
   * const rec = reg.enroll({ worker_id: "x.me.echo", worker_species_id: "wrk.util.echo",
   *   capabilities: ["cap.util.echo"], attestation: { code_hash: "AB".repeat(32) } });
   * rec.attestation?.code_hash; // "sha256:abab…"
   * ```
   */
  enroll(record: unknown, options: EnrollOptions = {}): RegistryRecord {
    const position = options.position;
    if (position !== undefined && typeof position !== "string") {
      invalid("position", `must be a string, got ${describe(position)}`);
    }
    const stored = validateRegistryRecord(record);
    const prev = this.#entries.get(stored.worker_id);
    const hash = stored.attestation ? stored.attestation.code_hash : null;
    if (prev) {
      this.#replace(prev, stored, position ?? prev.position);
      prev.hash = hash;
    } else {
      const e: Entry = {
        record: stored,
        available: true,
        hash,
        position: position ?? "",
        seq: ++this.#seq,
        tenants: null,
      };
      this.#entries.set(stored.worker_id, e);
      this.#index(e);
    }
    this.#version++;
    return structuredClone(stored);
  }

  /**
   * The stored record for a worker id (a copy).
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().get("org.nobody.x"); // undefined
   * ```
   */
  get(workerId: string): RegistryRecord | undefined {
    const e = this.#entries.get(workerId);
    return e ? structuredClone(e.record) : undefined;
  }

  /**
   * All records (copies) in enrolment order.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().workers().length; // 0
   * ```
   */
  workers(): RegistryRecord[] {
    return [...this.#entries.values()].map((e) => structuredClone(e.record));
  }

  /**
   * Number of enrolled workers.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().size; // 0
   * ```
   */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Forget a worker entirely. Returns whether it was enrolled.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().remove("org.nobody.x"); // false
   * ```
   */
  remove(workerId: string): boolean {
    const e = this.#entries.get(workerId);
    if (!e) return false;
    this.#unindex(e);
    this.#entries.delete(workerId);
    this.#version++;
    return true;
  }

  /**
   * Mark a worker revoked: it is never selected and its controls no longer count. Returns whether
   * it was enrolled.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * const reg = new Registry();
   * reg.enroll({ worker_id: "org.a.w", worker_species_id: "wrk.a.w", capabilities: ["cap.a.w"] });
   * reg.revoke("org.a.w"); // true
   * reg.get("org.a.w")?.status; // "revoked"
   * ```
   */
  revoke(workerId: string): boolean {
    const e = this.#entries.get(workerId);
    if (!e) return false;
    this.#replace(e, { ...e.record, status: "revoked" }, e.position);
    this.#version++;
    return true;
  }

  /**
   * Mark an enrolled worker available or not. Throws `WcpError` (`WORKER_UNKNOWN`) for an
   * unknown worker id: availability never makes an unenrolled worker routable (B-24).
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * const reg = new Registry();
   * reg.enroll({ worker_id: "org.a.w", worker_species_id: "wrk.a.w", capabilities: ["cap.a.w"] });
   * reg.setAvailable("org.a.w", false);
   * reg.isAvailable("org.a.w"); // false
   * ```
   */
  setAvailable(workerId: string, available: boolean): void {
    const e = this.#entries.get(workerId);
    if (!e) {
      throw new WcpError(
        "WORKER_UNKNOWN",
        "worker_id",
        `no enrolled worker ${JSON.stringify(workerId)}`,
      );
    }
    e.available = available === true;
    this.#version++;
  }

  /**
   * Whether a worker is enrolled, not revoked and marked available (the default after enrolment).
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().isAvailable("org.nobody.x"); // false
   * ```
   */
  isAvailable(workerId: string): boolean {
    const e = this.#entries.get(workerId);
    return e !== undefined && e.available && e.record.status !== "revoked";
  }

  /**
   * Controls implemented by the enrolled, non-revoked workers (`currently_implements`, united).
   * Informational only: the router never uses this pool
   * (docs/protocol/rules.md#whose-controls-count: a rule's required controls are met by the
   * selected worker's own controls or the hall's). The set is the registry's own, kept up to date
   * in place (its order is not meaningful).
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * const reg = new Registry();
   * reg.enroll({ worker_id: "org.a.w", worker_species_id: "wrk.a.w", capabilities: ["cap.a.w"],
   *   currently_implements: ["ctrl.obs.audit-log-append-only"] });
   * reg.controlsPresent().has("ctrl.obs.audit-log-append-only"); // true
   * ```
   */
  controlsPresent(): ReadonlySet<string> {
    return this.#controls;
  }

  /**
   * The registered code hash of a worker (`sha256:<64 hex>`), keyed by worker id, or null.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().registeredHash("org.nobody.x"); // null
   * ```
   */
  registeredHash(workerId: string): string | null {
    return this.#entries.get(workerId)?.hash ?? null;
  }

  /**
   * Enrolled workers of a species (including revoked or unavailable ones), in enrolment order
   * (by `position` first, when enrolments gave one). The list and its records are the registry's
   * own, kept up to date in place: treat them as read-only and read them before the next change.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().workersForSpecies("wrk.doc.summarizer").length; // 0
   * ```
   */
  workersForSpecies(speciesId: string): readonly RegistryRecord[] {
    return this.#bySpecies.get(speciesId)?.all.records ?? EMPTY;
  }

  /**
   * The enrolled workers of a species that may be routed a tenant's requests (decision 18,
   * docs/protocol/trust.md#tenant-binding): those whose `tenants` lists the tenant id exactly,
   * and those that serve everyone (no `tenants`, or `["*"]`), including revoked or unavailable
   * ones, in the order of {@link Registry.workersForSpecies}. Exactly the species' workers that
   * `servesTenant` accepts, read from the tenant index (kept up to date in place by every
   * change), so the cost is that of the workers the tenant may use, never of other tenants'
   * workers. The records are the registry's own: treat them as read-only and iterate before the
   * next change.
   *
   * @param speciesId The candidate species.
   * @param tenantId The request's `tenant_id` (case-sensitive).
   * @returns The records, in the species' order (an array the registry owns).
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * const reg = new Registry();
   * reg.enroll({ worker_id: "org.beta.sum", worker_species_id: "wrk.doc.summarizer",
   *   capabilities: ["cap.doc.summarize"], tenants: ["beta"] });
   * reg.enroll({ worker_id: "org.demo.sum", worker_species_id: "wrk.doc.summarizer",
   *   capabilities: ["cap.doc.summarize"] });
   * [...reg.workersForTenant("wrk.doc.summarizer", "acme")].map((r) => r.worker_id);
   * // ["org.demo.sum"]
   * ```
   */
  workersForTenant(speciesId: string, tenantId: string): readonly RegistryRecord[] {
    return this.#bySpecies.get(speciesId)?.forTenant(tenantId) ?? EMPTY;
  }

  /**
   * Enrolled workers (copies) that declare a capability, in enrolment order.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().workersForCapability("cap.doc.summarize"); // []
   * ```
   */
  workersForCapability(capabilityId: string): RegistryRecord[] {
    const out: RegistryRecord[] = [];
    for (const e of this.#entries.values()) {
      if (e.record.capabilities.includes(capabilityId)) out.push(structuredClone(e.record));
    }
    return out;
  }

  /**
   * Every capability declared by an enrolled worker, sorted and distinct.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().capabilities(); // []
   * ```
   */
  capabilities(): string[] {
    const s = new Set<string>();
    for (const e of this.#entries.values()) for (const c of e.record.capabilities) s.add(c);
    return [...s].sort();
  }

  /**
   * Every capability declared by an enrolled worker that `include` accepts (default: all), sorted
   * by id, with how many of those workers declare it and their species (sorted). One pass over
   * the records, without copying them.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * const reg = new Registry();
   * reg.enroll({ worker_id: "x.me.echo", worker_species_id: "wrk.util.echo",
   *   capabilities: ["cap.util.echo"], attestation: { code_hash: "AB".repeat(32) } });
   * reg.capabilityCounts((r) => r.status !== "revoked");
   * // [{ capability_id: "cap.util.echo", worker_count: 1, worker_species: ["wrk.util.echo"] }]
   * ```
   */
  capabilityCounts(
    include?: (record: Readonly<RegistryRecord>) => boolean,
  ): { capability_id: string; worker_count: number; worker_species: string[] }[] {
    const by = new Map<string, { n: number; species: Set<string> }>();
    for (const e of this.#entries.values()) {
      const r = e.record;
      if (include && !include(r)) continue;
      for (const c of r.capabilities) {
        let x = by.get(c);
        if (!x) by.set(c, x = { n: 0, species: new Set() });
        x.n++;
        x.species.add(r.worker_species_id);
      }
    }
    return [...by.keys()].sort().map((capability_id) => {
      const x = by.get(capability_id)!;
      return { capability_id, worker_count: x.n, worker_species: [...x.species].sort() };
    });
  }

  /**
   * Add a hash to the ban list (a worker whose registered or current hash is banned is never
   * dispatched). Throws `WcpError` (`BAN_INVALID`) when `sha256` is not a SHA-256 digest.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * const reg = new Registry();
   * reg.ban({ sha256: "ab".repeat(32), reason: "malware", reported_at: "2026-01-01T00:00:00.000Z" });
   * reg.isBanned("sha256:" + "AB".repeat(32)); // true
   * ```
   */
  ban(entry: BanEntry): void {
    const e = entry as unknown;
    if (!isPlainObject(e)) throw new WcpError("BAN_INVALID", "", "a ban entry must be an object");
    const h = normalizeDigest(e.sha256);
    if (h === null) {
      throw new WcpError(
        "BAN_INVALID",
        "sha256",
        `must be a SHA-256 digest, got ${describe(e.sha256)}`,
      );
    }
    for (const f of ["reason", "reported_at"] as const) {
      if (typeof e[f] !== "string") {
        throw new WcpError("BAN_INVALID", f, `must be a string, got ${describe(e[f])}`);
      }
    }
    if (e.source !== undefined && typeof e.source !== "string") {
      throw new WcpError("BAN_INVALID", "source", `must be a string, got ${describe(e.source)}`);
    }
    const stored: BanEntry = {
      sha256: h,
      reason: e.reason as string,
      reported_at: e.reported_at as string,
    };
    if (typeof e.source === "string") stored.source = e.source;
    this.#bans.set(h, stored);
    this.#version++;
  }

  /**
   * Remove a hash from the ban list. Returns whether it was listed.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().unban("ab".repeat(32)); // false
   * ```
   */
  unban(hash: string): boolean {
    const h = normalizeDigest(hash);
    const had = h !== null && this.#bans.delete(h);
    if (had) this.#version++;
    return had;
  }

  /**
   * Whether a hash (any case, with or without `sha256:`) is on the ban list.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().isBanned("ab".repeat(32)); // false
   * ```
   */
  isBanned(hash: string): boolean {
    if (this.#bans.size === 0) return false;
    const h = normalizeDigest(hash);
    return h !== null && this.#bans.has(h);
  }

  /**
   * The ban list (copies), in the order hashes were banned.
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().banList(); // []
   * ```
   */
  banList(): BanEntry[] {
    return [...this.#bans.values()].map((b) => ({ ...b }));
  }

  /**
   * Whether the ban list has any entry (lets the router skip hash look-ups when it is empty).
   *
   * @example
   * ```ts
   * import { Registry } from "@wcp/core";
   * new Registry().hasBans(); // false
   * ```
   */
  hasBans(): boolean {
    return this.#bans.size > 0;
  }
}

const EMPTY: readonly RegistryRecord[] = Object.freeze([]);
const EMPTY_KEYS: readonly string[] = Object.freeze([]);
