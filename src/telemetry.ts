/**
 * Telemetry sinks and sanitisation. (Contract stub: completed with issue 2.)
 *
 * @module
 */

import type { TelemetryEvent } from "./model.ts";

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

// Remove C0 and C1 controls, DEL, U+2028 and U+2029 (spec README decision 13).
// deno-lint-ignore no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Strip control characters from a value written to telemetry; non-strings become "".
 *
 * @example
 * ```ts
 * import { sanitizeTelemetryString } from "@wcp/core";
 * sanitizeTelemetryString("a\nb\u2028c"); // "abc"
 * ```
 */
export function sanitizeTelemetryString(value: unknown): string {
  return typeof value === "string" ? value.replace(CONTROL_CHARS, "") : "";
}
