// Hostile files given to the CLI: each is one line on stderr naming the flag (and the field or
// record), with exit 2, never a stack trace or a silently accepted value.
import assert from "node:assert/strict";
import { CLI, isOneLineError, PERMS, tempDir, wcp } from "./_run.ts";

const fx = new URL("./fixtures/", import.meta.url).pathname;

async function expectUsage(args: string[], want: RegExp): Promise<void> {
  const r = await wcp(args);
  assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}: ${r.stdout}${r.stderr}`);
  assert.ok(isOneLineError(r.stderr), `${args.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, want);
}

Deno.test("input files that are not UTF-8, span lines when broken, or are directories", async () => {
  const dir = await tempDir();
  await Deno.writeFile(`${dir}/latin1.json`, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
  await Deno.writeTextFile(`${dir}/broken.json`, '{"rules":\n  nope\n  [1]');
  const route = ["route", "--input", `${fx}input_dev.json`];
  await expectUsage([...route, "--rules", `${dir}/latin1.json`], /--rules: .* is not valid UTF-8/);
  // V8 quotes the bad text with its newlines; the error still fits on one line.
  await expectUsage([...route, "--rules", `${dir}/broken.json`], /--rules: .* is not valid JSON/);
  await expectUsage([...route, "--rules", dir], /--rules: is a directory/);
  await expectUsage(
    ["receipts", "verify", `${dir}/latin1.json`, "--key", `${dir}/latin1.json`],
    /--key: /,
  );
  await expectUsage(["check", `${dir}/latin1.json`], /HALL_CONFIG: .* is not valid UTF-8/);
});

Deno.test("registry files: a record that is not an object is named by its index", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/nums.json`, "[1, 2]");
  await Deno.writeTextFile(`${dir}/nested.json`, JSON.stringify({ workers: [[{}]] }));
  const route = ["route", "--rules", `${fx}rules.json`, "--input", `${fx}input_dev.json`];
  await expectUsage(
    [...route, "--registry", `${dir}/nums.json`],
    /--registry: records\[0\]: a registry record is a JSON object, got a number$/m,
  );
  await expectUsage(
    [...route, "--registry", `${dir}/nested.json`],
    /--registry: records\[0\]: .* got an array$/m,
  );
  // Before: a list of numbers was "checked" as records of an unknown worker (exit 1).
  await expectUsage(["check", "--worker", `${dir}/nums.json`], /--worker: records\[0\]/);
  await expectUsage(["enroll", `${dir}/nums.json`], /RECORD: records\[0\]/);
  // A field error keeps its path after the record index, with no stray dot.
  await Deno.writeTextFile(`${dir}/noid.json`, JSON.stringify([{ worker_species_id: "wrk.a.b" }]));
  await expectUsage(
    [...route, "--registry", `${dir}/noid.json`],
    /--registry: records\[0\]\.worker_id: /,
  );
});

Deno.test("attest keygen: a missing directory or a directory target is a usage error", async () => {
  const dir = await tempDir();
  await expectUsage(
    ["attest", "keygen", "--out", `${dir}/no/such/k.json`],
    /--out: directory not found: .*\/no\/such$/m,
  );
  await expectUsage(["attest", "keygen", "--out", dir, "--force"], /--out: .* is a directory/);
  await expectUsage(
    ["attest", "keygen", "--out", `${dir}/k.json`, "--public-out", dir],
    /--public-out: .* is a directory/,
  );
  // Nothing was written, not even a temporary copy of the private key.
  const left = [];
  for await (const e of Deno.readDir(dir)) left.push(e.name);
  assert.deepEqual(left, []);
});

Deno.test("scaffold: a DIR that is a file is a usage error, not an OS error", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/file`, "x");
  await expectUsage(
    ["scaffold", `${dir}/file`, "--worker-id", "org.acme.w.1", "--capability", "cap.doc.summarize"],
    /DIR: .*\/file exists and is not a directory/,
  );
  assert.equal(await Deno.readTextFile(`${dir}/file`), "x");
});

Deno.test("serve: a --data-dir that is a file is a usage error before the hall starts", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/file`, "x");
  await expectUsage(
    ["serve", "--data-dir", `${dir}/file`, "--port", "0"],
    /--data-dir: .* exists and is not a directory/,
  );
});

Deno.test("check: a policy_gate the hall would refuse is bad input; inline rules must parse", async () => {
  const dir = await tempDir();
  const full = {
    rules_file: `${fx}rules.json`,
    hall_config: {
      enforce_privilege_envelopes: true,
      require_signatory: true,
      allowed_tenants: ["acme"],
      require_worker_attestation: true,
    },
  };
  // Before: any value but false/null/"off" counted as "a policy gate is configured" (WCP-Full).
  await Deno.writeTextFile(`${dir}/str.json`, JSON.stringify({ ...full, policy_gate: "yes" }));
  await expectUsage(["check", `${dir}/str.json`], /HALL_CONFIG: policy_gate: /);
  await Deno.writeTextFile(
    `${dir}/typo.json`,
    JSON.stringify({ ...full, policy_gate: { default: "MAYBE" } }),
  );
  await expectUsage(["check", `${dir}/typo.json`], /HALL_CONFIG: policy_gate\.default: /);
  // The hall config loads through the engine's world loader: the field is named once.
  await Deno.writeTextFile(
    `${dir}/floor.json`,
    JSON.stringify({ ...full, hall_config: { require_signatry: true } }),
  );
  await expectUsage(
    ["check", `${dir}/floor.json`],
    /HALL_CONFIG: hall_config\.require_signatry: unknown key; did you mean "require_signatory"/,
  );
  // Inline rules that do not load leave the hall with no routing rules: not even WCP-Basic.
  await Deno.writeTextFile(
    `${dir}/inline.json`,
    JSON.stringify({ rules: { rules: [{ rule_id: "r", match: { env: "production" } }] } }),
  );
  const r = await wcp(["check", `${dir}/inline.json`, "--level", "basic", "--json"]);
  assert.equal(r.code, 1, r.stderr);
  const j = r.json() as { achieved_level: string; gaps: string[] };
  assert.equal(j.achieved_level, "none");
  assert.match(j.gaps[0], /rules\[0\]\.match\.env/);
});

Deno.test("route/validate: a hall config the core refuses is bad input naming the field", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/cfg.json`, JSON.stringify({ require_signatory: "yes" }));
  const rules = ["--rules", `${fx}rules.json`];
  await expectUsage(
    ["route", ...rules, "--input", `${fx}input_dev.json`, "--config", `${dir}/cfg.json`],
    /--config: .*require_signatory must be a boolean/,
  );
  await expectUsage(
    ["validate", ...rules, "--cases", `${fx}cases.json`, "--config", `${dir}/cfg.json`],
    /--config: .*require_signatory must be a boolean/,
  );
});

Deno.test("scaffold --force replaces a symlinked file instead of writing through it", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/victim.txt`, "keep me\n");
  await Deno.mkdir(`${dir}/w`);
  await Deno.symlink(`${dir}/victim.txt`, `${dir}/w/README.md`);
  const r = await wcp([
    "scaffold",
    `${dir}/w`,
    "--worker-id",
    "org.acme.w.1",
    "--capability",
    "cap.doc.summarize",
    "--force",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await Deno.readTextFile(`${dir}/victim.txt`), "keep me\n");
  assert.ok((await Deno.lstat(`${dir}/w/README.md`)).isFile);
});

Deno.test("attest export-dsse --out: a missing directory or a directory is a usage error", async () => {
  const dir = await tempDir();
  assert.equal((await wcp(["attest", "keygen", "--out", `${dir}/k.json`])).code, 0);
  assert.equal((await wcp(["attest", "scaffold", `${dir}/p`])).code, 0);
  const ids = ["--worker-id", "org.acme.w.1", "--species", "wrk.doc.summarizer"];
  const signed = await wcp([
    "attest",
    "sign",
    `${dir}/p`,
    ...ids,
    "--version",
    "1",
    "--key",
    `${dir}/k.json`,
  ]);
  assert.equal(signed.code, 0, signed.stderr);
  const exp = ["attest", "export-dsse", `${dir}/p`, "--key", `${dir}/k.json`, "--out"];
  await expectUsage([...exp, `${dir}/no/env.json`], /--out: directory not found/);
  await expectUsage([...exp, dir], /--out: .* is a directory/);
  const ok = await wcp([...exp, `${dir}/env.json`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(
    JSON.parse(await Deno.readTextFile(`${dir}/env.json`)).payloadType,
    "application/vnd.in-toto+json",
  );
});

Deno.test("a reader that closes the pipe early ends the command quietly (no 'Broken pipe' error)", async () => {
  // Megabytes of findings: far more than a pipe buffer, so the CLI is still writing when the
  // reader leaves (before: "Broken pipe" and, with --json, a stack trace).
  const dir = await tempDir();
  const rules = Array.from({ length: 5000 }, (_, i) => ({
    rule_id: `r${i}`,
    match: { capability_id: `cap.x.c${i}` },
    decision: { candidate_workers_ranked: [] },
  }));
  await Deno.writeTextFile(`${dir}/rules.json`, JSON.stringify(rules));
  const child = new Deno.Command("deno", {
    args: ["run", "--quiet", ...PERMS, CLI, "lint", "--rules", `${dir}/rules.json`, "--json"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0);
  await reader.cancel();
  const [status, err] = await Promise.all([child.status, new Response(child.stderr).text()]);
  assert.equal(err, "");
  assert.equal(status.code, 0);
});

Deno.test("an error echoing a huge argument stays one short line", async () => {
  const r = await wcp(["explain", "cap." + "a".repeat(100_000)]);
  assert.equal(r.code, 2);
  assert.ok(isOneLineError(r.stderr), r.stderr.slice(0, 200));
  assert.ok(r.stderr.length < 600, `${r.stderr.length} bytes`);
  assert.match(r.stderr, /^wcp explain: ID: .*… \(truncated\)\n$/);
});

Deno.test("validate: arrays where case objects are expected are named", async () => {
  const dir = await tempDir();
  const rules = ["validate", "--rules", `${fx}rules.json`, "--cases"];
  const write = async (name: string, cases: unknown) => {
    await Deno.writeTextFile(`${dir}/${name}`, JSON.stringify({ cases }));
    return `${dir}/${name}`;
  };
  await expectUsage(
    [...rules, await write("a.json", [[]])],
    /--cases: cases\[0\] must be an object/,
  );
  await expectUsage(
    [...rules, await write("b.json", [{ input: [], expect: { outcome: "DENY" } }])],
    /--cases: cases\[0\]\.input must be an object/,
  );
  await expectUsage(
    [...rules, await write("c.json", [{ input: {}, expect: ["DENY"] }])],
    /--cases: cases\[0\]\.expect must be a non-empty object/,
  );
});
