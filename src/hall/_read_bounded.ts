/**
 * Reading an answer's body with a size cap, for the hall's outgoing calls (HTTP workers, webhook
 * gates): reading stops at the cap, so a huge or endless answer is never buffered.
 *
 * @module
 */

/** The body as text, or null as soon as it exceeds `max` bytes (the stream is then cancelled). */
export async function readBoundedText(res: Response, max: number): Promise<string | null> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}
