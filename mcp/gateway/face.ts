/**
 * The gateway's MCP face: one SDK server per client session over the shared `Gateway`.
 * `tools/list` answers the tools the session's tenant may call; `tools/call` is governed (a held
 * call asks the human through MCP elicitation when the client declared it, reusing the WCP MCP
 * server's session code); resources and prompts are forwarded.
 *
 * @module
 */

import { McpServer } from "../_sdk_server.ts";
import type { AuthInfo } from "../_sdk_server.ts";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  RootsListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { dispatchContext, type McpSession } from "../_session.ts";
import { sessionFrom } from "../worker_tools.ts";
import { uuidV4 } from "../../src/ids.ts";
import { WcpError } from "../../src/errors.ts";
import type { Gateway } from "./gateway.ts";
import { callRelay, type ClientRelay, type RelayedMethod } from "./upstream.ts";
import { errorResult } from "../_results.ts";

/** Version reported in `initialize`. */
export const WCP_GATEWAY_VERSION = "0.1.0";

type Extra = { authInfo?: AuthInfo; requestId?: string | number; signal?: AbortSignal };

function asMcpError(e: unknown): McpError {
  if (e instanceof McpError) return e;
  if (e instanceof WcpError) {
    const code = e.code === "TOOL_UNKNOWN" ? ErrorCode.InvalidParams : ErrorCode.InternalError;
    return new McpError(code, `${e.code}: ${e.message}`, { code: e.code, path: e.path });
  }
  return new McpError(ErrorCode.InternalError, e instanceof Error ? e.message : String(e));
}

const RELAYED: Record<RelayedMethod, { capability: string; what: string }> = {
  "sampling/createMessage": { capability: "sampling", what: "sampling" },
  "elicitation/create": { capability: "elicitation", what: "elicitation" },
  "roots/list": { capability: "roots", what: "roots" },
};

/**
 * This session's client as an upstream's requests reach it: sampling, elicitation and roots are
 * forwarded (related to the call in flight) when the client declared them, refused otherwise.
 */
function relayTo(server: McpServer, relatedRequestId?: string | number): ClientRelay {
  const low = server.server;
  return {
    async request(method, params, { signal, timeoutMs }) {
      const caps = (low.getClientCapabilities() ?? {}) as Record<string, unknown>;
      const r = RELAYED[method];
      if (!caps[r.capability]) {
        throw new McpError(
          ErrorCode.InvalidRequest,
          `${method}: the client connected to the gateway does not offer ${r.what}`,
        );
      }
      const options = {
        timeout: timeoutMs,
        ...(signal ? { signal } : {}),
        ...(relatedRequestId !== undefined ? { relatedRequestId } : {}),
      };
      if (method === "sampling/createMessage") {
        return await low.createMessage(params as never, options);
      }
      if (method === "elicitation/create") return await low.elicitInput(params as never, options);
      return await low.listRoots(params as never, options);
    },
  };
}

/**
 * Build the MCP server of one session over a gateway (connect it to a transport).
 *
 * @example
 * ```ts ignore
 * const server = createGatewayServer(gateway);
 * await server.connect(new LineTransport());
 * ```
 */
export function createGatewayServer(
  gateway: Gateway,
  session: McpSession = { id: uuidV4() },
): McpServer {
  const cfg = gateway.config;
  const resources = gateway.offers("resources");
  const prompts = gateway.offers("prompts");
  const server = new McpServer({
    name: "wcp-gateway",
    title: cfg.demo ? "WCP gateway (DEMO policy)" : `WCP gateway: ${cfg.governance.name}`,
    version: WCP_GATEWAY_VERSION,
  }, {
    capabilities: {
      tools: { listChanged: true },
      ...(resources ? { resources: {} } : {}),
      ...(prompts ? { prompts: {} } : {}),
    },
    instructions: (cfg.demo
      ? "DEMO POLICY (quick form): env dev, tenant demo-tenant, every tool allowed, receipts in " +
        "memory. "
      : "") +
      "Every tool here is an upstream MCP server's tool governed by the Worker Class Protocol: " +
      "each call is decided by rules (fail closed), gated, held for a human when required, and " +
      "receipted. Governance facts are in _meta['wcp/governance'] of each result; a refusal is " +
      "isError with a code. A call held for a human (STEWARD_HOLD) names an approval id: once a " +
      "human approved it, repeat the same call with wcp_approval_id.",
  });
  const low = server.server;
  low.setRequestHandler(ListToolsRequestSchema, async (_req, extra: Extra) => {
    await gateway.syncPins().catch(() => {});
    return { tools: gateway.listFor(sessionFrom(extra)) };
  });
  low.setRequestHandler(CallToolRequestSchema, async (req, extra: Extra) => {
    const { name, arguments: args, _meta } = req.params;
    try {
      // An upstream's sampling, elicitation or roots request during this call reaches this
      // session's client.
      return await callRelay.run(relayTo(server, extra.requestId), () =>
        gateway.call(
          name,
          (args ?? {}) as Record<string, unknown>,
          _meta as Record<string, unknown> | undefined,
          sessionFrom(extra),
          dispatchContext(server, session, extra),
        ));
    } catch (e) {
      if (e instanceof WcpError && e.code === "TOOL_UNKNOWN") throw asMcpError(e);
      if (e instanceof WcpError) {
        return errorResult({ code: e.code, message: e.message, path: e.path || undefined }, null);
      }
      throw asMcpError(e);
    }
  });
  const forward =
    (kind: "resources" | "prompts", method: string) =>
    async (req: { params?: Record<string, unknown> }, extra: Extra) => {
      try {
        return await gateway.forward(
          kind,
          method,
          req.params,
          sessionFrom(extra),
          dispatchContext(server, session, extra),
        ) as never;
      } catch (e) {
        throw asMcpError(e);
      }
    };
  if (resources) {
    low.setRequestHandler(ListResourcesRequestSchema, forward("resources", "resources/list"));
    low.setRequestHandler(
      ListResourceTemplatesRequestSchema,
      forward("resources", "resources/templates/list"),
    );
    low.setRequestHandler(ReadResourceRequestSchema, forward("resources", "resources/read"));
  }
  if (prompts) {
    low.setRequestHandler(ListPromptsRequestSchema, forward("prompts", "prompts/list"));
    low.setRequestHandler(GetPromptRequestSchema, forward("prompts", "prompts/get"));
  }
  const off = gateway.onToolsChanged(() => {
    void low.sendToolListChanged().catch(() => {});
  });
  // Outside a call (an upstream listing roots after it started), the latest session answers.
  const offRelay = gateway.addSessionRelay(relayTo(server));
  low.setNotificationHandler(RootsListChangedNotificationSchema, () => {
    for (const up of gateway.upstreams.values()) void up.rootsChanged();
  });
  const prevClose = low.onclose;
  low.onclose = () => {
    off();
    offRelay();
    prevClose?.();
  };
  return server;
}
