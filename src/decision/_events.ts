/**
 * Telemetry event builders for the router (docs/protocol/decisions.md#telemetry).
 * Every event carries `event_id`, `timestamp`, `decision_id`, the sanitised `correlation_id` and
 * `tenant_id`; every string field is sanitised. Each event is one object literal (one shape per
 * event type keeps the hot path fast). Private to the router.
 *
 * @module
 */

import type { TelemetryEvent } from "../model.ts";
import { sanitizeTelemetryString as clean } from "./telemetry.ts";

/** The per-decision values events repeat, already sanitised. */
export interface EventBase {
  timestamp: string;
  decision_id: string;
  correlation_id: string;
  tenant_id: string;
  capability_id: string;
  dry_run: boolean;
  matched_rule_id: string;
  policy_version: string;
  species: string | null;
  worker_id: string | null;
}

function tag(b: EventBase, e: TelemetryEvent): TelemetryEvent {
  if (b.dry_run) e.dry_run = true;
  return e;
}

export function taskRouted(
  b: EventBase,
  taskId: string,
  qos: string,
  outcome: string,
): TelemetryEvent {
  return tag(b, {
    event_id: "evt.os.task.routed",
    timestamp: b.timestamp,
    decision_id: b.decision_id,
    correlation_id: b.correlation_id,
    tenant_id: b.tenant_id,
    task_id: clean(taskId),
    capability_id: b.capability_id,
    matched_rule_id: b.matched_rule_id,
    selected_worker_species_id: b.species,
    selected_worker_id: b.worker_id,
    policy_version: b.policy_version,
    qos_class: qos,
    outcome,
  });
}

export function workerSelected(b: EventBase): TelemetryEvent {
  return tag(b, {
    event_id: "evt.os.worker.selected",
    timestamp: b.timestamp,
    decision_id: b.decision_id,
    correlation_id: b.correlation_id,
    tenant_id: b.tenant_id,
    capability_id: b.capability_id,
    selected_worker_species_id: b.species,
    selected_worker_id: b.worker_id,
    reason: "first_available_candidate",
  });
}

export function policyGated(b: EventBase, decision: string, reason: string): TelemetryEvent {
  return tag(b, {
    event_id: "evt.os.policy.gated",
    timestamp: b.timestamp,
    decision_id: b.decision_id,
    correlation_id: b.correlation_id,
    tenant_id: b.tenant_id,
    capability_id: b.capability_id,
    decision,
    policy_version: b.policy_version,
    reason: clean(reason),
  });
}

export function taskDenied(b: EventBase, code: string, message: string): TelemetryEvent {
  return tag(b, {
    event_id: "evt.os.task.denied",
    timestamp: b.timestamp,
    decision_id: b.decision_id,
    correlation_id: b.correlation_id,
    tenant_id: b.tenant_id,
    capability_id: b.capability_id,
    deny_code: code,
    deny_message: clean(message),
    matched_rule_id: b.matched_rule_id,
  });
}

export function blastScored(
  b: EventBase,
  env: string,
  dataLabel: string,
  score: number,
  dims: number | null,
  chain: number | null,
): TelemetryEvent {
  return tag(b, {
    event_id: "evt.gov.blast_scored",
    timestamp: b.timestamp,
    decision_id: b.decision_id,
    correlation_id: b.correlation_id,
    tenant_id: b.tenant_id,
    env,
    data_label: dataLabel,
    policy_version: b.policy_version,
    blast_score: score,
    blast_dimensions_score: dims,
    chain_blast_score: chain,
    decision: "ALLOW",
  });
}

export function privilegeChecked(b: EventBase, env: string, dataLabel: string): TelemetryEvent {
  return tag(b, {
    event_id: "evt.gov.privilege_envelope.checked",
    timestamp: b.timestamp,
    decision_id: b.decision_id,
    correlation_id: b.correlation_id,
    tenant_id: b.tenant_id,
    env,
    data_label: dataLabel,
    policy_version: b.policy_version,
    worker_species_id: b.species,
    worker_id: b.worker_id,
    decision: "ALLOW",
  });
}

export function attestationSkipped(b: EventBase, env: string): TelemetryEvent {
  return tag(b, {
    event_id: "evt.os.worker.attestation_skipped",
    timestamp: b.timestamp,
    decision_id: b.decision_id,
    correlation_id: b.correlation_id,
    tenant_id: b.tenant_id,
    worker_species_id: b.species,
    worker_id: b.worker_id,
    env,
    reason: "require_worker_attestation=false",
    severity: "warn",
  });
}

// Catalog ids: `evt.os.worker.tampered`, `evt.os.worker.banned`; other attestation failures use
// `evt.os.worker.attestation-failed`.
function flaggedEventId(code: string): string {
  if (code === "DENY_WORKER_TAMPERED") return "evt.os.worker.tampered";
  if (code === "DENY_WORKER_BANNED") return "evt.os.worker.banned";
  return "evt.os.worker.attestation-failed";
}

/** A candidate skipped for a security reason (tampered, banned, attestation failed). */
export function workerFlagged(
  b: EventBase,
  species: string,
  workerId: string,
  code: string,
): TelemetryEvent {
  return tag(b, {
    event_id: flaggedEventId(code),
    timestamp: b.timestamp,
    decision_id: b.decision_id,
    correlation_id: b.correlation_id,
    tenant_id: b.tenant_id,
    worker_species_id: clean(species),
    worker_id: clean(workerId),
    deny_code: code,
    severity: code === "DENY_WORKER_HASH_UNAVAILABLE" ||
        code === "DENY_WORKER_ATTESTATION_MISSING"
      ? "error"
      : "critical",
  });
}

export function approvalRequested(
  b: EventBase,
  approvalId: string,
  level: string,
  expiresAt: string,
  reason: string,
): TelemetryEvent {
  return tag(b, {
    event_id: "evt.os.approval.requested",
    timestamp: b.timestamp,
    decision_id: b.decision_id,
    correlation_id: b.correlation_id,
    tenant_id: b.tenant_id,
    capability_id: b.capability_id,
    pending_approval_id: clean(approvalId),
    supervisor_level: level,
    approval_expires_at: expiresAt,
    reason: clean(reason),
  });
}
