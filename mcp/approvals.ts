/**
 * Pending human approvals (spec 5.8). A held request (`STEWARD_HOLD`) is recorded here; a
 * supervisor approves, denies or escalates it; an approved request executes once, when the caller
 * repeats it with its `approval_id`.
 *
 * Two backends with one interface: `LocalApprovalStore` (in memory, this process only) and the
 * hall's (via `HallClient`, see `hall_backend.ts`).
 *
 * @module
 */

import type { RouteDecision, RouteInput, SupervisorLevel } from "../src/model.ts";
import { SUPERVISOR_LEVELS } from "../src/model.ts";
import { formatTimestamp } from "../src/ids.ts";
import { WcpError } from "../src/errors.ts";

/** Status of an approval. `consumed`: approved and executed (single use). */
export type ApprovalStatus = "pending" | "approved" | "denied" | "expired" | "consumed";

/** What callers see of an approval. */
export interface ApprovalView {
  /** Id to resolve. */
  approval_id: string;
  /** The decision that held the request. */
  decision_id: string;
  /** Current status. */
  status: ApprovalStatus;
  /** Requested capability. */
  capability_id: string;
  /** Requesting tenant. */
  tenant_id: string;
  /** Who must act. */
  supervisor_level: string;
  /** RFC 3339 creation time. */
  created_at: string;
  /** RFC 3339 expiry time. */
  expires_at: string;
  /** What the supervisor is shown. */
  escalation_context: Record<string, unknown> | null;
  /** Number of escalations so far. */
  escalations: number;
  /** The supervisor's note, when resolved or escalated. */
  note: string | null;
}

/** The approvals interface the tools use. */
export interface ApprovalBackend {
  /** `local` (in memory) or `hall`. */
  readonly kind: "local" | "hall";
  /**
   * Pending approvals, oldest first. `tenantId` scopes a local store to the caller's tenant (a
   * hall scopes by its own token rules and ignores it).
   */
  listPending(tenantId?: string): Promise<ApprovalView[]>;
  /** Approve or deny a pending approval. */
  resolve(
    id: string,
    decision: "approve" | "deny",
    note?: string,
    tenantId?: string,
  ): Promise<ApprovalView>;
  /** Raise a pending approval to the next supervisor level. */
  escalate(id: string, note?: string, tenantId?: string): Promise<ApprovalView>;
}

interface Entry {
  view: ApprovalView;
  input: RouteInput;
  request_hash: string | null;
  expiresMs: number;
}

/**
 * In-memory approvals for one server process (used when no hall URL is configured).
 *
 * @example
 * ```ts
 * import { LocalApprovalStore } from "./approvals.ts";
 * const store = new LocalApprovalStore();
 * (await store.listPending()).length; // 0
 * ```
 */
export class LocalApprovalStore implements ApprovalBackend {
  /** Always `local`. */
  readonly kind = "local" as const;
  #entries = new Map<string, Entry>();
  #now: () => number;

  /** @param now Clock in epoch milliseconds. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Record a held decision; returns its view. */
  hold(decision: RouteDecision, input: RouteInput): ApprovalView {
    const id = decision.pending_approval_id;
    if (!id) throw new WcpError("APPROVAL_INVALID", "pending_approval_id", "decision is not held");
    const now = this.#now();
    const expiresMs = decision.approval_expires_at ? Date.parse(decision.approval_expires_at) : now;
    const view: ApprovalView = {
      approval_id: id,
      decision_id: decision.decision_id,
      status: "pending",
      capability_id: decision.capability_id,
      tenant_id: decision.tenant_id,
      supervisor_level: decision.supervisor_level ?? "gatekeeper",
      created_at: formatTimestamp(now),
      expires_at: formatTimestamp(expiresMs),
      escalation_context: (decision.escalation_context ?? null) as Record<string, unknown> | null,
      escalations: 0,
      note: null,
    };
    this.#entries.set(id, { view, input, request_hash: decision.request_hash, expiresMs });
    return { ...view };
  }

  #get(id: string, tenantId?: string): Entry {
    const e = this.#entries.get(id);
    // Another tenant's approval is reported exactly like a missing one.
    if (!e || (tenantId !== undefined && e.view.tenant_id !== tenantId)) {
      throw new WcpError("APPROVAL_NOT_FOUND", "approval_id", `no approval "${id}"`);
    }
    if (e.view.status === "pending" && this.#now() >= e.expiresMs) e.view.status = "expired";
    return e;
  }

  #pending(id: string, tenantId?: string): Entry {
    const e = this.#get(id, tenantId);
    if (e.view.status !== "pending") {
      throw new WcpError(
        "APPROVAL_NOT_PENDING",
        "approval_id",
        `approval "${id}" is ${e.view.status}`,
      );
    }
    return e;
  }

  /** Pending approvals, oldest first. */
  listPending(tenantId?: string): Promise<ApprovalView[]> {
    const out: ApprovalView[] = [];
    for (const id of this.#entries.keys()) {
      const e = this.#get(id);
      if (
        e.view.status === "pending" && (tenantId === undefined || e.view.tenant_id === tenantId)
      ) {
        out.push({ ...e.view });
      }
    }
    return Promise.resolve(out);
  }

  /** Approve or deny. */
  resolve(
    id: string,
    decision: "approve" | "deny",
    note?: string,
    tenantId?: string,
  ): Promise<ApprovalView> {
    try {
      const e = this.#pending(id, tenantId);
      e.view.status = decision === "approve" ? "approved" : "denied";
      e.view.note = note ?? null;
      return Promise.resolve({ ...e.view });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Raise to the next supervisor level; fails at `incident_commander`. */
  escalate(id: string, note?: string, tenantId?: string): Promise<ApprovalView> {
    try {
      const e = this.#pending(id, tenantId);
      const i = SUPERVISOR_LEVELS.indexOf(e.view.supervisor_level as SupervisorLevel);
      if (i < 0 || i === SUPERVISOR_LEVELS.length - 1) {
        throw new WcpError(
          "APPROVAL_ESCALATION_EXHAUSTED",
          "approval_id",
          `approval "${id}" is already at ${e.view.supervisor_level}`,
        );
      }
      e.view.supervisor_level = SUPERVISOR_LEVELS[i + 1];
      e.view.escalations++;
      e.view.note = note ?? e.view.note;
      return Promise.resolve({ ...e.view });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Take an approved request for execution, exactly once. Returns the held input; throws when the
   * approval is unknown, not approved, or was held for another tenant or capability.
   */
  consume(id: string, tenantId: string, capabilityId: string): RouteInput {
    const e = this.#get(id);
    if (e.view.tenant_id !== tenantId || e.view.capability_id !== capabilityId) {
      throw new WcpError(
        "APPROVAL_MISMATCH",
        "approval_id",
        `approval "${id}" was granted for another tenant or capability`,
      );
    }
    if (e.view.status !== "approved") {
      throw new WcpError(
        "APPROVAL_NOT_APPROVED",
        "approval_id",
        `approval "${id}" is ${e.view.status}`,
      );
    }
    e.view.status = "consumed";
    return e.input;
  }
}
