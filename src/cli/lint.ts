// `wcp lint`: shadowed or unreachable rules, unknown ids, records that can never be selected
// (the rules engineer's lintRules, fed with the catalog and an optional registry file).

import { getCatalog, type LintFinding, lintRules, parseRules, WcpError } from "../../mod.ts";
import { type Command, optString, requireString } from "./_args.ts";
import { dim, EXIT, out, outJson, readJsonFile, red, UsageError, yellow } from "./_io.ts";
import { loadRegistry } from "./_load.ts";

const lint: Command = {
  name: "lint",
  summary: "Lint a rules file: shadowed/unreachable rules, unknown ids, unselectable records.",
  options: {
    rules: { type: "string", arg: "FILE", help: "rules document (required)" },
    registry: {
      type: "string",
      arg: "FILE",
      help: "registry records, to find records that can never be selected",
    },
    strict: { type: "boolean", help: "warnings also fail (exit 1)" },
    "no-catalog": { type: "boolean", help: "do not flag ids missing from the catalog" },
  },
  details:
    "Exit status: 0 clean (or only warnings/info), 1 errors (or warnings with --strict), 2 bad input.\n" +
    "A rules file that does not load is reported as one RULES_INVALID error (exit 1).",
  async run(ctx) {
    if (ctx.positionals.length) {
      throw new UsageError(`unexpected argument ${JSON.stringify(ctx.positionals[0])}`);
    }
    const path = requireString(ctx, "rules");
    const doc = await readJsonFile(path, "--rules");
    const registry = await loadRegistry(optString(ctx, "registry"));
    let findings: LintFinding[];
    try {
      const ruleSet = parseRules(doc);
      const catalog = getCatalog();
      const ids = (t: "capability" | "species" | "control") => catalog.ofType(t).map((e) => e.id);
      findings = lintRules(ruleSet, {
        ...(ctx.values["no-catalog"] ? {} : {
          capabilities: ids("capability"),
          species: ids("species"),
          controls: ids("control"),
        }),
        ...(registry.workers().length ? { records: registry.workers() } : {}),
      });
    } catch (e) {
      if (!(e instanceof WcpError)) throw e;
      findings = [{
        severity: "error",
        code: e.code,
        rule_id: null,
        path: e.path,
        message: e.message,
      }];
    }
    const errors = findings.filter((f) => f.severity === "error").length;
    const warnings = findings.filter((f) => f.severity === "warning").length;
    const failed = errors > 0 || (ctx.values.strict === true && warnings > 0);
    if (ctx.json) {
      outJson({ file: path, errors, warnings, findings });
    } else {
      for (const f of findings) {
        const sev = f.severity === "error"
          ? red("error")
          : f.severity === "warning"
          ? yellow("warning")
          : dim("info");
        out(`${path}:${f.path || "-"}: ${sev} ${f.code}: ${f.message}`);
      }
      out(
        `${errors} error(s), ${warnings} warning(s), ${findings.length - errors - warnings} info`,
      );
    }
    return failed ? EXIT.failed : EXIT.ok;
  },
};

/** The lint command. */
export const lintCommands: Command[] = [lint];
