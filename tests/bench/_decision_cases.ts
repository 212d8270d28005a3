// Shared set-up of the decision benchmarks: rule sets of 10, 1,000 and 100,000 rules, a registry
// of 50 workers, and four inputs per size (early match, late match, no match, blast-gate denial).
import { type DecisionOptions, makeDecision, parseRules, Registry } from "../../mod.ts";

const SPECIES = 50;

function ruleSet(n: number) {
  const rules = [];
  for (let i = 0; i < n; i++) {
    rules.push({
      rule_id: `r-${i}`,
      match: {
        capability_id: `cap.bench.c${i}`,
        env: i % 3 === 0 ? { in: ["dev", "stage", "prod"] } : { any: true },
        data_label: i % 5 === 0 ? { not_in: ["RESTRICTED"] } : { any: true },
      },
      decision: {
        candidate_workers_ranked: [
          { worker_species_id: `wrk.bench.w${i % SPECIES}`, score_hint: 1 },
          { worker_species_id: `wrk.bench.w${(i + 1) % SPECIES}`, score_hint: 0.5 },
        ],
        required_controls_suggested: ["ctrl.obs.audit-log-append-only"],
      },
    });
  }
  return parseRules({ rules });
}

const registry = new Registry();
for (let s = 0; s < SPECIES; s++) {
  registry.enroll({
    worker_id: `org.bench.worker-${s}`,
    worker_species_id: `wrk.bench.w${s}`,
    capabilities: [`cap.bench.c${s}`],
    currently_implements: ["ctrl.obs.audit-log-append-only"],
  });
}

function request(cap: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f",
    tenant_id: "acme",
    env: "prod",
    data_label: "INTERNAL",
    tenant_risk: "low",
    qos_class: "P2",
    capability_id: cap,
    request: { text: "summarise the quarterly report", pages: 12 },
    ...extra,
  };
}

/** One size: its options and the four inputs, checked to decide as labelled. */
export interface BenchCase {
  n: number;
  options: DecisionOptions;
  early: Record<string, unknown>;
  late: Record<string, unknown>;
  none: Record<string, unknown>;
  denied: Record<string, unknown>;
}

export function benchCases(sizes: number[] = [10, 1_000, 100_000]): BenchCase[] {
  return sizes.map((n) => {
    const options: DecisionOptions = { rules: ruleSet(n), registry };
    const early = request("cap.bench.c0");
    const late = request(`cap.bench.c${n - 1}`);
    const none = request("cap.bench.unknown");
    const denied = request(`cap.bench.c${(n >> 1) + 1}`, {
      data_label: "RESTRICTED",
      qos_class: "P0",
      request: { writes: true },
    });
    const outcomes = [early, late, none, denied].map((i) => makeDecision(i, options));
    if (
      outcomes[0].outcome !== "DISPATCH" || outcomes[1].outcome !== "DISPATCH" ||
      outcomes[2].deny_reason_if_denied?.code !== "DENY_NO_MATCHING_RULE" ||
      outcomes[3].deny_reason_if_denied?.code !== "DENY_REQUIRES_HUMAN"
    ) throw new Error(`bench cases misconfigured at ${n}`);
    return { n, options, early, late, none, denied };
  });
}
