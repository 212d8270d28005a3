/**
 * Approvals through a hall (`HallClient`), used when the configuration names a hall URL: pending
 * approvals are then the hall's, shared by every client of that hall.
 *
 * @module
 */

import type {
  ApprovalBackend,
  ApprovalPrincipal,
  ApprovalStatus,
  ApprovalView,
} from "./approvals.ts";
import type { WcpMcpConfig } from "./config.ts";
import { WcpError } from "../src/errors.ts";
import { HallClient } from "../src/client/mod.ts";
import type { DispatchEngine } from "./governor.ts";

/** Pending approvals an MCP tool answer lists at most (the oldest first). */
export const MCP_PENDING_PAGE = 100;

/** The part of `HallClient` this backend uses. */
export interface HallApprovalsClient {
  /** `GET /wcp/approvals/pending`. */
  pendingApprovals(): Promise<unknown>;
  /**
   * One page of a list (`HallClient.page`); when present, `listPending` reads one page of
   * `MCP_PENDING_PAGE` whole rows instead of every pending approval.
   */
  page?(
    list: "approvals/pending",
    query: { detail: "full"; limit: number },
  ): Promise<{ items: unknown[]; next_cursor: string | null }>;
  /** `POST /wcp/approvals/:id/resolve`. */
  resolveApproval(id: string, decision: "approve" | "deny", note?: string): Promise<unknown>;
  /** `POST /wcp/approvals/:id/escalate`. */
  escalateApproval(id: string, note?: string): Promise<unknown>;
}

function str(v: unknown, fallback = ""): string {
  return typeof v === "string" ? v : fallback;
}

/**
 * Map a hall approval row to the view the tools return (unknown fields are kept).
 *
 * @example
 * ```ts
 * import { toApprovalView } from "./hall_backend.ts";
 * toApprovalView({ approval_id: "a1", status: "pending" }).supervisor_level; // "gatekeeper"
 * ```
 */
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
    requested_by: principalOf(r.requested_by),
    resolved_by: principalOf(r.resolved_by),
    resolved_at: typeof r.resolved_at === "string" ? r.resolved_at : null,
  };
}

function principalOf(v: unknown): ApprovalPrincipal | null {
  const o = v as Record<string, unknown> | null;
  return o && typeof o === "object" && typeof o.principal_id === "string"
    ? { principal_id: o.principal_id, label: str(o.label) }
    : null;
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

  /**
   * Pending approvals from the hall: the oldest `MCP_PENDING_PAGE` (one page of the hall's, so
   * a hall with 100k pending holds costs one bounded request and a bounded tool answer).
   */
  async listPending(): Promise<ApprovalView[]> {
    const c = this.#client;
    if (c.page) {
      const p = await this.#call(() =>
        c.page!("approvals/pending", { detail: "full", limit: MCP_PENDING_PAGE })
      );
      return p.items.map(toApprovalView);
    }
    return listOf(await this.#call(() => c.pendingApprovals())).map(toApprovalView);
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

/** What `connectHall` returns: the hall's approvals, its decision engine and its workers. */
export interface HallConnection {
  /** Approvals kept by the hall. */
  approvals: HallApprovals;
  /** Route, dispatch and receipts by the hall. */
  engine: DispatchEngine;
  /** Registry records to generate tools from (the config's, else the hall's enrolled workers). */
  records: unknown[];
}

/** Options of `connectHall`. */
export interface ConnectHallOptions {
  /** Bearer token (default: the environment variable named by `hall.token_env`, if allowed). */
  token?: string;
  /** Fetch used by `HallClient` (tests route it to an in-process hall). */
  fetch?: typeof fetch;
}

/**
 * Connect to the hall named by the configuration (or null when none is): approvals, route and
 * dispatch go through `HallClient`. Reading the token needs `--allow-env=<hall.token_env>`, and
 * reaching the hall `--allow-net=<host:port>`.
 *
 * @example
 * ```ts ignore
 * import { connectHall } from "./hall_backend.ts";
 * const hall = await connectHall(config); // null when config.hall is null
 * ```
 */
export async function connectHall(
  config: WcpMcpConfig,
  options: ConnectHallOptions = {},
): Promise<HallConnection | null> {
  if (!config.hall) return null;
  const name = config.hall.token_env;
  let token = options.token;
  if (token === undefined) {
    const granted = Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
    token = granted ? Deno.env.get(name) : undefined;
  }
  const client = new HallClient({
    baseUrl: config.hall.url,
    token,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const engine: DispatchEngine = {
    route: (input) => client.route(input),
    dispatch: (input) => client.dispatch(input),
    dispatchApproved: (id) => client.dispatchApproved(id),
    verifyChain: async (tenantId) => {
      const v = await client.verifyChain(tenantId);
      const mine = v.tenants.find((t) => t.tenant_id === tenantId);
      return mine
        ? { ...mine, key_id: v.key_id }
        : { ok: v.ok, count: 0, key_id: v.key_id, breaks: [] };
    },
  };
  let records = config.registry;
  if (records.length === 0) {
    try {
      records = (await client.workers()).filter((w) => w.status === "active").map((w) => w.record);
    } catch (e) {
      throw new WcpError(
        "HALL_UNREACHABLE",
        "hall.url",
        `cannot list the hall's workers: ${(e as Error).message}`,
      );
    }
  }
  return { approvals: new HallApprovals(client), engine, records };
}
