/**
 * The bundled WCP catalog (`wcp-catalog@…`): loading, lookup and validation (identifier grammar,
 * tombstones, referential integrity).
 *
 * @module
 */

import meta from "./data/meta.json" with { type: "json" };
import capabilities from "./data/capabilities.json" with { type: "json" };
import species from "./data/species.json" with { type: "json" };
import controls from "./data/controls.json" with { type: "json" };
import policies from "./data/policies.json" with { type: "json" };
import profiles from "./data/profiles.json" with { type: "json" };
import events from "./data/events.json" with { type: "json" };
import { isWcpId } from "../ids.ts";
import { WcpError } from "../errors.ts";
import type { CatalogData, CatalogEntry, CatalogEntryType, CatalogIssue } from "./types.ts";

/**
 * The version string of the bundled catalog.
 *
 * @example
 * ```ts
 * import { CATALOG_VERSION } from "@wcp/core";
 * CATALOG_VERSION.startsWith("wcp-catalog@"); // true
 * ```
 */
export const CATALOG_VERSION: string = meta.catalog_version;

/** Id prefix (first segment) of each entry type. */
const PREFIX: Readonly<Record<CatalogEntryType, string>> = {
  capability: "cap",
  species: "wrk",
  control: "ctrl",
  policy: "pol",
  profile: "prof",
  event: "evt",
};
const TYPES = Object.keys(PREFIX) as CatalogEntryType[];
const STATUSES = ["active", "experimental", "deprecated"];
const RISK_TIERS = ["low", "medium", "high", "critical"];
const ENVS = ["dev", "stage", "prod", "edge"];
const TAG = /^[a-z0-9][a-z0-9-]*$/;
const VERSION = /^wcp-catalog@\d+\.\d+\.\d+$/;

/** Relation fields, the entry type each must point to, and which entry types may carry them. */
const RELATIONS: ReadonlyArray<
  { field: keyof CatalogEntry; target: CatalogEntryType; on: CatalogEntryType[] }
> = [
  { field: "served_by", target: "species", on: ["capability"] },
  { field: "capabilities", target: "capability", on: ["species"] },
  { field: "controls", target: "control", on: ["species", "policy", "profile"] },
  { field: "policies", target: "policy", on: ["profile"] },
];

/**
 * The type an id's first segment names (`cap.` is a capability), or `null`.
 *
 * @example
 * ```ts
 * import { entryTypeOf } from "@wcp/core";
 * entryTypeOf("wrk.doc.summarizer"); // "species"
 * entryTypeOf("org.acme.x"); // null
 * ```
 */
export function entryTypeOf(id: string): CatalogEntryType | null {
  const first = id.split(".")[0];
  return TYPES.find((t) => PREFIX[t] === first) ?? null;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/** A relation list, or [] when the field is absent or malformed (reported on its own entry). */
function stringsOf(v: unknown): readonly string[] {
  return isStringArray(v) ? v : [];
}

/** Checks on one entry that need no other entry. */
function checkEntryShape(
  e: Record<string, unknown>,
  at: string,
  data: CatalogData,
): CatalogIssue[] {
  const out: CatalogIssue[] = [];
  const bad = (field: string, code: string, message: string) =>
    out.push({ path: `${at}.${field}`, code, message });
  const id = e.id;
  if (typeof id !== "string") {
    bad("id", "FIELD_TYPE", "id must be a string");
    return out;
  }
  const strict = isWcpId(id);
  if (!strict && !isWcpId(id, { strict: false })) {
    bad("id", "ID_GRAMMAR", `${id}: not a WCP identifier (spec 3.2)`);
  } else if (!strict && e.legacy_id !== true) {
    bad("id", "ID_LEGACY_UNFLAGGED", `${id}: underscore id must carry legacy_id: true`);
  } else if (strict && e.legacy_id !== undefined) {
    bad("legacy_id", "ID_LEGACY_FLAG", `${id}: legacy_id is only for underscore ids`);
  }
  if (!TYPES.includes(e.type as CatalogEntryType)) {
    bad("type", "FIELD_ENUM", `${id}: type must be one of ${TYPES.join(", ")}`);
  } else if (entryTypeOf(id) !== e.type) {
    bad(
      "type",
      "TYPE_PREFIX",
      `${id}: type ${e.type} needs the prefix ${PREFIX[e.type as CatalogEntryType]}.`,
    );
  }
  for (const f of ["name", "description", "domain"]) {
    if (typeof e[f] !== "string" || (e[f] as string).trim() === "") {
      bad(f, "FIELD_TYPE", `${id}: ${f} must be a non-empty string`);
    }
  }
  const segs = id.split(".");
  const wantDomain = segs.length >= 3 ? segs[1] : "gov";
  if (typeof e.domain === "string" && e.domain !== wantDomain) {
    bad("domain", "DOMAIN_MISMATCH", `${id}: domain must be ${wantDomain}`);
  }
  if (typeof e.domain === "string" && !(e.domain in data.domains)) {
    bad("domain", "UNKNOWN_DOMAIN", `${id}: domain ${e.domain} has no label in meta.json`);
  }
  if (!isStringArray(e.tags) || e.tags.length === 0 || !e.tags.every((t) => TAG.test(t))) {
    bad("tags", "FIELD_TYPE", `${id}: tags must be a non-empty list of lowercase words`);
  }
  if (!STATUSES.includes(e.status as string)) {
    bad("status", "FIELD_ENUM", `${id}: status must be one of ${STATUSES.join(", ")}`);
  }
  for (const f of ["since", "deprecated_catalog"]) {
    if (e[f] !== undefined && !data.versions.includes(e[f] as string)) {
      bad(f, "UNKNOWN_VERSION", `${id}: ${f} ${String(e[f])} is not a catalog version`);
    }
  }
  if (e.since === undefined) bad("since", "FIELD_REQUIRED", `${id}: since is required`);
  const needsRisk = e.type === "capability" || e.type === "species";
  if (e.risk_tier !== undefined || needsRisk) {
    if (!RISK_TIERS.includes(e.risk_tier as string)) {
      bad("risk_tier", "FIELD_ENUM", `${id}: risk_tier must be one of ${RISK_TIERS.join(", ")}`);
    }
  }
  if (e.status === "deprecated") {
    if (typeof e.superseded_by !== "string") {
      bad("superseded_by", "TOMBSTONE", `${id}: a deprecated entry names its superseded_by`);
    }
    if (typeof e.deprecated_catalog !== "string") {
      bad("deprecated_catalog", "TOMBSTONE", `${id}: a deprecated entry names deprecated_catalog`);
    }
  } else if (e.superseded_by !== undefined || e.deprecated_catalog !== undefined) {
    bad("status", "TOMBSTONE", `${id}: superseded_by/deprecated_catalog need status deprecated`);
  }
  for (const rel of RELATIONS) {
    const v = e[rel.field];
    if (v === undefined) continue;
    if (!rel.on.includes(e.type as CatalogEntryType)) {
      bad(rel.field, "FIELD_UNEXPECTED", `${id}: ${rel.field} is not a field of a ${e.type}`);
    } else if (!isStringArray(v) || new Set(v).size !== v.length) {
      bad(rel.field, "FIELD_TYPE", `${id}: ${rel.field} must be a list of distinct ids`);
    }
  }
  if (e.type === "profile") {
    const envs = e.environments;
    if (!isStringArray(envs) || envs.length === 0 || !envs.every((x) => ENVS.includes(x))) {
      bad("environments", "FIELD_ENUM", `${id}: environments must list dev, stage, prod or edge`);
    }
  }
  if (e.type === "event" && (!isStringArray(e.fields) || !e.fields.includes("event_id"))) {
    bad("fields", "FIELD_TYPE", `${id}: an event lists its payload fields, event_id first`);
  }
  return out;
}

/**
 * Validate catalog data: identifier grammar (spec 3.2; underscore ids only when flagged
 * `legacy_id`), type/prefix agreement, required fields and enums, tombstones, unique ids, and
 * referential integrity (every relation points to an existing entry of the right type;
 * capability `served_by` and species `capabilities` agree; every live capability is served by a
 * live species). Returns every issue found; an empty list means valid.
 *
 * @example
 * ```ts
 * import { validateCatalogData } from "@wcp/core";
 * const issues = validateCatalogData({ catalog_version: "wcp-catalog@1.0.0", versions: ["1.0.0"],
 *   domains: { doc: "Documents" }, entries: [{ id: "cap.doc.Bad", type: "capability", name: "x",
 *   description: "x", domain: "doc", tags: ["x"], status: "active", since: "1.0.0", risk_tier: "low",
 *   served_by: [] }] });
 * issues[0].code; // "ID_GRAMMAR"
 * ```
 */
export function validateCatalogData(data: unknown): CatalogIssue[] {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return [{ path: "", code: "FIELD_TYPE", message: "catalog data must be an object" }];
  }
  const d = data as Partial<CatalogData>;
  const out: CatalogIssue[] = [];
  if (typeof d.catalog_version !== "string" || !VERSION.test(d.catalog_version)) {
    out.push({
      path: "catalog_version",
      code: "FIELD_FORMAT",
      message: "catalog_version must look like wcp-catalog@1.2.3",
    });
  }
  if (!isStringArray(d.versions)) {
    out.push({ path: "versions", code: "FIELD_TYPE", message: "versions must be a list" });
  }
  if (typeof d.domains !== "object" || d.domains === null) {
    out.push({ path: "domains", code: "FIELD_TYPE", message: "domains must be an object" });
  }
  if (!Array.isArray(d.entries)) {
    out.push({ path: "entries", code: "FIELD_TYPE", message: "entries must be a list" });
  }
  if (out.length) return out;
  const full = d as CatalogData;
  const byId = new Map<string, CatalogEntry>();
  full.entries.forEach((raw, i) => {
    const at = `entries[${i}]`;
    if (typeof raw !== "object" || raw === null) {
      out.push({ path: at, code: "FIELD_TYPE", message: "an entry must be an object" });
      return;
    }
    out.push(...checkEntryShape(raw as unknown as Record<string, unknown>, at, full));
    if (typeof raw.id === "string") {
      if (byId.has(raw.id)) {
        out.push({ path: `${at}.id`, code: "DUPLICATE_ID", message: `${raw.id}: listed twice` });
      }
      byId.set(raw.id, raw);
    }
  });
  full.entries.forEach((e, i) => {
    if (typeof e !== "object" || e === null) return;
    const at = `entries[${i}]`;
    for (const rel of RELATIONS) {
      const ids = e[rel.field];
      if (!isStringArray(ids)) continue;
      ids.forEach((ref, j) => {
        const target = byId.get(ref);
        if (!target || target.type !== rel.target) {
          out.push({
            path: `${at}.${rel.field}[${j}]`,
            code: "UNKNOWN_REF",
            message:
              `${e.id}: ${rel.field} names ${ref}, which is not a ${rel.target} in the catalog`,
          });
        }
      });
    }
    if (typeof e.superseded_by === "string") {
      const next = byId.get(e.superseded_by);
      if (!next || next.type !== e.type || next.status === "deprecated") {
        out.push({
          path: `${at}.superseded_by`,
          code: "UNKNOWN_REF",
          message: `${e.id}: superseded_by ${e.superseded_by} must be a live ${e.type}`,
        });
      }
    }
    if (e.type === "capability" && isStringArray(e.served_by)) {
      for (const s of e.served_by) {
        const sp = byId.get(s);
        if (sp?.type === "species" && !stringsOf(sp.capabilities).includes(e.id)) {
          out.push({
            path: `${at}.served_by`,
            code: "NOT_RECIPROCAL",
            message: `${e.id}: served by ${s}, but ${s} does not list it in capabilities`,
          });
        }
      }
      const live = e.served_by.some((s) => byId.get(s)?.status !== "deprecated");
      if (e.status !== "deprecated" && !live) {
        out.push({
          path: `${at}.served_by`,
          code: "UNSERVED",
          message: `${e.id}: a live capability needs at least one live species`,
        });
      }
    }
    if (e.type === "species" && isStringArray(e.capabilities)) {
      for (const c of e.capabilities) {
        const cap = byId.get(c);
        if (cap?.type === "capability" && !stringsOf(cap.served_by).includes(e.id)) {
          out.push({
            path: `${at}.capabilities`,
            code: "NOT_RECIPROCAL",
            message: `${e.id}: serves ${c}, but ${c} does not list it in served_by`,
          });
        }
      }
    }
  });
  return out;
}

/**
 * A validated, immutable catalog with lookup by id and type.
 *
 * @example
 * ```ts
 * import { getCatalog } from "@wcp/core";
 * const catalog = getCatalog();
 * catalog.get("cap.doc.summarize")?.served_by; // ["wrk.doc.summarizer", "wrk.test.worker"]
 * ```
 */
export class Catalog {
  /** `wcp-catalog@<semver>`. */
  readonly version: string;
  /** Every entry, sorted by id. */
  readonly entries: readonly CatalogEntry[];
  /** Human label per domain. */
  readonly domains: Readonly<Record<string, string>>;
  #byId: Map<string, CatalogEntry>;

  /**
   * Build a catalog; throws `WcpError` `CATALOG_INVALID` (path of the first issue) when
   * {@linkcode validateCatalogData} finds any problem.
   *
   * @param data The catalog data.
   */
  constructor(data: CatalogData) {
    const issues = validateCatalogData(data);
    if (issues.length) {
      throw new WcpError(
        "CATALOG_INVALID",
        issues[0].path,
        `${issues[0].message} (${issues.length} issue(s))`,
      );
    }
    this.version = data.catalog_version;
    this.domains = Object.freeze({ ...data.domains });
    this.entries = Object.freeze(
      [...data.entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((e) =>
        Object.freeze({ ...e })
      ),
    );
    this.#byId = new Map(this.entries.map((e) => [e.id, e]));
  }

  /**
   * The entry with this id.
   *
   * @example
   * ```ts
   * import { getCatalog } from "@wcp/core";
   * getCatalog().get("prof.prod.strict")?.type; // "profile"
   * ```
   */
  get(id: string): CatalogEntry | undefined {
    return this.#byId.get(id);
  }

  /**
   * Whether the id is in the catalog (tombstones included).
   *
   * @example
   * ```ts
   * import { getCatalog } from "@wcp/core";
   * getCatalog().has("cap.ops.approve"); // true
   * ```
   */
  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /**
   * All entries of one type, sorted by id.
   *
   * @example
   * ```ts
   * import { getCatalog } from "@wcp/core";
   * getCatalog().ofType("profile").length > 3; // true
   * ```
   */
  ofType(type: CatalogEntryType): CatalogEntry[] {
    return this.entries.filter((e) => e.type === type);
  }
}

let bundled: Catalog | undefined;

/**
 * The bundled catalog data (a fresh copy), e.g. to extend it and build another {@linkcode Catalog}.
 *
 * @example
 * ```ts
 * import { bundledCatalogData } from "@wcp/core";
 * bundledCatalogData().entries.length > 150; // true
 * ```
 */
export function bundledCatalogData(): CatalogData {
  const entries = [capabilities, species, controls, policies, profiles, events].flatMap((f) =>
    f.entries as unknown as CatalogEntry[]
  );
  return structuredClone({
    catalog_version: meta.catalog_version,
    versions: meta.versions,
    domains: meta.domains as Record<string, string>,
    entries,
  });
}

/**
 * The bundled catalog, validated once and cached.
 *
 * @example
 * ```ts
 * import { getCatalog } from "@wcp/core";
 * getCatalog().version; // "wcp-catalog@1.1.0"
 * ```
 */
export function getCatalog(): Catalog {
  bundled ??= new Catalog(bundledCatalogData());
  return bundled;
}
