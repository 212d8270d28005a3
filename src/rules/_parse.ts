/**
 * The rules loader: validates a whole rules document and produces frozen, normalised rules plus
 * their compiled conditions. Every problem throws `WcpError("RULES_INVALID", path, message)` with
 * the rule id in the message; unknown keys that the references ignore become warnings.
 *
 * @module
 */

import { ENVS, SUPERVISOR_LEVELS } from "../model.ts";
import type { Env, PreconditionsChecked } from "../model.ts";
import type {
  Condition,
  MatchField,
  Rule,
  RuleCandidate,
  RuleDecision,
  RuleEscalation,
  RuleSetWarning,
} from "./types.ts";
import { CAP_ANY, type CapCondition, compileCapability, compileEnum } from "./_conditions.ts";
import {
  comboMask,
  ENUM_FIELDS,
  type EnumField,
  fullBits,
  MASK_WORDS,
  MATCH_FIELDS,
} from "./_domain.ts";
import { fail, frozenJsonCopy, isPlainObject, typeName } from "./_json.ts";

/** A validated rules document, ready for indexing. */
export interface ParsedRules {
  /** Frozen, normalised rules in document order. */
  rules: readonly Rule[];
  /** Compiled capability condition per rule. */
  caps: readonly CapCondition[];
  /** Per-field enum bitmasks per rule. */
  bits: readonly Readonly<Record<EnumField, number>>[];
  /** Accepted enum combinations: MASK_WORDS words per rule. */
  masks: Uint32Array;
  /** Non-fatal findings (ignored keys). */
  warnings: readonly RuleSetWarning[];
}

const RULE_KEYS = new Set(["rule_id", "match", "decision"]);
const DECISION_KEYS = new Set([
  "candidate_workers_ranked",
  "required_controls_suggested",
  "recommended_profiles",
  "escalation",
  "preconditions",
  "max_blast_by_env",
]);
const ESCALATION_BOOLEANS = [
  "policy_gate",
  "msavx_step_up",
  "human_required_default",
  "hold_over_cap",
] as const;
const ESCALATION_KEYS = new Set<string>([
  ...ESCALATION_BOOLEANS,
  "human_required_if",
  "rationale",
  "supervisor_level",
]);

/** Preconditions defaults (docs/protocol/rules.md#preconditions-defaults). */
export const PRECONDITION_DEFAULTS: Readonly<PreconditionsChecked> = Object.freeze({
  must_have_correlation_id: true,
  must_attach_policy_version: true,
  must_record_artifact_hash_if_executes: true,
  deny_if_missing_required_controls: true,
  deny_if_unsigned_artifact_in_prod: false,
  deny_if_no_attestation_in_prod: false,
});

/** Escalation defaults (docs/protocol/rules.md#escalation-defaults). */
export const ESCALATION_DEFAULTS: RuleEscalation = Object.freeze({
  policy_gate: false,
  msavx_step_up: false,
  human_required_default: false,
  human_required_if: Object.freeze([]) as readonly Readonly<Record<string, unknown>>[],
  rationale: null,
  hold_over_cap: false,
});

const EMPTY_DECISION: RuleDecision = Object.freeze({
  candidate_workers_ranked: Object.freeze([]),
  required_controls_suggested: Object.freeze([]),
  recommended_profiles: Object.freeze([]),
  escalation: ESCALATION_DEFAULTS,
  preconditions: PRECONDITION_DEFAULTS,
  max_blast_by_env: Object.freeze({}),
});

class Collector {
  warnings: RuleSetWarning[] = [];
  unknownKeys(obj: Record<string, unknown>, known: Set<string>, path: string, ruleId: string) {
    for (const k of Object.keys(obj)) {
      if (known.has(k)) continue;
      this.warnings.push(Object.freeze({
        rule_id: ruleId,
        path: `${path}.${k}`,
        message: `rule '${ruleId}': unknown key ${JSON.stringify(k)} is ignored`,
      }));
    }
  }
}

/** Validate and compile a rules document (`{"rules": [...]}` or a bare array). */
export function parseDocument(doc: unknown): ParsedRules {
  let list: unknown;
  if (Array.isArray(doc)) list = doc;
  else if (isPlainObject(doc)) {
    if (!Object.hasOwn(doc, "rules")) {
      fail("rules", 'missing: a rules document is {"rules": [...]}');
    }
    list = doc.rules;
    if (!Array.isArray(list)) fail("rules", `must be an array of rules, got ${typeName(list)}`);
  } else {
    fail("", `a rules document is {"rules": [...]} or an array of rules, got ${typeName(doc)}`);
  }
  const items = list as unknown[];
  const col = new Collector();
  const rules: Rule[] = new Array(items.length);
  const caps: CapCondition[] = new Array(items.length);
  const bits: Record<EnumField, number>[] = new Array(items.length);
  const masks = new Uint32Array(items.length * MASK_WORDS);
  const seen = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    const path = `rules[${i}]`;
    const raw = items[i];
    if (!isPlainObject(raw)) fail(path, `a rule must be an object, got ${typeName(raw)}`);
    const id = raw.rule_id;
    if (typeof id !== "string" || id.trim() === "") {
      fail(
        `${path}.rule_id`,
        id === undefined
          ? "rule_id is required"
          : `rule_id must be a non-empty string, got ${typeName(id)}`,
      );
    }
    const prev = seen.get(id);
    if (prev !== undefined) {
      fail(`${path}.rule_id`, `rule '${id}': rule_id is already used by rules[${prev}]`);
    }
    seen.set(id, i);
    const who = `rule '${id}'`;
    col.unknownKeys(raw, RULE_KEYS, path, id);

    const m = parseMatch(raw.match, `${path}.match`, who);
    caps[i] = m.cap;
    bits[i] = m.bits;
    comboMask(m.bits, masks, i * MASK_WORDS);
    if (raw.decision === undefined) {
      fail(
        `${path}.decision`,
        `${who}: decision is required: a decision block whose candidate_workers_ranked lists ` +
          "the workers this rule routes to",
      );
    }
    const decision = parseDecision(raw.decision, `${path}.decision`, who, id, col);
    rules[i] = Object.freeze({ rule_id: id, match: m.written, decision });
  }
  return { rules: Object.freeze(rules), caps, bits, masks, warnings: Object.freeze(col.warnings) };
}

function parseMatch(
  raw: unknown,
  path: string,
  who: string,
): {
  written: Readonly<Partial<Record<MatchField, Condition>>>;
  cap: CapCondition;
  bits: Record<EnumField, number>;
} {
  const bits = {} as Record<EnumField, number>;
  for (const f of ENUM_FIELDS) bits[f] = fullBits(f);
  if (raw === undefined) return { written: Object.freeze({}), cap: CAP_ANY, bits };
  if (!isPlainObject(raw)) fail(path, `${who}: match must be an object, got ${typeName(raw)}`);
  const written: Partial<Record<MatchField, Condition>> = {};
  let cap = CAP_ANY;
  for (const key of Object.keys(raw)) {
    if (!(MATCH_FIELDS as readonly string[]).includes(key)) {
      fail(
        `${path}.${key}`,
        `${who}: unknown match key ${JSON.stringify(key)} (expected ${MATCH_FIELDS.join(", ")})`,
      );
    }
  }
  // Canonical field order, whatever the document's key order.
  for (const f of MATCH_FIELDS) {
    if (!Object.hasOwn(raw, f)) continue;
    const at = `${path}.${f}`;
    if (f === "capability_id") {
      const c = compileCapability(raw[f], at, who);
      written[f] = c.written;
      cap = c.compiled;
    } else {
      const c = compileEnum(f, raw[f], at, who);
      written[f] = c.written;
      bits[f] = c.bits;
    }
  }
  return { written: Object.freeze(written), cap, bits };
}

function parseDecision(
  raw: unknown,
  path: string,
  who: string,
  id: string,
  col: Collector,
): RuleDecision {
  if (!isPlainObject(raw)) fail(path, `${who}: decision must be an object, got ${typeName(raw)}`);
  col.unknownKeys(raw, DECISION_KEYS, path, id);
  const decision: RuleDecision = Object.freeze({
    candidate_workers_ranked: parseCandidates(
      raw.candidate_workers_ranked,
      `${path}.candidate_workers_ranked`,
      who,
      id,
      col,
    ),
    required_controls_suggested: parseControls(
      raw.required_controls_suggested,
      `${path}.required_controls_suggested`,
      who,
    ),
    recommended_profiles: parseProfiles(
      raw.recommended_profiles,
      `${path}.recommended_profiles`,
      who,
    ),
    escalation: parseEscalation(raw.escalation, `${path}.escalation`, who, id, col),
    preconditions: parsePreconditions(raw.preconditions, `${path}.preconditions`, who, id, col),
    max_blast_by_env: parseMaxBlast(raw.max_blast_by_env, `${path}.max_blast_by_env`, who),
  });
  // A decision without a candidate list is a half-written rule, not a choice: refused. An explicit
  // empty list (the references' "route nowhere", conformance vector CV-002) stays valid: it denies
  // every request it matches with DENY_NO_AVAILABLE_WORKER, and `lintRules` reports it. Checked
  // after the other fields, so a malformed one is named first.
  if (raw.candidate_workers_ranked === undefined) {
    fail(
      path,
      `${who}: decision has no candidate_workers_ranked: list the workers this rule routes to ` +
        "([] routes nowhere: every request it matches is denied)",
    );
  }
  return decision;
}

function parseCandidates(
  raw: unknown,
  path: string,
  who: string,
  id: string,
  col: Collector,
): readonly RuleCandidate[] {
  if (raw === undefined) return EMPTY_DECISION.candidate_workers_ranked;
  if (!Array.isArray(raw)) {
    fail(path, `${who}: must be an array of candidates, got ${typeName(raw)}`);
  }
  return Object.freeze(raw.map((c, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(c)) fail(at, `${who}: a candidate must be an object, got ${typeName(c)}`);
    const species = c.worker_species_id;
    if (typeof species !== "string" || species === "") {
      fail(
        `${at}.worker_species_id`,
        `${who}: worker_species_id must be a non-empty string, got ${typeName(species)}`,
      );
    }
    const hint = c.score_hint ?? null;
    if (hint !== null && (typeof hint !== "number" || !Number.isFinite(hint))) {
      fail(
        `${at}.score_hint`,
        `${who}: score_hint must be a finite number or null, got ${typeName(hint)}`,
      );
    }
    col.unknownKeys(c, CANDIDATE_KEYS, at, id);
    return Object.freeze({ worker_species_id: species, score_hint: hint });
  }));
}
const CANDIDATE_KEYS = new Set(["worker_species_id", "score_hint"]);

function parseControls(raw: unknown, path: string, who: string): readonly string[] {
  if (raw === undefined) return EMPTY_DECISION.required_controls_suggested;
  if (!Array.isArray(raw)) {
    fail(path, `${who}: must be an array of control ids, got ${typeName(raw)}`);
  }
  raw.forEach((c, i) => {
    if (typeof c !== "string" || c === "") {
      fail(`${path}[${i}]`, `${who}: a control id must be a non-empty string, got ${typeName(c)}`);
    }
  });
  // A set (docs/protocol/rules.md#control-ids): sorted and de-duplicated once, here.
  return Object.freeze([...new Set(raw as string[])].sort());
}

function parseProfiles(
  raw: unknown,
  path: string,
  who: string,
): readonly Readonly<Record<string, unknown>>[] {
  if (raw === undefined) return EMPTY_DECISION.recommended_profiles;
  if (!Array.isArray(raw)) fail(path, `${who}: must be an array of objects, got ${typeName(raw)}`);
  return Object.freeze(raw.map((p, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(p)) fail(at, `${who}: a profile must be an object, got ${typeName(p)}`);
    return frozenJsonCopy(p, at, who) as Readonly<Record<string, unknown>>;
  }));
}

function parseEscalation(
  raw: unknown,
  path: string,
  who: string,
  id: string,
  col: Collector,
): RuleEscalation {
  if (raw === undefined) return ESCALATION_DEFAULTS;
  if (!isPlainObject(raw)) fail(path, `${who}: escalation must be an object, got ${typeName(raw)}`);
  col.unknownKeys(raw, ESCALATION_KEYS, path, id);
  const out: {
    -readonly [K in keyof RuleEscalation]: RuleEscalation[K];
  } = { ...ESCALATION_DEFAULTS };
  for (const k of ESCALATION_BOOLEANS) {
    if (!Object.hasOwn(raw, k)) continue;
    const v = raw[k];
    if (typeof v !== "boolean") {
      fail(`${path}.${k}`, `${who}: ${k} must be true or false, got ${typeName(v)}`);
    }
    out[k] = v;
  }
  if (Object.hasOwn(raw, "human_required_if")) {
    const v = raw.human_required_if;
    const at = `${path}.human_required_if`;
    if (!Array.isArray(v)) {
      fail(at, `${who}: human_required_if must be an array of objects, got ${typeName(v)}`);
    }
    out.human_required_if = Object.freeze(v.map((x, i) => {
      if (!isPlainObject(x)) fail(`${at}[${i}]`, `${who}: must be an object, got ${typeName(x)}`);
      return frozenJsonCopy(x, `${at}[${i}]`, who) as Readonly<Record<string, unknown>>;
    }));
  }
  if (Object.hasOwn(raw, "rationale")) {
    const v = raw.rationale;
    if (v !== null && typeof v !== "string") {
      fail(`${path}.rationale`, `${who}: rationale must be a string or null, got ${typeName(v)}`);
    }
    out.rationale = v;
  }
  if (Object.hasOwn(raw, "supervisor_level")) {
    const v = raw.supervisor_level;
    if (typeof v !== "string" || !(SUPERVISOR_LEVELS as readonly string[]).includes(v)) {
      fail(
        `${path}.supervisor_level`,
        `${who}: supervisor_level must be one of ${SUPERVISOR_LEVELS.join("|")}, got ${
          typeName(v)
        }`,
      );
    }
    out.supervisor_level = v as RuleEscalation["supervisor_level"];
  }
  return Object.freeze(out);
}

const PRECONDITION_KEYS = new Set(Object.keys(PRECONDITION_DEFAULTS));

function parsePreconditions(
  raw: unknown,
  path: string,
  who: string,
  id: string,
  col: Collector,
): Readonly<PreconditionsChecked> {
  if (raw === undefined) return PRECONDITION_DEFAULTS;
  if (!isPlainObject(raw)) {
    fail(path, `${who}: preconditions must be an object, got ${typeName(raw)}`);
  }
  col.unknownKeys(raw, PRECONDITION_KEYS, path, id);
  const out = { ...PRECONDITION_DEFAULTS };
  for (const k of PRECONDITION_KEYS as Set<keyof PreconditionsChecked>) {
    if (!Object.hasOwn(raw, k)) continue;
    const v = raw[k];
    if (typeof v !== "boolean") {
      fail(`${path}.${k}`, `${who}: ${k} must be true or false, got ${typeName(v)}`);
    }
    out[k] = v;
  }
  return Object.freeze(out);
}

function parseMaxBlast(
  raw: unknown,
  path: string,
  who: string,
): Readonly<Partial<Record<Env, number>>> {
  if (raw === undefined) return EMPTY_DECISION.max_blast_by_env;
  if (!isPlainObject(raw)) {
    fail(path, `${who}: max_blast_by_env must be an object, got ${typeName(raw)}`);
  }
  const out: Partial<Record<Env, number>> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(ENVS as readonly string[]).includes(k)) {
      fail(
        `${path}.${k}`,
        `${who}: unknown environment ${JSON.stringify(k)} (one of ${ENVS.join("|")})`,
      );
    }
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 25) {
      fail(`${path}.${k}`, `${who}: a cap is an integer from 0 to 25, got ${typeName(v)}`);
    }
    out[k as Env] = v;
  }
  return Object.freeze(out);
}
