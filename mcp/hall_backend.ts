/**
 * Approvals through a hall (`HallClient`), used when the configuration names a hall URL: pending
 * approvals are then the hall's, shared by every client of that hall.
 *
 * @module
 */

import type { ApprovalBackend, ApprovalStatus, ApprovalView } from "./approvals.ts";
import type { WcpMcpConfig } from "./config.ts";
import { WcpError } from "../src/errors.ts";

/** The part of `HallClient` this backend uses. */
export interface HallApprovalsClient {
  /** `GET /wcp/approvals/pending`. */
  pendingApprovals(): Promise<unknown>;
  /** `POST /wcp/approvals/:id/resolve`. */
  resolveApproval(id: string, decision: "approve" | "deny", note?: string): Promise<unknown>;
  /** `POST /wcp/approvals/:id/escalate`. */
  escalateApproval(id: string, note?: string): Promise<unknown>;
}

function str(v: unknown, fallback = ""): string {
  return typeof v === "string" ? v : fallback;
}

/** Map a hall approval row to the view the tools return (unknown fields are kept). */
export function toApprovalView(row: unknown): ApprovalView {
  const r = (row && typeof row === "object" ? row : {}) as Record<string, unknown>;
  const ctx = r.escalation_context;
  return {
    ...r,
    approval_id: str(r.approval_id ?? r.id),
    decision_id: str(r.decision_id),
    status: str(r.status, "pending") as ApprovalStatus,
    capability_id: str(r.capability_id),
    tenant_id: str(r.tenant_id),
    supervisor_level: str(r.supervisor_level, "gatekeeper"),
    created_at: str(r.created_at),
    expires_at: str(r.expires_at ?? r.approval_expires_at),
    escalation_context: ctx && typeof ctx === "object" ? ctx as Record<string, unknown> : null,
    escalations: typeof r.escalations === "number" ? r.escalations : 0,
    note: typeof r.note === "string" ? r.note : null,
  };
}

function listOf(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  const o = v as Record<string, unknown> | null;
  if (o && Array.isArray(o.approvals)) return o.approvals;
  if (o && Array.isArray(o.pending)) return o.pending;
  return [];
}

function oneOf(v: unknown): unknown {
  const o = v as Record<string, unknown> | null;
  return o && typeof o.approval === "object" ? o.approval : v;
}

/**
 * Approvals kept by a hall.
 *
 * @example
 * ```ts
 * import { HallApprovals } from "./hall_backend.ts";
 * const backend = new HallApprovals({
 *   pendingApprovals: () => Promise.resolve([]),
 *   resolveApproval: () => Promise.resolve({}),
 *   escalateApproval: () => Promise.resolve({}),
 * });
 * backend.kind; // "hall"
 * ```
 */
export class HallApprovals implements ApprovalBackend {
  /** Always `hall`. */
  readonly kind = "hall" as const;
  #client: HallApprovalsClient;

  /** @param client A `HallClient` (or anything with its three approval methods). */
  constructor(client: HallApprovalsClient) {
    this.#client = client;
  }

  /** Pending approvals from the hall. */
  async listPending(): Promise<ApprovalView[]> {
    return listOf(await this.#call(() => this.#client.pendingApprovals())).map(toApprovalView);
  }

  /** Approve or deny on the hall. */
  async resolve(id: string, decision: "approve" | "deny", note?: string): Promise<ApprovalView> {
    return toApprovalView(
      oneOf(await this.#call(() => this.#client.resolveApproval(id, decision, note))),
    );
  }

  /** Escalate on the hall. */
  async escalate(id: string, note?: string): Promise<ApprovalView> {
    return toApprovalView(oneOf(await this.#call(() => this.#client.escalateApproval(id, note))));
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const err = e as { code?: unknown; status?: unknown; message?: unknown; path?: unknown };
      const code = typeof err.code === "string" ? err.code : "HALL_UNREACHABLE";
      throw new WcpError(
        code,
        typeof err.path === "string" ? err.path : "",
        `hall: ${String(err.message ?? e)}`,
      );
    }
  }
}

/**
 * The hall approvals backend for a configuration with `hall`, or null. The bearer token is read
 * from the environment variable the config names (needs `--allow-env=<name>`).
 */
export function hallApprovalsFor(
  config: WcpMcpConfig,
  makeClient?: (baseUrl: string, token: string | undefined) => HallApprovalsClient,
): HallApprovals | null {
  if (!config.hall) return null;
  const name = config.hall.token_env;
  const granted = Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
  const token = granted ? Deno.env.get(name) : undefined;
  if (!makeClient) {
    throw new WcpError(
      "MCP_CONFIG_INVALID",
      "hall",
      "hall approvals need HallClient (not available in this build)",
    );
  }
  return new HallApprovals(makeClient(config.hall.url, token));
}
