/**
 * The one catalog search (CLI, MCP, hall and playground all use it): tokenised, field-weighted
 * (id, name, tags, description), typo tolerant (edit distance over a precomputed vocabulary),
 * prefix aware, with facets and a deterministic order (score, then id).
 *
 * @module
 */

import { type Catalog, getCatalog } from "./catalog.ts";
import { editDistance, isStopWord, stem, typoBudget, words } from "./_text.ts";
import { WcpError } from "../errors.ts";
import type { CatalogEntry, CatalogEntryType, CatalogStatus, RiskTier } from "./types.ts";

/**
 * Filters and paging for {@linkcode searchCatalog}.
 *
 * @example
 * ```ts
 * import type { SearchOptions } from "@wcp/core";
 * const options: SearchOptions = { type: "capability", namespace: "doc", limit: 5 };
 * ```
 */
export interface SearchOptions {
  /** Only these entry types. */
  type?: CatalogEntryType | CatalogEntryType[];
  /** Only these domains (`doc`) or id prefixes (`cap.doc`). */
  namespace?: string | string[];
  /** Only these risk tiers. */
  riskTier?: RiskTier | RiskTier[];
  /** Only entries carrying every one of these tags. */
  tags?: string[];
  /** Include tombstones (default true; they rank lower). */
  includeDeprecated?: boolean;
  /** Hits to return (default 20; 0 returns all). */
  limit?: number;
  /** Hits to skip (default 0). */
  offset?: number;
}

/**
 * One search hit.
 *
 * @example
 * ```ts
 * import { searchCatalog, type SearchHit } from "@wcp/core";
 * const hit: SearchHit = searchCatalog("summarize")!.hits[0];
 * hit.id; // "cap.doc.summarize"
 * ```
 */
export interface SearchHit {
  /** Entry id. */
  id: string;
  /** Entry type. */
  type: CatalogEntryType;
  /** Entry name. */
  name: string;
  /** Entry description. */
  description: string;
  /** Entry status. */
  status: CatalogStatus;
  /** Risk tier, when the entry has one. */
  risk_tier?: RiskTier;
  /** Relevance, rounded to 3 decimals (0 when browsing without a query). */
  score: number;
  /** Which fields matched: `id`, `name`, `tags`, `description`, `type`. */
  matched_fields: string[];
  /** The whole entry. */
  entry: CatalogEntry;
}

/**
 * The answer of a search: hits, the total before paging, facet counts over all matching
 * entries, and the vocabulary words typos were corrected to.
 *
 * @example
 * ```ts
 * import { searchCatalog } from "@wcp/core";
 * const r = searchCatalog("sumarize document");
 * r.corrections; // { sumarize: "summarize" }
 * ```
 */
export interface SearchResult {
  /** The query as given. */
  query: string;
  /** Matching entries before paging. */
  total: number;
  /** The requested page of hits. */
  hits: SearchHit[];
  /** Counts per facet value over every matching entry. */
  facets: {
    type: Record<string, number>;
    namespace: Record<string, number>;
    risk_tier: Record<string, number>;
    tags: Record<string, number>;
  };
  /** Query word -> vocabulary word it was matched to by typo tolerance. */
  corrections: Record<string, string>;
}

const FIELDS = ["id", "name", "tags", "description", "type"] as const;
const FIELD_WEIGHT = [5, 3, 2, 1, 1.5];
const TYPE_WORDS: Readonly<Record<CatalogEntryType, string>> = {
  capability: "capability capabilities",
  species: "species worker workers",
  control: "control controls",
  policy: "policy policies",
  profile: "profile profiles",
  event: "event events telemetry",
};
const ALL_TYPES = Object.keys(TYPE_WORDS);
const ALL_TIERS = ["low", "medium", "high", "critical"];
const EXACT_ID_BONUS = 1000;
/** Marks index terms that are words as written (not stems); never a query prefix or typo target. */
const SURFACE = "=";
/** Quality of a match on the stem alone ("approver" for "approve"). */
const STEM_ONLY = 0.9;
/** Share of an exact-word match added on top of the best match of that query word. */
const SURFACE_BONUS = 0.5;
const DEPRECATED_FACTOR = 0.5;

interface Posting {
  entry: number;
  weight: number;
  fields: number;
}

function asList<T extends string>(v: T | T[] | undefined, field: string, allowed?: string[]): T[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  for (const x of list) {
    if (typeof x !== "string" || (allowed && !allowed.includes(x))) {
      throw new WcpError(
        "SEARCH_INVALID",
        field,
        `unknown value ${JSON.stringify(x)}${allowed ? ` (one of ${allowed.join(", ")})` : ""}`,
      );
    }
  }
  return list;
}

function bump(facet: Record<string, number>, key: string): void {
  facet[key] = (facet[key] ?? 0) + 1;
}

function sortedFacet(facet: Record<string, number>): Record<string, number> {
  const keys = Object.keys(facet).sort((a, b) => facet[b] - facet[a] || (a < b ? -1 : 1));
  return Object.fromEntries(keys.map((k) => [k, facet[k]]));
}

/**
 * A precomputed search index over a catalog: build it once, query it many times.
 *
 * @example
 * ```ts
 * import { CatalogIndex, getCatalog } from "@wcp/core";
 * const index = new CatalogIndex(getCatalog());
 * index.search("approve", { type: "capability" }).hits[0].id; // "cap.ops.approve"
 * ```
 */
export class CatalogIndex {
  #catalog: Catalog;
  #postings = new Map<string, Posting[]>();
  #vocab: string[] = [];
  #byLength = new Map<number, string[]>();
  #surface = new Map<string, string>();
  #idf = new Map<string, number>();

  /**
   * Index every entry of the catalog.
   *
   * @param catalog The catalog to index.
   */
  constructor(catalog: Catalog) {
    this.#catalog = catalog;
    catalog.entries.forEach((e, n) => {
      const texts = [e.id, e.name, e.tags.join(" "), e.description, TYPE_WORDS[e.type]];
      const perTerm = new Map<string, number>();
      // A word in a short field says more than one in a long field ("Strict production" beats
      // "Strict retrieval-augmented memory" for "strict").
      const lengthFactor: number[] = [];
      texts.forEach((text, f) => {
        const ws = words(text).filter((w) => f === 0 || !isStopWord(w));
        lengthFactor[f] = 1 / (1 + 0.1 * Math.max(0, ws.length - 1));
        for (const w of ws) {
          const s = stem(w);
          const prevSurface = this.#surface.get(s);
          if (prevSurface === undefined || w.length < prevSurface.length) this.#surface.set(s, w);
          perTerm.set(s, (perTerm.get(s) ?? 0) | (1 << f));
          // The word as written, so an exact word outranks a word that only shares its stem.
          if (s !== w) perTerm.set(SURFACE + w, (perTerm.get(SURFACE + w) ?? 0) | (1 << f));
        }
      });
      for (const [term, fields] of perTerm) {
        let weight = 0;
        FIELDS.forEach((_, f) => {
          if (fields & (1 << f)) weight += FIELD_WEIGHT[f] * (f < 2 ? lengthFactor[f] : 1);
        });
        const list = this.#postings.get(term) ?? [];
        list.push({ entry: n, weight, fields });
        this.#postings.set(term, list);
      }
    });
    this.#vocab = [...this.#postings.keys()].filter((t) => !t.startsWith(SURFACE)).sort();
    for (const t of this.#vocab) {
      const list = this.#byLength.get(t.length) ?? [];
      list.push(t);
      this.#byLength.set(t.length, list);
    }
    const n = catalog.entries.length;
    for (const [term, list] of this.#postings) this.#idf.set(term, 1 + Math.log(n / list.length));
  }

  /** Vocabulary terms that start with `prefix` (binary search over the sorted vocabulary). */
  #withPrefix(prefix: string): string[] {
    let lo = 0;
    let hi = this.#vocab.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#vocab[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < this.#vocab.length && this.#vocab[i].startsWith(prefix); i++) {
      out.push(this.#vocab[i]);
    }
    return out;
  }

  /** Vocabulary terms a query word matches, with a match quality in (0, 1]. */
  #matchWord(word: string): { terms: Map<string, number>; corrected?: string } {
    const terms = new Map<string, number>();
    const s = stem(word);
    if (this.#postings.has(s)) terms.set(s, s === word ? 1 : STEM_ONLY);
    if (s !== word && this.#postings.has(word)) terms.set(word, 1);
    if (this.#postings.has(SURFACE + word)) terms.set(SURFACE + word, 1);
    if (s.length >= 3) {
      for (const t of this.#withPrefix(s)) {
        if (!terms.has(t)) terms.set(t, 0.5 + 0.4 * (s.length / t.length));
      }
    }
    if (terms.size > 0) return { terms };
    const budget = typoBudget(s.length);
    let best: { term: string; d: number } | undefined;
    // Only words within the typo budget in length can be within it in edits.
    const near: string[] = [];
    for (let len = s.length - budget; len <= s.length + budget; len++) {
      near.push(...(this.#byLength.get(len) ?? []));
    }
    near.sort();
    for (const t of near) {
      const d = editDistance(s, t, budget);
      if (d > budget) continue;
      terms.set(t, d === 1 ? 0.6 : 0.4);
      if (!best || d < best.d) best = { term: t, d };
    }
    return { terms, corrected: best && this.#surface.get(best.term) };
  }

  /**
   * Search the catalog. An empty query lists every entry passing the filters, sorted by id.
   * Throws `WcpError` `SEARCH_INVALID` (path = option name) for an unknown facet value.
   *
   * @example
   * ```ts
   * import { CatalogIndex, getCatalog } from "@wcp/core";
   * const r = new CatalogIndex(getCatalog()).search("", { type: "profile", limit: 0 });
   * r.hits.some((h) => h.id === "prof.prod.strict"); // true
   * ```
   */
  search(query: string, options: SearchOptions = {}): SearchResult {
    if (typeof query !== "string") {
      throw new WcpError("SEARCH_INVALID", "query", "must be a string");
    }
    const types = asList(options.type, "type", ALL_TYPES);
    const namespaces = asList(options.namespace, "namespace").map((x) => x.toLowerCase());
    const tiers = asList(options.riskTier, "riskTier", ALL_TIERS);
    const tags = asList(options.tags, "tags").map((x) => x.toLowerCase());
    const limit = options.limit ?? 20;
    const offset = options.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 0) {
      throw new WcpError("SEARCH_INVALID", "limit", "must be a non-negative integer");
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new WcpError("SEARCH_INVALID", "offset", "must be a non-negative integer");
    }
    const entries = this.#catalog.entries;
    const passes = (e: CatalogEntry): boolean =>
      (types.length === 0 || types.includes(e.type)) &&
      (namespaces.length === 0 ||
        namespaces.some((ns) => ns.includes(".") ? e.id.startsWith(`${ns}.`) : e.domain === ns)) &&
      (tiers.length === 0 || (e.risk_tier !== undefined && tiers.includes(e.risk_tier))) &&
      tags.every((t) => e.tags.includes(t)) &&
      (options.includeDeprecated !== false || e.status !== "deprecated");

    const q = query.trim().toLowerCase();
    const all = words(q);
    const meaningful = all.filter((w) => !isStopWord(w));
    const qWords = [...new Set(meaningful.length ? meaningful : all)];
    const scores = new Map<number, { score: number; matched: number; fields: number }>();
    const corrections: Record<string, string> = {};
    for (const w of qWords) {
      const { terms, corrected } = this.#matchWord(w);
      if (corrected && corrected !== w) corrections[w] = corrected;
      const best = new Map<number, { value: number; fields: number }>();
      const exactBonus = new Map<number, number>();
      for (const [term, quality] of terms) {
        const idf = this.#idf.get(term)!;
        const surface = term.startsWith(SURFACE);
        for (const p of this.#postings.get(term)!) {
          const value = quality * p.weight * idf;
          // The word as written adds to its stem's match; other candidates compete (best wins).
          if (surface) exactBonus.set(p.entry, SURFACE_BONUS * value);
          const prev = best.get(p.entry);
          if (!prev || value > prev.value) best.set(p.entry, { value, fields: p.fields });
        }
      }
      for (const [entry, bonus] of exactBonus) best.get(entry)!.value += bonus;
      for (const [entry, { value, fields }] of best) {
        const s = scores.get(entry) ?? { score: 0, matched: 0, fields: 0 };
        s.score += value;
        s.matched += 1;
        s.fields |= fields;
        scores.set(entry, s);
      }
    }
    const exact = q ? entries.findIndex((e) => e.id === q) : -1;
    if (exact >= 0 && !scores.has(exact)) scores.set(exact, { score: 0, matched: 0, fields: 1 });

    let ranked: { n: number; score: number; fields: number }[];
    if (qWords.length === 0 && exact < 0) {
      ranked = entries.map((_, n) => ({ n, score: 0, fields: 0 }));
    } else {
      ranked = [...scores].map(([n, s]) => {
        const coverage = qWords.length ? s.matched / qWords.length : 1;
        let score = s.score * coverage * coverage;
        if (entries[n].status === "deprecated") score *= DEPRECATED_FACTOR;
        if (n === exact) score += EXACT_ID_BONUS;
        return { n, score, fields: s.fields };
      });
    }
    ranked = ranked.filter((r) => passes(entries[r.n]));
    ranked.sort((a, b) => b.score - a.score || (entries[a.n].id < entries[b.n].id ? -1 : 1));

    const facets = { type: {}, namespace: {}, risk_tier: {}, tags: {} } as SearchResult["facets"];
    for (const r of ranked) {
      const e = entries[r.n];
      bump(facets.type, e.type);
      bump(facets.namespace, e.domain);
      if (e.risk_tier) bump(facets.risk_tier, e.risk_tier);
      for (const t of e.tags) bump(facets.tags, t);
    }
    const page = limit === 0 ? ranked.slice(offset) : ranked.slice(offset, offset + limit);
    return {
      query,
      total: ranked.length,
      hits: page.map((r) => {
        const e = entries[r.n];
        return {
          id: e.id,
          type: e.type,
          name: e.name,
          description: e.description,
          status: e.status,
          ...(e.risk_tier ? { risk_tier: e.risk_tier } : {}),
          score: Math.round(r.score * 1000) / 1000,
          matched_fields: FIELDS.filter((_, f) => r.fields & (1 << f)),
          entry: e,
        };
      }),
      facets: {
        type: sortedFacet(facets.type),
        namespace: sortedFacet(facets.namespace),
        risk_tier: sortedFacet(facets.risk_tier),
        tags: sortedFacet(facets.tags),
      },
      corrections,
    };
  }
}

let bundledIndex: CatalogIndex | undefined;

/**
 * Search the bundled catalog (the index is built on first use and cached).
 *
 * @example
 * ```ts
 * import { searchCatalog } from "@wcp/core";
 * searchCatalog("summarize document", { type: "capability" }).hits[0].id; // "cap.doc.summarize"
 * ```
 */
export function searchCatalog(query: string, options?: SearchOptions): SearchResult {
  bundledIndex ??= new CatalogIndex(getCatalog());
  return bundledIndex.search(query, options);
}
