// The hall's options are listed once (src/hall/options.ts): README's table, `--help`, the flags
// main.ts parses, the variables `wcp serve` and `deno task serve` grant, and the hall.json keys
// all follow from it.
import assert from "node:assert/strict";
import {
  HALL_OPTIONS,
  hallEnvironment,
  type HallOption,
  hallOptionsMarkdown,
  hallParseOptions,
  hallUsage,
} from "../../src/hall/options.ts";
import { hallPermissions } from "../../src/cli/serve.ts";
import { HallFileConfigSchema } from "../../src/hall/file_config.ts";

const ROOT = new URL("../../", import.meta.url);
const ALL: readonly HallOption[] = HALL_OPTIONS;

// A Markdown table's cells, whitespace around them dropped (deno fmt may re-pad the columns).
function cells(table: string): string[][] {
  return table.trim().split("\n").filter((l) => !/^\|\s*-/.test(l)).map((l) =>
    l.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim())
  );
}

Deno.test("options: README's hall options table is the one options.ts generates", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const m = /<!-- hall-options:begin -->\n([\s\S]*?)\n<!-- hall-options:end -->/.exec(readme);
  assert.ok(m, "README has no <!-- hall-options:begin --> ... end block");
  assert.deepEqual(
    cells(m[1]),
    cells(hallOptionsMarkdown()),
    `README's hall options table differs from src/hall/options.ts; paste this between the ` +
      `markers:\n\n${hallOptionsMarkdown()}\n`,
  );
});

Deno.test("options: --help names every flag and variable with its help line", async () => {
  const usage = hallUsage();
  for (const o of ALL) {
    if (o.flag) assert.match(usage, new RegExp(`^  ${o.flag}\\b`, "m"), o.flag);
    if (o.env) assert.ok(usage.includes(o.env), o.env);
    assert.ok(usage.includes(o.help.replaceAll("`", "")), o.help);
  }
  // main.ts prints it.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", new URL("src/hall/main.ts", ROOT).pathname, "--help"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trimEnd(), usage);
});

Deno.test("options: the flags main.ts parses are the table's (values and switches)", () => {
  const parsed = hallParseOptions() as Record<string, { type: string }>;
  const flags = ALL.filter((o) => o.flag);
  assert.deepEqual(Object.keys(parsed).sort(), flags.map((o) => o.flag!.slice(2)).sort());
  for (const o of flags) {
    assert.equal(parsed[o.flag!.slice(2)].type, o.value ? "string" : "boolean", o.flag);
  }
});

Deno.test("options: wcp serve and deno task serve grant exactly the table's variables", async () => {
  const envs = hallEnvironment();
  assert.equal(new Set(envs).size, envs.length, "a variable is listed twice");
  const grant = hallPermissions([]).find((p) => p.startsWith("--allow-env="));
  assert.ok(grant);
  // Before the table, `wcp serve` did not grant WCP_HALL_THREADS (the hall ignored it).
  assert.deepEqual(grant.slice("--allow-env=".length).split(",").sort(), [...envs].sort());
  const task = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks.serve;
  const m = /--allow-env=(\S+)/.exec(task);
  assert.ok(m, "deno task serve grants no variables");
  assert.deepEqual(m[1].split(",").sort(), [...envs].sort());
});

Deno.test("options: every hall.json key the table names is one hall.json takes", () => {
  const keys = Object.keys(HallFileConfigSchema.shape);
  for (const o of ALL) {
    if (o.file) assert.ok(keys.includes(o.file.split(".")[0]), `${o.file} is not a hall.json key`);
  }
});
