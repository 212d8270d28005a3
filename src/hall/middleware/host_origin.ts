/**
 * Host and Origin checks (DNS rebinding and cross-site protection): a request received over a
 * connection must name its Host, the Host must be one this hall serves, and an Origin must be a
 * configured one or the request's own. `hostOriginRefusal` is the check; `hostOriginGuard` the
 * Hono middleware over it; the route fast lane calls the check itself.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { HttpError } from "../errors.ts";
import { isServed } from "./_connection.ts";

/** Which Host names and Origins the hall answers. */
export interface HostOriginPolicy {
  /** Host names served (lower case, no brackets; the port is ignored). */
  hosts: ReadonlySet<string>;
  /** Origins allowed cross-origin. */
  origins: ReadonlySet<string>;
}

/** The hall's default host names. */
export const DEFAULT_HOSTS: readonly string[] = ["127.0.0.1", "localhost", "::1"];

/** A policy from configured lists (host names normalised: lower case, `[::1]` -> `::1`). */
export function hostOriginPolicy(
  hosts: readonly string[] = DEFAULT_HOSTS,
  origins: readonly string[] = [],
): HostOriginPolicy {
  return {
    hosts: new Set(hosts.map((h) => h.toLowerCase().replace(/^\[|\]$/g, ""))),
    origins: new Set(origins),
  };
}

/** Hostname part of a Host header (`[::1]:8787` -> `::1`, `localhost:80` -> `localhost`). */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined);
  const colon = h.lastIndexOf(":");
  return colon >= 0 ? h.slice(0, colon) : h;
}

/**
 * Why the hall refuses `req` by its Host or Origin, or null when it does not:
 * - 400 `HOST_MISSING`: received over a connection (`served`) without a Host header (RFC 9112
 *   3.2); without one the URL's host is a default and the Host check would pass a request that
 *   named none. In-process callers build their URLs themselves, so theirs is used.
 * - 421 `HOST_NOT_ALLOWED`: a Host this hall does not serve.
 * - 403 `ORIGIN_NOT_ALLOWED`: an Origin neither configured nor the request's own.
 */
export function hostOriginRefusal(
  policy: HostOriginPolicy,
  req: Request,
  served: boolean,
): HttpError | null {
  const header = req.headers.get("host");
  if (header === null && served) {
    return new HttpError(400, "HOST_MISSING", "Host: the request has no Host header", {
      path: "host",
    });
  }
  const host = header ?? new URL(req.url).host;
  if (!policy.hosts.has(hostnameOf(host))) {
    return new HttpError(421, "HOST_NOT_ALLOWED", `Host '${host}' is not served here`);
  }
  const origin = req.headers.get("origin");
  if (origin !== null && !policy.origins.has(origin)) {
    let sameOrigin = false;
    try {
      sameOrigin = new URL(origin).host.toLowerCase() === host.toLowerCase();
    } catch {
      sameOrigin = false;
    }
    if (!sameOrigin) {
      return new HttpError(403, "ORIGIN_NOT_ALLOWED", `Origin '${origin}' is not allowed`);
    }
  }
  return null;
}

/** Middleware: refuse requests whose Host or Origin is not ours (`hostOriginRefusal`). */
export function hostOriginGuard(policy: HostOriginPolicy): MiddlewareHandler {
  return async (c, next) => {
    const refusal = hostOriginRefusal(policy, c.req.raw, isServed(c.env));
    if (refusal) throw refusal;
    await next();
  };
}
