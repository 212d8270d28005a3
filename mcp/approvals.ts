/**
 * Pending human approvals (spec 5.8), under the approval contract the hall shares: a held request
 * (`STEWARD_HOLD`) is recorded with who raised it; a supervisor (never the requester, unless
 * `hall_config.allow_self_approval`) approves, denies or escalates it; an approved request runs
 * exactly once, within `approval_ttl_seconds` of its approval.
 *
 * Statuses: `pending`, `approved`, `denied`, `expired`, `consumed`. Codes: `APPROVAL_UNKNOWN`,
 * `APPROVAL_NOT_PENDING` (with `status`), `APPROVAL_EXPIRED`, `APPROVAL_CONSUMED`,
 * `APPROVAL_NOT_APPROVED`, `APPROVAL_ESCALATION_EXHAUSTED`, `APPROVAL_MISMATCH`,
 * `APPROVER_IS_REQUESTER`.
 *
 * Two backends with one interface: `LocalApprovalStore` (in memory, this process only) and the
 * hall's (via `HallClient`, see `hall_backend.ts`; the hall enforces the same rules itself).
 *
 * @module
 */

import type { RouteDecision, RouteInput, SupervisorLevel } from "../src/model.ts";
import { SUPERVISOR_LEVELS } from "../src/model.ts";
import { formatTimestamp } from "../src/ids.ts";
import { WcpError } from "../src/errors.ts";

/** Status of an approval. `consumed`: approved and executed (single use). */
export type ApprovalStatus = "pending" | "approved" | "denied" | "expired" | "consumed";

/**
 * Who raised or resolved a hold: an MCP session (`mcp-session:<id>`), the human answering through
 * the client (`mcp-elicitation:<id>`), or a hall token (id and label).
 */
export interface ApprovalPrincipal {
  /** Stable id of the principal. */
  principal_id: string;
  /** What to show: the client's name, the token's label. */
  label: string;
}

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
  /**
   * RFC 3339 deadline: to resolve a pending approval, or (once approved) to dispatch the approved
   * request.
   */
  expires_at: string;
  /** What the supervisor is shown. */
  escalation_context: Record<string, unknown> | null;
  /** Number of escalations so far. */
  escalations: number;
  /** The resolver's note (or the last escalation's), else null. */
  note: string | null;
  /** The principal whose request was held (null when unknown, e.g. an old hall row). */
  requested_by: ApprovalPrincipal | null;
  /** The principal that approved or denied it, else null. */
  resolved_by: ApprovalPrincipal | null;
  /** RFC 3339 time of approval or denial, else null. */
  resolved_at: string | null;
}

/** The approval facts an approved dispatch's evidence receipt carries (`approval`). */
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

/** The approvals interface the tools use. */
export interface ApprovalBackend {
  /** `local` (in memory) or `hall`. */
  readonly kind: "local" | "hall";
  /**
   * Pending approvals, oldest first. `tenantId` scopes a local store to the caller's tenant (a
   * hall scopes by its own token rules and ignores it).
   */
  listPending(tenantId?: string): Promise<ApprovalView[]>;
  /**
   * Approve or deny a pending approval. `by` is the resolving principal (a local store refuses the
   * requester with `APPROVER_IS_REQUESTER`; a hall knows the caller from its token).
   */
  resolve(
    id: string,
    decision: "approve" | "deny",
    note?: string,
    tenantId?: string,
    by?: ApprovalPrincipal,
  ): Promise<ApprovalView>;
  /** Raise a pending approval one supervisor level (and renew its deadline). */
  escalate(id: string, note?: string, tenantId?: string): Promise<ApprovalView>;
}

/** A refusal about an approval, carrying the approval's `status` where the contract wants it. */
export class ApprovalError extends WcpError {
  /** The approval's status, when it matters (`APPROVAL_NOT_PENDING`). */
  readonly status: ApprovalStatus | undefined;

  /** Create an approval error (`path` is always `approval_id`). */
  constructor(code: string, message: string, status?: ApprovalStatus) {
    super(code, "approval_id", message);
    this.name = "ApprovalError";
    this.status = status;
  }
}

/** The escalation ladder: one level per escalation, `advisory` to `incident_commander`. */
export const ESCALATION_LADDER: readonly SupervisorLevel[] = SUPERVISOR_LEVELS;

interface Entry {
  view: ApprovalView;
  input: RouteInput;
  /** Deadline of the current state (pending: to resolve; approved: to dispatch). */
  deadlineMs: number;
}

/** Options of `LocalApprovalStore`. */
export interface LocalApprovalOptions {
  /** Time to live of a pending approval, and of an approved one from its approval (default 900). */
  ttlSeconds?: number;
  /** Let the requester resolve its own hold (`hall_config.allow_self_approval`; default false). */
  allowSelfApproval?: boolean;
}

/**
 * In-memory approvals for one server process (used when no hall URL is configured).
 *
 * @example
 * ```ts
 * import { LocalApprovalStore } from "./approvals.ts";
 * const store = new LocalApprovalStore(Date.now, { ttlSeconds: 900 });
 * (await store.listPending()).length; // 0
 * ```
 */
export class LocalApprovalStore implements ApprovalBackend {
  /** Always `local`. */
  readonly kind = "local" as const;
  #entries = new Map<string, Entry>();
  #now: () => number;
  #ttlMs: number;
  #allowSelf: boolean;

  /**
   * @param now Clock in epoch milliseconds.
   * @param options Time to live and the self-approval switch.
   */
  constructor(now: () => number = Date.now, options: LocalApprovalOptions = {}) {
    this.#now = now;
    this.#ttlMs = (options.ttlSeconds ?? 900) * 1000;
    this.#allowSelf = options.allowSelfApproval === true;
  }

  /** Record a held decision raised by `requestedBy`; returns its view. */
  hold(
    decision: RouteDecision,
    input: RouteInput,
    requestedBy: ApprovalPrincipal | null = null,
  ): ApprovalView {
    const id = decision.pending_approval_id;
    if (!id) throw new WcpError("APPROVAL_INVALID", "pending_approval_id", "decision is not held");
    const now = this.#now();
    const deadlineMs = decision.approval_expires_at
      ? Date.parse(decision.approval_expires_at)
      : now + this.#ttlMs;
    const view: ApprovalView = {
      approval_id: id,
      decision_id: decision.decision_id,
      status: "pending",
      capability_id: decision.capability_id,
      tenant_id: decision.tenant_id,
      supervisor_level: decision.supervisor_level ?? "gatekeeper",
      created_at: formatTimestamp(now),
      expires_at: formatTimestamp(deadlineMs),
      escalation_context: (decision.escalation_context ?? null) as Record<string, unknown> | null,
      escalations: 0,
      note: null,
      requested_by: requestedBy ? { ...requestedBy } : null,
      resolved_by: null,
      resolved_at: null,
    };
    this.#entries.set(id, { view, input, deadlineMs });
    return copy(view);
  }

  /** One approval (any status), or null; tenant-scoped like the other calls. */
  get(id: string, tenantId?: string): ApprovalView | null {
    try {
      return copy(this.#get(id, tenantId).view);
    } catch {
      return null;
    }
  }

  #get(id: string, tenantId?: string): Entry {
    const e = this.#entries.get(id);
    // Another tenant's approval is reported exactly like a missing one.
    if (!e || (tenantId !== undefined && e.view.tenant_id !== tenantId)) {
      throw new ApprovalError("APPROVAL_UNKNOWN", `no approval "${id}"`);
    }
    const s = e.view.status;
    if ((s === "pending" || s === "approved") && this.#now() >= e.deadlineMs) {
      e.view.status = "expired";
    }
    return e;
  }

  #pending(id: string, tenantId?: string): Entry {
    const e = this.#get(id, tenantId);
    if (e.view.status === "expired") {
      throw new ApprovalError("APPROVAL_EXPIRED", `approval "${id}" expired`, "expired");
    }
    if (e.view.status !== "pending") {
      throw new ApprovalError(
        "APPROVAL_NOT_PENDING",
        `approval "${id}" is ${e.view.status}`,
        e.view.status,
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
        out.push(copy(e.view));
      }
    }
    return Promise.resolve(out);
  }

  /**
   * Approve or deny, recording `by`, the note and the time. The requester of the hold may not
   * resolve it (`APPROVER_IS_REQUESTER`) unless self-approval is allowed. Approving starts the
   * dispatch deadline (`approval_ttl_seconds` from now).
   */
  resolve(
    id: string,
    decision: "approve" | "deny",
    note?: string,
    tenantId?: string,
    by?: ApprovalPrincipal,
  ): Promise<ApprovalView> {
    try {
      if (!by || typeof by.principal_id !== "string" || by.principal_id === "") {
        throw new WcpError("APPROVAL_INVALID", "resolved_by", "who resolves must be known");
      }
      const e = this.#pending(id, tenantId);
      const requester = e.view.requested_by?.principal_id;
      if (!this.#allowSelf && requester !== undefined && requester === by.principal_id) {
        throw new ApprovalError(
          "APPROVER_IS_REQUESTER",
          `approval "${id}" was raised by this session (${by.principal_id}); another supervisor ` +
            "must resolve it (or set hall_config.allow_self_approval)",
          "pending",
        );
      }
      const now = this.#now();
      e.view.status = decision === "approve" ? "approved" : "denied";
      e.view.note = note ?? null;
      e.view.resolved_by = { principal_id: by.principal_id, label: String(by.label ?? "") };
      e.view.resolved_at = formatTimestamp(now);
      if (decision === "approve") {
        e.deadlineMs = now + this.#ttlMs;
        e.view.expires_at = formatTimestamp(e.deadlineMs);
      }
      return Promise.resolve(copy(e.view));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Raise one level up the ladder (advisory, gatekeeper, executor, incident_commander) with a
   * fresh deadline; at the top `APPROVAL_ESCALATION_EXHAUSTED`. A level the ladder does not know
   * goes to the top.
   */
  escalate(id: string, note?: string, tenantId?: string): Promise<ApprovalView> {
    try {
      const e = this.#pending(id, tenantId);
      const i = ESCALATION_LADDER.indexOf(e.view.supervisor_level as SupervisorLevel);
      if (i === ESCALATION_LADDER.length - 1) {
        throw new ApprovalError(
          "APPROVAL_ESCALATION_EXHAUSTED",
          `approval "${id}" is already at ${e.view.supervisor_level}, the top of the ladder`,
          "pending",
        );
      }
      e.view.supervisor_level = i < 0
        ? ESCALATION_LADDER[ESCALATION_LADDER.length - 1]
        : ESCALATION_LADDER[i + 1];
      e.view.escalations++;
      e.view.note = note ?? e.view.note;
      e.deadlineMs = this.#now() + this.#ttlMs;
      e.view.expires_at = formatTimestamp(e.deadlineMs);
      return Promise.resolve(copy(e.view));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Take an approved request for execution, exactly once: the held input and the approval facts
   * for the receipt. Throws `APPROVAL_UNKNOWN`, `APPROVAL_MISMATCH` (another tenant or
   * capability), `APPROVAL_EXPIRED` (not dispatched within the time to live of the approval),
   * `APPROVAL_CONSUMED` (already run) or `APPROVAL_NOT_APPROVED`.
   */
  consume(
    id: string,
    tenantId: string,
    capabilityId: string,
  ): { input: RouteInput; facts: ApprovalFacts } {
    const e = this.#get(id);
    if (e.view.tenant_id !== tenantId || e.view.capability_id !== capabilityId) {
      throw new ApprovalError(
        "APPROVAL_MISMATCH",
        `approval "${id}" was granted for another tenant or capability`,
      );
    }
    const s = e.view.status;
    if (s === "expired") {
      throw new ApprovalError(
        "APPROVAL_EXPIRED",
        `approval "${id}" expired: an approved request must run within the approval's time to live`,
        s,
      );
    }
    if (s === "consumed") {
      throw new ApprovalError(
        "APPROVAL_CONSUMED",
        `approval "${id}" was already used (an approved request runs once)`,
        s,
      );
    }
    if (s !== "approved") {
      throw new ApprovalError("APPROVAL_NOT_APPROVED", `approval "${id}" is ${s}`, s);
    }
    e.view.status = "consumed";
    return {
      input: e.input,
      facts: {
        approval_id: id,
        resolved_by: e.view.resolved_by ? { ...e.view.resolved_by } : null,
        note: e.view.note,
        resolved_at: e.view.resolved_at,
      },
    };
  }
}

function copy(v: ApprovalView): ApprovalView {
  return {
    ...v,
    requested_by: v.requested_by ? { ...v.requested_by } : null,
    resolved_by: v.resolved_by ? { ...v.resolved_by } : null,
  };
}

/** What a human is asked about a held request (built by {@link approvalQuestion}). */
export interface ApprovalQuestion {
  /** The text shown to the human. */
  message: string;
  /** The form: `decision` (approve or deny) and an optional `note`. */
  requestedSchema: {
    type: "object";
    properties: Record<string, Record<string, unknown>>;
    required: string[];
  };
}

const MAX_PAYLOAD_CHARS = 600;

/**
 * The elicitation a held call sends to the human through the client: what is requested (summary
 * and payload, JSON-quoted and truncated: it comes from the agent), why it was held, the
 * supervisor level, the blast figures, and a form with `decision` and `note`.
 *
 * @example
 * ```ts
 * import { approvalQuestion } from "./approvals.ts";
 * const q = approvalQuestion({ approval_id: "a1", supervisor_level: "gatekeeper",
 *   expires_at: "2026-01-01T00:15:00.000Z", capability_id: "cap.msg.notify", tenant_id: "acme",
 *   escalation_context: { hold_reasons: ["policy gate: human required"], blast_score: 12 } } as never,
 *   { decision_id: "d1", selected_worker_id: "org.acme.n.1" } as never,
 *   { env: "dev", data_label: "INTERNAL", request: { channel: "#ops" } } as never);
 * q.message.includes("policy gate: human required"); // true
 * ```
 */
export function approvalQuestion(
  view: ApprovalView,
  decision: RouteDecision,
  input: RouteInput,
): ApprovalQuestion {
  const ctx = view.escalation_context ?? {};
  const reasons = Array.isArray(ctx.hold_reasons) && ctx.hold_reasons.length > 0
    ? ctx.hold_reasons.map(String).join("; ")
    : "a rule or the policy gate requires a human";
  let payload = JSON.stringify(input.request ?? {});
  if (payload.length > MAX_PAYLOAD_CHARS) {
    payload = payload.slice(0, MAX_PAYLOAD_CHARS) + ` … (${payload.length} characters in all)`;
  }
  const blast = [`score ${ctx.blast_score ?? decision.blast_score ?? 0}/100`];
  const dims = ctx.blast_dimensions_score ?? decision.blast_dimensions_score;
  if (typeof dims === "number") {
    blast.push(
      `dimensions ${dims}/25` +
        (typeof ctx.blast_cap === "number" ? ` (cap ${ctx.blast_cap})` : ""),
    );
  }
  const chain = ctx.chain_blast_score ?? decision.chain_blast_score;
  if (typeof chain === "number" && chain !== dims) blast.push(`chain ${chain}`);
  const message = [
    `WCP approval needed: a ${view.supervisor_level} must decide (approval ${view.approval_id}, ` +
    `expires ${view.expires_at}).`,
    `Request: ${view.capability_id} for tenant ${view.tenant_id}, env ${input.env}, data label ` +
    `${input.data_label}, worker ${decision.selected_worker_id ?? "none"} ` +
    `(decision ${decision.decision_id}).`,
    `Payload (as the agent sent it): ${payload}`,
    `Why held: ${reasons}.`,
    `Blast: ${blast.join(", ")}.`,
    "Approve to run this request once, now; deny to refuse it. The agent cannot answer this for you.",
  ].join("\n");
  return {
    message,
    requestedSchema: {
      type: "object",
      properties: {
        decision: {
          type: "string",
          title: "Decision",
          description: "approve runs the request once; deny refuses it",
          enum: ["approve", "deny"],
        },
        note: {
          type: "string",
          title: "Note",
          description: "Recorded with the approval and in the receipt",
          maxLength: 2000,
        },
      },
      required: ["decision"],
    },
  };
}
