/**
 * The `wcp_*` tools: decision-only routing, generic dispatch, catalog search and explanation, the
 * worker list, attestation and receipt verification, and human approvals.
 *
 * @module
 */

import { z } from "zod";
import type { AuthInfo, CallToolResult, McpServer } from "./_sdk_server.ts";
import type { Governor } from "./governor.ts";
import type { ApprovalBackend } from "./approvals.ts";
import { errorResult, governedToolResult, guarded, okResult } from "./_results.ts";
import { callOptionsShape, capabilityIdSchema, requestSchema } from "./_schemas.ts";
import { sessionFrom } from "./worker_tools.ts";
import { explain, searchCatalog } from "../src/catalog/mod.ts";
import type { CatalogEntryType, RiskTier } from "../src/catalog/types.ts";
import { packageHash, trustedKeysFromRecord, verifyManifest } from "../src/attestation/mod.ts";
import { normalizeDigest } from "../src/encoding/hash.ts";
import { uuidV4 } from "../src/ids.ts";
import { dispatchContext, type McpSession, sessionPrincipal, type ToolExtra } from "./_session.ts";

/** Names of the fixed tools registered by default, in registration order. */
export const WCP_TOOL_NAMES = [
  "wcp_route",
  "wcp_dispatch",
  "wcp_catalog_search",
  "wcp_explain",
  "wcp_workers_list",
  "wcp_attestation_verify",
  "wcp_receipts_verify",
  "wcp_approvals_list",
] as const;

/**
 * The approval tools, registered only with `allow_resolve: true`
 * (docs/protocol/trust.md#separation-of-duties: the requesting agent is not offered a way to
 * approve its own holds; the human answers through the client, the dashboard or the CLI).
 */
export const APPROVAL_TOOL_NAMES = ["wcp_approval_resolve", "wcp_approval_escalate"] as const;

type Extra = { authInfo?: AuthInfo } & ToolExtra;

const decisionSummary = {
  decision_id: z.string(),
  outcome: z.enum(["DISPATCH", "DENY", "STEWARD_HOLD"]),
  denied: z.boolean(),
  deny_code: z.string().nullable(),
  deny_message: z.string().nullable(),
  matched_rule_id: z.string(),
  selected_worker_id: z.string().nullable(),
  required_controls_effective: z.array(z.string()),
  supervisor_required: z.boolean(),
  decision: z.record(z.string(), z.unknown()),
};

const principal = z.object({ principal_id: z.string(), label: z.string() }).passthrough();

const approvalView = z.object({
  approval_id: z.string(),
  decision_id: z.string(),
  status: z.string(),
  capability_id: z.string(),
  tenant_id: z.string(),
  supervisor_level: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  escalation_context: z.record(z.string(), z.unknown()).nullable(),
  escalations: z.number().int(),
  note: z.string().nullable(),
  requested_by: principal.nullable().optional(),
  resolved_by: principal.nullable().optional(),
  resolved_at: z.string().nullable().optional(),
}).passthrough();

function approvalsNote(backend: ApprovalBackend): string {
  return backend.kind === "hall"
    ? "Approvals are the hall's (via HallClient), shared by every hall client."
    : "Approvals are kept in this server's memory (no hall URL configured; lost on restart), " +
      "scoped to your tenant.";
}

/**
 * Register the `wcp_*` tools; returns their names. The approval tools
 * ({@link APPROVAL_TOOL_NAMES}) only with `allow_resolve: true`; `session` identifies the MCP
 * session (the requester of its holds, who may not resolve them).
 *
 * @example
 * ```ts
 * import { McpServer } from "./_sdk_server.ts";
 * import { Governor } from "./governor.ts";
 * import { demoConfig } from "./demo_config.ts";
 * import { registerWcpTools } from "./tools.ts";
 * const gov = new Governor(demoConfig());
 * registerWcpTools(new McpServer({ name: "x", version: "0" }), gov, gov.approvals);
 * ```
 */
export function registerWcpTools(
  server: McpServer,
  gov: Governor,
  approvals: ApprovalBackend,
  session: McpSession = { id: uuidV4() },
): string[] {
  const opts = callOptionsShape(gov.config);
  const routeArgs = z.strictObject({
    capability_id: capabilityIdSchema.describe("Capability to route, e.g. cap.doc.summarize"),
    request: requestSchema.optional().describe("Request payload (default {})"),
    ...opts,
  });

  server.registerTool("wcp_route", {
    title: "Route (dry run)",
    description:
      "Decide a capability request without executing anything: returns the WCP decision " +
      "(outcome DISPATCH, DENY or STEWARD_HOLD, matched rule, selected worker, controls). A dry run " +
      "creates no approval and no receipt.",
    inputSchema: routeArgs,
    outputSchema: z.object(decisionSummary),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, (args: z.infer<typeof routeArgs>, extra: Extra) =>
    guarded(async () => {
      const { capability_id, request, ...o } = args;
      const input = gov.buildInput(capability_id, request ?? {}, o, sessionFrom(extra));
      if ("code" in input) return errorResult(input, null);
      const d = await gov.route(input, session.engine ?? gov.engine);
      return okResult({
        decision_id: d.decision_id,
        outcome: d.outcome,
        denied: d.denied,
        deny_code: d.deny_reason_if_denied?.code ?? null,
        deny_message: d.deny_reason_if_denied?.message ?? null,
        matched_rule_id: d.matched_rule_id,
        selected_worker_id: d.selected_worker_id,
        required_controls_effective: d.required_controls_effective,
        supervisor_required: d.supervisor_required,
        decision: d as unknown as Record<string, unknown>,
      });
    }));

  server.registerTool("wcp_dispatch", {
    title: "Dispatch (governed)",
    description:
      "Route a capability request and, if allowed, execute the selected worker on this " +
      "server; returns the worker output with governance metadata (_meta['wcp/governance']: decision " +
      "id, matched rule, controls, receipt). Denials return isError with the deny code and decision " +
      "id. A request held for a human (STEWARD_HOLD) is put to the human through the client when it " +
      "supports MCP elicitation, and runs once if approved; otherwise the result names the " +
      "approval id and where a supervisor approves it.",
    inputSchema: routeArgs,
    annotations: { readOnlyHint: false, openWorldHint: true },
  }, (args: z.infer<typeof routeArgs>, extra: Extra) =>
    guarded(async () => {
      const { capability_id, request, ...o } = args;
      const input = gov.buildInput(capability_id, request ?? {}, o, sessionFrom(extra));
      if ("code" in input) return errorResult(input, null);
      return governedToolResult(
        await gov.dispatch(input, o.approval_id, dispatchContext(server, session, extra)),
      );
    }));

  const searchArgs = z.strictObject({
    query: z.string().max(200).describe("Words to search for; empty lists everything"),
    type: z.enum(["capability", "species", "control", "policy", "profile", "event"]).optional(),
    namespace: z.string().max(64).optional().describe('Domain ("doc") or id prefix ("cap.doc")'),
    risk_tier: z.enum(["low", "medium", "high", "critical"]).optional(),
    tags: z.array(z.string().max(64)).max(10).optional(),
    limit: z.number().int().min(1).max(100).optional().describe("Default 20"),
    offset: z.number().int().min(0).optional(),
  });
  server.registerTool("wcp_catalog_search", {
    title: "Search the WCP catalog",
    description:
      "Search capabilities, worker species, controls, policies, profiles and events of " +
      "the WCP catalog (typo tolerant, ranked, with facets).",
    inputSchema: searchArgs,
    outputSchema: z.object({
      query: z.string(),
      total: z.number().int(),
      hits: z.array(
        z.object({
          id: z.string(),
          type: z.string(),
          name: z.string(),
          description: z.string(),
          status: z.string(),
          score: z.number(),
        }).passthrough(),
      ),
      facets: z.record(z.string(), z.unknown()),
      corrections: z.record(z.string(), z.string()),
    }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, (args: z.infer<typeof searchArgs>) =>
    guarded(() => {
      const r = searchCatalog(args.query, {
        type: args.type as CatalogEntryType | undefined,
        namespace: args.namespace,
        riskTier: args.risk_tier as RiskTier | undefined,
        tags: args.tags,
        limit: args.limit ?? 20,
        offset: args.offset ?? 0,
      });
      const hits = r.hits.map(({ entry: _entry, ...h }) => h);
      return okResult({
        query: r.query,
        total: r.total,
        hits,
        facets: r.facets,
        corrections: r.corrections,
      });
    }));

  const explainArgs = z.strictObject({
    id: z.string().min(3).max(64).describe("Catalog id, e.g. cap.doc.summarize"),
  });
  server.registerTool("wcp_explain", {
    title: "Explain a catalog id",
    description:
      "Show one catalog entry with its relations (which species serve a capability, which " +
      "controls a species requires, which profiles include a control, tombstones).",
    inputSchema: explainArgs,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, (args: z.infer<typeof explainArgs>) =>
    guarded(() => {
      const e = explain(args.id);
      if (!e) {
        return errorResult({
          code: "CATALOG_ID_UNKNOWN",
          path: "id",
          message: `"${args.id}" is not in the catalog`,
        }, null);
      }
      return okResult(e as unknown as Record<string, unknown>);
    }));

  const workersArgs = z.strictObject({
    capability_id: capabilityIdSchema.optional().describe("Only workers serving this capability"),
  });
  server.registerTool("wcp_workers_list", {
    title: "List enrolled workers",
    description:
      "Workers enrolled in this server's registry, with capabilities, risk tier, status, " +
      "allowed environments and whether this server can execute them.",
    inputSchema: workersArgs,
    outputSchema: z.object({
      workers: z.array(
        z.object({
          worker_id: z.string(),
          worker_species_id: z.string(),
          capabilities: z.array(z.string()),
          executable: z.boolean(),
        }).passthrough(),
      ),
    }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, (args: z.infer<typeof workersArgs>) =>
    guarded(() => {
      const workers = gov.registry.workers()
        .filter((w) => !args.capability_id || w.capabilities.includes(args.capability_id))
        .map((w) => ({
          worker_id: w.worker_id,
          worker_species_id: w.worker_species_id,
          capabilities: w.capabilities,
          risk_tier: w.risk_tier ?? null,
          status: w.status ?? "active",
          allowed_environments: w.allowed_environments ?? null,
          currently_implements: w.currently_implements ?? [],
          registered_hash: gov.registry.registeredHash(w.worker_id),
          executable: gov.canExecute(w.worker_id),
        }));
      return okResult({ workers });
    }));

  const fileSchema = z.strictObject({
    path: z.string().min(1).max(1024),
    size: z.number().int().min(0),
    sha256: z.string().min(64).max(71),
  });
  const attestArgs = z.strictObject({
    worker_id: z.string().min(3).max(128).describe("Enrolled worker id"),
    manifest: z.record(z.string(), z.unknown()).optional().describe(
      "Signed package manifest (Ed25519)",
    ),
    files: z.array(fileSchema).max(10_000).optional().describe(
      "Package files {path, size, sha256} as hashed now (e.g. by `wcp attest hash`)",
    ),
  });
  server.registerTool("wcp_attestation_verify", {
    title: "Verify worker attestation",
    description:
      "Compare a worker's registered code hash with its current one and, given a signed " +
      "manifest and the package's file list, verify the manifest against the keys in the worker's " +
      "registry record (Ed25519; namespace bound to worker_id).",
    inputSchema: attestArgs,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, (args: z.infer<typeof attestArgs>) =>
    guarded(async () => {
      const rec = gov.registry.get(args.worker_id);
      if (!rec) {
        return errorResult({
          code: "WORKER_UNKNOWN",
          path: "worker_id",
          message: `"${args.worker_id}" is not enrolled`,
        }, null);
      }
      const registered = gov.registry.registeredHash(args.worker_id);
      const current = gov.currentHash(args.worker_id);
      const hashes = {
        registered_hash: registered,
        current_hash: current,
        hash_matches: registered !== null && current !== null &&
          normalizeDigest(registered) === normalizeDigest(current),
      };
      if (!args.manifest) return okResult({ worker_id: args.worker_id, ...hashes, manifest: null });
      if (!args.files) {
        return errorResult({
          code: "ATTEST_FILES_REQUIRED",
          path: "files",
          message: "a manifest needs the package file list to verify against",
        }, null);
      }
      const result = await verifyManifest({
        manifest: args.manifest,
        computed: packageHash(args.files),
        workerId: rec.worker_id,
        workerSpeciesId: rec.worker_species_id,
        mode: "ed25519",
        keys: trustedKeysFromRecord(rec),
      });
      return okResult({
        worker_id: args.worker_id,
        ...hashes,
        manifest: result as unknown as Record<string, unknown>,
      });
    }));

  const receiptsArgs = z.strictObject({
    receipts: z.array(z.record(z.string(), z.unknown())).max(100_000).optional().describe(
      "Receipts to verify (default: this session's tenant chain kept by this server)",
    ),
    keys: z.array(z.strictObject({
      key_id: z.string().min(1).max(200),
      public_key: z.string().min(1).max(200).describe("base64 raw 32-byte Ed25519 key"),
    })).max(50).optional().describe("Extra trusted signing keys (e.g. a hall's receipt key)"),
  });
  server.registerTool("wcp_receipts_verify", {
    title: "Verify evidence receipts",
    description:
      "Verify a receipt hash chain (hashes, Ed25519 signatures, links, order). Without " +
      "arguments it verifies the chain of receipts this server minted for your tenant; receipts " +
      "you pass are checked against this server's key plus any keys you give.",
    inputSchema: receiptsArgs,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, (args: z.infer<typeof receiptsArgs>, extra: Extra) =>
    guarded(async () => {
      const tenant = sessionFrom(extra)?.tenant_id ?? gov.config.tenant?.tenant_id;
      const engine = session.engine ?? gov.engine;
      if (!args.receipts && engine?.verifyChain && tenant) {
        const report = await engine.verifyChain(tenant) as Record<string, unknown>;
        return okResult({ tenant_id: tenant, source: "hall", ...report });
      }
      const report = args.receipts
        ? await gov.receipts.verify(args.receipts, args.keys ?? [])
        : await gov.receipts.verifyTenant(tenant ?? "");
      return okResult(
        { tenant_id: args.receipts ? null : tenant ?? null, ...report } as Record<string, unknown>,
      );
    }));

  const note = approvalsNote(approvals);
  // A local store shows and resolves only the caller's tenant's approvals.
  const tenantOf = (extra: Extra): string | undefined =>
    approvals.kind === "local"
      ? (sessionFrom(extra)?.tenant_id ?? gov.config.tenant?.tenant_id ?? "")
      : undefined;
  server.registerTool("wcp_approvals_list", {
    title: "List pending approvals",
    description: `Requests held for a human (STEWARD_HOLD), oldest first. ${note}`,
    inputSchema: z.strictObject({}),
    outputSchema: z.object({
      backend: z.enum(["local", "hall"]),
      approvals: z.array(approvalView),
    }),
    annotations: {
      readOnlyHint: true,
      idempotentHint: true,
      openWorldHint: approvals.kind === "hall",
    },
  }, (_args: Record<string, never>, extra: Extra) =>
    guarded(async () => {
      const list = await approvals.listPending(tenantOf(extra));
      return okResult({
        backend: approvals.kind,
        approvals: list as unknown as Record<string, unknown>[],
      });
    }));

  const names: string[] = [...WCP_TOOL_NAMES];
  if (!gov.config.allow_resolve) return names;
  names.push(...APPROVAL_TOOL_NAMES);

  const resolveArgs = z.strictObject({
    approval_id: z.string().min(1).max(128),
    decision: z.enum(["approve", "deny"]),
    note: z.string().max(2000).optional(),
  });
  server.registerTool("wcp_approval_resolve", {
    title: "Resolve an approval",
    description:
      "A supervisor's answer to a held request: approve (the requester may then execute " +
      "it once, by repeating the call with approval_id) or deny. This is a human's decision: confirm " +
      "with the user before calling. The session whose request was held cannot resolve it " +
      `(APPROVER_IS_REQUESTER) unless hall_config.allow_self_approval. ${note}`,
    inputSchema: resolveArgs,
    outputSchema: approvalView,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  }, (args: z.infer<typeof resolveArgs>, extra: Extra) =>
    guarded(async () => {
      const v = await approvals.resolve(
        args.approval_id,
        args.decision,
        args.note,
        tenantOf(extra),
        sessionPrincipal(server, session),
      );
      return okResult(v as unknown as Record<string, unknown>);
    }));

  const escalateArgs = z.strictObject({
    approval_id: z.string().min(1).max(128),
    note: z.string().max(2000).optional(),
  });
  server.registerTool(
    "wcp_approval_escalate",
    {
      title: "Escalate an approval",
      description: "Raise a pending approval one supervisor level (advisory, gatekeeper, " +
        `executor, incident_commander), renewing its deadline. ${note}`,
      inputSchema: escalateArgs,
      outputSchema: approvalView,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    },
    (args: z.infer<typeof escalateArgs>, extra: Extra): Promise<CallToolResult> =>
      guarded(async () => {
        const v = await approvals.escalate(args.approval_id, args.note, tenantOf(extra));
        return okResult(v as unknown as Record<string, unknown>);
      }),
  );
  return names;
}
