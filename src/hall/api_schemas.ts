/**
 * Response schemas (zod) of the hall API, the shapes `/openapi.json` documents for each answer.
 * `tests/hall/openapi_document.test.ts` validates real answers against the document generated
 * from them, so a schema here that says more than the hall does fails a test. Objects the hall
 * answers exactly are `z.object` (no other field); objects that carry open extras (receipts,
 * records, deny reasons, error bodies) are `z.looseObject`.
 *
 * @module
 */

import { z } from "zod";
import type { ComplianceLevel } from "../catalog/compliance.ts";
import {
  DATA_LABELS,
  ENVS,
  OUTCOMES,
  QOS_CLASSES,
  SUPERVISOR_LEVELS,
  TENANT_RISKS,
} from "../model.ts";

const Time = z.string().describe("RFC 3339 time");
const COMPLIANCE_LEVELS = [
  "none",
  "WCP-Basic",
  "WCP-Standard",
  "WCP-Full",
] as const satisfies readonly ComplianceLevel[];
const nullable = <T extends z.ZodType>(s: T) => s.nullable();

/** The `error` member of an error answer: `{code,message,path?}` (code-specific extras allowed). */
export const ErrorDetail = z.looseObject({
  code: z.string().describe("Stable upper snake case code"),
  message: z.string(),
  path: z.string().optional().describe("The field, parameter or header at fault"),
});

/** The body of every error: `{error:{code,message,path?}}` and nothing beside it. */
export const ErrorBody = z.object({ error: ErrorDetail });

/** A RouteInput as the core reads it (it validates and names the field). */
export const RouteInput = z.looseObject({
  correlation_id: z.string(),
  tenant_id: z.string(),
  env: z.enum(ENVS),
  data_label: z.enum(DATA_LABELS),
  tenant_risk: z.enum(TENANT_RISKS),
  qos_class: z.enum(QOS_CLASSES),
  capability_id: z.string(),
  request: z.record(z.string(), z.unknown()).optional(),
  policy_version: z.string().optional(),
  dry_run: z.boolean().optional(),
  blast_score: z.number().nullable().optional(),
  blast_radius: z.record(z.string(), z.unknown()).nullable().optional(),
  privilege_context: z.record(z.string(), z.unknown()).nullable().optional(),
  parent_decision_id: z.string().nullable().optional(),
  task_id: z.string().optional(),
  trace: z.boolean().optional(),
});

const TelemetryEvent = z.looseObject({
  event_id: z.string(),
  timestamp: Time,
  decision_id: z.string(),
  correlation_id: z.string(),
});

/** A decision (spec 5.3). Read `outcome`: only `DISPATCH` may execute. */
export const RouteDecision = z.looseObject({
  decision_id: z.string(),
  timestamp: Time,
  correlation_id: z.string(),
  tenant_id: z.string(),
  capability_id: z.string(),
  matched_rule_id: z.string(),
  env: nullable(z.enum(ENVS)),
  data_label: nullable(z.enum(DATA_LABELS)),
  tenant_risk: nullable(z.enum(TENANT_RISKS)),
  qos_class: nullable(z.enum(QOS_CLASSES)),
  outcome: z.enum(OUTCOMES),
  denied: z.boolean(),
  deny_reason_if_denied: nullable(z.looseObject({ code: z.string(), message: z.string() })),
  selected_worker_species_id: z.string().nullable(),
  selected_worker_id: z.string().nullable(),
  candidate_workers_ranked: z.array(z.looseObject({
    worker_species_id: z.string(),
    score_hint: z.number().nullable(),
    worker_id: z.string().nullable().optional(),
    skip_reason: z.string().nullable().optional(),
  })),
  required_controls_effective: z.array(z.string()),
  controls_verified: z.array(z.string()),
  recommended_profiles_effective: z.array(z.record(z.string(), z.unknown())),
  escalation_effective: z.looseObject({
    policy_gate: z.boolean(),
    human_required_default: z.boolean(),
    rationale: z.string().nullable(),
  }),
  preconditions_checked: z.record(z.string(), z.boolean()),
  blast_score: z.number().nullable(),
  blast_gate_passed: z.boolean().nullable(),
  blast_dimensions_score: z.number().nullable(),
  chain_blast_score: z.number().nullable(),
  privilege_envelope_ok: z.boolean().nullable(),
  artifact_hash: z.string().nullable(),
  request_hash: z.string().nullable(),
  worker_attestation_checked: z.boolean(),
  worker_attestation_valid: z.boolean().nullable(),
  dry_run: z.boolean(),
  policy_version: z.string(),
  supervisor_required: z.boolean(),
  supervisor_level: z.enum(SUPERVISOR_LEVELS).optional(),
  pending_approval_id: z.string().optional(),
  approval_expires_at: Time.optional(),
  escalation_context: z.record(z.string(), z.unknown()).optional(),
  parent_decision_id: z.string().nullable().optional(),
  telemetry_envelopes: z.array(TelemetryEvent),
  trace: z.array(z.object({
    step: z.string(),
    outcome: z.enum(["pass", "deny", "hold", "skip"]),
    detail: z.string(),
  })).optional(),
});

/** A signed evidence receipt (spec 5.7), one link of its tenant's chain. */
export const Receipt = z.looseObject({
  receipt_id: z.string().describe("UUIDv7"),
  seq: z.number().int().min(0),
  prev_receipt_hash: z.string().nullable(),
  tenant_id: z.string(),
  correlation_id: z.string(),
  dispatched_at: Time,
  worker_id: z.string(),
  capability_id: z.string(),
  policy_decision: z.string(),
  controls_verified: z.array(z.string()),
  artifact_hash: z.string(),
  signing_key_id: z.string(),
  receipt_hash: z.string(),
  signature: z.string(),
});

/** A worker record (spec 5.2; the core validates it). */
export const RegistryRecord = z.looseObject({
  worker_id: z.string(),
  worker_species_id: z.string(),
  capabilities: z.array(z.string()),
});

/** A worker as the caller may see it: `full` (admin, own namespace) or `shared` (routing only). */
export const Worker = z.object({
  worker_id: z.string(),
  namespace: z.string(),
  status: z.enum(["active", "revoked"]),
  view: z.enum(["full", "shared"]),
  flagged: z.boolean().nullable(),
  current_hash: z.string().nullable(),
  attestation_verified: z.boolean().nullable(),
  enrolled_at: Time,
  updated_at: Time,
  record: RegistryRecord,
});

const Principal = z.object({ principal_id: z.string(), label: z.string() });

/** A human approval (spec 5.8). */
export const Approval = z.object({
  approval_id: z.string(),
  decision_id: z.string(),
  tenant_id: z.string(),
  correlation_id: z.string(),
  capability_id: z.string(),
  supervisor_level: z.string(),
  status: z.enum(["pending", "approved", "denied", "expired", "consumed"]),
  input: z.record(z.string(), z.unknown()),
  decision: RouteDecision,
  created_at: Time,
  expires_at: Time,
  requested_by: Principal.nullable(),
  resolved_at: Time.nullable(),
  resolved_by: Principal.nullable(),
  note: z.string().nullable(),
  escalations: z.number().int(),
  consumed_at: Time.nullable(),
});

/** An entry of the ban list. */
export const Ban = z.object({
  sha256: z.string(),
  reason: z.string(),
  source: z.string(),
  evidence_url: z.string().nullable(),
  reported_at: Time,
  status: z.enum(["reported", "confirmed", "rejected", "lifted"]),
  confirmed_at: Time.nullable(),
  confirmed_by: z.string().nullable(),
  reviewed_at: Time.nullable().optional(),
  reviewed_by: z.string().nullable().optional(),
  review_note: z.string().nullable().optional(),
});

/** An alert (tamper, chain break, banned hash, expired approval). */
export const Alert = z.object({
  alert_id: z.string(),
  kind: z.enum(["tamper", "chain_break", "banned_hash", "approval_expired", "other"]),
  severity: z.number().int(),
  message: z.string(),
  subject: z.string(),
  details: z.record(z.string(), z.unknown()),
  created_at: Time,
  acknowledged_at: Time.nullable(),
  acknowledged_by: z.string().nullable(),
});

/** A signatory namespace. */
export const Namespace = z.object({
  namespace: z.string(),
  tier: z.string(),
  owner: z.string(),
  created_at: Time,
});

/** A tier and its limits. */
export const Tier = z.object({
  tier: z.string(),
  max_workers: z.number().int(),
  requests_per_minute: z.number().int(),
});

/** A token (never its hash nor the token itself). */
export const Token = z.object({
  token_id: z.string(),
  role: z.enum(["admin", "namespace"]),
  namespace: z.string().nullable(),
  label: z.string(),
  created_at: Time,
  revoked_at: Time.nullable(),
});

/** A signed Merkle checkpoint of a tenant chain. */
export const SignedCheckpoint = z.looseObject({
  type: z.literal("wcp.receipt-checkpoint/v1"),
  tenant_id: z.string(),
  tree_size: z.number().int(),
  root_hash: z.string(),
  head_receipt_hash: z.string().nullable(),
  issued_at: Time,
  signing_key_id: z.string(),
  signature: z.string(),
});

/** A stored checkpoint. */
export const Checkpoint = z.looseObject({
  tenant_id: z.string(),
  tree_size: z.number().int(),
  root: z.string(),
  created_at: Time,
  proof: SignedCheckpoint,
});

/** `POST /wcp/dispatch`: the decision, and what the worker answered when it ran. */
export const DispatchResult = z.object({
  decision: RouteDecision,
  result: z.unknown().optional(),
  receipt: Receipt.optional(),
  worker_error: z.string().nullable().optional(),
  approval_id: z.string().nullable().optional(),
});

/** `{<name>: [...], count}` list answers. */
export function list<T extends z.ZodType>(name: string, item: T): z.ZodObject {
  return z.object({ [name]: z.array(item), count: z.number().int() });
}

/**
 * One page of a list (`src/hall/_paging.ts`): `{ [name]: [...], count, next_cursor }`, `count`
 * the rows in this page, `next_cursor` null on the last page.
 */
export function page<T extends z.ZodType>(name: string, item: T): z.ZodObject {
  return z.object({
    [name]: z.array(item),
    count: z.number().int(),
    next_cursor: z.string().nullable().describe(
      "Pass as ?cursor= for the next page; null: this is the last page",
    ),
  });
}

/** A page row of `GET /wcp/approvals`: the approval without its held input and decision. */
export const ApprovalSummary = Approval.omit({ input: true, decision: true });

/** A page row of `GET /wcp/workers`: the worker without its record, but its species and capabilities. */
export const WorkerSummary = Worker.omit({ record: true }).extend({
  worker_species_id: z.string(),
  capabilities: z.array(z.string()),
});

/** `GET /wcp/health`. */
export const Health = z.object({
  status: z.enum(["ok", "degraded"]),
  reason: z.string().optional(),
  wcp_version: z.string(),
  api_version: z.number().int(),
  compliance_level: z.enum(COMPLIANCE_LEVELS),
  compliance_gaps: z.array(z.string()),
  features: z.array(z.string()),
  counts: z.record(z.string(), z.number()).nullable(),
  store: z.object({
    backend: z.string(),
    ok: z.boolean(),
    error: z.object({ reason: z.string(), since: z.string().nullable() }).nullable(),
    migration_version: z.number().int().nullable(),
  }),
  telemetry: z.object({
    sinks: z.array(z.string()),
    errors: z.record(z.string(), z.unknown()),
    writer: z.object({
      thread: z.enum(["worker", "main"]),
      reason: z.string().nullable(),
      fallback: z.boolean(),
    }).nullable().describe(
      "Where the store writes telemetry (SQLite); fallback: it wanted its own thread and could not",
    ),
  }),
  registry_sync: z.object({
    full_loads: z.number().int(),
    refreshes: z.number().int(),
    rows_read: z.number().int(),
    rows_applied: z.number().int(),
    version: z.number().int().nullable(),
    last_error: z.string().nullable(),
  }).describe("The registry mirror: full loads (only at start), change-by-change refreshes"),
  floors: z.object({
    require_signatory: z.boolean(),
    require_worker_attestation: z.boolean(),
    enforce_privilege_envelopes: z.boolean(),
    approval_ttl_seconds: z.number(),
  }),
  rules_loaded_at: Time.nullable(),
  threads: z.object({ index: z.number().int(), count: z.number().int() })
    .describe("This thread of a --threads hall (index 0, count 1 without)"),
  uptime_seconds: z.number().int(),
});

/** The attestation state of a worker. */
export const AttestationState = z.object({
  worker_id: z.string(),
  registered_hash: z.string().nullable(),
  current_hash: z.string().nullable(),
  flagged: z.boolean(),
  attestation: z.looseObject({
    manifest: z.record(z.string(), z.unknown()),
    verified: z.boolean(),
    verified_at: Time,
    detail: z.string(),
  }).nullable(),
});

/** The answer to a submitted manifest (200 verified; 422 with `error` otherwise). */
export const AttestationResult = z.object({
  error: ErrorDetail.optional().describe("Present when not verified (422): code ATTEST_*"),
  worker_id: z.string(),
  verified: z.boolean(),
  deny_code: z.string().nullable().optional(),
  package_hash: z.string(),
  registered_hash: z.string().nullable(),
  tampered: z.boolean(),
  banned: z.boolean(),
  meta: z.record(z.string(), z.unknown()).optional(),
});

/** A refused manifest (422): the result, with the `error` member every error answer has. */
export const AttestationRefused = AttestationResult.extend({ error: ErrorDetail });

/** A rule-set reload, and whether the policy gate followed. */
export const RulesReload = z.object({
  ok: z.literal(true),
  rule_count: z.number().int(),
  shadow_warnings: z.array(z.unknown()),
  loaded_at: Time.nullable(),
  policy_gate: z.object({ ok: z.boolean(), error: z.string().optional() }).optional(),
});

/** The policy gate in force and the last refused reload. */
export const GateStatus = z.object({
  loaded_at: Time.nullable(),
  info: z.record(z.string(), z.unknown()).nullable(),
  last_error: z.object({ message: z.string(), path: z.string(), at: Time }).nullable(),
});

/** `GET /wcp/stats`. */
export const Stats = z.object({
  since: Time,
  until: Time,
  tenant_id: z.string().nullable(),
  decisions: z.object({
    total: z.number().int(),
    by_outcome: z.record(z.string(), z.number().int()),
    per_minute: z.array(z.object({
      minute: Time,
      DISPATCH: z.number().int(),
      DENY: z.number().int(),
      STEWARD_HOLD: z.number().int(),
    })),
    top_deny_codes: z.array(z.object({ code: z.string(), count: z.number().int() })),
  }),
  dispatch: z.object({
    total: z.number().int(),
    workers: z.array(z.object({
      worker_id: z.string(),
      count: z.number().int(),
      failed: z.number().int(),
      p50_ms: z.number(),
      p95_ms: z.number(),
      max_ms: z.number(),
    })),
  }),
  truncated: z.boolean(),
});

/** A gateway tool definition withheld until an approver accepts it, with its diff. */
export const GatewayPendingPin = z.object({
  key: z.string().describe("<server>.<tool>"),
  server: z.string(),
  tool: z.string(),
  hash: z.string().describe("sha256: JCS digest of the pending definition"),
  previous_hash: z.string().nullable().describe("the pin it would replace (null: a new tool)"),
  seen_at: z.string(),
  diff: z.string().describe("line diff: - pinned, + pending"),
});

/** The shared components of the document, by name. */
export const COMPONENTS: Record<string, z.ZodType> = {
  Error: ErrorBody,
  ErrorDetail,
  RouteInput,
  RouteDecision,
  DispatchResult,
  Receipt,
  RegistryRecord,
  Worker,
  Approval,
  Ban,
  Alert,
  Namespace,
  Tier,
  Token,
  Checkpoint,
  SignedCheckpoint,
  Health,
  AttestationState,
  AttestationResult,
  AttestationRefused,
  GateStatus,
  Stats,
  GatewayPendingPin,
};
