/**
 * The MCP endpoint for a hall's own `/mcp` route. Given the hall (`hall`), every tool call goes
 * to the hall's engine with the principal the hall authenticated for `/mcp` (`context.principal`),
 * under the same scope rules as `/wcp/*` (`src/hall/mcp_face.ts`: a namespace token acts for its
 * tenant, approvals need an admin token): no second authentication, no JSON round trip, the
 * hall's in-memory registry instead of a worker listing, one Governor reused until the hall's
 * registry is rebuilt. Without `hall` (or without a principal) the older way remains: every tool
 * call re-enters the hall's HTTP API in process (`hallFetch`) with the caller's bearer token. The
 * approval tools are not offered by default (docs/protocol/trust.md#separation-of-duties: the token
 * whose requests are held approves nothing through them; a held call names the dashboard and CLI
 * instead); with `allow_resolve: true` in the mount's config they are, and the hall itself refuses
 * a token that resolves its own hold (`APPROVER_IS_REQUESTER`).
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
import type { Hall } from "../src/hall/hall.ts";
import { hallMcpFace } from "../src/hall/mcp_face.ts";
import type { Registry } from "../src/registry/registry.ts";
import type { HallGateway } from "./gateway/hall.ts";
import { uuidV4 } from "../src/ids.ts";

/** Options of `createHallMcpHandler`. */
export interface HallMountOptions {
  /**
   * The hall itself (late-bound: called per request): tool calls go to its engine with the
   * principal the hall authenticated. Preferred over `hallFetch`.
   */
  hall?: () => Hall | undefined;
  /**
   * The hall app's own fetch (late-bound is fine: it is called per request), for a mount without
   * `hall`: tool calls then re-enter the hall's HTTP API with the caller's token.
   */
  hallFetch?: (req: Request) => Response | Promise<Response>;
  /**
   * Session bounds (env, data labels, QoS, default tenant for admin tokens). Default: env `dev`
   * with `stage`, `prod` and `edge` allowed, labels PUBLIC..RESTRICTED, no default tenant.
   */
  config?: WcpMcpConfig;
  /** Accepted Host values (default loopback names on any port). */
  allowedHosts?: string[];
  /** Accepted Origins besides same-origin loopback. */
  allowedOrigins?: string[];
  /**
   * The gateway of hall.json `gateway` (late-bound): its upstream tools are added to `tools/list`
   * (those the caller's tenant may call) and their calls run through the hall's engine.
   */
  gateway?: () => HallGateway | undefined;
}

const DEFAULT_MOUNT_CONFIG = {
  name: "hall /mcp",
  env: "dev",
  envs_allowed: ["dev", "stage", "prod", "edge"],
  data_labels: { default: "INTERNAL", min: "PUBLIC", max: "RESTRICTED" },
  rules: { rules: [] },
};

// The shared Governor's engine: every call of the hall's /mcp brings its own, bound to the
// principal the hall authenticated (DispatchContext.engine); reaching this one is a bug.
const NO_PRINCIPAL_ENGINE: DispatchEngine = {
  route: () => Promise.reject(new Error("no authenticated principal for this call")),
  dispatch: () => Promise.reject(new Error("no authenticated principal for this call")),
  dispatchApproved: () => Promise.reject(new Error("no authenticated principal for this call")),
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
  // One Governor over the hall's registry, rebuilt only when the hall replaces its registry.
  let cached: { registry: Registry; governor: Governor; origin: string } | undefined;
  const governorFor = (hall: Hall, origin: string): Governor => {
    if (cached?.registry !== hall.registry || cached.origin !== origin) {
      const governor = new Governor({ ...config, registry: [], workers: {} }, {
        engine: NO_PRINCIPAL_ENGINE,
        registry: hall.registry,
        hallUrl: origin,
      });
      cached = { registry: hall.registry, governor, origin };
    }
    return cached.governor;
  };
  return async (req: Request, context?: McpRequestContext): Promise<Response> => {
    const refused = guardRequest(req, allowedHosts, allowedOrigins);
    if (refused) return refused;
    // A body that is no JSON-RPC message is refused before the hall is asked for its workers.
    const body = await readJsonRpcBody(req);
    if (body instanceof Response) return body;
    const tenant: HttpTenant | null = context?.tenant ?? null;
    const hall = options.hall?.();
    const principal = context?.principal;
    if (hall && principal) {
      const face = hallMcpFace(hall, principal);
      const engine: DispatchEngine = {
        route: (input) => face.route(input as unknown as Record<string, unknown>),
        dispatch: (input) => face.dispatch(input as unknown as Record<string, unknown>),
        dispatchApproved: (id) => face.dispatchApproved(id),
        verifyChain: (tenantId) => face.verifyChain(tenantId),
      };
      const session = { id: uuidV4(), principal: face.requester, engine };
      const origin = new URL(req.url).origin;
      const server = createWcpMcpServer({
        governor: governorFor(hall, origin),
        approvals: new HallApprovals(face),
        session,
      });
      options.gateway?.()?.install(server, session, origin);
      return await serveWithServer(req, server, authInfoFor(tenant), body);
    }
    if (!options.hallFetch) {
      return new Response(
        JSON.stringify({
          jsonrpc: "2.0",
          id: null,
          error: { code: -32000, message: "hall: /mcp is not connected to a hall" },
        }),
        { status: 503, headers: { "content-type": "application/json" } },
      );
    }
    const hallFetch = options.hallFetch;
    const client = new HallClient({
      baseUrl: new URL(req.url).origin,
      token: bearer(req),
      retries: 0,
      fetch: (input, init) => Promise.resolve(hallFetch(new Request(input, init))),
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
    const server = createWcpMcpServer({ governor, approvals: new HallApprovals(client) });
    return await serveWithServer(req, server, authInfoFor(tenant), body);
  };
}
