/**
 * Build one hall thread from a resolved, structured-cloneable setup and serve it: used by
 * `main.ts` for the first thread and by `_thread_worker.ts` for the others (`--threads N`).
 *
 * @module
 */

import { openSqliteStore } from "./store/sqlite/mod.ts";
import type { HallConfig } from "../config.ts";
import { type HallListener, serveHall } from "./_listen.ts";
import { createHallApp, type HallApp } from "./app.ts";
import { DEMO_WORKERS } from "./bootstrap.ts";
import { createOwnerOnly } from "./data_dir.ts";
import { combinePeers, instancePeers, joinPeers, type PeerSeed } from "./cluster.ts";
import type { HallFileConfig } from "./file_config.ts";
import { fileGateLoader, loadGate } from "./gates.ts";
import { WcpError } from "../errors.ts";
import type { HallStore } from "./store/types.ts";
import type { HallGateway } from "../../mcp/gateway/hall.ts";

/** Everything a hall thread needs, resolved by `main.ts` (flags, env, files). */
export interface HallSetup {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  rulesPath: string;
  rulesDoc: unknown;
  /** hall.json (its `policy_gate` is re-read when the gate reloads); absent: no reload. */
  configPath?: string;
  fileConfig: HallFileConfig;
  hallConfig: HallConfig;
  rateLimit: number;
  allowedHosts: string[];
  /** `mcp_config` resolved against the config file's directory (loaded by each thread). */
  mcpConfigPath: string | undefined;
  jsonlPath: string | undefined;
  otlpEndpoint: string | undefined;
  hmacSecret: string | undefined;
  registrySyncMs: number;
  reusePort: boolean;
  /** Close a connection with no request in flight after this long (Slowloris); 0 = never. */
  headerTimeoutMs: number;
  /** Set when the hall runs several threads. */
  peers: PeerSeed | undefined;
  /** Names this process to the other instances on the store (the same in all its threads). */
  processId: string;
  /** Only the first thread verifies chains (the others would repeat the same work). */
  chainChecks: boolean;
  /** Which thread this is (0 = the first), of `threads`. */
  threadIndex: number;
  threads: number;
}

/** A serving hall thread. */
export interface HallThread {
  hallApp: HallApp;
  server: HallListener;
  store: HallStore;
  /** The port actually bound (for `--port 0`). */
  port: number;
  /** Stop serving, flush and close the store. */
  close(): Promise<void>;
}

/** Open the store a setup names: PostgreSQL for a postgres:// URL, else the data dir's SQLite. */
export async function openHallStore(
  databaseUrl: string | undefined,
  dataDir: string,
): Promise<HallStore> {
  if (databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl)) {
    // Loaded only when asked for, so SQLite users never load the driver.
    const pg = await import("./store/postgres/mod.ts");
    return await pg.openPostgresStore(databaseUrl);
  }
  if (databaseUrl) {
    throw new Error("--database-url must start with postgres:// (SQLite needs no URL)");
  }
  // Created owner-only first: it holds the signing key, and SQLite's -wal/-shm take its mode.
  await createOwnerOnly(`${dataDir}/hall.sqlite`);
  return await openSqliteStore(`${dataDir}/hall.sqlite`);
}

/** Build the app over `store` and serve it; resolves once listening. */
export async function serveHallThread(setup: HallSetup, store: HallStore): Promise<HallThread> {
  const { fileConfig } = setup;
  // /mcp: the MCP server as a face of the hall's engine (its workers, rules, approvals, receipts
  // and authorisation), called with the principal the hall authenticated for /mcp.
  const hallRef: { hall?: HallApp["hall"]; gateway?: HallGateway } = {};
  let appFetch: (req: Request) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });
  const { createHallMcpHandler } = await import("../../mcp/hall_mount.ts");
  let mcpBounds;
  if (setup.mcpConfigPath) {
    const { loadMcpConfigFile } = await import("../../mcp/load_config.ts");
    try {
      mcpBounds = await loadMcpConfigFile(setup.mcpConfigPath);
    } catch (e) {
      throw new Error(`mcp_config ${setup.mcpConfigPath}: ${e instanceof Error ? e.message : e}`);
    }
  }
  const mcpHandler = createHallMcpHandler({
    hall: () => hallRef.hall,
    hallFetch: (req) => appFetch(req),
    config: mcpBounds,
    allowedHosts: setup.allowedHosts,
    allowedOrigins: fileConfig.allowed_origins,
    gateway: () => hallRef.gateway,
  });
  // OAuth for /mcp (hall.json `oauth`): jose is loaded only when it is configured.
  let oauth;
  if (fileConfig.oauth) {
    const { OAuthResourceServer } = await import("../../mcp/oauth.ts");
    oauth = new OAuthResourceServer(fileConfig.oauth, {
      onUnavailable: (issuer, reason) =>
        console.error(
          `wcp hall: OAuth: the keys of ${issuer} could not be fetched (${reason}); /mcp answers ` +
            "503 to its tokens until they can be (is --allow-net granted for its JWKS host?)",
        ),
    });
    for (const host of oauth.fetchHosts()) {
      if (Deno.permissions.querySync({ name: "net", host }).state !== "granted") {
        throw new WcpError(
          "CONFIG_INVALID",
          "oauth",
          `the hall may not connect to ${host} for the issuer's keys: run it with ` +
            `--allow-net=127.0.0.1,localhost,${host} (README, Hall server: OAuth for /mcp)`,
        );
      }
    }
  }
  // Other threads of this process, and other instances on the same PostgreSQL database.
  const open = store.openPeerChannel?.bind(store);
  const peers = combinePeers(
    setup.peers ? joinPeers(setup.peers) : undefined,
    open ? await instancePeers(open, setup.processId, setup.threadIndex === 0) : undefined,
  );
  let hallApp: HallApp;
  try {
    hallApp = await createHallApp({
      mcpHandler,
      gatewayPins: () => hallRef.gateway,
      oauth,
      store,
      rules: setup.rulesDoc,
      rulesPath: setup.rulesPath,
      config: setup.hallConfig,
      inProcessWorkers: DEMO_WORKERS,
      allowedHosts: setup.allowedHosts,
      allowedOrigins: fileConfig.allowed_origins,
      maxBodyBytes: fileConfig.max_body_bytes,
      rateLimitPerMinute: setup.rateLimit,
      telemetry: { jsonlPath: setup.jsonlPath, otlpEndpoint: setup.otlpEndpoint },
      staticDir: new URL("../../playground/dist", import.meta.url).pathname,
      hmacSecret: setup.hmacSecret,
      workerTimeoutMs: fileConfig.worker_timeout_ms,
      workerOrigins: fileConfig.worker_origins?.map((o) => new URL(o).origin),
      registrySyncMs: setup.registrySyncMs,
      chainCheckMs: setup.chainChecks ? undefined : 0,
      peers,
      thread: { index: setup.threadIndex, count: setup.threads },
    });
  } catch (e) {
    peers?.close();
    throw e;
  }
  // The policy gate (table, Cedar, webhook) of hall.json: checked now (a bad one stops the start),
  // re-loaded with the rules.
  if (fileConfig.policy_gate || setup.configPath) {
    const hall = hallApp.hall;
    const context = () => ({ rules: hall.rules, now: hall.now });
    const configDir = setup.configPath?.includes("/")
      ? setup.configPath.slice(0, setup.configPath.lastIndexOf("/"))
      : ".";
    try {
      const gate = await loadGate(fileConfig.policy_gate, { ...context(), configDir });
      hall.useGate(gate, setup.configPath ? fileGateLoader(setup.configPath, context) : undefined);
    } catch (e) {
      await hallApp.close();
      peers?.close();
      if (e instanceof WcpError) {
        const bare = e.path && e.message.startsWith(`${e.path}: `)
          ? e.message.slice(e.path.length + 2)
          : e.message;
        throw new WcpError("CONFIG_INVALID", e.path, bare);
      }
      throw e;
    }
  }
  // hall.json `gateway`: its upstream MCP servers are started with this thread (each thread its
  // own connections; pins in the store are shared) and their tools governed at /mcp.
  if (fileConfig.gateway) {
    try {
      hallRef.gateway = await startHallGateway(setup, hallApp.hall);
    } catch (e) {
      await hallApp.close();
      peers?.close();
      throw e;
    }
  }
  appFetch = hallApp.fetch;
  hallRef.hall = hallApp.hall;
  let port = setup.port;
  const listening = Promise.withResolvers<void>();
  let server: HallListener;
  try {
    server = serveHall({
      hostname: setup.host,
      port: setup.port,
      reusePort: setup.reusePort,
      headerTimeoutMs: setup.headerTimeoutMs,
      onListen: (addr) => {
        port = addr.port;
        listening.resolve();
      },
    }, hallApp.fetch);
  } catch (e) {
    await hallRef.gateway?.close();
    await hallApp.close();
    throw e;
  }
  await listening.promise;
  return {
    hallApp,
    server,
    store,
    port,
    close: async () => {
      // Close first: it ends the SSE streams, which shutdown() would otherwise wait for.
      await hallRef.gateway?.close();
      await hallApp.close();
      await server.shutdown();
      await store.close();
    },
  };
}

// The gateway of hall.json (loaded only when configured): every stdio upstream's command must be
// runnable (checked first, so a missing --allow-run is one clear line, not a failed upstream).
async function startHallGateway(setup: HallSetup, hall: HallApp["hall"]): Promise<HallGateway> {
  const { parseHallGatewayConfig } = await import("../../mcp/gateway/config.ts");
  const { HallGateway } = await import("../../mcp/gateway/hall.ts");
  const configDir = setup.configPath?.includes("/")
    ? setup.configPath.slice(0, setup.configPath.lastIndexOf("/"))
    : ".";
  const config = parseHallGatewayConfig(setup.fileConfig.gateway, configDir);
  for (const [name, spec] of Object.entries(config.servers)) {
    if (!("command" in spec)) continue;
    if (Deno.permissions.querySync({ name: "run", command: spec.command }).state !== "granted") {
      throw new WcpError(
        "CONFIG_INVALID",
        `gateway.servers.${name}.command`,
        `the hall may not start "${spec.command}": run it with --allow-run=${spec.command} ` +
          "(and --allow-env for the upstream's environment: README, Govern an existing MCP server)",
      );
    }
  }
  const log = (m: string) => console.error(`wcp hall: ${m}`);
  try {
    return await HallGateway.start(hall, config, { log });
  } catch (e) {
    if (e instanceof WcpError) throw new WcpError("CONFIG_INVALID", `gateway.${e.path}`, e.message);
    throw e;
  }
}
