/**
 * The governing MCP gateway's entry point (`wcp gateway` runs it with least privilege):
 *
 * ```sh
 * deno run <permissions> mcp/gateway/main.ts --config gateway.json          # stdio to the client
 * deno run <permissions> mcp/gateway/main.ts --config gateway.json --http 127.0.0.1:8931
 * deno run <permissions> mcp/gateway/main.ts -- COMMAND ARGS...             # quick form, DEMO policy
 * ```
 *
 * stdout carries protocol messages only (stdio mode); every log line goes to stderr.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { WcpError } from "../../src/errors.ts";
import { LineTransport } from "../stdio.ts";
import { type GatewayConfig, loadGatewayConfigFile, quickGatewayConfig } from "./config.ts";
import { APPROVAL_ARG, Gateway, type GatewayOptions } from "./gateway.ts";
import { createGatewayServer } from "./face.ts";
import { createGatewayHttpHandler } from "./http.ts";
import { FilePinStore } from "./pins.ts";
import {
  ensureStateDir,
  ReceiptFile,
  runReceiptPath,
  STATE_FILES,
  stateSigningKey,
} from "./state.ts";

const USAGE = `usage: mcp/gateway/main.ts --config FILE [--http HOST:PORT]
       mcp/gateway/main.ts [--http HOST:PORT] -- COMMAND [ARGS...]

Puts WCP governance in front of existing MCP servers (stdio to the client by default).
  --config FILE      gateway configuration (servers, tools, rules, bounds)
  --http HOST:PORT   serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio
  -- COMMAND ARGS    quick form: front one stdio upstream with the DEMO policy
                     (dev env, every tool allowed, receipts in memory)`;

function log(message: string): void {
  console.error(`[wcp-gateway] ${message}`);
}

/** Gateway options for a config: pins, key, receipts in its state directory (if any). */
export async function stateOptions(
  config: GatewayConfig,
  configPath: string | null,
): Promise<GatewayOptions> {
  const hint = configPath
    ? `accept it with \`wcp gateway pins accept <server>.<tool> --config ${configPath}\` (see ` +
      "`wcp gateway pins diff`)"
    : "restart the quick-form gateway to trust the new definition (pins are in memory)";
  if (!config.state_dir) return { log, pinsHint: hint };
  const dir = config.state_dir;
  await ensureStateDir(dir);
  return {
    log,
    approvalsPath: `${dir}/${STATE_FILES.approvals}`,
    approveHint: (id) => {
      const cli = `wcp gateway approvals approve ${id} --config ${configPath}`;
      return {
        text: `the client cannot ask the human here (no MCP elicitation): a person (not the ` +
          `agent) approves it with \`${cli}\` (or denies it: approvals deny), then repeat the ` +
          `same call with ${APPROVAL_ARG}: "${id}"`,
        cli,
      };
    },
    pins: new FilePinStore(`${dir}/${STATE_FILES.pins}`),
    signingKey: await stateSigningKey(dir),
    receiptFile: new ReceiptFile(runReceiptPath(dir)),
    pinsHint: hint,
  };
}

async function main(argv: string[]): Promise<number> {
  const dash = argv.indexOf("--");
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const command = dash < 0 ? [] : argv.slice(dash + 1);
  let values: { config?: string; http?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: own,
      options: {
        config: { type: "string" },
        http: { type: "string" },
        help: { type: "boolean", short: "h" },
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
  if ((values.config === undefined) === (command.length === 0)) {
    log(`give either --config FILE or -- COMMAND ARGS...\n${USAGE}`);
    return 2;
  }
  let config: GatewayConfig;
  try {
    config = values.config
      ? await loadGatewayConfigFile(values.config)
      : quickGatewayConfig(command[0], command.slice(1));
  } catch (e) {
    if (e instanceof WcpError) {
      log(`config error: ${e.path ? `${e.path}: ` : ""}${e.message} [${e.code}]`);
      return 2;
    }
    throw e;
  }
  if (config.demo) {
    log(
      "DEMO POLICY (quick form): tenant demo-tenant, env dev, every tool allowed, receipts kept in memory",
    );
  }
  let gateway: Gateway;
  try {
    gateway = await Gateway.start(config, await stateOptions(config, values.config ?? null));
  } catch (e) {
    if (e instanceof WcpError) {
      log(`${e.message} [${e.code}]`);
      return 3;
    }
    throw e;
  }
  const n = gateway.tools().length;
  const held = gateway.blocked().length;
  if (values.http) {
    const m = /^(.+):(\d+)$/.exec(values.http);
    if (!m) {
      log(`--http: "${values.http}" is not HOST:PORT`);
      await gateway.close();
      return 2;
    }
    const handler = createGatewayHttpHandler(gateway);
    const server = Deno.serve(
      {
        hostname: m[1],
        port: Number(m[2]),
        onListen: (a) =>
          log(`ready: http://${a.hostname}:${a.port}/mcp (${n} tools governed, ${held} withheld)`),
      },
      (req) =>
        new URL(req.url).pathname === "/mcp"
          ? handler(req)
          : Promise.resolve(new Response("not found", { status: 404 })),
    );
    const stop = () => void handler.closeAll().then(() => server.shutdown());
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    await server.finished;
    await gateway.close();
    return 0;
  }
  const transport = new LineTransport({ log });
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  const server = createGatewayServer(gateway);
  server.server.onerror = (e: Error) => log(`protocol: ${e.message}`);
  await server.connect(transport);
  log(`ready: ${config.governance.name} (${n} tools governed, ${held} withheld)`);
  await closed;
  await gateway.close();
  return 0;
}

if (import.meta.main) {
  const code = await main(Deno.args).catch((e) => {
    log(`fatal: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  });
  Deno.exit(code);
}
