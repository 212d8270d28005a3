// `wcp route` (one decision from files, or from a hall with --hall), `wcp dispatch` (decide and
// run on a hall) and `wcp validate` (golden cases for a rules file).

import { type DispatchResponse, makeDecision, type RouteDecision } from "../../mod.ts";
import { type Command, type Context, optString, requireString } from "./_args.ts";
import { callHall, HALL_OPTS, hallClient } from "./_hall.ts";
import {
  bold,
  cyan,
  dim,
  err,
  EXIT,
  green,
  out,
  outJson,
  readJsonFile,
  red,
  UsageError,
  yellow,
} from "./_io.ts";
import { loadConfig, loadRegistry, loadRules, registryFrom } from "./_load.ts";

function outcomeText(d: RouteDecision): string {
  return d.outcome === "DISPATCH"
    ? green(d.outcome)
    : d.outcome === "DENY"
    ? red(d.outcome)
    : yellow(d.outcome);
}

/**
 * DISPATCH exits 0; DENY and STEWARD_HOLD (nothing may run yet) exit 1; an input the core refused
 * (DENY_INVALID_INPUT) is bad input, exit 2, with the fields named on stderr.
 */
function exitFor(d: RouteDecision): number {
  if (d.deny_reason_if_denied?.code === "DENY_INVALID_INPUT") {
    err(`wcp route: --input: invalid RouteInput: ${d.deny_reason_if_denied.message}`);
    return EXIT.usage;
  }
  return d.outcome === "DISPATCH" ? EXIT.ok : EXIT.failed;
}

/** The --input RouteInput object (with dry_run when --dry-run). */
async function readInput(ctx: Context): Promise<Record<string, unknown>> {
  const input = await readJsonFile(requireString(ctx, "input"), "--input");
  if (!isObject(input)) throw new UsageError("--input: expected a RouteInput JSON object");
  return ctx.values["dry-run"] ? { ...input, dry_run: true } : input;
}

const route: Command = {
  name: "route",
  summary: "Make one routing decision from a rules file, a registry file and an input file.",
  options: {
    rules: { type: "string", arg: "FILE", help: "rules document (required without --hall)" },
    input: { type: "string", arg: "FILE", help: "RouteInput JSON, - for stdin (required)" },
    ...HALL_OPTS,
    registry: {
      type: "string",
      arg: "FILE",
      help: "registry records: a list, {workers: [...]} (and ban_list)",
    },
    config: {
      type: "string",
      arg: "FILE",
      help: "hall.json or a HallConfig (floors, policy_gate)",
    },
    "dry-run": {
      type: "boolean",
      help: "set dry_run: true on the input (the decision is made, nothing runs)",
    },
    trace: { type: "boolean", help: "print the pipeline step by step" },
  },
  details: "Never executes anything. With --hall, the hall decides (POST /wcp/route: its rules,\n" +
    "registry and floors; a held request gets an approval id) and --rules/--registry/--config are\n" +
    "not used. Exit status: 0 DISPATCH, 1 DENY or STEWARD_HOLD, 2 bad input (an invalid\n" +
    "RouteInput too), 3 hall unreachable, 4 rate limited.\n" +
    "Examples: wcp route --rules rules.json --registry workers.json --input request.json --trace\n" +
    "          wcp route --hall http://127.0.0.1:8787 --input request.json --dry-run",
  async run(ctx) {
    if (ctx.positionals.length) {
      throw new UsageError(`unexpected argument ${JSON.stringify(ctx.positionals[0])}`);
    }
    let decision: RouteDecision;
    if (optString(ctx, "hall") !== undefined) {
      for (const f of ["rules", "registry", "config", "trace"]) {
        if (ctx.values[f] !== undefined) {
          throw new UsageError(
            `--${f} is not used with --hall (the hall decides with its own rules, registry and ` +
              "floors, and sends no trace)",
          );
        }
      }
      const input = await readInput(ctx);
      const client = hallClient(ctx);
      decision = await callHall("route", () => client.route(input));
    } else {
      const rules = await loadRules(requireString(ctx, "rules"));
      const routeInput = await readInput(ctx);
      const registry = await loadRegistry(optString(ctx, "registry"));
      const { config, policyGate } = await loadConfig(optString(ctx, "config"));
      decision = makeDecision(routeInput, {
        rules,
        registry,
        config,
        ...(policyGate ? { policyGate } : {}),
        trace: ctx.values.trace === true,
      });
    }
    if (ctx.json) {
      outJson(decision);
      return exitFor(decision);
    }
    printDecision(decision, ctx.values.trace === true);
    return exitFor(decision);
  },
};

function printDecision(decision: RouteDecision, trace: boolean): void {
  out(
    `${bold("outcome")}   ${outcomeText(decision)}${decision.dry_run ? dim(" (dry run)") : ""}`,
  );
  out(`${bold("rule")}      ${decision.matched_rule_id}`);
  if (decision.selected_worker_species_id) {
    out(
      `${bold("worker")}    ${
        cyan(decision.selected_worker_id ?? "")
      } (${decision.selected_worker_species_id})`,
    );
  }
  if (decision.deny_reason_if_denied) {
    const r = decision.deny_reason_if_denied;
    out(`${bold("denied")}    ${red(r.code)}: ${r.message}`);
  }
  if (decision.supervisor_required) {
    out(
      `${
        bold("held")
      }      supervisor ${decision.supervisor_level}, approval ${decision.pending_approval_id}`,
    );
  }
  out(
    `${bold("blast")}     ${decision.blast_score ?? "-"}${
      decision.blast_gate_passed === false ? red(" (gate failed)") : ""
    }`,
  );
  if (decision.required_controls_effective.length) {
    out(`${bold("controls")}  ${decision.required_controls_effective.join(", ")}`);
  }
  if (trace) {
    out("", bold("trace"));
    for (const s of decision.trace ?? []) {
      const mark = s.outcome === "pass"
        ? green("pass")
        : s.outcome === "skip"
        ? dim("skip")
        : s.outcome === "hold"
        ? yellow("hold")
        : red("deny");
      out(`  ${s.step.padEnd(12)} ${mark}  ${s.detail}`);
    }
  }
}

const dispatch: Command = {
  name: "dispatch",
  summary: "Decide and run a request on a hall: the worker's result and the signed receipt.",
  options: {
    input: { type: "string", arg: "FILE", help: "RouteInput JSON, - for stdin" },
    approval: {
      type: "string",
      arg: "ID",
      help: "run this approved held request instead (exactly once)",
    },
    ...HALL_OPTS,
    "dry-run": { type: "boolean", help: "decide only (nothing runs, no receipt)" },
  },
  details: "Give --input or --approval. Exit status: 0 the worker ran, 1 denied, held (the\n" +
    "approval id is printed), the worker failed or the approval was refused, 2 bad input,\n" +
    "3 hall unreachable, 4 rate limited.\n" +
    "Examples: wcp dispatch --hall http://127.0.0.1:8787 --input request.json\n" +
    "          wcp dispatch --approval 0190... (after wcp approvals approve 0190...)",
  async run(ctx) {
    if (ctx.positionals.length) {
      throw new UsageError(`unexpected argument ${JSON.stringify(ctx.positionals[0])}`);
    }
    const approval = optString(ctx, "approval");
    if ((approval === undefined) === (ctx.values.input === undefined)) {
      throw new UsageError("give exactly one of --input FILE or --approval ID");
    }
    if (approval !== undefined && ctx.values["dry-run"]) {
      throw new UsageError("--dry-run is not used with --approval");
    }
    const input = approval === undefined ? await readInput(ctx) : undefined;
    const client = hallClient(ctx);
    const res: DispatchResponse = await callHall(
      "dispatch",
      () => approval !== undefined ? client.dispatchApproved(approval) : client.dispatch(input!),
    );
    const d = res.decision;
    const ran = d.outcome === "DISPATCH" && !d.dry_run && !res.worker_error;
    const code = d.outcome === "DISPATCH" && !res.worker_error ? EXIT.ok : exitFor(d) || 1;
    if (ctx.json) {
      outJson(res);
      return code;
    }
    out(`${bold("outcome")}   ${outcomeText(d)}${d.dry_run ? dim(" (dry run)") : ""}`);
    if (d.selected_worker_id) out(`${bold("worker")}    ${cyan(d.selected_worker_id)}`);
    if (d.deny_reason_if_denied) {
      out(
        `${bold("denied")}    ${
          red(d.deny_reason_if_denied.code)
        }: ${d.deny_reason_if_denied.message}`,
      );
    }
    if (d.outcome === "STEWARD_HOLD") {
      const id = res.approval_id ?? d.pending_approval_id;
      out(`${bold("held")}      supervisor ${d.supervisor_level}, approval ${id}`);
      out(dim(`next: wcp approvals show ${id}; once approved: wcp dispatch --approval ${id}`));
    }
    if (res.worker_error) out(`${bold("failed")}    ${red(res.worker_error)}`);
    if (ran || res.result !== undefined) {
      out(bold("result"));
      for (const l of JSON.stringify(res.result ?? null, null, 2).split("\n")) out(`  ${l}`);
    }
    if (res.receipt) {
      out(
        `${bold("receipt")}   ${res.receipt.receipt_id} seq ${res.receipt.seq} ${
          dim(res.receipt.receipt_hash)
        }`,
      );
    }
    return code;
  },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

interface GoldenCase {
  name?: string;
  input: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const EXPECT_KEYS = [
  "outcome",
  "denied",
  "deny_code",
  "matched_rule_id",
  "selected_worker_species_id",
  "selected_worker_id",
  "supervisor_required",
  "blast_gate_passed",
];

function actualOf(d: RouteDecision, key: string): unknown {
  if (key === "deny_code") return d.deny_reason_if_denied?.code ?? null;
  return (d as unknown as Record<string, unknown>)[key];
}

const validate: Command = {
  name: "validate",
  summary: "Run golden cases (input + expected outcome) against a rules file.",
  options: {
    rules: { type: "string", arg: "FILE", help: "rules document (required)" },
    cases: {
      type: "string",
      arg: "FILE",
      help: "golden cases: {cases: [{name, input, expect}], registry?, config?} (required)",
    },
    registry: {
      type: "string",
      arg: "FILE",
      help: "registry records (overrides the cases file's registry)",
    },
    config: { type: "string", arg: "FILE", help: "hall.json or a HallConfig" },
  },
  details: `expect may hold: ${EXPECT_KEYS.join(", ")}.\n` +
    "Exit status: 0 every case passes, 1 any case fails, 2 bad input.",
  async run(ctx) {
    if (ctx.positionals.length) {
      throw new UsageError(`unexpected argument ${JSON.stringify(ctx.positionals[0])}`);
    }
    const rules = await loadRules(requireString(ctx, "rules"));
    const doc = await readJsonFile(requireString(ctx, "cases"), "--cases");
    const d = (Array.isArray(doc) ? { cases: doc } : doc) as Record<string, unknown>;
    if (typeof d !== "object" || d === null || !Array.isArray(d.cases) || d.cases.length === 0) {
      throw new UsageError('--cases: expected {"cases": [...]} with at least one case');
    }
    const cases = d.cases as GoldenCase[];
    cases.forEach((c, i) => {
      if (!isObject(c)) throw new UsageError(`--cases: cases[${i}] must be an object`);
      if (!isObject(c.input)) throw new UsageError(`--cases: cases[${i}].input must be an object`);
      if (!isObject(c.expect) || Object.keys(c.expect).length === 0) {
        throw new UsageError(`--cases: cases[${i}].expect must be a non-empty object`);
      }
      for (const k of Object.keys(c.expect)) {
        if (!EXPECT_KEYS.includes(k)) {
          throw new UsageError(
            `--cases: cases[${i}].expect.${k} is not one of ${EXPECT_KEYS.join(", ")}`,
          );
        }
      }
    });
    const registryFlag = optString(ctx, "registry");
    const registry = registryFlag !== undefined
      ? await loadRegistry(registryFlag)
      : d.registry !== undefined
      ? registryFrom(d.registry, "--cases registry")
      : await loadRegistry(undefined);
    const { config, policyGate } = await loadConfig(optString(ctx, "config"));
    const results = cases.map((c, i) => {
      const decision = makeDecision(c.input, {
        rules,
        registry,
        config,
        ...(policyGate ? { policyGate } : {}),
      });
      const mismatches = Object.entries(c.expect).flatMap(([k, want]) => {
        const got = actualOf(decision, k);
        return JSON.stringify(got) === JSON.stringify(want)
          ? []
          : [{ field: k, expected: want, actual: got ?? null }];
      });
      return { name: c.name ?? `cases[${i}]`, passed: mismatches.length === 0, mismatches };
    });
    const failed = results.filter((r) => !r.passed).length;
    if (ctx.json) {
      outJson({ passed: results.length - failed, failed, results });
    } else {
      for (const r of results) {
        out(`${r.passed ? green("pass") : red("FAIL")}  ${r.name}`);
        for (const m of r.mismatches) {
          out(
            `        ${m.field}: expected ${JSON.stringify(m.expected)}, got ${
              JSON.stringify(m.actual)
            }`,
          );
        }
      }
      out(`${results.length - failed} passed, ${failed} failed`);
    }
    return failed ? EXIT.failed : EXIT.ok;
  },
};

/** The route, dispatch and validate commands. */
export const routeCommands: Command[] = [route, dispatch, validate];
