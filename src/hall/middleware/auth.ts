/**
 * Authentication: bearer tokens (stored as SHA-256, compared in constant time, `Authenticator`),
 * OAuth 2.1 access tokens at `/mcp`, the failed-authentication limit, and the scope checks of a
 * principal (admin, namespace). `hallTokenPrincipal` is the token lookup both lanes make;
 * `requireToken` the Hono middleware (it sets `principal`; `rate_limit.ts` comes after it).
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { constantTimeEqual, sha256Hex } from "../../encoding/hash.ts";
import { HttpError } from "../errors.ts";
import type { HallStore, TokenRow } from "../store/types.ts";
// Type only: jose (behind OAuthResourceServer) is loaded by whoever builds one (_serve.ts).
import type { OAuthError, OAuthResourceServer } from "../../../mcp/oauth.ts";
import { isServed, remoteAddress } from "./_connection.ts";
import { failedAuthRefusal, type RateLimiter } from "./rate_limit.ts";

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

/**
 * The principal of a hall token in `Authorization: Bearer`, or null (no header, malformed, unknown
 * or revoked). The fast lane's whole authentication; `requireToken` adds OAuth and the 401s.
 */
export function hallTokenPrincipal(
  auth: Authenticator,
  req: Request,
): Promise<Principal | null> {
  const token = bearerOf(req.headers.get("authorization") ?? undefined);
  return token ? auth.authenticate(token) : Promise.resolve(null);
}

/** What `requireToken` needs. */
export interface RequireTokenOptions {
  /** The hall's tokens. */
  auth: Authenticator;
  /** Failed authentications per client address. */
  failures: RateLimiter;
  /** Failed authentications per minute per address before 429. */
  failedPerMinute: number;
  /** OAuth for `/mcp` (absent: hall tokens only). */
  oauth?: OAuthResourceServer;
  /** Namespaces an OAuth token may act for must exist here. */
  store: Pick<HallStore, "getNamespace">;
  /** Clock (epoch ms). */
  now: () => number;
}

type PrincipalEnv = { Variables: { principal: Principal } };

/**
 * Middleware: 401 (`UNAUTHENTICATED` without a token, `INVALID_TOKEN` for an unknown or revoked
 * one; 429 once an address fails too often) unless the request carries a hall token or, with
 * `oauth`, an OAuth access token at `/mcp`; sets `principal`.
 */
export function requireToken(o: RequireTokenOptions): MiddlewareHandler<PrincipalEnv> {
  const oauth = o.oauth;
  const principalOfOAuth = oauth ? oauthPrincipals(oauth, o.store, o.now) : null;
  return async (c, next) => {
    const token = bearerOf(c.req.header("authorization"));
    let p: Principal | null = null;
    let refused: HttpError | null = null;
    if (token && oauth?.handles(token)) {
      try {
        p = await principalOfOAuth!(c, token);
      } catch (e) {
        // A valid token without the scope (403) or keys that cannot be fetched (503) are no
        // failed authentication; the rest are.
        if (!(e instanceof HttpError) || e.status !== 401) throw e;
        refused = e;
      }
    } else if (token) {
      p = await o.auth.authenticate(token);
    }
    if (!p) {
      const limited = failedAuthRefusal(o.failures, remoteAddress(c.env), o.failedPerMinute);
      if (limited) throw limited;
      if (refused) throw refused;
      // On /mcp the challenge names the protected resource metadata (MCP authorization spec).
      const challenge = oauth && c.req.path === "/mcp"
        ? {
          headers: {
            "www-authenticate": token
              ? oauth.challenge(oauth.resourceFor(c.req.url, "/mcp"), {
                error: "invalid_token",
                message: "unknown or revoked bearer token",
              })
              : oauth.challenge(oauth.resourceFor(c.req.url, "/mcp")),
          },
        }
        : undefined;
      throw new HttpError(
        401,
        token ? "INVALID_TOKEN" : "UNAUTHENTICATED",
        token ? "unknown or revoked bearer token" : "send Authorization: Bearer <token>",
        challenge,
      );
    }
    c.set("principal", p);
    await next();
  };
}

// The principal of an OAuth access token (mcp/oauth.ts), its namespace checked against the store.
function oauthPrincipals(
  o: OAuthResourceServer,
  store: Pick<HallStore, "getNamespace">,
  now: () => number,
): (c: Context, token: string) => Promise<Principal> {
  const knownNamespaces = new Map<string, number>();
  return async (c, token) => {
    const resource = o.resourceFor(c.req.url, "/mcp");
    // The token's audience is /mcp: the hall's API takes it only from /mcp's own tools (requests
    // made in process, which carry no connection), never from the network.
    if (c.req.path !== "/mcp" && isServed(c.env)) {
      throw new HttpError(
        401,
        "INVALID_TOKEN",
        "an OAuth access token is accepted at /mcp only; the hall's API takes the hall's tokens",
      );
    }
    let id;
    try {
      id = await o.authenticate(token, resource);
    } catch (e) {
      // OAuthError, known by name: this module does not load jose (oauth.ts) itself.
      if (!(e instanceof Error) || e.name !== "OAuthError") throw e;
      const err = e as OAuthError;
      throw new HttpError(err.status, err.code, err.message, {
        headers: err.status === 503
          ? { "retry-after": "5" }
          : { "www-authenticate": o.challenge(resource, err) },
      });
    }
    if (id.namespace !== null) {
      // An issuer's claim cannot conjure a tenant: the namespace must be registered here.
      const seen = knownNamespaces.get(id.namespace);
      if (seen === undefined || now() - seen > 5_000) {
        if (!(await store.getNamespace(id.namespace))) {
          throw new HttpError(
            403,
            "NAMESPACE_UNKNOWN",
            `the token acts for namespace '${id.namespace}', which this hall does not have ` +
              "(an admin registers it: POST /wcp/namespaces)",
          );
        }
        if (knownNamespaces.size > 10_000) knownNamespaces.clear();
        knownNamespaces.set(id.namespace, now());
      }
    }
    return { token_id: id.principal_id, role: id.role, namespace: id.namespace, label: id.label };
  };
}

// cluster.ts names the limiter's type from here (it lived in this file before).
export type { RateLimiter } from "./rate_limit.ts";
