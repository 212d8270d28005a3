// The MCP session behind a tool call: who it is (recorded as `requested_by` on a hold), and how a
// held call reaches the human behind the client (MCP elicitation, when the client declared the
// `elicitation` capability at initialize).

import type { McpServer } from "./_sdk_server.ts";
import type { ApprovalPrincipal } from "./approvals.ts";
import type { DispatchContext, DispatchEngine } from "./governor.ts";

/** One MCP session: a stdio connection, or (stateless HTTP) the handler and its caller. */
export interface McpSession {
  /** Stable id, unique per session (a UUID for stdio and in-process servers). */
  readonly id: string;
  /**
   * Who the mounting server authenticated (the hall's token): recorded as `requested_by` instead
   * of `mcp-session:<id>`.
   */
  readonly principal?: ApprovalPrincipal;
  /** The hall engine bound to that principal (the hall's own `/mcp`). */
  readonly engine?: DispatchEngine;
}

/** What the SDK hands a tool callback besides its arguments (the parts used here). */
export interface ToolExtra {
  /** Id of the tools/call request (elicitations are sent as related to it). */
  requestId?: string | number;
  /** Aborted when the client cancels the call. */
  signal?: AbortSignal;
}

const MIN_WAIT_MS = 60_000;
const MAX_WAIT_MS = 60 * 60_000;

function clientName(server: McpServer): string {
  const v = server.server.getClientVersion();
  return typeof v?.name === "string" && v.name !== "" ? v.name : "unknown MCP client";
}

/** The session's principal: the agent's side (`mcp-session:<id>`), named by its client. */
export function sessionPrincipal(server: McpServer, session: McpSession): ApprovalPrincipal {
  if (session.principal) return { ...session.principal };
  return { principal_id: `mcp-session:${session.id}`, label: clientName(server) };
}

/** The human answering through the client (`mcp-elicitation:<id>`). */
export function humanPrincipal(server: McpServer, session: McpSession): ApprovalPrincipal {
  return { principal_id: `mcp-elicitation:${session.id}`, label: clientName(server) };
}

/** Whether the connected client declared form elicitation (an empty object means form). */
export function clientCanElicit(server: McpServer): boolean {
  const e = server.server.getClientCapabilities()?.elicitation as
    | Record<string, unknown>
    | undefined;
  if (!e || typeof e !== "object") return false;
  return e.form !== undefined || Object.keys(e).length === 0;
}

/**
 * The dispatch context of one tool call: the requester, and `askHuman` when the client supports
 * elicitation (`elicitation/create` with the approval question, waiting until the approval's
 * deadline, at least a minute and at most an hour).
 */
export function dispatchContext(
  server: McpServer,
  session: McpSession,
  extra: ToolExtra,
): DispatchContext {
  const ctx: DispatchContext = {
    requestedBy: sessionPrincipal(server, session),
    ...(session.engine ? { engine: session.engine } : {}),
  };
  if (!clientCanElicit(server)) return ctx;
  ctx.askHuman = async (question, approval) => {
    const left = Date.parse(approval.expires_at) - Date.now();
    const timeout = Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, Number.isFinite(left) ? left : 0));
    const r = await server.server.elicitInput({
      mode: "form",
      message: question.message,
      requestedSchema: question.requestedSchema as never,
    }, {
      timeout,
      ...(extra.requestId !== undefined ? { relatedRequestId: extra.requestId } : {}),
      ...(extra.signal ? { signal: extra.signal } : {}),
    });
    const content = (r.content ?? {}) as Record<string, unknown>;
    const decision = content.decision === "approve" || content.decision === "deny"
      ? content.decision
      : undefined;
    return {
      action: r.action,
      ...(decision ? { decision } : {}),
      ...(typeof content.note === "string" ? { note: content.note } : {}),
      by: humanPrincipal(server, session),
    };
  };
  return ctx;
}
