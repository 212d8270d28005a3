/**
 * The gateway's configuration: which upstream MCP servers to front (a stdio command or a
 * Streamable HTTP URL, with connect and call timeouts), how each upstream tool becomes a governed
 * capability (default `cap.mcp.<server>.<tool>`, blast dimensions and controls per tool), and the
 * governance bounds shared with the WCP MCP server (tenant, env, data labels, rules, policy gate,
 * hall floors: the same fields and checks as `parseMcpConfig`).
 *
 * `parseGatewayConfig` is pure; `loadGatewayConfigFile` reads the file (rules may be a path).
 *
 * @module
 */

import { z } from "zod";
import { parseMcpConfig, type WcpMcpConfig } from "../config.ts";
import { WcpError } from "../../src/errors.ts";
import { isWcpId } from "../../src/ids.ts";
import type { BlastRadius, Env } from "../../src/model.ts";
import { ENVS } from "../../src/model.ts";

/** How the gateway reaches one upstream MCP server. */
export type UpstreamSpec =
  | {
    /** Executable to spawn (its stdio carries MCP). */
    command: string;
    /** Its arguments. */
    args: string[];
    /** Extra environment variables for it (besides HOME, LOGNAME, PATH, SHELL, TERM, USER). */
    env: Record<string, string>;
    /** Working directory (default: the gateway's). */
    cwd?: string;
    /** Milliseconds to wait for `initialize` (default 10000). */
    connect_timeout_ms: number;
    /** Milliseconds to wait for any later request, `tools/call` included (default 30000). */
    call_timeout_ms: number;
    /** Resources: `pass` (forwarded, default), `govern` (each read is a governed call), `off`. */
    resources: "pass" | "govern" | "off";
    /** Prompts: `pass` (default), `govern` or `off`. */
    prompts: "pass" | "govern" | "off";
  }
  | {
    /** Streamable HTTP endpoint of the upstream (`http://host:port/mcp`). */
    url: string;
    /** Extra request headers (for a bearer token: `{"authorization": "Bearer ..."}`). */
    headers: Record<string, string>;
    /** Milliseconds to wait for `initialize` (default 10000). */
    connect_timeout_ms: number;
    /** Milliseconds to wait for any later request (default 30000). */
    call_timeout_ms: number;
    /** Resources: `pass`, `govern` or `off`. */
    resources: "pass" | "govern" | "off";
    /** Prompts: `pass`, `govern` or `off`. */
    prompts: "pass" | "govern" | "off";
  };

/** How one upstream tool is governed (keys of `tools`: `<server>.<tool>`). */
export interface ToolPolicy {
  /** Capability id (default `cap.mcp.<server>.<tool>`, tool name lower-cased, other chars `-`). */
  capability_id?: string;
  /** Name shown to the client (default: see `tool_names`). */
  name?: string;
  /** The five blast dimensions of the tool (the registry record's `blast_radius`). */
  blast_radius?: BlastRadius;
  /** Controls the tool's worker implements (`currently_implements`). */
  controls?: string[];
  /** Risk tier of the record (default `low`). */
  risk_tier?: "low" | "medium" | "high" | "critical";
  /** Environments the tool may run in (default all). */
  allowed_environments?: Env[];
  /** `false` hides the tool and refuses its calls, whatever the rules say. */
  enabled?: boolean;
  /**
   * Tenants the tool serves (the registry record's `tenants`,
   * docs/protocol/trust.md#tenant-binding; default every tenant): another tenant neither sees it in
   * `tools/list` nor can call it.
   */
  tenants?: string[];
}

/** The parsed gateway configuration. */
export interface GatewayConfig {
  /** Governance bounds, rules, gate and floors (as for the WCP MCP server; no workers). */
  governance: WcpMcpConfig;
  /** Upstream servers by name (`[a-z0-9][a-z0-9_-]*`). */
  servers: Record<string, UpstreamSpec>;
  /** Per-tool policy, keyed `<server>.<tool>` (the upstream's tool name). */
  tools: Record<string, ToolPolicy>;
  /** Defaults for tools without their own entry. */
  defaults: Omit<ToolPolicy, "capability_id" | "name">;
  /**
   * Names shown to the client: `prefixed` (`<server>_<tool>`, the default with several servers)
   * or `upstream` (the upstream's own names, the default with one server).
   */
  tool_names: "prefixed" | "upstream";
  /**
   * Directory of the gateway's state: tool pins (`pins.json`), receipts (`receipts/`), the receipt
   * signing key and approvals. Default: `<config file>.state` next to the config; null keeps all
   * of it in memory (the quick form).
   */
  state_dir: string | null;
  /** True for the quick form's demo policy. */
  demo: boolean;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const dims = z.number().int().min(0).max(5);
const blast = z.strictObject({
  data: dims,
  network: dims,
  financial: dims,
  time: dims,
  reversibility: z.union([
    z.enum(["reversible", "partially-reversible", "difficult", "irreversible"]),
    dims,
  ]),
});
const env = z.enum(ENVS);
const mode = z.enum(["pass", "govern", "off"]);
const timeouts = {
  connect_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
  call_timeout_ms: z.number().int().min(100).max(3_600_000).default(30_000),
};

const upstreamSchema = z.union([
  z.strictObject({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    cwd: z.string().min(1).optional(),
    ...timeouts,
    resources: mode.default("pass"),
    prompts: mode.default("pass"),
  }),
  z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).default({}),
    ...timeouts,
    resources: mode.default("pass"),
    prompts: mode.default("pass"),
  }),
], { error: "an upstream needs either command (stdio) or url (Streamable HTTP)" });

const toolPolicy = {
  blast_radius: blast.optional(),
  controls: z.array(z.string().min(3).max(64)).optional(),
  risk_tier: z.enum(["low", "medium", "high", "critical"]).optional(),
  allowed_environments: z.array(env).min(1).optional(),
  enabled: z.boolean().optional(),
  tenants: z.array(z.string().min(1).max(128)).min(1).optional(),
};

const gatewaySchema = z.strictObject({
  servers: z.record(z.string(), upstreamSchema),
  tools: z.record(
    z.string(),
    z.strictObject({
      capability_id: z.string().optional(),
      name: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/).optional(),
      ...toolPolicy,
    }),
  ).default({}),
  defaults: z.strictObject(toolPolicy).default({}),
  tool_names: z.enum(["prefixed", "upstream"]).optional(),
  state_dir: z.string().min(1).nullable().optional(),
});

const GATEWAY_KEYS = ["servers", "tools", "defaults", "tool_names", "state_dir"] as const;

function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : (out ? "." : "") + String(p);
  return out;
}

function bad(path: string, message: string): never {
  throw new WcpError("GATEWAY_CONFIG_INVALID", path, message);
}

/**
 * The default capability id of an upstream tool: `cap.mcp.<server>.<tool>`, the tool name
 * lower-cased with every character other than a-z, 0-9, `-` and `_` turned into `-`. Null when
 * the result is no valid id (too long): the config must then map the tool.
 *
 * @example
 * ```ts
 * import { defaultCapabilityId } from "./config.ts";
 * defaultCapabilityId("fs", "write_file"); // "cap.mcp.fs.write_file"
 * defaultCapabilityId("everything", "get-sum"); // "cap.mcp.everything.get-sum"
 * ```
 */
export function defaultCapabilityId(server: string, tool: string): string | null {
  const seg = tool.toLowerCase().replace(/[^a-z0-9_-]/g, "-").replace(/^[-_]+/, "");
  const id = `cap.mcp.${server}.${seg}`;
  return seg !== "" && isWcpId(id, { strict: false }) ? id : null;
}

/**
 * Validate a gateway configuration document. `baseDir` resolves a relative `state_dir` (the
 * config file's directory); `defaultStateDir` is used when the document names none. Throws
 * `WcpError` (`GATEWAY_CONFIG_INVALID` or `MCP_CONFIG_INVALID`, `path` = the offending field).
 *
 * @example
 * ```ts
 * import { parseGatewayConfig } from "./config.ts";
 * const cfg = parseGatewayConfig({
 *   tenant: { tenant_id: "acme" },
 *   rules: { rules: [] },
 *   servers: { fs: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/srv"] } },
 * }, { baseDir: "/etc/wcp", defaultStateDir: null });
 * cfg.tool_names; // "upstream"
 * ```
 */
export function parseGatewayConfig(
  doc: unknown,
  options: { baseDir: string; defaultStateDir: string | null; demo?: boolean },
): GatewayConfig {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    bad("", "the gateway configuration must be a JSON object");
  }
  const d = doc as Record<string, unknown>;
  const own: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    if ((GATEWAY_KEYS as readonly string[]).includes(k)) own[k] = v;
    else rest[k] = v;
  }
  for (const k of ["registry", "workers", "hall", "allow_resolve"]) {
    if (k in rest) {
      bad(
        k,
        k === "registry" || k === "workers"
          ? "the gateway builds registry records for upstream tools itself; describe them under tools"
          : `not supported by the gateway (approvals are asked through the client or with ` +
            "`wcp gateway approvals`)",
      );
    }
  }
  const parsed = gatewaySchema.safeParse(own);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    bad(issuePath(issue.path), issue.message);
  }
  const g = parsed.data;
  const names = Object.keys(g.servers);
  if (names.length === 0) bad("servers", "name at least one upstream server");
  for (const n of names) {
    if (!NAME.test(n)) {
      bad(
        `servers.${n}`,
        "a server name is 1-32 of a-z, 0-9, - and _, starting with a letter or digit",
      );
    }
  }
  for (const [key, t] of Object.entries(g.tools)) {
    const dot = key.indexOf(".");
    const server = dot > 0 ? key.slice(0, dot) : "";
    if (!g.servers[server] || dot === key.length - 1) {
      bad(
        `tools.${key}`,
        `keys are <server>.<tool> with a configured server (${names.join(", ")})`,
      );
    }
    if (t.capability_id !== undefined && !isWcpId(t.capability_id, { strict: false })) {
      bad(`tools.${key}.capability_id`, `"${t.capability_id}" is not a WCP id (2-4 segments)`);
    }
    if (t.capability_id !== undefined && !t.capability_id.startsWith("cap.")) {
      bad(`tools.${key}.capability_id`, "a capability id starts with cap.");
    }
  }
  const governance = parseMcpConfig({ name: "wcp-gateway", ...rest });
  const stateDir = g.state_dir === undefined
    ? options.defaultStateDir
    : g.state_dir === null
    ? null
    : g.state_dir.startsWith("/")
    ? g.state_dir
    : `${options.baseDir}/${g.state_dir}`;
  return {
    governance,
    servers: g.servers as Record<string, UpstreamSpec>,
    tools: g.tools as Record<string, ToolPolicy>,
    defaults: g.defaults as GatewayConfig["defaults"],
    tool_names: g.tool_names ?? (names.length === 1 ? "upstream" : "prefixed"),
    state_dir: stateDir,
    demo: options.demo === true,
  };
}

/** Fields of the gateway config file that the hall decides itself (refused under `gateway`). */
const HALL_OWNED: Record<string, string> = {
  rules: "the hall's rules decide gateway calls (rules_file); route cap.mcp.<server>.<tool> there",
  policy_gate: "the hall's policy_gate applies to gateway calls",
  hall_config: "the hall's hall_config applies to gateway calls",
  hall: "the gateway is mounted in this hall",
  state_dir: "in the hall, pins live in its store and receipts in its chains",
  allow_resolve: "approvals are the hall's (dashboard, `wcp approvals`)",
};

/**
 * Validate hall.json's `gateway` section: the gateway config file's shape (servers, tools,
 * defaults, tool_names, and the session bounds: tenant, env, envs_allowed, data_labels,
 * qos_class, policy_version), without the parts the hall owns. Throws `WcpError`
 * `CONFIG_INVALID` with `path` = `gateway.<field>`.
 *
 * @example
 * ```ts
 * import { parseHallGatewayConfig } from "./config.ts";
 * const cfg = parseHallGatewayConfig({ servers: { fs: { command: "server-fs" } } }, "/etc/wcp");
 * cfg.state_dir; // null
 * ```
 */
export function parseHallGatewayConfig(doc: unknown, baseDir: string): GatewayConfig {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new WcpError("CONFIG_INVALID", "gateway", "must be an object (servers, tools, ...)");
  }
  for (const [k, why] of Object.entries(HALL_OWNED)) {
    if (k in doc) throw new WcpError("CONFIG_INVALID", `gateway.${k}`, `not allowed here: ${why}`);
  }
  try {
    return parseGatewayConfig(
      { name: "hall /mcp gateway", ...doc, rules: { rules: [] }, state_dir: null },
      { baseDir, defaultStateDir: null },
    );
  } catch (e) {
    if (!(e instanceof WcpError)) throw e;
    throw new WcpError(
      "CONFIG_INVALID",
      e.path ? `gateway.${e.path}` : "gateway",
      e.message,
    );
  }
}

/** The quick form's server name. */
export const QUICK_SERVER = "upstream";

/**
 * The quick form `wcp gateway -- COMMAND ARGS...`: one stdio upstream under a clearly labelled
 * DEMO policy: tenant `demo-tenant`, env `dev`, every tool allowed (one catch-all rule), upstream
 * tool names kept, receipts kept in memory and returned in `_meta["wcp/governance"]`, pins in
 * memory (pinned on first sight for the life of the process).
 *
 * @example
 * ```ts
 * import { quickGatewayConfig } from "./config.ts";
 * const cfg = quickGatewayConfig("deno", ["run", "server.ts"]);
 * cfg.demo; // true
 * ```
 */
export function quickGatewayConfig(command: string, args: string[]): GatewayConfig {
  return parseGatewayConfig({
    name: "wcp gateway DEMO policy (quick form: dev env, every tool allowed, receipts in memory)",
    demo: true,
    tenant: { tenant_id: "demo-tenant", tenant_risk: "low" },
    env: "dev",
    data_labels: { default: "INTERNAL", min: "PUBLIC", max: "RESTRICTED" },
    rules: {
      rules: [{
        rule_id: "demo.gateway.allow-all",
        decision: { candidate_workers_ranked: [{ worker_species_id: `wrk.mcp.${QUICK_SERVER}` }] },
      }],
    },
    servers: { [QUICK_SERVER]: { command, args } },
    tool_names: "upstream",
    state_dir: null,
  }, { baseDir: ".", defaultStateDir: null, demo: true });
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

async function readJson(path: string, field: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "file not found"
      : e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? `no read permission (grant --allow-read=${path})`
      : (e as Error).message;
    throw new WcpError("GATEWAY_CONFIG_UNREADABLE", field, `${path}: ${why}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new WcpError(
      "GATEWAY_CONFIG_INVALID",
      field,
      `${path}: invalid JSON (${(e as Error).message})`,
    );
  }
}

/** The default state directory of a config file: `<file>.state` beside it. */
export function defaultStateDirOf(configPath: string): string {
  return `${configPath.replace(/\.json$/, "")}.state`;
}

/**
 * Read and validate a gateway config file (`rules` may be a path relative to it).
 *
 * @example
 * ```ts ignore
 * import { loadGatewayConfigFile } from "./config.ts";
 * const cfg = await loadGatewayConfigFile("/etc/wcp/gateway.json");
 * ```
 */
export async function loadGatewayConfigFile(path: string): Promise<GatewayConfig> {
  const doc = await readJson(path, "");
  if (doc && typeof doc === "object" && !Array.isArray(doc)) {
    const d = doc as Record<string, unknown>;
    if (typeof d.rules === "string") {
      const ref = d.rules;
      d.rules = await readJson(ref.startsWith("/") ? ref : `${dirOf(path)}/${ref}`, "rules");
    }
  }
  return parseGatewayConfig(doc, {
    baseDir: dirOf(path),
    defaultStateDir: defaultStateDirOf(path),
  });
}
