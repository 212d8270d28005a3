// Shared builders for the router tests: a valid input, a registry with one worker, fixed clock/ids.
import {
  type DecisionOptions,
  makeDecision,
  parseRules,
  Registry,
  type RouteDecision,
  type TelemetryEvent,
} from "../../mod.ts";

export const NOW = Date.UTC(2026, 11, 1, 12, 0, 0, 0);

export function input(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f",
    tenant_id: "acme",
    env: "dev",
    data_label: "INTERNAL",
    tenant_risk: "low",
    qos_class: "P2",
    capability_id: "cap.doc.summarize",
    request: { text: "hello" },
    ...overrides,
  };
}

export function ids(prefix = "id"): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

export function rulesOf(
  decision: Record<string, unknown> = {},
  match: Record<string, unknown> = {},
) {
  return parseRules({
    rules: [{
      rule_id: "r-sum",
      match: { capability_id: "cap.doc.summarize", ...match },
      decision: {
        candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer", score_hint: 1 }],
        ...decision,
      },
    }],
  });
}

export function worker(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    worker_id: "org.acme.summarizer.1",
    worker_species_id: "wrk.doc.summarizer",
    capabilities: ["cap.doc.summarize"],
    currently_implements: ["ctrl.obs.audit-log-append-only"],
    ...overrides,
  };
}

export function registryWith(...records: Record<string, unknown>[]): Registry {
  const reg = new Registry();
  for (const r of records.length ? records : [worker()]) reg.enroll(r);
  return reg;
}

/** makeDecision with a fixed clock and counter ids; returns the decision and the sink's events. */
export function decide(
  inp: unknown,
  options: Partial<DecisionOptions> = {},
): { d: RouteDecision; events: TelemetryEvent[] } {
  const events: TelemetryEvent[] = [];
  const d = makeDecision(inp, {
    rules: rulesOf(),
    registry: registryWith(),
    now: () => NOW,
    newId: ids(),
    telemetry: (e) => events.push(e),
    ...options,
  } as DecisionOptions);
  return { d, events };
}
