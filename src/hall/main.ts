/**
 * `deno task serve`: start the hall. On first start it creates the data directory with an
 * embedded SQLite database, example rules, an example `hall.json` and demo workers, and prints
 * the admin token it generated (only its SHA-256 is stored).
 *
 * Its flags, environment variables, hall.json keys, defaults and permissions are listed once, in
 * `options.ts` (`--help` prints them from there).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type HallConfig, validateHallConfig } from "../config.ts";
import { WcpError } from "../errors.ts";
import { type HallSetup, type HallThread, openHallStore, serveHallThread } from "./_serve.ts";
import { newPeerSeed } from "./cluster.ts";
import {
  enrollDemoWorkers,
  ensureAdminToken,
  EXAMPLE_HALL_CONFIG,
  EXAMPLE_RULES,
  RevokedAdminTokenError,
} from "./bootstrap.ts";
import { modeText, OWNER_ONLY_DIR, OWNER_ONLY_FILE, tightenDataDir } from "./data_dir.ts";
import { type HallFileConfig, parseHallFileConfig } from "./file_config.ts";
import { hashToken, newToken } from "./middleware/auth.ts";
import { hallParseOptions, hallUsage } from "./options.ts";
import type { HallStore } from "./store/types.ts";

const USAGE = hallUsage();
// The flags of options.ts, with their types spelt out for parseArgs (a test keeps them equal).
const HALL_FLAGS = hallParseOptions();

function env(name: string): string | undefined {
  // Read only variables we were granted, so a narrow --allow-env never prompts or throws.
  return Deno.permissions.querySync({ name: "env", variable: name }).state === "granted"
    ? Deno.env.get(name) || undefined
    : undefined;
}

function fail(message: string, code = 2): never {
  console.error(`wcp hall: ${message}`);
  Deno.exit(code);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    fail(`cannot read ${what} ${path}: ${e instanceof Error ? e.message : e}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${what} ${path} is not valid JSON: ${e instanceof Error ? e.message : e}`);
  }
}

// Re-throw a nested object's error with its path under the enclosing key (hall_config.x).
function prefixed<T>(key: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof WcpError)) throw e;
    const path = e.path ? `${key}.${e.path}` : key;
    throw new WcpError(
      e.code,
      path,
      e.message.startsWith(`${e.path}: `) ? e.message.slice(e.path.length + 2) : e.message,
    );
  }
}

function resolveIn(dir: string, path: string): string {
  return path.startsWith("/") ? path : `${dir}/${path}`;
}

async function openStore(databaseUrl: string | undefined, dataDir: string): Promise<HallStore> {
  try {
    return await openHallStore(databaseUrl, dataDir);
  } catch (e) {
    if (startupMessage(e)) throw e;
    fail(`--database-url: ${e instanceof Error ? e.message : e}`);
  }
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      args: Deno.args,
      options: HALL_FLAGS,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    fail(`${e instanceof Error ? e.message : e}\n${USAGE}`);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }

  const dataDir = (args["data-dir"] ?? env("WCP_DATA_DIR") ?? "./data").replace(/\/+$/, "");
  const info = await Deno.stat(dataDir).catch(() => null);
  if (info && !info.isDirectory) fail(`--data-dir ${dataDir} is not a directory`);
  if (info && info.mode !== null && (info.mode & 0o1000) !== 0) {
    // A sticky directory (/tmp) is shared: it is never made the hall's own.
    fail(`--data-dir ${dataDir} is a shared directory (sticky bit): use a directory of its own`);
  }
  // Owner-only whatever the umask (the data directory holds the receipt signing key).
  await Deno.mkdir(dataDir, { recursive: true, mode: OWNER_ONLY_DIR });
  const explicitConfig = args.config ?? env("WCP_HALL_CONFIG");
  const configPath = explicitConfig ?? `${dataDir}/hall.json`;
  let firstStart = false;
  if (!(await exists(configPath))) {
    if (explicitConfig) fail(`config file ${configPath} does not exist`);
    await Deno.writeTextFile(configPath, JSON.stringify(EXAMPLE_HALL_CONFIG, null, 2) + "\n", {
      mode: OWNER_ONLY_FILE,
    });
    firstStart = true;
  }
  let fileConfig: HallFileConfig;
  let hallConfig: HallConfig;
  try {
    fileConfig = parseHallFileConfig(await readJson(configPath, "config file"));
    hallConfig = prefixed("hall_config", () => validateHallConfig(fileConfig.hall_config));
  } catch (e) {
    if (e instanceof WcpError) fail(`config file ${configPath}: ${e.message}`);
    throw e;
  }
  const configDir = configPath.includes("/")
    ? configPath.slice(0, configPath.lastIndexOf("/"))
    : ".";
  const rulesPath = resolveIn(configDir, fileConfig.rules_file ?? "rules.json");
  if (!(await exists(rulesPath))) {
    await Deno.writeTextFile(rulesPath, JSON.stringify(EXAMPLE_RULES, null, 2) + "\n", {
      mode: OWNER_ONLY_FILE,
    });
  }
  const rulesDoc = await readJson(rulesPath, "rules file");

  const host = args.host ?? env("WCP_HALL_HOST") ?? fileConfig.host ?? "127.0.0.1";
  const portText = args.port ?? env("WCP_HALL_PORT") ?? String(fileConfig.port ?? 8787);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`--port: '${portText}' is not a port`);
  }
  const rateText = args["rate-limit"];
  const rateLimit = rateText === undefined
    ? fileConfig.rate_limit_per_minute ?? 0
    : Number(rateText);
  if (!Number.isInteger(rateLimit) || rateLimit < 0) {
    fail(`--rate-limit: '${rateText}' is not >= 0`);
  }

  const threadsText = args.threads ?? env("WCP_HALL_THREADS") ?? String(fileConfig.threads ?? 1);
  const threads = Number(threadsText);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    fail(`--threads: '${threadsText}' is not a whole number from 1 to 64`);
  }

  const headerText = args["header-timeout"] ?? String(fileConfig.header_timeout_seconds ?? 30);
  const headerTimeout = Number(headerText);
  if (
    headerText.trim() === "" || !Number.isFinite(headerTimeout) || headerTimeout < 0 ||
    headerTimeout > 3600
  ) {
    fail(`--header-timeout: '${headerText}' is not a number of seconds from 0 to 3600`);
  }

  // Checked before the store is opened (nothing is written to it on a bad start).
  const reusePort = Boolean(args["reuse-port"]) || threads > 1;
  if (reusePort && !("listenDatagram" in Deno)) {
    // Deno only allows SO_REUSEPORT with --unstable-net (which also exposes listenDatagram).
    fail(
      `${threads > 1 ? "--threads" : "--reuse-port"} needs \`deno run --unstable-net\` ` +
        "(README, The Hall server)",
    );
  }
  if (threads > 1) {
    // The extra threads load the hall's modules themselves; say so before any of them starts.
    for (const dir of ["../", "../../mcp/"]) {
      const path = new URL(dir, import.meta.url);
      if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
        fail(
          `--threads: the extra threads load the hall's modules; grant --allow-read on ` +
            `${path.pathname.replace(/\/$/, "")} (deno task serve does)`,
        );
      }
    }
  }
  const jsonlPath = env("WCP_TELEMETRY_JSONL") ??
    (fileConfig.telemetry?.jsonl_path
      ? resolveIn(configDir, fileConfig.telemetry.jsonl_path)
      : undefined);
  // A data directory made under a looser umask (or by an older hall) loses group and other
  // access before anything is opened in it.
  const inside = jsonlPath && jsonlPath.startsWith(`${dataDir}/`) ? [jsonlPath] : [];
  for (const ch of await tightenDataDir(dataDir, inside)) {
    console.error(
      `wcp hall: warning: ${ch.path} was ${modeText(ch.from)}, now ${modeText(ch.to)} ` +
        "(the data directory holds the receipt signing key)",
    );
  }
  const databaseUrl = args["database-url"] ?? env("WCP_DATABASE_URL") ?? fileConfig.database_url;
  const store = await openStore(databaseUrl, dataDir);
  const now = Date.now();
  const fixedToken = env("WCP_ADMIN_TOKEN");
  if (fixedToken && !/^wcp_[A-Za-z0-9_-]{16,190}$/.test(fixedToken)) {
    fail("WCP_ADMIN_TOKEN must look like wcp_<16+ letters, digits, - or _>");
  }
  let created: string | null;
  try {
    created = await ensureAdminToken(store, now, fixedToken);
  } catch (e) {
    if (!(e instanceof RevokedAdminTokenError)) throw e;
    await store.close().catch(() => {});
    fail(e.message);
  }
  let newAdmin: string | null = created && !fixedToken ? created : null;
  if (args["new-admin-token"]) {
    newAdmin = newToken();
    await store.createToken({
      token_id: `tok_admin_${crypto.randomUUID().slice(0, 8)}`,
      token_hash: hashToken(newAdmin),
      role: "admin",
      namespace: null,
      label: "admin (--new-admin-token)",
      created_at: new Date(now).toISOString(),
      revoked_at: null,
    });
  }
  if (firstStart && (await store.listWorkers()).length === 0) await enrollDemoWorkers(store, now);

  const allowedHosts = fileConfig.allowed_hosts ??
    ["127.0.0.1", "localhost", "::1", ...(host === "0.0.0.0" || host === "::" ? [] : [host])];
  const mcpConfigPath = fileConfig.mcp_config
    ? resolveIn(configDir, fileConfig.mcp_config)
    : undefined;
  const setup: HallSetup = {
    host,
    port,
    dataDir,
    databaseUrl,
    rulesPath,
    rulesDoc,
    configPath,
    fileConfig,
    hallConfig,
    rateLimit,
    allowedHosts,
    mcpConfigPath,
    jsonlPath,
    otlpEndpoint: env("WCP_OTLP_ENDPOINT") ?? fileConfig.telemetry?.otlp_endpoint,
    hmacSecret: env("WCP_ATTEST_HMAC_KEY"),
    // Other processes on one store (PostgreSQL, --reuse-port) change the registry behind our
    // back: re-read it every second. Threads of this process also tell each other at once.
    registrySyncMs: store.backend === "postgres" || reusePort ? 1_000 : 0,
    reusePort,
    headerTimeoutMs: Math.round(headerTimeout * 1000),
    peers: threads > 1 ? newPeerSeed() : undefined,
    processId: crypto.randomUUID(),
    chainChecks: true,
    threadIndex: 0,
    threads,
  };

  let first: HallThread;
  try {
    first = await serveHallThread(setup, store);
  } catch (e) {
    if (e instanceof WcpError && e.code === "CONFIG_INVALID") fail(`config: ${e.message}`);
    if (e instanceof WcpError) fail(`rules file ${rulesPath}: ${e.message}`);
    if (startupMessage(e) || !(e instanceof Error)) throw e;
    fail(e.message); // e.g. a bad mcp_config file
  }
  const hallApp = first.hallApp;
  // The other threads bind the port the first one got (--port 0 picks one) and skip the chain
  // checks the first thread already runs.
  const others = await Promise.all(
    Array.from(
      { length: threads - 1 },
      (_, i) => startThread({ ...setup, port: first.port, chainChecks: false, threadIndex: i + 1 }),
    ),
  ).catch(async (e) => {
    await first.close().catch(() => {});
    const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    fail(
      `a hall thread did not start: ${why}` +
        (/Requires read access/.test(why)
          ? " (the extra threads load the hall's modules: grant --allow-read on ./src and ./mcp)"
          : ""),
    );
  });

  // Hot reload: a changed rules file is validated; a bad one is refused and the old rules stay.
  // The policy gate (hall.json's policy_gate, its Cedar policy file) reloads with the rules and
  // when those files change, the same way. (One watcher: the thread that reloads tells the others.)
  const gateFile = fileConfig.policy_gate?.type === "cedar" && fileConfig.policy_gate.policies_file
    ? resolveIn(configDir, fileConfig.policy_gate.policies_file)
    : undefined;
  const watched = [
    rulesPath,
    configPath,
    ...(gateFile && (await exists(gateFile)) ? [gateFile] : []),
  ];
  const watcher = Deno.watchFs(watched);
  let pending: ReturnType<typeof setTimeout> | undefined;
  let rulesChanged = false;
  const sameFile = (a: string, b: string) => a === b || a.endsWith(b.replace(/^\.\//, "/"));
  (async () => {
    for await (const ev of watcher) {
      if (ev.kind !== "modify" && ev.kind !== "create") continue;
      if (ev.paths.some((p) => sameFile(p, rulesPath))) rulesChanged = true;
      clearTimeout(pending);
      pending = setTimeout(async () => {
        const hall = hallApp.hall;
        if (rulesChanged) {
          rulesChanged = false;
          await hall.reloadRulesFile().then(
            (r) => console.log(`wcp hall: rules reloaded (${r.rules.length} rules)`),
            (e) => console.error(`wcp hall: rules reload refused, old rules stay: ${e.message}`),
          );
        }
        await hall.reloadGate().then(
          (g) => console.log(`wcp hall: policy gate reloaded (${g ? g.type : "none"})`),
          (e) =>
            console.error(`wcp hall: policy gate reload refused, old gate stays: ${e.message}`),
        );
      }, 200);
    }
  })().catch(() => {});

  const shown = host.includes(":") ? `[${host}]` : host;
  console.log(
    `wcp hall: listening on http://${shown}:${first.port}` +
      (threads > 1 ? ` (${threads} threads)` : ""),
  );
  console.log(`wcp hall: data directory ${dataDir} (store: ${store.backend})`);
  console.log(`wcp hall: rules ${rulesPath} (${hallApp.hall.rules.rules.length} rules)`);
  if (headerTimeout > 0 && !first.server.headerTimeout) {
    console.error(
      "wcp hall: warning: this Deno cannot enforce --header-timeout (serving without it; " +
        "put a reverse proxy with a header timeout in front)",
    );
  }
  if (newAdmin) console.log(`wcp hall: admin token (shown once, stored hashed): ${newAdmin}`);
  else console.log("wcp hall: admin token: set at first start (use --new-admin-token for another)");

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    try {
      watcher.close();
    } catch { /* already closed */ }
    await Promise.all([...others.map((t) => t.close()), first.close()]);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => void shutdown());
  Deno.addSignalListener("SIGTERM", () => void shutdown());
}

/** One extra thread of the hall: resolves once it serves; `close` waits for it to flush. */
function startThread(setup: HallSetup): Promise<{ close: () => Promise<void> }> {
  const worker = new Worker(new URL("./_thread_worker.ts", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
    worker.onmessage = (ev: MessageEvent) => {
      const m = ev.data as { ready?: number; error?: string };
      if (m?.error) reject(new Error(m.error));
      else if (m?.ready) {
        // A thread that fails later takes the process down, as the first thread's failure
        // would: a supervisor restarts a whole hall rather than one serving on fewer threads.
        worker.onerror = (e) => {
          e.preventDefault();
          console.error(`wcp hall: thread ${setup.threadIndex} failed: ${e.message}`);
          Deno.exit(1);
        };
        resolve({
          close: () =>
            new Promise<void>((done) => {
              // A thread that does not finish flushing in 10 s is stopped anyway.
              const t = setTimeout(() => {
                worker.terminate();
                done();
              }, 10_000);
              worker.onmessage = (ev2: MessageEvent) => {
                if (ev2.data === "closed") {
                  clearTimeout(t);
                  done();
                }
              };
              worker.postMessage("close");
            }),
        });
      }
    };
    worker.postMessage({ setup });
  });
}

// Startup failures an operator can fix (permissions, a path that is a file, a port in use) are
// one line and exit code 2, not a stack trace.
function startupMessage(e: unknown): string | null {
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    const what = e.message.replace(/, run again with.*$/, "");
    if (/^Requires (read|write) access/.test(what)) {
      return `${what}: \`deno task serve\` may use ./data only; for another data directory run ` +
        "deno run with --allow-read and --allow-write for it (README, The Hall server)";
    }
    if (/PGUSER/.test(what)) {
      return `${what}: put the user in the URL (postgres://user@host:port/db)`;
    }
    return `${what}: grant it on deno run (README, The Hall server)`;
  }
  if (e instanceof Deno.errors.AddrInUse) {
    return "the port is already in use (choose another with --port)";
  }
  if (e instanceof Deno.errors.AddrNotAvailable) return "cannot listen on that --host address";
  if (e instanceof Deno.errors.NotADirectory || e instanceof Deno.errors.AlreadyExists) {
    return `a path is not a directory: ${e.message}`;
  }
  return null;
}

if (import.meta.main) {
  await main().catch((e) => {
    const line = startupMessage(e);
    if (line) fail(line);
    throw e;
  });
}
