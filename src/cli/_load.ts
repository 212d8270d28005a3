// Loading rules, registries, configs and inputs for `route`, `validate` and `lint`, with errors
// that name the flag and the field.

import {
  checkWorld,
  type HallConfig,
  type KeyFile,
  makeDecision,
  parseRules,
  type PolicyGateFn,
  Registry,
  type RuleSet,
  WcpError,
} from "../../mod.ts";
import {
  compileGate,
  HallFileConfigSchema,
  type PolicyGateConfig,
  PolicyGateConfigSchema,
} from "../hall/file_config.ts";
import { pathExists, readKeyFile } from "../adapters/fs.ts";
import { readJsonFile, UsageError } from "./_io.ts";

const EMPTY_RULES = parseRules([]);

/** Parse a rules file; `RULES_INVALID` becomes a usage error naming the flag and path. */
export async function loadRules(path: string, flag = "--rules"): Promise<RuleSet> {
  const doc = await readJsonFile(path, flag);
  try {
    return parseRules(doc);
  } catch (e) {
    if (e instanceof WcpError) throw new UsageError(`${flag}: ${e.code}: ${e.message}`, e.code);
    throw e;
  }
}

function listOf(doc: unknown): unknown[] | null {
  if (Array.isArray(doc)) return doc;
  if (typeof doc === "object" && doc !== null) {
    const w = (doc as Record<string, unknown>).workers ?? (doc as Record<string, unknown>).records;
    if (Array.isArray(w)) return w;
    if ("worker_id" in doc) return [doc];
  }
  return null;
}

/**
 * Records from a file holding one record, a list, or `{workers: [...]}`; each must be a JSON
 * object (a usage error names the first that is not).
 */
export function recordsOf(doc: unknown, flag: string): unknown[] {
  const list = listOf(doc);
  if (list === null) {
    throw new UsageError(
      `${flag}: expected a registry record, a list of records or {"workers": [...]}`,
    );
  }
  const bad = list.findIndex((r) => typeof r !== "object" || r === null || Array.isArray(r));
  if (bad >= 0) {
    const r = list[bad];
    const got = r === null ? "null" : Array.isArray(r) ? "an array" : `a ${typeof r}`;
    throw new UsageError(
      `${flag}: records[${bad}]: a registry record is a JSON object, got ${got}`,
    );
  }
  return list;
}

/** A record's `WcpError` as a usage error located at `records[i]` (and the field, if any). */
export function recordError(prefix: string, i: number, e: WcpError): UsageError {
  const where = e.path ? `records[${i}].${e.path}` : `records[${i}]`;
  const what = e.path ? e.message.slice(e.path.length + 2) : e.message;
  return new UsageError(`${prefix}: ${where}: ${what}`, e.code);
}

/** A WcpError's message without the path it starts with. */
function bareMessage(e: WcpError): string {
  return e.path && e.message.startsWith(`${e.path}: `)
    ? e.message.slice(e.path.length + 2)
    : e.message;
}

/** `registry[3].worker_id` -> `[3, "worker_id"]` (the loader's path of a bad entry). */
function entryOf(path: string): [number, string] {
  const m = /^[a-z_]+\[(\d+)\](?:\.(.*))?$/.exec(path);
  return m ? [Number(m[1]), m[2] ?? ""] : [0, ""];
}

/**
 * Enroll every record of a registry file into a fresh Registry (through the engine's world
 * loader, the checks the hall and the MCP server make), then its `ban_list`.
 */
export function registryFrom(doc: unknown, flag: string): Registry {
  const records = recordsOf(doc, flag);
  const bans = (doc as Record<string, unknown>)?.ban_list;
  const loaded = checkWorld({
    rules: EMPTY_RULES,
    registry: records,
    bans: Array.isArray(bans) ? bans : [],
  });
  const bad = loaded.errors.registry;
  if (bad !== undefined) {
    const [i, field] = entryOf(bad.path);
    const what = bareMessage(bad);
    throw new UsageError(
      `${flag}: records[${i}]${field ? `.${field}` : ""}: ${what}`,
      bad.code,
    );
  }
  const ban = loaded.errors.bans;
  if (ban !== undefined) {
    const [i, field] = entryOf(ban.path);
    const what = bareMessage(ban);
    throw new UsageError(`${flag}: ban_list[${i}]: ${field ? `${field}: ` : ""}${what}`, ban.code);
  }
  return loaded.registry;
}

/** A registry file (records list, `{workers: [...]}` or one record), or an empty registry. */
export async function loadRegistry(
  path: string | undefined,
  flag = "--registry",
): Promise<Registry> {
  if (path === undefined) return new Registry();
  return registryFrom(await readJsonFile(path, flag), flag);
}

/** Hall floors and policy gate from a hall.json or a bare HallConfig file. */
export async function loadConfig(
  path: string | undefined,
  flag = "--config",
): Promise<{ config: Partial<HallConfig>; policyGate?: PolicyGateFn }> {
  if (path === undefined) return { config: {} };
  const doc = await readJsonFile(path, flag);
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new UsageError(`${flag}: expected a JSON object`);
  }
  const d = doc as Record<string, unknown>;
  // A hall.json (any of its own top-level keys present) gives its hall_config section; a file
  // without any is a bare HallConfig, used whole.
  const hallFile = Object.keys(d).some((k) => k in HallFileConfigSchema.shape);
  const floors = hallFile ? d.hall_config ?? {} : d;
  if (typeof floors !== "object" || floors === null || Array.isArray(floors)) {
    throw new UsageError(`${flag}: hall_config must be a JSON object`);
  }
  const config = floors as Partial<HallConfig>;
  // The core validates the floors as the first step of every decision; ask it once here, so a
  // bad file is bad input (exit 2) rather than a DENY_INTERNAL_ERROR for every request.
  const probe = makeDecision({}, { rules: EMPTY_RULES, config, trace: true });
  const configStep = probe.trace?.find((s) => s.step === "config");
  if (configStep?.outcome === "deny") {
    throw new UsageError(`${flag}: ${probe.deny_reason_if_denied?.message ?? configStep.detail}`);
  }
  if (d.policy_gate === undefined) return { config };
  const gate = parseGate(d.policy_gate, flag);
  if (gate.type !== "table") {
    // Cedar and webhook gates run at the hall (src/hall/gates.ts), not in this command.
    throw new UsageError(
      `${flag}: policy_gate.type: a ${gate.type} gate is run by the hall; this command ` +
        "evaluates the table gate only",
    );
  }
  return { config, policyGate: compileGate(gate) };
}

/**
 * A hall file's `policy_gate` (the hall's own schema: table, cedar or webhook), or a usage error
 * naming the field. (A Cedar gate's policies are checked against the schema when the hall loads.)
 */
export function parseGate(value: unknown, flag: string): PolicyGateConfig {
  const gate = PolicyGateConfigSchema.safeParse(value);
  if (!gate.success) {
    const issue = gate.error.issues[0];
    const at = issue.path.length ? `policy_gate.${issue.path.join(".")}` : "policy_gate";
    throw new UsageError(`${flag}: ${at}: ${issue.message}`);
  }
  return gate.data;
}

/** A key file named by `--key`: not found, unreadable or invalid is a usage error naming it. */
export async function loadKeyFile(path: string, flag = "--key"): Promise<KeyFile> {
  if (!(await pathExists(path))) throw new UsageError(`${flag}: file not found: ${path}`);
  try {
    return await readKeyFile(path);
  } catch (e) {
    if (!(e instanceof WcpError)) {
      throw new UsageError(`${flag}: cannot read ${path}: ${(e as Error).message}`);
    }
    // readKeyFile names the file itself for read errors; content errors name the field.
    const msg = e.path === path ? e.message : `${path}: ${e.message}`;
    throw new UsageError(`${flag}: ${msg}`, e.code);
  }
}
