/**
 * A small Server-Sent Events parser over a byte stream (fetch bodies), so a client can send an
 * `Authorization` header, which `EventSource` cannot.
 *
 * @module
 */

/**
 * One event read from a stream.
 *
 * @example
 * ```ts
 * import type { SseMessage } from "@wcp/core";
 * const m: SseMessage = { event: "decision", data: "{}", id: "1" };
 * ```
 */
export interface SseMessage {
  /** The `event:` field (`message` when absent). */
  event: string;
  /** The `data:` lines joined by `\n`. */
  data: string;
  /** The `id:` field, when present. */
  id: string | undefined;
}

/**
 * Parse an SSE byte stream into messages. Comments (`: keep-alive`) are skipped; aborting
 * `signal` ends the iteration.
 *
 * @example
 * ```ts
 * import { parseSseStream } from "@wcp/core";
 * const body = new Response("id: 1\nevent: decision\ndata: {}\n\n").body!;
 * for await (const m of parseSseStream(body)) console.log(m.event); // "decision"
 * ```
 */
export async function* parseSseStream(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<SseMessage, void, undefined> {
  // The cast keeps this lib-neutral: under the DOM lib TextDecoderStream's writable side is typed
  // WritableStream<BufferSource>, which Uint8Array streams do not satisfy structurally.
  const reader = body.pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
    .getReader();
  // Stop reading when the caller aborts, even if the transport does not end the stream itself.
  const onAbort = () => void reader.cancel().catch(() => {});
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  let buffer = "";
  let event = "", data: string[] = [], id: string | undefined;
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let nl: number;
      while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          if (data.length) yield { event: event || "message", data: data.join("\n"), id };
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const raw = colon < 0 ? "" : line.slice(colon + 1);
        const v = raw.startsWith(" ") ? raw.slice(1) : raw;
        if (field === "event") event = v;
        else if (field === "data") data.push(v);
        else if (field === "id") id = v;
      }
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
  }
}
