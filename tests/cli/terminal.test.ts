import assert from "node:assert/strict";
import { CLI, PERMS, tempDir, wcp } from "./_run.ts";
import { mcpPermissions } from "../../src/cli/serve.ts";

// `script` gives the CLI a pseudo-terminal, so colour rules can be checked as a user sees them.
async function inTerminal(args: string[], env: Record<string, string>): Promise<string> {
  const cmd = ["deno", "run", "--quiet", ...PERMS, CLI, ...args].map((a) => `'${a}'`).join(" ");
  const out = await new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    env,
    clearEnv: true,
  }).output();
  return new TextDecoder().decode(out.stdout);
}

const hasScript = await new Deno.Command("sh", { args: ["-c", "command -v script"] }).output()
  .then((o) => o.code === 0, () => false);
const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";
const HOME = Deno.env.get("HOME") ?? "/tmp";

Deno.test({
  name: "colour on a terminal, none with NO_COLOR, none in a pipe",
  ignore: !hasScript,
  fn: async () => {
    const coloured = await inTerminal(["search", "cap.ops.approve", "--limit", "1"], {
      PATH,
      HOME,
    });
    assert.ok(coloured.includes("\x1b[36mcap.ops.approve\x1b[0m"), JSON.stringify(coloured));
    const plain = await inTerminal(["search", "approve", "--limit", "1"], {
      PATH,
      HOME,
      NO_COLOR: "1",
    });
    assert.ok(plain.includes("cap.ops.approve"));
    assert.ok(!plain.includes("\x1b["), JSON.stringify(plain));
    const piped = await new Deno.Command("deno", {
      args: ["run", "--quiet", ...PERMS, CLI, "search", "approve"],
      env: { PATH, HOME },
      clearEnv: true,
    }).output();
    assert.ok(!new TextDecoder().decode(piped.stdout).includes("\x1b["));
  },
});

async function mcpInitialize(
  extra: string[],
): Promise<{ id: number; result: { serverInfo: { name: string } } }> {
  const child = new Deno.Command("deno", {
    args: ["run", "--quiet", ...PERMS, CLI, "mcp", ...extra],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "t", version: "1" },
      },
    }) + "\n",
  ));
  await w.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(text.length > 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(text.split("\n")[0]);
}

Deno.test("wcp mcp starts the MCP server on stdio and answers initialize", async () => {
  const first = await mcpInitialize([]);
  assert.equal(first.id, 1);
  assert.equal(first.result.serverInfo.name, "wcp-mcp");
});

Deno.test("wcp mcp --config: rules named relative to the config file are readable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-cli-mcp-" });
  await Deno.writeTextFile(`${dir}/rules.json`, JSON.stringify({ rules: [] }));
  await Deno.writeTextFile(
    `${dir}/mcp.json`,
    JSON.stringify({ tenant: { tenant_id: "acme" }, rules: "rules.json" }),
  );
  const first = await mcpInitialize(["--config", `${dir}/mcp.json`]);
  assert.equal(first.result.serverInfo.name, "wcp-mcp");
  // A hall in the config grants its host and token variable, nothing wider.
  await Deno.writeTextFile(
    `${dir}/hall.json`,
    JSON.stringify({ rules: "/abs/rules.json", hall: { url: "http://127.0.0.1:9911" } }),
  );
  assert.deepEqual(mcpPermissions(["--config", `${dir}/hall.json`]), [
    "--allow-env=WCP_MCP_CONFIG,WCP_HALL_TOKEN",
    `--allow-read=${dir}/hall.json,${dir},/abs/rules.json`,
    "--allow-net=127.0.0.1:9911",
  ]);
  assert.deepEqual(mcpPermissions([]), ["--allow-env=WCP_MCP_CONFIG"]);
});

Deno.test({
  name: "a progress bar on stderr while hashing, only on a terminal",
  ignore: !hasScript,
  fn: async () => {
    const dir = await tempDir();
    assert.equal((await wcp(["attest", "scaffold", `${dir}/pkg`])).code, 0);
    await Deno.writeFile(`${dir}/pkg/code/blob.bin`, new Uint8Array(3 * 1024 * 1024));
    const sign = [
      "attest",
      "sign",
      `${dir}/pkg`,
      "--worker-id",
      "org.acme.w.1",
      "--species",
      "wrk.doc.summarizer",
      "--version",
      "1",
      "--hmac-env",
      "WCP_T_SECRET",
    ];
    const tty = await inTerminal(sign, { PATH, HOME, NO_COLOR: "1", WCP_T_SECRET: "k" });
    assert.match(tty, /hashing \[[#.]{30}\] +\d+%/);
    const piped = await wcp(sign, { env: { WCP_T_SECRET: "k" } });
    assert.equal(piped.code, 0);
    assert.equal(piped.stderr, "");
  },
});
