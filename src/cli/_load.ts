// Loading rules, registries, configs and inputs for `route`, `validate` and `lint`, with errors
// that name the flag and the field.

import {
  type HallConfig,
  parseRules,
  type PolicyGateFn,
  Registry,
  type RuleSet,
  WcpError,
} from "../../mod.ts";
import { compileGate, GateConfigSchema } from "../hall/file_config.ts";
import { readJsonFile, UsageError } from "./_io.ts";
import { recordsOf } from "./check.ts";

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

/** A record's `WcpError` as a usage error located at `records[i]` (and the field, if any). */
export function recordError(prefix: string, i: number, e: WcpError): UsageError {
  const where = e.path ? `records[${i}].${e.path}` : `records[${i}]`;
  const what = e.path ? e.message.slice(e.path.length + 2) : e.message;
  return new UsageError(`${prefix}: ${where}: ${what}`, e.code);
}

/** Enroll every record of a registry file into a fresh Registry. */
export function registryFrom(doc: unknown, flag: string): Registry {
  const registry = new Registry();
  const records = recordsOf(doc, flag);
  records.forEach((r, i) => {
    try {
      registry.enroll(r);
    } catch (e) {
      if (e instanceof WcpError) throw recordError(flag, i, e);
      throw e;
    }
  });
  const bans = (doc as Record<string, unknown>)?.ban_list;
  if (Array.isArray(bans)) {
    bans.forEach((b, i) => {
      try {
        registry.ban(b);
      } catch (e) {
        if (e instanceof WcpError) {
          throw new UsageError(`${flag}: ban_list[${i}]: ${e.message}`, e.code);
        }
        throw e;
      }
    });
  }
  return registry;
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
  const config =
    (typeof d.hall_config === "object" && d.hall_config !== null ? d.hall_config : d) as Partial<
      HallConfig
    >;
  if (d.policy_gate === undefined) return { config };
  const gate = GateConfigSchema.safeParse(d.policy_gate);
  if (!gate.success) {
    const issue = gate.error.issues[0];
    throw new UsageError(`${flag}: policy_gate.${issue.path.join(".")}: ${issue.message}`);
  }
  return { config, policyGate: compileGate(gate.data) };
}
