/**
 * Small, deterministic demonstration workers that run in the server process. They give the demo
 * configuration (and tests) real work to govern without any network access.
 *
 * @module
 */

import { z } from "zod";

import type { WorkerCall } from "../src/engine/mod.ts";

/** What a worker receives when the server executes it after an allowed decision (the engine's). */
export type { WorkerCall };

/** A worker implementation: returns the worker's output (a JSON value). */
export type WorkerFn = (call: WorkerCall) => unknown | Promise<unknown>;

/** Names of the built-in workers. */
export const BUILTIN_WORKER_NAMES = ["summarize", "redact", "notify", "echo"] as const;
/** A built-in worker name. */
export type BuiltinWorkerName = typeof BUILTIN_WORKER_NAMES[number];

/** A built-in worker: schemas for its tool and its implementation. */
export interface BuiltinWorker {
  /** What it does, for tool descriptions. */
  description: string;
  /** Zod shape of the request payload. */
  input: z.ZodRawShape;
  /** Zod shape of the output. */
  output: z.ZodRawShape;
  /** The implementation. */
  run: WorkerFn;
}

const SENTENCE = /[^.!?]+[.!?]*/g;

function words(text: string): number {
  const m = text.trim().match(/\S+/g);
  return m ? m.length : 0;
}

const summarize: BuiltinWorker = {
  description: "Extractive summary: the first sentences of the text.",
  input: {
    text: z.string().min(1).max(100_000).describe("Text to summarise"),
    max_sentences: z.number().int().min(1).max(20).optional().describe("Default 2"),
  },
  output: { summary: z.string(), sentences: z.number().int(), words: z.number().int() },
  run: (call) => {
    const text = String(call.request.text);
    const max = typeof call.request.max_sentences === "number" ? call.request.max_sentences : 2;
    const all = (text.match(SENTENCE) ?? []).map((s) => s.trim()).filter((s) => s.length > 0);
    return { summary: all.slice(0, max).join(" "), sentences: all.length, words: words(text) };
  },
};

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const LONG_NUMBER = /\b\d[\d -]{6,}\d\b/g;

const redact: BuiltinWorker = {
  description:
    "Replaces e-mail addresses and long digit runs (phone, card numbers) with [REDACTED].",
  input: { text: z.string().min(1).max(100_000).describe("Text to redact") },
  output: { text: z.string(), redactions: z.number().int() },
  run: (call) => {
    let n = 0;
    const out = String(call.request.text).replace(EMAIL, () => (n++, "[REDACTED]"))
      .replace(LONG_NUMBER, () => (n++, "[REDACTED]"));
    return { text: out, redactions: n };
  },
};

const notify: BuiltinWorker = {
  description:
    "Simulated notification: records the message and returns a message id (sends nothing).",
  input: {
    channel: z.string().min(1).max(100).describe("Channel, e.g. #ops"),
    message: z.string().min(1).max(2000).describe("Message text"),
  },
  output: { queued: z.boolean(), channel: z.string(), message_id: z.string() },
  run: (call) => ({
    queued: true,
    channel: String(call.request.channel),
    message_id: `msg-${call.decision_id}`,
  }),
};

const echo: BuiltinWorker = {
  description: "Returns the request payload unchanged (for wiring tests and overhead measurement).",
  input: { payload: z.unknown().optional().describe("Any JSON value") },
  output: { echo: z.record(z.string(), z.unknown()) },
  run: (call) => ({ echo: call.request }),
};

/** The built-in workers by name. */
export const BUILTIN_WORKERS: Readonly<Record<BuiltinWorkerName, BuiltinWorker>> = Object.freeze({
  summarize,
  redact,
  notify,
  echo,
});
