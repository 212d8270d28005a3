// The SQLite store writes telemetry on a worker thread; a process that may not read the worker's
// module (e.g. `deno run --allow-read=<data dir>`, as README suggests for another data directory)
// must still store every event (it used to drop them all).
import assert from "node:assert/strict";

const STORE = new URL("../../src/hall/store/sqlite/mod.ts", import.meta.url).href;
// The probe lives outside the repository, so it names the project's configuration (its import map
// resolves the store's bare specifiers, e.g. @noble/hashes); reading it needs no permission.
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

Deno.test("sqlite telemetry: stored in-thread when the worker module may not be read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp_review_tel_" });
  try {
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { openSqliteStore } from ${JSON.stringify(STORE)};
const store = await openSqliteStore(${JSON.stringify(`${dir}/hall.sqlite`)});
const rows = [1, 2, 3].map((n) => ({
  event_id: "evt.os.task.routed",
  decision_id: "d" + n,
  correlation_id: "c" + n,
  timestamp: new Date(0).toISOString(),
  event: { event_id: "evt.os.task.routed", decision_id: "d" + n, n },
}));
await store.appendTelemetry(rows);
const back = await store.listTelemetry({});
await store.close();
console.log(JSON.stringify(back.map((r) => r.decision_id)));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", CONFIG, `--allow-read=${dir}`, `--allow-write=${dir}`, script],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), ["d1", "d2", "d3"]);
    assert.doesNotMatch(stderr, /Uncaught|Requires read access/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
