import assert from "node:assert/strict";
import { tempDir } from "./_run.ts";

// The README's one-line install, run exactly as written (taken from the README) into a throwaway
// DENO_INSTALL_ROOT: the installed `wcp` keeps the task's permissions and works from any folder.
const REPO = new URL("../../", import.meta.url).pathname;
const FX = new URL("./fixtures/", import.meta.url).pathname;
const dec = new TextDecoder();

async function readmeInstallLine(): Promise<string> {
  const readme = await Deno.readTextFile(`${REPO}README.md`);
  const lines = readme.split("\n").filter((l) => l.startsWith("deno install -g "));
  assert.equal(lines.length, 1, `one install line in README.md, found ${lines.length}`);
  assert.ok(!lines[0].endsWith("\\"), "the install line is one line");
  return lines[0];
}

Deno.test("the README's deno install line gives a working wcp with least permissions", async () => {
  const root = await tempDir();
  const line = await readmeInstallLine();
  const env = { NO_COLOR: "1", DENO_INSTALL_ROOT: root, PATH: Deno.env.get("PATH") ?? "" };
  const install = await new Deno.Command("sh", {
    args: ["-c", line],
    cwd: REPO,
    env: { ...env, HOME: Deno.env.get("HOME") ?? "" },
  }).output();
  assert.equal(install.code, 0, dec.decode(install.stderr));
  const shim = await Deno.readTextFile(`${root}/bin/wcp`);
  assert.ok(!shim.includes("--allow-all") && !/ -A /.test(shim), shim);
  assert.match(shim, /--allow-net=127\.0\.0\.1,localhost/);
  assert.match(shim, /--allow-run=deno /);

  const wcp = async (args: string[]) => {
    const out = await new Deno.Command(`${root}/bin/wcp`, { args, cwd: root, env }).output();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  };
  const help = await wcp(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: wcp <command>/m);
  assert.match(help.stdout, /^ {2}route {2}/m);
  const explain = await wcp(["explain", "cap.ops.approve", "--json"]);
  assert.equal(explain.code, 0, explain.stderr);
  assert.equal(JSON.parse(explain.stdout).entry.id, "cap.ops.approve");
  const route = await wcp([
    "route",
    "--rules",
    `${FX}rules.json`,
    "--registry",
    `${FX}registry.json`,
    "--input",
    `${FX}input_dev.json`,
  ]);
  assert.equal(route.code, 0, route.stderr);
  assert.match(route.stdout, /^outcome {3}DISPATCH\n/);
});
