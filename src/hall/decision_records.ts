/**
 * The hall's replay log: one `DecisionRecord` per decision (its replayable input and outcome),
 * serialised once when the decision is made (`decisionRecordText`, the compact form, no
 * intermediate objects), written in batches off the request path (a timer, or at once past
 * 2,000 queued), read page by page by `POST /wcp/simulate` and `GET /wcp/decision-records`.
 *
 * @module
 */

import { checkGateResult, type PolicyGateResult } from "../decision/policy.ts";
import {
  DATA_LABELS,
  DENY_CODES,
  ENVS,
  OUTCOMES,
  QOS_CLASSES,
  type RouteDecision,
  TENANT_RISKS,
} from "../model.ts";
import type { DecisionRecord, RECORDED_REQUEST_FLAGS } from "../decision/simulate.ts";
import type { DecisionRecordTexts, HallStore } from "./store/types.ts";

/** Records queued before a flush is started at once. */
const FLUSH_AT = 2_000;
/** Otherwise, flush this long after the first queued record. */
const FLUSH_MS = 200;

/**
 * The answer of a gate the hall ran outside the core (`decision.policy_gate`, set by the hall's
 * gates), unless the gate failed: a replay then decides with the same answer.
 */
function gateAnswerOf(d: RouteDecision): PolicyGateResult | null {
  const g = (d as { policy_gate?: unknown }).policy_gate;
  if (typeof g !== "object" || g === null) return null;
  const rec = g as Record<string, unknown>;
  if (rec.error_code !== undefined) return null;
  if (d.deny_reason_if_denied?.code === "DENY_POLICY_GATE_INVALID_RESPONSE") return null;
  const checked = checkGateResult({
    decision: rec.decision,
    policy_version: rec.policy_version,
    reason: rec.reason,
  }, d.policy_version);
  return checked.ok ? checked.result : null;
}

/**
 * The record without the fields that hold their defaults (null, `dry_run: false`, `policy.v0`,
 * an empty request): about 40 % less to serialise and store per decision. `parseDecisionRecord`
 * reads either form.
 */
export function compactRecord(r: DecisionRecord): DecisionRecord {
  // (for-in over own data properties: no entry arrays per field, once per decision)
  const out: Record<string, unknown> = {};
  const rec = r as unknown as Record<string, unknown>;
  for (const k in rec) {
    if (!Object.hasOwn(rec, k)) continue;
    const v = rec[k];
    if (v !== null) out[k] = v;
  }
  const input: Record<string, unknown> = {};
  const given = r.input as unknown as Record<string, unknown>;
  for (const k in given) {
    if (!Object.hasOwn(given, k)) continue;
    const v = given[k];
    if (v === null || (k === "dry_run" && v === false)) continue;
    if (k === "policy_version" && v === "policy.v0") continue;
    if (k === "request" && isEmptyObject(v)) continue;
    input[k] = v;
  }
  out.input = input;
  return out as unknown as DecisionRecord;
}

// What `Object.keys(v).length === 0` says (as before), without the array: a primitive has no own
// keys but a non-empty string.
function isEmptyObject(v: unknown): boolean {
  if (typeof v === "string") return v.length === 0;
  if (typeof v !== "object" || v === null) return true;
  for (const k in v) if (Object.hasOwn(v, k)) return false;
  return true;
}

// JSON of a string field of an object already known to hold a string.
const q = JSON.stringify;

// The values of the enumerated fields (they need no escaping: quoted as they are).
const ENUMERATED = new Set<string>([
  ...ENVS,
  ...DATA_LABELS,
  ...TENANT_RISKS,
  ...QOS_CLASSES,
  ...OUTCOMES,
  ...DENY_CODES,
]);
const qe = (v: string): string => ENUMERATED.has(v) ? `"${v}"` : q(v);

// The request flags of a record, as `{"writes":true,...}` (empty when none is truthy); the same
// truthiness as `decisionRecordOf` (Python's: 0, "", NaN, [] and {} are false).
function flagsJson(req: unknown): string {
  if (typeof req !== "object" || req === null || Array.isArray(req)) return "";
  // Named reads (not r[f] over the list: a keyed read of an absent key goes the slow way).
  const r = req as Partial<Record<typeof RECORDED_REQUEST_FLAGS[number], unknown>>;
  let out = "";
  if (truthy(r.egress)) out = `"egress":true`;
  if (truthy(r.external_call)) out += `${out ? "," : ""}"external_call":true`;
  if (truthy(r.writes)) out += `${out ? "," : ""}"writes":true`;
  if (truthy(r.mutates_state)) out += `${out ? "," : ""}"mutates_state":true`;
  return out;
}

function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (typeof v === "number") return !Number.isNaN(v);
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/**
 * The compact replay record of a decision as JSON text, written in one pass from the input and
 * the decision: the text `JSON.stringify(compactRecord(decisionRecordOf(...)))` gives, without
 * the two intermediate objects (`tests/hall/decision_record_text.test.ts` compares them). Null
 * where `decisionRecordOf` is null (an input that was not a valid request).
 */
export function decisionRecordText(
  input: unknown,
  d: RouteDecision,
  parentChainBlastScore: number | null,
  gateAnswer: PolicyGateResult | null,
): string | null {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return null;
  if (d.env === null) return null;
  const code = d.deny_reason_if_denied?.code ?? null;
  if (code === "DENY_INVALID_INPUT") return null;
  const i = input as Record<string, unknown>;
  const ci = i.correlation_id, ti = i.tenant_id, env = i.env, dl = i.data_label;
  const tr = i.tenant_risk, qos = i.qos_class, cap = i.capability_id;
  if (
    typeof ci !== "string" || typeof ti !== "string" || typeof env !== "string" ||
    typeof dl !== "string" || typeof tr !== "string" || typeof qos !== "string" ||
    typeof cap !== "string"
  ) return null;
  let head = `"correlation_id":${q(ci)},"tenant_id":${q(ti)},"env":${qe(env)},"data_label":${
    qe(dl)
  },"tenant_risk":${qe(tr)},"qos_class":${qe(qos)},"capability_id":${q(cap)}`;
  const pv = i.policy_version;
  if (typeof pv === "string" && pv !== "policy.v0") head += `,"policy_version":${q(pv)}`;
  if (i.dry_run === true) head += `,"dry_run":true`;
  if (typeof i.blast_score === "number") head += `,"blast_score":${q(i.blast_score)}`;
  if (typeof i.parent_decision_id === "string") {
    head += `,"parent_decision_id":${q(i.parent_decision_id)}`;
  }
  const flags = flagsJson(i.request);
  if (flags) head += `,"request":{${flags}}`;
  let out = `{"decision_id":${q(d.decision_id)},"timestamp":${q(d.timestamp)},"input":{${head}}`;
  if (parentChainBlastScore !== null && parentChainBlastScore !== undefined) {
    out += `,"parent_chain_blast_score":${q(parentChainBlastScore)}`;
  }
  if (gateAnswer !== null) out += `,"gate_answer":${q(gateAnswer)}`;
  out += `,"outcome":${qe(d.outcome)}`;
  if (code !== null) out += `,"deny_code":${qe(code)}`;
  // Members that may be null or absent (left out either way, as compactRecord and JSON do).
  const rule = d.matched_rule_id, worker = d.selected_worker_id;
  const blast = d.blast_score, dims = d.blast_dimensions_score;
  if (rule !== null && rule !== undefined) out += `,"matched_rule_id":${q(rule)}`;
  if (worker !== null && worker !== undefined) out += `,"selected_worker_id":${q(worker)}`;
  if (blast !== null && blast !== undefined) out += `,"blast_score":${q(blast)}`;
  if (dims !== null && dims !== undefined) out += `,"blast_dimensions_score":${q(dims)}`;
  return out + "}";
}

/**
 * Queues records (as JSON text, made when the decision is) and writes them in batches off the
 * request: at most `FLUSH_MS` later, or at once past `FLUSH_AT`; `flush` before reading. A store
 * with `appendDecisionRecordTexts` takes the texts as they are (no second serialisation).
 */
export class DecisionRecorder {
  readonly #store: HallStore;
  #queue: DecisionRecordTexts = { decision_ids: [], timestamps: [], records: [] };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** The last write error (null when the last write succeeded), for health. */
  lastError: string | null = null;

  constructor(store: HallStore) {
    this.#store = store;
  }

  /** Queue the record of a decision (invalid inputs are not recorded). */
  add(input: unknown, decision: RouteDecision, parentChainBlastScore: number | null): void {
    const gate = (decision as { policy_gate?: unknown }).policy_gate === undefined
      ? null
      : gateAnswerOf(decision);
    const text = decisionRecordText(input, decision, parentChainBlastScore, gate);
    if (text === null) return;
    const queue = this.#queue;
    queue.records.push(text);
    queue.decision_ids.push(decision.decision_id);
    queue.timestamps.push(decision.timestamp);
    if (queue.records.length >= FLUSH_AT) void this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, FLUSH_MS);
    }
  }

  /** Write everything queued so far (after any write in progress). */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#queue;
    this.#queue = { decision_ids: [], timestamps: [], records: [] };
    this.#writing = this.#writing.then(async () => {
      if (batch.records.length === 0) return;
      try {
        const store = this.#store;
        if (store.appendDecisionRecordTexts) await store.appendDecisionRecordTexts(batch);
        else {
          await store.appendDecisionRecords(
            batch.records.map((t) => JSON.parse(t) as DecisionRecord),
          );
        }
        this.lastError = null;
      } catch (e) {
        // Telemetry-like: a failed write is reported, never fails the decisions it records.
        this.lastError = e instanceof Error ? e.message : String(e);
      }
    });
    return this.#writing;
  }
}
