/**
 * What-if replay: recorded decisions decided again against a candidate rule set, hall config,
 * policy gate or registry, and a report of every decision that would change, grouped by (old
 * outcome, old deny code, new outcome, new deny code) with examples and blast deltas.
 *
 * A {@link DecisionRecord} keeps exactly what a decision depends on besides the hall's state: the
 * seven routing fields, the caller's policy version, dry-run flag, blast estimate and parent
 * decision, the four request flags the blast heuristic reads (`egress`, `external_call`, `writes`,
 * `mutates_state`; never the payload itself), the parent chain's blast total, and, for gates
 * decided outside the core, the gate's answer. Replaying a record through `makeDecision` is
 * therefore deterministic.
 *
 * Pure: no file, network or `Deno.*` calls.
 *
 * @module
 */

import { WcpError } from "../errors.ts";
import {
  DATA_LABELS,
  DENY_CODES,
  type DenyCode,
  ENVS,
  type Outcome,
  OUTCOMES,
  QOS_CLASSES,
  type RouteDecision,
  type RouteInput,
  TENANT_RISKS,
} from "../model.ts";
import type { HallConfig } from "../config.ts";
import {
  checkGateResult,
  type PolicyGate,
  type PolicyGateFn,
  type PolicyGateResult,
} from "./policy.ts";
import type { Registry } from "../registry/registry.ts";
import type { RuleSet } from "../rules/mod.ts";
import { type DecisionOptions, makeDecision } from "./router.ts";

/** The request fields the blast heuristic reads (truthy ones are recorded as `true`). */
export const RECORDED_REQUEST_FLAGS: readonly [
  "egress",
  "external_call",
  "writes",
  "mutates_state",
] = ["egress", "external_call", "writes", "mutates_state"];

/** The input of a recorded decision: a valid RouteInput reduced to what decisions depend on. */
export interface RecordedInput {
  /** As sent. */
  correlation_id: string;
  /** As sent (not redacted). */
  tenant_id: string;
  /** Environment. */
  env: RouteInput["env"];
  /** Data label. */
  data_label: RouteInput["data_label"];
  /** Tenant risk. */
  tenant_risk: RouteInput["tenant_risk"];
  /** QoS class. */
  qos_class: RouteInput["qos_class"];
  /** Capability. */
  capability_id: string;
  /** The caller's policy version. */
  policy_version: string;
  /** Dry run. */
  dry_run: boolean;
  /** The caller's 0-100 blast estimate, or null. */
  blast_score: number | null;
  /** The parent decision of a worker chain, or null. */
  parent_decision_id: string | null;
  /** Only the truthy flags of {@link RECORDED_REQUEST_FLAGS}, each `true`. */
  request: Partial<Record<typeof RECORDED_REQUEST_FLAGS[number], true>>;
}

/** One recorded decision: its replayable input and what was decided (a line of a JSONL export). */
export interface DecisionRecord {
  /** The decision's id. */
  decision_id: string;
  /** When it was decided (RFC 3339). */
  timestamp: string;
  /** What was asked. */
  input: RecordedInput;
  /** The parent chain's blast total the decision used, or null (no parent). */
  parent_chain_blast_score: number | null;
  /**
   * A gate answer obtained outside the core (an async gate), replayed when the simulation is not
   * given a gate of its own; else null.
   */
  gate_answer: PolicyGateResult | null;
  /** What was decided. */
  outcome: Outcome;
  /** The deny code, or null. */
  deny_code: DenyCode | null;
  /** The matched rule (`NO_MATCH`, `PRE_ROUTING` when none). */
  matched_rule_id: string;
  /** The selected worker, or null. */
  selected_worker_id: string | null;
  /** The 0-100 score, or null. */
  blast_score: number | null;
  /** The selected worker's five-dimension score, or null. */
  blast_dimensions_score: number | null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (typeof v === "number") return !Number.isNaN(v);
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

/**
 * The replay record of a decision, from the input it was made for; null when the input was not a
 * valid request (its denial does not depend on rules, config or gate). `parentChainBlastScore` is
 * the parent chain's total the decision was given; `gateAnswer` an answer decided outside the core.
 *
 * @example
 * ```ts
 * import { decisionRecordOf, makeDecision, parseRules } from "@wcp/core";
 * const input = { correlation_id: "c-1", tenant_id: "acme", env: "dev", data_label: "PUBLIC",
 *   tenant_risk: "low", qos_class: "P2", capability_id: "cap.doc.summarize",
 *   request: { text: "secret", writes: true } };
 * const decision = makeDecision(input, { rules: parseRules([]) });
 * const record = decisionRecordOf(input, decision);
 * record?.input.request; // { writes: true } (the payload itself is not kept)
 * record?.deny_code; // "DENY_NO_MATCHING_RULE"
 * ```
 */
export function decisionRecordOf(
  input: unknown,
  decision: RouteDecision,
  parentChainBlastScore: number | null = null,
  gateAnswer: PolicyGateResult | null = null,
): DecisionRecord | null {
  if (!isObject(input) || decision.env === null) return null;
  const code = decision.deny_reason_if_denied?.code ?? null;
  if (code === "DENY_INVALID_INPUT") return null;
  const str = (k: string): string | null =>
    typeof input[k] === "string" ? input[k] as string : null;
  const fields = [
    "correlation_id",
    "tenant_id",
    "env",
    "data_label",
    "tenant_risk",
    "qos_class",
    "capability_id",
  ] as const;
  for (const f of fields) if (str(f) === null) return null;
  const request: RecordedInput["request"] = {};
  const req = input.request;
  if (isObject(req)) {
    for (const f of RECORDED_REQUEST_FLAGS) if (pyTruthy(req[f])) request[f] = true;
  }
  const blast = input.blast_score;
  return {
    decision_id: decision.decision_id,
    timestamp: decision.timestamp,
    input: {
      correlation_id: str("correlation_id")!,
      tenant_id: str("tenant_id")!,
      env: str("env") as RouteInput["env"],
      data_label: str("data_label") as RouteInput["data_label"],
      tenant_risk: str("tenant_risk") as RouteInput["tenant_risk"],
      qos_class: str("qos_class") as RouteInput["qos_class"],
      capability_id: str("capability_id")!,
      policy_version: str("policy_version") ?? "policy.v0",
      dry_run: input.dry_run === true,
      blast_score: typeof blast === "number" ? blast : null,
      parent_decision_id: str("parent_decision_id"),
      request,
    },
    parent_chain_blast_score: parentChainBlastScore,
    gate_answer: gateAnswer,
    outcome: decision.outcome,
    deny_code: code,
    matched_rule_id: decision.matched_rule_id,
    selected_worker_id: decision.selected_worker_id,
    blast_score: decision.blast_score,
    blast_dimensions_score: decision.blast_dimensions_score,
  };
}

const RECORD_KEYS = new Set([
  "decision_id",
  "timestamp",
  "input",
  "parent_chain_blast_score",
  "gate_answer",
  "outcome",
  "deny_code",
  "matched_rule_id",
  "selected_worker_id",
  "blast_score",
  "blast_dimensions_score",
]);
const INPUT_KEYS = new Set([
  "correlation_id",
  "tenant_id",
  "env",
  "data_label",
  "tenant_risk",
  "qos_class",
  "capability_id",
  "policy_version",
  "dry_run",
  "blast_score",
  "parent_decision_id",
  "request",
]);

/**
 * Check one record (a parsed JSONL line or a stored row). Throws `WcpError` `RECORD_INVALID` with
 * the path of the first bad field, prefixed by `where` (such as `line 12`).
 *
 * @example
 * ```ts
 * import { parseDecisionRecord } from "@wcp/core";
 * try {
 *   parseDecisionRecord({ decision_id: "d1" }, "line 1");
 * } catch (e) {
 *   (e as { path: string }).path; // "line 1.timestamp"
 * }
 * ```
 */
export function parseDecisionRecord(value: unknown, where = ""): DecisionRecord {
  const at = (p: string) => (where ? `${where}.${p}` : p);
  const bad = (p: string, m: string): never => {
    throw new WcpError("RECORD_INVALID", at(p), m);
  };
  if (!isObject(value)) {
    throw new WcpError("RECORD_INVALID", where, "a decision record is a JSON object");
  }
  for (const k of Object.keys(value)) if (!RECORD_KEYS.has(k)) bad(k, "unknown field");
  const text = (o: Record<string, unknown>, k: string, p: string, nullable = false) => {
    const v = o[k];
    if (nullable && (v === null || v === undefined)) return null;
    if (typeof v !== "string" || v === "") bad(p, "must be a non-empty string");
    return v as string;
  };
  const oneOf = <T extends string>(
    o: Record<string, unknown>,
    k: string,
    p: string,
    list: readonly T[],
    nullable = false,
  ): T | null => {
    const v = o[k];
    if (nullable && (v === null || v === undefined)) return null;
    if (typeof v !== "string" || !list.includes(v as T)) bad(p, `must be one of ${list.join("|")}`);
    return v as T;
  };
  const score = (o: Record<string, unknown>, k: string, p: string, max: number) => {
    const v = o[k];
    if (v === null || v === undefined) return null;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > max) {
      bad(p, `must be null or a number 0-${max}`);
    }
    return v as number;
  };
  const inp = value.input;
  if (!isObject(inp)) bad("input", "must be an object");
  const i = inp as Record<string, unknown>;
  for (const k of Object.keys(i)) if (!INPUT_KEYS.has(k)) bad(`input.${k}`, "unknown field");
  const req = i.request ?? {};
  if (!isObject(req)) bad("input.request", "must be an object");
  const request: RecordedInput["request"] = {};
  for (const [k, v] of Object.entries(req as Record<string, unknown>)) {
    if (!(RECORDED_REQUEST_FLAGS as readonly string[]).includes(k) || v !== true) {
      bad(`input.request.${k}`, `only ${RECORDED_REQUEST_FLAGS.join(", ")} set to true are kept`);
    }
    request[k as typeof RECORDED_REQUEST_FLAGS[number]] = true;
  }
  if (i.dry_run !== undefined && typeof i.dry_run !== "boolean") {
    bad("input.dry_run", "must be a boolean");
  }
  let gate: PolicyGateResult | null = null;
  if (value.gate_answer !== undefined && value.gate_answer !== null) {
    const checked = checkGateResult(value.gate_answer, "policy.v0");
    if (!checked.ok) bad("gate_answer", `not a policy gate answer: ${checked.shown}`);
    else gate = checked.result;
  }
  return {
    decision_id: text(value, "decision_id", "decision_id")!,
    timestamp: text(value, "timestamp", "timestamp")!,
    input: {
      correlation_id: text(i, "correlation_id", "input.correlation_id")!,
      tenant_id: text(i, "tenant_id", "input.tenant_id")!,
      env: oneOf(i, "env", "input.env", ENVS)!,
      data_label: oneOf(i, "data_label", "input.data_label", DATA_LABELS)!,
      tenant_risk: oneOf(i, "tenant_risk", "input.tenant_risk", TENANT_RISKS)!,
      qos_class: oneOf(i, "qos_class", "input.qos_class", QOS_CLASSES)!,
      capability_id: text(i, "capability_id", "input.capability_id")!,
      policy_version: text(i, "policy_version", "input.policy_version", true) ?? "policy.v0",
      dry_run: i.dry_run === true,
      blast_score: score(i, "blast_score", "input.blast_score", 100),
      parent_decision_id: text(i, "parent_decision_id", "input.parent_decision_id", true),
      request,
    },
    parent_chain_blast_score: score(
      value,
      "parent_chain_blast_score",
      "parent_chain_blast_score",
      Number.MAX_SAFE_INTEGER,
    ),
    gate_answer: gate,
    outcome: oneOf(value, "outcome", "outcome", OUTCOMES)!,
    deny_code: oneOf(value, "deny_code", "deny_code", DENY_CODES, true),
    matched_rule_id: text(value, "matched_rule_id", "matched_rule_id")!,
    selected_worker_id: text(value, "selected_worker_id", "selected_worker_id", true),
    blast_score: score(value, "blast_score", "blast_score", 100),
    blast_dimensions_score: score(value, "blast_dimensions_score", "blast_dimensions_score", 25),
  };
}

/** What a simulation decides against (missing parts: none, as in `makeDecision`). */
export interface SimulationCandidate {
  /** The candidate rules. */
  rules: RuleSet;
  /** Workers, controls, bans (default: an empty registry's answers, as `makeDecision`). */
  registry?: Registry;
  /** Hall floors. */
  config?: Partial<HallConfig>;
  /**
   * Policy gate. Without one, a record's `gate_answer` (an answer obtained outside the core) is
   * replayed; a record without either denies where its rule asks for the gate.
   */
  policyGate?: PolicyGate | PolicyGateFn;
  /**
   * Current code hash of a worker. Default: the registered hash (no worker is taken to have
   * changed since enrolment), so attestation does not deny every replay for want of a hash.
   */
  currentWorkerHash?: (workerId: string) => string | null | undefined;
}

/** What one side (recorded or replayed) decided. */
export interface SimulatedSide {
  /** Outcome. */
  outcome: Outcome;
  /** Deny code or null. */
  deny_code: DenyCode | null;
  /** Matched rule. */
  matched_rule_id: string;
  /** Selected worker or null. */
  selected_worker_id: string | null;
  /** 0-100 score or null. */
  blast_score: number | null;
  /** Five-dimension score of the selected worker, or null. */
  blast_dimensions_score: number | null;
}

/** One changed decision, as an example of its group. */
export interface SimulationExample {
  /** The recorded decision. */
  decision_id: string;
  /** When it was decided. */
  timestamp: string;
  /** The request (routing fields). */
  input: Pick<
    RecordedInput,
    "tenant_id" | "capability_id" | "env" | "data_label" | "tenant_risk" | "qos_class"
  >;
  /** Which of outcome, deny_code, matched_rule_id, selected_worker_id changed. */
  changed: string[];
  /** Recorded (or decided against the baseline). */
  old: SimulatedSide;
  /** Replayed against the candidate. */
  new: SimulatedSide;
}

/** Sum, smallest and largest of a delta over a group. */
export interface DeltaStats {
  /** Sum. */
  total: number;
  /** Smallest. */
  min: number;
  /** Largest. */
  max: number;
}

/** Changed decisions with the same (old outcome, old code, new outcome, new code). */
export interface SimulationGroup {
  /** Recorded outcome. */
  old_outcome: Outcome;
  /** Recorded deny code or null. */
  old_deny_code: DenyCode | null;
  /** Replayed outcome. */
  new_outcome: Outcome;
  /** Replayed deny code or null. */
  new_deny_code: DenyCode | null;
  /** Decisions in the group. */
  count: number;
  /**
   * Change of dispatched blast per decision: the five-dimension score of the worker dispatched
   * (0 when not dispatched), new minus old.
   */
  dispatched_blast_delta: DeltaStats;
  /** Up to `examples` changed decisions, first seen first. */
  examples: SimulationExample[];
}

/** The result of a simulation. */
export interface SimulationReport {
  /** Records replayed. */
  total: number;
  /** Records whose outcome, deny code, matched rule or selected worker changes. */
  changed: number;
  /** Records that decide the same. */
  unchanged: number;
  /** Outcome counts, recorded and replayed. */
  outcomes: { old: Record<Outcome, number>; new: Record<Outcome, number> };
  /** Total five-dimension blast of dispatched decisions, recorded and replayed. */
  dispatched_blast: { old: number; new: number; delta: number };
  /** Groups, largest first (ties in order of first appearance). */
  groups: SimulationGroup[];
}

/** Options of {@link DecisionSimulator} and {@link simulateDecisions}. */
export interface SimulationOptions {
  /** Examples kept per group (default 5). */
  examples?: number;
  /** Called with every changed decision, in order (to list them all, e.g. as JSON Lines). */
  onChange?: (change: SimulationExample) => void;
  /**
   * Decide the old side again against this (typically the rules, config and gate in force)
   * instead of taking what was recorded: the report then shows only what the candidate changes,
   * not what changed since the decisions were made (a revoked worker, a new ban).
   */
  baseline?: SimulationCandidate;
}

// A fixed clock keeps replays deterministic; timestamps do not influence outcomes.
const REPLAY_NOW = Date.UTC(2026, 0, 1);

function side(d: {
  outcome: Outcome;
  matched_rule_id: string;
  selected_worker_id: string | null;
  blast_score: number | null;
  blast_dimensions_score: number | null;
}, code: DenyCode | null): SimulatedSide {
  return {
    outcome: d.outcome,
    deny_code: code,
    matched_rule_id: d.matched_rule_id,
    selected_worker_id: d.selected_worker_id,
    blast_score: d.blast_score,
    blast_dimensions_score: d.blast_dimensions_score,
  };
}

const dispatched = (s: { outcome: Outcome; blast_dimensions_score: number | null }): number =>
  s.outcome === "DISPATCH" ? s.blast_dimensions_score ?? 0 : 0;

/** Decides records again against one candidate. */
class Replayer {
  readonly #options: DecisionOptions;
  readonly #withGate: DecisionOptions;
  readonly #gate: PolicyGate | PolicyGateFn | undefined;
  #current: DecisionRecord | null = null;
  #seq = 0;

  constructor(candidate: SimulationCandidate) {
    this.#gate = candidate.policyGate;
    const registry = candidate.registry;
    const gate = (ctx: Parameters<PolicyGateFn>[0]): PolicyGateResult => {
      const g = this.#gate;
      if (g !== undefined) return typeof g === "function" ? g(ctx) : g.evaluate(ctx);
      const answer = this.#current?.gate_answer;
      if (answer) return answer;
      throw new Error("no policy gate");
    };
    this.#options = {
      rules: candidate.rules,
      ...(registry !== undefined ? { registry } : {}),
      ...(candidate.config !== undefined ? { config: candidate.config } : {}),
      currentWorkerHash: candidate.currentWorkerHash ??
        ((id) => registry?.registeredHash(id) ?? null),
      chainBlastScore: () => this.#current?.parent_chain_blast_score ?? null,
      now: () => REPLAY_NOW,
      newId: () => `sim-${++this.#seq}`,
    };
    // Without a gate, only records carrying an answer have one (the rest deny as unconfigured).
    this.#withGate = { ...this.#options, policyGate: gate };
  }

  decide(record: DecisionRecord): SimulatedSide {
    this.#current = record;
    try {
      const opts = this.#gate !== undefined || record.gate_answer ? this.#withGate : this.#options;
      const d = makeDecision(record.input, opts);
      return side(d, d.deny_reason_if_denied?.code ?? null);
    } finally {
      this.#current = null;
    }
  }
}

/**
 * A streaming replay: `add` records one at a time (from a file, a store page), then `report`.
 *
 * @example
 * ```ts
 * import { DecisionSimulator, parseRules } from "@wcp/core";
 * const sim = new DecisionSimulator({ rules: parseRules([]) });
 * sim.add({ decision_id: "d1", timestamp: "2026-01-01T00:00:00.000Z",
 *   input: { correlation_id: "c1", tenant_id: "acme", env: "dev", data_label: "PUBLIC",
 *     tenant_risk: "low", qos_class: "P2", capability_id: "cap.doc.summarize",
 *     policy_version: "policy.v0", dry_run: false, blast_score: null, parent_decision_id: null,
 *     request: {} },
 *   parent_chain_blast_score: null, gate_answer: null, outcome: "DISPATCH", deny_code: null,
 *   matched_rule_id: "r1", selected_worker_id: "org.acme.sum.1", blast_score: 10,
 *   blast_dimensions_score: 4 });
 * const report = sim.report();
 * report.groups[0].new_deny_code; // "DENY_NO_MATCHING_RULE"
 * report.dispatched_blast.delta; // -4
 * ```
 */
export class DecisionSimulator {
  readonly #new: Replayer;
  readonly #old: Replayer | null;
  readonly #examples: number;
  readonly #onChange: ((change: SimulationExample) => void) | undefined;
  #total = 0;
  #changed = 0;
  readonly #outcomes = {
    old: { DISPATCH: 0, DENY: 0, STEWARD_HOLD: 0 } as Record<Outcome, number>,
    new: { DISPATCH: 0, DENY: 0, STEWARD_HOLD: 0 } as Record<Outcome, number>,
  };
  readonly #blast = { old: 0, new: 0 };
  readonly #groups = new Map<string, SimulationGroup>();

  /** Replay against `candidate` (and `options.baseline` for the old side, when given). */
  constructor(candidate: SimulationCandidate, options: SimulationOptions = {}) {
    this.#examples = Math.max(0, Math.floor(options.examples ?? 5));
    this.#onChange = options.onChange;
    this.#new = new Replayer(candidate);
    this.#old = options.baseline ? new Replayer(options.baseline) : null;
  }

  /** Replay one record. */
  add(record: DecisionRecord): void {
    const n = this.#new.decide(record);
    const o = this.#old ? this.#old.decide(record) : side(record, record.deny_code);
    this.#total++;
    this.#outcomes.old[o.outcome]++;
    this.#outcomes.new[n.outcome]++;
    const oldBlast = dispatched(o), newBlast = dispatched(n);
    this.#blast.old += oldBlast;
    this.#blast.new += newBlast;
    const changed: string[] = [];
    if (o.outcome !== n.outcome) changed.push("outcome");
    if (o.deny_code !== n.deny_code) changed.push("deny_code");
    if (o.matched_rule_id !== n.matched_rule_id) changed.push("matched_rule_id");
    if (o.selected_worker_id !== n.selected_worker_id) changed.push("selected_worker_id");
    if (changed.length === 0) return;
    this.#changed++;
    const key = `${o.outcome} ${o.deny_code} ${n.outcome} ${n.deny_code}`;
    let g = this.#groups.get(key);
    const delta = newBlast - oldBlast;
    if (g === undefined) {
      g = {
        old_outcome: o.outcome,
        old_deny_code: o.deny_code,
        new_outcome: n.outcome,
        new_deny_code: n.deny_code,
        count: 0,
        dispatched_blast_delta: { total: 0, min: delta, max: delta },
        examples: [],
      };
      this.#groups.set(key, g);
    }
    g.count++;
    const s = g.dispatched_blast_delta;
    s.total += delta;
    if (delta < s.min) s.min = delta;
    if (delta > s.max) s.max = delta;
    if (g.examples.length < this.#examples || this.#onChange !== undefined) {
      const i = record.input;
      const example: SimulationExample = {
        decision_id: record.decision_id,
        timestamp: record.timestamp,
        input: {
          tenant_id: i.tenant_id,
          capability_id: i.capability_id,
          env: i.env,
          data_label: i.data_label,
          tenant_risk: i.tenant_risk,
          qos_class: i.qos_class,
        },
        changed,
        old: o,
        new: n,
      };
      if (g.examples.length < this.#examples) g.examples.push(example);
      this.#onChange?.(example);
    }
  }

  /** The report so far (a snapshot; adding more records afterwards is allowed). */
  report(): SimulationReport {
    const groups = [...this.#groups.values()].map((g) => structuredClone(g));
    // Stable: equal counts keep their first-seen order.
    groups.sort((a, b) => b.count - a.count);
    return {
      total: this.#total,
      changed: this.#changed,
      unchanged: this.#total - this.#changed,
      outcomes: structuredClone(this.#outcomes),
      dispatched_blast: {
        old: this.#blast.old,
        new: this.#blast.new,
        delta: this.#blast.new - this.#blast.old,
      },
      groups,
    };
  }
}

/**
 * Replay recorded decisions against a candidate and report every decision that would change.
 * "Old" is what was recorded; "new" is `makeDecision` on the record's input with the candidate's
 * rules, config, gate and registry.
 *
 * @example
 * ```ts
 * import { decisionRecordOf, makeDecision, parseRules, simulateDecisions } from "@wcp/core";
 * const input = { correlation_id: "c-1", tenant_id: "acme", env: "dev", data_label: "PUBLIC",
 *   tenant_risk: "low", qos_class: "P2", capability_id: "cap.doc.summarize" };
 * const before = parseRules([]);
 * const record = decisionRecordOf(input, makeDecision(input, { rules: before }))!;
 * const after = parseRules([{ rule_id: "r1", match: { capability_id: "cap.doc.summarize" },
 *   decision: { candidate_workers_ranked: [] } }]);
 * const report = simulateDecisions([record], { rules: after });
 * report.changed; // 1
 * report.groups[0].new_deny_code; // "DENY_NO_AVAILABLE_WORKER" (r1 has no candidates)
 * ```
 */
export function simulateDecisions(
  records: Iterable<DecisionRecord>,
  candidate: SimulationCandidate,
  options: SimulationOptions = {},
): SimulationReport {
  const sim = new DecisionSimulator(candidate, options);
  for (const r of records) sim.add(r);
  return sim.report();
}
