#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env --allow-net=127.0.0.1,localhost --allow-run=deno
/**
 * `wcp`: the Worker Class Protocol command-line tool. Run `wcp --help`.
 *
 * Exit codes: 0 ok/allowed, 1 denied or a failed check, 2 usage or bad input, 3 hall
 * unreachable, 4 rate limited.
 *
 * @module
 */

import { WcpError } from "../../mod.ts";
import { type Command, commandHelp, parseCommand } from "./_args.ts";
import { err, EXIT, FailedError, outJson, RemoteError, UsageError } from "./_io.ts";
import { catalogCommands } from "./catalog.ts";
import { scaffoldCommands } from "./scaffold.ts";
import { routeCommands } from "./route.ts";
import { lintCommands } from "./lint.ts";
import { checkCommands } from "./check.ts";
import { registryCommands } from "./registry.ts";
import { attestCommands } from "./attest.ts";
import { receiptsCommands } from "./receipts.ts";
import { serveCommands } from "./serve.ts";
import { policyCommands } from "./policy.ts";
import { approvalsCommands } from "./approvals.ts";
import { tenantCommands } from "./tenants.ts";
import { attestSubmitCommands } from "./attest_submit.ts";
import { hallRulesCommands } from "./hall_rules.ts";
import { gatewayCommands } from "./gateway.ts";

/** The version printed by `wcp --version`. */
export const WCP_CLI_VERSION = "0.1.0";

/** Every command, in the order `wcp --help` lists them. */
export const COMMANDS: Command[] = [
  ...catalogCommands,
  ...scaffoldCommands,
  ...routeCommands,
  ...lintCommands,
  ...checkCommands,
  ...registryCommands,
  ...hallRulesCommands,
  ...approvalsCommands,
  ...tenantCommands,
  ...attestCommands,
  ...attestSubmitCommands,
  ...receiptsCommands,
  ...policyCommands,
  ...serveCommands,
  ...gatewayCommands,
];

const EXIT_HELP = `Exit codes:
  0  ok / allowed
  1  denied or held, refused by the hall (401, 403, 404, 409), not found, or a failed check
  2  usage error or bad input (one line on stderr naming the flag or field), an invalid
     RouteInput, or a --token-env variable that is not set
  3  the hall could not be reached
  4  the hall rate-limited the request`;

function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "wcp: the Worker Class Protocol command-line tool",
    "",
    "Usage: wcp <command> [arguments] [options]     (every command takes --json and --help)",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    "",
    EXIT_HELP,
  ].join("\n");
}

function findCommand(args: string[]): { cmd: Command; rest: string[] } | { group: string } | null {
  const two = `${args[0]} ${args[1]}`;
  const byTwo = COMMANDS.find((c) => c.name === two);
  if (byTwo) return { cmd: byTwo, rest: args.slice(2) };
  const byOne = COMMANDS.find((c) => c.name === args[0]);
  if (byOne) return { cmd: byOne, rest: args.slice(1) };
  if (COMMANDS.some((c) => c.name.startsWith(`${args[0]} `))) return { group: args[0] };
  return null;
}

function groupHelp(group: string): string {
  const subs = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const w = Math.max(...subs.map((c) => c.name.length));
  return [
    `Usage: wcp ${group} <sub-command> [options]`,
    "",
    ...subs.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
  ]
    .join("\n");
}

const MAX_ERROR_LINE = 500;

/** Run the CLI with these arguments; resolves to the exit code. */
export async function runCli(args: string[]): Promise<number> {
  const wantJson = args.includes("--json");
  const fail = (code: number, errCode: string, message: string): number => {
    // One readable line even when the input echoed in it is huge (--json keeps it whole).
    err(
      message.length > MAX_ERROR_LINE
        ? `${message.slice(0, MAX_ERROR_LINE)}… (truncated)`
        : message,
    );
    if (wantJson) outJson({ error: { code: errCode, message } });
    return code;
  };
  if (args.length === 0 || args[0] === "--help" || args[0] === "-h" || args[0] === "help") {
    if (args[0] === "help" && args[1]) return runCli([...args.slice(1), "--help"]);
    console.log(mainHelp());
    return args.length === 0 ? EXIT.usage : EXIT.ok;
  }
  if (args[0] === "--version" || args[0] === "-V") {
    console.log(`wcp ${WCP_CLI_VERSION}`);
    return EXIT.ok;
  }
  const found = findCommand(args);
  if (!found) {
    return fail(
      EXIT.usage,
      "USAGE",
      `wcp: unknown command ${JSON.stringify(args[0])} (see wcp --help)`,
    );
  }
  if ("group" in found) {
    const sub = args[1];
    if (sub === undefined || sub === "--help" || sub === "-h") {
      console.log(groupHelp(found.group));
      return sub === undefined ? EXIT.usage : EXIT.ok;
    }
    return fail(
      EXIT.usage,
      "USAGE",
      `wcp ${found.group}: unknown sub-command ${
        JSON.stringify(sub)
      } (see wcp ${found.group} --help)`,
    );
  }
  const { cmd, rest } = found;
  try {
    const ctx = parseCommand(cmd, rest);
    if (ctx.help) {
      console.log(commandHelp(cmd));
      // serve/mcp: the server's own flags follow.
      if (cmd.passthrough) {
        console.log("");
        return await cmd.run(ctx);
      }
      return EXIT.ok;
    }
    return await cmd.run(ctx);
  } catch (e) {
    // The reader went away (`wcp search | head -1`): stop quietly, as Unix tools do.
    if (e instanceof Deno.errors.BrokenPipe) return EXIT.ok;
    if (e instanceof UsageError) {
      const msg = e.message.startsWith("wcp ") ? e.message : `wcp ${cmd.name}: ${e.message}`;
      return fail(EXIT.usage, e.code, msg);
    }
    if (e instanceof FailedError) return fail(EXIT.failed, e.code, `wcp ${cmd.name}: ${e.message}`);
    if (e instanceof RemoteError) return fail(e.exitCode, e.code, `wcp ${cmd.name}: ${e.message}`);
    if (e instanceof WcpError) {
      return fail(EXIT.usage, e.code, `wcp ${cmd.name}: ${e.code}: ${e.message}`);
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      return fail(
        EXIT.failed,
        "PERMISSION",
        `wcp ${cmd.name}: permission denied: ${(e as Error).message}`,
      );
    }
    const message = e instanceof Error ? e.message : String(e);
    return fail(EXIT.failed, "INTERNAL", `wcp ${cmd.name}: ${message}`);
  }
}

if (import.meta.main) {
  try {
    Deno.exitCode = await runCli(Deno.args);
  } catch (e) {
    // Only reachable when even reporting an error hits a closed pipe.
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}
