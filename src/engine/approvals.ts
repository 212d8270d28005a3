/**
 * The approvals state machine (`pending` -> `approved` | `denied` | `expired`; `approved` ->
 * `consumed` | `expired`), shared by every face: hold, resolve with separation of duties,
 * escalate one level, expire, consume exactly once. Transitions go through the store port, whose
 * methods are atomic; the rules (who may resolve, which level is next, which error) live here.
 *
 * @module
 */

import { WcpError } from "../errors.ts";
import { type RouteDecision, SUPERVISOR_LEVELS, type SupervisorLevel } from "../model.ts";
import type {
  ApprovalFacts,
  ApprovalPrincipal,
  ApprovalSettings,
  ApprovalStatus,
  ApprovalStore,
  Clock,
  EngineApproval,
} from "./types.ts";

/**
 * A refusal about an approval: a `WcpError` with the approval's `status` where the approval
 * contract wants it and structured `details` (the hall adds them to its error body).
 *
 * @example
 * ```ts
 * import { ApprovalError } from "@wcp/core";
 * const e = new ApprovalError("APPROVAL_NOT_PENDING", "approval is denied", "denied");
 * e.code; // "APPROVAL_NOT_PENDING"
 * ```
 */
export class ApprovalError extends WcpError {
  /** The approval's status, when it matters. */
  readonly status: ApprovalStatus | undefined;
  /** Facts for the caller (e.g. `requested_by`, `supervisor_level`). */
  readonly details: Record<string, unknown>;

  /** Create an approval error (`path` defaults to `approval_id`). */
  constructor(
    code: string,
    message: string,
    status?: ApprovalStatus,
    details: Record<string, unknown> = {},
    path = "approval_id",
  ) {
    super(code, path, message);
    this.name = "ApprovalError";
    this.status = status;
    this.details = details;
  }
}

/**
 * The escalation ladder: each escalation moves a hold one level up.
 *
 * @example
 * ```ts
 * import { ESCALATION_LADDER } from "@wcp/core";
 * ESCALATION_LADDER[0]; // "advisory"
 * ```
 */
export const ESCALATION_LADDER: readonly SupervisorLevel[] = SUPERVISOR_LEVELS;

/**
 * The level above `level` on the ladder; null at the top. A level the ladder does not know goes
 * to the top.
 *
 * @example
 * ```ts
 * import { nextSupervisorLevel } from "@wcp/core";
 * nextSupervisorLevel("gatekeeper"); // "executor"
 * nextSupervisorLevel("incident_commander"); // null
 * ```
 */
export function nextSupervisorLevel(level: string): SupervisorLevel | null {
  const i = ESCALATION_LADDER.indexOf(level as SupervisorLevel);
  if (i === ESCALATION_LADDER.length - 1) return null;
  return i < 0 ? ESCALATION_LADDER[ESCALATION_LADDER.length - 1] : ESCALATION_LADDER[i + 1];
}

/**
 * The approval facts a receipt carries for an approved dispatch.
 *
 * @example
 * ```ts
 * import { approvalFacts } from "@wcp/core";
 * approvalFacts({ approval_id: "a1", resolved_by: null, note: null, resolved_at: null } as never)
 *   .approval_id; // "a1"
 * ```
 */
export function approvalFacts(a: EngineApproval): ApprovalFacts {
  return {
    approval_id: a.approval_id,
    resolved_by: a.resolved_by ? { ...a.resolved_by } : null,
    note: a.note,
    resolved_at: a.resolved_at,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The approvals of one engine: the state machine over a store, a clock and the settings.
 *
 * @example
 * ```ts ignore
 * const approvals = new Approvals(store, Date.now, { approval_ttl_seconds: 900,
 *   default_supervisor_level: "gatekeeper" });
 * await approvals.resolve(id, "approve", supervisor, "ok");
 * ```
 */
export class Approvals {
  readonly #store: ApprovalStore;
  readonly #now: Clock;
  readonly #settings: () => ApprovalSettings;
  readonly #publish: (row: EngineApproval, change: string, extra?: Record<string, unknown>) => void;

  /**
   * Create the state machine over a store.
   *
   * @param store The store port.
   * @param now The clock.
   * @param settings The settings in force (read on every transition).
   * @param publish Told of every transition.
   */
  constructor(
    store: ApprovalStore,
    now: Clock,
    settings: () => ApprovalSettings,
    publish: (row: EngineApproval, change: string, extra?: Record<string, unknown>) => void =
      () => {},
  ) {
    this.#store = store;
    this.#now = now;
    this.#settings = settings;
    this.#publish = publish;
  }

  #ttlMs(): number {
    return this.#settings().approval_ttl_seconds * 1000;
  }

  /**
   * Record a held decision raised by `by`; returns the row. `decisionJson` is `d` already
   * serialised (the face's answer), handed to the store so it is not serialised twice.
   */
  async hold(
    input: Record<string, unknown>,
    d: RouteDecision,
    by: ApprovalPrincipal | null,
    decisionJson?: string | null,
  ): Promise<EngineApproval> {
    if (!d.pending_approval_id) {
      throw new ApprovalError("APPROVAL_INVALID", "the decision is not held", undefined, {}, "");
    }
    const row = heldApproval(input, d, by, this.#settings(), this.#now());
    await this.#store.createApproval(row, decisionJson ?? undefined);
    this.#publish(row, "created");
    return row;
  }

  /** Expire overdue approvals (pending and approved-not-dispatched); returns them. */
  async expire(): Promise<EngineApproval[]> {
    const expired = await this.#store.expireApprovals(iso(this.#now()));
    for (const a of expired) this.#publish(a, "expired");
    return expired;
  }

  /** One approval (after expiring overdue ones), or `APPROVAL_UNKNOWN`. */
  async get(approvalId: string): Promise<EngineApproval> {
    await this.expire();
    const a = await this.#store.getApproval(approvalId);
    if (!a) throw unknown(approvalId);
    return a;
  }

  /**
   * Approve or deny a pending approval. The principal that raised the hold may not resolve it
   * (`APPROVER_IS_REQUESTER`) unless `allow_self_approval`; approving starts the dispatch
   * deadline (now + `approval_ttl_seconds`).
   */
  async resolve(
    approvalId: string,
    decision: "approve" | "deny",
    by: ApprovalPrincipal,
    note: string | null,
  ): Promise<EngineApproval> {
    if (!by || typeof by.principal_id !== "string" || by.principal_id === "") {
      throw new ApprovalError("APPROVAL_INVALID", "who resolves must be known", undefined, {}, "");
    }
    await this.expire();
    const held = await this.#store.getApproval(approvalId);
    const refused = resolveRefusal(approvalId, held, by, this.#settings().allow_self_approval);
    if (refused) throw refused;
    const at = this.#now();
    const row = await this.#store.resolveApproval(approvalId, {
      status: decision === "approve" ? "approved" : "denied",
      by: { principal_id: by.principal_id, label: String(by.label ?? "") },
      at: iso(at),
      note,
      ...(decision === "approve" ? { expires_at: iso(at + this.#ttlMs()) } : {}),
    });
    if (!row) throw await this.#notPending(approvalId);
    this.#publish(row, row.status);
    return row;
  }

  /** Escalate a pending approval one level with a fresh deadline; at the top, exhausted. */
  async escalate(approvalId: string, note: string | null): Promise<EngineApproval> {
    await this.expire();
    const current = await this.#store.getApproval(approvalId);
    const to = escalationTarget(approvalId, current);
    if (to instanceof ApprovalError) throw to;
    if (!current) throw unknown(approvalId);
    const now = this.#now();
    const row = await this.#store.escalateApproval(approvalId, {
      supervisor_level: to,
      at: iso(now),
      expires_at: iso(now + this.#ttlMs()),
      note,
    });
    if (!row) throw await this.#notPending(approvalId);
    this.#publish(row, "escalated", { from_level: current.supervisor_level, note });
    return row;
  }

  /** The deadline (ms) of an approved request: its approval time plus the time to live. */
  approvedDeadline(a: EngineApproval): number {
    return Date.parse(a.resolved_at ?? a.created_at) + this.#ttlMs();
  }

  /**
   * Take an approved request for execution, exactly once. Throws `APPROVAL_UNKNOWN`,
   * `APPROVAL_EXPIRED`, `APPROVAL_CONSUMED` or `APPROVAL_NOT_APPROVED` (with `status`).
   */
  async consume(approvalId: string): Promise<EngineApproval> {
    const consumed = await this.#store.consumeApproval(approvalId, iso(this.#now()));
    if (!consumed) {
      const a = await this.#store.getApproval(approvalId);
      // Still `approved` but not consumed: its dispatch deadline has passed.
      throw consumeRefusal(approvalId, a) ?? approvedExpired(a!);
    }
    this.#publish(consumed, "consumed");
    return consumed;
  }

  async #notPending(approvalId: string): Promise<ApprovalError> {
    return notPending(approvalId, await this.#store.getApproval(approvalId));
  }
}

/** Why a row that should be pending is not: unknown, expired or another status. */
function notPending(id: string, a: EngineApproval | null): ApprovalError {
  if (!a) return unknown(id);
  return a.status === "expired"
    ? new ApprovalError("APPROVAL_EXPIRED", `approval "${id}" expired`, "expired", {
      status: "expired",
    })
    : new ApprovalError("APPROVAL_NOT_PENDING", `approval "${id}" is ${a.status}`, a.status, {
      status: a.status,
    });
}

/**
 * Why `by` may not resolve the approval `a` now (null: it may): `APPROVAL_UNKNOWN`,
 * `APPROVAL_EXPIRED`, `APPROVAL_NOT_PENDING`, or `APPROVER_IS_REQUESTER` when `by` raised the
 * hold and self-approval is not allowed (rows that name no requester name nobody to refuse).
 *
 * @example
 * ```ts
 * import { resolveRefusal } from "@wcp/core";
 * const by = { principal_id: "t1", label: "ci" };
 * resolveRefusal("a1", { status: "pending", requested_by: by } as never, by, false)?.code;
 * // "APPROVER_IS_REQUESTER"
 * ```
 */
export function resolveRefusal(
  id: string,
  a: EngineApproval | null,
  by: ApprovalPrincipal,
  allowSelfApproval: boolean | undefined,
): ApprovalError | null {
  if (!a || a.status !== "pending") return notPending(id, a);
  if (a.requested_by?.principal_id === by.principal_id && allowSelfApproval !== true) {
    return new ApprovalError(
      "APPROVER_IS_REQUESTER",
      `approval "${id}" was raised by this principal (${by.principal_id}); another supervisor ` +
        "must resolve it (or set hall_config.allow_self_approval)",
      "pending",
      { requested_by: a.requested_by },
    );
  }
  return null;
}

/**
 * The level a pending approval escalates to, or why it cannot (`APPROVAL_UNKNOWN`,
 * `APPROVAL_EXPIRED`, `APPROVAL_NOT_PENDING`, `APPROVAL_ESCALATION_EXHAUSTED` at the top).
 *
 * @example
 * ```ts
 * import { escalationTarget } from "@wcp/core";
 * escalationTarget("a1", { status: "pending", supervisor_level: "executor" } as never);
 * // "incident_commander"
 * ```
 */
export function escalationTarget(
  id: string,
  a: EngineApproval | null,
): SupervisorLevel | ApprovalError {
  if (!a || a.status !== "pending") return notPending(id, a);
  const to = nextSupervisorLevel(a.supervisor_level);
  if (to !== null) return to;
  return new ApprovalError(
    "APPROVAL_ESCALATION_EXHAUSTED",
    `approval "${id}" is already at ${a.supervisor_level}, the top of the escalation ladder`,
    "pending",
    { supervisor_level: a.supervisor_level },
  );
}

/**
 * The pending approval row of a held decision (`expires_at`: the decision's, else now + TTL).
 *
 * @example
 * ```ts
 * import { heldApproval } from "@wcp/core";
 * const row = heldApproval({}, { pending_approval_id: "a1", decision_id: "d1", tenant_id: "acme",
 *   correlation_id: "c1", capability_id: "cap.x.y", timestamp: "2026-01-01T00:00:00.000Z" } as never,
 *   null, { approval_ttl_seconds: 60, default_supervisor_level: "gatekeeper" }, 0);
 * row.status; // "pending"
 * ```
 */
export function heldApproval(
  input: Record<string, unknown>,
  d: RouteDecision,
  by: ApprovalPrincipal | null,
  settings: ApprovalSettings,
  nowMs: number,
): EngineApproval {
  if (!d.pending_approval_id) {
    throw new ApprovalError("APPROVAL_INVALID", "the decision is not held", undefined, {}, "");
  }
  return {
    approval_id: d.pending_approval_id,
    decision_id: d.decision_id,
    tenant_id: d.tenant_id,
    correlation_id: d.correlation_id,
    capability_id: d.capability_id,
    supervisor_level: d.supervisor_level ?? settings.default_supervisor_level,
    status: "pending",
    input,
    decision: d,
    created_at: d.timestamp ?? iso(nowMs),
    expires_at: d.approval_expires_at ?? iso(nowMs + settings.approval_ttl_seconds * 1000),
    requested_by: by ? { principal_id: by.principal_id, label: by.label } : null,
    resolved_at: null,
    resolved_by: null,
    note: null,
    escalations: 0,
    consumed_at: null,
  };
}

/**
 * Why an approval cannot be consumed now (null: it can, it is `approved`): `APPROVAL_UNKNOWN`,
 * `APPROVAL_EXPIRED`, `APPROVAL_CONSUMED` or `APPROVAL_NOT_APPROVED`, each with `status`.
 *
 * @example
 * ```ts
 * import { consumeRefusal } from "@wcp/core";
 * consumeRefusal("a1", null)?.code; // "APPROVAL_UNKNOWN"
 * ```
 */
export function consumeRefusal(id: string, a: EngineApproval | null): ApprovalError | null {
  if (!a) return unknown(id);
  if (a.status === "approved") return null;
  if (a.status === "expired") return approvedExpired(a);
  if (a.status === "consumed") {
    return new ApprovalError(
      "APPROVAL_CONSUMED",
      `approval "${id}" was already used (an approved request runs once)`,
      "consumed",
      { status: "consumed" },
    );
  }
  return new ApprovalError(
    "APPROVAL_NOT_APPROVED",
    `approval "${id}" is ${a.status}, not approved`,
    a.status,
    { status: a.status },
  );
}

function unknown(id: string): ApprovalError {
  return new ApprovalError("APPROVAL_UNKNOWN", `no approval "${id}"`);
}

/** `APPROVAL_EXPIRED` for an approved request not dispatched in time. */
export function approvedExpired(a: EngineApproval): ApprovalError {
  return new ApprovalError(
    "APPROVAL_EXPIRED",
    `approval "${a.approval_id}" expired: an approved request must be dispatched within the ` +
      "approval time to live",
    "expired",
    { status: "expired", approval_id: a.approval_id },
  );
}
