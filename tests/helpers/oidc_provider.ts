// A real OpenID provider for the OAuth tests: npm `oidc-provider` (a Koa app) on a `node:http`
// server on 127.0.0.1, with the client credentials grant and resource indicators (RFC 8707), so
// it issues JWT access tokens (RFC 9068, RS256) whose audience is the resource asked for.

import http from "node:http";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import Provider, { errors } from "oidc-provider";

/** One client of the provider (client_secret_basic, client credentials only). */
export interface TestClient {
  client_id: string;
  /** Scopes it may ask for. */
  scope: string;
  /** Extra claims put into its access tokens (e.g. `wcp_namespace`, `name`). */
  claims?: Record<string, unknown>;
}

/** The running provider. */
export interface TestIssuer {
  issuer: string;
  jwksUri: string;
  /** The provider's signing key id (its JWKS holds this key only). */
  kid: string;
  /** An access token for `client_id` bound to `resource` with `scope` (client credentials). */
  token(client_id: string, resource: string, scope: string): Promise<string>;
  /** A JWT signed with the provider's own key and kid (for claims the provider never issues). */
  sign(payload: JWTPayload, typ?: string): Promise<string>;
  close(): Promise<void>;
}

const SECRET = "test-client-secret-0123456789abcdef";

/** Start the provider; every `http://127.0.0.1:*` resource is known, with all `scopes`. */
export async function startOidcProvider(
  clients: TestClient[],
  scopes: string[],
): Promise<TestIssuer> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = "test-rs256";
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const issuer = `http://127.0.0.1:${port}`;
  const byId = new Map(clients.map((c) => [c.client_id, c]));
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: clients.map((c) => ({
      client_id: c.client_id,
      client_secret: SECRET,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      scope: c.scope,
    })),
    scopes,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!resource.startsWith("http://127.0.0.1:")) {
            throw new errors.InvalidTarget();
          }
          return {
            scope: scopes.join(" "),
            accessTokenFormat: "jwt",
            accessTokenTTL: 300,
            jwt: { sign: { alg: "RS256" } },
          };
        },
      },
    },
    ttl: { ClientCredentials: () => 300 },
    extraTokenClaims: (_ctx: unknown, token: { clientId?: string }) =>
      byId.get(token.clientId ?? "")?.claims,
  });
  server.on("request", provider.callback());
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    kid,
    token: async (client_id, resource, scope) => {
      const res = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${btoa(`${client_id}:${SECRET}`)}`,
        },
        body: new URLSearchParams({ grant_type: "client_credentials", resource, scope }),
      });
      const body = await res.json();
      if (res.status !== 200) {
        throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
      }
      return body.access_token as string;
    },
    sign: (payload, typ = "at+jwt") =>
      new SignJWT(payload).setProtectedHeader({ alg: "RS256", typ, kid }).sign(privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
