/**
 * Run the real core on the Decisions panel's texts: parse each part, collect the first problem of
 * each with its field path, and decide when everything parses.
 *
 * @module
 */

import {
  checkWorld,
  getCatalog,
  type HallConfig,
  type LintFinding,
  lintRules,
  makeDecision,
  type PolicyContext,
  type PolicyGateFn,
  type Registry,
  type RouteDecision,
  type RuleSet,
  type ShadowWarning,
  type TelemetryEvent,
  type WorldPart,
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
  // Text to JSON and the shape of each panel here; the world itself is loaded by the engine's
  // loader (the same checks, codes and path-prefixed errors as the MCP server), which reports
  // the first problem of every part at once.
  const part = <T>(key: keyof DecisionWorld, read: () => T): T | undefined => {
    try {
      return read();
    } catch (e) {
      errors[key] = errorText(e);
      return undefined;
    }
  };
  const rulesDoc = part("rules", () => parseJson(world.rules, "rules"));
  const records = part("registry", () => {
    const r = parseJson(world.registry, "registry");
    if (!Array.isArray(r)) throw new Error("registry must be a JSON array of records");
    return r;
  });
  const bans = part("bans", () => {
    const b = parseJson(world.bans, "ban list");
    if (!Array.isArray(b)) throw new Error("ban list must be a JSON array of entries");
    return b;
  });
  const hallConfig = part("config", () => {
    const c = parseJson(world.config, "config");
    if (!c || typeof c !== "object" || Array.isArray(c)) {
      throw new Error("config must be an object");
    }
    return c;
  });
  // The hall's own checks: a misspelt floor is an error here, never silently ignored.
  const loaded = checkWorld({
    rules: errors.rules === undefined ? rulesDoc : [],
    registry: records ?? [],
    bans: bans ?? [],
    hall_config: hallConfig ?? {},
  });
  const rules: RuleSet | null = errors.rules === undefined ? loaded.rules : null;
  const registry = loaded.registry;
  const failed: [keyof DecisionWorld, WorldPart][] = [
    ["rules", "rules"],
    ["registry", "registry"],
    ["bans", "bans"],
    ["config", "hall_config"],
  ];
  for (const [key, worldPart] of failed) {
    const e = loaded.errors[worldPart];
    if (e !== undefined && errors[key] === undefined) errors[key] = errorText(e);
  }
  const config: Partial<HallConfig> = loaded.world?.config ?? {};
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
