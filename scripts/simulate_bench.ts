/**
 * `wcp policy simulate` over N recorded decisions (default 1,000,000), end to end on one core:
 *
 *   deno run --allow-read --allow-write=/tmp --allow-run scripts/simulate_bench.ts [N]
 *
 * Generates a JSON Lines export of N records under /tmp (untimed): 432 distinct requests (every
 * capability of tests/fixtures/policy x env x data_label x tenant_risk x qos_class, a third with
 * request flags) decided under old_rules.json, each repeated with fresh ids. Then times the CLI
 * (`taskset -c 0` when available, so one core) replaying them against new_rules.json with the
 * fixture registry: reading and checking every line, deciding it again, grouping the changes.
 * Prints the wall time, records per second and the report's counts.
 *
 * @module
 */

import {
  DATA_LABELS,
  decisionRecordOf,
  ENVS,
  makeDecision,
  parseRules,
  QOS_CLASSES,
  Registry,
  TENANT_RISKS,
} from "../mod.ts";

const n = Number(Deno.args[0] ?? 1_000_000);
if (!Number.isSafeInteger(n) || n < 1) {
  throw new Error(`N must be a positive integer, got ${Deno.args[0]}`);
}
const fixtures = new URL("../tests/fixtures/policy/", import.meta.url);
const fixture = (name: string) => new URL(name, fixtures).pathname;
const oldRules = parseRules(JSON.parse(Deno.readTextFileSync(fixture("old_rules.json"))));
const registry = new Registry();
for (const w of JSON.parse(Deno.readTextFileSync(fixture("registry.json"))).workers) {
  registry.enroll(w);
}

// The distinct requests, each decided once under the old rules.
const templates: string[] = [];
let k = 0;
for (const capability_id of ["cap.doc.summarize", "cap.doc.translate", "cap.other.thing"]) {
  for (const env of ENVS) {
    for (const data_label of DATA_LABELS) {
      for (const tenant_risk of TENANT_RISKS) {
        for (const qos_class of QOS_CLASSES) {
          const input = {
            correlation_id: `c-${k}`,
            tenant_id: k % 2 ? "acme" : "globex",
            env,
            data_label,
            tenant_risk,
            qos_class,
            capability_id,
            request: k % 3 === 0 ? { writes: true, egress: true } : {},
          };
          const d = makeDecision(input, { rules: oldRules, registry });
          const r = decisionRecordOf(input, d)!;
          r.decision_id = "@ID@";
          r.input.correlation_id = "@ID@";
          templates.push(JSON.stringify(r));
          k++;
        }
      }
    }
  }
}

const path = await Deno.makeTempFile({
  dir: "/tmp",
  prefix: "wcp-simulate-bench-",
  suffix: ".jsonl",
});
try {
  const file = await Deno.open(path, { write: true });
  const enc = new TextEncoder();
  let buf: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    buf.push(templates[i % templates.length].replaceAll("@ID@", id));
    if (buf.length === 10_000 || i === n - 1) {
      const bytes = enc.encode(buf.join("\n") + "\n");
      let done = 0;
      while (done < bytes.length) done += await file.write(bytes.subarray(done));
      buf = [];
    }
  }
  file.close();
  const size = (await Deno.stat(path)).size;

  const cli = [
    "run",
    // The permissions of `deno task wcp`.
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net=127.0.0.1,localhost",
    "--allow-run=deno",
    new URL("../src/cli/main.ts", import.meta.url).pathname,
    "policy",
    "simulate",
    "--records",
    path,
    "--rules",
    fixture("new_rules.json"),
    "--registry",
    fixture("registry.json"),
    "--json",
  ];
  let pinned = false;
  try {
    pinned = (await new Deno.Command("taskset", { args: ["-V"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    pinned = false;
  }
  const cmd = pinned
    ? new Deno.Command("taskset", { args: ["-c", "0", Deno.execPath(), ...cli], stdout: "piped" })
    : new Deno.Command(Deno.execPath(), { args: cli, stdout: "piped" });
  const t0 = performance.now();
  const res = await cmd.output();
  const seconds = (performance.now() - t0) / 1000;
  if (!res.success) throw new Error(`wcp policy simulate failed (exit ${res.code})`);
  const report = JSON.parse(new TextDecoder().decode(res.stdout));
  console.log(
    `${report.total.toLocaleString("en-US")} recorded decisions (${
      (size / 2 ** 20).toFixed(0)
    } MiB ` +
      `JSONL) replayed in ${seconds.toFixed(1)} s${pinned ? " on one core (taskset -c 0)" : ""}: ` +
      `${Math.round(report.total / seconds).toLocaleString("en-US")} decisions/s; ` +
      `${report.changed.toLocaleString("en-US")} would change, in ${report.groups.length} groups`,
  );
} finally {
  await Deno.remove(path);
}
