/**
 * WCP compliance checks: the level (WCP-Basic, WCP-Standard, WCP-Full) a hall configuration or a
 * worker's registry record reaches, with every gap listed. Worker checks follow the reference's
 * `check_worker_compliance` (docs/protocol/compliance.md#compliance-levels) but match control ids
 * exactly, not by substring.
 *
 * @module
 */

import { DEFAULT_HALL_CONFIG, type HallConfig } from "../config.ts";

/**
 * A compliance level; `none` when even WCP-Basic is not met.
 *
 * @example
 * ```ts
 * import { checkWorkerCompliance, type ComplianceLevel } from "@wcp/core";
 * const level: ComplianceLevel = checkWorkerCompliance({}).achieved_level; // "none"
 * ```
 */
export type ComplianceLevel = "none" | "WCP-Basic" | "WCP-Standard" | "WCP-Full";

/**
 * One check of a compliance report.
 *
 * @example
 * ```ts
 * import type { ComplianceCheck } from "@wcp/core";
 * const c: ComplianceCheck = { key: "capabilities", level: "basic", label: "declares capabilities",
 *   passed: true };
 * ```
 */
export interface ComplianceCheck {
  /** Stable key, e.g. `audit_log_control`. */
  key: string;
  /** Level the check belongs to. */
  level: "basic" | "standard" | "full";
  /** What is checked, in words. */
  label: string;
  /** Whether it holds. */
  passed: boolean;
  /** The field involved or why it failed. */
  detail?: string;
}

/**
 * A compliance report.
 *
 * @example
 * ```ts
 * import { checkWorkerCompliance, type ComplianceReport } from "@wcp/core";
 * const r: ComplianceReport = checkWorkerCompliance({ worker_id: "org.a.w" });
 * r.achieved_level; // "none"
 * ```
 */
export interface ComplianceReport {
  /** Highest level whose checks (and those of the levels below) all pass. */
  achieved_level: ComplianceLevel;
  /** Every check, basic first. */
  checks: ComplianceCheck[];
  /** Labels of the failed checks, each prefixed with its level: `standard: …`. */
  gaps: string[];
}

/**
 * A worker compliance report: the record's identity plus the checks.
 *
 * @example
 * ```ts
 * import { checkWorkerCompliance, type WorkerComplianceReport } from "@wcp/core";
 * const r: WorkerComplianceReport = checkWorkerCompliance({});
 * r.worker_id; // "(unknown)"
 * ```
 */
export interface WorkerComplianceReport extends ComplianceReport {
  /** The record's worker_id or `(unknown)`. */
  worker_id: string;
  /** The record's species or `(unknown)`. */
  worker_species_id: string;
  /** The record's risk tier or `(undeclared)`. */
  risk_tier: string;
}

/**
 * Exact ids accepted as "an audit-log control" (both spellings the references use).
 *
 * @example
 * ```ts
 * import { AUDIT_LOG_CONTROLS } from "@wcp/core";
 * AUDIT_LOG_CONTROLS.includes("ctrl.obs.audit-log-append-only"); // true
 * ```
 */
export const AUDIT_LOG_CONTROLS: readonly string[] = Object.freeze([
  "ctrl.obs.audit-log-append-only",
  "ctrl.obs.audit_log_append_only",
]);
/**
 * Exact ids accepted as "a default-deny control".
 *
 * @example
 * ```ts
 * import { DEFAULT_DENY_CONTROLS } from "@wcp/core";
 * DEFAULT_DENY_CONTROLS.includes("ctrl.pol.default-deny"); // true
 * ```
 */
export const DEFAULT_DENY_CONTROLS: readonly string[] = Object.freeze([
  "ctrl.pol.default-deny",
  "ctrl.pol.default_deny",
]);
/**
 * Exact id accepted as "evidence receipts" in place of an `artifact_hash`.
 *
 * @example
 * ```ts
 * import { EVIDENCE_RECEIPT_CONTROL } from "@wcp/core";
 * EVIDENCE_RECEIPT_CONTROL; // "ctrl.gov.evidence-receipt"
 * ```
 */
export const EVIDENCE_RECEIPT_CONTROL = "ctrl.gov.evidence-receipt";

const LEVELS: ReadonlyArray<[ComplianceCheck["level"], ComplianceLevel]> = [
  ["basic", "WCP-Basic"],
  ["standard", "WCP-Standard"],
  ["full", "WCP-Full"],
];
const BLAST_DIMS = ["data", "network", "financial", "time", "reversibility"];

function report(checks: ComplianceCheck[]): ComplianceReport {
  let achieved: ComplianceLevel = "none";
  for (const [level, name] of LEVELS) {
    if (!checks.filter((c) => c.level === level).every((c) => c.passed)) break;
    achieved = name;
  }
  const gaps = checks.filter((c) => !c.passed).map((c) =>
    `${c.level}: ${c.label}${c.detail ? ` (${c.detail})` : ""}`
  );
  return { achieved_level: achieved, checks, gaps };
}

const nonEmptyString = (v: unknown): boolean => typeof v === "string" && v.trim() !== "";
const nonEmptyList = (v: unknown): boolean =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" && x !== "");
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Check a worker registry record (docs/protocol/compliance.md#compliance-levels): Basic =
 * worker_id, species, capabilities, risk tier; Standard = + required_controls,
 * currently_implements, allowed_environments, an audit-log control and a default-deny control
 * (exact ids); Full = + all five blast dimensions, a privilege envelope, idempotency, and an
 * artifact_hash or the evidence-receipt control.
 *
 * @example
 * ```ts
 * import { checkWorkerCompliance } from "@wcp/core";
 * const r = checkWorkerCompliance({ worker_id: "org.acme.sum.1", worker_species_id: "wrk.doc.summarizer",
 *   capabilities: ["cap.doc.summarize"], risk_tier: "low" });
 * r.achieved_level; // "WCP-Basic"
 * ```
 */
export function checkWorkerCompliance(record: unknown): WorkerComplianceReport {
  const r = isObject(record) ? record : {};
  const controls = new Set<string>();
  for (const f of ["required_controls", "currently_implements"]) {
    if (Array.isArray(r[f])) {
      for (const c of r[f] as unknown[]) if (typeof c === "string") controls.add(c);
    }
  }
  const found = (ids: readonly string[]) => ids.find((id) => controls.has(id));
  const audit = found(AUDIT_LOG_CONTROLS);
  const deny = found(DEFAULT_DENY_CONTROLS);
  const blast = isObject(r.blast_radius) ? r.blast_radius : undefined;
  const missingDims = BLAST_DIMS.filter((d) => blast?.[d] === undefined || blast[d] === null);
  const checks: ComplianceCheck[] = [
    {
      key: "worker_id",
      level: "basic",
      label: "worker_id is set",
      passed: nonEmptyString(r.worker_id),
    },
    {
      key: "worker_species_id",
      level: "basic",
      label: "worker_species_id is set",
      passed: nonEmptyString(r.worker_species_id),
    },
    {
      key: "capabilities",
      level: "basic",
      label: "capabilities lists at least one capability",
      passed: nonEmptyList(r.capabilities),
    },
    {
      key: "risk_tier",
      level: "basic",
      label: "risk_tier is declared",
      passed: nonEmptyString(r.risk_tier),
    },
    {
      key: "required_controls",
      level: "standard",
      label: "required_controls is declared",
      passed: nonEmptyList(r.required_controls),
    },
    {
      key: "currently_implements",
      level: "standard",
      label: "currently_implements is declared",
      passed: nonEmptyList(r.currently_implements),
    },
    {
      key: "allowed_environments",
      level: "standard",
      label: "allowed_environments is declared",
      passed: nonEmptyList(r.allowed_environments),
    },
    {
      key: "audit_log_control",
      level: "standard",
      label: "an audit-log control is declared",
      passed: audit !== undefined,
      detail: audit ?? `expected ${AUDIT_LOG_CONTROLS[0]}`,
    },
    {
      key: "default_deny_control",
      level: "standard",
      label: "a default-deny control is declared",
      passed: deny !== undefined,
      detail: deny ?? `expected ${DEFAULT_DENY_CONTROLS[0]}`,
    },
    {
      key: "blast_radius_declared",
      level: "full",
      label: "blast_radius declares all five dimensions",
      passed: missingDims.length === 0,
      ...(missingDims.length ? { detail: `missing ${missingDims.join(", ")}` } : {}),
    },
    {
      key: "privilege_envelope",
      level: "full",
      label: "privilege_envelope is declared",
      passed: isObject(r.privilege_envelope) && Object.keys(r.privilege_envelope).length > 0,
    },
    {
      key: "idempotency",
      level: "full",
      label: "idempotency is declared",
      passed: nonEmptyString(r.idempotency),
    },
    {
      key: "artifact_hash_or_receipts",
      level: "full",
      label: "artifact_hash is set or evidence receipts are implemented",
      passed: nonEmptyString(r.artifact_hash) || controls.has(EVIDENCE_RECEIPT_CONTROL),
      detail: nonEmptyString(r.artifact_hash) ? "artifact_hash" : `or ${EVIDENCE_RECEIPT_CONTROL}`,
    },
  ];
  return {
    worker_id: nonEmptyString(r.worker_id) ? String(r.worker_id) : "(unknown)",
    worker_species_id: nonEmptyString(r.worker_species_id)
      ? String(r.worker_species_id)
      : "(unknown)",
    risk_tier: nonEmptyString(r.risk_tier) ? String(r.risk_tier) : "(undeclared)",
    ...report(checks),
  };
}

/**
 * Check a hall configuration file. The document is either a `HallConfig` (missing fields take
 * the defaults) or a hall file (`hall.json`: `{ hall_config: {...}, ...hall options }`) with the
 * hall options `rules` (a rules document) or `rules_file`, `policy_gate`, `receipts`, `telemetry`, `discovery`,
 * `dry_run`. Basic = routing rules and fail-closed correlation; Standard = + controls enforced,
 * telemetry on, dry run available; Full = + blast gate, privilege envelopes, a policy gate,
 * evidence receipts, discovery API, signatory tenants and worker attestation.
 *
 * @example
 * ```ts
 * import { checkHallCompliance } from "@wcp/core";
 * const r = checkHallCompliance({ rules: "rules.json" });
 * r.achieved_level; // "WCP-Standard"
 * checkHallCompliance({ rules_file: "rules.json" }, { rulesError: "rules[0]: bad" }).achieved_level; // "none"
 * r.gaps[0]; // "full: privilege envelopes are enforced (enforce_privilege_envelopes)"
 * ```
 */
export function checkHallCompliance(
  doc: unknown,
  options: { rulesError?: string } = {},
): ComplianceReport {
  const d = isObject(doc) ? doc : {};
  const raw = isObject(d.hall_config) ? d.hall_config : d;
  const c: HallConfig = { ...DEFAULT_HALL_CONFIG, ...(raw as Partial<HallConfig>) };
  const rules = d.rules ?? d.rules_file ?? d.rules_path;
  const rulesOk = typeof rules === "string"
    ? rules.trim() !== ""
    : Array.isArray(rules)
    ? rules.length > 0
    : isObject(rules) && Array.isArray(rules.rules) && rules.rules.length > 0;
  const off = (v: unknown) => v === false || v === "off" || v === "none" || v === null;
  const on = (v: unknown) => v !== undefined && !off(v);
  const flag = (key: keyof HallConfig, level: ComplianceCheck["level"], label: string) => ({
    key,
    level,
    label,
    passed: c[key] === true,
    detail: key,
  });
  const checks: ComplianceCheck[] = [
    {
      key: "rules",
      level: "basic",
      label: "routing rules are configured (requests no rule matches are denied)",
      passed: rulesOk && options.rulesError === undefined,
      detail: options.rulesError ?? "rules",
    },
    flag("enforce_correlation_id", "basic", "requests without a correlation id are denied"),
    flag("enforce_required_controls", "standard", "required controls are enforced"),
    {
      key: "telemetry",
      level: "standard",
      label: "mandatory telemetry is not switched off",
      passed: !off(d.telemetry),
      detail: "telemetry",
    },
    {
      key: "dry_run",
      level: "standard",
      label: "dry run is available",
      passed: !off(d.dry_run),
      detail: "dry_run",
    },
    flag("enforce_blast_scoring_in_prod", "full", "the blast-radius gate runs in prod and edge"),
    flag("enforce_privilege_envelopes", "full", "privilege envelopes are enforced"),
    {
      key: "policy_gate",
      level: "full",
      label: "a policy gate is configured",
      passed: on(d.policy_gate),
      detail: "policy_gate",
    },
    {
      key: "receipts",
      level: "full",
      label: "evidence receipts are issued",
      passed: !off(d.receipts),
      detail: "receipts",
    },
    {
      key: "discovery",
      level: "full",
      label: "the discovery API is served",
      passed: !off(d.discovery),
      detail: "discovery",
    },
    {
      key: "require_signatory",
      level: "full",
      label: "only signatory tenants are served",
      passed: c.require_signatory === true && Array.isArray(c.allowed_tenants) &&
        c.allowed_tenants.length > 0,
      detail: "require_signatory, allowed_tenants",
    },
    flag("require_worker_attestation", "full", "worker code attestation is required"),
  ];
  return report(checks);
}
