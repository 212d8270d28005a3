import assert from "node:assert/strict";
import { PERMS, tempDir } from "./_run.ts";

// The README's install command, into a throwaway root: the installed `wcp` runs and keeps the
// task's permissions.
Deno.test("deno install -g produces a working wcp with least permissions", async () => {
  const root = await tempDir();
  const repo = new URL("../../", import.meta.url).pathname;
  const install = await new Deno.Command("deno", {
    args: [
      "install",
      "-g",
      "--quiet",
      "--root",
      root,
      "--name",
      "wcp",
      ...PERMS,
      "--config",
      "deno.json",
      "src/cli/main.ts",
    ],
    cwd: repo,
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(install.code, 0, new TextDecoder().decode(install.stderr));
  const shim = await Deno.readTextFile(`${root}/bin/wcp`);
  assert.ok(!shim.includes("--allow-all") && !/ -A /.test(shim), shim);
  assert.match(shim, /--allow-net=127\.0\.0\.1,localhost/);
  assert.match(shim, /--allow-run=deno /);
  const run = await new Deno.Command(`${root}/bin/wcp`, {
    args: ["explain", "cap.ops.approve", "--json"],
    cwd: root,
    env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" },
  }).output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  assert.equal(JSON.parse(new TextDecoder().decode(run.stdout)).entry.id, "cap.ops.approve");
});
