/**
 * The decision pipeline: `makeDecision`. Steps run in the Python reference's order with our
 * decisions (docs/protocol/decisions.md#pipeline-order): signatory, input, tenant, shadow rules,
 * match, correlation id, controls, blast gate, policy gate, human hold, worker selection (with
 * attestation and the ban list), privilege envelope, dry run; then hashes and telemetry.
 *
 * @module
 */

import type { HallConfig } from "../config.ts";
import { DEFAULT_HALL_CONFIG, validateHallConfig } from "../config.ts";
import { WcpError } from "../errors.ts";
import type {
  CandidateWorker,
  DataLabel,
  DenyCode,
  DenyReason,
  Env,
  Escalation,
  EscalationContext,
  Outcome,
  PreconditionsChecked,
  RegistryRecord,
  RouteDecision,
  SkipReason,
  SupervisorLevel,
  TelemetryEvent,
  TraceStep,
} from "../model.ts";
import { DATA_LABELS, ENVS, QOS_CLASSES, TENANT_RISKS } from "../model.ts";
import type { PolicyContext, PolicyGate, PolicyGateFn, PrivilegeVerdict } from "./policy.ts";
import { checkGateResult, policyAllowsPrivilege } from "./policy.ts";
import { Registry, servesTenant } from "../registry/registry.ts";
import type { Rule, RuleSet } from "../rules/mod.ts";
import { DEFAULT_RULE_PRECONDITIONS, toEscalation, toPreconditions } from "../rules/mod.ts";
import type { TelemetrySink } from "./telemetry.ts";
import { emitTelemetry, sanitizeTelemetryString as clean } from "./telemetry.ts";
import {
  type BlastCapCheck,
  blastGatePasses,
  checkBlastCap,
  computeBlastScore,
  effectiveBlastScore,
} from "./blast.ts";
import { constantTimeEqual, normalizeDigest } from "../encoding/hash.ts";
import { formatTimestamp, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, uuidV4 } from "../ids.ts";
import { checkRouteInput, inputDigests, type ValidInput } from "./_input.ts";
import * as ev from "./_events.ts";

export { artifactHashPyCompat, requestHash, routeInputHash } from "./_input.ts";
export { PyFloat } from "../encoding/py_json.ts";
export {
  type BlastCapCheck,
  blastDimensionsScore,
  blastGatePasses,
  type BlastInput,
  checkBlastCap,
  computeBlastScore,
  effectiveBlastScore,
} from "./blast.ts";

/** Everything a decision needs besides the input. */
export interface DecisionOptions {
  /** Compiled rules (`parseRules`). */
  rules: RuleSet;
  /** Enrolled workers, controls, attestation hashes, ban list. */
  registry?: Registry;
  /**
   * Hall floors; missing fields take `DEFAULT_HALL_CONFIG`. Judged by `validateHallConfig`'s rules
   * (a wrong type, an out-of-range number, an empty tenant or any unknown key denies with
   * `DENY_INTERNAL_ERROR` naming the key); the verdict is cached per config object and renewed
   * when the object is changed in place.
   */
  config?: Partial<HallConfig>;
  /** The policy gate (object or function). */
  policyGate?: PolicyGate | PolicyGateFn;
  /** Current code hash of an enrolled worker, for attestation at dispatch. */
  currentWorkerHash?: (workerId: string) => string | null | undefined;
  /** Chain total of the five-dimension blast score up to and including a parent decision. */
  chainBlastScore?: (parentDecisionId: string) => number | null | undefined;
  /**
   * Judge a selected worker's privilege envelope (default: `policyAllowsPrivilege` with the
   * config's `egress_allowlist`). A throw denies with `DENY_INTERNAL_ERROR`.
   */
  privilegePolicy?: (
    env: Env,
    dataLabel: DataLabel,
    envelope: Record<string, unknown>,
  ) => PrivilegeVerdict;
  /** Receives every telemetry event. */
  telemetry?: TelemetrySink;
  /** Clock in epoch milliseconds (default `Date.now`). */
  now?: () => number;
  /** Id generator for decision and approval ids (default UUIDv4). */
  newId?: () => string;
  /** Attach a step-by-step `trace` to the decision. */
  trace?: boolean;
}

const PRE_ROUTING = "PRE_ROUTING";
const NO_MATCH = "NO_MATCH";
const REDACTED = "[redacted]";
const BLAST_CTRL = "ctrl.blast_radius_scoring";
const PRIV_CTRL = "ctrl.privilege_envelopes_required";

/** The steps a trace reports, in pipeline order. */
const STEPS = [
  "config",
  "signatory",
  "input",
  "tenant",
  "shadow",
  "match",
  "correlation",
  "controls",
  "blast",
  "policy",
  "human",
  "selection",
  "attestation",
  "privilege",
  "dry_run",
] as const;
type StepName = typeof STEPS[number];

/**
 * The decision pipeline's steps in the order they run: the names a `trace` reports (a decision
 * stops at the first `deny` or `hold`; later steps do not appear in its trace).
 *
 * @example
 * ```ts
 * import { PIPELINE_STEPS } from "@wcp/core";
 * PIPELINE_STEPS.indexOf("match") < PIPELINE_STEPS.indexOf("policy"); // true
 * ```
 */
export const PIPELINE_STEPS: readonly string[] = STEPS;

class Denial {
  constructor(readonly reason: DenyReason, readonly escalation?: Escalation) {}
}

interface Flagged {
  species: string;
  workerId: string;
  code: DenyCode;
}

interface Hold {
  reason: string;
  level: SupervisorLevel;
}

/** Per-decision state, one shape for every decision (keeps the hot path monomorphic). */
class Run {
  cfg: HallConfig = DEFAULT_HALL_CONFIG;
  t = 0;
  ts = "";
  id = "";
  inp: ValidInput | null = null;
  tenantShown = "";
  rule: Rule | null = null;
  matched = PRE_ROUTING;
  controls: readonly string[] = EMPTY;
  // The required controls the hall does not provide (each candidate must implement them itself),
  // and whether selection enforces them (the rule's or the hall's floor).
  needed: readonly string[] = EMPTY;
  controlsEnforced = false;
  // The first candidate the controls step found implementing them (selection need not re-check it).
  metBy: RegistryRecord | null = null;
  escalation: Escalation | null = null;
  pre: PreconditionsChecked | null = null;
  blastScore: number | null = null;
  blastRan = false;
  blastPassed: boolean | null = null;
  policyVersion = "policy.v0";
  gateReason = "no_gate_required";
  gateDecision: "ALLOW" | "REQUIRE_HUMAN" = "ALLOW";
  hold: Hold | null = null;
  // Every reason the request is held for, in order (the first one's level applies).
  holdReasons: string[] | null = null;
  // The five-dimension figures of a blast_over_cap hold, for the approver.
  capHold: BlastCapCheck | null = null;
  candidates: CandidateWorker[] | null = null;
  selected: RegistryRecord | null = null;
  dims: number | null = null;
  chain: number | null = null;
  attAttempted = false;
  attChecked = false;
  attValid: boolean | null = null;
  attFailures: Flagged[] | null = null;
  // Candidates skipped for a security reason (attestation failure or ban), reported as events.
  flagged: Flagged[] | null = null;
  privRan = false;
  privOk: boolean | null = null;
  trace: TraceStep[] | null = null;
  last: StepName = "config";
  constructor(readonly opts: DecisionOptions, readonly raw: unknown) {}
}

const EMPTY: readonly string[] = Object.freeze([]);
let lastT = NaN;
let lastTs = "";

function timestampOf(t: number): string {
  if (t !== lastT) {
    lastTs = formatTimestamp(t);
    lastT = t;
  }
  return lastTs;
}

// RFC 3339 needs a four-digit year (docs/protocol/decisions.md#time-format): 0000-01-01 ..
// 9999-12-31. A clock outside it is ignored (Date.now() instead) and expiries are capped at its
// end, so the decision's formatTimestamp calls cannot throw.
const MIN_TIME = MIN_TIMESTAMP_MS;
const MAX_TIME = MAX_TIMESTAMP_MS;

function clock(opts: DecisionOptions): number {
  try {
    const v = typeof opts.now === "function" ? opts.now() : Date.now();
    return typeof v === "number" && v >= MIN_TIME && v <= MAX_TIME ? Math.floor(v) : Date.now();
  } catch {
    return Date.now();
  }
}

function freshId(opts: DecisionOptions): string | null {
  try {
    const v = typeof opts.newId === "function" ? opts.newId() : uuidV4();
    return typeof v === "string" && v.length > 0 ? v : null;
  } catch {
    return null;
  }
}

function step(run: Run, name: StepName, outcome: TraceStep["outcome"], detail: string): void {
  if (outcome === "deny") run.last = name;
  if (run.trace !== null) run.trace.push({ step: name, outcome, detail });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// Hall configs are judged by `validateHallConfig` (config.ts holds the one set of rules), once
// per config object: the result is cached with a snapshot of everything the validator reads (the
// keys and values, the tenant and egress lists), so a config changed in place after its first
// decision is validated again rather than served stale. Checking the snapshot allocates nothing.
interface Resolved {
  snap: unknown[];
  result: HallConfig | string;
}
const resolved = new WeakMap<object, Resolved>();

function snapList(v: unknown, out: unknown[]): void {
  if (!Array.isArray(v)) return;
  out.push(v.length);
  for (let i = 0; i < v.length; i++) out.push(v[i]);
}

function snapshot(c: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  for (const k in c) {
    const v = c[k];
    out.push(k, v);
    if (k === "egress_allowlist" && isPlainObject(v)) {
      for (const env in v) {
        const list = v[env];
        out.push(env, list);
        snapList(list, out);
      }
    } else snapList(v, out);
  }
  return out;
}

// Compare a list with the snapshot from index `i`: the index after it, or -1 if it changed.
function sameList(v: unknown, snap: unknown[], i: number): number {
  if (!Array.isArray(v)) return i;
  if (snap[i++] !== v.length) return -1;
  for (let j = 0; j < v.length; j++) if (snap[i++] !== v[j]) return -1;
  return i;
}

// Whether `c` still reads as `snap` (the same walk as `snapshot`, comparing as it goes).
function unchanged(c: Record<string, unknown>, snap: unknown[]): boolean {
  let i = 0;
  for (const k in c) {
    const v = c[k];
    if (snap[i++] !== k || snap[i++] !== v) return false;
    if (k === "egress_allowlist" && isPlainObject(v)) {
      for (const env in v) {
        const l = v[env];
        if (snap[i++] !== env || snap[i++] !== l) return false;
        if ((i = sameList(l, snap, i)) < 0) return false;
      }
    } else if ((i = sameList(v, snap, i)) < 0) return false;
  }
  return i === snap.length;
}

// The validator's verdict as a decision message: `config.<key> must ...` / `config.<key>: ...`.
function configProblem(c: unknown): HallConfig | string {
  try {
    const cfg = validateHallConfig(c);
    // Shared by every decision made with this config object: nobody may change it.
    Object.freeze(cfg.allowed_tenants);
    Object.freeze(cfg.hall_provided_controls);
    for (const list of Object.values(cfg.egress_allowlist)) Object.freeze(list);
    Object.freeze(cfg.egress_allowlist);
    return Object.freeze(cfg);
  } catch (e) {
    if (!(e instanceof WcpError)) throw e;
    const path = e.path;
    const msg = path ? e.message.slice(path.length + 2) : e.message;
    if (!path) return msg;
    return msg.startsWith("must ") ? `config.${path} ${msg}` : `config.${path}: ${msg}`;
  }
}

// The hall config of a decision, or why it is invalid (the decision then denies). No config
// means the defaults. Everything else goes through `validateHallConfig`: a wrongly typed field,
// an out-of-range number, an empty tenant id or any unknown key denies (a "yes" must never
// silently switch a floor on or off, and a misspelt floor must never be ignored).
function resolveConfig(c: unknown): HallConfig | string {
  if (c === undefined) return DEFAULT_HALL_CONFIG;
  if (typeof c !== "object" || c === null) return configProblem(c);
  const o = c as Record<string, unknown>;
  const hit = resolved.get(o);
  if (hit !== undefined && unchanged(o, hit.snap)) return hit.result;
  const snap = snapshot(o);
  const result = configProblem(o);
  resolved.set(o, { snap, result });
  return result;
}

function isProdLike(env: Env): boolean {
  return env === "prod" || env === "edge";
}

function defaultEscalation(): Escalation {
  return {
    policy_gate: false,
    msavx_step_up: false,
    human_required_default: false,
    human_required_if: [],
    rationale: null,
  };
}

function deny(code: DenyCode, message: string, extra?: Record<string, unknown>): Denial {
  const reason: DenyReason = { code, message };
  if (extra !== undefined) Object.assign(reason, extra);
  return new Denial(reason);
}

function escalated(run: Run, humanRequired: boolean, rationale: string): Escalation {
  const e = run.escalation ? { ...run.escalation } : defaultEscalation();
  if (humanRequired) e.human_required_default = true;
  e.rationale = rationale;
  return e;
}

// ---------------------------------------------------------------------------------------------
// Steps. Each returns a Denial to stop, or undefined to continue.

function stepSignatory(run: Run): Denial | undefined {
  const cfg = run.cfg;
  if (!cfg.require_signatory) {
    step(run, "signatory", "skip", "Signatory tenants are not required on this Hall.");
    return;
  }
  const raw = run.raw as Record<string, unknown> | null;
  const tenant = isPlainObject(raw) ? raw.tenant_id : undefined;
  if (typeof tenant === "string" && cfg.allowed_tenants.includes(tenant)) {
    step(run, "signatory", "pass", "The tenant is a registered signatory.");
    return;
  }
  const env = isPlainObject(raw) ? raw.env : undefined;
  // Redact in prod/edge, and when the env is unknown (fail safe).
  const redact = cfg.redact_tenant_in_prod &&
    !(env === "dev" || env === "stage");
  const shown = typeof tenant === "string" ? (redact ? REDACTED : tenant) : "";
  if (redact) run.tenantShown = REDACTED;
  step(run, "signatory", "deny", "The tenant is not in the Hall's allowed_tenants list.");
  return deny(
    "DENY_UNKNOWN_TENANT",
    "Tenant is not registered as a signatory. Register via the Hall configuration before " +
      "dispatching workers.",
    { tenant_id: shown },
  );
}

// `quiet`: an earlier step already denied; validate only so the decision carries its hashes.
function stepInput(run: Run, quiet: boolean): Denial | undefined {
  const c = checkRouteInput(run.raw);
  if (c.ok) {
    run.inp = c.input;
    run.policyVersion = c.input.policy_version;
    if (!quiet) step(run, "input", "pass", "The RouteInput is well formed.");
    return;
  }
  if (quiet) return;
  const fields = c.errors.map((e) => e.field);
  const message = c.errors.map((e) => e.message).join("; ");
  step(run, "input", "deny", `Invalid RouteInput: ${message}.`);
  return deny("DENY_INVALID_INPUT", message, { fields, errors: c.errors });
}

function stepTenant(run: Run, inp: ValidInput): Denial | undefined {
  if (inp.tenant_id.trim() === "") {
    step(run, "tenant", "deny", "The tenant id is empty or whitespace.");
    return deny(
      "DENY_MISSING_TENANT_ID",
      "tenant_id is required and must not be empty or whitespace.",
    );
  }
  step(run, "tenant", "pass", "The tenant id is present.");
}

function shadowedIds(rules: RuleSet): readonly string[] {
  const ids = (rules as { shadowedRuleIds?: unknown }).shadowedRuleIds;
  if (Array.isArray(ids)) return ids as string[];
  const w = (rules as { shadowWarnings?: unknown }).shadowWarnings;
  if (!Array.isArray(w)) return EMPTY;
  return [
    ...new Set(
      w.filter((x) => x && x.kind !== "unsatisfiable").map((x) => String(x.shadowed_rule_id)),
    ),
  ].sort();
}

function stepShadow(run: Run, inp: ValidInput, rules: RuleSet | undefined): Denial | undefined {
  if (!isProdLike(inp.env) || rules === undefined) {
    step(run, "shadow", "skip", "Shadow rules only deny in prod and edge.");
    return;
  }
  const ids = shadowedIds(rules);
  if (ids.length === 0) {
    step(run, "shadow", "pass", "The rule set has no shadowed rules.");
    return;
  }
  run.matched = NO_MATCH;
  step(run, "shadow", "deny", `The rule set has shadowed rules: ${ids.join(", ")}.`);
  return deny(
    "DENY_SHADOW_RULES_DETECTED",
    "Rule set contains shadow rules in prod/edge environment. Fix rule ordering before " +
      "deploying to production.",
    { shadowed_rule_ids: [...ids], shadow_count: ids.length },
  );
}

function stepMatch(run: Run, inp: ValidInput, rules: RuleSet | undefined): Denial | undefined {
  let rule: Rule | undefined;
  if (rules !== undefined) {
    try {
      rule = rules.match(inp);
    } catch {
      run.matched = NO_MATCH;
      step(run, "match", "deny", "The rule set failed while matching.");
      return deny("DENY_INTERNAL_ERROR", "Rule matching raised an exception.");
    }
  }
  if (rule === undefined || rule === null) {
    run.matched = NO_MATCH;
    step(
      run,
      "match",
      "deny",
      rules === undefined
        ? "No rule set is configured, so nothing can match (fail closed)."
        : `No rule matches capability ${JSON.stringify(inp.capability_id)} in ${inp.env}.`,
    );
    return deny(
      "DENY_NO_MATCHING_RULE",
      "No routing rule matched. Fail-closed per WCP spec section 5.1.",
    );
  }
  run.rule = rule;
  run.matched = rule.rule_id;
  const d = rule.decision;
  run.controls = d.required_controls_suggested;
  run.escalation = toEscalation(d.escalation);
  run.pre = toPreconditions(d.preconditions);
  if (run.trace !== null) {
    step(run, "match", "pass", `Rule ${JSON.stringify(rule.rule_id)} matched first.`);
  }
}

function stepCorrelation(run: Run, inp: ValidInput): Denial | undefined {
  const pre = run.pre!;
  if (!(pre.must_have_correlation_id || run.cfg.enforce_correlation_id)) {
    step(run, "correlation", "skip", "Neither the rule nor the Hall requires a correlation id.");
    return;
  }
  if (inp.correlation_id.trim() === "") {
    step(run, "correlation", "deny", "The correlation id is empty.");
    return deny("DENY_MISSING_CORRELATION_ID", "correlation_id is required but absent or empty.");
  }
  step(run, "correlation", "pass", "The correlation id is present.");
}

// A worker's own limits that selection checks first, cheaply (no hashes): the tenant it serves,
// revocation, availability, its environments. Shared by the controls step and selection.
function basicSkip(registry: Registry, w: RegistryRecord, inp: ValidInput): SkipReason | null {
  if (!servesTenant(w, inp.tenant_id)) return "tenant_not_served";
  if (w.status === "revoked") return "revoked";
  if (!registry.isAvailable(w.worker_id)) return "unavailable";
  const envs = w.allowed_environments;
  if (envs !== undefined && !envs.includes(inp.env)) return "env_not_allowed";
  return null;
}

// The controls of `needed` (already without the hall's) that a worker does not implement itself.
function lacking(needed: readonly string[], w: RegistryRecord): string[] | null {
  const own = w.currently_implements;
  const list = Array.isArray(own) ? own : EMPTY;
  let out: string[] | null = null;
  for (let i = 0; i < needed.length; i++) {
    const c = needed[i];
    if (!list.includes(c)) (out ??= []).push(c);
  }
  return out;
}

// A mutable copy of a list. The rule's lists are frozen, and V8 has no fast path for `slice`,
// `filter` or `for...of` on a frozen array (a `slice` of one element measured 30x slower than
// this loop): the pipeline reads rule lists by index.
function copyOf(list: readonly string[]): string[] {
  const n = list.length;
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = list[i];
  return out;
}

// The rule's required controls that really apply to the selected worker: its own
// `currently_implements` or the hall's `hall_provided_controls`
// (docs/protocol/rules.md#whose-controls-count). Sorted, as the rule's list is.
function verifiedControls(run: Run, w: RegistryRecord): string[] {
  const required = run.controls;
  if (required.length === 0) return [];
  if (w === run.metBy) return copyOf(required); // it implements every one the hall does not
  const own = Array.isArray(w.currently_implements) ? w.currently_implements : EMPTY;
  const hall = run.cfg.hall_provided_controls;
  const out: string[] = [];
  for (let i = 0; i < required.length; i++) {
    const c = required[i];
    if (own.includes(c) || hall.includes(c)) out.push(c);
  }
  return out;
}

// Decision 17: a rule's required controls are met by a candidate only through its own
// `currently_implements` or the hall's `hall_provided_controls`, never by another enrolled worker.
// This step (at the reference's place in the pipeline) denies when no candidate of the rule that
// could be selected (serving the tenant, not revoked, available, allowed in the env) meets them;
// selection then skips each candidate that lacks one (`missing_controls`).
function stepControls(
  run: Run,
  inp: ValidInput,
  registry: Registry | undefined,
): Denial | undefined {
  const required = run.controls;
  if (required.length === 0) {
    step(run, "controls", "pass", "The rule requires no controls.");
    return;
  }
  const hall = run.cfg.hall_provided_controls;
  let needed: string[] | null = null;
  for (let i = 0; i < required.length; i++) {
    const c = required[i];
    if (!hall.includes(c)) (needed ??= []).push(c);
  }
  if (needed === null) {
    step(run, "controls", "pass", "The hall provides every required control.");
    return;
  }
  const enforced = run.pre!.deny_if_missing_required_controls || run.cfg.enforce_required_controls;
  // What the eligible candidates lack, united (null: no eligible candidate was seen).
  let lacks: Set<string> | null = null;
  let met = false;
  if (registry !== undefined) {
    const ranked = run.rule!.decision.candidate_workers_ranked;
    outer: for (let i = 0; i < ranked.length; i++) {
      const c = ranked[i];
      if (!c.worker_species_id) continue;
      const workers = tenantWorkers(registry, c.worker_species_id, inp.tenant_id);
      for (let j = 0; j < workers.length; j++) {
        const w = workers[j];
        if (basicSkip(registry, w, inp) !== null) continue;
        const lack = lacking(needed, w);
        if (lack === null) {
          met = true;
          run.metBy = w;
          break outer;
        }
        lacks ??= new Set();
        for (const x of lack) lacks.add(x);
      }
    }
  }
  if (met) {
    run.needed = needed;
    run.controlsEnforced = enforced;
    if (run.trace !== null) {
      step(
        run,
        "controls",
        "pass",
        required.length === 1
          ? "A candidate worker implements the required control (or the hall provides it)."
          : `A candidate worker implements the ${required.length} required controls ` +
            "(with those the hall provides).",
      );
    }
    return;
  }
  const missing = lacks === null ? needed : needed.filter((c) => lacks!.has(c));
  if (!enforced) {
    step(run, "controls", "skip", `Missing controls ${missing.join(", ")} are not enforced.`);
    return;
  }
  step(run, "controls", "deny", `Missing required controls: ${missing.join(", ")}.`);
  return deny("DENY_MISSING_REQUIRED_CONTROLS", MISSING_CONTROLS, { missing });
}

const MISSING_CONTROLS = "Required controls not present in registry: no eligible candidate " +
  "worker implements them itself and the hall does not provide them.";

function stepBlast(run: Run, inp: ValidInput): Denial | undefined {
  const computed = computeBlastScore(inp);
  const score = effectiveBlastScore(computed, inp.blast_score);
  run.blastScore = score;
  const runs = run.controls.includes(BLAST_CTRL) ||
    (isProdLike(inp.env) && run.cfg.enforce_blast_scoring_in_prod);
  if (!runs) {
    if (run.trace !== null) {
      step(run, "blast", "skip", `Blast score ${score}/100; the gate only runs in prod and edge.`);
    }
    return;
  }
  run.blastRan = true;
  const threshold = run.cfg.blast_gate_threshold;
  const passed = blastGatePasses(inp.env, score, threshold);
  run.blastPassed = passed;
  if (passed) {
    if (run.trace !== null) {
      step(run, "blast", "pass", `Blast score ${score}/100 is under the gate (${threshold}).`);
    }
    return;
  }
  step(run, "blast", "deny", `Blast score ${score}/100 reaches the gate (${threshold}).`);
  const d = deny("DENY_REQUIRES_HUMAN", "Blast radius too high for autonomous execution.", {
    blast_score: score,
    reason: "REQUIRE_HUMAN_HIGH_BLAST",
  });
  return new Denial(d.reason, escalated(run, true, "REQUIRE_HUMAN_HIGH_BLAST"));
}

function gateFunction(g: unknown): ((ctx: PolicyContext) => unknown) | null {
  if (typeof g === "function") return g as (ctx: PolicyContext) => unknown;
  if (typeof g === "object" && g !== null) {
    const ev = (g as { evaluate?: unknown }).evaluate;
    if (typeof ev === "function") return (ctx) => ev.call(g, ctx);
  }
  return null;
}

function stepPolicy(run: Run, inp: ValidInput): Denial | undefined {
  if (!run.escalation!.policy_gate) {
    step(run, "policy", "skip", "The rule does not ask for the policy gate.");
    return;
  }
  const fn = gateFunction(run.opts.policyGate);
  if (fn === null) {
    step(run, "policy", "deny", "The rule asks for the policy gate but none is configured.");
    return deny(
      "DENY_POLICY_GATE_UNCONFIGURED",
      "The matched rule sets escalation.policy_gate but no policy gate is configured. Pass " +
        "options.policyGate.",
    );
  }
  const ctx: PolicyContext = {
    capability_id: inp.capability_id,
    tenant_id: inp.tenant_id,
    env: inp.env,
    data_label: inp.data_label,
    tenant_risk: inp.tenant_risk,
    qos_class: inp.qos_class,
    policy_version: inp.policy_version,
    blast_score: run.blastScore ?? 0,
    matched_rule_id: run.matched,
  };
  let raw: unknown;
  try {
    raw = fn(ctx);
  } catch {
    step(run, "policy", "deny", "The policy gate raised an exception.");
    return deny(
      "DENY_INTERNAL_ERROR",
      "The policy gate raised an exception. See server logs for details.",
    );
  }
  const checked = checkGateResult(raw, inp.policy_version);
  if (!checked.ok) {
    step(run, "policy", "deny", "The policy gate gave an unrecognised answer.");
    const d = deny(
      "DENY_POLICY_GATE_INVALID_RESPONSE",
      `Policy gate returned an unrecognized answer: ${checked.shown}. Expected decision ` +
        "'ALLOW', 'DENY' or 'REQUIRE_HUMAN'. Failing closed.",
    );
    return new Denial(d.reason, escalated(run, false, "invalid_gate_response"));
  }
  const r = checked.result;
  run.policyVersion = r.policy_version;
  if (r.decision === "DENY") {
    step(run, "policy", "deny", `The policy gate denied: ${r.reason || "(no reason)"}.`);
    const d = deny("DENY_POLICY_GATE", "Policy gate denied.", {
      reason: r.reason,
      policy_version: r.policy_version,
    });
    return new Denial(d.reason, escalated(run, false, r.reason));
  }
  if (r.decision === "REQUIRE_HUMAN") {
    run.gateDecision = "REQUIRE_HUMAN";
    run.gateReason = r.reason || "policy_gate_require_human";
    const level = r.supervisor_level ?? run.escalation!.supervisor_level ??
      run.cfg.default_supervisor_level;
    return requestHold(run, "policy", { reason: run.gateReason, level }, r.policy_version);
  }
  run.gateReason = "policy_gate_allow";
  if (run.trace !== null) {
    step(run, "policy", "pass", `The policy gate allowed (${r.policy_version}).`);
  }
}

function requestHold(
  run: Run,
  name: StepName,
  hold: Hold,
  policyVersion: string,
): Denial | undefined {
  if (!run.cfg.approvals_enabled) {
    step(run, name, "deny", `A human must approve (${hold.reason}) but approvals are disabled.`);
    const d = deny(
      "DENY_REQUIRES_HUMAN_APPROVAL",
      "A human must approve this request before a worker can be dispatched, and this Hall " +
        "has approvals disabled (config.approvals_enabled is false).",
      { reason: hold.reason, policy_version: policyVersion, supervisor_required: true },
    );
    return new Denial(d.reason, escalated(run, true, hold.reason));
  }
  if (run.hold === null) run.hold = hold;
  (run.holdReasons ??= []).push(hold.reason);
  step(run, name, "hold", `A ${hold.level} must approve before execution (${hold.reason}).`);
}

function stepHuman(run: Run): Denial | undefined {
  const esc = run.escalation!;
  if (!esc.human_required_default) {
    step(run, "human", "skip", "The rule does not require a human by default.");
    return;
  }
  if (run.hold !== null) {
    step(run, "human", "hold", "The rule requires a human; the request is already held.");
    return;
  }
  const level = esc.supervisor_level ?? run.cfg.default_supervisor_level;
  return requestHold(run, "human", { reason: "rule_requires_human", level }, run.policyVersion);
}

interface AttestOutcome {
  code: DenyCode | null;
  compared: boolean;
  banned: boolean;
}

function attest(
  registry: Registry,
  worker: RegistryRecord,
  current: (id: string) => unknown,
): AttestOutcome {
  const id = worker.worker_id;
  const registered = registry.registeredHash(id);
  if (registered === null || registered === undefined) {
    return { code: "DENY_WORKER_ATTESTATION_MISSING", compared: false, banned: false };
  }
  const reg = normalizeDigest(registered);
  if (reg === null) {
    return { code: "DENY_WORKER_ATTESTATION_INVALID_HASH", compared: false, banned: false };
  }
  let cur: string | null;
  try {
    cur = normalizeDigest(current(id));
  } catch {
    cur = null;
  }
  if (cur === null) return { code: "DENY_WORKER_HASH_UNAVAILABLE", compared: false, banned: false };
  if (registry.isBanned(cur)) return { code: null, compared: false, banned: true };
  return constantTimeEqual(reg, cur)
    ? { code: null, compared: true, banned: false }
    : { code: "DENY_WORKER_TAMPERED", compared: true, banned: false };
}

function candidate(
  species: string,
  hint: number | null,
  workerId: string | null,
  skip: SkipReason | null,
): CandidateWorker {
  return { worker_species_id: species, score_hint: hint, worker_id: workerId, skip_reason: skip };
}

function stepSelection(
  run: Run,
  inp: ValidInput,
  registry: Registry | undefined,
): Denial | undefined {
  const d = run.rule!.decision;
  const env = inp.env;
  const cands: CandidateWorker[] = [];
  run.candidates = cands;
  const capRaw = d.max_blast_by_env ? d.max_blast_by_env[env] : undefined;
  const cap = typeof capRaw === "number" ? capRaw : null;
  const holdOverCap = run.escalation!.hold_over_cap === true;
  const attestRequired = run.cfg.require_worker_attestation ||
    (run.pre!.deny_if_no_attestation_in_prod && isProdLike(env));
  const curFn = run.opts.currentWorkerHash;
  const current = typeof curFn === "function" ? curFn : null;
  const bansActive = registry !== undefined && registry.hasBans();

  // Parent chain: null = no parent; undefined = a parent whose total is unknown (fails any cap).
  let parentChain: number | null | undefined = null;
  if (inp.parent_decision_id !== null) {
    parentChain = undefined;
    const f = run.opts.chainBlastScore;
    if (typeof f === "function") {
      try {
        const v = f(inp.parent_decision_id);
        if (typeof v === "number" && Number.isFinite(v) && v >= 0) parentChain = v;
      } catch {
        parentChain = undefined;
      }
    }
  }

  let selected: RegistryRecord | null = null;
  let selectedIndex = -1;
  let fallback: RegistryRecord | null = null; // over the cap, for a hold
  let fallbackIndex = -1;
  let anyBanned = false;
  let anyOverCap = false;
  let attFailure: DenyCode | null = null;
  let tamperCompared = false;
  // Decision 17: each candidate must implement the required controls the hall does not provide.
  const checkControls = run.controlsEnforced && run.needed.length > 0;
  let lacks: Set<string> | null = null;

  const ranked = d.candidate_workers_ranked;
  for (let ci = 0; ci < ranked.length; ci++) {
    const c = ranked[ci];
    const species = c.worker_species_id || "__missing__";
    const hint = c.score_hint ?? null;
    if (selected !== null) {
      cands.push(candidate(species, hint, null, "already_selected"));
      continue;
    }
    // Only the workers this tenant may be routed to (the registry's tenant index): the listing
    // never grows with, nor names, other tenants' workers.
    const workers = registry && c.worker_species_id
      ? tenantWorkers(registry, c.worker_species_id, inp.tenant_id)
      : EMPTY_WORKERS;
    if (workers.length === 0) {
      // None it may use: one entry for the species, without an id (`tenant_not_served` when the
      // species has workers, all bound to other tenants).
      cands.push(candidate(species, hint, null, emptyReason(registry, c.worker_species_id)));
      continue;
    }
    for (let wi = 0; wi < workers.length; wi++) {
      const w = workers[wi];
      const id = w.worker_id;
      let overCap = false;
      let lack: string[] | null = null;
      // The tenant first: a worker that does not serve this tenant is reported without its id.
      let skip = basicSkip(registry!, w, inp);
      if (skip === null) {
        const reg = registry!.registeredHash(id);
        if (bansActive && reg !== null && registry!.isBanned(reg)) skip = "banned";
      }
      if (skip === null && checkControls && w !== run.metBy) {
        lack = lacking(run.needed, w);
        if (lack !== null) {
          skip = "missing_controls";
          for (const x of lack) (lacks ??= new Set()).add(x);
        }
      }
      let capCheck = null;
      if (skip === null && cap !== null) {
        capCheck = checkBlastCap(w.blast_radius, cap, parentChain);
        if (!capCheck.withinCap) {
          anyOverCap = true;
          overCap = true;
          if (!holdOverCap || fallback !== null) skip = "blast_over_cap";
        }
      }
      if (skip === null && attestRequired) {
        if (current === null) {
          cands.push(candidate(species, hint, id, null));
          step(run, "selection", "deny", "Attestation is required but cannot be performed.");
          return deny(
            "DENY_ATTESTATION_UNCONFIGURED",
            "require_worker_attestation is on but no currentWorkerHash callback was provided. " +
              "Pass options.currentWorkerHash to makeDecision().",
          );
        }
        run.attAttempted = true;
        const a = attest(registry!, w, current);
        if (a.banned) skip = "banned";
        else if (a.code !== null) {
          skip = "attestation_failed";
          attFailure ??= a.code;
          if (a.code === "DENY_WORKER_TAMPERED") tamperCompared = true;
          (run.attFailures ??= []).push({ species, workerId: id, code: a.code });
          (run.flagged ??= []).push({ species, workerId: id, code: a.code });
        } else {
          run.attChecked = true;
          run.attValid = true;
        }
      } else if (skip === null && bansActive && current !== null) {
        // Without attestation, still refuse a worker whose current code is banned.
        let cur: string | null = null;
        try {
          cur = normalizeDigest(current(id));
        } catch {
          cur = null;
        }
        if (cur !== null && registry!.isBanned(cur)) skip = "banned";
      }
      if (skip === "banned") {
        anyBanned = true;
        (run.flagged ??= []).push({ species, workerId: id, code: "DENY_WORKER_BANNED" });
      }
      if (skip === null && overCap) {
        // Eligible but over the cap, and the rule holds such requests for a human: keep looking
        // for a worker within the cap first.
        fallback = w;
        fallbackIndex = cands.length;
        cands.push(candidate(species, hint, id, "blast_over_cap"));
        run.attChecked = false;
        run.attValid = null;
        continue;
      }
      const entry = candidate(species, hint, skip === "tenant_not_served" ? null : id, skip);
      if (lack !== null) entry.missing_controls = lack;
      cands.push(entry);
      if (skip === null) {
        selected = w;
        selectedIndex = cands.length - 1;
        if (capCheck !== null) {
          run.dims = capCheck.own;
          run.chain = capCheck.chain;
        }
        break;
      }
    }
  }

  let heldForCap = false;
  if (selected === null && fallback !== null) {
    heldForCap = true;
    selected = fallback;
    selectedIndex = fallbackIndex;
    cands[fallbackIndex].skip_reason = null;
    const check = checkBlastCap(fallback.blast_radius, cap, parentChain);
    run.dims = check.own;
    run.chain = check.chain;
    run.capHold = check;
    if (attestRequired) {
      run.attChecked = true;
      run.attValid = true;
    }
    const level = run.escalation!.supervisor_level ?? run.cfg.default_supervisor_level;
    const h = requestHold(run, "selection", { reason: "blast_over_cap", level }, run.policyVersion);
    if (h !== undefined) return h;
  }

  if (selected === null) {
    if (tamperCompared) {
      run.attChecked = true;
      run.attValid = false;
    }
    const summary = `No eligible worker among ${d.candidate_workers_ranked.length} candidates.`;
    step(run, "selection", "deny", summary);
    if (anyBanned) {
      return deny(
        "DENY_WORKER_BANNED",
        "Every eligible worker runs code whose hash is on the ban list. Dispatch refused.",
      );
    }
    if (attFailure !== null) {
      const f = run.attFailures![0];
      return deny(attFailure, attestationMessage(attFailure, f.workerId), {
        worker_id: f.workerId,
        worker_species_id: f.species,
      });
    }
    if (anyOverCap) {
      return deny(
        "DENY_BLAST_OVER_CAP",
        `Every eligible worker exceeds the rule's five-dimension blast cap for ${env} (${cap}), ` +
          "counting the parent chain, or its score is unknown (no blast_radius declared, or the " +
          "parent decision's chain total is unavailable).",
        { max_blast: cap, parent_decision_id: inp.parent_decision_id },
      );
    }
    if (lacks !== null) {
      return deny("DENY_MISSING_REQUIRED_CONTROLS", MISSING_CONTROLS, {
        missing: run.needed.filter((c) => lacks!.has(c)),
      });
    }
    return deny(
      "DENY_NO_AVAILABLE_WORKER",
      "No available worker candidates. Route to review queue.",
    );
  }

  if (run.dims === null) {
    run.dims = checkBlastCap(selected.blast_radius, null, parentChain).own;
    run.chain = run.dims === null || parentChain === undefined
      ? null
      : run.dims + (parentChain ?? 0);
  }
  run.selected = selected;
  void selectedIndex;
  if (!heldForCap) {
    if (run.trace !== null) {
      step(run, "selection", "pass", `Selected worker ${selected.worker_id}.`);
    }
  }
  if (attestRequired) {
    step(run, "attestation", "pass", "The worker's current code hash matches its registration.");
  } else {
    step(run, "attestation", "skip", "Worker attestation is not required.");
  }
}

function attestationMessage(code: DenyCode, workerId: string): string {
  const w = `Worker '${workerId}'`;
  switch (code) {
    case "DENY_WORKER_ATTESTATION_MISSING":
      return `${w} has no registered code hash. Enroll it with attestation.code_hash before ` +
        "enabling require_worker_attestation.";
    case "DENY_WORKER_ATTESTATION_INVALID_HASH":
      return `${w} registered hash is not a valid SHA-256 digest. Re-register it with ` +
        "sha256:<64 hex>.";
    case "DENY_WORKER_HASH_UNAVAILABLE":
      return `${w} current code hash could not be retrieved or is invalid. Verify the ` +
        "currentWorkerHash implementation.";
    default:
      return `${w} code hash mismatch. Worker may have been modified after attestation. ` +
        "Re-attest the worker or investigate for tampering.";
  }
}

function stepPrivilege(run: Run, inp: ValidInput): Denial | undefined {
  if (!(run.controls.includes(PRIV_CTRL) || run.cfg.enforce_privilege_envelopes)) {
    step(run, "privilege", "skip", "Privilege envelopes are not required.");
    return;
  }
  const w = run.selected!;
  run.privRan = true;
  const envelope = w.privilege_envelope;
  if (!isPlainObject(envelope)) {
    run.privOk = false;
    step(run, "privilege", "deny", `Worker ${w.worker_id} declares no privilege envelope.`);
    return deny(
      "DENY_PRIVILEGE_ENVELOPE_UNCONFIGURED",
      `Privilege envelopes are required but worker '${w.worker_id}' declares no ` +
        "privilege_envelope. Enroll it with one.",
      { worker_id: w.worker_id, worker_species_id: w.worker_species_id },
    );
  }
  let verdict: PrivilegeVerdict;
  try {
    const p = run.opts.privilegePolicy;
    verdict = typeof p === "function"
      ? p(inp.env, inp.data_label, envelope)
      : policyAllowsPrivilege(inp.env, inp.data_label, envelope, run.cfg.egress_allowlist);
  } catch {
    run.privOk = false;
    step(run, "privilege", "deny", "The privilege policy raised an exception.");
    return deny("DENY_INTERNAL_ERROR", "Privilege envelope check raised an exception.");
  }
  const ok = isPlainObject(verdict) && verdict.ok === true;
  const reason = isPlainObject(verdict) && typeof verdict.reason === "string"
    ? verdict.reason
    : "invalid_privilege_policy_answer";
  run.privOk = ok;
  if (ok) {
    if (run.trace !== null) {
      step(run, "privilege", "pass", `The privilege envelope is acceptable (${reason}).`);
    }
    return;
  }
  step(run, "privilege", "deny", `The privilege envelope is refused: ${reason}.`);
  return deny(
    "DENY_PRIVILEGE_ENVELOPE_VIOLATED",
    `Worker privilege envelope denied for ${inp.env}/${inp.data_label}: ${reason}`,
    { reason, worker_id: w.worker_id, worker_species_id: w.worker_species_id },
  );
}

// ---------------------------------------------------------------------------------------------
// Assembly.

function eventBase(run: Run, inp: ValidInput | null, sel: RegistryRecord | null): ev.EventBase {
  const raw = isPlainObject(run.raw) ? run.raw : {};
  const corr = inp ? inp.correlation_id : raw.correlation_id;
  const cap = inp ? inp.capability_id : raw.capability_id;
  const tenant = run.tenantShown !== "" ? run.tenantShown : inp ? inp.tenant_id : raw.tenant_id;
  return {
    timestamp: run.ts,
    decision_id: clean(run.id),
    correlation_id: clean(corr),
    tenant_id: clean(tenant),
    capability_id: clean(cap),
    dry_run: inp ? inp.dry_run : raw.dry_run === true,
    matched_rule_id: clean(run.matched),
    policy_version: clean(run.policyVersion),
    species: sel ? clean(sel.worker_species_id) : null,
    worker_id: sel ? clean(sel.worker_id) : null,
  };
}

function enumOf<T extends string>(v: unknown, allowed: readonly T[]): T | null {
  return typeof v === "string" && (allowed as readonly string[]).includes(v) ? v as T : null;
}

function finish(run: Run, denial: Denial | null): RouteDecision {
  const inp = run.inp;
  const raw = isPlainObject(run.raw) ? run.raw : {};
  const rule = run.rule;
  const denied = denial !== null;
  const hold = denied ? null : run.hold;

  let approvalId: string | null = null;
  let expires: string | null = null;
  if (hold !== null && hold.level !== "advisory" && inp !== null && !inp.dry_run) {
    approvalId = freshId(run.opts);
    if (approvalId === null) {
      return finish(
        run,
        deny(
          "DENY_REQUIRES_HUMAN_APPROVAL",
          "A human must approve this request, but no pending approval id could be created " +
            "(options.newId failed). Failing closed.",
          { reason: hold.reason, policy_version: run.policyVersion, supervisor_required: true },
        ),
      );
    }
    expires = formatTimestamp(Math.min(run.t + run.cfg.approval_ttl_seconds * 1000, MAX_TIME));
  }

  const outcome: Outcome = denied
    ? "DENY"
    : hold !== null && hold.level !== "advisory"
    ? "STEWARD_HOLD"
    : "DISPATCH";
  const sel = denied ? null : run.selected;
  let escalation: Escalation;
  if (denial !== null && denial.escalation !== undefined) escalation = denial.escalation;
  else if (run.escalation !== null) {
    escalation = run.escalation;
    if (hold !== null) {
      escalation.human_required_default = true;
      escalation.rationale = hold.reason;
      if (escalation.supervisor_level === undefined) escalation.supervisor_level = hold.level;
    }
  } else escalation = defaultEscalation();

  const digests = inp !== null ? inputDigests(inp) : null;
  const decision: RouteDecision = {
    decision_id: run.id,
    timestamp: run.ts,
    correlation_id: inp
      ? inp.correlation_id
      : typeof raw.correlation_id === "string"
      ? raw.correlation_id
      : "",
    tenant_id: run.tenantShown !== ""
      ? run.tenantShown
      : inp
      ? inp.tenant_id
      : typeof raw.tenant_id === "string"
      ? raw.tenant_id
      : "",
    capability_id: inp
      ? inp.capability_id
      : typeof raw.capability_id === "string"
      ? raw.capability_id
      : "",
    matched_rule_id: run.matched,
    env: inp ? inp.env : enumOf(raw.env, ENVS),
    data_label: inp ? inp.data_label : enumOf(raw.data_label, DATA_LABELS),
    tenant_risk: inp ? inp.tenant_risk : enumOf(raw.tenant_risk, TENANT_RISKS),
    qos_class: inp ? inp.qos_class : enumOf(raw.qos_class, QOS_CLASSES),
    outcome,
    denied,
    deny_reason_if_denied: denial ? denial.reason : null,
    selected_worker_species_id: sel ? sel.worker_species_id : null,
    selected_worker_id: sel ? sel.worker_id : null,
    candidate_workers_ranked: run.candidates ?? [],
    required_controls_effective: copyOf(run.controls),
    controls_verified: sel !== null ? verifiedControls(run, sel) : [],
    recommended_profiles_effective: !denied && rule && rule.decision.recommended_profiles.length
      ? rule.decision.recommended_profiles.map((p) => JSON.parse(JSON.stringify(p)))
      : [],
    escalation_effective: escalation,
    preconditions_checked: run.pre ?? toPreconditions(DEFAULT_RULE_PRECONDITIONS),
    blast_score: run.blastScore,
    blast_gate_passed: run.blastPassed,
    blast_dimensions_score: run.selected ? run.dims : null,
    chain_blast_score: run.selected ? run.chain : null,
    privilege_envelope_ok: run.privOk,
    artifact_hash: digests !== null ? "sha256:" + digests[0] : null,
    request_hash: digests !== null ? "sha256:" + digests[1] : null,
    worker_attestation_checked: run.attChecked,
    worker_attestation_valid: run.attChecked ? run.attValid : null,
    dry_run: inp ? inp.dry_run : raw.dry_run === true,
    policy_version: run.policyVersion,
    supervisor_required: hold !== null,
    parent_decision_id: inp ? inp.parent_decision_id : null,
    telemetry_envelopes: [],
  };
  if (hold !== null && inp !== null) {
    decision.supervisor_level = hold.level;
    if (approvalId !== null) {
      decision.pending_approval_id = approvalId;
      decision.approval_expires_at = expires!;
    }
    const ctx: EscalationContext = {
      capability_id: inp.capability_id,
      blast_score: run.blastScore ?? 0,
      tenant_risk: inp.tenant_risk,
      data_label: inp.data_label,
      policy_version: run.policyVersion,
      hold_reasons: run.holdReasons ?? [hold.reason],
    };
    // A cap hold is triggered by the five-dimension total, not the 0-100 score: show it.
    const cap = run.capHold;
    if (cap !== null && cap.cap !== null) {
      ctx.blast_dimensions_score = cap.own;
      ctx.chain_blast_score = cap.chain;
      ctx.blast_cap = cap.cap;
    }
    decision.escalation_context = ctx;
  }

  // Telemetry (docs/protocol/decisions.md#telemetry order), every event with decision_id and
  // sanitised strings.
  const b = eventBase(run, inp, sel);
  const events = decision.telemetry_envelopes;
  if (denial !== null) {
    events.push(ev.taskDenied(b, denial.reason.code, denial.reason.message));
  } else if (inp !== null && sel !== null) {
    if (run.blastRan) {
      events.push(
        ev.blastScored(
          b,
          inp.env,
          inp.data_label,
          run.blastScore ?? 0,
          decision.blast_dimensions_score,
          decision.chain_blast_score,
        ),
      );
    }
    if (run.privRan) {
      events.push(ev.privilegeChecked(b, inp.env, inp.data_label));
    }
    if (!run.attAttempted && isProdLike(inp.env)) {
      events.push(ev.attestationSkipped(b, inp.env));
    }
    if (run.flagged !== null) {
      for (const f of run.flagged) {
        events.push(ev.workerFlagged(b, f.species, f.workerId, f.code));
      }
    }
    events.push(ev.taskRouted(b, inp.task_id ?? "task_default", inp.qos_class, outcome));
    events.push(ev.workerSelected(b));
    events.push(
      ev.policyGated(b, run.gateDecision, run.gateReason),
    );
    if (approvalId !== null) {
      events.push(ev.approvalRequested(b, approvalId, hold!.level, expires!, hold!.reason));
    }
  }

  if (run.trace !== null) {
    if (denial === null && inp !== null) {
      step(
        run,
        "dry_run",
        inp.dry_run ? "pass" : "skip",
        inp.dry_run
          ? "Dry run: the whole decision was made; nothing will execute."
          : "Not a dry run.",
      );
    }
    const seen = new Set(run.trace.map((s) => s.step));
    for (const s of STEPS) {
      if (!seen.has(s)) {
        run.trace.push({
          step: s,
          outcome: "skip",
          detail: denial ? `Not reached: the request was denied at ${run.last}.` : "Did not apply.",
        });
      }
    }
    run.trace.sort((x, y) => STEPS.indexOf(x.step as StepName) - STEPS.indexOf(y.step as StepName));
    decision.trace = run.trace;
  }

  const sink = run.opts.telemetry;
  if (sink !== undefined && sink !== null) {
    for (const e of events) emitTelemetry(sink, { ...e } as TelemetryEvent);
  }
  return decision;
}

function decide(run: Run): RouteDecision {
  const opts = run.opts;
  const cfg = resolveConfig(opts.config);
  if (typeof cfg === "string") {
    const said = /[.?]$/.test(cfg) ? cfg : cfg + ".";
    step(run, "config", "deny", `The Hall configuration is invalid: ${said}`);
    return finish(run, deny("DENY_INTERNAL_ERROR", `Invalid Hall configuration: ${said}`));
  }
  const reg = opts.registry as unknown;
  const registry = isRegistryLike(reg) ? reg : undefined;
  const rulesOpt = opts.rules as unknown;
  const rules = typeof rulesOpt === "object" && rulesOpt !== null &&
      typeof (rulesOpt as RuleSet).match === "function"
    ? rulesOpt as RuleSet
    : undefined;
  // A wrong object where a RuleSet or Registry belongs is a wiring error: say so, fail closed.
  const wiring = (rulesOpt !== undefined && rules === undefined)
    ? "options.rules must be a compiled RuleSet (from parseRules), not a rules document"
    : (reg !== undefined && registry === undefined)
    ? "options.registry must be a Registry"
    : null;
  if (wiring !== null) {
    step(run, "config", "deny", `The decision options are invalid: ${wiring}.`);
    return finish(run, deny("DENY_INTERNAL_ERROR", `Invalid decision options: ${wiring}.`));
  }
  run.cfg = cfg;
  step(run, "config", "pass", "The Hall configuration is valid.");

  let d = stepSignatory(run);
  // Input validation runs even after a signatory denial so the decision carries its hashes.
  const inputDenial = stepInput(run, d !== undefined);
  d ??= inputDenial;
  if (d !== undefined) return finish(run, d);
  const inp = run.inp!;
  d = stepTenant(run, inp) ?? stepShadow(run, inp, rules) ?? stepMatch(run, inp, rules);
  if (d !== undefined) return finish(run, d);
  d = stepCorrelation(run, inp) ?? stepControls(run, inp, registry) ?? stepBlast(run, inp) ??
    stepPolicy(run, inp) ?? stepHuman(run) ?? stepSelection(run, inp, registry) ??
    stepPrivilege(run, inp);
  return finish(run, d ?? null);
}

const EMPTY_WORKERS: readonly RegistryRecord[] = Object.freeze([]);

// The workers of a species a tenant may be routed to (decision 18), in the species' order: the
// registry's tenant index, or for a registry-like object without one its species list filtered.
function tenantWorkers(
  registry: Registry,
  species: string,
  tenant: string,
): readonly RegistryRecord[] {
  if (typeof registry.workersForTenant === "function") {
    return registry.workersForTenant(species, tenant);
  }
  return (registry as Registry).workersForSpecies(species).filter((w) => servesTenant(w, tenant));
}

// Why a candidate species has no worker the tenant may use.
function emptyReason(registry: Registry | undefined, species: string | undefined): SkipReason {
  if (!species) return "missing_id";
  return registry !== undefined && registry.workersForSpecies(species).length > 0
    ? "tenant_not_served"
    : "unavailable";
}
const REGISTRY_METHODS = [
  "workersForSpecies",
  "isAvailable",
  "registeredHash",
  "isBanned",
  "hasBans",
] as const;

function isRegistryLike(v: unknown): v is Registry {
  if (v instanceof Registry) return true;
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  for (const m of REGISTRY_METHODS) if (typeof o[m] !== "function") return false;
  return true;
}
const EMPTY_OPTIONS = Object.freeze({}) as DecisionOptions;

/**
 * Decide one request. Synchronous and total: whatever `input` and `options` are, it returns a
 * decision and never throws (a throwing gate or privilege policy denies; a throwing telemetry
 * sink, clock or id generator is ignored). Read `outcome`: only `DISPATCH` may execute.
 *
 * @example
 * ```ts
 * import { makeDecision, parseRules, Registry } from "@wcp/core";
 * const rules = parseRules({ rules: [{ rule_id: "r1", match: { capability_id: "cap.doc.summarize" },
 *   decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] } }] });
 * const registry = new Registry();
 * registry.enroll({ worker_id: "org.acme.sum.1", worker_species_id: "wrk.doc.summarizer",
 *   capabilities: ["cap.doc.summarize"] });
 * const d = makeDecision({ correlation_id: "c-1", tenant_id: "acme", env: "dev",
 *   data_label: "INTERNAL", tenant_risk: "low", qos_class: "P2",
 *   capability_id: "cap.doc.summarize" }, { rules, registry });
 * d.outcome; // "DISPATCH"
 * makeDecision({ capability_id: "cap.x.y" }, { rules }).outcome; // "DENY"
 * ```
 */
export function makeDecision(input: unknown, options: DecisionOptions): RouteDecision {
  let opts: DecisionOptions = EMPTY_OPTIONS;
  let run: Run | null = null;
  try {
    opts = isPlainObject(options) ? options : EMPTY_OPTIONS;
    run = new Run(opts, input);
    run.t = clock(opts);
    run.ts = timestampOf(run.t);
    run.id = freshId(opts) ?? uuidV4();
    if (opts.trace === true) run.trace = [];
    return decide(run);
  } catch {
    return internalError(run, opts, input);
  }
}

// Last resort when something unforeseen threw (a hostile getter, a broken registry subclass):
// a minimal, valid denial built without touching the input again beyond safe reads.
function internalError(prev: Run | null, opts: DecisionOptions, input: unknown): RouteDecision {
  let t: number;
  try {
    t = prev && prev.ts !== "" ? prev.t : Date.now();
  } catch {
    t = Date.now();
  }
  const id = prev && prev.id !== "" ? prev.id : uuidV4();
  const ts = formatTimestamp(t);
  const reason: DenyReason = {
    code: "DENY_INTERNAL_ERROR",
    message: "The decision could not be completed because of an internal error. Failing closed.",
  };
  let matched = PRE_ROUTING;
  try {
    if (prev) matched = prev.matched;
  } catch { /* keep PRE_ROUTING */ }
  // Only values already validated by this decision are echoed; the raw input is not read again.
  const inp = prev ? prev.inp : null;
  const decision: RouteDecision = {
    decision_id: id,
    timestamp: ts,
    correlation_id: inp ? inp.correlation_id : "",
    tenant_id: inp ? inp.tenant_id : "",
    capability_id: inp ? inp.capability_id : "",
    matched_rule_id: matched,
    env: inp ? inp.env : null,
    data_label: inp ? inp.data_label : null,
    tenant_risk: inp ? inp.tenant_risk : null,
    qos_class: inp ? inp.qos_class : null,
    outcome: "DENY",
    denied: true,
    deny_reason_if_denied: reason,
    selected_worker_species_id: null,
    selected_worker_id: null,
    candidate_workers_ranked: [],
    required_controls_effective: [],
    controls_verified: [],
    recommended_profiles_effective: [],
    escalation_effective: defaultEscalation(),
    preconditions_checked: toPreconditions(DEFAULT_RULE_PRECONDITIONS),
    blast_score: null,
    blast_gate_passed: null,
    blast_dimensions_score: null,
    chain_blast_score: null,
    privilege_envelope_ok: null,
    artifact_hash: null,
    request_hash: null,
    worker_attestation_checked: false,
    worker_attestation_valid: null,
    dry_run: false,
    policy_version: "policy.v0",
    supervisor_required: false,
    parent_decision_id: null,
    telemetry_envelopes: [],
  };
  void input;
  const event: TelemetryEvent = {
    event_id: "evt.os.task.denied",
    timestamp: ts,
    decision_id: clean(id),
    correlation_id: clean(decision.correlation_id),
    tenant_id: clean(decision.tenant_id),
    capability_id: clean(decision.capability_id),
    deny_code: reason.code,
    deny_message: reason.message,
    matched_rule_id: clean(matched),
  };
  decision.telemetry_envelopes.push(event);
  try {
    const sink = (opts as { telemetry?: TelemetrySink }).telemetry;
    emitTelemetry(sink, { ...event });
  } catch { /* a hostile options object: telemetry is best effort */ }
  return decision;
}
