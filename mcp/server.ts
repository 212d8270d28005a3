/**
 * `createWcpMcpServer`: an MCP server (official SDK) whose tools are governed by WCP. Embedders
 * pass a configuration and, optionally, their own worker implementations and shared state.
 *
 * @module
 */

import { McpServer } from "./_sdk_server.ts";
import type { WcpMcpConfig } from "./config.ts";
import { Governor } from "./governor.ts";
import type { WorkerFn } from "./builtin_workers.ts";
import type { ApprovalBackend } from "./approvals.ts";
import { registerWorkerTools } from "./worker_tools.ts";
import { registerWcpTools } from "./tools.ts";
import { registerResources } from "./resources.ts";
import { registerPrompts } from "./prompts.ts";
import type { McpSession } from "./_session.ts";
import { uuidV4 } from "../src/ids.ts";

/** Server version reported in `initialize`. */
export const WCP_MCP_VERSION = "0.1.0";

/** Options of `createWcpMcpServer`. */
export interface WcpMcpServerOptions {
  /** A parsed configuration (`parseMcpConfig`, `demoConfig`), used when `governor` is absent. */
  config?: WcpMcpConfig;
  /** Shared governance state (rules, registry, approvals, receipts); HTTP shares one per process. */
  governor?: Governor;
  /** Extra in-process worker implementations by worker id (only with `config`). */
  workers?: Record<string, WorkerFn>;
  /** Approvals backend (default: the governor's local store; `HallApprovals` for a hall). */
  approvals?: ApprovalBackend;
  /**
   * The MCP session this server serves (default: a new one, as for one stdio connection). The
   * stateless HTTP handler passes one per caller, since it builds a server per request.
   */
  session?: McpSession;
}

/**
 * Build an MCP server with governed worker tools, the `wcp_*` tools, resources and prompts.
 * Throws `WcpError` when the configuration is invalid.
 *
 * @example
 * ```ts
 * import { createWcpMcpServer } from "./server.ts";
 * import { demoConfig } from "./demo_config.ts";
 * const server = createWcpMcpServer({ config: demoConfig() });
 * // await server.connect(transport);
 * ```
 */
export function createWcpMcpServer(options: WcpMcpServerOptions): McpServer {
  const governor = options.governor ??
    (options.config ? new Governor(options.config, { workers: options.workers }) : (() => {
      throw new TypeError("createWcpMcpServer needs a config or a governor");
    })());
  const approvals = options.approvals ?? governor.approvals;
  const cfg = governor.config;
  const server = new McpServer({
    name: "wcp-mcp",
    title: cfg.demo ? `WCP (DEMO configuration)` : `WCP: ${cfg.name}`,
    version: WCP_MCP_VERSION,
  }, {
    capabilities: { tools: {}, resources: {}, prompts: {}, logging: {} },
    instructions:
      (cfg.demo ? "DEMO CONFIGURATION: built-in demo workers, tenant demo-tenant. " : "") +
      "Every tool call here is governed by the Worker Class Protocol: routed by rules (fail closed), " +
      "gated by policy, held for a human when required, and receipted. Read _meta['wcp/governance'] " +
      "on results; a denial is isError with a deny code and decision id.",
  });
  const session = options.session ?? { id: uuidV4() };
  const workerTools = registerWorkerTools(server, governor, session);
  const wcpTools = registerWcpTools(server, governor, approvals, session);
  registerResources(server, governor);
  registerPrompts(server, [...workerTools, ...wcpTools]);
  return server;
}

export { Governor };
