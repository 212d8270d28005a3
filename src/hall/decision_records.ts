/**
 * The hall's replay log: one `DecisionRecord` per decision (its replayable input and outcome),
 * serialised once when the decision is made (`decisionRecordText`, the compact form, no
 * intermediate objects), written in batches off the request path (a timer, or at once past
 * 2,000 queued), read page by page by `POST /wcp/simulate` and `GET /wcp/decision-records`.
 *
 * @module
 */

import { checkGateResult, type PolicyGateResult } from "../decision/policy.ts";
import type { RouteDecision } from "../model.ts";
import type { DecisionRecord, RECORDED_REQUEST_FLAGS } from "../decision/simulate.ts";
import type { DecisionRecordTexts, HallStore } from "./store/types.ts";

/** Records queued before a flush is started at once. */
const FLUSH_AT = 2_000;
/** Otherwise, flush this long after the first queued record. */
const FLUSH_MS = 200;
/** The queue's first buffer: `FLUSH_AT` records of about 450 bytes. */
const INITIAL_QUEUE_BYTES = 1 << 20;
const UTF8 = new TextEncoder();
const UTF8_DECODE = new TextDecoder();

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

// The request flags of a record, `{ writes: true, ... }` (null when none is truthy); the same
// truthiness as `decisionRecordOf` (Python's: 0, "", NaN, [] and {} are false).
function flagsOf(
  req: unknown,
): Partial<Record<typeof RECORDED_REQUEST_FLAGS[number], true>> | null {
  if (typeof req !== "object" || req === null || Array.isArray(req)) return null;
  // Named reads (not r[f] over the list: a keyed read of an absent key goes the slow way).
  const r = req as Partial<Record<typeof RECORDED_REQUEST_FLAGS[number], unknown>>;
  let out: Partial<Record<typeof RECORDED_REQUEST_FLAGS[number], true>> | null = null;
  if (truthy(r.egress)) (out ??= {}).egress = true;
  if (truthy(r.external_call)) (out ??= {}).external_call = true;
  if (truthy(r.writes)) (out ??= {}).writes = true;
  if (truthy(r.mutates_state)) (out ??= {}).mutates_state = true;
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
 * The compact replay record of a decision as JSON text: the text
 * `JSON.stringify(compactRecord(decisionRecordOf(...)))` gives, from one object holding only the
 * members the compact form keeps (`tests/hall/decision_record_text.test.ts` compares them). Null
 * where `decisionRecordOf` is null (an input that was not a valid request).
 *
 * One `JSON.stringify` of that object, not the text built by concatenation: in the hall this runs
 * once per request, in V8's middle tier, where the concatenated text cost 5-6 µs per decision
 * against 1.3 µs (medians in the in-memory hall; a hot loop, fully optimised, hides it: 0.7 µs).
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
  const recorded: Record<string, unknown> = {
    correlation_id: ci,
    tenant_id: ti,
    env,
    data_label: dl,
    tenant_risk: tr,
    qos_class: qos,
    capability_id: cap,
  };
  const pv = i.policy_version;
  if (typeof pv === "string" && pv !== "policy.v0") recorded.policy_version = pv;
  if (i.dry_run === true) recorded.dry_run = true;
  if (typeof i.blast_score === "number") recorded.blast_score = i.blast_score;
  if (typeof i.parent_decision_id === "string") recorded.parent_decision_id = i.parent_decision_id;
  const flags = flagsOf(i.request);
  if (flags !== null) recorded.request = flags;
  const out: Record<string, unknown> = {
    decision_id: d.decision_id,
    timestamp: d.timestamp,
    input: recorded,
  };
  if (parentChainBlastScore !== null && parentChainBlastScore !== undefined) {
    out.parent_chain_blast_score = parentChainBlastScore;
  }
  if (gateAnswer !== null) out.gate_answer = gateAnswer;
  out.outcome = d.outcome;
  if (code !== null) out.deny_code = code;
  // Members that may be null or absent (left out either way, as compactRecord and JSON do).
  const rule = d.matched_rule_id, worker = d.selected_worker_id;
  const blast = d.blast_score, dims = d.blast_dimensions_score;
  if (rule !== null && rule !== undefined) out.matched_rule_id = rule;
  if (worker !== null && worker !== undefined) out.selected_worker_id = worker;
  if (blast !== null && blast !== undefined) out.blast_score = blast;
  if (dims !== null && dims !== undefined) out.blast_dimensions_score = dims;
  return JSON.stringify(out);
}

/**
 * Queues records (as JSON text, made when the decision is) and writes them in batches off the
 * request: at most `FLUSH_MS` later, or at once past `FLUSH_AT`; `flush` before reading. A store
 * with `appendDecisionRecordTexts` takes the texts as they are (no second serialisation).
 *
 * The queued texts are kept as UTF-8 bytes in one reused buffer, not as strings: a string kept
 * for up to `FLUSH_MS` outlives several young-generation collections, each of which copies it
 * (with the pieces of a text built by concatenation), about 3 µs of collection per decision in
 * the in-memory hall. A flush decodes the buffer once and slices each record out of that text.
 */
export class DecisionRecorder {
  readonly #store: HallStore;
  #bytes = new Uint8Array(INITIAL_QUEUE_BYTES);
  #used = 0;
  // Each queued record's end in the decoded text (UTF-16 code units, as `slice` counts).
  #ends: number[] = [];
  #ids: string[] = [];
  #timestamps: string[] = [];
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
    this.#queueText(text);
    this.#ids.push(decision.decision_id);
    this.#timestamps.push(decision.timestamp);
    if (this.#ends.length >= FLUSH_AT) void this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, FLUSH_MS);
    }
  }

  // The text is well-formed UTF-16 (JSON.stringify escapes lone surrogates), so its UTF-8 decodes
  // back to the same code units: `#ends` can count in the text's own units.
  #queueText(text: string): void {
    // At most 3 bytes per UTF-16 code unit.
    const need = this.#used + text.length * 3;
    if (need > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, this.#used));
      this.#bytes = grown;
    }
    this.#used += UTF8.encodeInto(text, this.#bytes.subarray(this.#used)).written;
    this.#ends.push((this.#ends.at(-1) ?? 0) + text.length);
  }

  // The queued records as texts (slices of one decoded string), and an empty queue.
  #take(): DecisionRecordTexts {
    const all = UTF8_DECODE.decode(this.#bytes.subarray(0, this.#used));
    const ends = this.#ends;
    const records = new Array<string>(ends.length);
    for (let k = 0, start = 0; k < ends.length; start = ends[k], k++) {
      records[k] = all.slice(start, ends[k]);
    }
    const batch = { decision_ids: this.#ids, timestamps: this.#timestamps, records };
    this.#used = 0;
    this.#ends = [];
    this.#ids = [];
    this.#timestamps = [];
    // A buffer grown by a burst is not kept for ever.
    if (this.#bytes.length > INITIAL_QUEUE_BYTES * 4) {
      this.#bytes = new Uint8Array(INITIAL_QUEUE_BYTES);
    }
    return batch;
  }

  /** Write everything queued so far (after any write in progress). */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#take();
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
