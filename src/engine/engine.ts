/**
 * Dispatch: decide, then hold for a human or execute the selected worker and mint the receipt;
 * and the dispatch of an approved request (exactly once, within its deadline, after re-checking
 * its worker). The hall and the MCP server are faces of this one engine; it reaches the outside
 * only through the ports it is given.
 *
 * @module
 */

import { WcpError } from "../errors.ts";
import type { RouteDecision } from "../model.ts";
import type { Receipt } from "../receipts/mod.ts";
import { ApprovalError, approvalFacts, Approvals, approvedExpired } from "./approvals.ts";
import { receiptFields } from "./receipt_fields.ts";
import type {
  AppendedReceipt,
  ApprovalPrincipal,
  ApprovalSettings,
  Clock,
  EngineApproval,
  EngineStore,
  EventSink,
  WorkerCall,
  WorkerCaller,
  WorkerCheck,
  WorkerOutcome,
} from "./types.ts";

/** A decision, and (for faces that answer JSON) the decision already serialised. */
export interface Decided {
  /** The decision. */
  decision: RouteDecision;
  /** Its JSON, when the decider produced it. */
  json?: string | null;
}

/** How a face decides one request (the core's `makeDecision` with its world and gate). */
export type Decider = (
  input: Record<string, unknown>,
  by: ApprovalPrincipal | null,
) => Decided | Promise<Decided>;

/** What the engine reports of one execution (for a face's telemetry). */
export interface ExecutionReport {
  /** The decision that allowed it. */
  decision: RouteDecision;
  /** The worker. */
  worker_id: string;
  /** Epoch ms when the worker was called. */
  started_at: number;
  /** Epoch ms when it returned. */
  ended_at: number;
  /** What it came to. */
  outcome: WorkerOutcome;
  /** The receipt minted. */
  receipt: AppendedReceipt;
}

/** The ports and settings of an engine. */
export interface EngineOptions {
  /** Approvals, receipts, executed decisions. */
  store: EngineStore;
  /** Runs workers. */
  worker: WorkerCaller;
  /** The clock. */
  now: Clock;
  /** Decides one request. */
  decide: Decider;
  /** Approval settings in force (read on every transition). */
  settings: () => ApprovalSettings;
  /** Re-checks an approved request's worker against the world in force. */
  workers: () => WorkerCheck;
  /** Told of `dispatch` and `approval` events. */
  events?: EventSink;
  /** Called after a decision (and its hold) was recorded. */
  decided?: (decision: RouteDecision) => void | Promise<void>;
  /** Called after each execution's receipt was minted. */
  executed?: (report: ExecutionReport) => void;
}

/** What a dispatch produced. */
export interface EngineDispatch {
  /** The decision (for an approved request: the holding decision, now `DISPATCH`). */
  decision: RouteDecision;
  /** What the worker returned, when it ran. */
  result?: unknown;
  /** The receipt, when the worker ran (every execution has one). */
  receipt?: Receipt;
  /** Set when the worker ran and failed (the receipt records it). */
  worker_error?: string | null;
  /** The approval consumed, for approved requests. */
  approval_id?: string;
  /** The approval created by a hold, or consumed by an approved dispatch. */
  approval?: EngineApproval;
}

/** Who dispatches an approved request, to scope it (another tenant's is `APPROVAL_MISMATCH`). */
export interface ApprovedScope {
  /** The caller's tenant (omit: any tenant, e.g. an admin). */
  tenant_id?: string;
  /** The capability the caller names (omit: any). */
  capability_id?: string;
}

/**
 * The governance engine of one face.
 *
 * @example
 * ```ts ignore
 * const engine = new Engine({ store, worker, now: Date.now, decide, settings, workers });
 * const out = await engine.dispatch(input, { principal_id: "t1", label: "ci" });
 * ```
 */
export class Engine {
  /** The approvals state machine. */
  readonly approvals: Approvals;
  readonly #o: EngineOptions;

  /**
   * Create an engine.
   *
   * @param options The ports and settings.
   */
  constructor(options: EngineOptions) {
    this.#o = options;
    const events = options.events;
    this.approvals = new Approvals(
      options.store,
      options.now,
      options.settings,
      events
        ? (row, change, extra) => events("approval", approvalEvent(row, change, extra))
        : () => {},
    );
  }

  /**
   * Decide one request; a hold (not a dry run) records its approval, raised by `by`. `decider`
   * replaces the engine's for this call (a face that wants the JSON too).
   */
  async decide(
    input: Record<string, unknown>,
    by: ApprovalPrincipal | null,
    decider: Decider = this.#o.decide,
  ): Promise<Decided & { approval?: EngineApproval }> {
    const decided = await decider(input, by);
    const d = decided.decision;
    let approval: EngineApproval | undefined;
    if (d.outcome === "STEWARD_HOLD" && d.pending_approval_id && !d.dry_run) {
      approval = await this.approvals.hold(input, d, by, decided.json);
    }
    // (awaited only when it returns a promise: most decisions raise no alert)
    const after = this.#o.decided?.(d);
    if (after) await after;
    return approval ? { ...decided, approval } : decided;
  }

  /** Decide and, when allowed, execute; `by` (the caller) is recorded on a hold. */
  async dispatch(
    input: Record<string, unknown>,
    by: ApprovalPrincipal | null = null,
  ): Promise<EngineDispatch> {
    const { decision, approval } = await this.decide(input, by);
    if (decision.outcome !== "DISPATCH" || decision.dry_run) {
      return approval ? { decision, approval } : { decision };
    }
    return await this.#execute(decision, input, null, by);
  }

  /**
   * Execute an approved held request, exactly once: within `approval_ttl_seconds` of its
   * approval (`APPROVAL_EXPIRED`), its worker re-checked first (`WORKER_UNAVAILABLE`, and the
   * approval stays usable), scoped to the caller (`APPROVAL_MISMATCH`).
   */
  async dispatchApproved(approvalId: string, scope: ApprovedScope = {}): Promise<EngineDispatch> {
    await this.approvals.expire();
    const pre = await this.#o.store.getApproval(approvalId);
    if (
      pre && (
        (scope.tenant_id !== undefined && pre.tenant_id !== scope.tenant_id) ||
        (scope.capability_id !== undefined && pre.capability_id !== scope.capability_id)
      )
    ) {
      throw new ApprovalError(
        "APPROVAL_MISMATCH",
        `approval "${approvalId}" was granted for another tenant or capability`,
      );
    }
    if (pre?.status === "approved") {
      // Also checked here, from the approval time, in case a store keeps the pending deadline.
      if (this.approvals.approvedDeadline(pre) <= this.#o.now()) throw approvedExpired(pre);
      const held = pre.decision as RouteDecision;
      const why = this.#o.workers().unavailable(held.selected_worker_id ?? null);
      if (why !== null) {
        throw new EngineError("WORKER_UNAVAILABLE", "", `${why}; the approval stays usable`, {
          worker_id: held.selected_worker_id ?? null,
        });
      }
    }
    const consumed = await this.approvals.consume(approvalId);
    const held = consumed.decision as RouteDecision;
    const decision: RouteDecision = { ...held, outcome: "DISPATCH", denied: false };
    const out = await this.#execute(
      decision,
      consumed.input,
      consumed,
      consumed.requested_by ?? null,
    );
    return { ...out, approval: consumed };
  }

  async #execute(
    decision: RouteDecision,
    input: Record<string, unknown>,
    approval: EngineApproval | null,
    by: ApprovalPrincipal | null,
  ): Promise<EngineDispatch> {
    const o = this.#o;
    const workerId = decision.selected_worker_id;
    if (!workerId || !o.worker.canCall(workerId)) {
      const e = workerId
        ? new EngineError(
          "WORKER_NOT_EXECUTABLE",
          "",
          `no executor for worker "${workerId}" here`,
          {
            worker_id: workerId,
          },
        )
        : new EngineError("NO_SELECTED_WORKER", "", "the decision selected no worker");
      e.decision = decision;
      throw e;
    }
    const call: WorkerCall = {
      correlation_id: decision.correlation_id,
      decision_id: decision.decision_id,
      tenant_id: decision.tenant_id,
      capability_id: decision.capability_id,
      worker_id: workerId,
      request: (input.request ?? {}) as Record<string, unknown>,
      env: String(decision.env ?? input.env),
      data_label: String(decision.data_label ?? input.data_label),
    };
    await o.store.recordExecuted?.(decision);
    const startedAt = o.now();
    const dispatchedAt = new Date(startedAt).toISOString();
    // A worker's sub-request is the original caller's: a hold of it is theirs to not resolve.
    const outcome = await o.worker.call(call, async (sub) => {
      const { approval: _a, ...r } = await this.dispatch({
        ...sub,
        tenant_id: decision.tenant_id,
        correlation_id: decision.correlation_id,
        parent_decision_id: decision.decision_id,
      }, by);
      return r;
    });
    const endedAt = o.now();
    const facts = approval ? approvalFacts(approval) : null;
    const receipt = await o.store.appendReceipt(
      receiptFields(decision, call, outcome, facts, dispatchedAt),
      endedAt,
    );
    o.executed?.({
      decision,
      worker_id: workerId,
      started_at: startedAt,
      ended_at: endedAt,
      outcome,
      receipt,
    });
    const approvalId = approval?.approval_id ?? null;
    o.events?.("dispatch", {
      decision_id: decision.decision_id,
      correlation_id: decision.correlation_id,
      tenant_id: decision.tenant_id,
      capability_id: decision.capability_id,
      worker_id: workerId,
      ok: outcome.ok,
      receipt_id: receipt.receipt_id,
      seq: receipt.seq,
      approval_id: approvalId,
    });
    return {
      decision,
      result: outcome.result,
      receipt: receipt.receipt,
      worker_error: outcome.error,
      ...(approvalId ? { approval_id: approvalId } : {}),
    };
  }
}

/**
 * An engine refusal that carries facts for the caller (`details`), e.g. `WORKER_UNAVAILABLE`
 * with the worker id.
 *
 * @example
 * ```ts
 * import { EngineError } from "@wcp/core";
 * new EngineError("WORKER_UNAVAILABLE", "", "revoked", { worker_id: "w1" }).details.worker_id; // "w1"
 * ```
 */
export class EngineError extends WcpError {
  /** Facts for the caller. */
  readonly details: Record<string, unknown>;
  /** The decision the refusal came after, when there was one (not part of `details`). */
  decision?: RouteDecision;

  /** Create an engine error. */
  constructor(code: string, path: string, message: string, details: Record<string, unknown> = {}) {
    super(code, path, message);
    this.name = "EngineError";
    this.details = details;
  }
}

/**
 * The event an approval transition publishes.
 *
 * @example
 * ```ts
 * import { approvalEvent } from "@wcp/core";
 * approvalEvent({ approval_id: "a1", status: "pending" } as never, "created").change; // "created"
 * ```
 */
export function approvalEvent(
  a: EngineApproval,
  change: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    change,
    approval_id: a.approval_id,
    decision_id: a.decision_id,
    tenant_id: a.tenant_id,
    correlation_id: a.correlation_id,
    capability_id: a.capability_id,
    supervisor_level: a.supervisor_level,
    status: a.status,
    expires_at: a.expires_at,
    ...extra,
  };
}
