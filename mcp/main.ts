/**
 * The WCP MCP server over stdio, for MCP clients' configuration files:
 *
 * ```sh
 * deno run --allow-read=wcp-mcp.json mcp/main.ts --config wcp-mcp.json
 * deno run mcp/main.ts            # no config: the clearly labelled DEMO configuration
 * ```
 *
 * The config path comes from `--config` or, when `--allow-env=WCP_MCP_CONFIG` is granted, from
 * that variable. stdout carries protocol messages only; every log line goes to stderr.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createWcpMcpServer } from "./server.ts";
import { DEMO_CONFIG_DOCUMENT, demoConfig } from "./demo_config.ts";
import { loadMcpConfigFile } from "./load_config.ts";
import { LineTransport } from "./stdio.ts";
import type { WcpMcpConfig } from "./config.ts";
import { WcpError } from "../src/errors.ts";
import { connectHall } from "./hall_backend.ts";
import { Governor } from "./governor.ts";

const USAGE =
  `usage: deno run [--allow-read=<config>] [--allow-env=WCP_MCP_CONFIG] mcp/main.ts [--config <file>]

Starts the WCP-governed MCP server on stdio. Without a config it runs the DEMO configuration.
  --config <file>        configuration file (JSON); default $WCP_MCP_CONFIG
  --print-demo-config    print the demo configuration (a template for your own) and exit
  --help                 this text`;

function log(message: string): void {
  console.error(`[wcp-mcp] ${message}`);
}

function envConfigPath(): string | undefined {
  // Only read the variable if allowed: a permission prompt would corrupt the stdio protocol.
  const state = Deno.permissions.querySync({ name: "env", variable: "WCP_MCP_CONFIG" }).state;
  return state === "granted" ? Deno.env.get("WCP_MCP_CONFIG") || undefined : undefined;
}

async function main(args: string[]): Promise<number> {
  let values: { config?: string; help?: boolean; "print-demo-config"?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
        "print-demo-config": { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    log(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  if (values["print-demo-config"]) {
    console.log(JSON.stringify(DEMO_CONFIG_DOCUMENT, null, 2));
    return 0;
  }
  const path = values.config ?? envConfigPath();
  let config: WcpMcpConfig;
  try {
    config = path ? await loadMcpConfigFile(path) : demoConfig();
  } catch (e) {
    if (e instanceof WcpError) {
      log(`config error: ${e.message} [${e.code}]`);
      return 2;
    }
    throw e;
  }
  if (!path) {
    log("no --config or WCP_MCP_CONFIG: running the DEMO configuration (tenant demo-tenant)");
  }
  let server;
  try {
    const hall = await connectHall(config);
    const governor = hall
      ? new Governor({ ...config, registry: hall.records }, { engine: hall.engine })
      : new Governor(config);
    server = createWcpMcpServer({ governor, ...(hall ? { approvals: hall.approvals } : {}) });
    if (hall) log(`hall mode: route, dispatch, approvals and receipts via ${config.hall!.url}`);
  } catch (e) {
    if (e instanceof WcpError) {
      log(`${e.code.startsWith("HALL") ? "hall" : "config"} error: ${e.message} [${e.code}]`);
      return 2;
    }
    throw e;
  }
  const transport = new LineTransport({ log });
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  server.server.onerror = (e: Error) => log(`protocol: ${e.message}`);
  await server.connect(transport);
  log(
    `ready: ${config.name} (env ${config.env}, tenant ${
      config.tenant?.tenant_id ?? "from session"
    })`,
  );
  await closed;
  return 0;
}

if (import.meta.main) {
  // Anything unforeseen still ends with one line on stderr, never a stack trace on the protocol.
  const code = await main(Deno.args).catch((e) => {
    log(`fatal: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  });
  Deno.exit(code);
}
