// `wcp check`: WCP-Basic / Standard / Full compliance of a hall configuration or of worker
// registry records, with every gap listed.

import {
  checkHallCompliance,
  checkWorkerCompliance,
  checkWorld,
  type ComplianceLevel,
  type ComplianceReport,
} from "../../mod.ts";
import { HallFileConfigSchema } from "../hall/file_config.ts";
import { parentDir } from "../adapters/fs.ts";
import { type Command, optString } from "./_args.ts";
import { bold, EXIT, green, out, outJson, readJsonFile, red, UsageError } from "./_io.ts";
import { parseGate, recordsOf } from "./_load.ts";

const LEVELS: Record<string, ComplianceLevel> = {
  basic: "WCP-Basic",
  standard: "WCP-Standard",
  full: "WCP-Full",
};
const RANK: ComplianceLevel[] = ["none", "WCP-Basic", "WCP-Standard", "WCP-Full"];

function printReport(title: string, r: ComplianceReport, want: ComplianceLevel): void {
  const ok = RANK.indexOf(r.achieved_level) >= RANK.indexOf(want);
  out(
    `${bold(title)}: ${ok ? green(r.achieved_level) : red(r.achieved_level)}${
      ok ? "" : ` (needs ${want})`
    }`,
  );
  for (const c of r.checks) {
    out(
      `  ${c.passed ? green("ok  ") : red("gap ")} ${c.level.padEnd(8)} ${c.label}${
        c.detail ? ` (${c.detail})` : ""
      }`,
    );
  }
}

const check: Command = {
  name: "check",
  summary: "WCP-Basic/Standard/Full compliance of a hall config (hall.json) or worker records.",
  positionals: "[HALL_CONFIG]",
  options: {
    worker: {
      type: "string",
      arg: "FILE",
      help: "check registry record(s) instead (exact control ids; docs/protocol/compliance.md)",
    },
    level: {
      type: "string",
      arg: "LEVEL",
      help: "level required for exit 0: basic, standard or full (default full)",
    },
  },
  details:
    "Exit status: 0 when the required level is reached (by every record), 1 when not, 2 on bad input.\n" +
    "Examples: wcp check data/hall.json --level standard; wcp check --worker registry_record.json",
  async run(ctx) {
    const levelName = optString(ctx, "level") ?? "full";
    const want = LEVELS[levelName];
    if (!want) {
      throw new UsageError(
        `--level: unknown level ${JSON.stringify(levelName)} (basic, standard, full)`,
      );
    }
    const workerFile = optString(ctx, "worker");
    if (workerFile !== undefined) {
      if (ctx.positionals.length) {
        throw new UsageError("give either HALL_CONFIG or --worker, not both");
      }
      const reports = recordsOf(await readJsonFile(workerFile, "--worker"), "--worker").map(
        checkWorkerCompliance,
      );
      const passed = reports.every((r) => RANK.indexOf(r.achieved_level) >= RANK.indexOf(want));
      if (ctx.json) outJson({ kind: "worker", required_level: want, passed, workers: reports });
      else for (const r of reports) printReport(r.worker_id, r, want);
      return passed ? EXIT.ok : EXIT.failed;
    }
    if (ctx.positionals.length !== 1) {
      throw new UsageError(
        ctx.positionals.length
          ? `unexpected argument ${JSON.stringify(ctx.positionals[1])}`
          : "missing HALL_CONFIG (or --worker FILE)",
      );
    }
    const path = ctx.positionals[0];
    const doc = await readJsonFile(path, "HALL_CONFIG");
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
      throw new UsageError("HALL_CONFIG: expected a JSON object (hall.json or a HallConfig)");
    }
    const given = doc as Record<string, unknown>;
    // What the hall would refuse to load cannot count as configured.
    if (given.policy_gate !== undefined) parseGate(given.policy_gate, "HALL_CONFIG");
    // The hall config and the rules load through the engine's world loader (the hall's, the MCP
    // server's and the playground's checks; errors start with the part: `hall_config.x: ...`).
    if (given.hall_config !== undefined) {
      const e = checkWorld({ rules: [], hall_config: given.hall_config }).errors.hall_config;
      if (e !== undefined) throw new UsageError(`HALL_CONFIG: ${e.message}`, e.code);
    }
    // A hall.json without rules_file is read by the hall with rules.json beside it: so here too
    // (the verdict is the hall's own: /wcp/health reports the same function's level).
    const isHallFile = Object.keys(given).some((k) => k in HallFileConfigSchema.shape);
    const d = isHallFile && given.rules === undefined && given.rules_file === undefined
      ? { ...given, rules_file: "rules.json" }
      : given;
    let rulesError: string | undefined;
    if (typeof d.rules === "object" && d.rules !== null) {
      rulesError = checkWorld({ rules: d.rules }).errors.rules?.message;
    }
    const rulesFile = d.rules_file;
    if (typeof rulesFile === "string") {
      const full = rulesFile.startsWith("/") ? rulesFile : `${parentDir(path)}/${rulesFile}`;
      try {
        const loaded = checkWorld({ rules: JSON.parse(await Deno.readTextFile(full)) });
        if (loaded.errors.rules !== undefined) {
          rulesError = `${rulesFile}: ${loaded.errors.rules.message}`;
        } else if (loaded.rules?.rules.length === 0) {
          rulesError = `${rulesFile} holds no rules (the hall refuses it: everything is denied)`;
        }
      } catch (e) {
        rulesError = e instanceof Deno.errors.NotFound
          ? `${rulesFile} not found`
          : `${rulesFile}: ${(e as Error).message}`;
      }
    }
    const r = checkHallCompliance(d, { rulesError });
    const passed = RANK.indexOf(r.achieved_level) >= RANK.indexOf(want);
    if (ctx.json) outJson({ kind: "hall", file: path, required_level: want, passed, ...r });
    else printReport(path, r, want);
    return passed ? EXIT.ok : EXIT.failed;
  },
};

/** The check command. */
export const checkCommands: Command[] = [check];
