/**
 * Hall-level configuration: the floors every rule runs under.
 *
 * @module
 */

import { WcpError } from "./errors.ts";
import { type Env, ENVS, SUPERVISOR_LEVELS, type SupervisorLevel } from "./model.ts";

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
  /**
   * Controls the hall itself provides to every dispatch (`ctrl.*` ids, e.g. the append-only audit
   * log it keeps). A rule's required control is met by a candidate's own `currently_implements`
   * or by this list, never by another worker's record
   * (docs/protocol/rules.md#whose-controls-count).
   */
  hall_provided_controls: string[];
  /**
   * Let the principal whose request was held (its token, its MCP session) resolve that hold
   * itself. Default false: separation of duties (`APPROVER_IS_REQUESTER`).
   */
  allow_self_approval: boolean;
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
  hall_provided_controls: [],
  allow_self_approval: false,
});

const BOOLEAN_KEYS = [
  "require_signatory",
  "require_worker_attestation",
  "enforce_correlation_id",
  "enforce_required_controls",
  "enforce_blast_scoring_in_prod",
  "enforce_privilege_envelopes",
  "approvals_enabled",
  "redact_tenant_in_prod",
  "allow_self_approval",
] as const;

const KNOWN_KEYS: readonly string[] = Object.keys(DEFAULT_HALL_CONFIG);
const MAX_TTL_SECONDS = 31_536_000; // one year: beyond that a date is more likely a unit mistake

function invalid(path: string, message: string): never {
  throw new WcpError("CONFIG_INVALID", path, message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.slice(0, 40))}`;
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

// Levenshtein distance, for "did you mean" hints on misspelt keys.
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function nearest(word: string, known: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(w, k);
    if (d < bestD) (best = k, bestD = d);
  }
  // A hint only when it is plausibly the same word (a few typos, or a part of the name).
  const close = bestD <= Math.max(2, Math.floor(w.length / 3));
  const part = w.length >= 4 && known.filter((k) => k.includes(w)).length === 1;
  if (close) return best;
  return part ? known.find((k) => k.includes(w)) ?? null : null;
}

function stringList(v: unknown, path: string, what: string): string[] {
  if (!Array.isArray(v)) invalid(path, `must be an array of ${what}, got ${describe(v)}`);
  return v.map((x, i) => {
    if (typeof x !== "string" || x.length === 0) {
      invalid(`${path}[${i}]`, `must be a non-empty string, got ${describe(x)}`);
    }
    return x;
  });
}

/**
 * Validate a (partial) hall configuration and fill the missing fields from
 * {@link DEFAULT_HALL_CONFIG}. Fails closed: an unknown key (a misspelt floor such as
 * `require_signatry` would otherwise be silently ignored), a wrong type, a bad enum value or an
 * out-of-range number throws `WcpError` with code `CONFIG_INVALID`, `path` naming the key
 * (`egress_allowlist.prd`, `allowed_tenants[2]`) and, for unknown keys, the nearest known key.
 * `undefined` gives the defaults. The result is a fresh object (arrays copied).
 *
 * @param value The parsed configuration, e.g. the `hall_config` object of `hall.json`.
 * @returns The complete configuration.
 * @throws {WcpError} `CONFIG_INVALID` with `path` set to the offending key.
 *
 * @example
 * ```ts
 * import { validateHallConfig, WcpError } from "@wcp/core";
 * validateHallConfig({ require_signatory: true, allowed_tenants: ["acme"] }).blast_gate_threshold; // 85
 * try {
 *   validateHallConfig({ require_signatry: true });
 * } catch (e) {
 *   if (e instanceof WcpError) console.log(e.code, e.path, e.message);
 *   // CONFIG_INVALID require_signatry require_signatry: unknown key; did you mean "require_signatory"?
 * }
 * ```
 */
export function validateHallConfig(value: unknown): HallConfig {
  if (value === undefined) return copyConfig(DEFAULT_HALL_CONFIG);
  if (!isObject(value)) invalid("", `the hall config must be an object, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (KNOWN_KEYS.includes(key)) continue;
    const hint = nearest(key, KNOWN_KEYS);
    invalid(
      key,
      hint
        ? `unknown key; did you mean ${JSON.stringify(hint)}?`
        : `unknown key; known keys: ${KNOWN_KEYS.join(", ")}`,
    );
  }
  const out = copyConfig(DEFAULT_HALL_CONFIG);
  for (const key of BOOLEAN_KEYS) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== "boolean") {
      invalid(key, `must be a boolean (true or false), got ${describe(v)}`);
    }
    out[key] = v;
  }
  if (value.allowed_tenants !== undefined) {
    out.allowed_tenants = stringList(value.allowed_tenants, "allowed_tenants", "tenant ids");
  }
  const th = value.blast_gate_threshold;
  if (th !== undefined) {
    if (typeof th !== "number" || !Number.isFinite(th) || th < 0 || th > 100) {
      invalid("blast_gate_threshold", `must be a number from 0 to 100, got ${describe(th)}`);
    }
    out.blast_gate_threshold = th;
  }
  const ttl = value.approval_ttl_seconds;
  if (ttl !== undefined) {
    if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) {
      invalid(
        "approval_ttl_seconds",
        `must be a number of seconds > 0 and <= ${MAX_TTL_SECONDS}, got ${describe(ttl)}`,
      );
    }
    out.approval_ttl_seconds = ttl;
  }
  const level = value.default_supervisor_level;
  if (level !== undefined) {
    if (typeof level !== "string" || !(SUPERVISOR_LEVELS as readonly string[]).includes(level)) {
      invalid(
        "default_supervisor_level",
        `must be one of ${SUPERVISOR_LEVELS.join(", ")}, got ${describe(level)}`,
      );
    }
    out.default_supervisor_level = level as SupervisorLevel;
  }
  if (value.hall_provided_controls !== undefined) {
    out.hall_provided_controls = controlList(value.hall_provided_controls);
  }
  const egress = value.egress_allowlist;
  if (egress !== undefined) {
    if (!isObject(egress)) {
      invalid(
        "egress_allowlist",
        `must be an object of env to destinations, got ${describe(egress)}`,
      );
    }
    const list: Partial<Record<Env, string[]>> = {};
    for (const [env, dests] of Object.entries(egress)) {
      if (!(ENVS as readonly string[]).includes(env)) {
        const hint = nearest(env, ENVS);
        invalid(
          `egress_allowlist.${env}`,
          `unknown env; must be one of ${ENVS.join(", ")}${
            hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""
          }`,
        );
      }
      list[env as Env] = stringList(dests, `egress_allowlist.${env}`, "destinations");
    }
    out.egress_allowlist = list;
  }
  return out;
}

// The registry's control id form: ctrl. + 1-3 lowercase segments, at most 64 characters.
const CONTROL_ID = /^ctrl(?:\.[a-z0-9][a-z0-9_-]*){1,3}$/;

function controlList(v: unknown): string[] {
  const path = "hall_provided_controls";
  if (!Array.isArray(v)) invalid(path, `must be an array of ctrl.* ids, got ${describe(v)}`);
  const seen = new Set<string>();
  return v.map((x, i) => {
    if (typeof x !== "string" || x.length > 64 || !CONTROL_ID.test(x)) {
      invalid(
        `${path}[${i}]`,
        "must be a ctrl.* id (2-4 dot-separated lowercase segments, at most 64 characters), " +
          `got ${describe(x)}`,
      );
    }
    if (seen.has(x)) invalid(`${path}[${i}]`, `duplicate control id ${JSON.stringify(x)}`);
    seen.add(x);
    return x;
  });
}

function copyConfig(c: Readonly<HallConfig>): HallConfig {
  const egress: Partial<Record<Env, string[]>> = {};
  for (const [env, list] of Object.entries(c.egress_allowlist)) egress[env as Env] = [...list];
  return {
    ...c,
    allowed_tenants: [...c.allowed_tenants],
    egress_allowlist: egress,
    hall_provided_controls: [...c.hall_provided_controls],
  };
}
