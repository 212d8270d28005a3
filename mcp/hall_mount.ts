/**
 * The MCP endpoint for a hall's own `/mcp` route. Every tool call goes back into the hall's HTTP
 * API in process, carrying the caller's bearer token: the MCP tools therefore see exactly the
 * hall's workers, rules, approvals and receipt chains, and are authorised exactly as the
 * caller's token is on `/wcp/*` (approvals need an admin token, and so on). Nothing leaves the
 * process. The approval tools are not offered by default (decision 19: the token whose requests
 * are held approves nothing through them; a held call names the dashboard and CLI instead); with
 * `allow_resolve: true` in the mount's config they are, and the hall itself refuses a token that
 * resolves its own hold (`APPROVER_IS_REQUESTER`).
 *
 * ```ts ignore
 * let appFetch: (req: Request) => Response | Promise<Response> = () => new Response(null, { status: 503 });
 * const mcpHandler = createHallMcpHandler({ hallFetch: (req) => appFetch(req) });
 * const hall = await createHallApp({ ...options, mcpHandler });
 * appFetch = hall.fetch;
 * ```
 *
 * @module
 */

import { parseMcpConfig, type WcpMcpConfig } from "./config.ts";
import { type DispatchEngine, Governor } from "./governor.ts";
import { HallApprovals } from "./hall_backend.ts";
import {
  authInfoFor,
  guardRequest,
  type HttpTenant,
  LOOPBACK,
  type McpHttpHandler,
  type McpRequestContext,
  readJsonRpcBody,
  serveWithServer,
} from "./http.ts";
import { createWcpMcpServer } from "./server.ts";
import { HallClient } from "../src/client/mod.ts";

/** Options of `createHallMcpHandler`. */
export interface HallMountOptions {
  /** The hall app's own fetch (late-bound is fine: it is called per request). */
  hallFetch: (req: Request) => Response | Promise<Response>;
  /**
   * Session bounds (env, data labels, QoS, default tenant for admin tokens). Default: env `dev`
   * with `stage`, `prod` and `edge` allowed, labels PUBLIC..RESTRICTED, no default tenant.
   */
  config?: WcpMcpConfig;
  /** Accepted Host values (default loopback names on any port). */
  allowedHosts?: string[];
  /** Accepted Origins besides same-origin loopback. */
  allowedOrigins?: string[];
}

const DEFAULT_MOUNT_CONFIG = {
  name: "hall /mcp",
  env: "dev",
  envs_allowed: ["dev", "stage", "prod", "edge"],
  data_labels: { default: "INTERNAL", min: "PUBLIC", max: "RESTRICTED" },
  rules: { rules: [] },
};

function bearer(req: Request): string | undefined {
  const h = req.headers.get("authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : undefined;
}

/**
 * Build the handler the hall mounts at `/mcp` (after its own bearer check).
 *
 * @example
 * ```ts
 * import { createHallMcpHandler } from "./hall_mount.ts";
 * const handler = createHallMcpHandler({ hallFetch: () => new Response(null, { status: 503 }) });
 * const res = await handler(new Request("http://127.0.0.1:8787/mcp"));
 * res.status; // 405
 * ```
 */
export function createHallMcpHandler(options: HallMountOptions): McpHttpHandler {
  const config = options.config ?? parseMcpConfig(DEFAULT_MOUNT_CONFIG);
  // Fail at startup, not per request, on bounds the governor refuses (rules, hall_config).
  new Governor({ ...config, registry: [], workers: {} });
  const allowedHosts = options.allowedHosts ?? LOOPBACK;
  const allowedOrigins = options.allowedOrigins ?? [];
  return async (req: Request, context?: McpRequestContext): Promise<Response> => {
    const refused = guardRequest(req, allowedHosts, allowedOrigins);
    if (refused) return refused;
    // A body that is no JSON-RPC message is refused before the hall is asked for its workers.
    const body = await readJsonRpcBody(req);
    if (body instanceof Response) return body;
    const client = new HallClient({
      baseUrl: new URL(req.url).origin,
      token: bearer(req),
      retries: 0,
      fetch: (input, init) => Promise.resolve(options.hallFetch(new Request(input, init))),
    });
    let records: unknown[];
    try {
      records = (await client.workers()).filter((w) => w.status === "active").map((w) => w.record);
    } catch (e) {
      const status = typeof (e as { status?: unknown }).status === "number"
        ? (e as { status: number }).status
        : 502;
      return new Response(
        JSON.stringify({
          jsonrpc: "2.0",
          id: null,
          error: { code: -32000, message: `hall: ${(e as Error).message}` },
        }),
        { status, headers: { "content-type": "application/json" } },
      );
    }
    const engine: DispatchEngine = {
      route: (input) => client.route(input),
      dispatch: (input) => client.dispatch(input),
      dispatchApproved: (id) => client.dispatchApproved(id),
      verifyChain: async (tenantId) => {
        const v = await client.verifyChain(tenantId);
        const mine = v.tenants.find((t) => t.tenant_id === tenantId);
        return mine
          ? { ...mine, key_id: v.key_id }
          : { ok: v.ok, count: 0, key_id: v.key_id, breaks: [] };
      },
    };
    const origin = new URL(req.url).origin;
    const governor = new Governor({ ...config, registry: records, workers: {} }, {
      engine,
      hallUrl: origin,
    });
    const tenant: HttpTenant | null = context?.tenant ?? null;
    const server = createWcpMcpServer({ governor, approvals: new HallApprovals(client) });
    return await serveWithServer(req, server, authInfoFor(tenant), body);
  };
}
