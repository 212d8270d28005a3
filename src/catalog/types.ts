/**
 * Types of the WCP catalog: the vocabulary of capabilities, worker species, controls, policies,
 * profiles and events, with tombstones and relations.
 *
 * @module
 */

/**
 * The six kinds of catalog entry, one per reserved namespace.
 *
 * @example
 * ```ts
 * import { type CatalogEntryType, getCatalog } from "@wcp/core";
 * const t: CatalogEntryType = "control";
 * getCatalog().ofType(t).length > 0; // true
 * ```
 */
export type CatalogEntryType =
  | "capability"
  | "species"
  | "control"
  | "policy"
  | "profile"
  | "event";

/**
 * Risk tier of a capability or species (the registry record's enum).
 *
 * @example
 * ```ts
 * import { type RiskTier, searchCatalog } from "@wcp/core";
 * const tier: RiskTier = "critical";
 * searchCatalog("", { riskTier: tier }).hits.every((h) => h.risk_tier === tier); // true
 * ```
 */
export type RiskTier = "low" | "medium" | "high" | "critical";

/**
 * Lifecycle of an entry: published ids are never deleted, only tombstoned (`deprecated`).
 *
 * @example
 * ```ts
 * import { type CatalogStatus, getCatalog } from "@wcp/core";
 * const status: CatalogStatus | undefined = getCatalog().get("cap.doc.summarize")?.status;
 * ```
 */
export type CatalogStatus = "active" | "experimental" | "deprecated";

/**
 * One catalog entry. Relation fields hold ids of other entries; which ones appear depends on the
 * type (see `catalog.schema.json`).
 *
 * @example
 * ```ts
 * import type { CatalogEntry } from "@wcp/core";
 * const e: CatalogEntry = {
 *   id: "cap.doc.summarize", type: "capability", name: "Summarize a document",
 *   description: "Condense a document.", domain: "doc", tags: ["text"], status: "active",
 *   since: "1.0.0", risk_tier: "low", served_by: ["wrk.doc.summarizer"],
 * };
 * ```
 */
export interface CatalogEntry {
  /** The identifier (spec 3.2), e.g. `cap.doc.summarize`. */
  id: string;
  /** Kind of entry; always agrees with the id's first segment. */
  type: CatalogEntryType;
  /** Short human name. */
  name: string;
  /** One or two sentences. */
  description: string;
  /** The namespace facet: the id's second segment (`doc`), or `gov` for two-segment ids. */
  domain: string;
  /** Lowercase search tags. */
  tags: string[];
  /** Lifecycle status. */
  status: CatalogStatus;
  /** Catalog version that introduced the id, e.g. `1.0.0`. */
  since: string;
  /** Risk tier (capabilities and species). */
  risk_tier?: RiskTier;
  /** Tombstones: the id to use instead. */
  superseded_by?: string;
  /** Tombstones: catalog version that deprecated the id. */
  deprecated_catalog?: string;
  /** Tombstones: catalog version after which the id may be refused. */
  sunset_catalog?: string;
  /** The id uses underscores (the spec's lenient form), kept because other implementations use it. */
  legacy_id?: true;
  /** Capability: the species that serve it. */
  served_by?: string[];
  /** Species: the capabilities it serves. */
  capabilities?: string[];
  /** Species: controls it requires; policy: controls it enforces; profile: controls it includes. */
  controls?: string[];
  /** Profile: policies it includes. */
  policies?: string[];
  /** Profile: environments it is meant for. */
  environments?: string[];
  /** Event: payload fields. */
  fields?: string[];
  /** Event: which component emits it (`router`, `hall`, `worker`, `registry`). */
  emitted_by?: string;
}

/**
 * A problem found by {@linkcode validateCatalogData}.
 *
 * @example
 * ```ts
 * import type { CatalogIssue } from "@wcp/core";
 * const i: CatalogIssue = { path: "entries[3].served_by[0]", code: "UNKNOWN_REF", message: "..." };
 * ```
 */
export interface CatalogIssue {
  /** Where: `entries[<n>].<field>` (with the id in the message). */
  path: string;
  /** Stable code, e.g. `ID_GRAMMAR`, `UNKNOWN_REF`, `NOT_RECIPROCAL`. */
  code: string;
  /** What is wrong. */
  message: string;
}

/**
 * The catalog as plain data: what the JSON files under `src/catalog/data/` hold, merged.
 *
 * @example
 * ```ts
 * import type { CatalogData } from "@wcp/core";
 * const d: CatalogData = { catalog_version: "wcp-catalog@9.0.0", versions: ["9.0.0"], domains: {}, entries: [] };
 * ```
 */
export interface CatalogData {
  /** `wcp-catalog@<semver>`. */
  catalog_version: string;
  /** Every catalog version an entry's `since` / `deprecated_catalog` may name. */
  versions: string[];
  /** Human label per domain. */
  domains: Record<string, string>;
  /** All entries. */
  entries: CatalogEntry[];
}
