/**
 * Run the real core on the Decisions panel's texts: parse each part, collect the first problem of
 * each with its field path, and decide when everything parses.
 *
 * @module
 */

import {
  getCatalog,
  type HallConfig,
  type LintFinding,
  lintRules,
  makeDecision,
  parseRules,
  type PolicyContext,
  type PolicyGateFn,
  Registry,
  type RouteDecision,
  type RuleSet,
  type ShadowWarning,
  type TelemetryEvent,
  validateHallConfig,
} from "../../mod.ts";
import type { DecisionWorld } from "./examples.ts";
import { tableGate } from "./gate.ts";
import { errorText } from "./errors.ts";

/** What the panel shows. */
export interface Evaluation {
  /** Problems by part (`rules`, `registry`, `bans`, `config`, `hashes`, `input`). */
  errors: Partial<Record<keyof DecisionWorld, string>>;
  /** Shadowed rules found when the rules compiled. */
  shadowWarnings: readonly ShadowWarning[];
  /** `lintRules` findings against the catalog's ids and the registry's records. */
  lint: readonly LintFinding[];
  /** The decision, when the world parsed. */
  decision: RouteDecision | null;
  /** Events the telemetry sink received. */
  events: TelemetryEvent[];
  /** Contexts the policy gate was asked about. */
  gateCalls: PolicyContext[];
  /** Time the decision took, in milliseconds. */
  ms: number;
}

function parseJson(text: string, part: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${part} is not valid JSON: ${(e as Error).message}`);
  }
}

function lint(rules: RuleSet, registry: Registry): LintFinding[] {
  const catalog = getCatalog();
  const ids = (type: "capability" | "species" | "control") => catalog.ofType(type).map((e) => e.id);
  return lintRules(rules, {
    capabilities: ids("capability"),
    species: ids("species"),
    controls: ids("control"),
    records: registry.workers(),
  });
}

/**
 * Evaluate a world with a fixed clock injected by the caller (the page passes the real one).
 * `policyGate` replaces the world's gate table (the Cedar panel passes its Cedar gate).
 */
export function evaluate(
  world: DecisionWorld,
  now: () => number = Date.now,
  policyGate?: PolicyGateFn,
): Evaluation {
  const errors: Evaluation["errors"] = {};
  let rules: RuleSet | null = null;
  try {
    rules = parseRules(parseJson(world.rules, "rules"));
  } catch (e) {
    errors.rules = errorText(e);
  }
  const registry = new Registry();
  try {
    const records = parseJson(world.registry, "registry");
    if (!Array.isArray(records)) throw new Error("registry must be a JSON array of records");
    records.forEach((r, i) => {
      try {
        registry.enroll(r);
      } catch (e) {
        throw new Error(`record [${i}]: ${errorText(e)}`);
      }
    });
  } catch (e) {
    errors.registry = errorText(e);
  }
  try {
    const bans = parseJson(world.bans, "ban list");
    if (!Array.isArray(bans)) throw new Error("ban list must be a JSON array of entries");
    bans.forEach((b, i) => {
      try {
        registry.ban(b);
      } catch (e) {
        throw new Error(`ban [${i}]: ${errorText(e)}`);
      }
    });
  } catch (e) {
    errors.bans = errorText(e);
  }
  let config: Partial<HallConfig> = {};
  try {
    const c = parseJson(world.config, "config");
    if (!c || typeof c !== "object" || Array.isArray(c)) {
      throw new Error("config must be an object");
    }
    // The hall's own check: a misspelt floor is an error here, never silently ignored.
    config = validateHallConfig(c);
  } catch (e) {
    errors.config = errorText(e);
  }
  let hashes: Record<string, unknown> = {};
  try {
    const h = parseJson(world.hashes, "current hashes");
    if (!h || typeof h !== "object" || Array.isArray(h)) {
      throw new Error("current hashes must be an object of worker_id -> sha256:<hex>");
    }
    hashes = h as Record<string, unknown>;
  } catch (e) {
    errors.hashes = errorText(e);
  }
  let input: unknown = null;
  try {
    input = parseJson(world.input, "RouteInput");
  } catch (e) {
    errors.input = errorText(e);
  }
  const events: TelemetryEvent[] = [];
  const gateCalls: PolicyContext[] = [];
  if (!rules || Object.keys(errors).length > 0) {
    return {
      errors,
      shadowWarnings: rules?.shadowWarnings ?? [],
      lint: rules ? lint(rules, registry) : [],
      decision: null,
      events,
      gateCalls,
      ms: 0,
    };
  }
  const t0 = performance.now();
  const decision = makeDecision(input, {
    rules,
    registry,
    config,
    policyGate: policyGate
      ? (ctx) => {
        gateCalls.push(ctx);
        return policyGate(ctx);
      }
      : tableGate(world.gate, gateCalls),
    currentWorkerHash: (id) => {
      const h = hashes[id];
      return typeof h === "string" ? h : null;
    },
    telemetry: (e) => {
      events.push(e);
    },
    now,
    trace: true,
  });
  const ms = performance.now() - t0;
  return {
    errors,
    shadowWarnings: rules.shadowWarnings,
    lint: lint(rules, registry),
    decision,
    events,
    gateCalls,
    ms,
  };
}
