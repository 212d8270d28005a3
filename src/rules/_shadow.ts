/**
 * Shadow analysis with set semantics (README decision 9, behaviour.md 3.5/3.6 without the TS
 * port's defects B-3 and B-4): rule B is shadowed by an earlier rule A iff every request B accepts
 * A accepts too. Runs once per rule set; only rules that could cover B are compared (rules listing
 * one of B's capabilities, and the wild ones), so realistic sets cost about linear time.
 *
 * @module
 */

import type { ShadowWarning } from "../rules.ts";
import { capCovers } from "./_conditions.ts";
import { ENUM_FIELDS, MASK_WORDS } from "./_domain.ts";
import type { RuleIndex } from "./_index.ts";

/** Shadow findings, one per unreachable rule, in rule order. */
export function analyseShadows(ix: RuleIndex): ShadowWarning[] {
  const { rules, caps, masks, bits } = ix.parsed;
  const out: ShadowWarning[] = [];
  const covers = (a: number, b: number): boolean => {
    for (let w = 0; w < MASK_WORDS; w++) {
      if ((masks[b * MASK_WORDS + w] & ~masks[a * MASK_WORDS + w]) !== 0) return false;
    }
    return capCovers(caps[a], caps[b]);
  };
  const equal = (a: number, b: number): boolean => covers(a, b) && covers(b, a);
  for (let j = 0; j < rules.length; j++) {
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
    let best = -1;
    const cj = caps[j];
    if (cj.kind === "in") {
      // Any cover must list every value of B; scan the shortest of their lists.
      let shortest: readonly number[] | undefined;
      for (const v of cj.values) {
        const l = ix.exact.get(v);
        if (l !== undefined && (shortest === undefined || l.length < shortest.length)) shortest = l;
      }
      for (const a of shortest ?? []) {
        if (a >= j) break;
        if (covers(a, j)) {
          best = a;
          break;
        }
      }
    }
    for (const a of ix.wild) {
      if (a >= j || (best >= 0 && a > best)) break;
      if (covers(a, j)) {
        best = a;
        break;
      }
    }
    if (best < 0) continue;
    const by = rules[best].rule_id;
    out.push(
      equal(best, j)
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
