/**
 * The compiled rule set: an index that answers "first rule in document order matching these five
 * values" in O(1) of the number of rules.
 *
 * How: the four enum fields have 144 combinations, so a rule's enum conditions are a 144-bit set.
 * Rules whose capability condition lists values (exact, `eq`, `in`) are indexed by each value;
 * the others (`any`, `not_in`, absent) are "wild". For capabilities no rule names, the answer
 * depends only on the combination: one precomputed 144-entry table. For a named capability, the
 * answer is the earliest of its few listed rules and that table; capabilities with many rules, or
 * named in some `not_in`, get their own lazily built table in a bounded cache.
 *
 * @module
 */

import type { MatchField, Rule, RuleSet, RuleSetWarning, ShadowWarning } from "./types.ts";
import { capAccepts } from "./_conditions.ts";
import { comboOf, COMBOS, MASK_WORDS } from "./_domain.ts";
import type { ParsedRules } from "./_parse.ts";
import { analyseShadows } from "./_shadow.ts";
import type { RuleIndex } from "./_index_types.ts";

export type { RuleIndex };

/** Capabilities with at most this many listed rules are answered by a short scan, no table. */
const SCAN_LIMIT = 4;
/** Bound on cached per-capability tables (576 bytes each). */
const TABLE_CACHE_LIMIT = 16_384;

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

const internals = new WeakMap<RuleSet, RuleIndex>();

/** The index behind a RuleSet built by `parseRules` (undefined for foreign objects). */
export function indexOf(rs: RuleSet): RuleIndex | undefined {
  return internals.get(rs);
}

/** Does rule `r` accept combination `c`? */
export function acceptsCombo(masks: Uint32Array, r: number, c: number): boolean {
  return (masks[r * MASK_WORDS + (c >>> 5)] & (1 << (c & 31))) !== 0;
}

/**
 * Fill the unfilled (-1) cells of `table` that rule `r` accepts; returns how many it filled.
 * Callers feed rules in ascending order, so the first writer of a cell is its first match.
 */
function fillFrom(table: Int32Array, masks: Uint32Array, r: number): number {
  let filled = 0;
  const base = r * MASK_WORDS;
  for (let w = 0; w < MASK_WORDS; w++) {
    let word = masks[base + w];
    while (word !== 0) {
      const low = word & -word;
      const c = w * 32 + 31 - Math.clz32(low);
      word ^= low;
      if (table[c] === -1) {
        table[c] = r;
        filled++;
      }
    }
  }
  return filled;
}

/** The first-match table of capability `cap` (full scan; used for caches and by lint). */
export function buildTable(ix: RuleIndex, cap: string): Int32Array {
  const { masks, caps } = ix.parsed;
  const listed = ix.exact.get(cap) ?? [];
  const table = new Int32Array(COMBOS);
  if (!ix.notInValues.has(cap)) {
    // Every wild rule accepts `cap` exactly as it accepts an unnamed one: start from the default.
    table.set(ix.defaultTable);
    for (let k = listed.length - 1; k >= 0; k--) {
      // Descending, overwriting later indices, so each cell ends at its smallest index.
      const r = listed[k];
      const base = r * MASK_WORDS;
      for (let c = 0; c < COMBOS; c++) {
        if ((masks[base + (c >>> 5)] & (1 << (c & 31))) === 0) continue;
        if (table[c] === -1 || table[c] > r) table[c] = r;
      }
    }
    return table;
  }
  table.fill(-1);
  // Stop as soon as every combination any candidate rule accepts is filled: with rules limited
  // to a few combinations (env: "prod"), scanning on to the end made lint quadratic.
  const reachable = Uint32Array.from(ix.wildUnion);
  for (const r of listed) {
    for (let w = 0; w < MASK_WORDS; w++) reachable[w] |= masks[r * MASK_WORDS + w];
  }
  let target = 0;
  for (let w = 0; w < MASK_WORDS; w++) target += popcount(reachable[w]);
  let filled = 0;
  let i = 0;
  let j = 0;
  const wild = ix.wild;
  while ((i < listed.length || j < wild.length) && filled < target) {
    let r: number;
    if (j >= wild.length || (i < listed.length && listed[i] < wild[j])) r = listed[i++];
    else {
      r = wild[j++];
      if (!capAccepts(caps[r], cap)) continue;
    }
    filled += fillFrom(table, masks, r);
  }
  return table;
}

function buildIndex(parsed: ParsedRules): RuleIndex {
  const exact = new Map<string, number[]>();
  const wild: number[] = [];
  const notInValues = new Set<string>();
  parsed.caps.forEach((c, r) => {
    if (c.kind === "in") {
      for (const v of c.values) {
        const l = exact.get(v);
        if (l === undefined) exact.set(v, [r]);
        else l.push(r);
      }
    } else {
      wild.push(r);
      if (c.kind === "not_in") { for (const v of c.values) notInValues.add(v); }
    }
  });
  const defaultTable = new Int32Array(COMBOS).fill(-1);
  const wildUnion = new Uint32Array(MASK_WORDS);
  let filled = 0;
  for (const r of wild) {
    for (let w = 0; w < MASK_WORDS; w++) wildUnion[w] |= parsed.masks[r * MASK_WORDS + w];
    // An unnamed capability is in no not_in list, so every wild rule accepts it.
    if (filled < COMBOS) filled += fillFrom(defaultTable, parsed.masks, r);
  }
  return { parsed, exact, wild, notInValues, defaultTable, wildUnion };
}

/** The RuleSet returned by `parseRules`. */
export class CompiledRuleSet implements RuleSet {
  readonly rules: readonly Rule[];
  readonly shadowWarnings: readonly ShadowWarning[];
  readonly shadowedRuleIds: readonly string[];
  readonly warnings: readonly RuleSetWarning[];
  readonly #ix: RuleIndex;
  readonly #masks: Uint32Array;
  readonly #tables = new Map<string, Int32Array>();
  readonly #tableLimit: number;

  /** `tableCacheLimit` exists for tests of the eviction path. */
  constructor(parsed: ParsedRules, tableCacheLimit = TABLE_CACHE_LIMIT) {
    this.#tableLimit = Math.max(1, tableCacheLimit);
    const ix = buildIndex(parsed);
    this.#ix = ix;
    this.#masks = parsed.masks;
    this.rules = parsed.rules;
    this.warnings = parsed.warnings;
    this.shadowWarnings = Object.freeze(analyseShadows(ix).map((w) => Object.freeze(w)));
    this.shadowedRuleIds = Object.freeze(
      this.shadowWarnings.filter((w) => w.kind !== "unsatisfiable").map((w) => w.shadowed_rule_id)
        .sort(),
    );
    internals.set(this, ix);
    Object.freeze(this);
  }

  match(fields: Readonly<Record<MatchField, string>>): Rule | undefined {
    const i = this.matchIndex(fields);
    return i < 0 ? undefined : this.rules[i];
  }

  matchIndex(fields: Readonly<Record<MatchField, string>>): number {
    if (typeof fields !== "object" || fields === null) return -1;
    const combo = comboOf(fields.env, fields.data_label, fields.tenant_risk, fields.qos_class);
    const cap = fields.capability_id;
    if (combo < 0 || typeof cap !== "string") return -1;
    const ix = this.#ix;
    const listed = ix.exact.get(cap);
    const inNotIn = ix.notInValues.size > 0 && ix.notInValues.has(cap);
    if (listed === undefined && !inNotIn) return ix.defaultTable[combo];
    if (listed !== undefined && !inNotIn && listed.length <= SCAN_LIMIT) {
      const d = ix.defaultTable[combo];
      for (let k = 0; k < listed.length; k++) {
        const r = listed[k];
        if (d >= 0 && r > d) break;
        if (acceptsCombo(this.#masks, r, combo)) return r;
      }
      return d;
    }
    let table = this.#tables.get(cap);
    if (table === undefined) {
      table = buildTable(ix, cap);
      if (this.#tables.size >= this.#tableLimit) {
        // FIFO eviction keeps memory bounded; a miss only costs a rebuild.
        this.#tables.delete(this.#tables.keys().next().value as string);
      }
      this.#tables.set(cap, table);
    }
    return table[combo];
  }
}
