import assert from "node:assert/strict";
import { isOneLineError, tempDir, wcp } from "./_run.ts";

const ids = ["--worker-id", "org.acme.summarizer.1", "--species", "wrk.doc.summarizer"];

async function pkg(): Promise<string> {
  const dir = await tempDir();
  const r = await wcp(["attest", "scaffold", `${dir}/pkg`]);
  assert.equal(r.code, 0, r.stderr);
  return `${dir}/pkg`;
}

Deno.test("attest keygen writes a 0600 key file and refuses to overwrite it", async () => {
  const dir = await tempDir();
  const r = await wcp([
    "attest",
    "keygen",
    "--out",
    `${dir}/k.json`,
    "--namespace",
    "org.acme",
    "--public-out",
    `${dir}/k.pub.json`,
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const j = r.json() as { key_id: string; public_key: string };
  assert.match(j.key_id, /^ed25519:/);
  const kf = JSON.parse(await Deno.readTextFile(`${dir}/k.json`));
  assert.equal(kf.public_key, j.public_key);
  assert.ok(kf.private_key);
  assert.equal((await Deno.stat(`${dir}/k.json`)).mode! & 0o777, 0o600);
  assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/k.pub.json`)).private_key, undefined);
  const again = await wcp(["attest", "keygen", "--out", `${dir}/k.json`]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists; nothing written/);
  assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/k.json`)).private_key, kf.private_key);
  assert.equal((await wcp(["attest", "keygen"])).code, 2);
  assert.equal(
    (await wcp(["attest", "keygen", "--out", `${dir}/z.json`, "--namespace", "acme"])).code,
    2,
  );
});

Deno.test("attest sign + verify with an Ed25519 key; tampering exits 1 with ATTEST_HASH_MISMATCH", async () => {
  const p = await pkg();
  const dir = await tempDir();
  await wcp([
    "attest",
    "keygen",
    "--out",
    `${dir}/k.json`,
    "--namespace",
    "org.acme",
    "--public-out",
    `${dir}/pub.json`,
  ]);
  const s = await wcp([
    "attest",
    "sign",
    p,
    ...ids,
    "--version",
    "1.0.0",
    "--key",
    `${dir}/k.json`,
    "--json",
  ]);
  assert.equal(s.code, 0, s.stderr);
  const manifest = JSON.parse(await Deno.readTextFile(`${p}/manifest.json`));
  assert.equal(manifest.worker_id, "org.acme.summarizer.1");
  const ok = await wcp(["attest", "verify", p, ...ids, "--key", `${dir}/pub.json`]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^verified /);
  await Deno.writeTextFile(`${p}/code/worker_logic.py`, "print('evil')\n");
  const bad = await wcp(["attest", "verify", p, ...ids, "--key", `${dir}/pub.json`]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^ATTEST_HASH_MISMATCH /);
  const wrongId = await wcp([
    "attest",
    "verify",
    p,
    "--worker-id",
    "org.other.w.1",
    "--species",
    "wrk.doc.summarizer",
    "--key",
    `${dir}/pub.json`,
    "--json",
  ]);
  assert.equal(wrongId.code, 1);
  assert.match((wrongId.json() as { deny_code: string }).deny_code, /^ATTEST_/);
});

Deno.test("attest sign + verify in HMAC mode (--hmac-env); wrong secret exits 1", async () => {
  const p = await pkg();
  const env = { WCP_TEST_SECRET: "s3cret-s3cret-s3cret" };
  const s = await wcp([
    "attest",
    "sign",
    p,
    ...ids,
    "--version",
    "2",
    "--hmac-env",
    "WCP_TEST_SECRET",
  ], { env });
  assert.equal(s.code, 0, s.stderr);
  const ok = await wcp(["attest", "verify", p, ...ids, "--hmac-env", "WCP_TEST_SECRET"], { env });
  assert.equal(ok.code, 0, ok.stdout);
  const bad = await wcp(["attest", "verify", p, ...ids, "--hmac-env", "WCP_TEST_SECRET"], {
    env: { WCP_TEST_SECRET: "other" },
  });
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^ATTEST_SIG_INVALID /);
  const missing = await wcp([
    "attest",
    "verify",
    `${p}-nope`,
    ...ids,
    "--hmac-env",
    "WCP_TEST_SECRET",
  ], { env });
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /^ATTEST_/);
});

Deno.test("attest: bad signing flags are usage errors (exit 2)", async () => {
  const p = await pkg();
  const cases: [string[], string][] = [
    [["attest", "sign", p, ...ids, "--version", "1"], "exactly one of --key"],
    [
      ["attest", "sign", p, ...ids, "--version", "1", "--key", "k", "--hmac-env", "X"],
      "exactly one of --key",
    ],
    [
      ["attest", "sign", p, ...ids, "--version", "1", "--hmac-env", "WCP_UNSET_VAR_XYZ"],
      "WCP_UNSET_VAR_XYZ is not set",
    ],
    [
      ["attest", "sign", p, ...ids, "--version", "1", "--key", `${p}/nope.json`],
      "--key: file not found",
    ],
    [["attest", "sign", p, ...ids, "--hmac-env", "X"], "--version is required"],
    [[
      "attest",
      "sign",
      p,
      "--worker-id",
      "acme",
      "--species",
      "wrk.a.b",
      "--version",
      "1",
      "--hmac-env",
      "HOME",
    ], "ATTEST_NAMESPACE_INVALID"],
    [
      ["attest", "sign", `${p}/missing`, ...ids, "--version", "1", "--hmac-env", "HOME"],
      "directory not found",
    ],
  ];
  for (const [a, want] of cases) {
    const r = await wcp(a);
    assert.equal(r.code, 2, `${a.join(" ")}: ${r.stderr}`);
    assert.ok(r.stderr.includes(want), r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

Deno.test("attest scaffold refuses to overwrite; export-dsse emits an in-toto envelope", async () => {
  const p = await pkg();
  const again = await wcp(["attest", "scaffold", p]);
  assert.equal(again.code, 1);
  const dir = await tempDir();
  await wcp(["attest", "keygen", "--out", `${dir}/k.json`, "--namespace", "org.acme"]);
  const none = await wcp(["attest", "export-dsse", p, "--key", `${dir}/k.json`]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /ATTEST_MANIFEST_MISSING/);
  await wcp(["attest", "sign", p, ...ids, "--version", "1", "--key", `${dir}/k.json`]);
  const e = await wcp(["attest", "export-dsse", p, "--key", `${dir}/k.json`]);
  assert.equal(e.code, 0, e.stderr);
  const env = e.json() as { payloadType: string; payload: string; signatures: { keyid: string }[] };
  assert.equal(env.payloadType, "application/vnd.in-toto+json");
  const statement = JSON.parse(atob(env.payload));
  assert.equal(statement._type, "https://in-toto.io/Statement/v1");
  const manifest = JSON.parse(await Deno.readTextFile(`${p}/manifest.json`));
  assert.equal(statement.subject[0].digest.sha256, manifest.package_hash);
  const out = await wcp([
    "attest",
    "export-dsse",
    p,
    "--key",
    `${dir}/k.json`,
    "--out",
    `${dir}/env.json`,
  ]);
  assert.equal(out.code, 0);
  assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/env.json`)).payloadType, env.payloadType);
});

Deno.test("attest sign refuses a file named with a newline or bytecode (exit 2, one line, escaped)", async () => {
  const p = await pkg();
  const env = { WCP_TEST_SECRET: "s3cret-s3cret-s3cret" };
  const signArgs = ["attest", "sign", p, ...ids, "--version", "1", "--hmac-env", "WCP_TEST_SECRET"];
  await Deno.writeTextFile(`${p}/a\nb`, "x");
  const nl = await wcp(signArgs, { env });
  assert.equal(nl.code, 2, nl.stderr);
  assert.ok(isOneLineError(nl.stderr), nl.stderr);
  assert.match(nl.stderr, /ATTEST_UNSAFE_PATH: .*refusing to sign: "a\\nb" \(unsafe_path/);
  await Deno.remove(`${p}/a\nb`);
  await Deno.writeTextFile(`${p}/code/helper.pyc`, "sourceless");
  const pyc = await wcp(signArgs, { env });
  assert.equal(pyc.code, 2, pyc.stderr);
  assert.ok(isOneLineError(pyc.stderr), pyc.stderr);
  assert.match(pyc.stderr, /"code\/helper\.pyc" \(bytecode.*remove the Python bytecode/);
  assert.equal(await Deno.stat(`${p}/manifest.json`).catch(() => null), null); // nothing written
});

Deno.test("attest verify: bytecode added after signing is ATTEST_UNSAFE_PATH naming the file (exit 1)", async () => {
  const p = await pkg();
  const env = { WCP_TEST_SECRET: "s3cret-s3cret-s3cret" };
  const key = ["--hmac-env", "WCP_TEST_SECRET"];
  const s = await wcp(["attest", "sign", p, ...ids, "--version", "1", ...key], { env });
  assert.equal(s.code, 0, s.stderr);
  await Deno.mkdir(`${p}/code/__pycache__`);
  await Deno.writeTextFile(`${p}/code/__pycache__/worker_logic.cpython-312.pyc`, "x");
  const r = await wcp(["attest", "verify", p, ...ids, ...key], { env });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /^ATTEST_UNSAFE_PATH .*"code\/__pycache__\/worker_logic\.cpython-312\.pyc"/,
  );
});

Deno.test("attest sign refuses a key bound to another namespace, naming both (exit 2)", async () => {
  const p = await pkg();
  const dir = await tempDir();
  await wcp(["attest", "keygen", "--out", `${dir}/k.json`, "--namespace", "org.other"]);
  const r = await wcp(["attest", "sign", p, ...ids, "--version", "1", "--key", `${dir}/k.json`]);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(isOneLineError(r.stderr), r.stderr);
  assert.match(
    r.stderr,
    /ATTEST_KEY_NAMESPACE_MISMATCH: .*namespace org\.other.*namespace org\.acme/,
  );
  assert.equal(await Deno.stat(`${p}/manifest.json`).catch(() => null), null);
});
