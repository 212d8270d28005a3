import assert from "node:assert/strict";
import { readBoundedText } from "../../src/hall/_read_bounded.ts";

Deno.test("an endless answer is cut at the cap and its stream cancelled", async () => {
  let pulls = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(new Uint8Array(1024).fill(0x61));
    },
    cancel() {
      cancelled = true;
    },
  });
  assert.equal(await readBoundedText(new Response(body), 10 * 1024), null);
  assert.ok(cancelled, "the stream is cancelled");
  assert.ok(pulls <= 12, `read ${pulls} chunks for a 10-chunk cap`);
});

Deno.test("an answer within the cap is read whole, multi-byte characters across chunks kept", async () => {
  const bytes = new TextEncoder().encode("héllo wörld");
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const b of bytes) controller.enqueue(new Uint8Array([b]));
      controller.close();
    },
  });
  assert.equal(await readBoundedText(new Response(body), bytes.length), "héllo wörld");
  assert.equal(await readBoundedText(new Response(null), 10), "");
});
