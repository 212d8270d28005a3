/**
 * CORS for the configured origins only (the Authorization header is allowed for them alone).
 * `corsPreflight` answers an OPTIONS request, `corsOrigin` names the origin an answer is shared
 * with; `corsGuard` is the Hono middleware over both. The route fast lane takes no request that
 * `corsApplies` to (a cross-origin request gets its headers from the full app).
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { HttpError } from "../errors.ts";

/** True when CORS has something to do with `req` (a preflight, or a request naming an Origin). */
export function corsApplies(req: Request): boolean {
  return req.method === "OPTIONS" || req.headers.has("origin");
}

/** The request's Origin when it is one of `origins` (its answer is shared with it), else null. */
export function corsOrigin(origins: ReadonlySet<string>, req: Request): string | null {
  const origin = req.headers.get("origin");
  return origin !== null && origins.has(origin) ? origin : null;
}

/** The answer to a preflight (OPTIONS): 204 with the allowed methods and headers, or 403. */
export function corsPreflight(origins: ReadonlySet<string>, req: Request): Response {
  const origin = corsOrigin(origins, req);
  if (origin === null) throw new HttpError(403, "ORIGIN_NOT_ALLOWED", "CORS origin not allowed");
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": "GET, POST, PUT, DELETE",
      "access-control-allow-headers": "Authorization, Content-Type, Last-Event-ID",
      "access-control-max-age": "600",
      vary: "Origin",
    },
  });
}

/** Share an answer with `origin` (null: leave it alone). */
export function applyCors(h: Headers, origin: string | null): void {
  if (origin === null) return;
  h.set("access-control-allow-origin", origin);
  h.append("vary", "Origin");
}

/** Middleware: preflights answered here, other answers shared with an allowed Origin. */
export function corsGuard(origins: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return corsPreflight(origins, c.req.raw);
    const origin = corsOrigin(origins, c.req.raw);
    await next();
    applyCors(c.res.headers, origin);
  };
}
