// `wcp` starts without --allow-env: commands that read no variable must not need it because of
// what the CLI imports. (The MCP SDK's stdio client transport, which the gateway code uses, reads
// OSTYPE when its module loads; it used to be imported by every start through src/cli/gateway.ts.)
import assert from "node:assert/strict";
import { CLI, PERMS } from "./_run.ts";

const NO_ENV = PERMS.filter((p) => !p.startsWith("--allow-env"));

async function wcpNoEnv(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command("deno", {
    args: ["run", "--quiet", ...NO_ENV, CLI, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

Deno.test("wcp --help and wcp explain run with the task's permissions minus --allow-env", async () => {
  assert.equal(NO_ENV.length, PERMS.length - 1);
  const help = await wcpNoEnv(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: wcp <command>/m);
  const explain = await wcpNoEnv(["explain", "cap.ops.approve", "--json"]);
  assert.equal(explain.code, 0, explain.stderr);
  assert.equal(JSON.parse(explain.stdout).entry.id, "cap.ops.approve");
  assert.doesNotMatch(help.stderr + explain.stderr, /NotCapable|--allow-env/);
});
