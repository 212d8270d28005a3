// `wcp serve --threads 2` starts a hall serving from two threads: the CLI grants the hall it
// spawns what the options table (src/hall/options.ts) says `--threads` needs (`--unstable-net`,
// read access on ./src and ./mcp), as `deno task serve` does. Before, the spawned hall exited
// with its own "--threads needs `deno run --unstable-net`" message.
import assert from "node:assert/strict";
import { hallPermissions } from "../../src/cli/serve.ts";
import { startHall } from "./_hall.ts";

Deno.test("wcp serve --threads 2: the hall listens and /wcp/health reports two threads", async () => {
  const hall = await startHall({ args: ["--threads", "2"] });
  try {
    const res = await fetch(`${hall.url}/wcp/health`);
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.equal(body.threads.count, 2);
  } finally {
    assert.equal(await hall.stop(), 0);
  }
});

Deno.test("wcp serve: --unstable-net and module reads only for what needs them", () => {
  const one = hallPermissions(["--threads", "1"]);
  assert.ok(!one.includes("--unstable-net"));
  assert.ok(!one.find((p) => p.startsWith("--allow-read="))!.includes("/src"));
  const two = hallPermissions(["--threads=2"]);
  assert.ok(two.includes("--unstable-net"));
  const read = two.find((p) => p.startsWith("--allow-read="))!.split("=")[1].split(",");
  assert.ok(read.some((p) => p.endsWith("/src")), read.join(","));
  assert.ok(read.some((p) => p.endsWith("/mcp")), read.join(","));
  assert.ok(hallPermissions(["--reuse-port"]).includes("--unstable-net"));
});
