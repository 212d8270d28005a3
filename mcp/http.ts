/**
 * The WCP MCP server over Streamable HTTP, as a plain web handler `(req) => Promise<Response>`.
 * The hall mounts it at `/mcp` behind bearer auth; the handler checks Host and Origin itself
 * (DNS-rebinding protection), so it is safe even when mounted on its own.
 *
 * Stateless: each POST carries one JSON-RPC message (or batch) and gets a JSON answer; governance
 * state (rules, registry, approvals, receipts) is shared by all requests of one handler.
 *
 * @module
 */

import { type AuthInfo, WebStandardStreamableHTTPServerTransport } from "./_sdk_server.ts";
import { createWcpMcpServer, type WcpMcpServerOptions } from "./server.ts";
import { Governor } from "./governor.ts";
import { invalidParamsResponse } from "./_guard.ts";
import type { TenantRisk } from "../src/model.ts";

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
  const host = req.headers.get("host") ?? new URL(req.url).host;
  if (!hostAllowed(host, allowedHosts)) {
    return jsonRpcError(403, -32000, `Forbidden: Host header "${host}" is not allowed`);
  }
  const origin = req.headers.get("origin");
  if (!originAllowed(origin, host, allowedOrigins)) {
    return jsonRpcError(403, -32000, `Forbidden: Origin "${origin}" is not allowed`);
  }
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

/**
 * Answer one POST with a fresh stateless server over shared governance state.
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
): Promise<Response> {
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
    return await transport.handleRequest(req, authInfo ? { authInfo } : undefined);
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

  return async (req: Request, context?: McpRequestContext): Promise<Response> => {
    const refused = guardRequest(req, allowedHosts, allowedOrigins);
    if (refused) return refused;
    const tenant = context?.tenant !== undefined
      ? context.tenant
      : options.resolveTenant
      ? await options.resolveTenant(req)
      : null;
    const server = createWcpMcpServer({ governor, approvals: options.approvals });
    return await serveWithServer(req, server, authInfoFor(tenant));
  };
}
