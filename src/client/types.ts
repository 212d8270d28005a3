/**
 * Wire types of the hall API as `HallClient` returns them (snake_case, as on the wire). The row
 * shapes the hall stores and sends (workers, approvals, alerts, bans, ...) live in
 * `src/client/wire.ts` and are re-exported here.
 *
 * @module
 */

import type { RouteDecision, TelemetryEvent } from "../model.ts";
import type { Receipt } from "../receipts/receipt.ts";
import type { ChainReport } from "../receipts/chain.ts";

// The rows the hall sends are declared once, in the core module its store builds on too.
export type {
  AlertKind,
  ApprovalPrincipal,
  ApprovalStatus,
  BanStatus,
  HallAlert,
  HallApproval,
  HallBan,
  HallCheckpoint,
  HallNamespace,
  HallTier,
  HallToken,
  HallWorker,
  NamespaceGrant,
  ReceiptFilter,
} from "./wire.ts";

/**
 * `GET /wcp/health`.
 *
 * @example
 * ```ts ignore
 * const h: HallHealth = await new HallClient({ baseUrl: "http://127.0.0.1:8787" }).health();
 * h.compliance_level; // e.g. "WCP-Standard" (see h.compliance_gaps)
 * ```
 */
export interface HallHealth {
  /** `ok` or `degraded`. */
  status: "ok" | "degraded";
  /** Protocol version. */
  wcp_version: string;
  /** API version (the `x-wcp-api-version` header). */
  api_version: number;
  /**
   * The compliance level of the hall's configuration (`WCP-Basic`, `WCP-Standard`, `WCP-Full` or
   * `none`), computed by `checkHallCompliance` as `wcp check hall.json` does.
   */
  compliance_level: string;
  /** The failed checks behind that level, each `level: label (detail)`. */
  compliance_gaps?: string[];
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
  /**
   * How many active workers the caller may see serve it (list them with
   * `client.each("workers", { capability })`).
   */
  worker_count: number;
  /** Species serving it. */
  worker_species: string[];
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
  /** `decision`, `dispatch`, `approval`, `alert`, `rules`, `worker`, `ban`, `ready`. */
  event: string;
  /** Numeric id (for `Last-Event-ID`), when sent. */
  id: string | undefined;
  /** Parsed JSON payload. */
  data: Record<string, unknown>;
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
  /** Events, oldest first: the newest `limit` (before the cursor's position). */
  events: TelemetryEvent[];
  /** Events in this page. */
  count: number;
  /** Pass as `cursor` for the older events; null: there are none. */
  next_cursor: string | null;
}

/**
 * `GET /wcp/stats`: what the dashboard charts over a window (default the last 30 minutes, at most
 * 24 hours): decisions per minute by outcome and the top deny codes (from the hall's replay log;
 * input the core refuses as invalid is not in it), dispatch latency per worker (from the receipts).
 *
 * @example
 * ```ts ignore
 * const s: HallStats = await client.stats({ since: "2026-12-07T12:00:00Z" });
 * s.decisions.per_minute.map((m) => m.DENY);
 * ```
 */
export interface HallStats {
  /** Window start (RFC 3339, inclusive). */
  since: string;
  /** Window end (RFC 3339, exclusive). */
  until: string;
  /** The tenant the figures cover, or null for every tenant (admin). */
  tenant_id: string | null;
  /** Decisions in the window. */
  decisions: {
    /** All of them. */
    total: number;
    /** By outcome (`DISPATCH`, `DENY`, `STEWARD_HOLD`). */
    by_outcome: Record<string, number>;
    /** One entry per minute of the window, oldest first. */
    per_minute: { minute: string; DISPATCH: number; DENY: number; STEWARD_HOLD: number }[];
    /** The most frequent deny codes, most frequent first (at most 10). */
    top_deny_codes: { code: string; count: number }[];
  };
  /** Executed dispatches per worker, slowest p95 first (durations in ms). */
  dispatch: {
    /** All of them. */
    total: number;
    /** Per worker. */
    workers: {
      worker_id: string;
      count: number;
      failed: number;
      p50_ms: number;
      p95_ms: number;
      max_ms: number;
    }[];
  };
  /** True when the window held more than was read (100,000 decisions, 1,000 receipts). */
  truncated: boolean;
}

/**
 * `GET /wcp/workers/:id/attestation`: what the hall knows of a worker's code.
 *
 * @example
 * ```ts ignore
 * const a: WorkerAttestation = await client.workerAttestation("org.acme.sum.1");
 * a.flagged; // true after a verified package that differs from the registered hash
 * ```
 */
export interface WorkerAttestation {
  /** Worker id. */
  worker_id: string;
  /** The registered code hash (`sha256:…`), or null. */
  registered_hash: string | null;
  /** The last verified current hash, or null. */
  current_hash: string | null;
  /** The tamper flag. */
  flagged: boolean;
  /** The last verified submission (one that does not verify is not kept), or null. */
  attestation: {
    /** The submitted manifest. */
    manifest: Record<string, unknown>;
    /** Whether it verified. */
    verified: boolean;
    /** RFC 3339. */
    verified_at: string;
    /** `ok` or the `ATTEST_*` code. */
    detail: string;
  } | null;
}
