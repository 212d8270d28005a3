/**
 * Telemetry event builders for the router (behaviour.md section 8, spec README decision 13).
 * Every event carries `event_id`, `timestamp`, `decision_id` and the sanitised `correlation_id`;
 * every string field is sanitised. Private to the router.
 *
 * @module
 */

import type { TelemetryEvent } from "./model.ts";
import { sanitizeTelemetryString as clean } from "./telemetry.ts";

/** The per-decision values every event repeats, already sanitised. */
export interface EventBase {
  timestamp: string;
  decision_id: string;
  correlation_id: string;
  tenant_id: string;
  capability_id: string;
  dry_run: boolean;
}

function base(b: EventBase, eventId: string): TelemetryEvent {
  const e: TelemetryEvent = {
    event_id: eventId,
    timestamp: b.timestamp,
    decision_id: b.decision_id,
    correlation_id: b.correlation_id,
    tenant_id: b.tenant_id,
  };
  return e;
}

function tag(b: EventBase, e: TelemetryEvent): TelemetryEvent {
  if (b.dry_run) e.dry_run = true;
  return e;
}

export function taskRouted(
  b: EventBase,
  taskId: string,
  matchedRuleId: string,
  species: string | null,
  workerId: string | null,
  policyVersion: string,
  qos: string,
  outcome: string,
): TelemetryEvent {
  const e = base(b, "evt.os.task.routed");
  e.task_id = clean(taskId);
  e.capability_id = b.capability_id;
  e.matched_rule_id = clean(matchedRuleId);
  e.selected_worker_species_id = species === null ? null : clean(species);
  e.selected_worker_id = workerId === null ? null : clean(workerId);
  e.policy_version = clean(policyVersion);
  e.qos_class = qos;
  e.outcome = outcome;
  return tag(b, e);
}

export function workerSelected(
  b: EventBase,
  species: string | null,
  workerId: string | null,
): TelemetryEvent {
  const e = base(b, "evt.os.worker.selected");
  e.capability_id = b.capability_id;
  e.selected_worker_species_id = species === null ? null : clean(species);
  e.selected_worker_id = workerId === null ? null : clean(workerId);
  e.reason = "first_available_candidate";
  return tag(b, e);
}

export function policyGated(
  b: EventBase,
  decision: string,
  policyVersion: string,
  reason: string,
): TelemetryEvent {
  const e = base(b, "evt.os.policy.gated");
  e.capability_id = b.capability_id;
  e.decision = decision;
  e.policy_version = clean(policyVersion);
  e.reason = clean(reason);
  return tag(b, e);
}

export function taskDenied(
  b: EventBase,
  code: string,
  message: string,
  matchedRuleId: string,
): TelemetryEvent {
  const e = base(b, "evt.os.task.denied");
  e.capability_id = b.capability_id;
  e.deny_code = code;
  e.deny_message = clean(message);
  e.matched_rule_id = clean(matchedRuleId);
  return tag(b, e);
}

export function blastScored(
  b: EventBase,
  env: string,
  dataLabel: string,
  policyVersion: string,
  score: number,
  dims: number | null,
  chain: number | null,
): TelemetryEvent {
  const e = base(b, "evt.gov.blast_scored");
  e.env = env;
  e.data_label = dataLabel;
  e.policy_version = clean(policyVersion);
  e.blast_score = score;
  e.blast_dimensions_score = dims;
  e.chain_blast_score = chain;
  e.decision = "ALLOW";
  return tag(b, e);
}

export function privilegeChecked(
  b: EventBase,
  env: string,
  dataLabel: string,
  policyVersion: string,
  species: string,
  workerId: string,
): TelemetryEvent {
  const e = base(b, "evt.gov.privilege_envelope.checked");
  e.env = env;
  e.data_label = dataLabel;
  e.policy_version = clean(policyVersion);
  e.worker_species_id = clean(species);
  e.worker_id = clean(workerId);
  e.decision = "ALLOW";
  return tag(b, e);
}

export function attestationSkipped(
  b: EventBase,
  env: string,
  species: string,
  workerId: string,
): TelemetryEvent {
  const e = base(b, "evt.os.worker.attestation_skipped");
  e.worker_species_id = clean(species);
  e.worker_id = clean(workerId);
  e.env = env;
  e.reason = "require_worker_attestation=false";
  e.severity = "warn";
  return tag(b, e);
}

export function attestationFailed(
  b: EventBase,
  species: string,
  workerId: string,
  code: string,
): TelemetryEvent {
  const e = base(b, "evt.os.worker.attestation_failed");
  e.worker_species_id = clean(species);
  e.worker_id = clean(workerId);
  e.deny_code = code;
  e.severity = code === "DENY_WORKER_TAMPERED" ? "critical" : "error";
  return tag(b, e);
}

export function approvalRequested(
  b: EventBase,
  approvalId: string,
  level: string,
  expiresAt: string,
  reason: string,
): TelemetryEvent {
  const e = base(b, "evt.os.approval.requested");
  e.capability_id = b.capability_id;
  e.pending_approval_id = clean(approvalId);
  e.supervisor_level = level;
  e.approval_expires_at = expiresAt;
  e.reason = clean(reason);
  return tag(b, e);
}
