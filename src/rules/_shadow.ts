/**
 * Shadow analysis with set semantics (docs/protocol/rules.md#shadowed-rules, without the TS
 * port's defects B-3 and B-4): rule B is shadowed by an earlier rule A iff every request B accepts
 * A accepts too. Runs once per rule set and never compares all pairs: for each B it looks only at
 * rules that could cover it.
 *
 * - Covers with a listed capability (exact/`eq`/`in`) must list all of B's values: scan the
 *   shortest value list of the index.
 * - `any`-capability covers depend only on the enum conditions: the first such rule per distinct
 *   enum signature (at most 15*7*7*15) is enough.
 * - `not_in` X covers `not_in` Y iff X is a subset of Y: counted through the rules naming each
 *   value of Y. `not_in` X covers `in` S iff X and S are disjoint: the first rule per enum
 *   signature that names no value of S.
 *
 * @module
 */

import type { ShadowWarning } from "./types.ts";
import { capCovers } from "./_conditions.ts";
import { ENUM_FIELDS, type EnumField, MASK_WORDS } from "./_domain.ts";
import type { RuleIndex } from "./_index_types.ts";

/** Per-field value bits packed into one number; superset on fields = superset on bits. */
function signature(b: Readonly<Record<EnumField, number>>): number {
  return b.env | (b.data_label << 4) | (b.tenant_risk << 7) | (b.qos_class << 10);
}

const within = (inner: number, outer: number) => (inner & ~outer) === 0;

/** not_in lists up to this size are matched by subset lookup (at most 63 subsets). */
const SMALL_SET = 6;

/** An unambiguous key for a sorted list of values (values are any non-empty strings). */
const setKey = (sorted: readonly string[]): string => JSON.stringify(sorted);

/** Shadow findings, one per unreachable rule, in rule order. */
export function analyseShadows(ix: RuleIndex): ShadowWarning[] {
  const { rules, caps, masks, bits } = ix.parsed;
  const n = rules.length;
  const sig = bits.map(signature);
  const firstAnyBySig = new Map<number, number>();
  const notInBySig = new Map<number, number[]>();
  const notInByValue = new Map<string, number[]>();
  // Exact not_in value set -> first rule per enum signature (for small sets: see below).
  const firstNotInBySet = new Map<string, Map<number, number>>();
  for (let r = 0; r < n; r++) {
    const c = caps[r];
    if (c.kind === "any") {
      if (!firstAnyBySig.has(sig[r])) firstAnyBySig.set(sig[r], r);
    } else if (c.kind === "not_in") {
      const g = notInBySig.get(sig[r]);
      if (g === undefined) notInBySig.set(sig[r], [r]);
      else g.push(r);
      const key = setKey([...c.values].sort());
      let bySig = firstNotInBySet.get(key);
      if (bySig === undefined) firstNotInBySet.set(key, bySig = new Map());
      if (!bySig.has(sig[r])) bySig.set(sig[r], r);
      for (const v of c.values) {
        const l = notInByValue.get(v);
        if (l === undefined) notInByValue.set(v, [r]);
        else l.push(r);
      }
    }
  }
  const enumCovers = (a: number, b: number): boolean => {
    for (let w = 0; w < MASK_WORDS; w++) {
      if ((masks[b * MASK_WORDS + w] & ~masks[a * MASK_WORDS + w]) !== 0) return false;
    }
    return true;
  };
  const covers = (a: number, b: number) => enumCovers(a, b) && capCovers(caps[a], caps[b]);

  const out: ShadowWarning[] = [];
  for (let j = 0; j < n; j++) {
    const id = rules[j].rule_id;
    const empty = ENUM_FIELDS.find((f) => bits[j][f] === 0);
    if (empty !== undefined) {
      out.push({
        shadowing_rule_id: null,
        shadowed_rule_id: id,
        kind: "unsatisfiable",
        message: `rule '${id}' can never match: its ${empty} condition excludes every value`,
      });
      continue;
    }
    let best = j; // "none yet": every candidate must come before j
    const cj = caps[j];
    if (cj.kind === "in") {
      let shortest: readonly number[] | undefined;
      for (const v of cj.values) {
        const l = ix.exact.get(v);
        if (l !== undefined && (shortest === undefined || l.length < shortest.length)) shortest = l;
      }
      for (const a of shortest ?? []) {
        if (a >= best) break;
        if (covers(a, j)) {
          best = a;
          break;
        }
      }
    }
    for (const [s, a] of firstAnyBySig) {
      if (a < best && within(sig[j], s)) best = a;
    }
    if (cj.kind === "not_in" && cj.values.size <= SMALL_SET) {
      // not_in X covers not_in Y iff X is a subset of Y: look every subset up directly, so many
      // rules sharing one excluded value do not make this quadratic.
      const ys = [...cj.values].sort();
      for (let m = 1; m < 1 << ys.length; m++) {
        const bySig = firstNotInBySet.get(setKey(ys.filter((_, k) => (m & (1 << k)) !== 0)));
        if (bySig === undefined) continue;
        for (const [s, a] of bySig) {
          if (a < best && within(sig[j], s)) best = a;
        }
      }
    } else if (cj.kind === "not_in") {
      const hits = new Map<number, number>();
      for (const v of cj.values) {
        for (const a of notInByValue.get(v) ?? []) {
          if (a >= best) break;
          const h = (hits.get(a) ?? 0) + 1;
          hits.set(a, h);
          const ca = caps[a] as { values: ReadonlySet<string> };
          if (h === ca.values.size && within(sig[j], sig[a])) best = a;
        }
      }
    } else if (cj.kind === "in" && notInBySig.size > 0) {
      const clash = new Set<number>();
      for (const v of cj.values) for (const a of notInByValue.get(v) ?? []) clash.add(a);
      for (const [s, group] of notInBySig) {
        if (!within(sig[j], s)) continue;
        for (const a of group) {
          if (a >= best) break;
          if (!clash.has(a)) {
            best = a;
            break;
          }
        }
      }
    }
    if (best === j) continue;
    const by = rules[best].rule_id;
    out.push(
      covers(j, best)
        ? {
          shadowing_rule_id: by,
          shadowed_rule_id: id,
          kind: "duplicate",
          message:
            `rule '${id}' matches exactly the requests of earlier rule '${by}' and is never ` +
            "reached",
        }
        : {
          shadowing_rule_id: by,
          shadowed_rule_id: id,
          kind: "subsumed",
          message:
            `earlier rule '${by}' matches every request rule '${id}' matches, so '${id}' is ` +
            "never reached",
        },
    );
  }
  return out;
}
