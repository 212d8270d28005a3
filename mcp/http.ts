/**
 * The WCP MCP server over Streamable HTTP, as a plain web handler `(req) => Promise<Response>`.
 * The hall mounts it at `/mcp` behind bearer auth; the handler checks Host and Origin itself
 * (DNS-rebinding protection), so it is safe even when mounted on its own.
 *
 * Stateless: each POST carries one JSON-RPC message (or batch) and gets a JSON answer; governance
 * state (rules, registry, approvals, receipts) is shared by all requests of one handler. A body
 * that is JSON but not a JSON-RPC message (an empty batch `[]`, `1`, `null`, `{}`) is one -32600
 * Invalid Request error, as JSON-RPC 2.0 says (`readJsonRpcBody`).
 *
 * @module
 */

import {
  type AuthInfo,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  WebStandardStreamableHTTPServerTransport,
} from "./_sdk_server.ts";
import { createWcpMcpServer, type WcpMcpServerOptions } from "./server.ts";
import { Governor } from "./governor.ts";
import { invalidParamsResponse } from "./_guard.ts";
import type { TenantRisk } from "../src/model.ts";
import { uuidV4 } from "../src/ids.ts";
import {
  decodeUtf8Exact,
  duplicateKeyPath,
  firstInvalidUtf8,
  repeatedKeyMessage,
} from "../src/encoding/strict_json.ts";
// Type only: whoever passes an OAuthResourceServer has loaded jose (oauth.ts).
import type { OAuthError, OAuthResourceServer } from "./oauth.ts";

/** The authenticated caller of one HTTP request. */
export interface HttpTenant {
  /** Tenant id from the bearer token. */
  tenant_id: string;
  /** Tenant risk, when the token carries one. */
  tenant_risk?: TenantRisk;
}

/** What the mounting server already knows about a request (the hall: its bearer principal). */
export interface McpRequestContext {
  /** The authenticated tenant; null means "use the configured tenant". */
  tenant?: HttpTenant | null;
  /**
   * The principal the mounting hall authenticated (its token id, role, namespace and label): the
   * hall's `/mcp` calls the engine as this principal.
   */
  principal?: {
    token_id: string;
    role: "admin" | "namespace";
    namespace: string | null;
    label: string;
  };
}

/** The handler: a web-standard request in, a response out. */
export type McpHttpHandler = (req: Request, context?: McpRequestContext) => Promise<Response>;

/** Options of `createMcpHttpHandler`. */
export interface McpHttpOptions extends WcpMcpServerOptions {
  /**
   * Accepted `Host` header values. Entries with a port match exactly; entries without one match
   * that host name on any port. Default: `localhost`, `127.0.0.1`, `[::1]` on any port.
   */
  allowedHosts?: string[];
  /** Accepted `Origin` values besides the request's own loopback origin. Default none. */
  allowedOrigins?: string[];
  /** The authenticated tenant of a request (from the bearer token), or null for the config's. */
  resolveTenant?: (req: Request) => HttpTenant | null | Promise<HttpTenant | null>;
  /**
   * OAuth 2.1 (MCP authorization spec): every request needs a JWT access token this resource
   * server accepts (then `resolveTenant` is not asked); its namespace is the tenant (an admin
   * token: the config's). The protected resource metadata is answered at
   * `/.well-known/oauth-protected-resource[<path>]`, and 401s name it in `WWW-Authenticate`.
   */
  oauth?: OAuthResourceServer;
  /** The endpoint's path, for the resource URL when `oauth` has no `resource`. Default `/mcp`. */
  path?: string;
}

/** Loopback host names accepted by default. */
export const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

function hostAllowed(host: string | null, allowed: string[]): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  const name = h.startsWith("[") ? h.slice(0, h.indexOf("]") + 1) : h.split(":")[0];
  return allowed.some((a) => {
    let e = a.toLowerCase();
    // A bare IPv6 address ("::1") is a host name without port.
    if (!e.startsWith("[") && (e.match(/:/g) ?? []).length > 1) e = `[${e}]`;
    const hasPort = e.startsWith("[") ? e.includes("]:") : e.includes(":");
    return hasPort ? e === h : e === name;
  });
}

function originAllowed(
  origin: string | null,
  host: string | null,
  allowedOrigins: string[],
): boolean {
  if (origin === null) return true; // not a browser request
  if (allowedOrigins.includes(origin)) return true;
  try {
    const u = new URL(origin);
    return host !== null && u.host.toLowerCase() === host.toLowerCase() &&
      LOOPBACK.includes(
        u.hostname.toLowerCase().startsWith("[") ? u.hostname : u.hostname.toLowerCase(),
      );
  } catch {
    return false;
  }
}

function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * Host/Origin (DNS-rebinding) and method checks shared by the handlers: a 403 or 405 answer, or
 * null when the request may proceed.
 *
 * @example
 * ```ts
 * import { guardRequest, LOOPBACK } from "./http.ts";
 * const req = new Request("http://evil.example.com/mcp", { method: "POST" });
 * guardRequest(req, LOOPBACK, [])?.status; // 403
 * ```
 */
export function guardRequest(
  req: Request,
  allowedHosts: string[],
  allowedOrigins: string[],
): Response | null {
  const refused = guardHostOrigin(req, allowedHosts, allowedOrigins);
  if (refused) return refused;
  if (req.method !== "POST") {
    return jsonRpcError(
      405,
      -32000,
      "Method not allowed: this endpoint is stateless; POST JSON-RPC messages",
      {
        allow: "POST",
      },
    );
  }
  return null;
}

/** The Host/Origin (DNS-rebinding) part of `guardRequest`: a 403, or null. */
export function guardHostOrigin(
  req: Request,
  allowedHosts: string[],
  allowedOrigins: string[],
): Response | null {
  const host = req.headers.get("host") ?? new URL(req.url).host;
  if (!hostAllowed(host, allowedHosts)) {
    return jsonRpcError(403, -32000, `Forbidden: Host header "${host}" is not allowed`);
  }
  const origin = req.headers.get("origin");
  if (!originAllowed(origin, host, allowedOrigins)) {
    return jsonRpcError(403, -32000, `Forbidden: Origin "${origin}" is not allowed`);
  }
  return null;
}

/**
 * The tenant and principal of a request by its OAuth access token, or the 401/403/503 answer
 * (with `WWW-Authenticate` naming the protected resource metadata).
 */
async function oauthCaller(
  req: Request,
  oauth: OAuthResourceServer,
  resource: string,
): Promise<Response | { tenant: HttpTenant | null; principal_id: string }> {
  const m = /^Bearer\s+(\S+)$/i.exec((req.headers.get("authorization") ?? "").trim());
  const refuse = (status: number, message: string, challenge: string | null) =>
    jsonRpcError(status, -32000, message, challenge ? { "www-authenticate": challenge } : {});
  if (!m) {
    return refuse(401, "Unauthorized: send an OAuth access token", oauth.challenge(resource));
  }
  if (!oauth.handles(m[1])) {
    const problem = { error: "invalid_token" as const, message: "the token is not a JWT" };
    return refuse(401, `Unauthorized: ${problem.message}`, oauth.challenge(resource, problem));
  }
  try {
    const id = await oauth.authenticate(m[1], resource);
    return {
      tenant: id.namespace ? { tenant_id: id.namespace } : null,
      principal_id: id.principal_id,
    };
  } catch (e) {
    // OAuthError, known by name: this module does not load jose itself.
    if (!(e instanceof Error) || e.name !== "OAuthError") throw e;
    const err = e as OAuthError;
    const what = err.status === 403
      ? "Forbidden"
      : err.status === 401
      ? "Unauthorized"
      : "Unavailable";
    return refuse(
      err.status,
      `${what}: ${err.message} [${err.code}]`,
      err.status === 503 ? null : oauth.challenge(resource, err),
    );
  }
}

/**
 * The SDK's auth info for a tenant (read back by the tools as the session identity).
 *
 * @example
 * ```ts
 * import { authInfoFor } from "./http.ts";
 * authInfoFor({ tenant_id: "acme" })?.extra?.tenant_id; // "acme"
 * ```
 */
export function authInfoFor(tenant: HttpTenant | null | undefined): AuthInfo | undefined {
  if (!tenant) return undefined;
  return {
    token: "",
    clientId: tenant.tenant_id,
    scopes: [],
    extra: {
      tenant_id: tenant.tenant_id,
      ...(tenant.tenant_risk ? { tenant_risk: tenant.tenant_risk } : {}),
    },
  };
}

/** Longest accepted POST body (bytes), as the SDK transport's default. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Most messages in one batch; the SDK refuses longer batches (-32600) itself. */
const MAX_BATCH = 100;

type Id = string | number | null;

/** A checked POST body: what to hand the SDK, and the answers for invalid batch entries. */
export interface JsonRpcBody {
  /** The parsed body, or the valid entries of a batch that also had invalid ones. */
  messages: unknown;
  /** -32600 answers for the invalid entries of a batch (empty otherwise). */
  errors: JSONRPCMessage[];
}

function errorMessage(id: Id, code: number, message: string): JSONRPCMessage {
  return { jsonrpc: "2.0", id, error: { code, message } } as JSONRPCMessage;
}

function idOf(v: unknown): Id {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const id = (v as Record<string, unknown>).id;
    if (typeof id === "string" || (typeof id === "number" && Number.isFinite(id))) return id;
  }
  return null;
}

/** Why a parsed value is not one JSON-RPC 2.0 message (request, notification, response), or null. */
function invalidMessage(value: unknown): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    return `expected a JSON-RPC message object, got ${kind}`;
  }
  if (JSONRPCMessageSchema.safeParse(value).success) return null;
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== "2.0") return 'field "jsonrpc" must be "2.0"';
  if ("method" in m && typeof m.method !== "string") return 'field "method" must be a string';
  if ("id" in m && idOf(m) === null) return 'field "id" must be a string or a number';
  if ("params" in m && (m.params === null || typeof m.params !== "object")) {
    return 'field "params" must be an object or an array';
  }
  return "not a JSON-RPC 2.0 request, notification or response";
}

// The body's bytes, or null as soon as they exceed `max` (the stream is then cancelled).
async function readBounded(req: Request, max: number): Promise<Uint8Array | null> {
  if (Number(req.headers.get("content-length")) > max) return null;
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        void reader.cancel().catch(() => {});
        return null;
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) (all.set(c, at), (at += c.byteLength));
  return all;
}

/** Whether the SDK takes the request's headers (else it answers 406 or 415 itself, unread). */
function sdkAcceptsHeaders(req: Request): boolean {
  const accept = req.headers.get("accept") ?? "";
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  return accept.includes("application/json") && accept.includes("text/event-stream") &&
    type === "application/json";
}

/**
 * Read and check a POST body before the SDK sees it. The SDK answers an empty batch `[]` with
 * 202 and no body, and a body that is JSON but no JSON-RPC message (`1`, `"x"`, `null`, `{}`)
 * with -32700 (parse error); JSON-RPC 2.0 says both are one -32600 Invalid Request error, with
 * id null unless the message has a usable id. Returns that error (or 413, or -32700 for invalid
 * JSON) as a response, else the body to pass on. A batch with some invalid entries passes its
 * valid entries on and keeps a -32600 answer for each invalid one (answered on their own, with
 * 400, when none is valid). Null, body unread, when the SDK will refuse the request on its
 * Accept or Content-Type header anyway, so those answers (406, 415) stay as they were.
 *
 * @example
 * ```ts
 * import { readJsonRpcBody } from "./http.ts";
 * const req = new Request("http://127.0.0.1/mcp", {
 *   method: "POST",
 *   headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
 *   body: "[]",
 * });
 * const r = await readJsonRpcBody(req);
 * r instanceof Response && r.status; // 400
 * ```
 */
export async function readJsonRpcBody(req: Request): Promise<Response | JsonRpcBody | null> {
  if (!sdkAcceptsHeaders(req)) return null;
  let bytes: Uint8Array | null;
  try {
    bytes = await readBounded(req, MAX_BODY_BYTES);
  } catch {
    return jsonRpcError(400, -32700, "Parse error: the request body could not be read");
  }
  if (bytes === null) {
    return jsonRpcError(413, -32000, `Payload Too Large: the body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  // As strict as the hall's API (src/encoding/strict_json.ts): no U+FFFD standing in for bytes
  // that are not UTF-8, no key whose second value silently replaces the first.
  const text = decodeUtf8Exact(bytes);
  if (text === null) {
    return jsonRpcError(
      400,
      -32700,
      `Parse error: the body is not valid UTF-8 (at byte ${firstInvalidUtf8(bytes)})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return jsonRpcError(400, -32700, "Parse error: Invalid JSON");
  }
  const repeated = duplicateKeyPath(text, value);
  if (repeated !== null) {
    return jsonRpcError(400, -32700, `Parse error: ${repeatedKeyMessage(repeated)}`);
  }
  if (!Array.isArray(value)) {
    const reason = invalidMessage(value);
    if (reason) {
      return new Response(
        JSON.stringify(errorMessage(idOf(value), -32600, `Invalid Request: ${reason}`)),
        {
          status: 400,
          headers: { "content-type": "application/json" },
        },
      );
    }
    return { messages: value, errors: [] };
  }
  if (value.length === 0) return jsonRpcError(400, -32600, "Invalid Request: empty batch");
  if (value.length > MAX_BATCH) return { messages: value, errors: [] };
  const valid: unknown[] = [];
  const errors: JSONRPCMessage[] = [];
  for (const entry of value) {
    const reason = invalidMessage(entry);
    if (reason) errors.push(errorMessage(idOf(entry), -32600, `Invalid Request: ${reason}`));
    else valid.push(entry);
  }
  if (valid.length === 0) {
    return new Response(JSON.stringify(errors), {
      status: 400,
      headers: { "content-type": "application/json" },
    });
  }
  return { messages: valid, errors };
}

/** The SDK's answer with the batch's -32600 answers added (an array, as for any batch). */
async function withBatchErrors(res: Response, errors: JSONRPCMessage[]): Promise<Response> {
  if (errors.length === 0) return res;
  let answers: unknown[] = [];
  if (res.status === 200 && /json/i.test(res.headers.get("content-type") ?? "")) {
    const body = await res.json();
    answers = Array.isArray(body) ? body : [body];
  } else if (res.status === 202) {
    await res.body?.cancel();
  } else {
    return res; // refused as a whole (Accept, Content-Type, batch size): that answer stands
  }
  const headers = new Headers(res.headers);
  headers.set("content-type", "application/json");
  headers.delete("content-length");
  return new Response(JSON.stringify([...answers, ...errors]), { status: 200, headers });
}

/**
 * Answer one POST with a fresh stateless server over shared governance state. `body` is what
 * `readJsonRpcBody` gave for this request (null: left to the SDK); when omitted it is read here.
 *
 * @example
 * ```ts ignore
 * import { serveWithServer } from "./http.ts";
 * const res = await serveWithServer(req, createWcpMcpServer({ governor }), undefined);
 * ```
 */
export async function serveWithServer(
  req: Request,
  server: ReturnType<typeof createWcpMcpServer>,
  authInfo: AuthInfo | undefined,
  body?: JsonRpcBody | null,
): Promise<Response> {
  if (req.method === "POST" && body === undefined) {
    const read = await readJsonRpcBody(req);
    if (read instanceof Response) {
      void server.close().catch(() => {});
      return read;
    }
    body = read;
  }
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  try {
    await server.connect(transport);
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      const invalid = invalidParamsResponse(message);
      if (!invalid) return deliver?.(message, extra);
      const id = (message as { id: string | number }).id;
      void transport.send(invalid, { relatedRequestId: id });
    };
    if (!body) return await transport.handleRequest(req, authInfo ? { authInfo } : undefined);
    const res = await transport.handleRequest(req, {
      parsedBody: body.messages,
      ...(authInfo ? { authInfo } : {}),
    });
    return await withBatchErrors(res, body.errors);
  } finally {
    // The JSON answer is complete once handleRequest resolves; release the per-request server.
    queueMicrotask(() => void server.close().catch(() => {}));
  }
}

/**
 * Build the `/mcp` handler.
 *
 * @example
 * ```ts
 * import { createMcpHttpHandler } from "./http.ts";
 * import { demoConfig } from "./demo_config.ts";
 * const handler = createMcpHttpHandler({ config: demoConfig() });
 * const res = await handler(new Request("http://127.0.0.1:8080/mcp", { method: "GET" }));
 * res.status; // 405
 * ```
 */
export function createMcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  const governor = options.governor ??
    new Governor(
      options.config ?? (() => {
        throw new TypeError("createMcpHttpHandler needs a config or a governor");
      })(),
      { workers: options.workers },
    );
  const allowedHosts = options.allowedHosts ?? LOOPBACK;
  const allowedOrigins = options.allowedOrigins ?? [];
  // Build one server up front so a bad configuration fails at startup, not on the first request.
  createWcpMcpServer({ governor, approvals: options.approvals });
  // Stateless: a server per request, so the session (the requester of its holds) is this handler
  // and the authenticated tenant, never a fresh id per request.
  const handlerId = uuidV4();

  const oauth = options.oauth;
  return async (req: Request, context?: McpRequestContext): Promise<Response> => {
    const resource = oauth?.resourceFor(req.url, options.path ?? "/mcp");
    if (oauth && resource && req.method === "GET") {
      const path = new URL(req.url).pathname;
      if (oauth.isMetadataPath(path, resource)) {
        return guardHostOrigin(req, allowedHosts, allowedOrigins) ??
          oauth.metadataResponse(resource);
      }
    }
    const refused = guardRequest(req, allowedHosts, allowedOrigins);
    if (refused) return refused;
    // Authorization before the body is read (an unauthenticated caller gets the challenge only).
    let caller: { tenant: HttpTenant | null; principal_id: string } | null = null;
    if (oauth && resource && context?.tenant === undefined) {
      const r = await oauthCaller(req, oauth, resource);
      if (r instanceof Response) {
        await req.body?.cancel().catch(() => {});
        return r;
      }
      caller = r;
    }
    const body = await readJsonRpcBody(req);
    if (body instanceof Response) return body;
    const tenant = context?.tenant !== undefined
      ? context.tenant
      : caller
      ? caller.tenant
      : options.resolveTenant
      ? await options.resolveTenant(req)
      : null;
    // The session (the requester of its holds) is the OAuth principal when there is one.
    const who = caller?.principal_id ?? tenant?.tenant_id;
    const server = createWcpMcpServer({
      governor,
      approvals: options.approvals,
      session: { id: who ? `${handlerId}/${who}` : handlerId },
    });
    return await serveWithServer(req, server, authInfoFor(tenant), body);
  };
}
