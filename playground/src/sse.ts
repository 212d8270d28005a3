/**
 * Server-Sent Events over `fetch`, so the request can carry an `Authorization` header (EventSource
 * cannot). Parses the `text/event-stream` format: `event:`, `data:` (joined with newlines), `id:`,
 * comments and blank-line dispatch.
 *
 * @module
 */

/** One server-sent event. */
export interface SseMessage {
  /** Event name (`message` when the server sent none). */
  event: string;
  /** The data lines joined with `\n`. */
  data: string;
  /** Last event id seen, if any. */
  id: string | null;
}

/** An incremental parser: feed it chunks of text, get complete events back. */
export class SseParser {
  #buffer = "";
  #event = "";
  #data: string[] = [];
  #id: string | null = null;

  /** Feed a chunk; returns the events it completed. */
  push(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const out: SseMessage[] = [];
    let nl: number;
    while ((nl = this.#buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.#buffer.slice(0, nl);
      const width = this.#buffer.startsWith("\r\n", nl) ? 2 : 1;
      this.#buffer = this.#buffer.slice(nl + width);
      const msg = this.#line(line);
      if (msg) out.push(msg);
    }
    return out;
  }

  #line(line: string): SseMessage | null {
    if (line === "") {
      if (this.#data.length === 0) {
        this.#event = "";
        return null;
      }
      const msg = { event: this.#event || "message", data: this.#data.join("\n"), id: this.#id };
      this.#event = "";
      this.#data = [];
      return msg;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#event = value;
    else if (field === "data") this.#data.push(value);
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    return null;
  }
}

/**
 * Read an SSE stream with a bearer token until `signal` aborts; calls `onMessage` per event.
 * Rejects with the HTTP status when the server refuses.
 */
export async function readEvents(
  url: string,
  token: string,
  onMessage: (m: SseMessage) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    signal,
  });
  if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
  const parser = new SseParser();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    for (const m of parser.push(value)) onMessage(m);
  }
}
