// The npm build of the library (scripts/build_npm.ts) is what Node 20 imports: built into a temp
// folder, packed with `npm pack` (only the emitted .js/.d.ts/.json, package.json, README,
// LICENSE ship), installed from the tarball into a fresh Node project (zod and @noble/hashes come
// from the registry as its dependencies), and run with `node`: a decision, a receipt chain, an
// attestation manifest and a gate table through the four exports.

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const dec = new TextDecoder();

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 0, `${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

Deno.test("npm build: Node 20 imports the packed library and decides, verifies, attests", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-npm-test-" });
  try {
    const out = `${dir}/npm`;
    await run("deno", [
      "run",
      "--allow-read",
      `--allow-write=${dir},/tmp`,
      "--allow-run=deno,npm,node",
      "scripts/build_npm.ts",
      out,
    ], ROOT);
    const pkg = JSON.parse(await Deno.readTextFile(`${out}/package.json`));
    assert.equal(pkg.name, "@wcp/core");
    assert.equal(pkg.type, "module");
    assert.deepEqual(Object.keys(pkg.exports), [".", "./attestation", "./receipts", "./gates"]);
    assert.deepEqual(Object.keys(pkg.dependencies).sort(), ["@noble/hashes", "zod"]);

    const [packed] = JSON.parse(await run("npm", ["pack", "--dry-run", "--json"], out)) as {
      files: { path: string }[];
    }[];
    const files = packed.files.map((f) => f.path);
    const stray = files.filter((f) =>
      !/\.(js|d\.ts|json)$/.test(f) && !["README.md", "LICENSE"].includes(f)
    );
    assert.deepEqual(stray, [], "only emitted JavaScript, declarations and data ship");
    for (const f of ["mod.js", "mod.d.ts", "src/receipts/mod.js", "src/gates/mod.d.ts"]) {
      assert.ok(files.includes(f), `${f} ships`);
    }
    for (const f of files) {
      assert.ok(!/^(tests|mcp|playground|scripts)\/|^src\/(hall|cli|adapters)\//.test(f), f);
    }

    const app = `${dir}/app`;
    await Deno.mkdir(app);
    await run("npm", ["pack", "--silent", "--pack-destination", app], out);
    await Deno.writeTextFile(`${app}/package.json`, '{"type":"module","private":true}');
    await run("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--silent",
      `./${pkg.name.replace("@", "").replace("/", "-")}-${pkg.version}.tgz`,
    ], app);
    await Deno.copyFile(`${ROOT}tests/packaging/node_consumer.mjs`, `${app}/consumer.mjs`);
    const result = JSON.parse(await run("node", ["consumer.mjs"], app));
    assert.match(result.node, /^v2\d\./);
    assert.deepEqual(result.decision, { outcome: "DISPATCH", worker: "org.acme.summarizer.1" });
    assert.deepEqual(result.denied, { outcome: "DENY", code: "DENY_NO_MATCHING_RULE" });
    assert.deepEqual(result.chain, { ok: true, count: 3 });
    assert.deepEqual(result.gap, { ok: false, kind: "missing_link" });
    assert.deepEqual(result.attested, { ok: true });
    assert.deepEqual(result.tampered, { ok: false, code: "ATTEST_HASH_MISMATCH" });
    assert.equal(result.gateError, "POLICY_GATE_INVALID");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
