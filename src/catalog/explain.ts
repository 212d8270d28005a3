/**
 * `explain(id)`: a catalog entry with its forward relations (what it points to) and reverse
 * relations (what points to it).
 *
 * @module
 */

import { type Catalog, getCatalog } from "./catalog.ts";
import type { CatalogEntry, CatalogEntryType } from "./types.ts";

/**
 * One relation. Forward: this entry's `relation` names `id`. Reverse: entry `id` names this
 * entry through its `relation`.
 *
 * @example
 * ```ts
 * import type { Relation } from "@wcp/core";
 * const r: Relation = { relation: "served_by", id: "wrk.doc.summarizer", type: "species",
 *   name: "Document summarizer", known: true };
 * ```
 */
export interface Relation {
  /** `served_by`, `capabilities`, `controls`, `policies` or `superseded_by`. */
  relation: string;
  /** The other entry's id. */
  id: string;
  /** The other entry's type, when it is in the catalog. */
  type?: CatalogEntryType;
  /** The other entry's name, when it is in the catalog. */
  name?: string;
  /** The other entry's status, when it is in the catalog. */
  status?: string;
  /** Whether the other id is in the catalog. */
  known: boolean;
}

/**
 * What {@linkcode explain} returns.
 *
 * @example
 * ```ts
 * import { explain } from "@wcp/core";
 * const x = explain("ctrl.pol.human-approval")!;
 * x.reverse.some((r) => r.id === "wrk.fin.payer"); // true
 * ```
 */
export interface Explanation {
  /** The entry itself. */
  entry: CatalogEntry;
  /** Relations this entry declares. */
  forward: Relation[];
  /** Relations other entries declare towards this one. */
  reverse: Relation[];
}

const RELATION_FIELDS = ["served_by", "capabilities", "controls", "policies"] as const;

function related(catalog: Catalog, relation: string, id: string): Relation {
  const e = catalog.get(id);
  return e
    ? { relation, id, type: e.type, name: e.name, status: e.status, known: true }
    : { relation, id, known: false };
}

/**
 * Explain a catalog id: the entry, what it points to (capability -> species serving it,
 * species -> capabilities and required controls, policy -> controls, profile -> controls and
 * policies, tombstone -> successor) and what points to it. `null` when the id is not in the
 * catalog.
 *
 * @example
 * ```ts
 * import { explain } from "@wcp/core";
 * const x = explain("cap.doc.summarize")!;
 * x.forward.map((r) => r.id); // ["wrk.doc.summarizer", "wrk.test.worker"]
 * ```
 */
export function explain(id: string, catalog: Catalog = getCatalog()): Explanation | null {
  const entry = catalog.get(id);
  if (!entry) return null;
  const forward: Relation[] = [];
  for (const f of RELATION_FIELDS) {
    for (const ref of entry[f] ?? []) forward.push(related(catalog, f, ref));
  }
  if (entry.superseded_by) forward.push(related(catalog, "superseded_by", entry.superseded_by));
  const reverse: Relation[] = [];
  for (const other of catalog.entries) {
    for (const f of RELATION_FIELDS) {
      if ((other[f] ?? []).includes(id)) reverse.push(related(catalog, f, other.id));
    }
    if (other.superseded_by === id) reverse.push(related(catalog, "superseded_by", other.id));
  }
  return { entry, forward, reverse };
}
