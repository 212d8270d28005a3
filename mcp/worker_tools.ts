/**
 * Governed worker tools, generated from the registry: one tool per capability that an enrolled,
 * executable worker serves. The client sees an ordinary tool; beneath it every call is routed,
 * gated, executed only when allowed, and receipted.
 *
 * @module
 */

import { z } from "zod";
import type { AuthInfo, McpServer } from "./_sdk_server.ts";
import { BUILTIN_WORKERS } from "./builtin_workers.ts";
import type { Governor, SessionIdentity } from "./governor.ts";
import { governedToolResult, guarded } from "./_results.ts";
import { callOptionsSchema } from "./_schemas.ts";
import { TENANT_RISKS, type TenantRisk } from "../src/model.ts";
import { WcpError } from "../src/errors.ts";
import { getCatalog } from "../src/catalog/mod.ts";
import { uuidV4 } from "../src/ids.ts";
import { dispatchContext, type McpSession, type ToolExtra } from "./_session.ts";

// A worker's JSON Schema as zod; a schema zod cannot represent is a configuration error.
function fromJsonSchema(
  schema: Record<string, unknown> | undefined,
  where: string,
): z.ZodType | undefined {
  if (!schema) return undefined;
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (e) {
    throw new WcpError(
      "MCP_CONFIG_INVALID",
      where,
      `unsupported JSON Schema: ${(e as Error).message}`,
    );
  }
}

/**
 * The MCP tool name of a capability: dots and hyphens become underscores.
 *
 * @example
 * ```ts
 * import { toolNameFor } from "./worker_tools.ts";
 * toolNameFor("cap.fin.initiate-payment"); // "cap_fin_initiate_payment"
 * ```
 */
export function toolNameFor(capabilityId: string): string {
  return capabilityId.replace(/[.-]/g, "_");
}

/**
 * The session identity of a request: the authenticated tenant (set by the HTTP layer in
 * `authInfo.extra.tenant_id`), or null to use the configured tenant.
 *
 * @example
 * ```ts
 * import { sessionFrom } from "./worker_tools.ts";
 * sessionFrom({ authInfo: { token: "", clientId: "acme", scopes: [], extra: { tenant_id: "acme" } } });
 * // { tenant_id: "acme" }
 * ```
 */
export function sessionFrom(extra: { authInfo?: AuthInfo }): SessionIdentity | null {
  const info = extra.authInfo?.extra;
  const tenant = info?.tenant_id;
  if (typeof tenant !== "string" || tenant.length === 0) return null;
  const risk = info?.tenant_risk;
  return {
    tenant_id: tenant,
    ...(typeof risk === "string" && (TENANT_RISKS as readonly string[]).includes(risk)
      ? { tenant_risk: risk as TenantRisk }
      : {}),
  };
}

/**
 * Register the generated worker tools; returns their names. `session` identifies the MCP session
 * (recorded as `requested_by` when a call is held).
 *
 * @example
 * ```ts
 * import { McpServer } from "./_sdk_server.ts";
 * import { Governor } from "./governor.ts";
 * import { demoConfig } from "./demo_config.ts";
 * import { registerWorkerTools } from "./worker_tools.ts";
 * const names = registerWorkerTools(new McpServer({ name: "x", version: "0" }), new Governor(demoConfig()));
 * names.includes("cap_doc_summarize"); // true
 * ```
 */
export function registerWorkerTools(
  server: McpServer,
  gov: Governor,
  session: McpSession = { id: uuidV4() },
): string[] {
  const names: string[] = [];
  const catalog = getCatalog();
  const options = callOptionsSchema(gov.config).optional().describe(
    "Governance options (env, data_label, qos_class, correlation_id, blast_score, approval_id)",
  );
  for (const capabilityId of gov.capabilities()) {
    const name = toolNameFor(capabilityId);
    if (names.includes(name)) continue;
    const spec = gov.specFor(capabilityId);
    const builtin = spec && "builtin" in spec ? BUILTIN_WORKERS[spec.builtin] : undefined;
    const http = !builtin && spec && "http" in spec ? spec : undefined;
    const payload: z.ZodType =
      fromJsonSchema(http?.input_schema, `workers.*.input_schema of ${capabilityId}`) ??
        z.record(z.string(), z.unknown());
    const output = fromJsonSchema(
      http?.output_schema,
      `workers.*.output_schema of ${capabilityId}`,
    );
    const inputSchema = builtin
      ? z.strictObject({ ...builtin.input, wcp: options })
      : z.strictObject({
        request: payload.describe("Request payload for the worker"),
        wcp: options,
      });
    const entry = catalog.get(capabilityId);
    const what = builtin?.description ?? entry?.description ?? `Runs ${capabilityId}.`;
    const description = `${what} Governed by WCP: ` +
      `each call is routed (${capabilityId}), gated and receipted; a denial returns isError with the ` +
      `deny code and decision id; a request held for a human returns STEWARD_HOLD with an approval id.`;
    server.registerTool(
      name,
      {
        title: entry ? `${entry.name} (${capabilityId})` : capabilityId,
        description,
        inputSchema,
        ...(builtin
          ? { outputSchema: z.object(builtin.output) }
          : output
          ? { outputSchema: output }
          : {}),
        annotations: { openWorldHint: !builtin },
        _meta: { "wcp/capability_id": capabilityId },
      },
      (args: Record<string, unknown>, extra: { authInfo?: AuthInfo } & ToolExtra) =>
        guarded(async () => {
          const { wcp, ...rest } = args as
            & { wcp?: Record<string, unknown> }
            & Record<string, unknown>;
          const request = builtin ? rest : (rest.request as Record<string, unknown>);
          const opts = wcp ?? {};
          const input = gov.buildInput(capabilityId, request, opts, sessionFrom(extra));
          if ("code" in input) {
            return governedToolResult({ decision: null, executed: false, error: input });
          }
          return governedToolResult(
            await gov.dispatch(
              input,
              opts.approval_id as string | undefined,
              dispatchContext(server, session, extra),
            ),
          );
        }),
    );
    names.push(name);
  }
  return names;
}
