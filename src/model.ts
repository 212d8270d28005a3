/**
 * Wire objects of the Worker Class Protocol (WCP 0.1): the RouteInput an agent sends, the
 * RouteDecision the Hall returns, and the enumerations they use. Field names are the protocol's
 * snake_case names so that files and payloads interoperate with other implementations.
 *
 * @module
 */

/** Deployment environments. `prod` and `edge` are "prod-like". */
export const ENVS = ["dev", "stage", "prod", "edge"] as const;
/** A deployment environment. */
export type Env = typeof ENVS[number];

/** Data sensitivity labels, least to most sensitive. */
export const DATA_LABELS = ["PUBLIC", "INTERNAL", "RESTRICTED"] as const;
/** A data sensitivity label. */
export type DataLabel = typeof DATA_LABELS[number];

/** Tenant risk levels. */
export const TENANT_RISKS = ["low", "medium", "high"] as const;
/** A tenant risk level. */
export type TenantRisk = typeof TENANT_RISKS[number];

/** Quality-of-service classes; `P0` is the most critical. */
export const QOS_CLASSES = ["P0", "P1", "P2", "P3"] as const;
/** A quality-of-service class. */
export type QosClass = typeof QOS_CLASSES[number];

/** The one field a client must read: what may happen next. */
export const OUTCOMES = ["DISPATCH", "DENY", "STEWARD_HOLD"] as const;
/** `DISPATCH` may execute; `DENY` never; `STEWARD_HOLD` waits for a human. */
export type Outcome = typeof OUTCOMES[number];

/** Supervisor levels of spec section 5.8, weakest first. */
export const SUPERVISOR_LEVELS = [
  "advisory",
  "gatekeeper",
  "executor",
  "incident_commander",
] as const;
/** A supervisor level. `advisory` dispatches and notifies; the others hold. */
export type SupervisorLevel = typeof SUPERVISOR_LEVELS[number];

/** Every deny code a decision can carry. */
export const DENY_CODES = [
  "DENY_UNKNOWN_TENANT",
  "DENY_MISSING_TENANT_ID",
  "DENY_INVALID_INPUT",
  "DENY_SHADOW_RULES_DETECTED",
  "DENY_NO_MATCHING_RULE",
  "DENY_MISSING_CORRELATION_ID",
  "DENY_MISSING_REQUIRED_CONTROLS",
  "DENY_REQUIRES_HUMAN",
  "DENY_POLICY_GATE_UNCONFIGURED",
  "DENY_INTERNAL_ERROR",
  "DENY_POLICY_GATE",
  "DENY_REQUIRES_HUMAN_APPROVAL",
  "DENY_POLICY_GATE_INVALID_RESPONSE",
  "DENY_NO_AVAILABLE_WORKER",
  "DENY_WORKER_BANNED",
  "DENY_BLAST_OVER_CAP",
  "DENY_ATTESTATION_UNCONFIGURED",
  "DENY_WORKER_ATTESTATION_MISSING",
  "DENY_WORKER_ATTESTATION_INVALID_HASH",
  "DENY_WORKER_HASH_UNAVAILABLE",
  "DENY_WORKER_TAMPERED",
  "DENY_PRIVILEGE_ENVELOPE_UNCONFIGURED",
  "DENY_PRIVILEGE_ENVELOPE_VIOLATED",
] as const;
/** A deny code. */
export type DenyCode = typeof DENY_CODES[number];

/**
 * What an agent asks the Hall for.
 *
 * @example
 * ```ts
 * import type { RouteInput } from "@wcp/core";
 * const input: RouteInput = {
 *   correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f",
 *   tenant_id: "acme",
 *   env: "dev",
 *   data_label: "INTERNAL",
 *   tenant_risk: "low",
 *   qos_class: "P2",
 *   capability_id: "cap.doc.summarize",
 *   request: { text: "hello" },
 * };
 * ```
 */
export interface RouteInput {
  /** Correlation id (a UUID is recommended); propagated to every event and to the worker. */
  correlation_id: string;
  /** The requesting tenant. */
  tenant_id: string;
  /** Deployment environment. */
  env: Env;
  /** Sensitivity of the data involved. */
  data_label: DataLabel;
  /** Risk level of the tenant. */
  tenant_risk: TenantRisk;
  /** Quality-of-service class. */
  qos_class: QosClass;
  /** The capability requested, e.g. `cap.doc.summarize`. */
  capability_id: string;
  /** The payload for the worker. */
  request?: Record<string, unknown>;
  /** The caller's policy version; default `policy.v0`. */
  policy_version?: string;
  /** Decide without executing. */
  dry_run?: boolean;
  /** The caller's own 0-100 blast estimate; it can raise the computed score, never lower it. */
  blast_score?: number | null;
  /** The caller's blast dimensions (informational). */
  blast_radius?: Record<string, unknown> | null;
  /** The caller's privilege context (informational). */
  privilege_context?: Record<string, unknown> | null;
  /** When a worker asks for a sub-capability: the decision id that dispatched it. */
  parent_decision_id?: string | null;
  /** Task id copied into `evt.os.task.routed`; default `task_default`. */
  task_id?: string;
}

/** Why a request was denied: a stable code, a message, and code-specific extras. */
export interface DenyReason {
  /** Stable deny code. */
  code: DenyCode;
  /** A sentence a person can act on. */
  message: string;
  /** Code-specific extra fields (for example `missing`, `fields`, `shadowed_rule_ids`). */
  [extra: string]: unknown;
}

/** Why a candidate worker was not selected. */
export type SkipReason =
  | "unavailable"
  | "already_selected"
  | "missing_id"
  | "env_not_allowed"
  | "revoked"
  | "banned"
  | "blast_over_cap"
  | "attestation_failed"
  | "tenant_not_served"
  | "missing_controls";

/** One candidate from the matched rule, as considered by worker selection. */
export interface CandidateWorker {
  /** The candidate's species id (`__missing__` when the rule omitted it). */
  worker_species_id: string;
  /** The rule's score hint (informational; order is rule order). */
  score_hint: number | null;
  /**
   * The enrolled worker considered for this species, when one was. Only workers that serve the
   * request's tenant are considered (and listed); a species whose workers all serve other
   * tenants is one entry with `worker_id: null` and `tenant_not_served` (a tenant never learns
   * the ids, nor the number, of workers that do not serve it).
   */
  worker_id?: string | null;
  /** Why it was skipped; absent or null for the selected candidate. */
  skip_reason?: SkipReason | null;
  /** With `skip_reason: "missing_controls"`: the required controls it does not implement. */
  missing_controls?: string[];
}

/** Escalation settings of a rule, as effective for a decision. */
export interface Escalation {
  /** Run the policy gate. */
  policy_gate: boolean;
  /** Echoed; not enforced. */
  msavx_step_up: boolean;
  /** Echoed; set by the router on human-related holds and denials. */
  human_required_default: boolean;
  /** Echoed. */
  human_required_if: Record<string, unknown>[];
  /** Why the router escalated, when it did. */
  rationale: string | null;
  /** Supervisor level used when this rule holds a request for a human. */
  supervisor_level?: SupervisorLevel;
  /** When a candidate exceeds `max_blast_by_env`: hold for a human instead of skipping it. */
  hold_over_cap?: boolean;
}

/** Preconditions of a rule, as effective for a decision. */
export interface PreconditionsChecked {
  /** Deny a blank correlation id. */
  must_have_correlation_id: boolean;
  /** Echoed. */
  must_attach_policy_version: boolean;
  /** Echoed. */
  must_record_artifact_hash_if_executes: boolean;
  /** Deny when required controls are missing. */
  deny_if_missing_required_controls: boolean;
  /** Echoed. */
  deny_if_unsigned_artifact_in_prod: boolean;
  /** Echoed. */
  deny_if_no_attestation_in_prod: boolean;
}

/** A telemetry event. Every event carries `event_id`, `timestamp`, `decision_id`, `correlation_id`. */
export interface TelemetryEvent {
  /** Event id, e.g. `evt.os.task.routed`. */
  event_id: string;
  /** RFC 3339 UTC with milliseconds and `Z`. */
  timestamp: string;
  /** The decision this event belongs to. */
  decision_id: string;
  /** Sanitised correlation id. */
  correlation_id: string;
  /** Event-specific fields. */
  [field: string]: unknown;
}

/** Context shown to a supervisor when a request is held (spec 5.8). */
export interface EscalationContext {
  /** Requested capability. */
  capability_id: string;
  /**
   * Effective 0-100 heuristic blast score (the decision's `blast_score`). It is not what a
   * `blast_over_cap` hold compares with the cap: see `chain_blast_score` and `blast_cap`.
   */
  blast_score: number;
  /** Tenant risk of the request. */
  tenant_risk: TenantRisk;
  /** Data label of the request. */
  data_label: DataLabel;
  /** Policy version in force. */
  policy_version: string;
  /**
   * Why the request is held, in pipeline order: the policy gate's reason, `rule_requires_human`,
   * `blast_over_cap` (the selected worker's five-dimension score is over the rule's cap).
   */
  hold_reasons: string[];
  /**
   * On a `blast_over_cap` hold: the selected worker's own five-dimension score (0-25), null when
   * it declares no dimensions.
   */
  blast_dimensions_score?: number | null;
  /**
   * On a `blast_over_cap` hold: the figure compared with the cap, the worker's five-dimension
   * score plus the parent chain's total (equal to `blast_dimensions_score` without a parent);
   * null when either is unknown (an unknown score fails a cap).
   */
  chain_blast_score?: number | null;
  /** On a `blast_over_cap` hold: the rule's cap for the environment (`max_blast_by_env`). */
  blast_cap?: number;
}

/** One step of the optional decision trace. */
export interface TraceStep {
  /** Step name, e.g. `signatory`, `input`, `match`, `controls`. */
  step: string;
  /** `pass`, `deny`, `hold`, `skip` (the step did not apply). */
  outcome: "pass" | "deny" | "hold" | "skip";
  /** What the step checked, in a sentence. */
  detail: string;
}

/**
 * The Hall's answer. Read `outcome`: only `DISPATCH` may execute.
 *
 * @example
 * ```ts
 * import type { RouteDecision } from "@wcp/core";
 * function mayExecute(d: RouteDecision): boolean {
 *   return d.outcome === "DISPATCH";
 * }
 * ```
 */
export interface RouteDecision {
  /** Unique decision id. */
  decision_id: string;
  /** RFC 3339 UTC with milliseconds and `Z`. */
  timestamp: string;
  /** Raw correlation id from the input (empty string when absent or invalid). */
  correlation_id: string;
  /** Raw tenant id from the input. */
  tenant_id: string;
  /** Raw capability id from the input. */
  capability_id: string;
  /** Matched rule id, `PRE_ROUTING` or `NO_MATCH`. */
  matched_rule_id: string;
  /** Echoed enums (null when the input did not carry a valid value). */
  env: Env | null;
  /** Echoed data label. */
  data_label: DataLabel | null;
  /** Echoed tenant risk. */
  tenant_risk: TenantRisk | null;
  /** Echoed QoS class. */
  qos_class: QosClass | null;
  /** What may happen next. */
  outcome: Outcome;
  /** True iff `outcome` is `DENY`. */
  denied: boolean;
  /** Why it was denied; null otherwise. */
  deny_reason_if_denied: DenyReason | null;
  /** Selected species; null when none. */
  selected_worker_species_id: string | null;
  /** Selected enrolled worker; null when none. */
  selected_worker_id: string | null;
  /** Candidates in rule order with skip reasons. */
  candidate_workers_ranked: CandidateWorker[];
  /** Sorted, de-duplicated controls the rule requires. */
  required_controls_effective: string[];
  /**
   * The required controls that really apply to the selected worker
   * (docs/protocol/rules.md#whose-controls-count): those it implements itself
   * (`currently_implements`) or the hall provides (`hall_provided_controls`), sorted; `[]` when no
   * worker is selected. What receipts carry as `controls_verified`; never a control only some other
   * enrolled worker declares.
   */
  controls_verified: string[];
  /** The rule's recommended profiles. */
  recommended_profiles_effective: Record<string, unknown>[];
  /** Effective escalation. */
  escalation_effective: Escalation;
  /** Effective preconditions. */
  preconditions_checked: PreconditionsChecked;
  /** Effective 0-100 heuristic score (max of computed and caller's), null before scoring. */
  blast_score: number | null;
  /** Whether the 0-100 gate passed; null when it did not run. */
  blast_gate_passed: boolean | null;
  /** The selected worker's five-dimension score (0-25), null when none. */
  blast_dimensions_score: number | null;
  /** Chain total of the five-dimension score (this decision plus its parents), null when none. */
  chain_blast_score: number | null;
  /** Whether the privilege envelope check passed; null when it did not run. */
  privilege_envelope_ok: boolean | null;
  /** `sha256:` + SHA-256 of the JCS form of the validated RouteInput; null if input was invalid. */
  artifact_hash: string | null;
  /** `sha256:` + SHA-256 of the JCS form of `request` (what receipts carry as artifact_hash). */
  request_hash: string | null;
  /** True iff the hash comparison ran. */
  worker_attestation_checked: boolean;
  /** Result of the comparison; null when not checked. */
  worker_attestation_valid: boolean | null;
  /** Echoed dry-run flag. */
  dry_run: boolean;
  /** Policy version in force (the gate's when a gate ran). */
  policy_version: string;
  /** True when a supervisor must (or, for advisory, will) see this request. */
  supervisor_required: boolean;
  /** Supervisor level when `supervisor_required`. */
  supervisor_level?: SupervisorLevel;
  /** Approval id a supervisor resolves. */
  pending_approval_id?: string;
  /** When the pending approval expires (RFC 3339). */
  approval_expires_at?: string;
  /** What the supervisor is shown. */
  escalation_context?: EscalationContext;
  /** Parent decision id for worker chains. */
  parent_decision_id?: string | null;
  /** Telemetry events emitted for this decision. */
  telemetry_envelopes: TelemetryEvent[];
  /** Step-by-step trace, when requested. */
  trace?: TraceStep[];
}

/** The spec's five blast dimensions for a worker. */
export interface BlastRadius {
  /** 0-5. */
  data: number;
  /** 0-5. */
  network: number;
  /** 0-5. */
  financial: number;
  /** 0-5. */
  time: number;
  /** `reversible` 0, `partially-reversible` 2, `difficult` 4, `irreversible` 5, or 0-5. */
  reversibility: "reversible" | "partially-reversible" | "difficult" | "irreversible" | number;
}

/** What a worker may touch. */
export interface PrivilegeEnvelope {
  /** Secrets the worker reads. */
  secrets_access?: string[];
  /** `none`, `allowlist`, `unrestricted`, or a list of destinations. */
  network_egress?: string | string[];
  /** Paths the worker writes. */
  filesystem_writes?: string[];
  /** Tools the worker calls. */
  tools?: string[];
  /** Reference-compatible egress block: `{ allowlist: [...] }`. */
  egress?: { allowlist?: string[] };
  /** Other fields are kept. */
  [field: string]: unknown;
}

/** Attestation block of a registry record. */
export interface RecordAttestation {
  /** `sha256:<64 hex>` (or bare 64 hex, normalised on enrolment). */
  code_hash: string;
  /** `file`, `module`, `container`, `signed_manifest`. */
  hash_method?: string;
  /** RFC 3339 time of attestation. */
  attested_at?: string;
  /** Who attested. */
  attested_by?: string;
  /** Other fields are kept. */
  [field: string]: unknown;
}

/**
 * A worker enrollment record (spec section 6).
 *
 * @example
 * ```ts
 * import type { RegistryRecord } from "@wcp/core";
 * const rec: RegistryRecord = {
 *   worker_id: "org.acme.summarizer.1",
 *   worker_species_id: "wrk.doc.summarizer",
 *   capabilities: ["cap.doc.summarize"],
 *   currently_implements: ["ctrl.obs.audit-log-append-only"],
 *   allowed_environments: ["dev", "prod"],
 * };
 * ```
 */
export interface RegistryRecord {
  /** `org.<name>.…` or `x.<name>.…`: the only source of trust attribution. */
  worker_id: string;
  /** `wrk.*` species (taxonomy only). */
  worker_species_id: string;
  /** Capabilities served. */
  capabilities: string[];
  /** `low|medium|high|critical`. */
  risk_tier?: "low" | "medium" | "high" | "critical";
  /** Idempotency class. */
  idempotency?: string;
  /** Determinism class. */
  determinism?: string;
  /** Controls the worker requires of its environment. */
  required_controls?: string[];
  /** Controls the worker implements. */
  currently_implements?: string[];
  /** Environments the worker may run in (all when absent). */
  allowed_environments?: Env[];
  /**
   * Tenants the worker serves (docs/protocol/trust.md#tenant-binding): a non-empty list of tenant
   * ids, or `["*"]` for every tenant. Absent: every tenant (the library's default; the hall gives
   * workers enrolled with a namespace token their namespace's tenant). A worker that does not
   * serve the request's tenant is never a candidate (a species with none that does is listed once
   * with `skip_reason: "tenant_not_served"`).
   */
  tenants?: string[];
  /** What the worker may touch. */
  privilege_envelope?: PrivilegeEnvelope;
  /** The five blast dimensions. */
  blast_radius?: BlastRadius;
  /** Owner. */
  owner?: string;
  /** Contact. */
  contact?: string;
  /** `sha256:` + SHA-256 of the record without this field (compact, sorted, ASCII-escaped JSON). */
  artifact_hash?: string;
  /** Minimum catalog version. */
  catalog_version_min?: string;
  /** Code attestation. */
  attestation?: RecordAttestation;
  /** HTTP endpoint the hall dispatches to. */
  endpoint?: string;
  /** Ed25519 public keys (base64 raw 32 bytes) by key id, for package attestation. */
  public_keys?: Record<string, string>;
  /** `active` (default) or `revoked`. */
  status?: "active" | "revoked";
  /** Other fields are kept. */
  [field: string]: unknown;
}
