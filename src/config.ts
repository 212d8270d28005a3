/**
 * Hall-level configuration: the floors every rule runs under.
 *
 * @module
 */

import type { Env, SupervisorLevel } from "./model.ts";

/**
 * Hall configuration, with the protocol's snake_case field names.
 *
 * @example
 * ```ts
 * import { type HallConfig, DEFAULT_HALL_CONFIG } from "@wcp/core";
 * const config: HallConfig = { ...DEFAULT_HALL_CONFIG, require_signatory: true, allowed_tenants: ["acme"] };
 * ```
 */
export interface HallConfig {
  /** Deny tenants not in `allowed_tenants`. */
  require_signatory: boolean;
  /** Exact, case-sensitive tenant ids. */
  allowed_tenants: string[];
  /** Compare registered and current worker code hashes at every dispatch. */
  require_worker_attestation: boolean;
  /** Floor: blank correlation ids are denied even if a rule relaxes it. */
  enforce_correlation_id: boolean;
  /** Floor: missing required controls deny even if a rule relaxes it. */
  enforce_required_controls: boolean;
  /** Floor: the 0-100 blast gate runs in prod and edge. */
  enforce_blast_scoring_in_prod: boolean;
  /** Floor: check privilege envelopes even without `ctrl.privilege_envelopes_required`. */
  enforce_privilege_envelopes: boolean;
  /** 0-100 score at or above which prod/edge requests are denied (`DENY_REQUIRES_HUMAN`). */
  blast_gate_threshold: number;
  /** Time to live of a pending approval. */
  approval_ttl_seconds: number;
  /**
   * Hold REQUIRE_HUMAN requests for approval (spec 5.8). When false (a Hall without an approval
   * store), they are denied with `DENY_REQUIRES_HUMAN_APPROVAL`, as the references do.
   */
  approvals_enabled: boolean;
  /** Supervisor level used when a rule or gate names none. */
  default_supervisor_level: SupervisorLevel;
  /** Redact the tenant id in `DENY_UNKNOWN_TENANT` payloads in prod and edge. */
  redact_tenant_in_prod: boolean;
  /** Egress destinations allowed per environment for the privilege check. */
  egress_allowlist: Partial<Record<Env, string[]>>;
}

/**
 * The defaults (spec and reference): floors on, signatory, attestation and privilege checks off.
 *
 * @example
 * ```ts
 * import { DEFAULT_HALL_CONFIG } from "@wcp/core";
 * DEFAULT_HALL_CONFIG.approval_ttl_seconds; // 900
 * ```
 */
export const DEFAULT_HALL_CONFIG: Readonly<HallConfig> = Object.freeze({
  require_signatory: false,
  allowed_tenants: [],
  require_worker_attestation: false,
  enforce_correlation_id: true,
  enforce_required_controls: true,
  enforce_blast_scoring_in_prod: true,
  enforce_privilege_envelopes: false,
  blast_gate_threshold: 85,
  approval_ttl_seconds: 900,
  approvals_enabled: true,
  default_supervisor_level: "gatekeeper",
  redact_tenant_in_prod: false,
  egress_allowlist: {},
});
