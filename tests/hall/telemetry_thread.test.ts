// The SQLite store's telemetry thread (issue 14 item 4): rows cross to it as one packed string,
// and a process that cannot have the thread (a narrow --allow-read) says so, on stderr and in
// `writer()` (the hall's /wcp/health `telemetry.writer`), instead of silently writing telemetry
// on the thread that serves requests.
import assert from "node:assert/strict";
import { packRows, unpackRows } from "../../src/hall/store/sqlite/_telemetry_wire.ts";

const TELEMETRY = new URL("../../src/hall/store/sqlite/telemetry.ts", import.meta.url).href;
const DB = new URL("../../src/hall/store/sqlite/db.ts", import.meta.url).href;
const SRC = new URL("../../src", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

Deno.test("telemetry wire: rows survive packing (commas, digits, unicode, empty fields)", () => {
  const rows: [string, string, string][] = [
    ["d1", "c1", '[{"a":"1,2,3"}]'],
    ["", "", ""],
    ["12,", "3,4", "é😀,\n\u0000"],
    ["d".repeat(10_000), "c", "[]"],
  ];
  assert.deepEqual(unpackRows(packRows(rows)), rows);
  assert.deepEqual(unpackRows(packRows([])), []);
  for (const bad of ["x", "5,ab", "2,ab2,cd", "-1,"]) {
    assert.throws(() => unpackRows(bad), /telemetry rows: bad field length/, bad);
  }
});

async function probe(readFlag: string): Promise<{ writer: unknown; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "wcp_tel_thread_" });
  try {
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { SqliteTelemetry } from ${JSON.stringify(TELEMETRY)};
import { SqliteDb } from ${JSON.stringify(DB)};
const db = new SqliteDb(${JSON.stringify(`${dir}/t.sqlite`)}, "FULL");
console.log(JSON.stringify(new SqliteTelemetry(db, true).writer()));
db.close?.();
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        CONFIG,
        `--allow-read=${dir}${readFlag}`,
        `--allow-write=${dir}`,
        script,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    return { writer: JSON.parse(new TextDecoder().decode(out.stdout)), stderr };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("telemetry thread: a process that may not read src/ reports the fallback", async () => {
  const narrow = await probe("");
  assert.equal((narrow.writer as { thread: string }).thread, "main");
  assert.equal((narrow.writer as { fallback: boolean }).fallback, true);
  assert.match(String((narrow.writer as { reason: string }).reason), /no read permission/);
  assert.match(narrow.stderr, /telemetry writes fall back to the main thread/);

  const granted = await probe(`,${SRC}`);
  assert.deepEqual(granted.writer, { thread: "worker", reason: null, fallback: false });
  assert.doesNotMatch(granted.stderr, /fall back/);
});
