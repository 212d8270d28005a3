/**
 * A stdio transport for the MCP SDK that never goes quiet on bad input: every line that is not a
 * valid JSON-RPC message gets a JSON-RPC error response (parse error -32700 for invalid JSON,
 * invalid request -32600 for batches, non-objects and malformed messages) and the server keeps
 * reading. Output goes to stdout only as protocol messages; nothing else is ever written there.
 *
 * @module
 */

import { type JSONRPCMessage, JSONRPCMessageSchema, type Transport } from "./_sdk_server.ts";
import { invalidParamsResponse } from "./_guard.ts";

/** Longest accepted line (bytes); longer lines are answered with -32600 and skipped. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

type Id = string | number | null;

/** How long to wait, after end of input, for answers to requests still in flight. */
const DRAIN_MS = 30_000;

/** Options of `LineTransport`. */
export interface LineTransportOptions {
  /** Byte source (default `Deno.stdin.readable`). */
  input?: ReadableStream<Uint8Array>;
  /** Byte sink (default `Deno.stdout.writable`). */
  output?: WritableStream<Uint8Array>;
  /** Called for diagnostics (default: stderr). */
  log?: (message: string) => void;
}

function idOf(v: unknown): Id {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const id = (v as Record<string, unknown>).id;
    if (typeof id === "string" || (typeof id === "number" && Number.isFinite(id))) return id;
  }
  return null;
}

/**
 * Why a parsed JSON value is not one JSON-RPC message, or null when it is.
 *
 * @example
 * ```ts
 * import { invalidReason } from "./stdio.ts";
 * invalidReason([]); // "empty batch"
 * invalidReason({ jsonrpc: "2.0", id: 1, method: "ping" }); // null
 * ```
 */
export function invalidReason(value: unknown): string | null {
  if (Array.isArray(value)) {
    return value.length === 0
      ? "empty batch"
      : "JSON-RPC batches are not supported; send one message per line";
  }
  if (value === null || typeof value !== "object") {
    return `expected a JSON object, got ${value === null ? "null" : typeof value}`;
  }
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== "2.0") return 'field "jsonrpc" must be "2.0"';
  if ("method" in m && typeof m.method !== "string") return 'field "method" must be a string';
  return null;
}

/**
 * Newline-delimited JSON-RPC over a pair of byte streams (stdin/stdout by default).
 *
 * @example
 * ```ts
 * import { LineTransport } from "./stdio.ts";
 * const transport = new LineTransport();
 * // await server.connect(transport);
 * ```
 */
export class LineTransport implements Transport {
  /** Set by the SDK. */
  onclose?: () => void;
  /** Set by the SDK. */
  onerror?: (error: Error) => void;
  /** Set by the SDK. */
  onmessage?: (message: JSONRPCMessage) => void;
  #input: ReadableStream<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #log: (message: string) => void;
  #closed = false;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #encoder = new TextEncoder();
  #queue: Promise<void> = Promise.resolve();
  #inflight = new Set<string | number>();

  /** Create a transport; call `start` (the SDK's `connect` does). */
  constructor(options: LineTransportOptions = {}) {
    this.#input = options.input ?? Deno.stdin.readable;
    this.#writer = (options.output ?? Deno.stdout.writable).getWriter();
    this.#log = options.log ?? ((m) => console.error(`[wcp-mcp] ${m}`));
  }

  /** Start reading lines in the background. */
  start(): Promise<void> {
    this.#reader = this.#input.getReader();
    this.#pump().catch((e) => this.onerror?.(e instanceof Error ? e : new Error(String(e))));
    return Promise.resolve();
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    let buf = "";
    let oversized = false;
    const reader = this.#reader!;
    while (!this.#closed) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (oversized) {
          oversized = false; // the tail of a line already answered
          continue;
        }
        this.#line(line);
      }
      if (buf.length > MAX_LINE_BYTES) {
        buf = "";
        oversized = true;
        this.#reject(null, -32600, `Invalid Request: line longer than ${MAX_LINE_BYTES} bytes`);
      }
    }
    if (buf.trim() && !oversized) this.#line(buf);
    // End of input: answer the requests still in flight before closing.
    const deadline = Date.now() + DRAIN_MS;
    while (this.#inflight.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await this.close();
  }

  #line(raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.#reject(null, -32700, "Parse error: invalid JSON");
      return;
    }
    const reason = invalidReason(value);
    if (reason) {
      this.#reject(idOf(value), -32600, `Invalid Request: ${reason}`);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      const m = value as Record<string, unknown>;
      // JSON-RPC: a notification (method, no id) never gets a reply, even a malformed one.
      if ("method" in m && !("id" in m)) {
        this.#log("dropped a malformed notification");
        return;
      }
      this.#reject(idOf(value), -32600, "Invalid Request: not a valid JSON-RPC 2.0 message");
      return;
    }
    const invalid = invalidParamsResponse(parsed.data as JSONRPCMessage);
    if (invalid) {
      this.#log(`invalid params (id ${JSON.stringify((invalid as { id: Id }).id)})`);
      this.#write(invalid);
      return;
    }
    const msg = parsed.data as Record<string, unknown>;
    if ("method" in msg && "id" in msg) this.#inflight.add(msg.id as string | number);
    this.onmessage?.(parsed.data as JSONRPCMessage);
  }

  #reject(id: Id, code: number, message: string): void {
    this.#log(`${message} (id ${JSON.stringify(id)})`);
    this.#write({ jsonrpc: "2.0", id, error: { code, message } });
  }

  #write(message: unknown): Promise<void> {
    const bytes = this.#encoder.encode(JSON.stringify(message) + "\n");
    this.#queue = this.#queue.then(() => this.#writer.write(bytes)).catch((e) => {
      this.onerror?.(e instanceof Error ? e : new Error(String(e)));
    });
    return this.#queue;
  }

  /** Send one message (one line). */
  send(message: JSONRPCMessage): Promise<void> {
    const m = message as Record<string, unknown>;
    if (!("method" in m) && "id" in m) this.#inflight.delete(m.id as string | number);
    return this.#write(message);
  }

  /** Stop reading and report closure once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#reader?.cancel();
    } catch { /* already released */ }
    await this.#queue;
    this.onclose?.();
  }
}
