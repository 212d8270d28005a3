/**
 * Small helpers shared by the route files.
 *
 * @module
 */

import type { Context } from "hono";
import type { z } from "zod";
import { parseJsonStrict, readBodyText } from "./_body.ts";
import { fromZod, HttpError } from "./errors.ts";
import type { HallVariables, Principal } from "./middleware/auth.ts";

/** The Hono environment of every hall route. */
export type HallEnv = { Variables: HallVariables };

// application/json, with parameters, or a +json type (RFC 6839).
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Parse the body as JSON (400 `INVALID_JSON` when it is not, `INVALID_UTF8` for bytes that are
 * not UTF-8, `DUPLICATE_KEY` for an object with a repeated key; 415 when it is sent as another
 * media type, such as the form encoding `curl -d` uses). Empty body gives `{}`.
 */
export async function jsonBody(c: Context<HallEnv>): Promise<unknown> {
  return parseJsonText(await readBodyText(() => c.req.arrayBuffer()), c.req.header("content-type"));
}

/** `jsonBody` over a body already read (the route fast lane reads it itself). */
export function parseJsonText(text: string, contentType: string | undefined | null): unknown {
  if (text.trim() === "") return {};
  if (contentType != null && !JSON_TYPE.test(contentType)) {
    throw new HttpError(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `content-type: send application/json, not ${contentType.slice(0, 100)}`,
      { path: "content-type" },
    );
  }
  try {
    return parseJsonStrict(text);
  } catch (e) {
    if (e instanceof HttpError) throw e; // a repeated key
    throw new HttpError(400, "INVALID_JSON", "the body is not valid JSON");
  }
}

/** True for a JSON media type (`application/json`, with parameters, or `+json`). */
export function isJsonType(contentType: string): boolean {
  return JSON_TYPE.test(contentType);
}

/** Parse and validate the body with a zod schema (400 naming the field). */
export async function validBody<S extends z.ZodType>(
  c: Context<HallEnv>,
  schema: S,
): Promise<z.infer<S>> {
  const r = schema.safeParse(await jsonBody(c));
  if (!r.success) throw fromZod(r.error);
  return r.data;
}

/** Validate the query string with a zod schema (400 naming the parameter). */
export function validQuery<S extends z.ZodType>(c: Context<HallEnv>, schema: S): z.infer<S> {
  const r = schema.safeParse(c.req.query());
  if (!r.success) throw fromZod(r.error, "INVALID_QUERY");
  return r.data;
}

/** A JSON object body or 400. */
export async function objectBody(c: Context<HallEnv>): Promise<Record<string, unknown>> {
  return asObjectBody(await jsonBody(c));
}

/** The parsed body as an object, or 400 `INVALID_BODY`. */
export function asObjectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "INVALID_BODY", "the body must be a JSON object", { path: "" });
  }
  return body as Record<string, unknown>;
}

/**
 * A JSON response from an already serialised body (the route hot path serialises once and reuses
 * the text); the header middleware adds the security headers as for every response.
 */
export function jsonText(body: string, status = 200): Response {
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}

/** The authenticated caller. */
export function principal(c: Context<HallEnv>): Principal {
  return c.get("principal");
}
