/**
 * Wire types of the hall API as `HallClient` returns them (snake_case, as on the wire).
 *
 * @module
 */

import type { RegistryRecord, RouteDecision, TelemetryEvent } from "../model.ts";
import type { Receipt } from "../receipts/receipt.ts";
import type { ChainReport } from "../receipts/chain.ts";
import type { Checkpoint } from "../receipts/checkpoint.ts";

/** `GET /wcp/health`. */
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

/** One capability of `GET /wcp/capabilities`. */
export interface HallCapability {
  /** Capability id. */
  capability_id: string;
  /** Worker ids serving it. */
  workers: string[];
  /** Species serving it. */
  worker_species: string[];
}

/** A worker as the hall shows it. */
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

/** `POST /wcp/dispatch` answer. */
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

/** A held request (spec 5.8). */
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

/** An operator alert. */
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

/** A ban list entry. */
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

/** `GET /wcp/receipts/verify`. */
export interface ChainVerification {
  /** All chains verified. */
  ok: boolean;
  /** The hall's receipt signing key id. */
  key_id: string;
  /** One report per tenant. */
  tenants: (ChainReport & { tenant_id: string })[];
}

/** A stored checkpoint. */
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

/** Receipt query. */
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

/** A live event from `GET /wcp/events`. */
export interface HallStreamEvent {
  /** `decision`, `dispatch`, `approval`, `alert`, `rules`, `worker`, `ready`. */
  event: string;
  /** Numeric id (for `Last-Event-ID`), when sent. */
  id: string | undefined;
  /** Parsed JSON payload. */
  data: Record<string, unknown>;
}

/** `POST /wcp/namespaces` answer: the namespace and its owner token (shown once). */
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

/** Telemetry events list. */
export interface TelemetryList {
  /** Events, oldest first. */
  events: TelemetryEvent[];
  /** Count. */
  count: number;
}
