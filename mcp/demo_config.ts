/**
 * The demonstration configuration used when the server is started without `--config` or
 * `WCP_MCP_CONFIG`. Everything in it is labelled DEMO: the tenant is `demo-tenant`, the workers
 * are the built-in ones, and nothing leaves the process.
 *
 * @module
 */

import { parseMcpConfig, type WcpMcpConfig } from "./config.ts";

/** The demo's raw configuration document (also a template for real configs). */
export const DEMO_CONFIG_DOCUMENT: Readonly<Record<string, unknown>> = Object.freeze({
  name: "wcp-mcp DEMO (no --config given; built-in demo workers, tenant demo-tenant)",
  demo: true,
  tenant: { tenant_id: "demo-tenant", tenant_risk: "low" },
  env: "dev",
  envs_allowed: ["dev", "stage"],
  data_labels: { default: "INTERNAL", min: "PUBLIC", max: "RESTRICTED" },
  qos_class: "P2",
  rules: {
    rules: [
      {
        rule_id: "demo.summarize",
        match: { capability_id: "cap.doc.summarize", data_label: { in: ["PUBLIC", "INTERNAL"] } },
        decision: {
          candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer", score_hint: 1 }],
          required_controls_suggested: ["ctrl.obs.audit-log-append-only"],
        },
      },
      {
        rule_id: "demo.redact",
        match: { capability_id: "cap.doc.redact" },
        decision: {
          candidate_workers_ranked: [{ worker_species_id: "wrk.doc.redactor" }],
        },
      },
      {
        rule_id: "demo.notify",
        match: { capability_id: "cap.msg.notify" },
        decision: {
          candidate_workers_ranked: [{ worker_species_id: "wrk.msg.chatter" }],
          escalation: { policy_gate: true },
        },
      },
      {
        rule_id: "demo.echo",
        match: { capability_id: "cap.hello.greet" },
        decision: {
          candidate_workers_ranked: [{ worker_species_id: "wrk.hello.greeter" }],
        },
      },
    ],
  },
  registry: [
    {
      worker_id: "org.demo.summarizer.1",
      worker_species_id: "wrk.doc.summarizer",
      capabilities: ["cap.doc.summarize"],
      risk_tier: "low",
      currently_implements: ["ctrl.obs.audit-log-append-only"],
      allowed_environments: ["dev", "stage"],
      owner: "demo",
      attestation: {
        code_hash: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        hash_method: "module",
      },
    },
    {
      worker_id: "org.demo.redactor.1",
      worker_species_id: "wrk.doc.redactor",
      capabilities: ["cap.doc.redact"],
      risk_tier: "medium",
      allowed_environments: ["dev", "stage"],
      owner: "demo",
    },
    {
      worker_id: "org.demo.notifier.1",
      worker_species_id: "wrk.msg.chatter",
      capabilities: ["cap.msg.notify"],
      risk_tier: "low",
      allowed_environments: ["dev", "stage"],
      owner: "demo",
    },
    {
      worker_id: "org.demo.echo.1",
      worker_species_id: "wrk.hello.greeter",
      capabilities: ["cap.hello.greet"],
      risk_tier: "low",
      owner: "demo",
    },
  ],
  workers: {
    "org.demo.summarizer.1": { builtin: "summarize" },
    "org.demo.redactor.1": { builtin: "redact" },
    "org.demo.notifier.1": { builtin: "notify" },
    "org.demo.echo.1": { builtin: "echo" },
  },
  hall_config: { approval_ttl_seconds: 900 },
  policy_gate: {
    policy_version: "pol.demo.v1",
    default: "ALLOW",
    rules: [{
      match: { capability_id: "cap.msg.notify" },
      decision: "REQUIRE_HUMAN",
      reason: "DEMO: notifications need a human's approval",
      supervisor_level: "gatekeeper",
    }],
  },
});

/**
 * The parsed demo configuration.
 *
 * @example
 * ```ts
 * import { demoConfig } from "./demo_config.ts";
 * demoConfig().demo; // true
 * ```
 */
export function demoConfig(): WcpMcpConfig {
  return parseMcpConfig(structuredClone(DEMO_CONFIG_DOCUMENT));
}
