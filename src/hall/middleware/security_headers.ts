/**
 * The security headers of every hall answer (both lanes: the Hono app through
 * `securityHeaders()`, the route fast lane through `applySecurityHeaders` on its headers).
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";

// One precomputed list: cheaper than composing several middlewares.
/** Security headers of every hall answer. */
export const SECURITY_HEADERS: [string, string][] = [
  ["x-content-type-options", "nosniff"],
  ["x-frame-options", "DENY"],
  ["referrer-policy", "no-referrer"],
  ["cross-origin-resource-policy", "same-origin"],
  ["cross-origin-opener-policy", "same-origin"],
  ["x-permitted-cross-domain-policies", "none"],
  ["x-wcp-api-version", "1"],
];

/** Set the hall's security headers (and a default CSP and `Cache-Control: no-store`). */
export function applySecurityHeaders(h: Headers): void {
  for (const [k, v] of SECURITY_HEADERS) h.set(k, v);
  if (!h.has("content-security-policy")) {
    h.set("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
  }
  if (!h.has("cache-control")) h.set("cache-control", "no-store");
}

/** Middleware: the security headers on whatever the rest of the chain answers (errors too). */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    applySecurityHeaders(c.res.headers);
  };
}
