/**
 * Routes declared once: an operation (method, path, `operationId`, summary, auth, request body,
 * query and path parameter schemas, one schema per response status) is a plain value that both
 * `mount` (which registers it on a Hono app and validates what it declares) and the OpenAPI
 * document (`openapi.ts`) read, so the document cannot list a route the hall does not serve the
 * way it says, nor miss one.
 *
 * Validation keeps the hall's rules: the body is read by the strict reader (`jsonBody`: UTF-8
 * only, no repeated key, JSON media types only), must be a JSON object unless the operation says
 * otherwise, and is then parsed with its zod schema; a failure is a 400 naming the field
 * (`INVALID_BODY`, `INVALID_QUERY`, `INVALID_PATH`). The body is validated when the handler asks
 * for it (`input.body()`), so a route keeps its order of checks (who may act before what is
 * sent); admin-only operations check the token before anything else.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import type { z } from "zod";
import { asObjectBody, type HallEnv, jsonBody, principal } from "../_http.ts";
import { ErrorBody } from "../api_schemas.ts";
import { fromZod, type HttpError } from "../errors.ts";
import { requireAdmin } from "../middleware/auth.ts";

/**
 * Who may call an operation: `public` (no token), `token` (any token: an admin, or a namespace
 * token acting for its own tenant), `admin` (admin tokens only).
 */
export type OperationAuth = "public" | "token" | "admin";

/** One response of an operation. */
export interface ResponseSpec {
  /** What the status means here. */
  description: string;
  /** The body (JSON unless `contentType` says otherwise). */
  schema: z.ZodType;
  /** Default `application/json`. */
  contentType?: string;
}

/** A declared operation. */
export interface Operation<
  B extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  P extends z.ZodType = z.ZodType,
> {
  method: "get" | "post" | "put";
  /** OpenAPI form (`/wcp/workers/{id}`); mounted as `/wcp/workers/:id`. */
  path: string;
  operationId: string;
  summary: string;
  /** Longer text (Markdown), optional. */
  description?: string;
  tag: string;
  auth: OperationAuth;
  /** The body schema the route validates with. */
  body?: B;
  /** What the document shows for the body when it differs from the validator (default `body`). */
  bodyDoc?: z.ZodType;
  /** The body may be any JSON value (default: a JSON object, else 400 `INVALID_BODY`). */
  bodyAnyJson?: boolean;
  /** How a body that fails `body` is answered (default `fromZod(e)`: 400 `INVALID_BODY`). */
  bodyError?: (e: z.ZodError) => HttpError;
  /** Query parameters (an object schema over strings). */
  query?: Q;
  /** Path parameters (an object schema over strings). */
  params?: P;
  /** Request headers documented (name and description; the route reads them). */
  headers?: Record<string, string>;
  /** The answers besides the common errors every operation may give (see `openapi.ts`). */
  responses: Record<number, ResponseSpec>;
}

/** What a mounted handler gets: the validated parameters, and the body on demand. */
export interface OperationInput<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  /** Read, parse and validate the body (once; later calls return the same value). */
  body: () => Promise<z.output<B>>;
  query: z.output<Q>;
  params: z.output<P>;
}

/** An error answer (`{error:{code,message,path}}`) with what it means for this operation. */
export function fails(description: string): ResponseSpec {
  return { description, schema: ErrorBody };
}

/** Declare an operation (identity, typed). */
export function operation<
  B extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  P extends z.ZodType = z.ZodType,
>(op: Operation<B, Q, P>): Operation<B, Q, P> {
  if (!/^[a-z][A-Za-z0-9]*$/.test(op.operationId)) {
    throw new Error(`operation ${op.path}: operationId must be camelCase`);
  }
  return Object.freeze(op);
}

/** The Hono path of an OpenAPI path (`{id}` becomes `:id`). */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}

/** Register `op` on `app` with its validation in front of `handler`. */
export function mount<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType>(
  app: Hono<HallEnv>,
  op: Operation<B, Q, P>,
  handler: (
    c: Context<HallEnv>,
    input: OperationInput<B, Q, P>,
  ) => Response | Promise<Response>,
): void {
  const run = async (c: Context<HallEnv>): Promise<Response> => {
    if (op.auth === "admin") requireAdmin(principal(c));
    let params = {} as z.output<P>;
    if (op.params) {
      const r = op.params.safeParse(c.req.param());
      if (!r.success) throw fromZod(r.error, "INVALID_PATH");
      params = r.data;
    }
    let query = {} as z.output<Q>;
    if (op.query) {
      const r = op.query.safeParse(c.req.query());
      if (!r.success) throw fromZod(r.error, "INVALID_QUERY");
      query = r.data;
    }
    let parsed: Promise<z.output<B>> | null = null;
    const body = (): Promise<z.output<B>> => {
      parsed ??= (async () => {
        const schema = op.body;
        if (!schema) throw new Error(`${op.operationId}: no body declared`);
        const raw = await jsonBody(c);
        const value = op.bodyAnyJson ? raw : asObjectBody(raw);
        const r = schema.safeParse(value);
        if (!r.success) throw (op.bodyError ?? fromZod)(r.error);
        return r.data;
      })();
      return parsed;
    };
    return await handler(c, { body, query, params });
  };
  const path = honoPath(op.path);
  if (op.method === "get") app.get(path, run);
  else if (op.method === "post") app.post(path, run);
  else app.put(path, run);
}
