/**
 * The dashboard's fetch-based SSE reader: the text/event-stream grammar, split across chunks.
 */

import assert from "node:assert/strict";
import { SseParser } from "../../playground/src/sse.ts";

Deno.test("SSE: events, multi-line data, comments, ids, CRLF", () => {
  const p = new SseParser();
  const got = p.push(
    ': keep-alive\n\nevent: decision\nid: 7\ndata: {"a":1}\n\n' +
      "data: line one\r\ndata: line two\r\n\r\nevent: alert\ndata:no-space\n\n",
  );
  assert.deepEqual(got, [
    { event: "decision", data: '{"a":1}', id: "7" },
    { event: "message", data: "line one\nline two", id: "7" },
    { event: "alert", data: "no-space", id: "7" },
  ]);
});

Deno.test("SSE: an event split over many chunks is delivered once, when complete", () => {
  const p = new SseParser();
  const whole = 'event: approval\ndata: {"approval_id":"x"}\n\n';
  const out = [];
  for (const ch of whole) out.push(...p.push(ch));
  assert.deepEqual(out, [{ event: "approval", data: '{"approval_id":"x"}', id: null }]);
  // A trailing event without its blank line is not dispatched yet.
  assert.deepEqual(p.push("event: alert\ndata: pending"), []);
  assert.deepEqual(p.push("\n\n"), [{ event: "alert", data: "pending", id: null }]);
});

Deno.test("SSE: event name without data dispatches nothing and does not leak", () => {
  const p = new SseParser();
  assert.deepEqual(p.push("event: ping\n\ndata: x\n\n"), [{
    event: "message",
    data: "x",
    id: null,
  }]);
});
