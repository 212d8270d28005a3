/**
 * The MCP server's configuration: who the session acts for (tenant), where (env and the envs it may
 * ask for), how sensitive its data may be (data-label bounds), which rules and workers govern it,
 * and optionally which hall to use for approvals and dispatch.
 *
 * `parseMcpConfig` is pure; `loadMcpConfigFile` (in `load_config.ts`) does the file I/O.
 *
 * @module
 */

import { z } from "zod";
import {
  DATA_LABELS,
  type DataLabel,
  type Env,
  ENVS,
  QOS_CLASSES,
  type QosClass,
} from "../src/model.ts";
import { TENANT_RISKS, type TenantRisk } from "../src/model.ts";
import { WcpError } from "../src/errors.ts";
import type { GateTable } from "../src/gates/table.ts";
import { parseGateTable } from "../src/gates/table_parse.ts";
import { BUILTIN_WORKER_NAMES, type BuiltinWorkerName } from "./builtin_workers.ts";

/** How one enrolled worker is executed by this server. */
export type WorkerSpec =
  | {
    /** One of the demo workers shipped with the server. */
    builtin: BuiltinWorkerName;
    /** Current code hash reported for attestation (default: the registered hash). */
    current_hash?: string;
  }
  | {
    /** POST the call as JSON to this URL (needs `--allow-net` for its host). */
    http: string;
    /** JSON Schema of the request payload (becomes the tool's input schema). */
    input_schema?: Record<string, unknown>;
    /** JSON Schema of the worker's output object (the tool's output schema; enforced). */
    output_schema?: Record<string, unknown>;
    /** Current code hash reported for attestation (default: the registered hash). */
    current_hash?: string;
  };

/**
 * One clause of the older MCP gate form (`policy_gate.clauses[].when`); such a gate still loads,
 * converted to the shared gate table (`when` -> `match`).
 */
export interface PolicyClause {
  /** Exact values to match (all must hold); an absent field matches anything. */
  when: Partial<
    Record<"capability_id" | "env" | "data_label" | "tenant_risk" | "qos_class", string>
  >;
  /** What the gate answers when the clause matches. */
  decision: "ALLOW" | "DENY" | "REQUIRE_HUMAN";
  /** Why (shown to the caller). */
  reason: string;
  /** For `REQUIRE_HUMAN`: who must act. */
  supervisor_level?: "advisory" | "gatekeeper" | "executor" | "incident_commander";
}

/** The parsed, validated configuration. */
export interface WcpMcpConfig {
  /** A label shown in server info and logs. */
  name: string;
  /** True for the built-in demonstration configuration. */
  demo: boolean;
  /** The tenant this server acts for, unless an authenticated session names another. */
  tenant: { tenant_id: string; tenant_risk: TenantRisk } | null;
  /** Default environment of requests. */
  env: Env;
  /** Environments a caller may ask for (default: only `env`). */
  envs_allowed: Env[];
  /** Data-label bounds: callers may declare a label within [min, max]; default otherwise. */
  data_labels: { default: DataLabel; min: DataLabel; max: DataLabel };
  /** Default QoS class. */
  qos_class: QosClass;
  /** Policy version sent with requests. */
  policy_version: string;
  /** A rules document (as for `parseRules`). */
  rules: unknown;
  /** Registry records to enroll. */
  registry: unknown[];
  /** How enrolled workers execute, by worker id. */
  workers: Record<string, WorkerSpec>;
  /** Hall floors (partial `HallConfig`). */
  hall_config: Record<string, unknown>;
  /**
   * Declarative policy gate: the gate table shared with hall.json and the playground
   * (`policy_version`, `default`, `rules[].match`; first match wins), or null for none. The older
   * form (`version`, `clauses[].when`) is converted on load.
   */
  policy_gate: GateTable | null;
  /** A hall to use for approvals (and `wcp_dispatch` with `via: "hall"`), or null. */
  hall: { url: string; token_env: string } | null;
  /**
   * Offer the approval tools (`wcp_approval_resolve`, `wcp_approval_escalate`) to MCP sessions.
   * Default false (docs/protocol/trust.md#separation-of-duties): the requesting agent is not handed
   * a way to approve its own holds; the human answers through the client (elicitation), the
   * dashboard or the CLI. Even when on, a session cannot resolve its own hold unless
   * `hall_config.allow_self_approval`.
   */
  allow_resolve: boolean;
}

const env = z.enum(ENVS);
const label = z.enum(DATA_LABELS);

const workerSpec = z.union([
  z.strictObject({
    builtin: z.enum(BUILTIN_WORKER_NAMES),
    current_hash: z.string().optional(),
  }),
  z.strictObject({
    http: z.url({ protocol: /^https?$/ }),
    input_schema: z.record(z.string(), z.unknown()).optional(),
    output_schema: z.record(z.string(), z.unknown()).optional(),
    current_hash: z.string().optional(),
  }),
]);

const configSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).default("wcp-mcp"),
  demo: z.boolean().default(false),
  tenant: z.strictObject({
    tenant_id: z.string().min(1),
    tenant_risk: z.enum(TENANT_RISKS).default("low"),
  }).nullable().default(null),
  env: env.default("dev"),
  envs_allowed: z.array(env).min(1).optional(),
  data_labels: z.strictObject({
    default: label.default("INTERNAL"),
    min: label.default("PUBLIC"),
    max: label.default("INTERNAL"),
  }).default({ default: "INTERNAL", min: "PUBLIC", max: "INTERNAL" }),
  qos_class: z.enum(QOS_CLASSES).default("P2"),
  policy_version: z.string().min(1).default("policy.v0"),
  rules: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]),
  registry: z.array(z.unknown()).default([]),
  workers: z.record(z.string(), workerSpec).default({}),
  hall_config: z.record(z.string(), z.unknown()).default({}),
  // Validated by the shared gate table's own parser (parseGateTable), which names the field.
  policy_gate: z.unknown().optional(),
  hall: z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    token_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default("WCP_HALL_TOKEN"),
  }).nullable().default(null),
  allow_resolve: z.boolean().default(false),
});

function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    out += typeof p === "number" ? `[${p}]` : (out ? "." : "") + String(p);
  }
  return out;
}

/**
 * Validate an MCP server configuration document. Throws `WcpError` (code `MCP_CONFIG_INVALID`,
 * `path` = the offending field) on the first problem found.
 *
 * @example
 * ```ts
 * import { parseMcpConfig } from "./config.ts";
 * const cfg = parseMcpConfig({ tenant: { tenant_id: "acme" }, rules: { rules: [] } });
 * cfg.env; // "dev"
 * ```
 */
export function parseMcpConfig(doc: unknown): WcpMcpConfig {
  const parsed = configSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WcpError("MCP_CONFIG_INVALID", issuePath(issue.path), issue.message);
  }
  const c = parsed.data;
  const envsAllowed = c.envs_allowed ?? [c.env];
  if (!envsAllowed.includes(c.env)) {
    throw new WcpError(
      "MCP_CONFIG_INVALID",
      "envs_allowed",
      `must include the default env "${c.env}"`,
    );
  }
  const rank = (l: DataLabel) => DATA_LABELS.indexOf(l);
  const b = c.data_labels;
  if (rank(b.min) > rank(b.max)) {
    throw new WcpError(
      "MCP_CONFIG_INVALID",
      "data_labels.min",
      `"${b.min}" is above max "${b.max}"`,
    );
  }
  if (rank(b.default) < rank(b.min) || rank(b.default) > rank(b.max)) {
    throw new WcpError(
      "MCP_CONFIG_INVALID",
      "data_labels.default",
      `"${b.default}" is outside [${b.min}, ${b.max}]`,
    );
  }
  return {
    name: c.name,
    demo: c.demo,
    tenant: c.tenant,
    env: c.env,
    envs_allowed: envsAllowed,
    data_labels: b,
    qos_class: c.qos_class,
    policy_version: c.policy_version,
    rules: c.rules,
    registry: c.registry,
    workers: c.workers as Record<string, WorkerSpec>,
    hall_config: c.hall_config,
    policy_gate: c.policy_gate === undefined || c.policy_gate === null
      ? null
      : parseGateTable(c.policy_gate, "policy_gate", "MCP_CONFIG_INVALID"),
    hall: c.hall,
    allow_resolve: c.allow_resolve,
  };
}
