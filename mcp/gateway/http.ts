/**
 * The gateway over Streamable HTTP: a web handler with one MCP session per client (the SDK's
 * `WebStandardStreamableHTTPServerTransport` with session ids), so a held call can ask the
 * human through elicitation on the call's own response stream. Host and Origin are checked
 * (DNS-rebinding protection): loopback names by default.
 *
 * @module
 */

import { WebStandardStreamableHTTPServerTransport } from "../_sdk_server.ts";
import type { AuthInfo } from "../_sdk_server.ts";
import { LOOPBACK } from "../http.ts";
import { uuidV4 } from "../../src/ids.ts";
import type { Gateway } from "./gateway.ts";
import { createGatewayServer } from "./face.ts";

/** The handler, and a way to end every session (their open streams) before shutting down. */
export type GatewayHttpHandler = ((req: Request) => Promise<Response>) & {
  /** Close every session's transport (ends their SSE streams). */
  closeAll(): Promise<void>;
};

/** Options of `createGatewayHttpHandler`. */
export interface GatewayHttpOptions {
  /** Accepted Host names (any port); default loopback. */
  allowedHosts?: string[];
  /** Sessions kept at most (oldest closed first); default 1000. */
  maxSessions?: number;
  /** The authenticated caller of a request (the hall's bearer principal), if any. */
  authInfo?: (req: Request) => AuthInfo | undefined;
}

function refuse(status: number, message: string): Response {
  return new Response(
    JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message } }),
    { status, headers: { "content-type": "application/json" } },
  );
}

// Whether an initialize request's client offers something the server may ask it during a call
// (elicitation, sampling, roots). Anything unreadable counts as yes (the streaming default).
async function asksClient(req: Request): Promise<boolean> {
  try {
    const body = await req.clone().json() as {
      method?: unknown;
      params?: { capabilities?: Record<string, unknown> };
    };
    const caps = body?.params?.capabilities;
    if (body?.method !== "initialize" || !caps || typeof caps !== "object") return true;
    return caps.elicitation !== undefined || caps.sampling !== undefined ||
      caps.roots !== undefined;
  } catch {
    return true;
  }
}

function hostName(host: string): string {
  const h = host.toLowerCase();
  return h.startsWith("[") ? h.slice(0, h.indexOf("]") + 1) : h.split(":")[0];
}

/**
 * The handler: POST (JSON-RPC), GET (the session's stream) and DELETE (end the session).
 *
 * @example
 * ```ts ignore
 * const handler = createGatewayHttpHandler(gateway);
 * Deno.serve({ hostname: "127.0.0.1", port: 8931 }, handler);
 * ```
 */
export function createGatewayHttpHandler(
  gateway: Gateway,
  options: GatewayHttpOptions = {},
): GatewayHttpHandler {
  const allowed = (options.allowedHosts ?? LOOPBACK).map((h) =>
    h.includes(":") && !h.startsWith("[") ? `[${h}]` : h.toLowerCase()
  );
  const max = options.maxSessions ?? 1000;
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const handler = async (req: Request): Promise<Response> => {
    const host = req.headers.get("host") ?? new URL(req.url).host;
    if (!allowed.includes(hostName(host))) return refuse(403, `Forbidden: Host "${host}"`);
    const origin = req.headers.get("origin");
    if (origin !== null) {
      let ok = false;
      try {
        ok = new URL(origin).host.toLowerCase() === host.toLowerCase();
      } catch { /* not a URL */ }
      if (!ok) return refuse(403, `Forbidden: Origin "${origin}"`);
    }
    const authInfo = options.authInfo?.(req);
    const sid = req.headers.get("mcp-session-id");
    if (sid !== null) {
      const t = sessions.get(sid);
      if (!t) return refuse(404, "Session not found: initialize again");
      return await t.handleRequest(req, authInfo ? { authInfo } : undefined);
    }
    if (req.method !== "POST") return refuse(400, "Bad Request: no mcp-session-id");
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => uuidV4(),
      // A client that offers neither elicitation, sampling nor roots can be sent no request on
      // a call's stream: its answers are plain JSON (no SSE stream per call).
      enableJsonResponse: !(await asksClient(req)),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
        while (sessions.size > max) {
          const [oldest, t] = sessions.entries().next().value!;
          sessions.delete(oldest);
          void t.close().catch(() => {});
        }
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    const server = createGatewayServer(gateway);
    await server.connect(transport);
    return await transport.handleRequest(req, authInfo ? { authInfo } : undefined);
  };
  return Object.assign(handler, {
    closeAll: async () => {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((t) => t.close().catch(() => {})));
    },
  });
}
