// `wcp rules show|add --hall`: the rules a hall has in force, and adding rules (a scaffolded
// worker's rule_snippet.json) to them through POST /wcp/rules/reload, which validates the whole
// document (refused: the old rules stay) and writes the hall's rules file.

import { parseRules, WcpError } from "../../mod.ts";
import { type Command, positionals } from "./_args.ts";
import { callHall, HALL_OPTS, hallClient } from "./_hall.ts";
import { bold, cyan, dim, EXIT, green, out, outJson, readJsonFile, UsageError } from "./_io.ts";

function rulesOf(doc: unknown, flag: string): Record<string, unknown>[] {
  const list = Array.isArray(doc)
    ? doc
    : typeof doc === "object" && doc !== null && Array.isArray((doc as { rules?: unknown }).rules)
    ? (doc as { rules: unknown[] }).rules
    : null;
  if (list === null || list.length === 0) {
    throw new UsageError(
      `${flag}: expected {"rules": [...]} or a list of rules, with at least one`,
    );
  }
  try {
    parseRules({ rules: list });
  } catch (e) {
    if (e instanceof WcpError) throw new UsageError(`${flag}: ${e.code}: ${e.message}`, e.code);
    throw e;
  }
  return list as Record<string, unknown>[];
}

const show: Command = {
  name: "rules show",
  summary: "Show the routing rules a hall has in force.",
  options: { ...HALL_OPTS },
  details: "Exit status: 0 shown, 1 refused, 2 bad input, 3 unreachable, 4 rate limited.",
  async run(ctx) {
    positionals(ctx, []);
    const client = hallClient(ctx);
    const r = await callHall("rules", () => client.rules());
    if (ctx.json) outJson(r);
    else {
      out(bold(`${r.rules.length} rule(s)`) + dim(`, loaded ${r.loaded_at}`));
      for (const rule of r.rules) {
        out(`  ${cyan(String(rule.rule_id))}  ${JSON.stringify(rule.match ?? {})}`);
      }
    }
    return EXIT.ok;
  },
};

const add: Command = {
  name: "rules add",
  summary: "Add rules (e.g. a scaffolded worker's rule_snippet.json) to those a hall has in force.",
  positionals: "FILE",
  options: {
    ...HALL_OPTS,
    replace: { type: "boolean", help: "replace rules that have the same rule_id (else refused)" },
  },
  details:
    "New rules go after the rules in force (first match wins). The hall validates the whole\n" +
    "document and keeps its old rules if it refuses it. Admin token.\n" +
    "Exit status: 0 added, 1 refused by the hall or a rule_id clash, 2 bad input, 3/4 hall.",
  async run(ctx) {
    const [path] = positionals(ctx, ["FILE"]);
    const adding = rulesOf(await readJsonFile(path, "FILE"), "FILE");
    const client = hallClient(ctx);
    const current = (await callHall("rules", () => client.rules())).rules;
    const ids = new Set(adding.map((r) => r.rule_id));
    const clash = current.filter((r) => ids.has(r.rule_id));
    if (clash.length && ctx.values.replace !== true) {
      throw new UsageError(
        `FILE: rule_id ${clash.map((r) => r.rule_id).join(", ")} is already in force ` +
          "(use --replace)",
      );
    }
    const merged = [...current.filter((r) => !ids.has(r.rule_id)), ...adding];
    const res = await callHall("rules reload", () => client.reloadRules({ rules: merged }));
    if (ctx.json) outJson({ ...res, added: adding.map((r) => r.rule_id) });
    else {
      out(
        `${green(clash.length ? "replaced" : "added")} ${
          adding.map((r) => r.rule_id).join(", ")
        }; ${res.rule_count} rule(s) in force`,
      );
    }
    return EXIT.ok;
  },
};

/** The rules commands that talk to a hall. */
export const hallRulesCommands: Command[] = [show, add];
