/**
 * Approvals of the gateway's held calls: the MCP server's approval store (the approval
 * contract: single use, deadlines, `APPROVER_IS_REQUESTER`), remembering each held call's request
 * digest (so "the same call with that approval id" is checked to be the same call) and, with a
 * state directory, kept in `<state>/approvals.json` (0600, written atomically under a lock):
 *
 * - a person approves or denies a pending hold from outside the client with
 *   `wcp gateway approvals approve|deny ID --config FILE` (for clients without elicitation);
 * - holds survive a gateway restart, and an approved call runs once across every gateway process
 *   on the config (consuming re-reads the file under the lock).
 *
 * @module
 */

import {
  type ApprovalFacts,
  type ApprovalPrincipal,
  type ApprovalView,
  type LocalApprovalOptions,
  LocalApprovalStore,
} from "../approvals.ts";
import type { RouteDecision, RouteInput } from "../../src/model.ts";
import { WcpError } from "../../src/errors.ts";
import { formatTimestamp } from "../../src/ids.ts";

/** One hold as the approvals file keeps it. */
export interface StoredApproval {
  /** What callers see (status, requester, resolver, deadlines). */
  view: ApprovalView;
  /** The holding decision. */
  decision: RouteDecision;
  /** The held request (what runs once approved). */
  input: RouteInput;
  /** `sha256:` JCS digest of the held arguments. */
  request_hash: string | null;
}

/** The approvals file. */
export interface ApprovalsDoc {
  /** Format version, 1. */
  version: 1;
  /** Holds by approval id. */
  approvals: Record<string, StoredApproval>;
}

function readDoc(path: string): ApprovalsDoc {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { version: 1, approvals: {} };
    throw e;
  }
  const doc = JSON.parse(text) as ApprovalsDoc;
  if (doc?.version !== 1 || typeof doc.approvals !== "object" || doc.approvals === null) {
    throw new WcpError("APPROVALS_INVALID", path, "not a gateway approvals file (version 1)");
  }
  return doc;
}

/**
 * Read-modify-write the approvals file under an exclusive lock on `<file>.lock`; the change's
 * result is returned (the file is rewritten only when the change returns `write: true`).
 *
 * @example
 * ```ts ignore
 * withApprovalsFile("/etc/wcp/gateway.state/approvals.json", (doc) => ({ write: false, value: doc }));
 * ```
 */
export function withApprovalsFile<T>(
  path: string,
  change: (doc: ApprovalsDoc) => { write: boolean; value: T },
): T {
  const lock = Deno.openSync(`${path}.lock`, { create: true, write: true, mode: 0o600 });
  try {
    lock.lockSync(true);
    const doc = readDoc(path);
    const { write, value } = change(doc);
    if (write) {
      const tmp = `${path}.${crypto.randomUUID()}.tmp`;
      Deno.writeTextFileSync(tmp, JSON.stringify(doc, null, 2) + "\n", {
        mode: 0o600,
        createNew: true,
      });
      try {
        Deno.renameSync(tmp, path);
      } catch (e) {
        try {
          Deno.removeSync(tmp);
        } catch { /* gone */ }
        throw e;
      }
    }
    return value;
  } finally {
    try {
      lock.unlockSync();
    } catch { /* closed below */ }
    lock.close();
  }
}

/**
 * Resolve a pending hold in the approvals file (what `wcp gateway approvals approve|deny` does).
 * Throws `APPROVAL_UNKNOWN`, `APPROVAL_EXPIRED`, `APPROVAL_NOT_PENDING` (with the status) or
 * `APPROVER_IS_REQUESTER`.
 */
export function resolveInFile(
  path: string,
  id: string,
  decision: "approve" | "deny",
  by: ApprovalPrincipal,
  note: string | undefined,
  nowMs: number,
  ttlSeconds: number,
): ApprovalView {
  return withApprovalsFile(path, (doc) => {
    const e = doc.approvals[id];
    if (!e) throw new WcpError("APPROVAL_UNKNOWN", "approval_id", `no approval "${id}"`);
    const v = e.view;
    if (v.status === "pending" && nowMs >= Date.parse(v.expires_at)) v.status = "expired";
    if (v.status === "expired") {
      throw new WcpError("APPROVAL_EXPIRED", "approval_id", `approval "${id}" expired`);
    }
    if (v.status !== "pending") {
      throw new WcpError("APPROVAL_NOT_PENDING", "approval_id", `approval "${id}" is ${v.status}`);
    }
    if (v.requested_by?.principal_id === by.principal_id) {
      throw new WcpError(
        "APPROVER_IS_REQUESTER",
        "approval_id",
        `approval "${id}" was raised by ${by.principal_id}; another person must resolve it`,
      );
    }
    v.status = decision === "approve" ? "approved" : "denied";
    v.resolved_by = { ...by };
    v.resolved_at = formatTimestamp(nowMs);
    v.note = note ?? null;
    if (decision === "approve") v.expires_at = formatTimestamp(nowMs + ttlSeconds * 1000);
    return { write: true, value: structuredClone(v) };
  });
}

/**
 * Approvals for the gateway (in memory, plus the approvals file when `path` is given).
 *
 * @example
 * ```ts
 * import { GatewayApprovals } from "./approvals.ts";
 * new GatewayApprovals().requestHashOf("nope"); // undefined
 * ```
 */
export class GatewayApprovals extends LocalApprovalStore {
  #hashes = new Map<string, string>();
  readonly #path: string | null;

  /** A store; with `path`, holds kept there are loaded (pending and approved ones). */
  constructor(
    now: () => number = Date.now,
    options: LocalApprovalOptions & { path?: string } = {},
  ) {
    super(now, options);
    this.#path = options.path ?? null;
    if (this.#path) {
      for (const e of Object.values(readDoc(this.#path).approvals)) {
        if (e.view.status !== "pending" && e.view.status !== "approved") continue;
        super.hold(e.decision, e.input, e.view.requested_by);
        if (e.request_hash) this.#hashes.set(e.view.approval_id, e.request_hash);
        this.#syncFrom(e);
      }
    }
  }

  /** The file this store keeps (null: memory only). */
  get path(): string | null {
    return this.#path;
  }

  /** Record a hold (and its request digest; in the file too). */
  override hold(
    decision: RouteDecision,
    input: RouteInput,
    requestedBy: ApprovalPrincipal | null = null,
  ): ApprovalView {
    const view = super.hold(decision, input, requestedBy);
    if (decision.request_hash) this.#hashes.set(view.approval_id, decision.request_hash);
    if (this.#path) {
      withApprovalsFile(this.#path, (doc) => {
        doc.approvals[view.approval_id] = {
          view,
          decision: { ...decision, telemetry_envelopes: [] },
          input,
          request_hash: decision.request_hash ?? null,
        };
        return { write: true, value: null };
      });
    }
    return view;
  }

  /** The request digest of a held call (`sha256:` JCS of its arguments), if this store has it. */
  requestHashOf(id: string): string | undefined {
    return this.#hashes.get(id);
  }

  /** A resolution made in the file (by the CLI) applied to the in-memory hold. */
  #syncFrom(e: StoredApproval): void {
    const mine = this.get(e.view.approval_id);
    if (!mine || mine.status !== "pending") return;
    if ((e.view.status === "approved" || e.view.status === "denied") && e.view.resolved_by) {
      // Synchronous inside (the store's state changes before the promise); errors are the
      // store's own refusals (expired), which consume then reports.
      void super.resolve(
        e.view.approval_id,
        e.view.status === "approved" ? "approve" : "deny",
        e.view.note ?? undefined,
        undefined,
        e.view.resolved_by,
      ).catch(() => {});
    }
  }

  /** Approve or deny (the human through the client); the file follows. */
  override async resolve(
    id: string,
    decision: "approve" | "deny",
    note?: string,
    tenantId?: string,
    by?: ApprovalPrincipal,
  ): Promise<ApprovalView> {
    const v = await super.resolve(id, decision, note, tenantId, by);
    if (this.#path) {
      withApprovalsFile(this.#path, (doc) => {
        const e = doc.approvals[id];
        if (!e || e.view.status !== "pending") return { write: false, value: null };
        e.view = v;
        return { write: true, value: null };
      });
    }
    return v;
  }

  /**
   * Take an approved request for execution, once: a resolution made with the CLI is applied
   * first, and with a file the `consumed` mark is taken under its lock (one run across
   * processes).
   */
  override consume(
    id: string,
    tenantId: string,
    capabilityId: string,
  ): { input: RouteInput; facts: ApprovalFacts } {
    if (!this.#path) return super.consume(id, tenantId, capabilityId);
    return withApprovalsFile(this.#path, (doc) => {
      const e = doc.approvals[id];
      if (e) {
        if (e.view.status === "consumed") {
          // Another gateway process ran it: this one must not.
          throw new WcpError(
            "APPROVAL_CONSUMED",
            "approval_id",
            `approval "${id}" was already used (an approved request runs once)`,
          );
        }
        this.#syncFrom(e);
      }
      const taken = super.consume(id, tenantId, capabilityId);
      if (e) {
        e.view = { ...e.view, status: "consumed" };
        return { write: true, value: taken };
      }
      return { write: false, value: taken };
    });
  }
}
