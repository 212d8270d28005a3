// Command definitions and argument parsing (node:util parseArgs, strict), with usage errors that
// name the flag.

import { parseArgs } from "node:util";
import { UsageError } from "./_io.ts";

/** One option of a command. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help, e.g. `FILE`. */
  arg?: string;
  help: string;
}

/** One `wcp` command (or sub-command such as `registry status`). */
export interface Command {
  /** `search`, `registry status`, … */
  name: string;
  /** One line for `wcp --help`. */
  summary: string;
  /** Positional arguments, e.g. `QUERY...`. */
  positionals?: string;
  /** Options besides `--json` and `--help`. */
  options: Record<string, OptionSpec>;
  /** Extra help text (examples, exit codes). */
  details?: string;
  /** Pass unknown flags through (serve, mcp). */
  passthrough?: boolean;
  run(ctx: Context): Promise<number>;
}

/** What a command receives. */
export interface Context {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  json: boolean;
  /** Raw arguments after the command name (for pass-through commands). */
  raw: string[];
}

/** Parse a command's arguments; unknown flags and missing values become `UsageError`. */
export function parseCommand(cmd: Command, args: string[]): Context & { help: boolean } {
  if (cmd.passthrough) {
    return {
      values: {},
      positionals: [],
      json: args.includes("--json"),
      raw: args.filter((a) => a !== "--json"),
      help: args.includes("--help") || args.includes("-h"),
    };
  }
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  };
  for (const [k, o] of Object.entries(cmd.options)) {
    options[k] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`wcp ${cmd.name}: ${cleanParseError((e as Error).message)}`);
  }
  const values = parsed.values as Context["values"];
  return {
    values,
    positionals: parsed.positionals,
    json: values.json === true,
    raw: args,
    help: values.help === true,
  };
}

function cleanParseError(message: string): string {
  // node's messages run over several lines with hints about "--"; keep one line that names the flag.
  const ambiguous = message.match(/^Option '([^']+)' argument is ambiguous/);
  if (ambiguous) {
    return `${ambiguous[1]} needs a value (write ${
      ambiguous[1]
    }=VALUE for a value starting with "-")`;
  }
  const m = message.match(/^(Unknown option '[^']+')/) ??
    message.match(/^(Option '[^']+' argument missing)/) ??
    message.match(/^(Unexpected argument '[^']+')/);
  return m ? m[1] : message.split("\n")[0].split(". ")[0];
}

/** Help text of a command. */
export function commandHelp(cmd: Command): string {
  const lines = [
    `wcp ${cmd.name}${cmd.positionals ? " " + cmd.positionals : ""} [options]`,
    "",
    cmd.summary,
    "",
  ];
  const rows: [string, string][] = Object.entries(cmd.options).map(([k, o]) => [
    `${o.short ? `-${o.short}, ` : ""}--${k}${o.type === "string" ? ` ${o.arg ?? "VALUE"}` : ""}`,
    o.help + (o.multiple ? " (repeatable)" : ""),
  ]);
  rows.push(["--json", "print the result as JSON on stdout"], ["-h, --help", "show this help"]);
  const w = Math.max(...rows.map((r) => r[0].length));
  lines.push("Options:", ...rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`));
  if (cmd.details) lines.push("", cmd.details);
  return lines.join("\n");
}

/** A required string option, or a usage error naming it. */
export function requireString(ctx: Context, name: string): string {
  const v = ctx.values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

/** An optional string option. */
export function optString(ctx: Context, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === "string" ? v : undefined;
}

/** A repeatable string option as a list (also splitting on commas). */
export function optList(ctx: Context, name: string): string[] {
  const v = ctx.values[name];
  const list = Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
  return list.flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean);
}

/** A non-negative integer option. */
export function optInt(ctx: Context, name: string, fallback: number): number {
  const v = ctx.values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || !/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** Exactly `n` positionals, or a usage error naming what is missing. */
export function positionals(ctx: Context, names: string[]): string[] {
  if (ctx.positionals.length < names.length) {
    throw new UsageError(`missing ${names.slice(ctx.positionals.length).join(" ")}`);
  }
  if (ctx.positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(ctx.positionals[names.length])}`);
  }
  return ctx.positionals;
}
