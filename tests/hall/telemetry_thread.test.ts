// The SQLite store's telemetry thread (issue 14 item 4): rows cross to it as one packed string,
// and a process that cannot have the thread (a narrow --allow-read) says so, on stderr and in
// `writer()` (the hall's /wcp/health `telemetry.writer`), instead of silently writing telemetry
// on the thread that serves requests.
import assert from "node:assert/strict";
import { packRows, unpackRows } from "../../src/hall/store/sqlite/_telemetry_wire.ts";
import { startHall } from "../../scripts/load/hall_process.ts";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import type { DecisionRecord } from "../../mod.ts";

const STORE = new URL("../../src/hall/store/sqlite/mod.ts", import.meta.url).href;
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
      `import { openSqliteStore } from ${JSON.stringify(STORE)};
const store = await openSqliteStore(${JSON.stringify(`${dir}/t.sqlite`)});
const writer = (store as unknown as { telemetryWriter(): unknown }).telemetryWriter();
await store.appendTelemetry([{ event_id: "evt.os.task.routed", decision_id: "d1",
  correlation_id: "c1", timestamp: new Date(0).toISOString(), event: { n: 1 } }]);
const back = await store.listTelemetry({});
await store.close();
console.log(JSON.stringify({ writer, stored: back.length }));
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
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(got.stored, 1, "the event is stored either way");
    return { writer: got.writer, stderr };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("telemetry thread: a process that may not read src/ reports the fallback", async () => {
  const narrow = await probe("");
  assert.equal((narrow.writer as { thread: string }).thread, "main");
  assert.equal((narrow.writer as { fallback: boolean }).fallback, true);
  assert.match(String((narrow.writer as { reason: string }).reason), /no read permission/);
  assert.match(narrow.stderr, /hall: telemetry writes fall back to the main thread: no read/);

  const granted = await probe(`,${SRC}`);
  assert.deepEqual(granted.writer, { thread: "worker", reason: null, fallback: false });
  assert.doesNotMatch(granted.stderr, /fall back/);
});

Deno.test({
  name: "load harness: a hall given 'deno task serve' grants writes telemetry on its thread; " +
    "one without read of src/ is refused, naming the fallback",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const hall = await startHall();
    try {
      const res = await fetch(`${hall.url}/wcp/health`);
      const health = await res.json();
      assert.deepEqual(health.telemetry.writer, {
        thread: "worker",
        reason: null,
        fallback: false,
      });
      assert.equal(health.registry_sync.full_loads, 1);
    } finally {
      await hall.stop();
    }
    const dropSrc = (flags: string[]) =>
      flags.map((f) =>
        f.startsWith("--allow-read=")
          ? "--allow-read=" + f.slice(13).split(",").filter((p) => !p.endsWith("/src")).join(",")
          : f
      );
    await assert.rejects(
      () => startHall({ editFlags: dropSrc }),
      /hall started degraded \(telemetry writes fall back to the main thread: no read permission/,
    );
  },
});

Deno.test({
  name: "replay records written on the telemetry thread and on the serving thread share one " +
    "numbering (file store)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp_tel_records_" });
    const path = `${dir}/hall.sqlite`;
    const threaded = await openSqliteStore(path);
    const inline = await openSqliteStore(path, { telemetryWorker: false });
    try {
      const rec = (i: number): DecisionRecord =>
        ({
          decision_id: `d${i}`,
          timestamp: `2026-12-07T12:00:${String(i).padStart(2, "0")}.000Z`,
          input: { correlation_id: `c${i}`, tenant_id: "acme", capability_id: "cap.doc.x" },
          parent_chain_blast_score: null,
          gate_answer: null,
          outcome: "DENY",
          deny_code: "DENY_NO_MATCHING_RULE",
          matched_rule_id: "NO_MATCH",
          selected_worker_id: null,
          blast_score: 10,
          blast_dimensions_score: null,
        }) as unknown as DecisionRecord;
      await threaded.appendDecisionRecords([rec(1), rec(2), rec(3)]);
      await inline.appendDecisionRecords([rec(4)]);
      await threaded.appendDecisionRecords([rec(5), rec(6)]);
      const back = await inline.listDecisionRecords({ limit: 100 });
      assert.deepEqual(back.map((r) => [r.seq, r.record.decision_id]), [
        [1, "d1"],
        [2, "d2"],
        [3, "d3"],
        [4, "d4"],
        [5, "d5"],
        [6, "d6"],
      ]);
    } finally {
      await threaded.close();
      await inline.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
