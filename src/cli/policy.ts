// `wcp policy diff`, `wcp policy simulate` and `wcp policy export`: what a rules change would do,
// exactly over the whole request space (diff) or over recorded decisions (simulate).

import {
  type Condition,
  type DecisionRecord,
  DecisionSimulator,
  diffRuleSets,
  parseDecisionRecord,
  type RuleDiffClass,
  type RuleSetDiff,
  type SimulationReport,
  WcpError,
} from "../../mod.ts";
import { type Command, type Context, optInt, optString, positionals } from "./_args.ts";
import {
  bold,
  cyan,
  dim,
  EXIT,
  green,
  out,
  outJson,
  readJsonFile,
  red,
  RemoteError,
  UsageError,
  yellow,
} from "./_io.ts";
import { loadConfig, loadRegistry, loadRules } from "./_load.ts";
import { HallFileConfigSchema } from "../hall/file_config.ts";

// ---- diff ----

function showCondition(field: string, c: Condition | undefined): string | null {
  if (c === undefined) return null;
  if (typeof c === "string") return `${field}=${c}`;
  if ("any" in c) return field === "capability_id" ? "any capability" : null;
  if ("eq" in c) return `${field}=${c.eq}`;
  if ("in" in c) return `${field} in [${c.in.join(", ")}]`;
  return field === "capability_id"
    ? `any capability except ${c.not_in.join(", ")}`
    : `${field} not in [${c.not_in.join(", ")}]`;
}

function showClass(c: RuleDiffClass): string {
  const m = c.match;
  const parts = [
    showCondition("capability_id", m.capability_id)?.replace(/^capability_id=/, ""),
    showCondition("env", m.env),
    showCondition("data_label", m.data_label),
    showCondition("tenant_risk", m.tenant_risk),
    showCondition("qos_class", m.qos_class),
  ].filter((x): x is string => typeof x === "string" && x !== "");
  return parts.join("  ");
}

function witnessLine(c: RuleDiffClass): string {
  const w = c.witness;
  return dim(
    `witness: ${w.capability_id} ${w.env}/${w.data_label}/${w.tenant_risk}/${w.qos_class}`,
  );
}

function printDiff(d: RuleSetDiff, oldPath: string, newPath: string): void {
  const s = d.summary;
  out(
    `${bold("policy diff")} ${oldPath} -> ${newPath}: ` +
      `${s.widened ? red(`${s.widened} widened`) : "0 widened"}, ` +
      `${s.narrowed ? yellow(`${s.narrowed} narrowed`) : "0 narrowed"}, ${s.changed} changed`,
  );
  out(dim(
    `exact over ${s.cells_compared.toLocaleString("en-US")} cells: ${s.named_capabilities} named ` +
      `capability id(s) and every other id (witness ${d.unnamed_capability_witness}) x 144 ` +
      `combinations of env, data_label, tenant_risk, qos_class`,
  ));
  const section = (
    title: string,
    list: RuleDiffClass[],
    mark: string,
    how: (c: RuleDiffClass) => string,
  ) => {
    if (list.length === 0) return;
    out("", bold(title));
    for (const c of list) {
      out(`  ${mark} ${showClass(c)}  ${how(c)}`);
      out(`      ${witnessLine(c)}`);
    }
  };
  section(
    "WIDENED: NEW allows, OLD denied",
    d.widened,
    red("+"),
    (c) => `-> rule ${cyan(c.new_rule_id!)}`,
  );
  section(
    "NARROWED: OLD allowed, NEW denies",
    d.narrowed,
    yellow("-"),
    (c) => `was rule ${cyan(c.old_rule_id!)}`,
  );
  section(
    "CHANGED: both allow, the decision differs",
    d.changed,
    "~",
    (c) =>
      `${
        c.old_rule_id === c.new_rule_id
          ? `rule ${cyan(c.new_rule_id!)}`
          : `${cyan(c.old_rule_id!)} -> ${cyan(c.new_rule_id!)}`
      }: ${c.aspects.join(", ")}`,
  );
  const sh = d.shadowed_rule_ids;
  if (sh.new.length > 0) {
    out(
      "",
      yellow(
        `warning: NEW has shadowed rules (${
          sh.new.join(", ")
        }): every prod and edge request is denied with DENY_SHADOW_RULES_DETECTED`,
      ),
    );
  }
  if (sh.old.length > 0) {
    out(
      dim(
        `note: OLD has shadowed rules (${
          sh.old.join(", ")
        }): its prod and edge requests were denied`,
      ),
    );
  }
  if (d.identical) out("", green("identical: no request is treated differently"));
}

const FAIL_ON = ["widen", "narrow", "any"] as const;

const diff: Command = {
  name: "policy diff",
  summary: "Exact comparison of two rules files: what NEW allows that OLD denied, and the reverse.",
  positionals: "OLD NEW",
  options: {
    "fail-on": {
      type: "string",
      arg: "widen|narrow|any",
      help: "exit 1 when the diff has widening classes, narrowing ones, or any difference",
    },
  },
  details:
    "Compares first matches over every request the rule grammar can tell apart: every capability\n" +
    "id either file names, plus one class for all other ids, times the 144 combinations of env,\n" +
    "data_label, tenant_risk and qos_class. Each class is printed as a match block with a witness\n" +
    "request (a concrete RouteInput in --json).\n" +
    "Exit status: 0 (or no class of the --fail-on kind), 1 a class of the --fail-on kind,\n" +
    "2 bad input (the file and the path in it are named).",
  async run(ctx) {
    const [oldPath, newPath] = positionals(ctx, ["OLD", "NEW"]);
    const failOn = optString(ctx, "fail-on");
    if (failOn !== undefined && !(FAIL_ON as readonly string[]).includes(failOn)) {
      throw new UsageError(
        `--fail-on must be one of ${FAIL_ON.join("|")}, got ${JSON.stringify(failOn)}`,
      );
    }
    const oldRules = await loadRules(oldPath, `OLD ${oldPath}`);
    const newRules = await loadRules(newPath, `NEW ${newPath}`);
    const d = diffRuleSets(oldRules, newRules);
    if (ctx.json) outJson({ old: oldPath, new: newPath, ...d });
    else printDiff(d, oldPath, newPath);
    const failed = failOn === "widen"
      ? d.widened.length > 0
      : failOn === "narrow"
      ? d.narrowed.length > 0
      : failOn === "any"
      ? !d.identical
      : false;
    return failed ? EXIT.failed : EXIT.ok;
  },
};

// ---- records (JSONL) ----

/** Records of a JSONL file (or stdin for "-"), one at a time; a bad line is a usage error. */
async function* readRecords(path: string): AsyncGenerator<DecisionRecord> {
  const flag = "--records";
  let file: Deno.FsFile | null = null;
  let stream: ReadableStream<Uint8Array>;
  try {
    if (path === "-") stream = Deno.stdin.readable;
    else {
      file = await Deno.open(path, { read: true });
      if ((await file.stat()).isDirectory) throw new UsageError(`${flag}: is a directory: ${path}`);
      stream = file.readable;
    }
  } catch (e) {
    file?.close();
    if (e instanceof UsageError) throw e;
    if (e instanceof Deno.errors.NotFound) throw new UsageError(`${flag}: file not found: ${path}`);
    throw new UsageError(`${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let rest = "";
  let line = 0;
  const parse = (text: string): DecisionRecord | null => {
    line++;
    if (text.trim() === "") return null;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new UsageError(`${flag}: ${path} line ${line}: not JSON`);
    }
    try {
      return parseDecisionRecord(value);
    } catch (e) {
      if (e instanceof WcpError) {
        throw new UsageError(`${flag}: ${path} line ${line}: ${e.message}`, e.code);
      }
      throw e;
    }
  };
  for await (const chunk of stream) {
    let text: string;
    try {
      text = rest + decoder.decode(chunk, { stream: true });
    } catch {
      throw new UsageError(`${flag}: ${path} is not valid UTF-8`);
    }
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      const r = parse(text.slice(start, nl));
      if (r) yield r;
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  const r = parse(rest + decoder.decode());
  if (r) yield r;
}

// ---- hall access ----

const HALL_OPTS = {
  hall: {
    type: "string" as const,
    arg: "URL",
    help: "a hall's base URL (simulate: replay the decisions it recorded)",
  },
  "token-env": {
    type: "string" as const,
    arg: "VAR",
    help: "variable holding an admin bearer token (default WCP_TOKEN)",
  },
};

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

async function hallFetch(
  ctx: Context,
  url: string,
  path: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<unknown> {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new UsageError(`--hall: ${JSON.stringify(url)} is not a URL`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new UsageError(`--hall: ${JSON.stringify(url)} must be http:// or https://`);
  }
  const tokenVar = optString(ctx, "token-env") ?? "WCP_TOKEN";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenVar)) {
    throw new UsageError(`--token-env: ${JSON.stringify(tokenVar)} is not a variable name`);
  }
  const token = env(tokenVar);
  if (!token) {
    throw new UsageError(`--token-env: $${tokenVar} is not set (an admin token is needed)`);
  }
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      ...init,
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new RemoteError(
      `hall unreachable at ${url}: ${(e as Error).message}`,
      EXIT.unreachable,
      "UNREACHABLE",
    );
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new RemoteError(
      `hall answered ${res.status} with a body that is not JSON`,
      EXIT.failed,
      "BAD_ANSWER",
    );
  }
  if (res.ok) return body;
  const e = (body as { error?: { code?: string; message?: string } })?.error ?? {};
  const message = `hall: ${res.status} ${e.code ?? ""}: ${e.message ?? ""}`;
  if (res.status === 400 || res.status === 413) throw new UsageError(message, e.code ?? "HALL_400");
  if (res.status === 429) {
    throw new RemoteError(message, EXIT.rateLimited, e.code ?? "RATE_LIMITED");
  }
  throw new RemoteError(message, EXIT.failed, e.code ?? `HTTP_${res.status}`);
}

// ---- simulate ----

function sign(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function printReport(r: SimulationReport, source: string): void {
  out(
    `${bold("policy simulate")} ${source}: replayed ${r.total.toLocaleString("en-US")} recorded ` +
      `decision(s): ${r.changed ? yellow(`${r.changed} would change`) : "none would change"}, ` +
      `${r.unchanged} unchanged`,
  );
  const o = r.outcomes;
  out(
    dim(
      `outcomes  DISPATCH ${o.old.DISPATCH} -> ${o.new.DISPATCH}   DENY ${o.old.DENY} -> ` +
        `${o.new.DENY}   STEWARD_HOLD ${o.old.STEWARD_HOLD} -> ${o.new.STEWARD_HOLD}`,
    ),
  );
  const b = r.dispatched_blast;
  out(dim(`dispatched blast (five-dimension total) ${b.old} -> ${b.new} (${sign(b.delta)})`));
  for (const g of r.groups) {
    const from = `${g.old_outcome}${g.old_deny_code ? ` ${g.old_deny_code}` : ""}`;
    const to = `${g.new_outcome}${g.new_deny_code ? ` ${g.new_deny_code}` : ""}`;
    const d = g.dispatched_blast_delta;
    out(
      "",
      `  ${bold(String(g.count).padStart(6))}  ${from} -> ${to}   ` +
        dim(`blast ${sign(d.total)} (per decision ${d.min}..${d.max})`),
    );
    for (const e of g.examples) {
      const i = e.input;
      const what = e.changed.filter((c) => c !== "outcome" && c !== "deny_code").map((c) =>
        c === "matched_rule_id"
          ? `rule ${e.old.matched_rule_id} -> ${e.new.matched_rule_id}`
          : `worker ${e.old.selected_worker_id ?? "-"} -> ${e.new.selected_worker_id ?? "-"}`
      );
      out(
        `          ${e.decision_id} ${i.tenant_id} ${i.capability_id} ` +
          `${i.env}/${i.data_label}/${i.tenant_risk}/${i.qos_class}` +
          (what.length ? dim(`  ${what.join("; ")}`) : ""),
      );
    }
  }
}

/** A `--config` file as the hall's simulate body wants it: floors and a table gate, raw. */
async function configParts(path: string): Promise<Record<string, unknown>> {
  await loadConfig(path); // every error named here, before the hall is asked
  const d = await readJsonFile(path, "--config") as Record<string, unknown>;
  const hallFile = Object.keys(d).some((k) => k in HallFileConfigSchema.shape);
  if (!hallFile) return { hall_config: d };
  return {
    ...(d.hall_config !== undefined ? { hall_config: d.hall_config } : {}),
    ...(d.policy_gate !== undefined ? { policy_gate: d.policy_gate } : {}),
  };
}

const simulate: Command = {
  name: "policy simulate",
  summary: "Replay recorded decisions against candidate rules/config/gate; report every change.",
  options: {
    records: { type: "string", arg: "FILE", help: "recorded decisions, JSON Lines (- for stdin)" },
    ...HALL_OPTS,
    rules: { type: "string", arg: "FILE", help: "candidate rules (required with --records)" },
    config: {
      type: "string",
      arg: "FILE",
      help: "candidate hall.json (hall_config and a table policy_gate) or a bare HallConfig",
    },
    registry: { type: "string", arg: "FILE", help: "registry records (with --records)" },
    since: { type: "string", arg: "TIME", help: "with --hall: only decisions at or after TIME" },
    limit: { type: "string", arg: "N", help: "with --hall: at most N records (default 1000000)" },
    examples: { type: "string", arg: "N", help: "examples per group (default 5)" },
    changes: {
      type: "string",
      arg: "FILE",
      help: "with --records: write every changed decision to FILE (JSON Lines)",
    },
    old: {
      type: "string",
      arg: "recorded|current",
      help: "with --hall: the old side as recorded (default), or decided again with what is in " +
        "force (only the candidate's changes)",
    },
    "old-rules": {
      type: "string",
      arg: "FILE",
      help: "with --records: decide the old side again with these rules (same config, registry)",
    },
    "fail-on-change": { type: "boolean", help: "exit 1 when any decision would change" },
  },
  details:
    "From a file: wcp policy simulate --records decisions.jsonl --rules new.json [--config\n" +
    "  hall.json] [--registry registry.json]   (attestation assumes registered hashes)\n" +
    "From a hall: wcp policy simulate --hall URL --token-env VAR [--rules new.json] [--config F]\n" +
    "  (the hall replays its own records against its registry; parts not given are the hall's)\n" +
    "Old = what was recorded (or, with --old current / --old-rules, decided again: only the\n" +
    "candidate's changes, not drift since); new = the decision replayed.\n" +
    "Groups: (old outcome, deny code) -> (new outcome, deny code), with examples and the change\n" +
    "of dispatched blast.\n" +
    "Exit status: 0, 1 with --fail-on-change when a decision changes, 2 bad input, 3 hall unreachable.",
  async run(ctx) {
    if (ctx.positionals.length) {
      throw new UsageError(`unexpected argument ${JSON.stringify(ctx.positionals[0])}`);
    }
    const recordsPath = optString(ctx, "records");
    const hall = optString(ctx, "hall");
    const examples = optInt(ctx, "examples", 5);
    if ((recordsPath === undefined) === (hall === undefined)) {
      throw new UsageError("give exactly one of --records FILE or --hall URL");
    }
    let report: SimulationReport;
    let source: string;
    if (hall !== undefined) {
      for (const f of ["registry", "changes", "old-rules"]) {
        if (optString(ctx, f) !== undefined) {
          throw new UsageError(`--${f} is for --records (the hall uses its own)`);
        }
      }
      const body: Record<string, unknown> = { examples };
      const rulesPath = optString(ctx, "rules");
      if (rulesPath !== undefined) {
        await loadRules(rulesPath);
        body.rules = await readJsonFile(rulesPath, "--rules");
      }
      const configPath = optString(ctx, "config");
      if (configPath !== undefined) Object.assign(body, await configParts(configPath));
      const since = optString(ctx, "since");
      if (since !== undefined) body.since = since;
      if (ctx.values.limit !== undefined) body.limit = optInt(ctx, "limit", 1_000_000);
      const old = optString(ctx, "old");
      if (old !== undefined) {
        if (old !== "recorded" && old !== "current") {
          throw new UsageError(`--old must be recorded or current, got ${JSON.stringify(old)}`);
        }
        body.old = old;
      }
      report = await hallFetch(ctx, hall, "/wcp/simulate", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }, 600_000) as SimulationReport;
      source = hall;
    } else {
      for (const f of ["since", "limit", "old"]) {
        if (ctx.values[f] !== undefined) throw new UsageError(`--${f} is for --hall`);
      }
      const rulesPath = optString(ctx, "rules");
      if (rulesPath === undefined) throw new UsageError("--rules is required with --records");
      const rules = await loadRules(rulesPath);
      const { config, policyGate } = await loadConfig(optString(ctx, "config"));
      const registry = await loadRegistry(optString(ctx, "registry"));
      const oldRulesPath = optString(ctx, "old-rules");
      const oldRules = oldRulesPath === undefined
        ? null
        : await loadRules(oldRulesPath, "--old-rules");
      const changesPath = optString(ctx, "changes");
      let changes: Deno.FsFile | null = null;
      let pending: string[] = [];
      const enc = new TextEncoder();
      const drain = async () => {
        if (!changes || pending.length === 0) return;
        const bytes = enc.encode(pending.join(""));
        pending = [];
        let done = 0;
        while (done < bytes.length) done += await changes.write(bytes.subarray(done));
      };
      if (changesPath !== undefined) {
        try {
          changes = await Deno.open(changesPath, { write: true, create: true, truncate: true });
        } catch (e) {
          throw new UsageError(`--changes: cannot write ${changesPath}: ${(e as Error).message}`);
        }
      }
      const sim = new DecisionSimulator({
        rules,
        registry,
        config,
        ...(policyGate ? { policyGate } : {}),
      }, {
        examples,
        ...(oldRules
          ? {
            baseline: { rules: oldRules, registry, config, ...(policyGate ? { policyGate } : {}) },
          }
          : {}),
        ...(changes ? { onChange: (c) => pending.push(JSON.stringify(c) + "\n") } : {}),
      });
      try {
        for await (const r of readRecords(recordsPath!)) {
          sim.add(r);
          if (pending.length >= 1000) await drain();
        }
        await drain();
      } finally {
        changes?.close();
      }
      report = sim.report();
      source = recordsPath!;
    }
    if (ctx.json) outJson(report);
    else printReport(report, source);
    return ctx.values["fail-on-change"] === true && report.changed > 0 ? EXIT.failed : EXIT.ok;
  },
};

// ---- export ----

const exportCmd: Command = {
  name: "policy export",
  summary: "Write a hall's recorded decisions as JSON Lines (input for policy simulate).",
  options: {
    ...HALL_OPTS,
    since: { type: "string", arg: "TIME", help: "only decisions at or after TIME (RFC 3339)" },
    limit: { type: "string", arg: "N", help: "at most N records (default: all)" },
    out: { type: "string", short: "o", arg: "FILE", help: "write to FILE instead of stdout" },
  },
  details: "Exit status: 0, 2 bad input, 3 hall unreachable.",
  async run(ctx) {
    if (ctx.positionals.length) {
      throw new UsageError(`unexpected argument ${JSON.stringify(ctx.positionals[0])}`);
    }
    const hall = optString(ctx, "hall") ?? env("WCP_HALL_URL") ?? "http://127.0.0.1:8787";
    const since = optString(ctx, "since");
    const limit = ctx.values.limit === undefined ? Infinity : optInt(ctx, "limit", 0);
    const path = optString(ctx, "out");
    const file = path ? await Deno.open(path, { write: true, create: true, truncate: true }) : null;
    const enc = new TextEncoder();
    const write = async (text: string) => {
      if (file) {
        const bytes = enc.encode(text);
        let done = 0;
        while (done < bytes.length) done += await file.write(bytes.subarray(done));
      } else if (text) out(text.slice(0, -1));
    };
    let after = 0;
    let n = 0;
    try {
      while (n < limit) {
        const q = new URLSearchParams({
          after_seq: String(after),
          limit: String(Math.min(1000, limit - n)),
        });
        if (since) q.set("since", since);
        const page = await hallFetch(ctx, hall, `/wcp/decision-records?${q}`, {}, 60_000) as {
          records: unknown[];
          next_after_seq: number;
        };
        if (page.records.length === 0) break;
        await write(page.records.map((r) => JSON.stringify(r) + "\n").join(""));
        n += page.records.length;
        after = page.next_after_seq;
      }
    } finally {
      file?.close();
    }
    if (path) {
      if (ctx.json) outJson({ file: path, records: n });
      else out(`${n} record(s) written to ${path}`);
    }
    return EXIT.ok;
  },
};

/** The policy commands. */
export const policyCommands: Command[] = [diff, simulate, exportCmd];
