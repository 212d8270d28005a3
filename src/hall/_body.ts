/**
 * Reading a request body the way both lanes of the hall do (the full app's `jsonBody` and the
 * route fast lane): bytes that are not UTF-8 are a 400 `INVALID_UTF8` (never replaced by U+FFFD
 * and accepted), an object with the same key twice is a 400 `DUPLICATE_KEY` naming it (never
 * "last one wins", which lets two readers of one body see different requests), and a client that
 * closes the connection mid-body is a `ClientAbortError` (a debug line, not an internal error).
 *
 * The checks themselves are pure and shared with the MCP endpoint (`src/encoding/strict_json.ts`).
 *
 * @module
 */

import { HttpError } from "./errors.ts";
import {
  decodeUtf8Exact,
  duplicateKeyPath,
  firstInvalidUtf8,
  repeatedKeyMessage,
} from "../encoding/strict_json.ts";

/** The client closed the connection before its body was complete (nothing to answer). */
export class ClientAbortError extends HttpError {
  constructor(cause: unknown) {
    super(400, "BODY_INCOMPLETE", "the connection closed before the request body was complete");
    this.name = "ClientAbortError";
    this.cause = cause;
  }
}

/** True for the error Deno raises when a request body's connection went away mid-read. */
export function isClientAbort(e: unknown): boolean {
  return e instanceof ClientAbortError ||
    (e instanceof Deno.errors.BadResource && /read (?:request )?body/i.test(e.message)) ||
    e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.UnexpectedEof;
}

/** Decode a body as UTF-8 (a leading BOM is dropped, as `Request.text()` does); 400 if invalid. */
export function decodeUtf8(bytes: Uint8Array): string {
  const text = decodeUtf8Exact(bytes);
  if (text !== null) return text;
  throw new HttpError(
    400,
    "INVALID_UTF8",
    `the body is not valid UTF-8 (at byte ${firstInvalidUtf8(bytes)})`,
    { path: "" },
  );
}

/** Read a request's body as UTF-8 text (400 `INVALID_UTF8`; `ClientAbortError` on abort). */
export async function readBodyText(
  read: () => Promise<ArrayBuffer | Uint8Array>,
): Promise<string> {
  let body: ArrayBuffer | Uint8Array;
  try {
    body = await read();
  } catch (e) {
    if (isClientAbort(e)) throw new ClientAbortError(e);
    throw e;
  }
  return decodeUtf8(body instanceof Uint8Array ? body : new Uint8Array(body));
}

/**
 * Parse JSON text and refuse an object with a repeated key (400 `DUPLICATE_KEY` with its path).
 * Throws the `SyntaxError` of `JSON.parse` for text that is not JSON.
 */
export function parseJsonStrict(text: string): unknown {
  const value = JSON.parse(text);
  const path = duplicateKeyPath(text, value);
  if (path !== null) {
    throw new HttpError(400, "DUPLICATE_KEY", repeatedKeyMessage(path), { path });
  }
  return value;
}
