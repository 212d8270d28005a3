/**
 * Static checks of a compiled rule set, for `wcp lint`, the playground and CI: dead rules
 * (shadowed, duplicated, unsatisfiable, or covered by the union of earlier rules), identifiers
 * that are unknown or not in the strict grammar of spec section 3.2, and, given registry records,
 * candidates that no worker serves and workers that no rule can select. Pure; no I/O.
 *
 * @module
 */

import { isWcpId } from "../ids.ts";
import { ENVS, type RegistryRecord } from "../model.ts";
import type { Condition, RuleSet } from "./types.ts";
import { capAccepts } from "./_conditions.ts";
import { COMBOS } from "./_domain.ts";
import { acceptsCombo, buildTable, indexOf, type RuleIndex } from "./_index.ts";

/**
 * How bad a finding is: `error` (the rule set does not do what it says, or is denied in prod),
 * `warning` (probably a mistake), `info` (worth knowing).
 *
 * @example
 * ```ts
 * import type { LintSeverity } from "@wcp/core";
 * const s: LintSeverity = "warning";
 * ```
 */
export type LintSeverity = "error" | "warning" | "info";

/**
 * One lint finding.
 *
 * Codes: `SHADOWED_RULE`, `DUPLICATE_RULE`, `UNSATISFIABLE_RULE` (errors: the first two deny every
 * prod/edge request, `DENY_SHADOW_RULES_DETECTED`); `UNREACHABLE_RULE` (earlier rules together
 * cover it); `IGNORED_KEY`; `EMPTY_RULE_SET`; `NO_CANDIDATES` (info: the rule always denies);
 * `UNKNOWN_CAPABILITY`, `UNKNOWN_SPECIES`, `UNKNOWN_CONTROL` (when known ids are passed);
 * `NON_STRICT_ID` (underscores), `INVALID_ID`; `UNSERVED_SPECIES`, `UNSELECTABLE_RECORD`,
 * `UNROUTED_CAPABILITY` (when records are passed); `INVALID_OPTION` (an option of the wrong shape,
 * the only finding then).
 *
 * @example
 * ```ts
 * import type { LintFinding } from "@wcp/core";
 * const f: LintFinding = { severity: "error", code: "SHADOWED_RULE", rule_id: "r2",
 *   path: "rules[1]", message: "earlier rule 'r1' matches every request rule 'r2' matches" };
 * ```
 */
export interface LintFinding {
  /** How bad. */
  severity: LintSeverity;
  /** Stable upper-snake-case code. */
  code: string;
  /** The rule concerned, or null (set-wide and record findings). */
  rule_id: string | null;
  /** Where: `rules[3].match.capability_id.in[1]`, `records[0].worker_species_id`, or "". */
  path: string;
  /** A sentence a person can act on. */
  message: string;
}

/**
 * What lint may check against. Known-id sets come from a catalog (`getCatalog().ofType(...)`);
 * records from a registry (`registry.workers()`).
 *
 * @example
 * ```ts
 * import type { LintOptions } from "@wcp/core";
 * const options: LintOptions = { capabilities: ["cap.doc.summarize"], species: ["wrk.doc.summarizer"] };
 * ```
 */
export interface LintOptions {
  /** Known capability ids; others are `UNKNOWN_CAPABILITY`. */
  capabilities?: Iterable<string>;
  /** Known species ids; others are `UNKNOWN_SPECIES`. */
  species?: Iterable<string>;
  /** Known control ids; others are `UNKNOWN_CONTROL`. */
  controls?: Iterable<string>;
  /** Registry records: enables `UNSERVED_SPECIES`, `UNSELECTABLE_RECORD`, `UNROUTED_CAPABILITY`. */
  records?: readonly RegistryRecord[];
  /** Skip the id-grammar checks (`NON_STRICT_ID`, `INVALID_ID`). Default false. */
  skipIdGrammar?: boolean;
}

/**
 * Control ids the references require although they use underscores
 * (docs/protocol/rules.md#control-ids).
 */
const REFERENCE_CONTROLS = new Set([
  "ctrl.blast_radius_scoring",
  "ctrl.privilege_envelopes_required",
]);

/**
 * Lint a compiled rule set. Findings come in a stable order: set-wide, then per rule in document
 * order, then per record. Never throws for a RuleSet made by `parseRules`.
 *
 * @example
 * ```ts
 * import { lintRules, parseRules } from "@wcp/core";
 * const cap = "cap.doc.summarize";
 * const decision = { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] };
 * const rs = parseRules([
 *   { rule_id: "prod", match: { capability_id: cap, env: { in: ["prod", "edge"] } }, decision },
 *   { rule_id: "other", match: { capability_id: cap, env: { not_in: ["prod", "edge"] } }, decision },
 *   { rule_id: "p0", match: { capability_id: cap, qos_class: "P0" }, decision },
 * ]);
 * lintRules(rs).map((f) => `${f.code} ${f.rule_id}`); // ["UNREACHABLE_RULE p0"]
 * ```
 */
export function lintRules(ruleSet: RuleSet, options: LintOptions = {}): LintFinding[] {
  const ix = indexOf(ruleSet);
  if (ix === undefined) {
    return [{
      severity: "error",
      code: "NOT_COMPILED",
      rule_id: null,
      path: "",
      message: "lintRules needs a RuleSet returned by parseRules",
    }];
  }
  options ??= {}; // null from JavaScript callers: no options
  const bad = badOption(options);
  if (bad !== null) return [bad];
  const { rules } = ix.parsed;
  const perRule: LintFinding[][] = rules.map(() => []);
  const global: LintFinding[] = [];
  if (rules.length === 0) {
    global.push({
      severity: "warning",
      code: "EMPTY_RULE_SET",
      rule_id: null,
      path: "rules",
      message: "the rule set has no rules: every request is denied (DENY_NO_MATCHING_RULE)",
    });
  }
  const position = new Map(rules.map((r, i) => [r.rule_id, i]));
  for (const w of ruleSet.warnings) {
    const i = position.get(w.rule_id) ?? 0;
    perRule[i].push({ severity: "warning", code: "IGNORED_KEY", ...w });
  }
  const reported = new Set<number>();
  for (const w of ruleSet.shadowWarnings) {
    const i = position.get(w.shadowed_rule_id)!;
    reported.add(i);
    const code = w.kind === "duplicate"
      ? "DUPLICATE_RULE"
      : w.kind === "subsumed"
      ? "SHADOWED_RULE"
      : "UNSATISFIABLE_RULE";
    perRule[i].push({
      severity: "error",
      code,
      rule_id: w.shadowed_rule_id,
      path: `rules[${i}].match`,
      message: w.kind === "unsatisfiable"
        ? w.message
        : `${w.message} (in prod and edge every request is denied with DENY_SHADOW_RULES_DETECTED)`,
    });
  }

  const reach = reachability(ix);
  const dead = rules.map((_, i) => i).filter((i) => !reach.reachable[i] && !reported.has(i));
  const covering = coverers(ix, dead, 5);
  rules.forEach((r, i) => {
    const cover = covering.get(i);
    if (cover !== undefined) {
      const by = cover.ids.map((k) => `'${rules[k].rule_id}'`).join(", ");
      const how = !cover.complete
        ? `it is covered by earlier rules such as ${by}`
        : cover.ids.length === 5
        ? `earlier rules ${by} (and possibly more) together cover every request it matches`
        : `earlier rules ${by} together cover every request it matches`;
      perRule[i].push({
        severity: "warning",
        code: "UNREACHABLE_RULE",
        rule_id: r.rule_id,
        path: `rules[${i}].match`,
        message: `rule '${r.rule_id}' is never the first match: ${how}`,
      });
    }
    if (r.decision.candidate_workers_ranked.length === 0) {
      perRule[i].push({
        severity: "info",
        code: "NO_CANDIDATES",
        rule_id: r.rule_id,
        path: `rules[${i}].decision.candidate_workers_ranked`,
        message: `rule '${r.rule_id}' lists no candidate workers: its requests are always denied ` +
          "(DENY_NO_AVAILABLE_WORKER)",
      });
    }
  });

  checkIds(ix, options, perRule);
  const recordFindings = options.records ? checkRecords(ix, reach, options.records, perRule) : [];
  return [...global, ...perRule.flat(), ...recordFindings];
}

/** An option of the wrong shape, as an `INVALID_OPTION` error (a string is not a list of ids). */
function badOption(options: LintOptions): LintFinding | null {
  const o = options as Record<string, unknown>;
  const fail = (path: string, what: string): LintFinding => ({
    severity: "error",
    code: "INVALID_OPTION",
    rule_id: null,
    path,
    message: `lintRules option ${path} must be ${what}`,
  });
  for (const k of ["capabilities", "species", "controls"]) {
    const v = o[k];
    if (v === undefined) continue;
    const iterable = typeof v === "object" && v !== null &&
      typeof (v as Iterable<unknown>)[Symbol.iterator] === "function";
    if (!iterable) return fail(k, "an iterable of ids (an array or a Set)");
  }
  if (o.records !== undefined && !Array.isArray(o.records)) {
    return fail("records", "an array of registry records");
  }
  return null;
}

interface Reach {
  /** Rule i is the first match of at least one request. */
  reachable: boolean[];
  /** Envs (bitmask) in which rule i is a first match. */
  envs: number[];
}

/** Every capability that behaves differently, plus `null` for "any capability no rule names". */
function distinctCaps(ix: RuleIndex): (string | null)[] {
  return [...new Set([...ix.exact.keys(), ...ix.notInValues]), null];
}

function tableFor(ix: RuleIndex, cap: string | null): Int32Array {
  return cap === null ? ix.defaultTable : buildTable(ix, cap);
}

const COMBOS_PER_ENV = COMBOS / ENVS.length;

function reachability(ix: RuleIndex): Reach {
  const n = ix.parsed.rules.length;
  const reachable = new Array<boolean>(n).fill(false);
  const envs = new Array<number>(n).fill(0);
  for (const cap of distinctCaps(ix)) {
    const t = tableFor(ix, cap);
    for (let c = 0; c < COMBOS; c++) {
      const r = t[c];
      if (r < 0) continue;
      reachable[r] = true;
      envs[r] |= 1 << Math.floor(c / COMBOS_PER_ENV);
    }
  }
  return { reachable, envs };
}

/** Capabilities examined per dead wildcard rule when naming the rules that cover it. */
const COVER_CAP_BUDGET = 32;

interface Cover {
  /** Rule indices, ascending. */
  ids: number[];
  /** Every capability the dead rule accepts was examined (so `ids` is the whole cover). */
  complete: boolean;
}

/**
 * For each dead rule, up to `limit` rules that are the first match somewhere it matches. Only for
 * the message (deadness itself comes from `reachability`), so wildcard rules examine at most
 * COVER_CAP_BUDGET capabilities: pathological sets stay fast.
 */
function coverers(ix: RuleIndex, dead: readonly number[], limit: number): Map<number, Cover> {
  const { caps, masks } = ix.parsed;
  const named = [...new Set([...ix.exact.keys(), ...ix.notInValues])];
  const shared = new Map<string | null, Int32Array>();
  const sharedTable = (cap: string | null) => {
    let t = shared.get(cap);
    if (t === undefined) shared.set(cap, t = tableFor(ix, cap));
    return t;
  };
  const out = new Map<number, Cover>();
  for (const b of dead) {
    const cb = caps[b];
    const found = new Set<number>();
    let examined = 0;
    let complete = true;
    const scan = (t: Int32Array) => {
      for (let c = 0; c < COMBOS && found.size < limit; c++) {
        if (t[c] >= 0 && acceptsCombo(masks, b, c)) found.add(t[c]);
      }
    };
    if (cb.kind === "in") {
      for (const cap of cb.values) if (found.size < limit) scan(tableFor(ix, cap));
    } else {
      scan(sharedTable(null));
      for (const cap of named) {
        if (found.size >= limit) break;
        if (!capAccepts(cb, cap)) continue;
        if (++examined > COVER_CAP_BUDGET) {
          complete = false;
          break;
        }
        scan(sharedTable(cap));
      }
    }
    out.set(b, { ids: [...found].sort((x, y) => x - y), complete });
  }
  return out;
}

function conditionValues(c: Condition, path: string): [string, string][] {
  if (typeof c === "string") return [[c, path]];
  if ("eq" in c) return [[c.eq, `${path}.eq`]];
  if ("in" in c) return c.in.map((v, k) => [v, `${path}.in[${k}]`]);
  if ("not_in" in c) return c.not_in.map((v, k) => [v, `${path}.not_in[${k}]`]);
  return [];
}

function checkIds(ix: RuleIndex, options: LintOptions, perRule: LintFinding[][]): void {
  const known = (ids?: Iterable<string>) => ids ? new Set(ids) : undefined;
  const caps = known(options.capabilities);
  const species = known(options.species);
  const controls = known(options.controls);
  ix.parsed.rules.forEach((r, i) => {
    const out = perRule[i];
    const check = (id: string, path: string, kind: string, set: Set<string> | undefined) => {
      if (set && !set.has(id)) {
        out.push({
          severity: "warning",
          code: `UNKNOWN_${kind.toUpperCase()}`,
          rule_id: r.rule_id,
          path,
          message: `rule '${r.rule_id}': ${kind} ${JSON.stringify(id)} is not in the catalog`,
        });
      }
      if (options.skipIdGrammar || isWcpId(id)) return;
      const lenient = isWcpId(id, { strict: false });
      const reference = REFERENCE_CONTROLS.has(id);
      out.push({
        severity: reference ? "info" : "warning",
        code: lenient ? "NON_STRICT_ID" : "INVALID_ID",
        rule_id: r.rule_id,
        path,
        message: reference
          ? `rule '${r.rule_id}': ${kind} ${JSON.stringify(id)} uses underscores, which spec 3.2 ` +
            "forbids, but the reference requires this exact id"
          : lenient
          ? `rule '${r.rule_id}': ${kind} ${JSON.stringify(id)} uses underscores; spec 3.2 ids ` +
            "are lowercase a-z, digits and hyphens"
          : `rule '${r.rule_id}': ${kind} ${JSON.stringify(id)} is not a WCP id (2-4 ` +
            "dot-separated segments of a-z, 0-9, '-', at most 64 characters)",
      });
    };
    const cap = r.match.capability_id;
    if (cap !== undefined) {
      for (const [v, p] of conditionValues(cap, `rules[${i}].match.capability_id`)) {
        check(v, p, "capability", caps);
      }
    }
    r.decision.candidate_workers_ranked.forEach((c, k) => {
      const p = `rules[${i}].decision.candidate_workers_ranked[${k}].worker_species_id`;
      check(c.worker_species_id, p, "species", species);
    });
    r.decision.required_controls_suggested.forEach((c, k) => {
      check(c, `rules[${i}].decision.required_controls_suggested[${k}]`, "control", controls);
    });
  });
}

function checkRecords(
  ix: RuleIndex,
  reach: Reach,
  records: readonly RegistryRecord[],
  perRule: LintFinding[][],
): LintFinding[] {
  const rules = ix.parsed.rules;
  const active = records.filter((r) => r && r.status !== "revoked");
  const served = new Set(active.map((r) => r.worker_species_id));
  rules.forEach((r, i) => {
    r.decision.candidate_workers_ranked.forEach((c, k) => {
      if (served.has(c.worker_species_id)) return;
      perRule[i].push({
        severity: "warning",
        code: "UNSERVED_SPECIES",
        rule_id: r.rule_id,
        path: `rules[${i}].decision.candidate_workers_ranked[${k}].worker_species_id`,
        message: `rule '${r.rule_id}': no active registry record serves species ` +
          `${JSON.stringify(c.worker_species_id)}`,
      });
    });
  });
  // Species -> envs (bitmask) in which some rule that is a first match somewhere lists it.
  const selectable = new Map<string, number>();
  rules.forEach((r, i) => {
    if (!reach.reachable[i]) return;
    for (const c of r.decision.candidate_workers_ranked) {
      selectable.set(
        c.worker_species_id,
        (selectable.get(c.worker_species_id) ?? 0) | reach.envs[i],
      );
    }
  });
  const out: LintFinding[] = [];
  records.forEach((rec, k) => {
    if (!rec || rec.status === "revoked" || typeof rec.worker_species_id !== "string") return;
    const allowed = Array.isArray(rec.allowed_environments)
      ? rec.allowed_environments.reduce((m, e) => m | (1 << ENVS.indexOf(e)), 0)
      : (1 << ENVS.length) - 1;
    const envs = (selectable.get(rec.worker_species_id) ?? 0) & allowed;
    if (envs === 0) {
      out.push({
        severity: "warning",
        code: "UNSELECTABLE_RECORD",
        rule_id: null,
        path: `records[${k}]`,
        message: `worker ${JSON.stringify(rec.worker_id)} (species ` +
          `${JSON.stringify(rec.worker_species_id)}) can never be selected: no reachable rule ` +
          "lists its species" +
          (selectable.has(rec.worker_species_id) ? " in an environment it allows" : ""),
      });
    }
    (Array.isArray(rec.capabilities) ? rec.capabilities : []).forEach((cap, j) => {
      if (typeof cap !== "string") return;
      const t = tableFor(ix, ix.exact.has(cap) || ix.notInValues.has(cap) ? cap : null);
      if (t.some((r) => r >= 0)) return;
      out.push({
        severity: "info",
        code: "UNROUTED_CAPABILITY",
        rule_id: null,
        path: `records[${k}].capabilities[${j}]`,
        message: `worker ${JSON.stringify(rec.worker_id)} serves ${JSON.stringify(cap)}, but no ` +
          "rule matches that capability, so requests for it are denied",
      });
    });
  });
  return out;
}
