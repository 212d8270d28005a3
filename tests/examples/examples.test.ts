// Every example runs with its one command from examples/README.md (here with --json), and shows
// what it says it shows. The Python example needs python3 on PATH: without it the test fails and
// says so (.ci/run installs it).
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command("deno", {
    args: ["run", "--quiet", "--check", ...args, "--json"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: r.code,
    stdout: new TextDecoder().decode(r.stdout),
    stderr: new TextDecoder().decode(r.stderr),
  };
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

function hasPython(): boolean {
  try {
    return new Deno.Command("python3", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test("examples/hello-ts: the hall calls the TypeScript HTTP worker", async () => {
  const r = await run(["--allow-net=127.0.0.1", "examples/hello-ts/main.ts"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const s = lastJson(r.stdout);
  assert.equal(s.outcome, "DISPATCH");
  assert.deepEqual((s.result as Record<string, unknown>).greeting, "Hello, Ada!");
  assert.equal((s.result as Record<string, unknown>).worker, "typescript");
  assert.equal(s.denied_code, "DENY_NO_MATCHING_RULE");
  assert.equal(s.chain_ok, true);
});

Deno.test("examples/hello-py: the hall calls the Python (standard library) HTTP worker", async () => {
  assert.ok(
    hasPython(),
    "python3 is not on PATH: this example needs it (apt-get install python3; .ci/run does)",
  );
  const r = await run([
    "--allow-net=127.0.0.1",
    "--allow-run=python3",
    "examples/hello-py/main.ts",
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const s = lastJson(r.stdout);
  assert.equal(s.outcome, "DISPATCH");
  assert.equal((s.result as Record<string, unknown>).greeting, "Hello, Ada!");
  assert.equal((s.result as Record<string, unknown>).worker, "python");
  assert.equal(s.denied_code, "DENY_NO_MATCHING_RULE");
  assert.equal(s.chain_ok, true);
});

Deno.test("examples/mcp-interop: an MCP client calls governed tools", async () => {
  const r = await run(["--allow-run=deno", "--allow-env", "examples/mcp-interop/client.ts"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const s = lastJson(r.stdout) as Record<string, Record<string, unknown>>;
  assert.equal(s.allowed.outcome, "DISPATCH");
  assert.match(String(s.allowed.receipt), /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(s.denied, { is_error: true, code: "DENY_NO_MATCHING_RULE" });
  assert.equal(s.held.code, "STEWARD_HOLD");
  assert.match(String(s.held.approval_id), /^[0-9a-f-]{36}$/);
});

interface Step {
  worker_id: string | null;
  own_score: number | null;
  chain_total: number | null;
  outcome: string;
  deny_code: string | null;
}

Deno.test("examples/pipeline: five workers, the chain's blast total is capped", async (t) => {
  await t.step("over the cap the last step is denied", async () => {
    const r = await run(["--allow-net=127.0.0.1", "examples/pipeline/main.ts"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = lastJson(r.stdout) as {
      cap: number;
      steps: Step[];
      receipts: number;
      chain_ok: boolean;
    };
    assert.deepEqual(s.steps.map((x) => x.outcome), [
      "DISPATCH",
      "DISPATCH",
      "DISPATCH",
      "DISPATCH",
      "DENY",
    ]);
    assert.deepEqual(s.steps.map((x) => x.chain_total), [3, 6, 9, 13, 22]);
    assert.equal(s.steps[4].deny_code, "DENY_BLAST_OVER_CAP");
    assert.ok(s.steps[4].own_score! <= s.cap, "alone, the last worker is under the cap");
    assert.equal(s.receipts, 4, "one receipt per executed step");
    assert.equal(s.chain_ok, true);
  });
  await t.step("with --hold the last step waits for a human", async () => {
    const r = await run(["--allow-net=127.0.0.1", "examples/pipeline/main.ts", "--hold"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = lastJson(r.stdout) as { steps: Step[] };
    assert.equal(s.steps[4].outcome, "STEWARD_HOLD");
    assert.equal(s.steps[4].chain_total, 22);
  });
});
