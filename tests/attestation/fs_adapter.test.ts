// The Deno fs adapter: scaffold, streaming hash, symlinks never followed, tamper tests on disk.
import assert from "node:assert/strict";
import {
  buildManifestForDir,
  hashFile,
  hashPackageDir,
  readKeyFile,
  readManifestFile,
  scaffoldPackage,
  verifyPackageDir,
  walkPackage,
  writeKeyFile,
  writeManifestFile,
} from "../../src/adapters/fs.ts";
import { exportKeyFile, generateSigningKey, manifestJson, WcpError } from "../../mod.ts";

const WID = "org.example.my-worker.instance-1";
const SID = "wrk.example.my-worker";
const SCAFFOLD_HASH = "a6eeb3dd3aafc410838802130e3675527dcceadf6d2b1e817e2b97f62abf3bb6";

async function withPackage(fn: (root: string, outside: string) => Promise<void>): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "wcp-attest-" });
  try {
    const root = `${base}/pkg`;
    await Deno.mkdir(`${base}/outside`);
    await Deno.writeTextFile(`${base}/outside/secret.txt`, "outside the root\n");
    await scaffoldPackage(root);
    await fn(root, `${base}/outside`);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

async function signed(root: string, secret = "s3cret"): Promise<void> {
  const m = await buildManifestForDir({
    packageRoot: root,
    workerId: WID,
    workerSpeciesId: SID,
    workerVersion: "1.0.0",
    signingSecret: secret,
    now: Date.UTC(2026, 0, 1),
  });
  await writeManifestFile(m, `${root}/manifest.json`);
}

const verify = (root: string, extra: Record<string, unknown> = {}) =>
  verifyPackageDir(
    {
      packageRoot: root,
      workerId: WID,
      workerSpeciesId: SID,
      mode: "hmac-sha256",
      secret: "s3cret",
      ...extra,
    } as never,
  );

Deno.test("fs: the scaffold hashes to the reference vector and the manifest to its signature", async () => {
  await withPackage(async (root) => {
    assert.equal((await hashPackageDir(root)).package_hash, SCAFFOLD_HASH);
    await signed(root, "test-secret-key");
    const text = await Deno.readTextFile(`${root}/manifest.json`);
    assert.match(
      text,
      /"signature_hmac_sha256": "ea9d8a2a5724542ff7cc0792ccb06bc0d1276448812aeea6b15d3d77fe111030"/,
    );
    // The manifest does not change the package hash (it is excluded), nor does .git.
    await Deno.mkdir(`${root}/.git`);
    await Deno.writeTextFile(`${root}/.git/HEAD`, "ref");
    assert.equal((await hashPackageDir(root)).package_hash, SCAFFOLD_HASH);
    const ok = await verify(root, { secret: "test-secret-key" });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    // Bytecode leaves the hash unchanged (the recipe is the reference's) but fails verification
    // (decision 20): Python would run it and nobody hashed it.
    await Deno.mkdir(`${root}/code/__pycache__`);
    await Deno.writeTextFile(`${root}/code/__pycache__/worker_logic.cpython-312.pyc`, "x");
    await Deno.writeTextFile(`${root}/code/stale.pyc`, "x");
    const h = await hashPackageDir(root);
    assert.equal(h.package_hash, SCAFFOLD_HASH);
    assert.deepEqual(h.unsafe.map((u) => [u.path, u.kind]).sort(), [
      ["code/__pycache__/worker_logic.cpython-312.pyc", "bytecode"],
      ["code/stale.pyc", "bytecode"],
    ]);
    const bad = await verify(root, { secret: "test-secret-key" });
    assert.equal(bad.deny_code, "ATTEST_UNSAFE_PATH");
    assert.match(String(bad.meta.error), /"code\/stale\.pyc" \(bytecode/);
  });
});

Deno.test("fs: a tree with order collisions hashes as CPython's pathlib recipe does (golden)", async () => {
  // Golden: CPython 3 `sorted(Path(root).rglob("*"))` with the reference's exclusions and
  // records, run over exactly this tree (each file holds "content of <name>\n", except the
  // U+FFFF one, which holds that character).
  const dir = await Deno.makeTempDir();
  try {
    const names = [
      "B.txt",
      "_z.py",
      "a.txt",
      "code/x.py",
      "code-y.py",
      "code.py",
      ".hidden",
      "sub.pyc/in.txt",
      "d/x",
      "d-ir/y",
      "é.txt",
      "z.txt",
      "\u{1F600}.txt",
      ".txt",
      "Z",
    ];
    for (const n of names) {
      if (n.includes("/")) await Deno.mkdir(`${dir}/${n.split("/")[0]}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${n}`, `content of ${n}\n`);
    }
    await Deno.writeTextFile(`${dir}/\uffff.txt`, "\uffff");
    const r = await hashPackageDir(dir);
    assert.deepEqual(r.files.map((f) => f.path), [
      ".hidden",
      ".txt",
      "B.txt",
      "Z",
      "_z.py",
      "a.txt",
      "code/x.py",
      "code-y.py",
      "code.py",
      "d/x",
      "d-ir/y",
      "sub.pyc/in.txt",
      "z.txt",
      "é.txt",
      "\uffff.txt",
      "\u{1F600}.txt",
    ]);
    assert.equal(
      r.package_hash,
      "c1010f43216e0adef67e7c3257f5fb73b03b2860ad3fece97fcfe797a24c73b1",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fs: hashing reports progress per file, ending at the total size", async () => {
  await withPackage(async (root) => {
    const calls: [number, number][] = [];
    await hashPackageDir(root, { concurrency: 1, onProgress: (d, t) => calls.push([d, t]) });
    assert.equal(calls.length, 4);
    assert.deepEqual(calls.at(-1), [453, 453]); // 90 + 164 + 136 + 63 bytes of the scaffold
    assert.ok(calls.every(([d], i) => i === 0 || d > calls[i - 1][0]));
  });
});

Deno.test("fs: scaffold refuses to overwrite worker logic unless asked, injects a logic file", async () => {
  await withPackage(async (root, outside) => {
    await assert.rejects(
      () => scaffoldPackage(root),
      (e) => e instanceof WcpError && e.code === "ATTEST_SCAFFOLD_EXISTS",
    );
    await Deno.writeTextFile(`${root}/requirements.lock`, "hono==1\n");
    await scaffoldPackage(root, { overwrite: true, workerLogicFile: `${outside}/secret.txt` });
    assert.equal(await Deno.readTextFile(`${root}/code/worker_logic.py`), "outside the root\n");
    assert.equal(await Deno.readTextFile(`${root}/requirements.lock`), "hono==1\n"); // kept
  });
});

Deno.test("fs: a package under __pycache__ or .git still hashes its files (B-21 fixed)", async () => {
  const base = await Deno.makeTempDir();
  try {
    for (const dir of ["__pycache__", ".git"]) {
      const root = `${base}/${dir}/pkg`;
      await scaffoldPackage(root);
      assert.equal((await hashPackageDir(root)).package_hash, SCAFFOLD_HASH, dir);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("fs tamper: change one byte, add a file, remove a file", async () => {
  await withPackage(async (root) => {
    await signed(root);
    assert.equal((await verify(root)).ok, true);
    const p = `${root}/code/worker_logic.py`;
    const original = await Deno.readFile(p);
    const changed = original.slice();
    changed[10] ^= 0x20;
    await Deno.writeFile(p, changed);
    assert.equal((await verify(root)).deny_code, "ATTEST_HASH_MISMATCH");
    await Deno.writeFile(p, original);
    await Deno.writeTextFile(`${root}/code/extra.py`, "import os\n");
    assert.equal((await verify(root)).deny_code, "ATTEST_HASH_MISMATCH");
    await Deno.remove(`${root}/code/extra.py`);
    await Deno.remove(`${root}/requirements.lock`);
    const r = await verify(root);
    assert.equal(r.deny_code, "ATTEST_HASH_MISMATCH");
    assert.equal(r.meta.expected_hash, SCAFFOLD_HASH);
  });
});

Deno.test("fs tamper: swapping in another package's manifest", async () => {
  await withPackage(async (root) => {
    await signed(root);
    const otherRoot = `${root}-other`;
    await scaffoldPackage(otherRoot);
    await Deno.writeTextFile(`${otherRoot}/code/worker_logic.py`, "def run(): exfiltrate()\n", {
      append: true,
    });
    await signed(otherRoot);
    await Deno.copyFile(`${otherRoot}/manifest.json`, `${root}/manifest.json`);
    assert.equal((await verify(root)).deny_code, "ATTEST_HASH_MISMATCH");
    await Deno.remove(otherRoot, { recursive: true });
  });
});

Deno.test("fs tamper: symlinks are never followed; a symlink escape is ATTEST_UNSAFE_PATH", async () => {
  await withPackage(async (root, outside) => {
    await signed(root);
    await Deno.symlink(`${outside}/secret.txt`, `${root}/code/helper.py`);
    const walked = await walkPackage(root);
    assert.deepEqual(walked.unsafe, [{
      path: "code/helper.py",
      kind: "symlink",
      detail: `${outside}/secret.txt`,
    }]);
    assert.ok(!walked.files.some((f) => f.path === "code/helper.py"));
    // The hash ignores it (never read) ...
    assert.equal((await hashPackageDir(root)).package_hash, SCAFFOLD_HASH);
    // ... and the verifier refuses the package.
    const r = await verify(root);
    assert.equal(r.deny_code, "ATTEST_UNSAFE_PATH");
    await Deno.remove(`${root}/code/helper.py`);
    // A symlinked directory (relative "..") is not descended either.
    await Deno.symlink("../../outside", `${root}/code/lib`);
    const h = await hashPackageDir(root);
    assert.deepEqual(h.unsafe.map((u) => [u.path, u.kind, u.detail]), [[
      "code/lib",
      "symlink",
      "../../outside",
    ]]);
    assert.equal(h.package_hash, SCAFFOLD_HASH);
    // Building refuses to sign it.
    await assert.rejects(
      () => signed(root),
      (e) => e instanceof WcpError && e.code === "ATTEST_UNSAFE_PATH",
    );
  });
});

Deno.test({
  name: "fs tamper: a FIFO in the package is reported as special, never opened (no hang)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await withPackage(async (root) => {
      await signed(root);
      const made = await new Deno.Command("mkfifo", { args: [`${root}/code/pipe`] }).output();
      assert.equal(made.success, true);
      const h = await hashPackageDir(root);
      assert.deepEqual(h.unsafe, [{ path: "code/pipe", kind: "special" }]);
      assert.equal((await verify(root)).deny_code, "ATTEST_UNSAFE_PATH");
    });
  },
});

Deno.test("fs: a symlinked manifest is not followed; a missing or broken one is MISSING", async () => {
  await withPackage(async (root, outside) => {
    await signed(root);
    await Deno.rename(`${root}/manifest.json`, `${outside}/manifest.json`);
    assert.deepEqual(await verify(root), {
      ok: false,
      deny_code: "ATTEST_MANIFEST_MISSING",
      meta: {},
    });
    await Deno.symlink(`${outside}/manifest.json`, `${root}/manifest.json`);
    const r = await verify(root);
    assert.equal(r.deny_code, "ATTEST_MANIFEST_MISSING");
    assert.match(String(r.meta.error), /symlink/);
    await Deno.remove(`${root}/manifest.json`);
    await Deno.writeTextFile(`${root}/manifest.json`, "{not json");
    const broken = await verify(root);
    assert.equal(broken.deny_code, "ATTEST_MANIFEST_MISSING");
    assert.equal(typeof broken.meta.error, "string");
    assert.equal((await readManifestFile(`${root}/nope.json`)).manifest, undefined);
  });
});

Deno.test("fs: a missing package root hashes as empty and fails on the hash", async () => {
  await withPackage(async (root) => {
    await signed(root);
    const r = await verifyPackageDir({
      packageRoot: `${root}/does-not-exist`,
      manifestPath: `${root}/manifest.json`,
      workerId: WID,
      workerSpeciesId: SID,
      mode: "hmac-sha256",
      secret: "s3cret",
    });
    assert.equal(r.deny_code, "ATTEST_HASH_MISMATCH");
    assert.equal(
      r.meta.computed_hash,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    await assert.rejects(() => walkPackage(`${root}/code/bootstrap.py`), WcpError);
  });
});

Deno.test("fs: the HMAC secret is read from the environment at verify time", async () => {
  await withPackage(async (root) => {
    await signed(root);
    const name = "WCP_TEST_ATTEST_KEY_" + crypto.randomUUID().slice(0, 8).toUpperCase();
    const opts = {
      packageRoot: root,
      workerId: WID,
      workerSpeciesId: SID,
      mode: "hmac-sha256" as const,
      secretEnv: name,
    };
    const missing = await verifyPackageDir(opts);
    assert.deepEqual(missing.meta, {
      signature_present: true,
      secret_env_set: false,
      secret_env: name,
    });
    Deno.env.set(name, "s3cret");
    try {
      assert.equal((await verifyPackageDir(opts)).ok, true);
      Deno.env.set(name, "other");
      assert.equal((await verifyPackageDir(opts)).deny_code, "ATTEST_SIG_INVALID");
    } finally {
      Deno.env.delete(name);
    }
  });
});

Deno.test("fs: Ed25519 round trip with key files on disk (0600), dual-signed manifest", async () => {
  await withPackage(async (root) => {
    const key = await generateSigningKey({ namespace: "org.example" });
    const keyPath = `${root}-key.json`;
    await writeKeyFile(keyPath, await exportKeyFile(key, { includePrivate: true }));
    assert.equal((await Deno.stat(keyPath)).mode! & 0o777, 0o600);
    const pubPath = `${root}-key.pub.json`;
    await writeKeyFile(pubPath, await exportKeyFile(key, { includePrivate: false }));
    const m = await buildManifestForDir({
      packageRoot: root,
      workerId: WID,
      workerSpeciesId: SID,
      workerVersion: "1",
      signingSecret: "s3cret",
      signingKey: key,
    });
    await writeManifestFile(m, `${root}/manifest.json`);
    assert.equal(await Deno.readTextFile(`${root}/manifest.json`), manifestJson(m));
    const pub = await readKeyFile(pubPath);
    const ed = await verifyPackageDir({
      packageRoot: root,
      workerId: WID,
      workerSpeciesId: SID,
      mode: "ed25519",
      keys: [pub],
    });
    assert.equal(ed.ok, true, JSON.stringify(ed));
    assert.equal((await verify(root)).deny_code, "ATTEST_MODE_MISMATCH");
    await Deno.writeTextFile(`${root}/config.schema.json`, "{}\n");
    const t = await verifyPackageDir({
      packageRoot: root,
      workerId: WID,
      workerSpeciesId: SID,
      mode: "ed25519",
      keys: [pub],
    });
    assert.equal(t.deny_code, "ATTEST_HASH_MISMATCH");
    await Deno.writeTextFile(keyPath, "{bad");
    await assert.rejects(
      () => readKeyFile(keyPath),
      (e) => e instanceof WcpError && e.code === "KEY_INVALID",
    );
    await Deno.remove(keyPath);
    await Deno.remove(pubPath);
  });
});

Deno.test("fs: streaming hash of a multi-chunk file equals a one-shot hash", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = new Uint8Array((1 << 20) * 2 + 12345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
    await Deno.writeFile(`${dir}/big.bin`, data);
    const { createHash } = await import("node:crypto");
    const r = await hashFile(`${dir}/big.bin`);
    assert.deepEqual(r, {
      size: data.length,
      sha256: createHash("sha256").update(data).digest("hex"),
    });
    // A file replaced after the walk (inode changed) is reported, not hashed.
    const st = await Deno.lstat(`${dir}/big.bin`);
    await Deno.remove(`${dir}/big.bin`);
    await Deno.writeFile(`${dir}/other.bin`, data); // hold the old inode number apart
    await Deno.writeFile(`${dir}/big.bin`, data);
    const again = await hashFile(`${dir}/big.bin`, st.ino);
    const newIno = (await Deno.lstat(`${dir}/big.bin`)).ino;
    assert.equal(again === null, newIno !== st.ino);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fs: a planted symlink is replaced, never written through (manifest.tmp, scaffold files)", async () => {
  await withPackage(async (root, outside) => {
    const target = `${outside}/secret.txt`;
    await Deno.symlink(target, `${root}/manifest.tmp`);
    await signed(root);
    assert.equal(await Deno.readTextFile(target), "outside the root\n");
    assert.ok((await Deno.lstat(`${root}/manifest.json`)).isFile);
    assert.equal((await verify(root)).ok, true);
    // scaffold rewrites code/bootstrap.py every time: a link there must not redirect the write.
    await Deno.remove(`${root}/code/bootstrap.py`);
    await Deno.symlink(target, `${root}/code/bootstrap.py`);
    await scaffoldPackage(root, { overwrite: true });
    assert.equal(await Deno.readTextFile(target), "outside the root\n");
    assert.ok((await Deno.lstat(`${root}/code/bootstrap.py`)).isFile);
    // A code/ directory that is a link is refused before anything is written.
    const other = `${outside}/../pkg2`;
    await Deno.mkdir(other);
    await Deno.symlink(outside, `${other}/code`);
    await assert.rejects(
      scaffoldPackage(other),
      (e) => e instanceof WcpError && e.code === "ATTEST_UNSAFE_PATH" && e.path === "code",
    );
    assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["secret.txt"]);
  });
});

Deno.test("fs: a huge (sparse) manifest or key file is refused unread", async () => {
  await withPackage(async (root, outside) => {
    const f = await Deno.open(`${root}/manifest.json`, { write: true, create: true });
    await f.truncate(64 * 1024 ** 3); // 64 GiB, sparse: reading it would exhaust memory
    f.close();
    const r = await readManifestFile(`${root}/manifest.json`);
    assert.equal(r.manifest, undefined);
    assert.match(r.error ?? "", /larger than/);
    const v = await verify(root);
    assert.equal(v.deny_code, "ATTEST_MANIFEST_MISSING");
    // Excluded files are never read or counted: the progress total is the scaffold's 453 bytes.
    let total = -1;
    const h = await hashPackageDir(root, { onProgress: (_done, all) => (total = all) });
    assert.equal(h.package_hash, SCAFFOLD_HASH);
    assert.deepEqual(h.excluded, ["manifest.json"]);
    assert.equal(total, 90 + 164 + 136 + 63);
    const k = await Deno.open(`${outside}/key.json`, { write: true, create: true });
    await k.truncate(64 * 1024 ** 3);
    k.close();
    await assert.rejects(
      readKeyFile(`${outside}/key.json`),
      (e) => e instanceof WcpError && e.code === "KEY_INVALID" && /larger than/.test(e.message),
    );
    await assert.rejects(
      readKeyFile(outside),
      (e) => e instanceof WcpError && /not a regular file/.test(e.message),
    );
  });
});
