import assert from "node:assert/strict";
import { checkWorkerCompliance, makeDecision, parseRules, Registry } from "../../mod.ts";
import { isOneLineError, tempDir, wcp } from "./_run.ts";

const args = ["--worker-id", "org.acme.summarizer.1", "--capability", "cap.doc.summarize"];

Deno.test("scaffold writes a worker package whose record, rule and tests all work", async () => {
  const dir = `${await tempDir()}/summarizer`;
  const r = await wcp(["scaffold", dir, ...args, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const j = r.json() as { files: string[]; record: Record<string, unknown>; warnings: string[] };
  assert.deepEqual(j.files.sort(), [
    "README.md",
    "deno.json",
    "main.ts",
    "registry_record.json",
    "rule_snippet.json",
    "worker.ts",
    "worker_test.ts",
  ]);
  assert.deepEqual(j.warnings, []);
  const record = JSON.parse(await Deno.readTextFile(`${dir}/registry_record.json`));
  assert.equal(record.worker_species_id, "wrk.doc.summarizer"); // from the catalog
  assert.deepEqual(record.required_controls, [
    "ctrl.obs.audit-log-append-only",
    "ctrl.data.input-size-limit",
  ]);
  // the record enrolls, the rule parses, and together they route in dev
  const registry = new Registry();
  registry.enroll(record);
  const rules = parseRules(JSON.parse(await Deno.readTextFile(`${dir}/rule_snippet.json`)));
  const d = makeDecision({
    correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f",
    tenant_id: "acme",
    env: "dev",
    data_label: "INTERNAL",
    tenant_risk: "low",
    qos_class: "P2",
    capability_id: "cap.doc.summarize",
  }, { rules, registry });
  assert.equal(d.outcome, "DISPATCH");
  assert.equal(d.selected_worker_id, "org.acme.summarizer.1");
  assert.equal(checkWorkerCompliance(record).achieved_level, "WCP-Basic");
  // the generated tests pass
  const t = await new Deno.Command("deno", {
    args: ["test", "--quiet", "worker_test.ts"],
    cwd: dir,
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(t.code, 0, new TextDecoder().decode(t.stdout) + new TextDecoder().decode(t.stderr));
  assert.match(new TextDecoder().decode(t.stdout), /4 passed/);
});

Deno.test("scaffold never overwrites without --force; --force overwrites", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/worker.ts`, "// mine\n");
  const r = await wcp(["scaffold", dir, ...args]);
  assert.equal(r.code, 1);
  assert.ok(isOneLineError(r.stderr), r.stderr);
  assert.match(r.stderr, /already has worker\.ts; nothing written \(use --force/);
  assert.equal(await Deno.readTextFile(`${dir}/worker.ts`), "// mine\n");
  await assert.rejects(Deno.stat(`${dir}/registry_record.json`));
  const f = await wcp(["scaffold", dir, ...args, "--force"]);
  assert.equal(f.code, 0, f.stderr);
  assert.match(await Deno.readTextFile(`${dir}/worker.ts`), /export function handle/);
});

Deno.test("scaffold: custom ids warn; bad ids are usage errors naming the flag", async () => {
  const dir = await tempDir();
  const custom = await wcp([
    "scaffold",
    `${dir}/c`,
    "--worker-id",
    "x.bob.thing",
    "--capability",
    "cap.bob.do-thing",
    "--species",
    "wrk.bob.doer",
  ]);
  assert.equal(custom.code, 0, custom.stderr);
  assert.match(custom.stderr, /warning: cap\.bob\.do-thing is not in wcp-catalog@/);
  const cases: [string[], string][] = [
    [
      ["scaffold", `${dir}/x`, "--worker-id", "acme.w", "--capability", "cap.doc.summarize"],
      "--worker-id",
    ],
    [
      ["scaffold", `${dir}/x`, "--worker-id", "org.acme.w", "--capability", "Cap.Doc"],
      "--capability",
    ],
    [
      ["scaffold", `${dir}/x`, "--worker-id", "org.acme.w", "--capability", "cap.bob.unknown"],
      "--species is required",
    ],
    [[
      "scaffold",
      `${dir}/x`,
      "--worker-id",
      "org.acme.w",
      "--capability",
      "cap.doc.ocr",
      "--port",
      "99999",
    ], "--port"],
    [["scaffold", "--worker-id", "org.acme.w", "--capability", "cap.doc.ocr"], "missing DIR"],
    [["scaffold", `${dir}/x`, "--capability", "cap.doc.ocr"], "--worker-id is required"],
  ];
  for (const [a, want] of cases) {
    const r = await wcp(a);
    assert.equal(r.code, 2, a.join(" "));
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.ok(r.stderr.includes(want), r.stderr);
  }
  await assert.rejects(Deno.stat(`${dir}/x`));
});
