/**
 * Telemetry sinks of the hall. Every decision's events go to the store; when configured also to a
 * JSONL file and to an OpenTelemetry collector (OTLP/HTTP JSON traces: one span per decision or
 * dispatch with the GenAI attributes of the spec, the WCP events as span events). Writes are
 * batched so that a decision never waits for a sink, and a failing sink never changes a decision.
 *
 * @module
 */

import { sha256Hex } from "../encoding/hash.ts";
import type { RouteDecision, TelemetryEvent } from "../model.ts";
import type { DecisionRow, HallStore, TelemetryBatch, TelemetryRow } from "./store/types.ts";

const TELEMETRY_SLICE = 1_000;
// Flush at once past this many queued events; make decisions wait (back-pressure) past the
// high-water mark of queued plus in-flight events, so a slow sink cannot grow memory unbounded.
const FLUSH_AT = 2_000;
const HIGH_WATER = 100_000;

/** Where a store writes telemetry (`SqliteStore.telemetryWriter()`). */
export interface StoreTelemetryWriter {
  /** `worker` (its own thread) or `main` (the thread serving requests). */
  thread: "worker" | "main";
  /** Why not on a worker thread (null when it is). */
  reason: string | null;
  /** True when a worker thread was wanted but could not be had (a degraded mode). */
  fallback: boolean;
}

/** Sink settings. */
export interface TelemetrySinkOptions {
  /** Append every event as one JSON line to this file. */
  jsonlPath?: string;
  /** OTLP/HTTP JSON traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  otlpEndpoint?: string;
  /** Extra headers for the collector. */
  otlpHeaders?: Record<string, string>;
  /** Flush period (default 200 ms). */
  flushMs?: number;
}

/** One OTLP span, as the JSON encoding writes it. */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  events: { timeUnixNano: string; name: string; attributes: OtlpAttribute[] }[];
  status: { code: number; message?: string };
}
type OtlpAttribute = {
  key: string;
  value: { stringValue: string } | { intValue: string } | { boolValue: boolean } | {
    doubleValue: number;
  };
};

function attr(key: string, v: unknown): OtlpAttribute | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean") return { key, value: { boolValue: v } };
  if (typeof v === "number") {
    return Number.isInteger(v)
      ? { key, value: { intValue: String(v) } }
      : { key, value: { doubleValue: v } };
  }
  if (typeof v === "string") return { key, value: { stringValue: v } };
  return { key, value: { stringValue: JSON.stringify(v) } };
}

function attrs(pairs: Record<string, unknown>): OtlpAttribute[] {
  return Object.entries(pairs).map(([k, v]) => attr(k, v)).filter((a): a is OtlpAttribute =>
    a !== null
  );
}

function nanos(iso: string | number): string {
  const ms = typeof iso === "number" ? iso : Date.parse(iso);
  return (BigInt(Math.floor(Number.isFinite(ms) ? ms : Date.now())) * 1_000_000n).toString();
}

/** A trace id from a correlation id: the UUID's 32 hex digits, else a hash of it. */
export function traceIdFor(correlationId: string): string {
  const hex = correlationId.replaceAll("-", "").toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex)) return hex;
  return sha256Hex(`trace:${correlationId}`).slice(0, 32);
}

/** A span id derived from a name (decision id, receipt id). */
export function spanIdFor(name: string): string {
  return sha256Hex(`span:${name}`).slice(0, 16);
}

/** What the worker may report about model use (GenAI semantic conventions). */
export interface ModelUsage {
  model?: string;
  input_tokens?: number;
  output_tokens?: number;
}

/** Batches decision rows and telemetry events into the store, a JSONL file and OTLP. */
export class TelemetryPipeline {
  readonly #store: HallStore;
  readonly #options: TelemetrySinkOptions;
  #rows: TelemetryRow[] = [];
  #batches: TelemetryBatch[] = [];
  #queued = 0; // events in #rows and #batches
  #inFlight = 0; // events handed to a flush that has not finished
  #decisions: DecisionRow[] = [];
  #lines: string[] = [];
  #spans: OtlpSpan[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();
  /** Errors of the last flush per sink (reported by /wcp/health). */
  readonly sinkErrors: Record<string, string | null> = { store: null, jsonl: null, otlp: null };

  constructor(store: HallStore, options: TelemetrySinkOptions = {}) {
    this.#store = store;
    this.#options = options;
  }

  /**
   * Where the store writes telemetry, when it can tell (SQLite: on its own thread, or on the
   * serving thread, and why); null for a store that does not say (PostgreSQL writes over its
   * connection pool). Shown by `/wcp/health` as `telemetry.writer`.
   */
  get writer(): StoreTelemetryWriter | null {
    const s = this.#store as { telemetryWriter?: () => StoreTelemetryWriter };
    return typeof s.telemetryWriter === "function" ? s.telemetryWriter() : null;
  }

  /** Names of the active sinks. */
  get sinks(): string[] {
    return [
      "store",
      ...(this.#options.jsonlPath ? ["jsonl"] : []),
      ...(this.#options.otlpEndpoint ? ["otlp"] : []),
    ];
  }

  /**
   * Queue one decision (its row, its events, its span). `eventsJson`, when given, is
   * `JSON.stringify(decision.telemetry_envelopes)` already made for the response: the store gets
   * that text as it is (no second serialisation).
   */
  decision(decision: RouteDecision, row: DecisionRow | null, eventsJson?: string): void {
    const events = decision.telemetry_envelopes ?? [];
    const batch = this.#store.appendTelemetryBatches ? batchOf(events, eventsJson) : null;
    if (batch) {
      this.#batches.push(batch);
      this.#queued += events.length;
      if (this.#options.jsonlPath) { for (const e of events) this.#lines.push(JSON.stringify(e)); }
    } else for (const e of events) this.#event(e);
    if (row) this.#decisions.push(row);
    if (this.#options.otlpEndpoint) this.#spans.push(this.#decisionSpan(decision, events));
    this.#schedule();
  }

  /** Queue the span of one executed dispatch (worker call). */
  dispatch(info: {
    decision: RouteDecision;
    worker_id: string;
    started_at: number;
    ended_at: number;
    ok: boolean;
    receipt_id: string | null;
    usage?: ModelUsage;
    error?: string;
  }): void {
    if (!this.#options.otlpEndpoint) return;
    const d = info.decision;
    this.#spans.push({
      traceId: traceIdFor(d.correlation_id),
      spanId: spanIdFor(`dispatch:${d.decision_id}`),
      parentSpanId: spanIdFor(d.decision_id),
      name: `execute_tool ${d.capability_id}`,
      kind: 3, // CLIENT: the hall calls the worker
      startTimeUnixNano: nanos(info.started_at),
      endTimeUnixNano: nanos(info.ended_at),
      attributes: attrs({
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": d.capability_id,
        "gen_ai.tool.call.id": d.decision_id,
        "gen_ai.request.model": info.usage?.model,
        "gen_ai.usage.input_tokens": info.usage?.input_tokens,
        "gen_ai.usage.output_tokens": info.usage?.output_tokens,
        "wcp.correlation_id": d.correlation_id,
        "wcp.tenant_id": d.tenant_id,
        "wcp.worker_id": info.worker_id,
        "wcp.receipt_id": info.receipt_id,
      }),
      events: [],
      status: info.ok ? { code: 1 } : { code: 2, message: info.error ?? "worker failed" },
    });
    this.#schedule();
  }

  #event(e: TelemetryEvent): void {
    const row: TelemetryRow = {
      event_id: String(e.event_id),
      decision_id: String(e.decision_id ?? ""),
      correlation_id: String(e.correlation_id ?? ""),
      timestamp: String(e.timestamp ?? new Date().toISOString()),
      event: e as Record<string, unknown>,
    };
    this.#rows.push(row);
    this.#queued++;
    if (this.#options.jsonlPath) this.#lines.push(JSON.stringify(e));
  }

  /**
   * Null while the sinks keep up; else a promise that settles when the flush in progress ends.
   * Callers on the decision path await it, so a sink that falls behind slows requests down
   * instead of queueing without bound.
   */
  backpressure(): Promise<void> | null {
    if (this.#queued + this.#inFlight <= HIGH_WATER) return null;
    if (this.#timer !== undefined || this.#queued > 0) void this.flush();
    return this.#flushing;
  }

  #decisionSpan(d: RouteDecision, events: TelemetryEvent[]): OtlpSpan {
    const t = nanos(d.timestamp);
    return {
      traceId: traceIdFor(d.correlation_id),
      spanId: spanIdFor(d.decision_id),
      name: `route ${d.capability_id}`,
      kind: 2, // SERVER
      startTimeUnixNano: t,
      endTimeUnixNano: t,
      attributes: attrs({
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": d.capability_id,
        "gen_ai.tool.call.id": d.decision_id,
        "wcp.decision_id": d.decision_id,
        "wcp.correlation_id": d.correlation_id,
        "wcp.tenant_id": d.tenant_id,
        "wcp.outcome": d.outcome,
        "wcp.matched_rule_id": d.matched_rule_id,
        "wcp.selected_worker_id": d.selected_worker_id,
        "wcp.deny_code": d.deny_reason_if_denied?.code,
        "wcp.blast_score": d.blast_score,
        "wcp.dry_run": d.dry_run,
        "wcp.policy_version": d.policy_version,
      }),
      events: events.map((e) => ({
        timeUnixNano: nanos(String(e.timestamp ?? d.timestamp)),
        name: String(e.event_id),
        attributes: attrs(
          Object.fromEntries(
            Object.entries(e).filter(([k]) => k !== "event_id" && k !== "timestamp"),
          ),
        ),
      })),
      status: d.outcome === "DENY" ? { code: 2, message: d.deny_reason_if_denied?.code } : {
        code: 1,
      },
    };
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    if (this.#queued + this.#decisions.length > FLUSH_AT) {
      void this.flush();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#options.flushMs ?? 200);
  }

  /** Write everything queued so far (waits for a flush in progress). */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const rows = this.#rows, decisions = this.#decisions, lines = this.#lines, spans = this.#spans;
    const batches = this.#batches, count = this.#queued;
    this.#batches = [];
    this.#queued = 0;
    this.#inFlight += count;
    this.#rows = [];
    this.#decisions = [];
    this.#lines = [];
    this.#spans = [];
    this.#flushing = this.#flushing.then(async () => {
      try {
        for (const d of decisions) await this.#store.recordDecision(d);
        // In slices, yielding between them: an embedded store writes synchronously, and one big
        // write would stall every request waiting behind it.
        for (let i = 0; i < rows.length; i += TELEMETRY_SLICE) {
          if (i > 0) await new Promise((r) => setTimeout(r, 0));
          await this.#store.appendTelemetry(rows.slice(i, i + TELEMETRY_SLICE));
        }
        for (let i = 0; i < batches.length; i += TELEMETRY_SLICE) {
          if (i > 0) await new Promise((r) => setTimeout(r, 0));
          await this.#store.appendTelemetryBatches!(batches.slice(i, i + TELEMETRY_SLICE));
        }
        this.sinkErrors.store = null;
      } catch (e) {
        this.sinkErrors.store = e instanceof Error ? e.message : String(e);
      } finally {
        this.#inFlight -= count;
      }
      if (lines.length && this.#options.jsonlPath) {
        try {
          await Deno.writeTextFile(this.#options.jsonlPath, lines.join("\n") + "\n", {
            append: true,
            create: true,
            mode: 0o600, // owner-only when created (decisions name tenants and workers)
          });
          this.sinkErrors.jsonl = null;
        } catch (e) {
          this.sinkErrors.jsonl = e instanceof Error ? e.message : String(e);
        }
      }
      if (spans.length && this.#options.otlpEndpoint) await this.#sendOtlp(spans);
    });
    return this.#flushing;
  }

  async #sendOtlp(spans: OtlpSpan[]): Promise<void> {
    const body = {
      resourceSpans: [{
        resource: {
          attributes: attrs({ "service.name": "wcp-hall", "service.version": "0.1.0" }),
        },
        scopeSpans: [{ scope: { name: "@wcp/core/hall", version: "0.1.0" }, spans }],
      }],
    };
    try {
      const res = await fetch(this.#options.otlpEndpoint!, {
        method: "POST",
        headers: { "content-type": "application/json", ...this.#options.otlpHeaders },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
      await res.body?.cancel();
      this.sinkErrors.otlp = res.ok ? null : `collector answered ${res.status}`;
    } catch (e) {
      this.sinkErrors.otlp = e instanceof Error ? e.message : String(e);
    }
  }

  /** Flush and stop. */
  async close(): Promise<void> {
    await this.flush();
  }
}

// One batch for a decision whose events all carry the same ids (they do: the core stamps them);
// anything else goes the per-event way.
function batchOf(events: TelemetryEvent[], eventsJson: string | undefined): TelemetryBatch | null {
  if (events.length === 0) return null;
  const decisionId = String(events[0].decision_id ?? "");
  const correlationId = String(events[0].correlation_id ?? "");
  for (const e of events) {
    if (
      String(e.decision_id ?? "") !== decisionId ||
      String(e.correlation_id ?? "") !== correlationId || typeof e.event_id !== "string"
    ) return null;
  }
  return {
    decision_id: decisionId,
    correlation_id: correlationId,
    events_json: eventsJson ?? JSON.stringify(events),
  };
}
