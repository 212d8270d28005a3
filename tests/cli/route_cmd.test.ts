import assert from "node:assert/strict";
import { isOneLineError, tempDir, wcp } from "./_run.ts";

const fx = new URL("./fixtures/", import.meta.url).pathname;
const base = ["--rules", `${fx}rules.json`, "--registry", `${fx}registry.json`];

Deno.test("route: DISPATCH exits 0 and names the worker; --trace prints every step", async () => {
  const r = await wcp(["route", ...base, "--input", `${fx}input_dev.json`, "--trace"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^outcome {3}DISPATCH\n/);
  assert.match(r.stdout, /worker {4}org\.acme\.summarizer\.1 \(wrk\.doc\.summarizer\)/);
  for (const step of ["signatory", "input", "match", "controls", "selection", "dry_run"]) {
    assert.match(r.stdout, new RegExp(`\\n  ${step}\\s+(pass|skip)\\s`), step);
  }
});

Deno.test("route: DENY exits 1 with the deny code; --json is the full decision", async () => {
  const r = await wcp(["route", ...base, "--input", `${fx}input_prod.json`, "--json"]);
  assert.equal(r.code, 1);
  const d = r.json() as Record<string, unknown>;
  assert.equal(d.outcome, "DENY");
  assert.equal((d.deny_reason_if_denied as { code: string }).code, "DENY_NO_MATCHING_RULE");
  assert.equal(d.matched_rule_id, "NO_MATCH");
  assert.equal(d.correlation_id, "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e70");
});

Deno.test("route: --dry-run marks the decision; a policy gate from --config holds (exit 1)", async () => {
  const dry =
    (await wcp(["route", ...base, "--input", `${fx}input_dev.json`, "--dry-run", "--json"]))
      .json() as Record<string, unknown>;
  assert.equal(dry.dry_run, true);
  assert.equal(dry.outcome, "DISPATCH");
  const dir = await tempDir();
  const input = JSON.parse(await Deno.readTextFile(`${fx}input_dev.json`));
  await Deno.writeTextFile(
    `${dir}/pay.json`,
    JSON.stringify({ ...input, capability_id: "cap.fin.initiate-payment" }),
  );
  const held = await wcp([
    "route",
    ...base,
    "--input",
    `${dir}/pay.json`,
    "--config",
    `${fx}hall_gate.json`,
  ]);
  assert.equal(held.code, 1);
  assert.match(held.stdout, /outcome {3}STEWARD_HOLD/);
  assert.match(held.stdout, /held {6}supervisor gatekeeper, approval /);
  // the input can come from stdin
  const piped = await wcp(["route", ...base, "--input", "-", "--json"], {
    stdin: JSON.stringify(input),
  });
  assert.equal((piped.json() as { outcome: string }).outcome, "DISPATCH");
});

Deno.test("route: bad files and flags are one-line usage errors naming flag and field", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/bad_rules.json`,
    JSON.stringify({ rules: [{ rule_id: "r", match: { env: { like: "p" } } }] }),
  );
  await Deno.writeTextFile(
    `${dir}/bad_reg.json`,
    JSON.stringify([{
      worker_id: "acme",
      worker_species_id: "wrk.a.b",
      capabilities: ["cap.a.b"],
    }]),
  );
  await Deno.writeTextFile(`${dir}/not_json.json`, "{ nope");
  const cases: [string[], RegExp][] = [
    [
      ["route", "--rules", `${dir}/bad_rules.json`, "--input", `${fx}input_dev.json`],
      /--rules: RULES_INVALID: rules\[0\]\.match\.env/,
    ],
    [[
      "route",
      "--rules",
      `${fx}rules.json`,
      "--registry",
      `${dir}/bad_reg.json`,
      "--input",
      `${fx}input_dev.json`,
    ], /--registry: records\[0\]\.worker_id/],
    [
      ["route", "--rules", `${fx}rules.json`, "--input", `${dir}/not_json.json`],
      /--input: .* is not valid JSON/,
    ],
    [
      ["route", "--rules", `${fx}rules.json`, "--input", `${dir}/missing.json`],
      /--input: file not found/,
    ],
    [["route", "--input", `${fx}input_dev.json`], /--rules is required/],
    [
      ["route", "--rules", `${fx}rules.json`, "--input", `${fx}rules.json`, "extra"],
      /unexpected argument "extra"/,
    ],
  ];
  for (const [args, want] of cases) {
    const r = await wcp(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, want);
  }
});

Deno.test("validate: golden cases pass (exit 0); a wrong expectation fails (exit 1) with the diff", async () => {
  const ok = await wcp(["validate", ...base, "--cases", `${fx}cases.json`]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /3 passed, 0 failed/);
  const dir = await tempDir();
  const cases = JSON.parse(await Deno.readTextFile(`${fx}cases.json`));
  cases.cases[0].expect.outcome = "DENY";
  await Deno.writeTextFile(`${dir}/cases.json`, JSON.stringify(cases));
  const bad = await wcp(["validate", ...base, "--cases", `${dir}/cases.json`, "--json"]);
  assert.equal(bad.code, 1);
  const j = bad.json() as {
    failed: number;
    results: {
      passed: boolean;
      mismatches: { field: string; expected: unknown; actual: unknown }[];
    }[];
  };
  assert.equal(j.failed, 1);
  assert.deepEqual(j.results[0].mismatches, [{
    field: "outcome",
    expected: "DENY",
    actual: "DISPATCH",
  }]);
  // the registry can live in the cases file
  const inline = { ...cases, registry: JSON.parse(await Deno.readTextFile(`${fx}registry.json`)) };
  inline.cases[0].expect.outcome = "DISPATCH";
  await Deno.writeTextFile(`${dir}/inline.json`, JSON.stringify(inline));
  const own = await wcp([
    "validate",
    "--rules",
    `${fx}rules.json`,
    "--cases",
    `${dir}/inline.json`,
  ]);
  assert.equal(own.code, 0, own.stdout);
  cases.cases[0].expect = { outcom: "DENY" };
  await Deno.writeTextFile(`${dir}/typo.json`, JSON.stringify(cases));
  const typo = await wcp(["validate", ...base, "--cases", `${dir}/typo.json`]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /cases\[0\]\.expect\.outcom is not one of/);
});

Deno.test("lint: clean rules exit 0; shadowed rules and unknown ids are errors/warnings (exit 1)", async () => {
  const clean = await wcp(["lint", ...base]);
  assert.equal(clean.code, 0, clean.stdout);
  const r = await wcp(["lint", "--rules", `${fx}rules_shadowed.json`, "--json"]);
  assert.equal(r.code, 1);
  const j = r.json() as { errors: number; findings: { code: string; rule_id: string | null }[] };
  const codes = j.findings.map((f) => `${f.code}:${f.rule_id}`);
  assert.ok(codes.includes("SHADOWED_RULE:prod-summaries"), codes.join());
  assert.ok(codes.includes("UNKNOWN_CAPABILITY:made-up"), codes.join());
  assert.ok(codes.includes("UNKNOWN_SPECIES:made-up"), codes.join());
  const noCat =
    (await wcp(["lint", "--rules", `${fx}rules_shadowed.json`, "--no-catalog", "--json"]))
      .json() as { findings: { code: string }[] };
  assert.ok(!noCat.findings.some((f) => f.code.startsWith("UNKNOWN_")));
  // an unloadable rules file is one RULES_INVALID error (exit 1, the file failed the check)
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/r.json`, JSON.stringify({ rules: [{ rule_id: "" }] }));
  const broken = await wcp(["lint", "--rules", `${dir}/r.json`]);
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /error RULES_INVALID/);
});

Deno.test("check: a hall config's level and gaps; --level decides the exit code", async () => {
  const r = await wcp(["check", `${fx}hall_gate.json`, "--json"]);
  assert.equal(r.code, 1);
  const j = r.json() as { achieved_level: string; gaps: string[]; passed: boolean };
  assert.equal(j.achieved_level, "WCP-Standard");
  assert.ok(
    j.gaps.includes("full: worker code attestation is required (require_worker_attestation)"),
  );
  assert.equal((await wcp(["check", `${fx}hall_gate.json`, "--level", "standard"])).code, 0);
  const dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/hall.json`,
    JSON.stringify({ rules_file: "missing_rules.json" }),
  );
  const missing = (await wcp(["check", `${dir}/hall.json`, "--json", "--level", "basic"]))
    .json() as { achieved_level: string; gaps: string[] };
  assert.equal(missing.achieved_level, "none");
  assert.match(missing.gaps[0], /missing_rules\.json not found/);
  const full = {
    rules_file: `${fx}rules.json`,
    policy_gate: { default: "ALLOW" },
    hall_config: {
      enforce_privilege_envelopes: true,
      require_signatory: true,
      allowed_tenants: ["acme"],
      require_worker_attestation: true,
    },
  };
  await Deno.writeTextFile(`${dir}/full.json`, JSON.stringify(full));
  const f = await wcp(["check", `${dir}/full.json`]);
  assert.equal(f.code, 0, f.stdout);
  assert.match(f.stdout, /WCP-Full/);
});

Deno.test("check --worker: record compliance with exact control ids", async () => {
  const r = await wcp(["check", "--worker", `${fx}registry.json`, "--level", "basic", "--json"]);
  assert.equal(r.code, 0);
  const j = r.json() as { workers: { worker_id: string; achieved_level: string }[] };
  assert.deepEqual(j.workers.map((w) => w.achieved_level), ["WCP-Basic", "WCP-Basic"]);
  assert.equal((await wcp(["check", "--worker", `${fx}registry.json`])).code, 1);
  const bad = await wcp(["check", "--level", "ultra", `${fx}hall_gate.json`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--level: unknown level "ultra"/);
  const both = await wcp(["check", `${fx}hall_gate.json`, "--worker", `${fx}registry.json`]);
  assert.equal(both.code, 2);
});
