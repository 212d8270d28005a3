// `@redocly/cli lint` (its recommended rules) finds no error and no warning in the hall's
// `/openapi.json`. The linter runs as a subprocess from the pinned npm specifier (a dev tool, kept
// out of the project's import map and lockfile: `--no-config --no-lock`), with no network, reads
// of the document's folder and Deno's npm cache only, and the `homedir` lookup it makes at start;
// it enumerates the whole environment (yargs, dotenv), so env access stays unscoped.
import assert from "node:assert/strict";
import { HALL_TEST, withHall } from "./_helpers.ts";

const REDOCLY = "npm:@redocly/cli@2.77.0";

interface LintProblem {
  ruleId: string;
  severity: string;
  message: string;
  location?: { pointer?: string }[];
}

async function npmCache(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success, "deno info --json");
  return String(JSON.parse(new TextDecoder().decode(out.stdout)).npmCache);
}

Deno.test({
  name: "openapi: redocly lint reports no error and no warning on /openapi.json",
  ...HALL_TEST,
  fn: async () => {
    const doc = await withHall({}, async (h) => {
      const res = await h.req("/openapi.json", { token: null });
      assert.equal(res.status, 200);
      return await res.text();
    });
    const dir = await Deno.makeTempDir({ prefix: "wcp-openapi-lint-" });
    try {
      await Deno.writeTextFile(`${dir}/openapi.json`, doc);
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-config",
          "--no-lock",
          `--allow-read=${dir},${await npmCache()}`,
          "--allow-env",
          "--allow-sys=homedir",
          REDOCLY,
          "lint",
          "--format=json",
          "openapi.json",
        ],
        cwd: dir,
        env: { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      const stderr = new TextDecoder().decode(out.stderr);
      let report: { totals: Record<string, number>; problems: LintProblem[] };
      try {
        report = JSON.parse(stdout);
      } catch {
        throw new Error(`redocly printed no JSON report (exit ${out.code}):\n${stderr}`);
      }
      const problems = report.problems.map((p) =>
        `${p.severity} ${p.ruleId} at ${p.location?.[0]?.pointer ?? "?"}: ${p.message}`
      );
      assert.deepEqual(problems, [], problems.join("\n"));
      assert.equal(report.totals.errors, 0);
      assert.equal(report.totals.warnings, 0);
      assert.ok(out.success, `redocly exit ${out.code}: ${stderr}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
