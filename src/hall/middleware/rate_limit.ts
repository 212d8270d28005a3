/**
 * Rate limits: a token bucket per key (`RateLimiter`), the per-token limit of a principal
 * (`tierLimits`: an admin's configured limit, a namespace's tier) and the failed-authentication
 * limit per client address. `rateLimitRefusal` is the check both lanes make; `rateLimitGuard` the
 * Hono middleware over it (after `requireToken`, which sets the principal).
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { HttpError } from "../errors.ts";
import type { HallStore } from "../store/types.ts";

/** Default tiers created when absent. */
export const DEFAULT_TIERS = [
  { tier: "free", max_workers: 3, requests_per_minute: 120 },
  { tier: "team", max_workers: 25, requests_per_minute: 1_200 },
  { tier: "enterprise", max_workers: 500, requests_per_minute: 12_000 },
] as const;

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

/** What a limit is looked up by (a `Principal` of auth.ts). */
export interface LimitedPrincipal {
  /** The bucket's key. */
  token_id: string;
  /** `admin` tokens get the configured limit. */
  role: string;
  /** A namespace token's namespace (its tier sets the limit). */
  namespace: string | null;
}

/** A principal's requests-per-minute limit (0 = unlimited). */
export type TierLimit = (p: LimitedPrincipal) => Promise<number>;

/**
 * The limit of each principal: `adminLimit` for admin tokens, the tier of its namespace for a
 * namespace token (cached 5 s; a namespace without a tier gets the smallest default rather than
 * no limit).
 */
export function tierLimits(
  store: Pick<HallStore, "getNamespace" | "getTier">,
  adminLimit: number,
  now: () => number,
): TierLimit {
  const cache = new Map<string, { rpm: number; at: number }>();
  return async (p) => {
    if (p.role === "admin" || !p.namespace) return adminLimit;
    const hit = cache.get(p.namespace);
    if (hit && now() - hit.at < 5_000) return hit.rpm;
    const ns = await store.getNamespace(p.namespace);
    const tier = ns ? await store.getTier(ns.tier) : null;
    const rpm = tier?.requests_per_minute ?? DEFAULT_TIERS[0].requests_per_minute;
    if (cache.size > 10_000) cache.clear();
    cache.set(p.namespace, { rpm, at: now() });
    return rpm;
  };
}

/**
 * Take one request from `p`'s budget of `perMinute` (its `TierLimit`): null when allowed, else
 * 429 `RATE_LIMITED` with `Retry-After` (nothing is taken then). Synchronous: the route fast lane
 * calls it on every request.
 */
export function rateLimitRefusal(
  limiter: RateLimiter,
  p: LimitedPrincipal,
  perMinute: number,
): HttpError | null {
  const wait = limiter.take(p.token_id, perMinute);
  if (!wait) return null;
  return new HttpError(429, "RATE_LIMITED", "request rate limit reached for this token", {
    headers: { "retry-after": String(wait) },
  });
}

/**
 * Count one failed authentication from `address`: null while within `perMinute`, else 429
 * `RATE_LIMITED` (checked before the 401 is answered, so guessing tokens is slow).
 */
export function failedAuthRefusal(
  failures: RateLimiter,
  address: string,
  perMinute: number,
): HttpError | null {
  const wait = failures.take(`ip:${address}`, perMinute);
  if (!wait) return null;
  return new HttpError(429, "RATE_LIMITED", "too many failed authentications", {
    headers: { "retry-after": String(wait) },
  });
}

/** Middleware: 429 when the authenticated principal is over its limit (`rateLimitRefusal`). */
export function rateLimitGuard(
  limiter: RateLimiter,
  limit: TierLimit,
): MiddlewareHandler<{ Variables: { principal: LimitedPrincipal } }> {
  return async (c, next) => {
    const p = c.get("principal");
    const refusal = rateLimitRefusal(limiter, p, await limit(p));
    if (refusal) throw refusal;
    await next();
  };
}
