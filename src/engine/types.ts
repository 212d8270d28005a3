/**
 * The engine's vocabulary: the one `WorkerCall`, the approval row, and the ports through which the
 * engine reaches the outside (store, worker caller, signer, clock, event sink).
 *
 * @module
 */

import type { ApprovalPrincipal, ApprovalStatus } from "../client/wire.ts";
import type { RouteDecision, SupervisorLevel } from "../model.ts";
import type { Receipt, ReceiptFields } from "../receipts/mod.ts";
import type { Ed25519Signer } from "../attestation/ed25519.ts";

export type { ApprovalPrincipal, ApprovalStatus };

/**
 * What a worker receives (the hall POSTs it as JSON; in-process and MCP workers get the object).
 *
 * @example
 * ```ts
 * import type { WorkerCall } from "@wcp/core";
 * const call: WorkerCall = { correlation_id: "c1", decision_id: "d1", tenant_id: "acme",
 *   capability_id: "cap.doc.summarize", worker_id: "org.acme.sum.1", request: { text: "hi" },
 *   env: "dev", data_label: "INTERNAL" };
 * ```
 */
export interface WorkerCall {
  /** Propagated correlation id. */
  correlation_id: string;
  /** The dispatching decision: pass it as `parent_decision_id` when asking for more. */
  decision_id: string;
  /** Requesting tenant. */
  tenant_id: string;
  /** Capability to perform. */
  capability_id: string;
  /** The worker being called. */
  worker_id: string;
  /** The payload. */
  request: Record<string, unknown>;
  /** Environment of the request. */
  env: string;
  /** Data label of the request. */
  data_label: string;
}

/** Model usage a worker reported in its result (`usage`), for telemetry. */
export interface WorkerUsage {
  /** Model name. */
  model?: string;
  /** Input tokens. */
  input_tokens?: number;
  /** Output tokens. */
  output_tokens?: number;
}

/** What a worker call came to (never a thrown error). */
export interface WorkerOutcome {
  /** Whether the worker succeeded. */
  ok: boolean;
  /** What it returned (null on failure, unless the worker answered an error body). */
  result: unknown;
  /** Why it failed, else null. */
  error: string | null;
  /** Model usage the result reported. */
  usage?: WorkerUsage;
  /** `sha256:` + SHA-256 of the JCS form of a successful result; null on failure. */
  result_hash: string | null;
}

/** An approval as the engine keeps it (the hall's `HallApproval` row). */
export interface EngineApproval {
  /** The decision's `pending_approval_id`. */
  approval_id: string;
  /** The holding decision's id. */
  decision_id: string;
  /** Tenant of the request. */
  tenant_id: string;
  /** Correlation id of the request. */
  correlation_id: string;
  /** Requested capability. */
  capability_id: string;
  /** Who must act now. */
  supervisor_level: string;
  /** Current state. */
  status: ApprovalStatus;
  /** The held RouteInput (replayed when the approved request is dispatched). */
  input: Record<string, unknown>;
  /** The holding decision. */
  decision: RouteDecision | Record<string, unknown>;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339 deadline of the current state (pending: to resolve; approved: to dispatch). */
  expires_at: string;
  /** Who raised the hold (null when unknown). */
  requested_by: ApprovalPrincipal | null;
  /** RFC 3339 of approve/deny, else null. */
  resolved_at: string | null;
  /** Who approved or denied it, else null. */
  resolved_by: ApprovalPrincipal | null;
  /** The resolver's note, else null. */
  note: string | null;
  /** Escalations so far. */
  escalations: number;
  /** RFC 3339 when the approved request was dispatched, else null. */
  consumed_at: string | null;
}

/** The approval facts an approved dispatch's receipt carries (`approval`). */
export interface ApprovalFacts {
  /** The approval that allowed the dispatch. */
  approval_id: string;
  /** Who approved it. */
  resolved_by: ApprovalPrincipal | null;
  /** Their note. */
  note: string | null;
  /** When (RFC 3339). */
  resolved_at: string | null;
}

/** A minted receipt and where it sits in its chain. */
export interface AppendedReceipt {
  /** Receipt id. */
  receipt_id: string;
  /** Position in the tenant chain. */
  seq: number;
  /** The receipt. */
  receipt: Receipt;
}

/**
 * The approvals half of the store port: each transition atomic, so several processes on one
 * store agree. A store may throw the precise `ApprovalError` instead of answering null.
 */
export interface ApprovalStore {
  /**
   * Insert a new pending approval. `decisionJson`, when given, is `row.decision` already
   * serialised (the face's answer text): a store that keeps JSON text may use it instead of
   * serialising the decision a second time.
   */
  createApproval(row: EngineApproval, decisionJson?: string): Promise<void>;
  /** An approval, or null. */
  getApproval(approvalId: string): Promise<EngineApproval | null>;
  /** Approve or deny, only if `pending` and `expires_at > at`; null otherwise. */
  resolveApproval(
    approvalId: string,
    resolution: {
      status: "approved" | "denied";
      by: ApprovalPrincipal;
      at: string;
      note: string | null;
      expires_at?: string;
    },
  ): Promise<EngineApproval | null>;
  /** Raise the level of a pending, unexpired approval with a new deadline; null otherwise. */
  escalateApproval(
    approvalId: string,
    escalation: { supervisor_level: string; at: string; expires_at: string; note?: string | null },
  ): Promise<EngineApproval | null>;
  /** Mark overdue `pending`/`approved` approvals `expired`; returns them. */
  expireApprovals(now: string): Promise<EngineApproval[]>;
  /** `approved` -> `consumed` exactly once if `expires_at > at`; null otherwise. */
  consumeApproval(approvalId: string, at: string): Promise<EngineApproval | null>;
}

/**
 * The store port: approvals, receipts and the record of executed decisions. The hall's
 * `HallStore` plus its receipt service is one implementation; the MCP server's in-memory
 * approvals and receipt book are another.
 */
export interface EngineStore extends ApprovalStore {
  /** Mint (sign, chain) and append the receipt of an execution; `at` is the end time (ms). */
  appendReceipt(fields: ReceiptFields, at: number): Promise<AppendedReceipt>;
  /** Remember an executed decision before its worker runs (parents of worker chains). */
  recordExecuted?(decision: RouteDecision): Promise<void>;
}

/** How the engine runs a worker. */
export interface WorkerCaller {
  /** Whether this caller can run the worker (else `WORKER_NOT_EXECUTABLE`, nothing recorded). */
  canCall(workerId: string): boolean;
  /**
   * Call the worker; never throws. `sub` dispatches a sub-request on behalf of the same caller
   * (a worker chain).
   */
  call(
    call: WorkerCall,
    sub: (input: Record<string, unknown>) => Promise<unknown>,
  ): Promise<WorkerOutcome>;
}

/** The signing port (Ed25519): what a receipt store signs with. */
export type Signer = Ed25519Signer;

/** The clock port: epoch milliseconds. */
export type Clock = () => number;

/** The event port: `decision`, `dispatch`, `approval` events. */
export type EventSink = (kind: "dispatch" | "approval", payload: Record<string, unknown>) => void;

/** What the engine needs of the world to re-check an approved request's worker. */
export interface WorkerCheck {
  /**
   * Whether the worker may still run: enrolled, not revoked, no banned hash, code unchanged.
   * Null when it may; else why not.
   */
  unavailable(workerId: string | null): string | null;
}

/** Approval settings (from `HallConfig`). */
export interface ApprovalSettings {
  /** Seconds a hold may wait, and an approved request may wait to be dispatched. */
  approval_ttl_seconds: number;
  /** Let the requester resolve its own hold. */
  allow_self_approval?: boolean;
  /** The level of a hold whose decision names none. */
  default_supervisor_level: SupervisorLevel | string;
}
