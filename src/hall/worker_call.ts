/**
 * Calling a worker: in-process functions or an HTTP endpoint, with the correlation id, a timeout
 * and a bounded response. The worker returns execution facts only; the hall mints the receipt.
 *
 * @module
 */

import { spanIdFor, traceIdFor } from "./telemetry_sinks.ts";
import {
  type WorkerCall,
  type WorkerOutcome,
  workerSucceeded as succeeded,
} from "../engine/mod.ts";
import { readBoundedText } from "./_read_bounded.ts";

/** What a worker receives and what a call came to: the engine's one type of each. */
export type { WorkerCall, WorkerOutcome };

/** An in-process worker; `sub` lets it ask the hall for a sub-capability (a worker chain). */
export type InProcessWorker = (
  call: WorkerCall,
  context: { sub: (input: Record<string, unknown>) => Promise<unknown> },
) => unknown | Promise<unknown>;

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Call a worker; never throws. */
export async function callWorker(
  call: WorkerCall,
  target: { endpoint?: string; fn?: InProcessWorker },
  options: { timeoutMs: number; sub: (input: Record<string, unknown>) => Promise<unknown> },
): Promise<WorkerOutcome> {
  try {
    if (target.fn) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("worker timed out")), options.timeoutMs);
      });
      try {
        const result = await Promise.race([
          Promise.resolve(target.fn(call, { sub: options.sub })),
          timeout,
        ]);
        return succeeded(result ?? null);
      } finally {
        clearTimeout(timer);
      }
    }
    if (!target.endpoint) {
      return {
        ok: false,
        result: null,
        error: "worker has no endpoint and no in-process executor",
        result_hash: null,
      };
    }
    const res = await fetch(target.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-wcp-correlation-id": call.correlation_id,
        "x-wcp-decision-id": call.decision_id,
        traceparent: `00-${traceIdFor(call.correlation_id)}-${spanIdFor(call.decision_id)}-01`,
      },
      body: JSON.stringify(call),
      redirect: "error",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await readBoundedText(res, MAX_RESPONSE_BYTES);
    if (text === null) {
      return { ok: false, result: null, error: "worker response too large", result_hash: null };
    }
    let result: unknown = null;
    try {
      result = text ? JSON.parse(text) : null;
    } catch {
      return {
        ok: false,
        result: null,
        error: `worker answered ${res.status} with non-JSON`,
        result_hash: null,
      };
    }
    if (!res.ok) {
      return { ok: false, result, error: `worker answered ${res.status}`, result_hash: null };
    }
    return succeeded(result);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ok: false, result: null, error: `worker call failed: ${msg}`, result_hash: null };
  }
}
