// Builds the golden decisions from tests/fixtures/core (rules, registry, cases) with a fixed clock,
// counter ids and deterministic callbacks. Used by the golden test and by the updater script.
import {
  type DecisionOptions,
  makeDecision,
  parseRules,
  type PolicyGateFn,
  Registry,
  type RouteDecision,
} from "../../mod.ts";

const dir = new URL("../fixtures/core/", import.meta.url);
export const GOLDEN_URL = new URL("decisions.golden.json", dir);

async function json(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, dir)));
}

export interface GoldenEntry {
  name: string;
  decision: RouteDecision;
}

export async function buildGolden(): Promise<GoldenEntry[]> {
  const rules = parseRules(await json("rules.json"));
  if (rules.shadowWarnings.length > 0) throw new Error("the golden rule set must not shadow");
  const registry = new Registry();
  for (const r of await json("registry.json") as unknown[]) registry.enroll(r);
  const cases = await json("cases.json") as {
    base: Record<string, unknown>;
    cases: { name: string; input: Record<string, unknown>; config?: Record<string, unknown> }[];
  };
  const gate: PolicyGateFn = (ctx) => {
    if (ctx.tenant_id === "blocked") {
      return { decision: "DENY", policy_version: "pol.fin.v2", reason: "tenant_blocked" };
    }
    return { decision: "ALLOW", policy_version: "pol.fin.v2", reason: "within_policy" };
  };
  const out: GoldenEntry[] = [];
  for (const c of cases.cases) {
    const inp = { ...cases.base, ...c.input };
    const amount = (inp.request as { amount?: number } | undefined)?.amount ?? 0;
    let n = 0;
    const options: DecisionOptions = {
      rules,
      registry,
      config: { require_worker_attestation: true, ...c.config },
      policyGate: amount > 1000
        ? () => ({
          decision: "REQUIRE_HUMAN",
          policy_version: "pol.fin.v2",
          reason: "amount_over_1000",
        })
        : gate,
      currentWorkerHash: (id) =>
        id === "org.acme.search" ? "sha256:" + "5".repeat(63) + "6" : registry.registeredHash(id),
      chainBlastScore: (id) => (id === "dec-parent-1" ? 4 : null),
      now: () => Date.UTC(2026, 11, 1, 9, 30, 0, 123),
      newId: () => `${c.name}-id-${++n}`,
      trace: true,
    };
    out.push({ name: c.name, decision: makeDecision(inp, options) });
  }
  return out;
}
