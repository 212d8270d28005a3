// Turning governed results into MCP CallToolResults: structured content plus a text fallback,
// governance metadata under `_meta["wcp/governance"]`, and `isError` for every refusal.

import type { CallToolResult } from "./_sdk_server.ts";
import type { CallError, GovernedResult } from "./governor.ts";
import type { RouteDecision } from "../src/model.ts";
import { WcpError } from "../src/errors.ts";

/** The `_meta` key carrying governance metadata. */
export const GOVERNANCE_META_KEY = "wcp/governance";

/** Governance metadata attached to a worker tool result. */
export function governanceMeta(r: GovernedResult): Record<string, unknown> {
  const d = r.decision;
  return {
    decision_id: d?.decision_id ?? null,
    outcome: d?.outcome ?? null,
    matched_rule_id: d?.matched_rule_id ?? null,
    selected_worker_id: d?.selected_worker_id ?? null,
    required_controls_effective: d?.required_controls_effective ?? [],
    correlation_id: d?.correlation_id ?? null,
    policy_version: d?.policy_version ?? null,
    executed: r.executed,
    receipt: r.receipt ?? null,
    approval_id: r.approval?.approval_id ?? d?.pending_approval_id ?? null,
  };
}

/** A refusal: `isError`, the code, message and decision id in text and structured form. */
export function errorResult(
  error: CallError,
  decision: RouteDecision | null,
  meta?: Record<string, unknown>,
): CallToolResult {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.path ? { path: error.path } : {}),
      ...(error.status ? { status: error.status } : {}),
      decision_id: decision?.decision_id ?? null,
      ...(error.details ? error.details : {}),
    },
  };
  return {
    isError: true,
    content: [{ type: "text", text: JSON.stringify(body) }],
    ...(meta ? { _meta: { [GOVERNANCE_META_KEY]: meta } } : {}),
  };
}

/** A successful structured result (object content, JSON text fallback). */
export function okResult(
  value: Record<string, unknown>,
  meta?: Record<string, unknown>,
): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(value) }],
    structuredContent: value,
    ...(meta ? { _meta: { [GOVERNANCE_META_KEY]: meta } } : {}),
  };
}

/** The result of a governed call (worker tools and `wcp_dispatch`). */
export function governedToolResult(r: GovernedResult): CallToolResult {
  const meta = governanceMeta(r);
  if (r.error) return errorResult(r.error, r.decision, meta);
  const out = r.output;
  const structured = out !== null && typeof out === "object" && !Array.isArray(out)
    ? out as Record<string, unknown>
    : { result: out ?? null };
  return okResult(structured, meta);
}

/** Run a tool body, turning thrown `WcpError`s into error results (never a crash). */
export async function guarded(
  body: () => Promise<CallToolResult> | CallToolResult,
): Promise<CallToolResult> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof WcpError) {
      const status = (e as { status?: unknown }).status;
      return errorResult({
        code: e.code,
        message: e.message,
        path: e.path || undefined,
        ...(typeof status === "string" ? { status } : {}),
      }, null);
    }
    const message = e instanceof Error ? e.message : String(e);
    return errorResult({ code: "INTERNAL_ERROR", message }, null);
  }
}
