/**
 * Request guards: Host/Origin checks (DNS rebinding), CORS for configured origins only, bearer
 * tokens (stored as SHA-256, compared in constant time), per-token rate limits.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { constantTimeEqual, sha256Hex } from "../../encoding/hash.ts";
import { HttpError } from "../errors.ts";
import type { HallStore, TokenRow } from "../store/types.ts";

/** Who is calling. */
export interface Principal {
  /** Token id (safe to log and to put in `resolved_by`). */
  token_id: string;
  /** `admin` or `namespace`. */
  role: TokenRow["role"];
  /** The namespace of a namespace token, else null. */
  namespace: string | null;
  /** The token's operator label (recorded with its id in `requested_by` / `resolved_by`). */
  label: string;
}

/** Variables the guards put on the Hono context. */
export interface HallVariables {
  principal: Principal;
}

const TOKEN_PREFIX = "wcp_";

/** A new random bearer token (`wcp_` + 43 base64url characters, 256 bits). */
export function newToken(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  const b64 = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
  return TOKEN_PREFIX + b64;
}

/** SHA-256 hex of a plain token: the only form stored. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}

/** Hostname part of a Host header (`[::1]:8787` -> `::1`, `localhost:80` -> `localhost`). */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined);
  const colon = h.lastIndexOf(":");
  return colon >= 0 ? h.slice(0, colon) : h;
}

// The headers of every answer (one precomputed list: cheaper than composing several middlewares).
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

/** Refuse requests whose Host or Origin is not ours (DNS-rebinding and cross-site protection). */
export function hostOriginGuard(
  allowedHostnames: ReadonlySet<string>,
  allowedOrigins: ReadonlySet<string>,
): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!allowedHostnames.has(hostnameOf(host))) {
      throw new HttpError(421, "HOST_NOT_ALLOWED", `Host '${host}' is not served here`);
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      let sameOrigin = false;
      try {
        sameOrigin = new URL(origin).host.toLowerCase() === host.toLowerCase();
      } catch {
        sameOrigin = false;
      }
      if (!sameOrigin) {
        throw new HttpError(403, "ORIGIN_NOT_ALLOWED", `Origin '${origin}' is not allowed`);
      }
    }
    await next();
  };
}

/** CORS for the configured origins only; the Authorization header is allowed for them alone. */
export function corsGuard(allowedOrigins: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    const allowed = origin !== undefined && allowedOrigins.has(origin);
    if (c.req.method === "OPTIONS") {
      if (!allowed) throw new HttpError(403, "ORIGIN_NOT_ALLOWED", "CORS origin not allowed");
      return new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-origin": origin!,
          "access-control-allow-methods": "GET, POST, PUT, DELETE",
          "access-control-allow-headers": "Authorization, Content-Type, Last-Event-ID",
          "access-control-max-age": "600",
          vary: "Origin",
        },
      });
    }
    await next();
    if (allowed) {
      c.res.headers.set("access-control-allow-origin", origin!);
      c.res.headers.append("vary", "Origin");
    }
  };
}

/**
 * Token bucket per key; `limitPerMinute` 0 means unlimited. The threads of one hall share their
 * budgets: each thread reports what it granted (`drainSpent`) and takes off what the others granted
 * (`absorb`), so N threads together stay within one limit (give or take one report interval).
 */
export class RateLimiter {
  #buckets = new Map<string, { tokens: number; at: number; limit: number }>();
  // Granted by other threads for keys this thread has no bucket for yet.
  #debt = new Map<string, { n: number; at: number }>();
  #spent: Map<string, number> | null = null;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Take one token; returns 0 when allowed, else the seconds to wait (Retry-After). */
  take(key: string, limitPerMinute: number): number {
    if (!(limitPerMinute > 0)) return 0;
    const now = this.#now();
    const rate = limitPerMinute / 60_000; // tokens per ms
    let b = this.#buckets.get(key);
    if (!b) {
      const debt = this.#debt.get(key);
      this.#debt.delete(key);
      b = debt
        ? { tokens: limitPerMinute - debt.n, at: debt.at, limit: limitPerMinute }
        : { tokens: limitPerMinute, at: now, limit: limitPerMinute };
    }
    b.tokens = Math.min(limitPerMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    b.limit = limitPerMinute;
    if (this.#buckets.size > 100_000) this.#buckets.clear(); // bound memory under abuse
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      if (this.#spent) this.#spent.set(key, (this.#spent.get(key) ?? 0) + 1);
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
  }

  /** Start recording granted tokens for `drainSpent` (a hall with several threads). */
  shareSpending(): void {
    this.#spent ??= new Map();
  }

  /** Tokens granted here since the last call, per key (null when there were none). */
  drainSpent(): [string, number][] | null {
    if (!this.#spent || this.#spent.size === 0) return null;
    const out = [...this.#spent];
    this.#spent.clear();
    return out;
  }

  /** Take off tokens that other threads granted (never below a minute's worth of debt). */
  absorb(spent: [string, number][]): void {
    const now = this.#now();
    for (const [key, n] of spent) {
      if (typeof key !== "string" || !(n > 0)) continue;
      const b = this.#buckets.get(key);
      if (b) {
        b.tokens = Math.max(
          -b.limit,
          Math.min(b.limit, b.tokens + (now - b.at) * (b.limit / 60_000)) - n,
        );
        b.at = now;
      } else {
        if (this.#debt.size > 100_000) this.#debt.clear();
        const d = this.#debt.get(key);
        this.#debt.set(key, { n: (d?.n ?? 0) + n, at: now });
      }
    }
  }
}

/** Looks tokens up by hash, with a short cache so several instances see revocations quickly. */
export class Authenticator {
  readonly #store: HallStore;
  readonly #cacheMs: number;
  #cache = new Map<string, { row: TokenRow; at: number }>();
  // Verified tokens seen in the last cacheMs, so SHA-256 runs once per token and TTL rather than
  // once per request. Only tokens the store knew are kept (unknown ones are hashed every time).
  #verified = new Map<string, { token: string; row: TokenRow; at: number }>();

  /** Called after `invalidate()` (a hall with several threads tells the others). */
  onInvalidate: (() => void) | undefined;

  constructor(store: HallStore, cacheMs = 5_000) {
    this.#store = store;
    this.#cacheMs = cacheMs;
  }

  /** The principal for a plain bearer token, or null. */
  async authenticate(token: string): Promise<Principal | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
    const now = Date.now();
    const seen = this.#verified.get(token);
    // Compared again in constant time: no decision depends on a variable-time comparison.
    if (seen && now - seen.at <= this.#cacheMs && sameSecret(seen.token, token)) {
      return principalOf(seen.row);
    }
    const hash = hashToken(token);
    let row = this.#cache.get(hash);
    if (!row || now - row.at > this.#cacheMs) {
      const found = await this.#store.findToken(hash);
      if (!found) {
        this.#cache.delete(hash);
        this.#verified.delete(token);
        return null;
      }
      row = { row: found, at: now };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(hash, row);
    }
    // The lookup was by hash; compare again in constant time so no code path depends on a
    // variable-time string comparison of secrets.
    if (!constantTimeEqual(row.row.token_hash, hash) || row.row.revoked_at !== null) {
      this.#verified.delete(token);
      return null;
    }
    if (this.#verified.size > 10_000) this.#verified.clear();
    this.#verified.set(token, { token, row: row.row, at: row.at });
    return principalOf(row.row);
  }

  /** Forget cached entries (after a local revocation). */
  invalidate(): void {
    this.forget();
    this.onInvalidate?.();
  }

  /** Forget cached entries without telling anyone (another thread revoked a token). */
  forget(): void {
    this.#cache.clear();
    this.#verified.clear();
  }
}

function principalOf(row: TokenRow): Principal {
  return { token_id: row.token_id, role: row.role, namespace: row.namespace, label: row.label };
}

// Constant-time equality of two strings (time depends on the longer length only).
function sameSecret(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/** Read `Authorization: Bearer <token>`; null when absent or malformed. */
export function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m ? m[1] : null;
}

/** 403 unless the principal is an admin. */
export function requireAdmin(p: Principal): void {
  if (p.role !== "admin") {
    throw new HttpError(403, "FORBIDDEN", "this operation needs an admin token");
  }
}

/** The namespace (`org.acme`, `x.bob`) of a worker id, or null when it has none. */
export function namespaceOf(workerId: string): string | null {
  const m = /^(org|x)\.([a-z0-9][a-z0-9_-]*)\./.exec(workerId);
  return m ? `${m[1]}.${m[2]}` : null;
}

/** 403 unless the principal may act on workers of `namespace`. */
export function requireNamespace(p: Principal, namespace: string): void {
  if (p.role === "admin") return;
  if (p.namespace !== namespace) {
    throw new HttpError(
      403,
      "NAMESPACE_FORBIDDEN",
      `this token acts for '${p.namespace}' and cannot act on '${namespace}'`,
      { path: "worker_id" },
    );
  }
}
