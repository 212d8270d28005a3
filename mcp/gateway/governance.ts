/**
 * The gateway's narrow use of governance: the same decide / hold / execute / receipt path as the
 * WCP MCP server (`Governor`), where the worker that executes is an upstream `tools/call`. Only
 * this file touches the `Governor`, so moving its internals (e.g. into an engine module) changes
 * one import here.
 *
 * @module
 */

import { Governor } from "../governor.ts";
import type {
  CallError,
  CallOptions,
  DispatchContext,
  GovernedResult,
  SessionIdentity,
} from "../governor.ts";
import type { WcpMcpConfig } from "../config.ts";
import type { WorkerFn } from "../builtin_workers.ts";
import type { ReceiptBook } from "../receipts.ts";
import type { LocalApprovalStore } from "../approvals.ts";
import type { RegistryRecord, RouteInput } from "../../src/model.ts";

export type { CallError, DispatchContext, GovernedResult, SessionIdentity };

/** State that outlives a rebuild (a changed tool set): receipt chains and approvals. */
export interface SharedGovernanceState {
  /** Receipt chains (signed with the gateway's key). */
  receipts: ReceiptBook;
  /** Approvals of held calls. */
  approvals: LocalApprovalStore;
}

/** What the gateway asks of governance. */
export interface GatewayGovernance {
  /** The request for a call, or the refusal naming the argument out of bounds. */
  input(
    capabilityId: string,
    request: Record<string, unknown>,
    options: CallOptions,
    session: SessionIdentity | null,
  ): RouteInput | CallError;
  /** Whether the tenant could call the capability at all (a dry-run decision that is not DENY). */
  mayCall(capabilityId: string, session: SessionIdentity | null): boolean;
  /** Decide, hold (asking the human through `ctx`), execute once allowed, receipt. */
  dispatch(input: RouteInput, approvalId: string | undefined, ctx: DispatchContext): Promise<
    GovernedResult
  >;
}

/**
 * Governance of one upstream tool: its registry record and the executor that calls the upstream.
 * The core selects workers by species (the rule's candidates), so each tool gets its own
 * registry holding only its record (species `wrk.mcp.<server>`): the rules, gate, floors,
 * receipts and approvals are shared by all tools.
 *
 * @example
 * ```ts ignore
 * const gov = gatewayGovernance(config.governance, record, executor, shared);
 * gov.mayCall("cap.mcp.fs.read_file", null);
 * ```
 */
export function gatewayGovernance(
  config: WcpMcpConfig,
  record: RegistryRecord,
  executor: WorkerFn,
  shared: SharedGovernanceState,
): GatewayGovernance {
  const gov = new Governor({ ...config, registry: [record], workers: {} }, {
    workers: { [record.worker_id]: executor },
    receipts: shared.receipts,
    approvals: shared.approvals,
  });
  return {
    input: (cap, request, options, session) => gov.buildInput(cap, request, options, session),
    mayCall(cap, session) {
      const input = gov.buildInput(cap, {}, {}, session);
      if ("code" in input) return false;
      return gov.decide(input, true).outcome !== "DENY";
    },
    dispatch: (input, approvalId, ctx) => gov.dispatch(input, approvalId, ctx),
  };
}
