/**
 * "The world" a decision is made in, loaded once: rules, registry (records and bans), hall
 * config, policy gate and the workers' current code hashes. Every error names the part and the
 * field (`rules.rules[0].match`, `registry[2].worker_id`, `bans[0].sha256`, `hall_config.x`).
 *
 * @module
 */

import { type HallConfig, validateHallConfig } from "../config.ts";
import { WcpError } from "../errors.ts";
import { makeDecision } from "../decision/router.ts";
import type { RouteDecision } from "../model.ts";
import type { PolicyGate, PolicyGateFn } from "../decision/policy.ts";
import { Registry } from "../registry/registry.ts";
import { parseRules, type RuleSet } from "../rules/mod.ts";
import type { Clock, WorkerCheck } from "./types.ts";

/** What a world is loaded from (documents as parsed JSON; everything but `rules` optional). */
export interface WorldSource {
  /** A rules document (as for `parseRules`), or rules already parsed. */
  rules: unknown;
  /** Registry records to enroll. */
  registry?: readonly unknown[];
  /** Ban entries (`{sha256, reason, reported_at, source}`). */
  bans?: readonly unknown[];
  /** Worker ids to revoke after enrolment. */
  revoked?: readonly string[];
  /** A partial HallConfig (validated; unknown keys refused). */
  hall_config?: unknown;
  /** The policy gate (already compiled: a table compiles with `compileGateTable`). */
  policy_gate?: PolicyGate | PolicyGateFn;
  /** Current code hash of workers whose code was measured, by worker id. */
  current_hashes?: Readonly<Record<string, string>>;
}

/** A loaded world. */
export interface World {
  /** Compiled rules. */
  rules: RuleSet;
  /** Enrolled workers and bans. */
  registry: Registry;
  /** The effective hall config (defaults filled in). */
  config: HallConfig;
  /** The policy gate, if any. */
  policy_gate?: PolicyGate | PolicyGateFn;
  /** Current code hash of a worker (measured, else the registered one). */
  currentHash(workerId: string): string | null;
}

function prefixed(prefix: string, e: unknown, code?: string): WcpError {
  if (e instanceof WcpError) {
    // The message of a WcpError starts with its path: say the longer path once.
    const bare = e.path && e.message.startsWith(`${e.path}: `)
      ? e.message.slice(e.path.length + 2)
      : e.message;
    return new WcpError(code ?? e.code, e.path ? `${prefix}.${e.path}` : prefix, bare);
  }
  throw e;
}

// Compiled rules carry `match` (a function), which no JSON document has: a document shaped like
// a RuleSet (a request body) is still compiled, never taken as compiled.
function isRuleSet(v: unknown): v is RuleSet {
  return typeof v === "object" && v !== null && Array.isArray((v as RuleSet).rules) &&
    Array.isArray((v as RuleSet).shadowWarnings) && typeof (v as RuleSet).match === "function";
}

/** The parts of a world, as error paths name them (and in the order they are loaded). */
export type WorldPart = "rules" | "registry" | "bans" | "hall_config";

const PARTS: readonly WorldPart[] = ["rules", "registry", "bans", "hall_config"];

/** What `checkWorld` found: every part loaded as far as it could, and the first error of each. */
export interface WorldCheck {
  /** The world, when no part has an error; else null. */
  world: World | null;
  /** The first error of each part at fault; `path` starts with the part (`registry[2].x`). */
  errors: Partial<Record<WorldPart, WcpError>>;
  /** The compiled rules, when they compiled (for lint and shadow warnings beside the errors). */
  rules: RuleSet | null;
  /** Every record and ban that loaded (a bad entry is skipped, the rest are kept). */
  registry: Registry;
}

/**
 * Load every part of a world and report the first error of each part instead of throwing
 * (a face that shows all its problems at once, like the playground). `codes` is as for
 * `loadWorld`. Anything thrown that is not a `WcpError` is a bug and propagates.
 *
 * @example
 * ```ts
 * import { checkWorld } from "@wcp/core";
 * const c = checkWorld({ rules: { rules: [] }, registry: [{ worker_id: "x" }],
 *   hall_config: { nope: 1 } });
 * Object.keys(c.errors); // ["registry", "hall_config"]
 * c.world; // null
 * ```
 */
export function checkWorld(
  source: WorldSource,
  codes: Partial<Record<WorldPart, string>> = {},
): WorldCheck {
  const errors: Partial<Record<WorldPart, WcpError>> = {};
  let rules: RuleSet | null = null;
  try {
    rules = isRuleSet(source.rules) ? source.rules : parseRules(source.rules);
  } catch (e) {
    errors.rules = prefixed("rules", e, codes.rules);
  }
  const registry = new Registry();
  (source.registry ?? []).forEach((rec, i) => {
    try {
      registry.enroll(rec as never);
    } catch (e) {
      errors.registry ??= prefixed(`registry[${i}]`, e, codes.registry);
    }
  });
  (source.bans ?? []).forEach((ban, i) => {
    try {
      registry.ban(ban as never);
    } catch (e) {
      errors.bans ??= prefixed(`bans[${i}]`, e, codes.bans);
    }
  });
  for (const id of source.revoked ?? []) {
    if (registry.get(id)) registry.revoke(id);
  }
  let config: HallConfig | null = null;
  try {
    config = validateHallConfig(source.hall_config as Partial<HallConfig> | undefined);
  } catch (e) {
    errors.hall_config = prefixed("hall_config", e, codes.hall_config);
  }
  const hashes = source.current_hashes ?? {};
  const world: World | null = rules !== null && config !== null &&
      Object.keys(errors).length === 0
    ? {
      rules,
      registry,
      config,
      ...(source.policy_gate ? { policy_gate: source.policy_gate } : {}),
      currentHash: (id) => hashes[id] ?? registry.registeredHash(id),
    }
    : null;
  return { world, errors, rules, registry };
}

/**
 * Load a world; throws `WcpError` whose `path` starts with the part at fault (the first part,
 * in the order rules, registry, bans, hall_config). `codes` replaces the error code of a bad
 * part (a face's own `MCP_CONFIG_INVALID`), else the part's own code.
 *
 * @example
 * ```ts
 * import { loadWorld } from "@wcp/core";
 * try {
 *   loadWorld({ rules: { rules: [] }, registry: [{ worker_id: "x" }] });
 * } catch (e) {
 *   (e as { path: string }).path.startsWith("registry[0]"); // true
 * }
 * ```
 */
export function loadWorld(
  source: WorldSource,
  codes: Partial<Record<WorldPart, string>> = {},
): World {
  const c = checkWorld(source, codes);
  if (c.world !== null) return c.world;
  for (const part of PARTS) {
    const e = c.errors[part];
    if (e !== undefined) throw e;
  }
  throw new WcpError("WORLD_INVALID", "", "the world did not load");
}

/**
 * Decide one request in a world (the core's `makeDecision`).
 *
 * @example
 * ```ts
 * import { decideIn, loadWorld } from "@wcp/core";
 * const d = decideIn(loadWorld({ rules: { rules: [] } }), { capability_id: "cap.x.y" });
 * d.outcome; // "DENY"
 * ```
 */
export function decideIn(
  world: World,
  input: unknown,
  options: { now?: Clock; policyGate?: PolicyGate | PolicyGateFn } = {},
): RouteDecision {
  return makeDecision(input, {
    rules: world.rules,
    registry: world.registry,
    config: world.config,
    policyGate: options.policyGate ?? world.policy_gate,
    currentWorkerHash: (id) => world.currentHash(id),
    ...(options.now ? { now: options.now } : {}),
  });
}

/**
 * Whether a worker of a world may still run an approved request: enrolled, not revoked, no
 * banned registered or current hash, code unchanged since enrolment.
 *
 * @example
 * ```ts
 * import { loadWorld, worldWorkerCheck } from "@wcp/core";
 * worldWorkerCheck(loadWorld({ rules: { rules: [] } })).unavailable("org.x.y.1") !== null; // true
 * ```
 */
export function worldWorkerCheck(world: Pick<World, "registry" | "currentHash">): WorkerCheck {
  return {
    unavailable(workerId) {
      const rec = workerId ? world.registry.get(workerId) : undefined;
      if (!workerId || !rec) return "the approved worker is no longer enrolled";
      if (rec.status === "revoked") return "the approved worker was revoked";
      const registered = world.registry.registeredHash(workerId);
      const current = world.currentHash(workerId);
      if ([registered, current].some((h) => h !== null && world.registry.isBanned(h))) {
        return "the approved worker's code hash is banned";
      }
      if (registered !== null && current !== null && registered !== current) {
        return "the approved worker changed its code since the approval";
      }
      return null;
    },
  };
}
