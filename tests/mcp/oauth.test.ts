// OAuth 2.1 for MCP over HTTP (MCP authorization spec) against a real OpenID provider started
// here (npm oidc-provider, client credentials with a resource indicator): the hall's /mcp and the
// stand-alone Streamable HTTP handler publish protected resource metadata (RFC 9728), answer 401
// with WWW-Authenticate naming it, accept JWT access tokens bound to the resource (RFC 8707) and
// map their scopes and claims to a namespace; the hall's own tokens keep working.

import assert from "node:assert/strict";
import { generateKeyPair, SignJWT } from "jose";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { createHallApp } from "../../src/hall/app.ts";
import {
  DEMO_WORKERS,
  enrollDemoWorkers,
  ensureAdminToken,
  EXAMPLE_HALL_CONFIG,
  EXAMPLE_RULES,
} from "../../src/hall/bootstrap.ts";
import { compileGate, GateConfigSchema, parseHallFileConfig } from "../../src/hall/file_config.ts";
import { createHallMcpHandler } from "../../mcp/hall_mount.ts";
import { createMcpHttpHandler } from "../../mcp/http.ts";
import { parseMcpConfig } from "../../mcp/config.ts";
import { OAuthResourceServer } from "../../mcp/oauth.ts";
import { parseOAuthConfig } from "../../mcp/oauth_config.ts";
import { WcpError } from "../../src/errors.ts";
import { demoWith } from "./_helpers.ts";
import { Client, StreamableHTTPClientTransport } from "./_sdk_client.ts";
import { startOidcProvider, type TestIssuer } from "../helpers/oidc_provider.ts";

const ADMIN = "wcp_oauth-test-admin-token-0123456789abcdef0123456789";
const SCOPES = ["mcp", "wcp:ns:org.acme", "wcp:ns:org.ghost", "acme-agents", "wcp:admin"];

const CLIENTS = [
  { client_id: "acme-agent", scope: "mcp wcp:ns:org.acme", claims: { name: "Acme agent" } },
  { client_id: "claim-agent", scope: "mcp", claims: { wcp_namespace: "org.acme" } },
  { client_id: "mapped-agent", scope: "mcp acme-agents" },
  { client_id: "ghost-agent", scope: "mcp wcp:ns:org.ghost" },
  { client_id: "no-mcp-agent", scope: "wcp:ns:org.acme" },
  { client_id: "ops-agent", scope: "mcp wcp:admin", claims: { name: "Ops agent" } },
  { client_id: "bare-agent", scope: "mcp" },
];

const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};
const PING = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });

interface Fixture {
  idp: TestIssuer;
  base: string;
  resource: string;
  /** Moves the resource server's clock (ms). */
  shift(ms: number): void;
  stop(): Promise<void>;
}

/** The OpenID provider, and a hall serving /mcp on 127.0.0.1 with `oauth` for that issuer. */
async function startHall(mountConfig?: unknown): Promise<Fixture> {
  const idp = await startOidcProvider(CLIENTS, SCOPES);
  let offset = 0;
  const store = await openSqliteStore(":memory:");
  await ensureAdminToken(store, Date.now(), ADMIN);
  await enrollDemoWorkers(store, Date.now());
  let appFetch: (req: Request) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });
  const mcpHandler = createHallMcpHandler({
    hallFetch: (req) => appFetch(req),
    ...(mountConfig ? { config: parseMcpConfig(mountConfig) } : {}),
  });
  // No jwks_uri: the hall finds it through the provider's discovery document.
  const oauth = new OAuthResourceServer(
    parseHallFileConfig({
      oauth: {
        issuer: idp.issuer,
        required_scopes: ["mcp"],
        admin_scopes: ["wcp:admin"],
        scopes_to_namespace: { "acme-agents": "org.acme" },
      },
    }).oauth!,
    { now: () => Date.now() + offset },
  );
  const h = await createHallApp({
    store,
    rules: EXAMPLE_RULES,
    policyGate: compileGate(GateConfigSchema.parse(EXAMPLE_HALL_CONFIG.policy_gate)),
    inProcessWorkers: DEMO_WORKERS,
    mcpHandler,
    oauth,
  });
  appFetch = h.fetch;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, h.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const ns = await fetch(`${base}/wcp/namespaces`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ namespace: "org.acme", tier: "team", owner: "acme" }),
  });
  assert.equal(ns.status, 201);
  await ns.body?.cancel();
  return {
    idp,
    base,
    resource: `${base}/mcp`,
    shift: (ms) => offset = ms,
    stop: async () => {
      await server.shutdown();
      await h.close();
      await store.close();
      await idp.close();
    },
  };
}

async function mcpClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: "oauth-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

async function post(url: string, token?: string): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: { ...MCP_HEADERS, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: PING,
  });
}

/** The status, error code and WWW-Authenticate of a refused request (body consumed). */
async function refusal(res: Response): Promise<{ status: number; code: string; www: string }> {
  const body = await res.json();
  return {
    status: res.status,
    code: body?.error?.code ?? "",
    www: res.headers.get("www-authenticate") ?? "",
  };
}

/** A token signed by a key the issuer's JWKS does not have (else a valid-looking token). */
async function forged(idp: TestIssuer, resource: string, kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256");
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({ scope: "mcp wcp:ns:org.acme", client_id: "acme-agent" })
    .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid })
    .setIssuer(idp.issuer)
    .setSubject("acme-agent")
    .setAudience(resource)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(privateKey);
}

Deno.test("hall /mcp OAuth: the protected resource metadata names the resource, the issuer, scopes and bearer methods", async () => {
  const f = await startHall();
  try {
    for (
      const path of [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
      ]
    ) {
      const res = await fetch(`${f.base}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      assert.deepEqual(await res.json(), {
        resource: f.resource,
        authorization_servers: [f.idp.issuer],
        scopes_supported: ["mcp", "acme-agents", "wcp:admin"],
        bearer_methods_supported: ["header"],
        resource_name: "WCP hall",
      });
    }
    const other = await fetch(`${f.base}/.well-known/oauth-protected-resource/other`);
    assert.equal(other.status, 404);
    await other.body?.cancel();
  } finally {
    await f.stop();
  }
});

Deno.test("hall /mcp OAuth: no token is a 401 whose WWW-Authenticate names the metadata (and the scope)", async () => {
  const f = await startHall();
  try {
    const r = await refusal(await post(f.resource));
    assert.equal(r.status, 401);
    assert.equal(r.code, "UNAUTHENTICATED");
    const metadataUrl = `${f.base}/.well-known/oauth-protected-resource/mcp`;
    assert.equal(r.www, `Bearer scope="mcp", resource_metadata="${metadataUrl}"`);
    // The URL it names is the document (what an MCP client fetches next).
    const doc = await (await fetch(metadataUrl)).json();
    assert.equal(doc.resource, f.resource);

    // An unknown hall token on /mcp: invalid_token, same metadata.
    const bad = await refusal(await post(f.resource, "wcp_not-a-real-token-0123456789abcdef"));
    assert.equal(bad.status, 401);
    assert.match(bad.www, /^Bearer error="invalid_token", error_description="[^"]+"/);
    assert.match(bad.www, new RegExp(`resource_metadata="${metadataUrl}"`));
    // The hall's API keeps its own challenge.
    const api = await fetch(`${f.base}/wcp/workers`);
    assert.equal(api.status, 401);
    assert.equal(api.headers.get("www-authenticate"), 'Bearer realm="wcp-hall"');
    await api.body?.cancel();
  } finally {
    await f.stop();
  }
});

Deno.test("hall /mcp OAuth: a token from the provider for this resource is accepted; its namespace is the tenant, its principal the requester", async () => {
  const f = await startHall();
  try {
    // What an MCP client does: the resource from the metadata, then a token for it (RFC 8707).
    const doc = await (await fetch(`${f.base}/.well-known/oauth-protected-resource/mcp`)).json();
    const token = await f.idp.token("acme-agent", doc.resource, "mcp wcp:ns:org.acme");
    const client = await mcpClient(f.resource, token);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes("cap_doc_summarize"), names.join(","));
      const r = await client.callTool({
        name: "cap_doc_summarize",
        arguments: { request: { text: "One. Two. Three." } },
      });
      assert.equal(r.isError, undefined, JSON.stringify(r.content));
      const g = (r._meta as Record<string, { receipt: { tenant_id: string } }>)["wcp/governance"];
      assert.equal(g.receipt.tenant_id, "org.acme");
      // A held call records the OAuth principal (iss + sub) and its name claim as the requester.
      const held = await client.callTool({
        name: "cap_msg_notify",
        arguments: { request: { channel: "#x", message: "y" } },
      });
      const approvalId =
        (held._meta as Record<string, { approval_id: string }>)["wcp/governance"].approval_id;
      const a = await (await fetch(`${f.base}/wcp/approvals/${approvalId}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      })).json();
      assert.deepEqual(a.requested_by, {
        principal_id: `oauth:${f.idp.issuer}#acme-agent`,
        label: "Acme agent",
      });
    } finally {
      await client.close();
    }

    // The namespace from a claim (wcp_namespace) and from an explicit scope mapping.
    for (const [id, scope] of [["claim-agent", "mcp"], ["mapped-agent", "mcp acme-agents"]]) {
      const c = await mcpClient(f.resource, await f.idp.token(id, f.resource, scope));
      try {
        const r = await c.callTool({
          name: "cap_doc_summarize",
          arguments: { request: { text: "A b. C d." } },
        });
        const g = (r._meta as Record<string, { receipt: { tenant_id: string } }>)["wcp/governance"];
        assert.equal(g.receipt.tenant_id, "org.acme", id);
      } finally {
        await c.close();
      }
    }

    // The hall's own tokens keep working at /mcp.
    const admin = await mcpClient(f.resource, ADMIN);
    try {
      assert.ok((await admin.listTools()).tools.length > 0);
    } finally {
      await admin.close();
    }
  } finally {
    await f.stop();
  }
});

Deno.test("hall /mcp OAuth: wrong audience, expired, unknown key, forged signature and alg none/HS256 are refused with invalid_token", async () => {
  const f = await startHall();
  try {
    // A token the provider issued for another resource.
    const other = await f.idp.token(
      "acme-agent",
      "http://127.0.0.1:1/other",
      "mcp wcp:ns:org.acme",
    );
    const wrong = await refusal(await post(f.resource, other));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.code, "WRONG_AUDIENCE");
    assert.match(wrong.www, /error="invalid_token"/);
    assert.match(
      wrong.www,
      /resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/,
    );
    // The SDK client is refused as well.
    await assert.rejects(mcpClient(f.resource, other));

    // Expired: the clock moved past exp + the 30 s skew; within the skew it still passes.
    const fresh = await f.idp.token("acme-agent", f.resource, "mcp wcp:ns:org.acme");
    const exp = JSON.parse(atob(fresh.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp;
    f.shift((exp + 10) * 1000 - Date.now());
    const withinSkew = await post(f.resource, fresh);
    assert.equal(withinSkew.status, 200);
    await withinSkew.body?.cancel();
    const late = await f.idp.token("acme-agent", f.resource, "mcp wcp:ns:org.acme");
    const lateExp = JSON.parse(atob(late.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp;
    f.shift((lateExp + 31) * 1000 - Date.now());
    const expired = await refusal(await post(f.resource, late));
    assert.equal(expired.status, 401);
    assert.equal(expired.code, "TOKEN_EXPIRED");
    assert.match(expired.www, /error="invalid_token"/);
    f.shift(0);

    // Signed by a key the issuer's JWKS does not have (unknown kid), or by another key under
    // the provider's own kid.
    const unknown = await refusal(await post(f.resource, await forged(f.idp, f.resource, "nope")));
    assert.equal(unknown.status, 401);
    assert.equal(unknown.code, "UNKNOWN_KEY");
    const sameKid = await refusal(
      await post(f.resource, await forged(f.idp, f.resource, f.idp.kid)),
    );
    assert.equal(sameKid.status, 401);
    assert.equal(sameKid.code, "BAD_SIGNATURE");

    // alg "none" and HS256 (a shared secret, here the JWKS's public modulus) are never accepted.
    const [, payload] = fresh.split(".");
    const b64 = (o: unknown) =>
      btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const none = `${b64({ alg: "none", typ: "at+jwt" })}.${payload}.`;
    assert.equal((await refusal(await post(f.resource, none))).code, "ALGORITHM_NOT_ALLOWED");
    const jwks = await (await fetch(f.idp.jwksUri)).json();
    const hs = await new SignJWT(JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))))
      .setProtectedHeader({ alg: "HS256", kid: f.idp.kid })
      .sign(new TextEncoder().encode(jwks.keys[0].n));
    const hsRefused = await refusal(await post(f.resource, hs));
    assert.equal(hsRefused.status, 401);
    assert.equal(hsRefused.code, "ALGORITHM_NOT_ALLOWED");
  } finally {
    await f.stop();
  }
});

Deno.test("hall /mcp OAuth: with the provider's own key: nbf ahead of the skew, an untrusted issuer, a non-access-token typ, no sub, a bad namespace claim are refused", async () => {
  const f = await startHall();
  try {
    const now = Math.floor(Date.now() / 1000);
    const base = {
      iss: f.idp.issuer,
      sub: "acme-agent",
      aud: f.resource,
      iat: now,
      exp: now + 300,
      scope: "mcp wcp:ns:org.acme",
    };
    const code = async (token: string) => (await refusal(await post(f.resource, token))).code;
    // The same claims pass (so each refusal below is the one claim's doing).
    const ok = await post(f.resource, await f.idp.sign(base));
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const soon = await post(f.resource, await f.idp.sign({ ...base, nbf: now + 20 }));
    assert.equal(soon.status, 200, "nbf within the 30 s skew");
    await soon.body?.cancel();
    assert.equal(await code(await f.idp.sign({ ...base, nbf: now + 120 })), "TOKEN_NOT_YET_VALID");
    assert.equal(
      await code(await f.idp.sign({ ...base, iss: "http://127.0.0.1:1" })),
      "ISSUER_UNTRUSTED",
    );
    assert.equal(await code(await f.idp.sign(base, "logout+jwt")), "INVALID_TOKEN");
    const { sub: _sub, ...noSub } = base;
    assert.equal(await code(await f.idp.sign(noSub)), "INVALID_TOKEN");
    assert.equal(
      await code(await f.idp.sign({ ...base, scope: "mcp", wcp_namespace: "Acme Corp" })),
      "INVALID_TOKEN",
    );
    // Two namespaces (a scope and a different claim) are refused, not picked from.
    const two = await refusal(
      await post(f.resource, await f.idp.sign({ ...base, wcp_namespace: "org.other" })),
    );
    assert.equal(two.status, 403);
    assert.equal(two.code, "NAMESPACE_AMBIGUOUS");
  } finally {
    await f.stop();
  }
});

Deno.test("hall /mcp OAuth: scopes: a missing required scope is 403 insufficient_scope; no namespace, an unknown one, or a JWT on /wcp/* from the network are refused", async () => {
  const f = await startHall();
  try {
    const noMcp = await f.idp.token("no-mcp-agent", f.resource, "wcp:ns:org.acme");
    const r = await refusal(await post(f.resource, noMcp));
    assert.equal(r.status, 403);
    assert.equal(r.code, "INSUFFICIENT_SCOPE");
    assert.match(
      r.www,
      /^Bearer error="insufficient_scope", error_description="[^"]+", scope="mcp"/,
    );

    const bare = await refusal(
      await post(f.resource, await f.idp.token("bare-agent", f.resource, "mcp")),
    );
    assert.equal(bare.status, 403);
    assert.equal(bare.code, "NAMESPACE_MISSING");

    const ghost = await f.idp.token("ghost-agent", f.resource, "mcp wcp:ns:org.ghost");
    const g = await refusal(await post(f.resource, ghost));
    assert.equal(g.status, 403);
    assert.equal(g.code, "NAMESPACE_UNKNOWN");

    // The token's audience is /mcp: the hall's API does not take it from the network.
    const good = await f.idp.token("acme-agent", f.resource, "mcp wcp:ns:org.acme");
    const api = await refusal(
      await fetch(`${f.base}/wcp/workers`, {
        headers: { authorization: `Bearer ${good}` },
      }),
    );
    assert.equal(api.status, 401);
    assert.equal(api.code, "INVALID_TOKEN");
  } finally {
    await f.stop();
  }
});

Deno.test("hall /mcp OAuth: separation of duties holds for the OAuth principal (it cannot resolve its own hold; another principal can)", async () => {
  const f = await startHall({
    name: "hall /mcp with approval tools",
    // The tenant of admin callers (an admin token names none).
    tenant: { tenant_id: "org.acme" },
    envs_allowed: ["dev"],
    rules: { rules: [] },
    allow_resolve: true,
  });
  try {
    const ops = await f.idp.token("ops-agent", f.resource, "mcp wcp:admin");
    const agent = await mcpClient(f.resource, ops);
    try {
      const held = await agent.callTool({
        name: "cap_msg_notify",
        arguments: { request: { channel: "#x", message: "y" } },
      });
      const approvalId =
        (held._meta as Record<string, { approval_id: string }>)["wcp/governance"].approval_id;
      const self = await agent.callTool({
        name: "wcp_approval_resolve",
        arguments: { approval_id: approvalId, decision: "approve" },
      });
      assert.equal(self.isError, true);
      assert.match(JSON.stringify(self.content), /APPROVER_IS_REQUESTER/);
      const supervisor = await mcpClient(f.resource, ADMIN);
      try {
        const ok = await supervisor.callTool({
          name: "wcp_approval_resolve",
          arguments: { approval_id: approvalId, decision: "approve", note: "fine" },
        });
        assert.equal(ok.isError, undefined, JSON.stringify(ok.content));
      } finally {
        await supervisor.close();
      }
    } finally {
      await agent.close();
    }
  } finally {
    await f.stop();
  }
});

Deno.test("stand-alone MCP HTTP handler with OAuth: metadata, 401 challenge, the token's namespace as tenant, wrong audience refused", async () => {
  const idp = await startOidcProvider(CLIENTS, SCOPES);
  const oauth = new OAuthResourceServer({
    issuer: idp.issuer,
    jwks_uri: idp.jwksUri,
    required_scopes: ["mcp"],
  });
  const handler = createMcpHttpHandler({
    config: demoWith({ tenant: { tenant_id: "demo-tenant" } }),
    oauth,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => handler(req),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const doc = await (await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).json();
    assert.equal(doc.resource, `${base}/mcp`);
    assert.deepEqual(doc.authorization_servers, [idp.issuer]);
    const anon = await post(`${base}/mcp`);
    assert.equal(anon.status, 401);
    assert.equal(
      anon.headers.get("www-authenticate"),
      `Bearer scope="mcp", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
    );
    await anon.body?.cancel();

    const token = await idp.token("acme-agent", doc.resource, "mcp wcp:ns:org.acme");
    const client = await mcpClient(`${base}/mcp`, token);
    try {
      const r = await client.callTool({
        name: "cap_doc_summarize",
        arguments: { text: "A. B. C." },
      });
      assert.equal(r.isError, undefined, JSON.stringify(r.content));
      const g = (r._meta as Record<string, { receipt: { tenant_id: string } }>)["wcp/governance"];
      assert.equal(g.receipt.tenant_id, "org.acme");
    } finally {
      await client.close();
    }
    const other = await idp.token("acme-agent", "http://127.0.0.1:1/mcp", "mcp wcp:ns:org.acme");
    const wrong = await post(`${base}/mcp`, other);
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
    assert.match((await wrong.json()).error.message, /WRONG_AUDIENCE/);
  } finally {
    await server.shutdown();
    await idp.close();
  }
});

Deno.test("oauth config: refused with the field named (issuer scheme, none and HS* algorithms, issuer xor issuers, unknown fields)", () => {
  const refused = (doc: unknown): WcpError => {
    try {
      parseHallFileConfig({ oauth: doc });
    } catch (e) {
      assert.ok(e instanceof WcpError);
      assert.equal(e.code, "CONFIG_INVALID");
      return e;
    }
    throw new Error("accepted");
  };
  assert.match(
    refused({ issuer: "http://auth.example.com" }).message,
    /^oauth\.issuer: must be an https/,
  );
  assert.match(
    refused({ issuer: "https://a.example", algorithms: ["RS256", "none"] }).message,
    /^oauth\.algorithms\[1\]: 'none'/,
  );
  assert.match(
    refused({ issuer: "https://a.example", algorithms: ["HS256"] }).message,
    /^oauth\.algorithms\[0\]: HS256 is refused/,
  );
  assert.match(refused({}).message, /^oauth\.issuer: give exactly one of issuer or issuers/);
  assert.match(
    refused({ issuer: "https://a.example", issuers: [{ issuer: "https://b.example" }] }).message,
    /exactly one/,
  );
  assert.match(refused({ issuer: "https://a.example", isuser: "x" }).message, /^oauth/);
  assert.match(
    refused({ issuer: "https://a.example", scopes_to_namespace: { x: "acme" } }).message,
    /^oauth\.scopes_to_namespace\.x: must be org/,
  );
  assert.match(
    refused({ issuer: "https://a.example", clock_skew_seconds: 3600 }).message,
    /^oauth\.clock_skew_seconds/,
  );
  // The standalone parser names its prefix and the unknown field.
  assert.throws(
    () => parseOAuthConfig({ issuer: "https://a.example", isuser: "x" }),
    (e: unknown) => e instanceof WcpError && e.path === "oauth.isuser",
  );
  const ok = parseOAuthConfig({ issuer: "https://a.example" });
  assert.equal(ok.clock_skew_seconds, 30);
  assert.deepEqual(ok.admin_scopes, [], "admin only through an explicit mapping");
});

Deno.test("jose stays out of the core library's graph (mod.ts)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../../mod.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(out.code, 0);
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  const specifiers = graph.modules.map((m) => m.specifier);
  assert.ok(specifiers.some((s) => s.endsWith("/mod.ts")), "deno info listed the graph");
  assert.deepEqual(specifiers.filter((s) => /jose|oidc-provider|mcp\/oauth/.test(s)), []);
});

// The hall as an operator starts it: `deno task serve`'s own flags, ./data pointed elsewhere.
const ROOT = new URL("../../", import.meta.url).pathname;

async function serveTaskFlags(dataDir: string): Promise<string[]> {
  const task: string = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks.serve;
  return task.split(/\s+/).slice(2).filter((w) => w.startsWith("--")).map((w) =>
    /^--allow-(read|write)=/.test(w) ? w.replace("./data", dataDir) : w
  );
}

/** Run the hall to its exit (killed after a minute should it serve instead: a failure, no hang). */
async function serveOutput(dir: string, flags: string[]): Promise<Deno.CommandOutput> {
  const child = startServe(dir, flags).spawn();
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    return await child.output();
  } finally {
    clearTimeout(guard);
  }
}

function startServe(dir: string, flags: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, `${ROOT}src/hall/main.ts`],
    cwd: ROOT,
    env: { NO_COLOR: "1", WCP_DATA_DIR: dir, WCP_HALL_PORT: "0", WCP_ADMIN_TOKEN: ADMIN },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("deno task serve with oauth: an issuer the task may not reach stops the start with one line naming the host to grant", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp_oauth_serve_" });
  try {
    await Deno.writeTextFile(
      `${dir}/hall.json`,
      JSON.stringify({ oauth: { issuer: "https://auth.example.com" } }),
      { mode: 0o600 },
    );
    const out = await serveOutput(dir, await serveTaskFlags(dir));
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, err);
    assert.match(err, /--allow-net=127\.0\.0\.1,localhost,auth\.example\.com/);
    assert.doesNotMatch(err, /\n\s+at /, "no stack trace");

    await Deno.writeTextFile(
      `${dir}/hall.json`,
      JSON.stringify({ oauth: { issuer: "https://auth.example.com", algorithms: ["HS256"] } }),
      { mode: 0o600 },
    );
    const bad = await serveOutput(dir, await serveTaskFlags(dir));
    assert.equal(bad.code, 2);
    assert.match(new TextDecoder().decode(bad.stderr), /oauth\.algorithms\[0\]: HS256 is refused/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task serve with oauth: the hall process serves the metadata and takes the provider's token at /mcp", async () => {
  const idp = await startOidcProvider(CLIENTS, SCOPES);
  const dir = await Deno.makeTempDir({ prefix: "wcp_oauth_serve_" });
  await Deno.writeTextFile(
    `${dir}/hall.json`,
    JSON.stringify({ oauth: { issuer: idp.issuer, required_scopes: ["mcp"] } }),
    { mode: 0o600 },
  );
  const child = startServe(dir, await serveTaskFlags(dir)).spawn();
  const errText: string[] = [];
  const errDone = child.stderr.pipeTo(
    new WritableStream({ write: (c) => void errText.push(new TextDecoder().decode(c)) }),
  );
  const reader = child.stdout.getReader();
  try {
    let out = "";
    while (!/listening on (http:\/\/\S+)/.test(out)) {
      const { value, done } = await reader.read();
      assert.ok(!done, `hall exited: ${out} ${errText.join("")}`);
      out += new TextDecoder().decode(value);
    }
    const base = /listening on (http:\/\/\S+)/.exec(out)![1];
    const doc = await (await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).json();
    assert.equal(doc.resource, `${base}/mcp`);
    assert.deepEqual(doc.authorization_servers, [idp.issuer]);
    const ns = await fetch(`${base}/wcp/namespaces`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ namespace: "org.acme", tier: "team", owner: "acme" }),
    });
    assert.equal(ns.status, 201);
    await ns.body?.cancel();
    const token = await idp.token("acme-agent", doc.resource, "mcp wcp:ns:org.acme");
    const client = await mcpClient(`${base}/mcp`, token);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes("wcp_route"), names.join(","));
    } finally {
      await client.close();
    }
    const anon = await post(`${base}/mcp`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get("www-authenticate") ?? "", /resource_metadata="/);
    await anon.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reader.cancel().catch(() => {});
    await errDone.catch(() => {});
    await Deno.remove(dir, { recursive: true });
    await idp.close();
  }
});
