/**
 * Shareable state in the URL fragment: JSON, deflate-compressed (`z.` prefix) where the browser has
 * CompressionStream, plain (`j.` prefix) otherwise, then base64url. The fragment never reaches a
 * server, so a shared link leaks nothing to the host.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** Largest state a link may expand to: a crafted link must not be a decompression bomb. */
export const MAX_STATE_BYTES = 1_000_000;

async function pipe(
  bytes: Uint8Array,
  stream: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(stream).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_STATE_BYTES) {
      await reader.cancel();
      throw new Error(`state larger than ${MAX_STATE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Encode a JSON value for a URL fragment. */
export async function encodeState(value: unknown): Promise<string> {
  const bytes = encoder.encode(JSON.stringify(value));
  if (typeof CompressionStream === "function") {
    return "z." + toBase64Url(await pipe(bytes, new CompressionStream("deflate-raw")));
  }
  return "j." + toBase64Url(bytes);
}

/** Decode what `encodeState` made; throws on anything else. */
export async function decodeState(text: string): Promise<unknown> {
  if (text.startsWith("z.")) {
    const bytes = await pipe(fromBase64Url(text.slice(2)), new DecompressionStream("deflate-raw"));
    return JSON.parse(decoder.decode(bytes));
  }
  if (text.startsWith("j.")) {
    if (text.length > MAX_STATE_BYTES * 2) throw new Error("state link too long");
    return JSON.parse(decoder.decode(fromBase64Url(text.slice(2))));
  }
  throw new Error("unknown state encoding");
}
