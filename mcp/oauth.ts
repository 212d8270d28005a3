/**
 * OAuth 2.1 for MCP over HTTP, resource-server side (the MCP authorization spec): the protected
 * resource metadata (RFC 9728), the `WWW-Authenticate` challenges that name it, and the check of
 * JWT access tokens against a configured issuer's JWKS (npm `jose`): signature with an allowed
 * asymmetric algorithm, issuer, audience bound to this resource (RFC 8707), `exp`/`nbf` with a
 * small clock skew, then scopes and claims mapped to a WCP namespace (tenant). The identity that
 * results (`principal_id` from `iss` + `sub`) is who the hall records on approvals, so separation
 * of duties holds for OAuth callers as for its own tokens.
 *
 * Used by the hall (`src/hall/app.ts`, `/mcp`) and by the stand-alone handler (`http.ts`). Not
 * part of the core library's graph (`mod.ts` never imports it).
 *
 * @module
 */

import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import {
  DEFAULT_ALGORITHMS,
  issuersOf,
  type OAuthConfig,
  type OAuthConfigInput,
  parseOAuthConfig,
} from "./oauth_config.ts";

/** Who an accepted access token speaks for. */
export interface OAuthIdentity {
  /** `oauth:<iss>#<sub>`: stable per issuer and subject; recorded as the approval principal. */
  principal_id: string;
  /** Display label (the configured name claim, then preferred_username, client_id, sub). */
  label: string;
  /** `admin` only through an admin scope mapping; otherwise `namespace`. */
  role: "admin" | "namespace";
  /** The namespace (tenant) the token acts for; null for an admin. */
  namespace: string | null;
  /** The token's `iss`. */
  issuer: string;
  /** The token's `sub`. */
  subject: string;
  /** The token's scopes (`scope` or `scp`). */
  scopes: string[];
  /** The token's `exp` (seconds since the epoch). */
  expires_at: number;
}

/** RFC 6750 error codes this resource server answers with. */
export type BearerError = "invalid_token" | "insufficient_scope" | "invalid_request";

/** What a challenge says about a refused token (an `OAuthError`, or the hall's own refusal). */
export interface BearerProblem {
  /** The RFC 6750 error, or null for none. */
  error: BearerError | null;
  /** Shown as `error_description`. */
  message: string;
  /** Scopes that would be enough. */
  scope?: string;
}

/** A refused access token: HTTP status, RFC 6750 error, a stable code and a message. */
export class OAuthError extends Error {
  /** 401 (bad token), 403 (scope), 503 (the issuer's keys could not be fetched). */
  readonly status: 401 | 403 | 503;
  /** The RFC 6750 error for `WWW-Authenticate` (none for 503). */
  readonly error: BearerError | null;
  /** Stable upper-snake-case code (`TOKEN_EXPIRED`, `WRONG_AUDIENCE`, ...). */
  readonly code: string;
  /** Scopes that would be enough (for `insufficient_scope`). */
  readonly scope: string | undefined;

  constructor(
    status: 401 | 403 | 503,
    error: BearerError | null,
    code: string,
    message: string,
    scope?: string,
  ) {
    super(message);
    this.name = "OAuthError";
    this.status = status;
    this.error = error;
    this.code = code;
    this.scope = scope;
  }
}

/** Options of `OAuthResourceServer`. */
export interface OAuthResourceServerOptions {
  /** Clock (epoch ms) for `exp`/`nbf`. Default `Date.now`. */
  now?: () => number;
  /** fetch for discovery and JWKS (tests). Default the global fetch. */
  fetch?: typeof fetch;
  /** Told once per issuer when its keys cannot be fetched (the operator's log). */
  onUnavailable?: (issuer: string, reason: string) => void;
}

const WELL_KNOWN = "/.well-known/oauth-protected-resource";
// Access tokens (RFC 9068: at+jwt) or generic JWTs; other kinds (logout, DPoP proofs, SETs) never.
const ACCEPTED_TYP = new Set(["at+jwt", "application/at+jwt", "jwt", "application/jwt"]);
const CACHE_MS = 30_000;
const MAX_CACHE = 10_000;
const DISCOVERY_RETRY_MS = 10_000;
const NAMESPACE = /^(org|x)\.[a-z0-9][a-z0-9_-]{0,62}$/;

// Quoted-string content of a WWW-Authenticate parameter (RFC 6750 section 3: no " or \).
function quoted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "?")}"`;
}

// A claim value as a display or id string: no control or invisible format characters.
// deno-lint-ignore no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
function clean(value: string, max: number): string {
  return value.replace(INVISIBLE, "").slice(0, max);
}

function secure(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" ||
      (u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname));
  } catch {
    return false;
  }
}

/** The discovery documents to try for an issuer (RFC 8414, then OpenID Connect Discovery). */
function discoveryUrls(issuer: string): string[] {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/$/, "");
  const urls = [`${u.origin}/.well-known/oauth-authorization-server${path}`];
  if (path) urls.push(`${u.origin}/.well-known/openid-configuration${path}`);
  urls.push(`${u.origin}${path}/.well-known/openid-configuration`);
  return urls;
}

function scopesOf(payload: JWTPayload): string[] {
  const out = new Set<string>();
  if (typeof payload.scope === "string") {
    for (const s of payload.scope.split(" ")) if (s) out.add(s);
  }
  const scp = (payload as { scp?: unknown }).scp;
  if (typeof scp === "string") { for (const s of scp.split(" ")) if (s) out.add(s); }
  if (Array.isArray(scp)) { for (const s of scp) if (typeof s === "string" && s) out.add(s); }
  return [...out];
}

function unavailable(e: unknown): boolean {
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return true;
  if (e instanceof errors.JOSEError) return false;
  // fetch failures (TypeError), a missing --allow-net (NotCapable), an aborted request.
  return true;
}

/**
 * The resource server: metadata, challenges and token checks for one MCP endpoint.
 *
 * @example
 * ```ts
 * import { OAuthResourceServer } from "./oauth.ts";
 * const rs = new OAuthResourceServer({ issuer: "https://auth.example.com" });
 * const resource = rs.resourceFor("http://127.0.0.1:8787/mcp?x=1");
 * resource; // "http://127.0.0.1:8787/mcp"
 * rs.metadataUrl(resource); // "http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"
 * ```
 */
export class OAuthResourceServer {
  /** The validated configuration. */
  readonly config: OAuthConfig;
  readonly #algorithms: string[];
  readonly #now: () => number;
  readonly #fetch: typeof fetch | undefined;
  readonly #onUnavailable: ((issuer: string, reason: string) => void) | undefined;
  readonly #issuers: Map<string, { issuer: string; jwks_uri?: string }>;
  readonly #keys = new Map<string, JWTVerifyGetKey>();
  readonly #discovery = new Map<string, { at: number; result: Promise<string> }>();
  readonly #cache = new Map<string, { identity: OAuthIdentity; until: number }>();
  readonly #told = new Set<string>();

  /** `config`: a parsed `OAuthConfig`, or the file's `oauth` object (validated here). */
  constructor(
    config: OAuthConfig | OAuthConfigInput,
    options: OAuthResourceServerOptions = {},
  ) {
    this.config = parseOAuthConfig(config);
    this.#algorithms = [...(this.config.algorithms ?? DEFAULT_ALGORITHMS)];
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch;
    this.#onUnavailable = options.onUnavailable;
    this.#issuers = new Map(issuersOf(this.config).map((i) => [i.issuer, i]));
  }

  /** The trusted issuers (the metadata's `authorization_servers`). */
  get issuers(): string[] {
    return [...this.#issuers.keys()];
  }

  /**
   * The `host[:port]`s this server fetches from that are known up front: each issuer's JWKS host,
   * or the issuer's own for discovery (a discovered JWKS may be elsewhere).
   */
  fetchHosts(): string[] {
    const hosts = [...this.#issuers.values()].map((i) => new URL(i.jwks_uri ?? i.issuer).host);
    return [...new Set(hosts)];
  }

  /** Whether a bearer value is for this server to check (a JWT), not one of the hall's tokens. */
  handles(token: string): boolean {
    return !token.startsWith("wcp_") && token.split(".").length === 3;
  }

  /**
   * The canonical resource URL for a request to the MCP endpoint: the configured `resource`, else
   * the request's own URL without query and fragment (its Host was checked by the caller).
   */
  resourceFor(requestUrl: string, path?: string): string {
    if (this.config.resource) return new URL(this.config.resource).href;
    const u = new URL(requestUrl);
    return `${u.origin}${path ?? u.pathname}`;
  }

  /** Where the metadata of `resource` is served (RFC 9728 section 3.1: path after the suffix). */
  metadataUrl(resource: string): string {
    const u = new URL(resource);
    const path = u.pathname === "/" ? "" : u.pathname.replace(/\/$/, "");
    return `${u.origin}${WELL_KNOWN}${path}`;
  }

  /** Whether `pathname` is a metadata path this server answers (`/.well-known/...[/<path>]`). */
  isMetadataPath(pathname: string, resource: string): boolean {
    return pathname === WELL_KNOWN || pathname === new URL(this.metadataUrl(resource)).pathname;
  }

  /** The scopes listed in the metadata. */
  scopesSupported(): string[] {
    if (this.config.scopes_supported) return this.config.scopes_supported;
    return [
      ...new Set([
        ...this.config.required_scopes,
        ...Object.keys(this.config.scopes_to_namespace),
        ...this.config.admin_scopes,
      ]),
    ];
  }

  /** The protected resource metadata document (RFC 9728 section 2). */
  metadata(resource: string): Record<string, unknown> {
    const scopes = this.scopesSupported();
    return {
      resource,
      authorization_servers: this.issuers,
      ...(scopes.length ? { scopes_supported: scopes } : {}),
      bearer_methods_supported: ["header"],
      resource_name: this.config.resource_name,
      ...(this.config.resource_documentation
        ? { resource_documentation: this.config.resource_documentation }
        : {}),
    };
  }

  /** The metadata as a JSON response. */
  metadataResponse(resource: string): Response {
    return new Response(JSON.stringify(this.metadata(resource)), {
      headers: { "content-type": "application/json", "cache-control": "max-age=300" },
    });
  }

  /**
   * The `WWW-Authenticate` value of a 401 or 403 (RFC 6750 section 3, RFC 9728 section 5.1):
   * `Bearer resource_metadata="..."`, with the error and the scopes needed where there is one.
   */
  challenge(resource: string, err?: BearerProblem): string {
    const parts: string[] = [];
    if (err?.error) {
      parts.push(`error=${quoted(err.error)}`, `error_description=${quoted(err.message)}`);
    }
    const scope = err?.scope ??
      (this.config.required_scopes.length ? this.config.required_scopes.join(" ") : undefined);
    if (scope) parts.push(`scope=${quoted(scope)}`);
    parts.push(`resource_metadata=${quoted(this.metadataUrl(resource))}`);
    return `Bearer ${parts.join(", ")}`;
  }

  /** The accepted `aud` values for `resource`. */
  audiences(resource: string): string[] {
    const a = this.config.audience;
    if (a !== undefined) return Array.isArray(a) ? a : [a];
    // An origin-only resource is written with or without its slash.
    return resource.endsWith("/") && new URL(resource).pathname === "/"
      ? [resource, resource.slice(0, -1)]
      : [resource];
  }

  /** Check an access token for `resource`; the identity, or an `OAuthError`. */
  async authenticate(token: string, resource: string): Promise<OAuthIdentity> {
    const now = this.#now();
    const key = `${resource} ${token}`;
    const hit = this.#cache.get(key);
    if (hit && now < hit.until) return hit.identity;
    if (hit) this.#cache.delete(key);
    const identity = await this.#verify(token, resource, now);
    const until = Math.min(
      now + CACHE_MS,
      (identity.expires_at + this.config.clock_skew_seconds) * 1000,
    );
    if (this.#cache.size >= MAX_CACHE) this.#cache.clear();
    this.#cache.set(key, { identity, until });
    return identity;
  }

  async #verify(token: string, resource: string, now: number): Promise<OAuthIdentity> {
    const invalid = (code: string, message: string) =>
      new OAuthError(401, "invalid_token", code, message);
    if (token.length > 16_384) throw invalid("INVALID_TOKEN", "the access token is too long");
    let alg: unknown;
    let typ: unknown;
    let claims: JWTPayload;
    try {
      ({ alg, typ } = decodeProtectedHeader(token));
      claims = decodeJwt(token);
    } catch {
      throw invalid("INVALID_TOKEN", "the access token is not a well-formed JWT");
    }
    if (typeof alg !== "string" || !this.#algorithms.includes(alg)) {
      throw invalid(
        "ALGORITHM_NOT_ALLOWED",
        `the token's algorithm '${String(alg)}' is not accepted (${this.#algorithms.join(", ")})`,
      );
    }
    if (typ !== undefined && (typeof typ !== "string" || !ACCEPTED_TYP.has(typ.toLowerCase()))) {
      throw invalid("INVALID_TOKEN", `a '${String(typ)}' JWT is not an access token`);
    }
    const entry = typeof claims.iss === "string" ? this.#issuers.get(claims.iss) : undefined;
    if (!entry) {
      throw invalid(
        "ISSUER_UNTRUSTED",
        `the token's issuer ${
          typeof claims.iss === "string" ? `'${clean(claims.iss, 200)}'` : "(none)"
        } is not trusted here`,
      );
    }
    const audiences = this.audiences(resource);
    let payload: JWTPayload;
    try {
      const keys = await this.#keysFor(entry);
      ({ payload } = await jwtVerify(token, keys, {
        issuer: entry.issuer,
        audience: audiences,
        algorithms: this.#algorithms,
        clockTolerance: this.config.clock_skew_seconds,
        currentDate: new Date(now),
        requiredClaims: ["iss", "sub", "aud", "exp"],
      }));
    } catch (e) {
      throw this.#explain(e, entry.issuer, audiences);
    }
    return this.#identity(payload, entry.issuer);
  }

  #explain(e: unknown, issuer: string, audiences: string[]): OAuthError {
    const invalid = (code: string, message: string) =>
      new OAuthError(401, "invalid_token", code, message);
    if (e instanceof OAuthError) return e;
    if (e instanceof errors.JWTExpired) {
      const exp = typeof e.payload.exp === "number"
        ? ` at ${new Date(e.payload.exp * 1000).toISOString()}`
        : "";
      return invalid("TOKEN_EXPIRED", `the access token expired${exp}`);
    }
    if (e instanceof errors.JWTClaimValidationFailed) {
      if (e.claim === "aud") {
        return invalid(
          "WRONG_AUDIENCE",
          `the access token is not for this resource (aud must be ${audiences.join(" or ")})`,
        );
      }
      if (e.claim === "nbf") return invalid("TOKEN_NOT_YET_VALID", "the token is not valid yet");
      if (e.reason === "missing") return invalid("INVALID_TOKEN", `the token has no ${e.claim}`);
      return invalid("INVALID_TOKEN", `the token's ${e.claim} is invalid`);
    }
    if (e instanceof errors.JWKSNoMatchingKey) {
      return invalid("UNKNOWN_KEY", "no key of the issuer's JWKS matches the token's key id");
    }
    if (e instanceof errors.JWSSignatureVerificationFailed) {
      return invalid("BAD_SIGNATURE", "the token's signature does not verify");
    }
    if (e instanceof errors.JOSEAlgNotAllowed) {
      return invalid("ALGORITHM_NOT_ALLOWED", "the token's algorithm is not accepted");
    }
    if (unavailable(e)) {
      const reason = e instanceof Error ? e.message.split("\n")[0] : String(e);
      if (!this.#told.has(issuer)) {
        this.#told.add(issuer);
        this.#onUnavailable?.(issuer, reason);
      }
      return new OAuthError(
        503,
        null,
        "OAUTH_UNAVAILABLE",
        `the keys of ${issuer} could not be fetched; try again later`,
      );
    }
    return invalid("INVALID_TOKEN", "the access token is invalid");
  }

  #identity(payload: JWTPayload, issuer: string): OAuthIdentity {
    const c = this.config;
    const sub = payload.sub!;
    if (sub.length > 255 || clean(sub, 255) !== sub) {
      throw new OAuthError(401, "invalid_token", "INVALID_TOKEN", "the token's sub is not usable");
    }
    const scopes = scopesOf(payload);
    const has = new Set(scopes);
    const missing = c.required_scopes.filter((s) => !has.has(s));
    if (missing.length) {
      throw new OAuthError(
        403,
        "insufficient_scope",
        "INSUFFICIENT_SCOPE",
        `the token lacks the scope${missing.length > 1 ? "s" : ""} ${missing.join(" ")}`,
        c.required_scopes.join(" "),
      );
    }
    const base = {
      principal_id: `oauth:${issuer}#${sub}`,
      label: this.#label(payload, sub),
      issuer,
      subject: sub,
      scopes,
      expires_at: payload.exp!,
    };
    if (c.admin_scopes.some((s) => has.has(s))) {
      return { ...base, role: "admin", namespace: null };
    }
    const found = new Set<string>();
    if (c.namespace_claim !== null) {
      const v = (payload as Record<string, unknown>)[c.namespace_claim];
      if (v !== undefined) {
        if (typeof v !== "string" || !NAMESPACE.test(v)) {
          throw new OAuthError(
            401,
            "invalid_token",
            "INVALID_TOKEN",
            `the token's ${c.namespace_claim} claim is not a namespace (org.<name> or x.<name>)`,
          );
        }
        found.add(v);
      }
    }
    for (const s of scopes) {
      const mapped = c.scopes_to_namespace[s];
      if (mapped) found.add(mapped);
      const prefix = c.namespace_scope_prefix;
      if (prefix !== null && s.startsWith(prefix)) {
        const ns = s.slice(prefix.length);
        if (!NAMESPACE.test(ns)) {
          throw new OAuthError(
            401,
            "invalid_token",
            "INVALID_TOKEN",
            `the scope ${s} does not name a namespace (${prefix}org.<name> or ${prefix}x.<name>)`,
          );
        }
        found.add(ns);
      }
    }
    const scope =
      [...c.required_scopes, ...this.scopesSupported()].filter((s, i, a) => a.indexOf(s) === i)
        .join(" ") || undefined;
    if (found.size === 0) {
      throw new OAuthError(
        403,
        "insufficient_scope",
        "NAMESPACE_MISSING",
        "the token names no namespace (a namespace claim or scope) and no admin scope",
        scope,
      );
    }
    if (found.size > 1) {
      throw new OAuthError(
        403,
        "insufficient_scope",
        "NAMESPACE_AMBIGUOUS",
        `the token names several namespaces (${[...found].sort().join(", ")}); it must name one`,
        scope,
      );
    }
    return { ...base, role: "namespace", namespace: [...found][0] };
  }

  #label(payload: JWTPayload, sub: string): string {
    const p = payload as Record<string, unknown>;
    for (const name of [this.config.label_claim, "preferred_username", "client_id"]) {
      const v = p[name];
      if (typeof v === "string" && clean(v, 200).trim()) return clean(v, 200).trim();
    }
    return clean(sub, 200);
  }

  async #keysFor(entry: { issuer: string; jwks_uri?: string }): Promise<JWTVerifyGetKey> {
    const have = this.#keys.get(entry.issuer);
    if (have) return have;
    const uri = entry.jwks_uri ?? (await this.#discover(entry.issuer));
    const keys = createRemoteJWKSet(new URL(uri), {
      timeoutDuration: this.config.fetch_timeout_ms,
      cacheMaxAge: this.config.jwks_cache_seconds * 1000,
      cooldownDuration: 30_000,
      ...(this.#fetch ? { [customFetch]: this.#fetch } : {}),
    });
    this.#keys.set(entry.issuer, keys);
    return keys;
  }

  /** The issuer's jwks_uri from its discovery document (the document's issuer must match). */
  #discover(issuer: string): Promise<string> {
    const now = Date.now();
    const known = this.#discovery.get(issuer);
    if (known && now - known.at < DISCOVERY_RETRY_MS) return known.result;
    const result = (async () => {
      const f = this.#fetch ?? fetch;
      let last = "no discovery document";
      for (const url of discoveryUrls(issuer)) {
        let res: Response;
        try {
          res = await f(url, {
            headers: { accept: "application/json" },
            redirect: "manual",
            signal: AbortSignal.timeout(this.config.fetch_timeout_ms),
          });
        } catch (e) {
          last = `${url}: ${e instanceof Error ? e.message.split("\n")[0] : e}`;
          continue;
        }
        if (res.status !== 200) {
          await res.body?.cancel();
          last = `${url}: HTTP ${res.status}`;
          continue;
        }
        const doc = await res.json().catch(() => null) as Record<string, unknown> | null;
        if (doc?.issuer !== issuer) {
          last = `${url}: the document names issuer ${JSON.stringify(doc?.issuer)}`;
          continue;
        }
        if (typeof doc.jwks_uri !== "string" || !secure(doc.jwks_uri)) {
          last = `${url}: no usable jwks_uri (https, or http on loopback)`;
          continue;
        }
        return doc.jwks_uri;
      }
      throw new Error(`discovery of ${issuer} failed: ${last}`);
    })();
    // A failure is kept for a few seconds (no fetch storm), then tried again; a success for good.
    this.#discovery.set(issuer, { at: now, result });
    result.then(
      (uri) => this.#discovery.set(issuer, { at: Infinity, result: Promise.resolve(uri) }),
      () => {},
    );
    return result;
  }
}
