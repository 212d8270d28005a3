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

import type { RouteDecision, RouteInput } from "../src/model.ts";
import { WcpError } from "../src/errors.ts";
import {
  type ApprovalFacts,
  approvalFacts,
  type ApprovalPrincipal,
  type ApprovalSettings,
  type ApprovalStatus,
  consumeRefusal,
  type EngineApproval,
  escalationTarget,
  heldApproval,
  resolveRefusal,
} from "../src/engine/mod.ts";
import { ApprovalError } from "../src/engine/mod.ts";

export { ApprovalError, ESCALATION_LADDER } from "../src/engine/mod.ts";
export type { ApprovalFacts, ApprovalPrincipal, ApprovalStatus };

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

/** Options of `LocalApprovalStore`. */
export interface LocalApprovalOptions {
  /** Time to live of a pending approval, and of an approved one from its approval (default 900). */
  ttlSeconds?: number;
  /** Let the requester resolve its own hold (`hall_config.allow_self_approval`; default false). */
  allowSelfApproval?: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The view of an approval row. */
export function approvalView(r: EngineApproval): ApprovalView {
  const ctx = (r.decision as RouteDecision).escalation_context;
  return {
    approval_id: r.approval_id,
    decision_id: r.decision_id,
    status: r.status,
    capability_id: r.capability_id,
    tenant_id: r.tenant_id,
    supervisor_level: r.supervisor_level,
    created_at: r.created_at,
    expires_at: r.expires_at,
    escalation_context: (ctx ?? null) as Record<string, unknown> | null,
    escalations: r.escalations,
    note: r.note,
    requested_by: r.requested_by ? { ...r.requested_by } : null,
    resolved_by: r.resolved_by ? { ...r.resolved_by } : null,
    resolved_at: r.resolved_at,
  };
}

/**
 * In-memory approvals for one server process (used when no hall URL is configured): rows kept in
 * a map, moved by the engine's approval rules (`src/engine/approvals.ts`: who may resolve, the
 * ladder, the deadlines, the refusals), synchronously (the state changes before a view method's
 * promise is returned). The row
 * methods (`createApproval` ... `consumeApproval`) are the approvals half of the engine's store
 * port; the view methods (`hold`, `resolve`, `escalate`, `consume`, `listPending`) are what the
 * tools, the gateway and the tests use.
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
  #rows = new Map<string, EngineApproval>();
  #now: () => number;
  #settings: ApprovalSettings;

  /**
   * @param now Clock in epoch milliseconds.
   * @param options Time to live and the self-approval switch.
   */
  constructor(now: () => number = Date.now, options: LocalApprovalOptions = {}) {
    this.#now = now;
    this.#settings = {
      approval_ttl_seconds: options.ttlSeconds ?? 900,
      allow_self_approval: options.allowSelfApproval === true,
      default_supervisor_level: "gatekeeper",
    };
  }

  // ---- rows: the approvals half of the engine's store port ----

  // A row past its deadline reads as expired (pending: not resolved; approved: not dispatched).
  #row(id: string): EngineApproval | undefined {
    const r = this.#rows.get(id);
    if (r && (r.status === "pending" || r.status === "approved")) {
      if (this.#now() >= Date.parse(r.expires_at)) r.status = "expired";
    }
    return r;
  }

  /** Insert a new pending approval. */
  createApproval(row: EngineApproval): Promise<void> {
    this.#rows.set(row.approval_id, structuredClone(row));
    return Promise.resolve();
  }

  /** A row, or null. */
  getApproval(id: string): Promise<EngineApproval | null> {
    const r = this.#row(id);
    return Promise.resolve(r ? structuredClone(r) : null);
  }

  /** Approve or deny a pending, unexpired row; null otherwise. */
  resolveApproval(
    id: string,
    res: {
      status: "approved" | "denied";
      by: ApprovalPrincipal;
      at: string;
      note: string | null;
      expires_at?: string;
    },
  ): Promise<EngineApproval | null> {
    const r = this.#row(id);
    if (!r || r.status !== "pending") return Promise.resolve(null);
    r.status = res.status;
    r.resolved_by = { ...res.by };
    r.resolved_at = res.at;
    r.note = res.note;
    if (res.expires_at) r.expires_at = res.expires_at;
    return Promise.resolve(structuredClone(r));
  }

  /** Escalate a pending, unexpired row; null otherwise. */
  escalateApproval(
    id: string,
    e: { supervisor_level: string; at: string; expires_at: string; note?: string | null },
  ): Promise<EngineApproval | null> {
    const r = this.#row(id);
    if (!r || r.status !== "pending") return Promise.resolve(null);
    r.supervisor_level = e.supervisor_level;
    r.escalations++;
    r.expires_at = e.expires_at;
    r.note = e.note ?? r.note;
    return Promise.resolve(structuredClone(r));
  }

  /** Mark overdue rows expired; returns them. */
  expireApprovals(_now: string): Promise<EngineApproval[]> {
    const out: EngineApproval[] = [];
    for (const [id, r] of this.#rows) {
      const before = r.status;
      if (this.#row(id)!.status === "expired" && before !== "expired") {
        out.push(structuredClone(r));
      }
    }
    return Promise.resolve(out);
  }

  /**
   * `approved` -> `consumed`, once, through {@link consume} (so a subclass's bookkeeping runs);
   * throws the precise refusal.
   */
  consumeApproval(id: string, _at: string): Promise<EngineApproval | null> {
    try {
      const r = this.#rows.get(id);
      if (!r) throw consumeRefusal(id, null)!;
      this.consume(id, r.tenant_id, r.capability_id);
      return Promise.resolve(structuredClone(this.#rows.get(id)!));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // ---- views ----

  /** Record a held decision raised by `requestedBy`; returns its view. */
  hold(
    decision: RouteDecision,
    input: RouteInput,
    requestedBy: ApprovalPrincipal | null = null,
  ): ApprovalView {
    if (!decision.pending_approval_id) {
      throw new WcpError("APPROVAL_INVALID", "pending_approval_id", "decision is not held");
    }
    const row = heldApproval(
      input as unknown as Record<string, unknown>,
      decision,
      requestedBy,
      this.#settings,
      this.#now(),
    );
    // The deadline counts from when this store learnt of the hold.
    row.created_at = iso(this.#now());
    row.supervisor_level = decision.supervisor_level ?? "gatekeeper";
    this.#rows.set(row.approval_id, row);
    return approvalView(row);
  }

  /** One approval (any status), or null; tenant-scoped like the other calls. */
  get(id: string, tenantId?: string): ApprovalView | null {
    const r = this.#row(id);
    if (!r || (tenantId !== undefined && r.tenant_id !== tenantId)) return null;
    return approvalView(r);
  }

  /** The held input of an approval, or null. */
  inputOf(id: string): RouteInput | null {
    const r = this.#rows.get(id);
    return r ? r.input as unknown as RouteInput : null;
  }

  // Another tenant's approval is reported exactly like a missing one.
  #scoped(id: string, tenantId?: string): void {
    const r = this.#rows.get(id);
    if (!r || (tenantId !== undefined && r.tenant_id !== tenantId)) {
      throw new ApprovalError("APPROVAL_UNKNOWN", `no approval "${id}"`);
    }
  }

  /** Pending approvals, oldest first. */
  listPending(tenantId?: string): Promise<ApprovalView[]> {
    const out: ApprovalView[] = [];
    for (const id of this.#rows.keys()) {
      const r = this.#row(id)!;
      if (r.status === "pending" && (tenantId === undefined || r.tenant_id === tenantId)) {
        out.push(approvalView(r));
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
    // The state changes before the promise is returned (the gateway applies file resolutions
    // this way); the rules are the engine's.
    try {
      if (!by || typeof by.principal_id !== "string" || by.principal_id === "") {
        throw new WcpError("APPROVAL_INVALID", "resolved_by", "who resolves must be known");
      }
      this.#scoped(id, tenantId);
      const r = this.#row(id) ?? null;
      const refused = resolveRefusal(id, r, by, this.#settings.allow_self_approval);
      if (refused) throw refused;
      const now = this.#now();
      r!.status = decision === "approve" ? "approved" : "denied";
      r!.resolved_by = { principal_id: by.principal_id, label: String(by.label ?? "") };
      r!.resolved_at = iso(now);
      r!.note = note ?? null;
      if (decision === "approve") r!.expires_at = iso(now + this.#ttlMs());
      return Promise.resolve(approvalView(r!));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #ttlMs(): number {
    return this.#settings.approval_ttl_seconds * 1000;
  }

  /**
   * Raise one level up the ladder (advisory, gatekeeper, executor, incident_commander) with a
   * fresh deadline; at the top `APPROVAL_ESCALATION_EXHAUSTED`. A level the ladder does not know
   * goes to the top.
   */
  escalate(id: string, note?: string, tenantId?: string): Promise<ApprovalView> {
    try {
      this.#scoped(id, tenantId);
      const r = this.#row(id) ?? null;
      const to = escalationTarget(id, r);
      if (to instanceof ApprovalError) throw to;
      r!.supervisor_level = to;
      r!.escalations++;
      r!.note = note ?? r!.note;
      r!.expires_at = iso(this.#now() + this.#ttlMs());
      return Promise.resolve(approvalView(r!));
    } catch (e) {
      return Promise.reject(e);
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
    const r = this.#row(id);
    if (r && (r.tenant_id !== tenantId || r.capability_id !== capabilityId)) {
      throw new ApprovalError(
        "APPROVAL_MISMATCH",
        `approval "${id}" was granted for another tenant or capability`,
      );
    }
    const refused = consumeRefusal(id, r ?? null);
    if (refused) throw refused;
    r!.status = "consumed";
    r!.consumed_at = iso(this.#now());
    return { input: r!.input as unknown as RouteInput, facts: approvalFacts(r!) };
  }
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
