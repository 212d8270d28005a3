/**
 * Wire types of the hall API as `HallClient` returns them (snake_case, as on the wire).
 *
 * @module
 */

import type { RegistryRecord, RouteDecision, TelemetryEvent } from "../model.ts";
import type { Receipt } from "../receipts/receipt.ts";
import type { ChainReport } from "../receipts/chain.ts";
import type { Checkpoint } from "../receipts/checkpoint.ts";

/**
 * `GET /wcp/health`.
 *
 * @example
 * ```ts ignore
 * const h: HallHealth = await new HallClient({ baseUrl: "http://127.0.0.1:8787" }).health();
 * h.compliance_level; // "WCP-Full"
 * ```
 */
export interface HallHealth {
  /** `ok` or `degraded`. */
  status: "ok" | "degraded";
  /** Protocol version. */
  wcp_version: string;
  /** API version (the `x-wcp-api-version` header). */
  api_version: number;
  /** `WCP-Full` for this hall. */
  compliance_level: string;
  /** Implemented features. */
  features: string[];
  /** Row counts, or null when the store is down. */
  counts: Record<string, number> | null;
  /** Store backend and status. */
  store: { backend: string; ok: boolean; migration_version: number | null };
  /** Other fields. */
  [field: string]: unknown;
}

/**
 * One capability of `GET /wcp/capabilities`.
 *
 * @example
 * ```ts ignore
 * const caps: HallCapability[] = await client.capabilities();
 * caps.map((c) => c.capability_id);
 * ```
 */
export interface HallCapability {
  /** Capability id. */
  capability_id: string;
  /** Worker ids serving it. */
  workers: string[];
  /** Species serving it. */
  worker_species: string[];
}

/**
 * A worker as the hall shows it.
 *
 * @example
 * ```ts ignore
 * const w: HallWorker = await client.worker("org.acme.sum.1");
 * w.status; // "active"
 * ```
 */
export interface HallWorker {
  /** Worker id. */
  worker_id: string;
  /** Signer namespace. */
  namespace: string;
  /** `active` or `revoked`. */
  status: "active" | "revoked";
  /** Set after a detected tamper. */
  flagged: boolean;
  /** Last verified package hash. */
  current_hash: string | null;
  /** Whether the last submitted manifest verified (null: none submitted). */
  attestation_verified: boolean | null;
  /** RFC 3339. */
  enrolled_at: string;
  /** RFC 3339. */
  updated_at: string;
  /** The stored record. */
  record: RegistryRecord;
}

/**
 * `POST /wcp/dispatch` answer.
 *
 * @example
 * ```ts ignore
 * const out: DispatchResponse = await client.dispatch(input);
 * if (out.decision.outcome === "DISPATCH") console.log(out.result, out.receipt?.receipt_hash);
 * ```
 */
export interface DispatchResponse {
  /** The decision. */
  decision: RouteDecision;
  /** What the worker returned. */
  result?: unknown;
  /** The hall-minted evidence receipt. */
  receipt?: Receipt;
  /** The worker failure the receipt records, or null. */
  worker_error?: string | null;
  /** Approval id: the one held (202) or consumed (approved dispatch). */
  approval_id?: string | null;
}

/**
 * A held request (spec 5.8).
 *
 * @example
 * ```ts ignore
 * const [first]: HallApproval[] = await client.pendingApprovals();
 * await client.resolveApproval(first.approval_id, "approve");
 * ```
 */
export interface HallApproval {
  /** Id to resolve. */
  approval_id: string;
  /** Holding decision. */
  decision_id: string;
  /** Tenant. */
  tenant_id: string;
  /** Correlation id. */
  correlation_id: string;
  /** Capability. */
  capability_id: string;
  /** Who must act. */
  supervisor_level: string;
  /** `pending`, `approved`, `denied`, `expired`, `consumed`. */
  status: string;
  /** The held RouteInput. */
  input: Record<string, unknown>;
  /** The holding decision. */
  decision: RouteDecision;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339. */
  expires_at: string;
  /** RFC 3339 or null. */
  resolved_at: string | null;
  /** Resolver token id or null. */
  resolved_by: string | null;
  /** Resolver note or null. */
  note: string | null;
  /** Escalation count. */
  escalations: number;
  /** RFC 3339 when dispatched, or null. */
  consumed_at: string | null;
}

/**
 * An operator alert.
 *
 * @example
 * ```ts ignore
 * const open: HallAlert[] = await client.alerts({ open: true });
 * for (const a of open) await client.acknowledgeAlert(a.alert_id);
 * ```
 */
export interface HallAlert {
  /** Id to acknowledge. */
  alert_id: string;
  /** `tamper`, `chain_break`, `banned_hash`, ... */
  kind: string;
  /** 1 is the most severe. */
  severity: number;
  /** Sentence. */
  message: string;
  /** Worker, tenant or hash. */
  subject: string;
  /** Facts. */
  details: Record<string, unknown>;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339 or null. */
  acknowledged_at: string | null;
  /** Token id or null. */
  acknowledged_by: string | null;
}

/**
 * A ban list entry.
 *
 * @example
 * ```ts ignore
 * const ban: HallBan = await client.reportBan({ sha256: "sha256:" + "ab".repeat(32), reason: "malware" });
 * ban.status; // "reported"
 * ```
 */
export interface HallBan {
  /** `sha256:<hex>`. */
  sha256: string;
  /** Why. */
  reason: string;
  /** Reporter. */
  source: string;
  /** Evidence link or null. */
  evidence_url: string | null;
  /** RFC 3339. */
  reported_at: string;
  /** `reported` or `confirmed` (enforced). */
  status: "reported" | "confirmed";
  /** RFC 3339 or null. */
  confirmed_at: string | null;
  /** Token id or null. */
  confirmed_by: string | null;
}

/**
 * `GET /wcp/receipts/verify`.
 *
 * @example
 * ```ts ignore
 * const v: ChainVerification = await client.verifyChain("acme");
 * v.ok; // true when no break
 * ```
 */
export interface ChainVerification {
  /** All chains verified. */
  ok: boolean;
  /** The hall's receipt signing key id. */
  key_id: string;
  /** One report per tenant. */
  tenants: (ChainReport & { tenant_id: string })[];
}

/**
 * A stored checkpoint.
 *
 * @example
 * ```ts ignore
 * const cp: HallCheckpoint = await client.checkpoint("acme");
 * cp.tree_size;
 * ```
 */
export interface HallCheckpoint {
  /** Tenant. */
  tenant_id: string;
  /** Receipts covered. */
  tree_size: number;
  /** Merkle root. */
  root: string;
  /** RFC 3339. */
  created_at: string;
  /** The signed checkpoint. */
  proof: Checkpoint;
}

/**
 * Receipt query.
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
  /** dispatched_at >= since (RFC 3339). */
  since?: string;
  /** dispatched_at < until (RFC 3339). */
  until?: string;
  /** Page size 1-1000. */
  limit?: number;
}

/**
 * A live event from `GET /wcp/events`.
 *
 * @example
 * ```ts ignore
 * for await (const e of client.events()) {
 *   const ev: HallStreamEvent = e;
 *   if (ev.event === "alert") console.log(ev.data);
 * }
 * ```
 */
export interface HallStreamEvent {
  /** `decision`, `dispatch`, `approval`, `alert`, `rules`, `worker`, `ready`. */
  event: string;
  /** Numeric id (for `Last-Event-ID`), when sent. */
  id: string | undefined;
  /** Parsed JSON payload. */
  data: Record<string, unknown>;
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
export interface NamespaceGrant {
  /** `org.<name>` or `x.<name>`. */
  namespace: string;
  /** Tier. */
  tier: string;
  /** Owner. */
  owner: string;
  /** RFC 3339. */
  created_at: string;
  /** The plain token (store it now). */
  token: string;
  /** Its id. */
  token_id: string;
}

/**
 * Telemetry events list.
 *
 * @example
 * ```ts ignore
 * const t: TelemetryList = await client.telemetry({ correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f" });
 * t.events.map((e) => e.event_id);
 * ```
 */
export interface TelemetryList {
  /** Events, oldest first. */
  events: TelemetryEvent[];
  /** Count. */
  count: number;
}
