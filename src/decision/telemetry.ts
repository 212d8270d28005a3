/**
 * Telemetry sinks and sanitisation.
 *
 * @module
 */

import type { TelemetryEvent } from "../model.ts";

/**
 * Where decision events go. A function or an object with `emit`.
 *
 * @example
 * ```ts
 * import type { TelemetrySink } from "@wcp/core";
 * const events: unknown[] = [];
 * const sink: TelemetrySink = (e) => { events.push(e); };
 * ```
 */
export type TelemetrySink = ((event: TelemetryEvent) => void) | {
  /** Receive one event; exceptions are swallowed (telemetry never changes a decision). */
  emit(event: TelemetryEvent): void;
};

// Remove C0 and C1 controls, DEL, U+2028 and U+2029 (docs/protocol/decisions.md#sanitised-strings).
// deno-lint-ignore no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// Controls, or any surrogate code unit (a pair is fine, but a lone half must be repaired).
// deno-lint-ignore no-control-regex
const NEEDS_WORK = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/;

/**
 * Strip control characters from a value written to telemetry; non-strings become "". A lone
 * surrogate (not encodable as UTF-8, so a log line would be corrupted) becomes U+FFFD.
 *
 * @example
 * ```ts
 * import { sanitizeTelemetryString } from "@wcp/core";
 * sanitizeTelemetryString("a\nb\u2028c"); // "abc"
 * sanitizeTelemetryString("x\ud800"); // "x\ufffd"
 * ```
 */
export function sanitizeTelemetryString(value: unknown): string {
  if (typeof value !== "string") return "";
  // Most values are clean: one scan first (no copy), repair only when needed.
  if (!NEEDS_WORK.test(value)) return value;
  const v = value.replace(CONTROL_CHARS, "");
  return v.isWellFormed() ? v : v.toWellFormed();
}

/**
 * Deliver one event to a sink; a sink that throws is ignored (telemetry never changes a decision).
 *
 * @example
 * ```ts
 * import { emitTelemetry } from "@wcp/core";
 * emitTelemetry(() => { throw new Error("down"); }, {
 *   event_id: "evt.os.task.routed", timestamp: "1970-01-01T00:00:00.000Z", decision_id: "d",
 *   correlation_id: "c",
 * }); // no throw
 * ```
 */
export function emitTelemetry(sink: TelemetrySink | undefined, event: TelemetryEvent): void {
  if (sink === undefined || sink === null) return;
  try {
    if (typeof sink === "function") sink(event);
    else sink.emit(event);
  } catch {
    // Swallowed on purpose: a failing sink must not change or break a decision.
  }
}
