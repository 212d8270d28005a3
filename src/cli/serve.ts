// `wcp serve` and `wcp mcp`: start the hall (src/hall/main.ts) or the MCP server (mcp/main.ts)
// as a child `deno run` with only the permissions that server needs; flags pass through.

import { parentDir } from "../adapters/fs.ts";
import { hallEnvironment } from "../hall/options.ts";
import type { Command } from "./_args.ts";
import { UsageError } from "./_io.ts";

// The variables of the hall options table (src/hall/options.ts).
const HALL_ENV = hallEnvironment();

function flagValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function hostPort(url: string, flag: string): string {
  try {
    const u = new URL(url);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    throw new UsageError(`${flag}: ${JSON.stringify(url)} is not a URL`);
  }
}

/** A config file's JSON object, or null (the server reports an unreadable config itself). */
function configDoc(config: string): Record<string, unknown> | null {
  try {
    const doc = JSON.parse(Deno.readTextFileSync(config));
    return typeof doc === "object" && doc !== null && !Array.isArray(doc) ? doc : null;
  } catch {
    return null;
  }
}

function rulesFileOf(config: string): string | undefined {
  const rulesFile = configDoc(config)?.rules_file;
  return typeof rulesFile === "string" ? rulesFile : undefined;
}

/** The hall's permissions, narrowed to the data directory, config file and hosts it will use. */
export function hallPermissions(args: string[]): string[] {
  const dataDir = flagValue(args, "--data-dir") ?? env("WCP_DATA_DIR") ?? "./data";
  const config = flagValue(args, "--config") ?? env("WCP_HALL_CONFIG");
  const host = flagValue(args, "--host") ?? env("WCP_HALL_HOST") ?? "127.0.0.1";
  const dist = new URL("../../playground/dist", import.meta.url).pathname;
  const net = new Set(["127.0.0.1", "localhost", host]);
  const db = flagValue(args, "--database-url") ?? env("WCP_DATABASE_URL");
  if (db) net.add(hostPort(db, "--database-url"));
  const otlp = env("WCP_OTLP_ENDPOINT");
  if (otlp) net.add(hostPort(otlp, "WCP_OTLP_ENDPOINT"));
  // The hall resolves rules_file against the config's directory and writes an example rules
  // file there on first start, so that directory (and an absolute rules_file) is granted too.
  const extra: string[] = [];
  if (config) {
    extra.push(parentDir(config));
    const rulesFile = rulesFileOf(config);
    if (rulesFile?.startsWith("/")) extra.push(rulesFile);
  }
  // --threads N > 1 and --reuse-port bind with SO_REUSEPORT, which Deno allows only with
  // --unstable-net; the extra threads also load the hall's modules from ./src and ./mcp (the
  // options table, src/hall/options.ts; deno task serve grants the same).
  const threads = flagValue(args, "--threads") ?? env("WCP_HALL_THREADS") ??
    (config ? configDoc(config)?.threads : undefined);
  const many = threads !== undefined && Number(threads) > 1;
  const unstable = many || args.includes("--reuse-port") ? ["--unstable-net"] : [];
  const modules = many
    ? [new URL("../", import.meta.url), new URL("../../mcp", import.meta.url)].map((u) =>
      u.pathname.replace(/\/$/, "")
    )
    : [];
  const read = [dataDir, dist, ...extra, ...modules];
  const jsonl = env("WCP_TELEMETRY_JSONL");
  const write = [dataDir, ...extra, ...(jsonl ? [jsonl] : [])];
  return [
    ...unstable,
    `--allow-net=${[...net].join(",")}`,
    `--allow-read=${read.join(",")}`,
    `--allow-write=${write.join(",")}`,
    `--allow-env=${HALL_ENV.join(",")}`,
  ];
}

async function runChild(script: URL, perms: string[], args: string[]): Promise<number> {
  // By name, so `--allow-run=deno` covers it wherever deno is installed on the PATH.
  const child = new Deno.Command("deno", {
    args: ["run", "--quiet", ...perms, script.pathname, ...args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const forward = (sig: Deno.Signal) => () => {
    try {
      child.kill(sig);
    } catch { /* already gone */ }
  };
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    const status = await child.status;
    return status.code;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

/**
 * The MCP server's permissions: its config and the config's directory (`rules` and `registry`
 * may be paths relative to it, or absolute), and for a config with `hall` the hall's host and
 * the token variable (`hall.token_env`, default `WCP_HALL_TOKEN`).
 */
export function mcpPermissions(args: string[]): string[] {
  const config = flagValue(args, "--config") ?? env("WCP_MCP_CONFIG");
  const envVars = ["WCP_MCP_CONFIG"];
  if (!config) return [`--allow-env=${envVars.join(",")}`];
  const read = [config, parentDir(config)];
  const net: string[] = [];
  const doc = configDoc(config);
  for (const field of ["rules", "registry"]) {
    const ref = doc?.[field];
    if (typeof ref === "string" && ref.startsWith("/")) read.push(ref);
  }
  const hall = doc?.hall as Record<string, unknown> | undefined;
  if (typeof hall === "object" && hall !== null && typeof hall.url === "string") {
    try {
      net.push(hostPort(hall.url, "hall.url"));
    } catch { /* the MCP server reports a bad hall.url itself */ }
    const tokenEnv = hall.token_env ?? "WCP_HALL_TOKEN";
    if (typeof tokenEnv === "string" && /^[A-Z_][A-Z0-9_]*$/.test(tokenEnv)) envVars.push(tokenEnv);
  }
  return [
    `--allow-env=${envVars.join(",")}`,
    `--allow-read=${read.join(",")}`,
    ...(net.length ? [`--allow-net=${net.join(",")}`] : []),
  ];
}

const serve: Command = {
  name: "serve",
  summary: "Start the hall server (flags pass through: --host, --port, --data-dir, --config, ...).",
  options: {},
  passthrough: true,
  details:
    "Runs src/hall/main.ts with network access to the hosts it uses, read/write access to its\n" +
    "data directory and read access to its config. `wcp serve --help` below is the hall's own help.\n" +
    "Example: wcp serve --port 8787 --data-dir ./data",
  async run(ctx) {
    const dataDir = flagValue(ctx.raw, "--data-dir") ?? env("WCP_DATA_DIR");
    if (dataDir !== undefined && !ctx.raw.includes("--help") && !ctx.raw.includes("-h")) {
      // The hall would die on mkdir with a stack trace; say it in one line instead.
      const info = await Deno.stat(dataDir).catch(() => null);
      if (info !== null && !info.isDirectory) {
        throw new UsageError(`--data-dir: ${dataDir} exists and is not a directory`);
      }
    }
    return await runChild(
      new URL("../hall/main.ts", import.meta.url),
      hallPermissions(ctx.raw),
      ctx.raw,
    );
  },
};

const mcp: Command = {
  name: "mcp",
  summary: "Start the WCP MCP server on stdio (--config FILE; without it, the demo configuration).",
  options: {},
  passthrough: true,
  details:
    "Runs mcp/main.ts with read access to its config file and that file's directory (plus, for a\n" +
    "config with a hall, network access to it and its token variable).\n" +
    "Example: wcp mcp --config wcp-mcp.json",
  async run(ctx) {
    return await runChild(
      new URL("../../mcp/main.ts", import.meta.url),
      mcpPermissions(ctx.raw),
      ctx.raw,
    );
  },
};

/** The serve and mcp commands. */
export const serveCommands: Command[] = [serve, mcp];
