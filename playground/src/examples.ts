/**
 * The example world of the Decisions panel (rules, registry, hall config, policy gate, current worker
 * hashes) and the scenarios that show each outcome. Every scenario is the base world plus a few
 * overrides, so switching scenarios shows what changed.
 *
 * @module
 */

import type { GateRow } from "./gate.ts";

/** Everything the Decisions panel edits. Texts are kept as typed so errors point at the text. */
export interface DecisionWorld {
  /** Rules document (JSON). */
  rules: string;
  /** Registry records (JSON array). */
  registry: string;
  /** Hall config overrides (JSON object). */
  config: string;
  /** Policy gate table. */
  gate: GateRow[];
  /** Current code hashes by worker id (JSON object), for attestation at dispatch. */
  hashes: string;
  /** The RouteInput (JSON). */
  input: string;
  /** The registry's ban list (JSON array of {sha256, reason, reported_at}). */
  bans: string;
}

const json = (v: unknown): string => JSON.stringify(v, null, 2);

const SUMMARIZER_HASH = "sha256:" + "3b".repeat(32);
const PAYMENTS_HASH = "sha256:" + "a7".repeat(32);
const TAMPERED_HASH = "sha256:" + "e9".repeat(32);

const BASE_RULES = {
  rules: [
    {
      rule_id: "doc.summarize",
      match: { capability_id: "cap.doc.summarize" },
      decision: {
        candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer", score_hint: 0.9 }],
        required_controls_suggested: ["ctrl.obs.audit-log-append-only"],
        preconditions: { must_have_correlation_id: true },
      },
    },
    {
      rule_id: "fin.payment",
      match: { capability_id: "cap.fin.initiate-payment", env: { in: ["stage", "prod"] } },
      decision: {
        candidate_workers_ranked: [{ worker_species_id: "wrk.fin.payer" }],
        required_controls_suggested: ["ctrl.obs.audit-log-append-only"],
        escalation: { policy_gate: true },
      },
    },
    {
      rule_id: "db.migrate-schema",
      match: { capability_id: "cap.db.migrate-schema" },
      decision: {
        candidate_workers_ranked: [{ worker_species_id: "wrk.db.admin" }],
        required_controls_suggested: ["ctrl.ops.rollback-plan"],
      },
    },
  ],
};

const BASE_REGISTRY = [
  {
    worker_id: "org.acme.summarizer.1",
    worker_species_id: "wrk.doc.summarizer",
    capabilities: ["cap.doc.summarize"],
    risk_tier: "low",
    currently_implements: ["ctrl.obs.audit-log-append-only"],
    allowed_environments: ["dev", "stage", "prod"],
    blast_radius: { data: 1, network: 0, financial: 0, time: 1, reversibility: "reversible" },
    attestation: { code_hash: SUMMARIZER_HASH, hash_method: "signed_manifest" },
  },
  {
    worker_id: "org.acme.payments.1",
    worker_species_id: "wrk.fin.payer",
    capabilities: ["cap.fin.initiate-payment"],
    risk_tier: "high",
    currently_implements: ["ctrl.obs.audit-log-append-only"],
    allowed_environments: ["stage", "prod"],
    blast_radius: { data: 2, network: 1, financial: 4, time: 1, reversibility: "difficult" },
    attestation: { code_hash: PAYMENTS_HASH, hash_method: "signed_manifest" },
  },
];

const BASE_GATE: GateRow[] = [
  {
    capability_id: "cap.fin.initiate-payment",
    env: "*",
    data_label: "*",
    tenant_risk: "high",
    decision: "DENY",
    reason: "high-risk tenants may not move money",
  },
  {
    capability_id: "cap.fin.initiate-payment",
    env: "prod",
    data_label: "*",
    tenant_risk: "*",
    decision: "REQUIRE_HUMAN",
    reason: "production payments need a second pair of eyes",
  },
  {
    capability_id: "*",
    env: "*",
    data_label: "*",
    tenant_risk: "*",
    decision: "ALLOW",
    reason: "default allow",
  },
];

const BASE_INPUT = {
  correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f",
  tenant_id: "acme",
  env: "dev",
  data_label: "INTERNAL",
  tenant_risk: "low",
  qos_class: "P2",
  capability_id: "cap.doc.summarize",
  request: { text: "Summarise the quarterly report." },
};

const BASE_HASHES = {
  "org.acme.summarizer.1": SUMMARIZER_HASH,
  "org.acme.payments.1": PAYMENTS_HASH,
};

/** The starting world (the "allowed" scenario). */
export function baseWorld(): DecisionWorld {
  return {
    rules: json(BASE_RULES),
    registry: json(BASE_REGISTRY),
    config: json({ require_signatory: true, allowed_tenants: ["acme", "globex"] }),
    gate: BASE_GATE.map((r) => ({ ...r })),
    hashes: json(BASE_HASHES),
    input: json(BASE_INPUT),
    bans: "[]",
  };
}

/** One example scenario. */
export interface Scenario {
  /** Stable id (used by tests and the URL). */
  id: string;
  /** Menu label. */
  label: string;
  /** The outcome or deny code it shows. */
  expect: string;
  /** Build its world. */
  world(): DecisionWorld;
}

function withInput(patch: Record<string, unknown>): DecisionWorld {
  const w = baseWorld();
  return { ...w, input: json({ ...BASE_INPUT, ...patch }) };
}

/** The scenarios offered in the menu, in menu order. */
export const SCENARIOS: readonly Scenario[] = [
  { id: "allowed", label: "Allowed: summarise in dev", expect: "DISPATCH", world: baseWorld },
  {
    id: "no-rule",
    label: "Denied: no rule matches",
    expect: "DENY_NO_MATCHING_RULE",
    world: () => withInput({ capability_id: "cap.fs.delete" }),
  },
  {
    id: "invalid-input",
    label: "Denied: invalid input",
    expect: "DENY_INVALID_INPUT",
    world: () => withInput({ env: "production", qos_class: "P9" }),
  },
  {
    id: "unknown-tenant",
    label: "Denied: tenant is not a signatory",
    expect: "DENY_UNKNOWN_TENANT",
    world: () => withInput({ tenant_id: "initech" }),
  },
  {
    id: "no-correlation",
    label: "Denied: missing correlation id",
    expect: "DENY_MISSING_CORRELATION_ID",
    world: () => withInput({ correlation_id: "" }),
  },
  {
    id: "missing-controls",
    label: "Denied: required control missing",
    expect: "DENY_MISSING_REQUIRED_CONTROLS",
    world: () => withInput({ capability_id: "cap.db.migrate-schema" }),
  },
  {
    id: "high-blast",
    label: "Denied: blast radius too high in prod",
    expect: "DENY_REQUIRES_HUMAN",
    world: () =>
      withInput({
        env: "prod",
        data_label: "RESTRICTED",
        qos_class: "P0",
        request: { text: "Summarise and mail to partners", egress: true, writes: true },
      }),
  },
  {
    id: "gate-deny",
    label: "Denied: policy gate says no",
    expect: "DENY_POLICY_GATE",
    world: () =>
      withInput({ capability_id: "cap.fin.initiate-payment", env: "stage", tenant_risk: "high" }),
  },
  {
    id: "approval",
    label: "Held: human approval needed",
    expect: "STEWARD_HOLD",
    world: () =>
      withInput({ capability_id: "cap.fin.initiate-payment", env: "prod", data_label: "PUBLIC" }),
  },
  {
    id: "no-worker",
    label: "Denied: no worker may run in edge",
    expect: "DENY_NO_AVAILABLE_WORKER",
    // The hall keeps the audit log itself, so the controls step passes for every candidate
    // (docs/protocol/rules.md#whose-controls-count: otherwise a rule whose only candidate may not
    // run here has no candidate that meets its controls, DENY_MISSING_REQUIRED_CONTROLS) and
    // selection finds none allowed in edge.
    world: () => ({
      ...withInput({ env: "edge", data_label: "PUBLIC" }),
      config: json({
        require_signatory: true,
        allowed_tenants: ["acme", "globex"],
        hall_provided_controls: ["ctrl.obs.audit-log-append-only"],
      }),
    }),
  },
  {
    id: "banned",
    label: "Denied: worker's code hash is banned",
    expect: "DENY_WORKER_BANNED",
    world: () => ({
      ...baseWorld(),
      bans: json([{
        sha256: SUMMARIZER_HASH,
        reason: "this build exfiltrates documents",
        reported_at: "2026-11-30T09:00:00.000Z",
        source: "playground",
      }]),
    }),
  },
  {
    id: "tampered",
    label: "Denied: tampered worker",
    expect: "DENY_WORKER_TAMPERED",
    world: () => {
      const w = baseWorld();
      return {
        ...w,
        config: json({
          require_signatory: true,
          allowed_tenants: ["acme", "globex"],
          require_worker_attestation: true,
        }),
        hashes: json({ ...BASE_HASHES, "org.acme.summarizer.1": TAMPERED_HASH }),
      };
    },
  },
  {
    id: "shadowed",
    label: "Denied: shadowed rule in prod",
    expect: "DENY_SHADOW_RULES_DETECTED",
    world: () => {
      const w = withInput({ env: "prod" });
      const rules = structuredClone(BASE_RULES) as { rules: unknown[] };
      rules.rules.push({
        rule_id: "doc.summarize.prod",
        match: { capability_id: "cap.doc.summarize", env: "prod" },
        decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] },
      });
      return { ...w, rules: json(rules) };
    },
  },
];
