/**
 * The hall's replay log: one `DecisionRecord` per decision (its replayable input and outcome),
 * written in batches off the request path, read page by page by `POST /wcp/simulate` and
 * `GET /wcp/decision-records`.
 *
 * @module
 */

import { checkGateResult, type PolicyGateResult } from "../decision/policy.ts";
import type { RouteDecision } from "../model.ts";
import { type DecisionRecord, decisionRecordOf } from "../decision/simulate.ts";
import type { HallStore } from "./store/types.ts";

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

/** Queues records and writes them in batches; `flush` before reading. */
export class DecisionRecorder {
  readonly #store: HallStore;
  #queue: DecisionRecord[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** The last write error (null when the last write succeeded), for health. */
  lastError: string | null = null;

  constructor(store: HallStore) {
    this.#store = store;
  }

  /** Queue the record of a decision (invalid inputs are not recorded). */
  add(input: unknown, decision: RouteDecision, parentChainBlastScore: number | null): void {
    const r = decisionRecordOf(input, decision, parentChainBlastScore, gateAnswerOf(decision));
    if (r === null) return;
    this.#queue.push(compactRecord(r));
    if (this.#queue.length >= FLUSH_AT) void this.flush();
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
    this.#queue = [];
    this.#writing = this.#writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.#store.appendDecisionRecords(batch);
        this.lastError = null;
      } catch (e) {
        // Telemetry-like: a failed write is reported, never fails the decisions it records.
        this.lastError = e instanceof Error ? e.message : String(e);
      }
    });
    return this.#writing;
  }
}
