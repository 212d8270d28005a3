/**
 * The hall's configuration file (`hall.json` in the data directory) and the declarative policy
 * gate it can carry. Validated with zod: a bad file is refused with the field named.
 *
 * @module
 */

import { z } from "zod";
import { ENVS } from "../model.ts";
import type { PolicyContext, PolicyGateFn } from "../decision/policy.ts";
import { compileGateTable, type GateTable, matchGateTable } from "../gates/table.ts";
import { gateRuleObject, gateTableObject } from "../gates/table_schema.ts";
import { zodPath } from "./errors.ts";
import { WcpError } from "../errors.ts";
import { OAuthConfigSchema } from "../../mcp/oauth_config.ts";
import { parseHallGatewayConfig } from "../../mcp/gateway/config.ts";

/** One rule of the declarative policy gate (the shared gate table's, `src/gates/table.ts`). */
export const GateRuleSchema = gateRuleObject;

/** The declarative policy gate: the shared gate table (hall.json, MCP config, playground). */
export const GateConfigSchema = gateTableObject;
/** Parsed gate configuration. */
export type GateConfig = GateTable;

/** A Cedar policy gate: policies (a file beside hall.json, or inline) checked against the schema. */
export const CedarGateConfigSchema = z.strictObject({
  type: z.literal("cedar"),
  /** A Cedar policy file, relative to hall.json's directory; re-read on reload. */
  policies_file: z.string().min(1).optional(),
  /** Or the policies inline. */
  policies: z.string().min(1).max(1_000_000).optional(),
  /** Stamped on answers (default `cedar:` + 12 hex of the policy text's SHA-256). */
  policy_version: z.string().min(1).max(100).optional(),
}).refine((c) => (c.policies_file === undefined) !== (c.policies === undefined), {
  message: "give exactly one of policies_file or policies",
  path: ["policies_file"],
});
/** Parsed Cedar gate configuration. */
export type CedarGateConfig = z.infer<typeof CedarGateConfigSchema>;

/** A webhook policy gate: the context POSTed, signed, to `url`; fail closed. */
export const WebhookGateConfigSchema = z.strictObject({
  type: z.literal("webhook"),
  url: z.string().url().refine((u) => /^https?:\/\//.test(u), "must be http:// or https://"),
  /** Name of the environment variable holding the HMAC secret (>= 32 bytes). */
  secret_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name").optional(),
  /** Or a file holding it, relative to hall.json's directory. */
  secret_file: z.string().min(1).optional(),
  timeout_ms: z.number().int().min(50).max(30_000).default(2_000),
  /** Stamped on answers that carry no policy_version. */
  policy_version: z.string().min(1).max(100).default("webhook"),
  /** Cached answers kept at most (answers with cache_ttl_seconds). */
  cache_max_entries: z.number().int().min(0).max(1_000_000).default(10_000),
}).refine((c) => (c.secret_env === undefined) !== (c.secret_file === undefined), {
  message: "give exactly one of secret_env or secret_file",
  path: ["secret_env"],
});
/** Parsed webhook gate configuration. */
export type WebhookGateConfig = z.infer<typeof WebhookGateConfigSchema>;

/** `policy_gate`: the table (no `type`, or `"table"`), `"cedar"` or `"webhook"`. */
export const PolicyGateConfigSchema = z.preprocess(
  (v) =>
    typeof v === "object" && v !== null && !Array.isArray(v) && !("type" in v)
      ? { ...v, type: "table" }
      : v,
  z.discriminatedUnion("type", [
    gateTableObject.extend({ type: z.literal("table") }),
    CedarGateConfigSchema,
    WebhookGateConfigSchema,
  ]),
);
/** Parsed `policy_gate`. */
export type PolicyGateConfig = z.infer<typeof PolicyGateConfigSchema>;

/** `hall.json`. Every field is optional; flags and environment variables override it. */
export const HallFileConfigSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  /** Threads serving the port (`--threads`). */
  threads: z.number().int().min(1).max(64).optional(),
  /**
   * Seconds a connection may go without a request in flight (a slow or unfinished request head,
   * an idle keep-alive) before it is closed (`--header-timeout`; default 30; 0 = never).
   */
  header_timeout_seconds: z.number().min(0).max(3600).optional(),
  rules_file: z.string().min(1).optional(),
  database_url: z.string().min(1).optional(),
  hall_config: z.record(z.string(), z.unknown()).optional(),
  policy_gate: PolicyGateConfigSchema.optional(),
  allowed_hosts: z.array(z.string().min(1)).optional(),
  allowed_origins: z.array(z.string().url()).optional(),
  rate_limit_per_minute: z.number().int().min(0).optional(),
  max_body_bytes: z.number().int().min(1024).max(64 * 1024 * 1024).optional(),
  telemetry: z.strictObject({
    jsonl_path: z.string().min(1).optional(),
    otlp_endpoint: z.string().url().optional(),
  }).optional(),
  worker_timeout_ms: z.number().int().min(100).max(600_000).optional(),
  /** Origins (`http://127.0.0.1:9000`) namespace tokens may register as worker endpoints. */
  worker_origins: z.array(z.string().url()).optional(),
  /** An MCP server config file (see mcp/); when set, MCP is served at /mcp behind the hall's auth. */
  mcp_config: z.string().min(1).optional(),
  /**
   * OAuth 2.1 for `/mcp` (the MCP authorization spec): JWT access tokens of these issuers, bound
   * to the resource, besides the hall's own tokens (`mcp/oauth_config.ts`).
   */
  oauth: OAuthConfigSchema.optional(),
  /**
   * Existing MCP servers governed at `/mcp`: the gateway config file's shape (servers, tools,
   * defaults, tool_names and the session bounds) without what the hall decides itself (rules,
   * gate, floors, state); validated by `parseHallGatewayConfig`, errors name `gateway.<field>`.
   */
  gateway: z.record(z.string(), z.unknown()).optional(),
});
/** Parsed `hall.json`. */
export type HallFileConfig = z.infer<typeof HallFileConfigSchema>;

/** Validate a parsed `hall.json`; throws `WcpError` `CONFIG_INVALID` naming the field. */
export function parseHallFileConfig(doc: unknown): HallFileConfig {
  const r = HallFileConfigSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new WcpError("CONFIG_INVALID", zodPath(i.path), i.message);
  }
  if (r.data.gateway !== undefined) parseHallGatewayConfig(r.data.gateway, ".");
  return r.data;
}

/**
 * Compile the declarative gate into the core's `PolicyGateFn`. A Cedar or webhook `policy_gate`
 * is refused here (`CONFIG_INVALID`): the hall loads those with `loadGate` (gates.ts).
 */
export function compileGate(config: GateConfig | PolicyGateConfig): PolicyGateFn {
  if (config.type === "cedar" || config.type === "webhook") {
    throw new WcpError(
      "CONFIG_INVALID",
      "policy_gate.type",
      `a ${config.type} gate is run by the hall (loadGate in src/hall/gates.ts), not compiled`,
    );
  }
  return compileGateTable(config as GateTable);
}

/** The position of the table's first rule matching `ctx`, or -1 (the default applies). */
export function matchGateRule(config: GateConfig, ctx: PolicyContext): number {
  return matchGateTable(config, ctx);
}

/** Environments, re-exported for schema users. */
export const ENV_VALUES = ENVS;
