/**
 * The `oauth` section of `hall.json` (and the options of the stand-alone MCP HTTP handler): which
 * authorization server(s) issue access tokens for this MCP resource, where their keys are, which
 * resource URL the tokens must be bound to (RFC 8707 audience), and how scopes and claims map to a
 * WCP namespace (tenant). Pure (zod only): `oauth.ts` does the verifying and the network.
 *
 * ```json
 * "oauth": {
 *   "issuer": "https://auth.example.com",
 *   "resource": "https://hall.example.com/mcp",
 *   "required_scopes": ["mcp"],
 *   "admin_scopes": ["wcp:admin"]
 * }
 * ```
 *
 * @module
 */

import { z } from "zod";
import { WcpError } from "../src/errors.ts";

/** Signature algorithms accepted by default: asymmetric ones only (the keys come from a JWKS). */
export const DEFAULT_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"] as const;

/** Every algorithm that may be configured (asymmetric: never `none`, never HS*). */
export const ALLOWED_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
] as const;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether a URL is https, or http on a loopback host (development). */
function secureUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "https:" || (u.protocol === "http:" && LOOPBACK_HOSTS.has(u.hostname));
  } catch {
    return false;
  }
}

const endpointUrl = z.string().max(2000).refine(
  secureUrl,
  "must be an https:// URL (http:// only on localhost, 127.0.0.1 or [::1])",
);

// RFC 6749 scope-token: printable ASCII without space, double quote or backslash.
const scopeToken = z.string().min(1).max(200).regex(
  /^[\x21\x23-\x5b\x5d-\x7e]+$/,
  "a scope is printable ASCII without spaces, quotes or backslashes",
);

const namespaceId = z.string().regex(
  /^(org|x)\.[a-z0-9][a-z0-9_-]{0,62}$/,
  "must be org.<name> or x.<name> (lowercase letters, digits, - and _)",
);

const claimName = z.string().min(1).max(100).regex(
  /^[A-Za-z0-9_:.\-/]+$/,
  "a claim name is letters, digits and _ : . - /",
);

const algorithm = z.string().superRefine((alg, ctx) => {
  if (alg.toLowerCase() === "none") {
    ctx.addIssue({ code: "custom", message: "'none' (unsigned tokens) is never accepted" });
  } else if (/^HS/i.test(alg)) {
    ctx.addIssue({
      code: "custom",
      message:
        `${alg} is refused: shared-secret algorithms cannot be checked against a public JWKS`,
    });
  } else if (!(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
    ctx.addIssue({
      code: "custom",
      message: `unknown algorithm '${alg}' (one of ${ALLOWED_ALGORITHMS.join(", ")})`,
    });
  }
});

/** One trusted authorization server. */
export const OAuthIssuerSchema = z.strictObject({
  /** The issuer identifier (the tokens' `iss`, exactly). */
  issuer: endpointUrl,
  /** Its JWKS; default: the `jwks_uri` of its RFC 8414 / OpenID discovery document. */
  jwks_uri: endpointUrl.optional(),
});

/** `oauth` in hall.json. */
export const OAuthConfigSchema = z.strictObject({
  /** The authorization server (shorthand for one entry of `issuers`). */
  issuer: endpointUrl.optional(),
  /** Its JWKS (with `issuer` only). */
  jwks_uri: endpointUrl.optional(),
  /** Several trusted authorization servers (instead of `issuer`). */
  issuers: z.array(OAuthIssuerSchema).min(1).max(10).optional(),
  /**
   * The canonical URL of the MCP endpoint (`https://hall.example.com/mcp`): the audience the
   * tokens must name and the `resource` of the metadata. Default: the URL the request was made to.
   */
  resource: endpointUrl.refine((u) => !u.includes("#"), "must not have a fragment").optional(),
  /** Accepted `aud` values instead of the resource URL (an authorization server's API id). */
  audience: z.union([z.string().min(1).max(2000), z.array(z.string().min(1).max(2000)).min(1)])
    .optional(),
  /** Accepted signature algorithms. Default RS256, PS256, ES256, EdDSA. */
  algorithms: z.array(algorithm).min(1).max(ALLOWED_ALGORITHMS.length).optional(),
  /** Clock skew allowed on `exp` and `nbf`. Default 30 s. */
  clock_skew_seconds: z.number().int().min(0).max(300).default(30),
  /** A claim holding the namespace (`org.acme`); null: none. Default `wcp_namespace`. */
  namespace_claim: claimName.nullable().default("wcp_namespace"),
  /** Scopes `<prefix><namespace>` name the namespace; null: none. Default `wcp:ns:`. */
  namespace_scope_prefix: scopeToken.nullable().default("wcp:ns:"),
  /** Explicit scope -> namespace mappings (`{"acme-agents": "org.acme"}`). */
  scopes_to_namespace: z.record(scopeToken, namespaceId).default({}),
  /** Scopes that make the caller an admin of the hall. Default none: admin only when mapped here. */
  admin_scopes: z.array(scopeToken).max(20).default([]),
  /** Scopes every token must carry (403 insufficient_scope otherwise), e.g. `["mcp"]`. */
  required_scopes: z.array(scopeToken).max(20).default([]),
  /** The claim shown as the caller's label (then preferred_username, client_id, sub). */
  label_claim: claimName.default("name"),
  /** `scopes_supported` of the metadata. Default: the required, admin and mapped scopes. */
  scopes_supported: z.array(scopeToken).max(100).optional(),
  /** `resource_name` of the metadata. */
  resource_name: z.string().min(1).max(200).default("WCP hall"),
  /** `resource_documentation` of the metadata. */
  resource_documentation: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .max(2000).optional(),
  /** How long fetched keys are used before they are fetched again. Default 600 s. */
  jwks_cache_seconds: z.number().int().min(30).max(86_400).default(600),
  /** Timeout of a JWKS or discovery fetch. Default 5000 ms. */
  fetch_timeout_ms: z.number().int().min(100).max(30_000).default(5_000),
}).superRefine((c, ctx) => {
  if ((c.issuer === undefined) === (c.issuers === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: ["issuer"],
      message: "give exactly one of issuer or issuers",
    });
  }
  if (c.jwks_uri !== undefined && c.issuer === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["jwks_uri"],
      message: "goes with issuer (each entry of issuers has its own jwks_uri)",
    });
  }
  const names = (c.issuers ?? []).map((i) => i.issuer);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) {
    ctx.addIssue({ code: "custom", path: ["issuers"], message: `issuer ${dup} is listed twice` });
  }
  for (const s of c.admin_scopes) {
    if (s in c.scopes_to_namespace) {
      ctx.addIssue({
        code: "custom",
        path: ["admin_scopes"],
        message: `scope '${s}' is also in scopes_to_namespace: give it one meaning`,
      });
    }
  }
});

/** Parsed `oauth` configuration (defaults applied). */
export type OAuthConfig = z.infer<typeof OAuthConfigSchema>;
/** `oauth` as written in a file (defaults not yet applied). */
export type OAuthConfigInput = z.input<typeof OAuthConfigSchema>;

function pathOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/**
 * Validate an `oauth` section; throws `WcpError` `CONFIG_INVALID` naming the field
 * (`oauth.algorithms[0]`).
 *
 * @example
 * ```ts
 * import { parseOAuthConfig } from "./oauth_config.ts";
 * const c = parseOAuthConfig({ issuer: "https://auth.example.com" });
 * c.clock_skew_seconds; // 30
 * ```
 */
export function parseOAuthConfig(doc: unknown, prefix = "oauth"): OAuthConfig {
  const r = OAuthConfigSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    const keys = i.code === "unrecognized_keys" ? [...i.path, i.keys[0]] : i.path;
    const message = i.code === "unrecognized_keys" ? "unknown field" : i.message;
    throw new WcpError("CONFIG_INVALID", pathOf([prefix, ...keys]), message);
  }
  return r.data;
}

/** The trusted issuers of a configuration, as a list. */
export function issuersOf(c: OAuthConfig): { issuer: string; jwks_uri?: string }[] {
  if (c.issuers) return c.issuers;
  return [{ issuer: c.issuer!, ...(c.jwks_uri ? { jwks_uri: c.jwks_uri } : {}) }];
}
