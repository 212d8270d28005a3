/**
 * The hall's wire rows: the snake_case objects the hall API sends (workers, approvals, alerts,
 * bans, checkpoints, namespaces, tiers, tokens) and the receipt query it accepts. `HallClient`
 * returns them; the hall's store (`src/hall/store/types.ts`) builds its rows on them, so the two
 * cannot drift apart. Types only.
 *
 * @module
 */

import type { RegistryRecord, RouteDecision } from "../model.ts";
import type { Checkpoint } from "../receipts/checkpoint.ts";

/**
 * A worker as the hall shows it (`GET /wcp/workers`, `GET /wcp/workers/:id`).
 *
 * Admins and the worker's own namespace get the `full` view. A namespace token also sees the
 * workers of other namespaces that serve its tenant, in the `shared` view: `record` holds only
 * what routing to it needs (id, species, capabilities, risk, controls, environments, blast
 * radius) and `flagged`, `current_hash` and `attestation_verified` are null (another namespace's
 * keys, endpoint, manifests and incidents are never shown).
 *
 * @example
 * ```ts ignore
 * const w: HallWorker = await client.worker("org.acme.sum.1");
 * w.status; // "active"
 * ```
 */
export interface HallWorker {
  /** `org.<name>.…` or `x.<name>.…`. */
  worker_id: string;
  /** The signer namespace the id belongs to (`org.acme`, `x.bob`). */
  namespace: string;
  /** `active` or `revoked` (revoked workers are never dispatched). */
  status: "active" | "revoked";
  /** `full` (admin, own namespace) or `shared` (another namespace's worker serving the caller). */
  view: "full" | "shared";
  /**
   * Set when a tamper was detected; cleared only by an admin (`POST /wcp/workers/:id/clear-tamper`)
   * or by a verified attestation of the registered code. Null in a `shared` view.
   */
  flagged: boolean | null;
  /**
   * Last verified current code hash (`sha256:…`) from an attestation submission, or null (none,
   * or a `shared` view).
   */
  current_hash: string | null;
  /** Whether the last submitted manifest verified (null: none submitted, or a `shared` view). */
  attestation_verified: boolean | null;
  /** RFC 3339. */
  enrolled_at: string;
  /** RFC 3339. */
  updated_at: string;
  /**
   * The validated, normalised record (as returned by `Registry.enroll`); in a `shared` view only
   * its routing fields.
   */
  record: RegistryRecord;
}

/**
 * Who raised or resolved a hold: the hall's token id and label, or an MCP session
 * (`mcp-session:<id>`) and its client's name.
 *
 * @example
 * ```ts
 * import type { ApprovalPrincipal } from "@wcp/core";
 * const by: ApprovalPrincipal = { principal_id: "tok_ops_1", label: "ops on-call" };
 * ```
 */
export interface ApprovalPrincipal {
  /** Token id (hall) or `mcp-session:<id>`. */
  principal_id: string;
  /** The token's label or the client's name. */
  label: string;
}

/**
 * Approval states. `consumed` means the approved request was dispatched (exactly once).
 *
 * @example
 * ```ts
 * import type { ApprovalStatus } from "@wcp/core";
 * const open: ApprovalStatus[] = ["pending", "approved"];
 * ```
 */
export type ApprovalStatus = "pending" | "approved" | "denied" | "expired" | "consumed";

/**
 * A request held for a human (spec 5.8).
 *
 * @example
 * ```ts ignore
 * const [first]: HallApproval[] = await client.pendingApprovals();
 * await client.resolveApproval(first.approval_id, "approve");
 * ```
 */
export interface HallApproval {
  /** The decision's `pending_approval_id`: the id to resolve. */
  approval_id: string;
  /** The holding decision's id. */
  decision_id: string;
  /** Tenant of the request. */
  tenant_id: string;
  /** Correlation id of the request. */
  correlation_id: string;
  /** Requested capability. */
  capability_id: string;
  /** Who must act now (`gatekeeper`, `executor`, `incident_commander`, ...). */
  supervisor_level: string;
  /** Current state. */
  status: ApprovalStatus;
  /** The RouteInput that was held (replayed when the approved request is dispatched). */
  input: Record<string, unknown>;
  /** The holding decision (as returned to the caller). */
  decision: RouteDecision;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339; after it the approval can no longer be resolved. */
  expires_at: string;
  /**
   * The principal whose request was held (it cannot resolve the hold unless the hall allows
   * self-approval); null for approvals stored before it was recorded.
   */
  requested_by: ApprovalPrincipal | null;
  /** RFC 3339 of approve/deny/expire, else null. */
  resolved_at: string | null;
  /** The principal that approved or denied it, else null. */
  resolved_by: ApprovalPrincipal | null;
  /** Resolver's note, else null. */
  note: string | null;
  /** How many times it was escalated. */
  escalations: number;
  /** RFC 3339 when the approved request was dispatched, else null. */
  consumed_at: string | null;
}

/**
 * Alert kinds the hall raises.
 *
 * @example
 * ```ts
 * import type { AlertKind } from "@wcp/core";
 * const urgent: AlertKind[] = ["tamper", "chain_break", "banned_hash"];
 * ```
 */
export type AlertKind = "tamper" | "chain_break" | "banned_hash" | "approval_expired" | "other";

/**
 * An operator alert; acknowledged alerts stay acknowledged.
 *
 * @example
 * ```ts ignore
 * const open: HallAlert[] = await client.alerts({ open: true });
 * for (const a of open) await client.acknowledgeAlert(a.alert_id);
 * ```
 */
export interface HallAlert {
  /** Id to acknowledge (UUID). */
  alert_id: string;
  /** What happened. */
  kind: AlertKind;
  /** 1 is the most severe. */
  severity: number;
  /** A sentence for people. */
  message: string;
  /** What it is about (worker id, tenant id, hash). */
  subject: string;
  /** Extra JSON facts. */
  details: Record<string, unknown>;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339 when acknowledged, else null. */
  acknowledged_at: string | null;
  /** Token id that acknowledged, else null. */
  acknowledged_by: string | null;
}

/**
 * One entry of the ban list.
 *
 * @example
 * ```ts ignore
 * const ban: HallBan = await client.reportBan({ sha256: "sha256:" + "ab".repeat(32), reason: "malware" });
 * ban.status; // "reported"
 * ```
 */
export interface HallBan {
  /** `sha256:<64 hex>`. */
  sha256: string;
  /** Why. */
  reason: string;
  /** Who reported it (token id or free text). */
  source: string;
  /** Optional evidence link, else null. */
  evidence_url: string | null;
  /** RFC 3339. */
  reported_at: string;
  /**
   * `reported` (not yet enforced), `confirmed` (enforced at dispatch), `rejected` (a report an
   * admin turned down: never enforced) or `lifted` (a confirmed ban an admin withdrew: no longer
   * enforced). Confirming a rejected or lifted entry enforces it again.
   */
  status: BanStatus;
  /** RFC 3339 when confirmed, else null. */
  confirmed_at: string | null;
  /** Token id that confirmed it, else null. */
  confirmed_by: string | null;
  /** RFC 3339 of the last rejection or lift; absent or null while none. */
  reviewed_at?: string | null;
  /** Token id that rejected or lifted it; absent or null while none. */
  reviewed_by?: string | null;
  /** The reviewer's note on the rejection or lift; absent or null while none. */
  review_note?: string | null;
}

/**
 * States of a ban list entry (see `HallBan.status`).
 *
 * @example
 * ```ts
 * import type { BanStatus } from "@wcp/core";
 * const enforced: BanStatus = "confirmed";
 * ```
 */
export type BanStatus = "reported" | "confirmed" | "rejected" | "lifted";

/**
 * A signed Merkle checkpoint over a prefix of a tenant's receipt chain.
 *
 * @example
 * ```ts ignore
 * const cp: HallCheckpoint = await client.checkpoint("acme");
 * cp.tree_size;
 * ```
 */
export interface HallCheckpoint {
  /** Tenant chain. */
  tenant_id: string;
  /** Number of receipts covered (seq 0..size-1). */
  tree_size: number;
  /** `sha256:…` Merkle root over the receipt hashes. */
  root: string;
  /** RFC 3339. */
  created_at: string;
  /** The signed checkpoint. */
  proof: Checkpoint;
}

/**
 * Receipt query (`GET /wcp/receipts`); all filters optional, combined with AND.
 *
 * @example
 * ```ts ignore
 * const filter: ReceiptFilter = { tenant_id: "acme", since: "2026-12-01T00:00:00.000Z", limit: 50 };
 * await client.receipts(filter);
 * ```
 */
export interface ReceiptFilter {
  /** Only this tenant. */
  tenant_id?: string;
  /** Only this correlation id. */
  correlation_id?: string;
  /** `dispatched_at >= since` (RFC 3339). */
  since?: string;
  /** `dispatched_at < until` (RFC 3339). */
  until?: string;
  /** Page size 1-1000 (default 100). */
  limit?: number;
}

/**
 * A signatory tenant namespace (`org.<name>` or `x.<name>`) and its tier.
 *
 * @example
 * ```ts
 * import type { HallNamespace } from "@wcp/core";
 * const ns: HallNamespace = {
 *   namespace: "org.acme", tier: "free", owner: "ops@acme.example",
 *   created_at: "2026-12-01T00:00:00.000Z",
 * };
 * ```
 */
export interface HallNamespace {
  /** `org.<name>` or `x.<name>`. */
  namespace: string;
  /** Tier name (a `HallTier.tier`). */
  tier: string;
  /** Owner contact, free text. */
  owner: string;
  /** RFC 3339. */
  created_at: string;
}

/**
 * `POST /wcp/namespaces` answer: the namespace and its owner token (shown once).
 *
 * @example
 * ```ts ignore
 * const g: NamespaceGrant = await client.createNamespace({ namespace: "org.acme", tier: "free", owner: "acme" });
 * g.token; // store it now: shown once
 * ```
 */
export interface NamespaceGrant extends HallNamespace {
  /** The plain token (store it now). */
  token: string;
  /** Its id. */
  token_id: string;
}

/**
 * Limits of a tier (`GET /wcp/tiers`).
 *
 * @example
 * ```ts
 * import type { HallTier } from "@wcp/core";
 * const free: HallTier = { tier: "free", max_workers: 5, requests_per_minute: 60 };
 * ```
 */
export interface HallTier {
  /** Tier name, e.g. `free`, `team`. */
  tier: string;
  /** Maximum enrolled (non-revoked) workers per namespace. */
  max_workers: number;
  /** Requests per minute per token of this tier. */
  requests_per_minute: number;
}

/**
 * A bearer token as `GET /wcp/tokens` lists it: never the token itself, nor its hash.
 *
 * @example
 * ```ts
 * import type { HallToken } from "@wcp/core";
 * const live = (tokens: HallToken[]) => tokens.filter((t) => t.revoked_at === null);
 * ```
 */
export interface HallToken {
  /** Public id (safe to log). */
  token_id: string;
  /** `admin` may do everything; `namespace` only acts inside its namespace. */
  role: "admin" | "namespace";
  /** For `namespace` tokens: `org.acme` or `x.bob`; null for admin. */
  namespace: string | null;
  /** Free text for operators. */
  label: string;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339 when revoked, else null. */
  revoked_at: string | null;
}
