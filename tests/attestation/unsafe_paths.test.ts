// Decision 20: package paths are unambiguous. Control characters and names that are not UTF-8
// are refused at signing and at verification, and Python bytecode the hash recipe leaves out
// fails both; the recipe itself is unchanged (the known-answer tests keep passing).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  buildManifest,
  describeUnsafe,
  displayPath,
  generateSigningKey,
  isBytecodePath,
  type PackageFile,
  packageHash,
  packageHashFromContents,
  SCAFFOLD_FILES,
  signManifestHmac,
  unsafePathReason,
  verifyManifest,
  WcpError,
} from "../../mod.ts";
import {
  buildManifestForDir,
  hashPackageDir,
  scaffoldPackage,
  verifyPackageDir,
  walkPackage,
  writeManifestFile,
} from "../../src/adapters/fs.ts";

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
const WID = "org.acme.summarizer.1";
const SID = "wrk.doc.summarizer";
const SCAFFOLD_HASH = "a6eeb3dd3aafc410838802130e3675527dcceadf6d2b1e817e2b97f62abf3bb6";

const isUnsafe = (e: unknown, ...parts: string[]): boolean =>
  e instanceof WcpError && e.code === "ATTEST_UNSAFE_PATH" &&
  !e.message.includes("\n") && parts.every((p) => e.message.includes(p));

Deno.test("unsafe paths: a newline in a name would make a different tree hash like a signed one", async () => {
  // The signed tree: two files. The forged tree: one file whose name carries the first record.
  const signedTree: PackageFile[] = [
    { path: "code/worker_logic.py", size: 4, sha256: sha("good") },
    { path: "code/z_helper.py", size: 3, sha256: sha("bad") },
  ];
  const forgedPath = `code/worker_logic.py\n4\n${sha("good")}\ncode/z_helper.py`;
  const forgedTree: PackageFile[] = [{ path: forgedPath, size: 3, sha256: sha("bad") }];
  // The hash texts are identical: that is the ambiguity decision 20 closes.
  const text = (files: PackageFile[]) =>
    files.map((f) => `${f.path}\n${f.size}\n${f.sha256}\n`).join("");
  assert.equal(text(forgedTree), text(signedTree));
  const good = packageHash(signedTree);
  assert.equal(good.package_hash, sha(text(signedTree)));
  const forged = packageHash(forgedTree);
  assert.deepEqual(forged.unsafe, [{
    path: forgedPath,
    kind: "unsafe_path",
    detail: "contains control character U+000A",
  }]);
  assert.deepEqual(forged.files, []);
  const manifest = signManifestHmac(
    buildManifest({ packageHash: good, workerId: WID, workerSpeciesId: SID, workerVersion: "1" }),
    "s3cret",
  );
  const r = await verifyManifest({
    manifest,
    computed: forged,
    workerId: WID,
    workerSpeciesId: SID,
    mode: "hmac-sha256",
    secret: "s3cret",
  });
  assert.equal(r.deny_code, "ATTEST_UNSAFE_PATH");
  // Named, escaped for display, on one line.
  assert.ok(String(r.meta.error).includes(`"code/worker_logic.py\\n4\\n`), String(r.meta.error));
  assert.ok(!String(r.meta.error).includes("\n"));
  // Signing such a tree is refused, naming the path.
  assert.throws(
    () =>
      buildManifest({
        packageHash: forged,
        workerId: WID,
        workerSpeciesId: SID,
        workerVersion: "1",
      }),
    (e) => isUnsafe(e, `"code/worker_logic.py\\n4\\n`),
  );
});

Deno.test("unsafe paths: every C0, DEL and C1 control is refused; other characters are not", () => {
  const controls = [
    ...Array.from({ length: 0x20 }, (_, i) => i),
    0x7f,
    ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i),
  ];
  for (const cp of controls) {
    const ch = String.fromCodePoint(cp);
    const reason = unsafePathReason(`code/a${ch}b.py`);
    const name = "U+" + cp.toString(16).toUpperCase().padStart(4, "0");
    assert.equal(reason, cp === 0 ? "contains NUL" : `contains control character ${name}`, name);
    assert.equal(packageHashFromContents({ [`a${ch}`]: "x" }).unsafe[0]?.kind, "unsafe_path");
  }
  for (const ok of ["café.py", "a\u00a0b", "\u{1F600}.txt", "日本/語.md", "a b~!@#$%^&()"]) {
    assert.equal(unsafePathReason(ok), null, ok);
  }
});

Deno.test("unsafe paths: names that are not UTF-8 (U+FFFD, lone surrogates) are refused", () => {
  // A lone surrogate has no UTF-8 form: it would be hashed as U+FFFD, like another name.
  const enc = new TextEncoder();
  assert.deepEqual(enc.encode("a\ud800"), enc.encode("a\ufffd"));
  for (const p of ["a\ud800.py", "code/\udfff", "a\ufffdb.txt"]) {
    assert.equal(unsafePathReason(p), "not valid UTF-8", JSON.stringify(p));
  }
  // A well-formed pair is fine.
  assert.equal(unsafePathReason("\ud83d\ude00.txt"), null);
  const r = packageHash([{ path: "x\ud800", size: 0, sha256: sha("") }]);
  assert.equal(r.unsafe[0].detail, "not valid UTF-8");
});

Deno.test("unsafe paths: displayPath escapes so that two paths never display alike", () => {
  assert.equal(displayPath("a\nb"), '"a\\nb"');
  assert.equal(displayPath("a\\nb"), '"a\\\\nb"');
  assert.equal(displayPath('q"'), '"q\\""');
  assert.equal(displayPath("\u0085\u007f\u009b"), '"\\u0085\\u007f\\u009b"');
  assert.equal(displayPath("x\ud800"), '"x\\ud800"');
  assert.equal(displayPath("x\ufffd"), '"x\\ufffd"');
  assert.equal(displayPath("evil\u202eyp.txt"), '"evil\\u202eyp.txt"');
  assert.equal(displayPath("café"), '"café"');
  const many = Array.from(
    { length: 7 },
    (_, i) => ({ path: `f${i}\n`, kind: "unsafe_path" as const }),
  );
  const text = describeUnsafe(many);
  assert.ok(text.endsWith("and 2 more"), text);
  assert.ok(!text.includes("\n"));
});

Deno.test("bytecode: reported (hash unchanged), so signing and verifying refuse it", async () => {
  for (
    const p of [
      "code/helper.pyc",
      "helper.pyo",
      "code/X.PYC",
      "code/__pycache__/h.cpython-312.pyc",
      "__pycache__/notes.txt",
      "a/__PYCACHE__/x",
    ]
  ) {
    assert.equal(isBytecodePath(p), true, p);
  }
  for (const p of ["sub.pyc/in.txt", "code/pyc.txt", "code/x.py", "__pycache__", "code/a.pycx"]) {
    assert.equal(isBytecodePath(p), false, p);
  }
  const clean = packageHashFromContents(SCAFFOLD_FILES);
  assert.equal(clean.package_hash, SCAFFOLD_HASH);
  assert.deepEqual(clean.unsafe, []);
  const withPyc = packageHashFromContents({
    ...SCAFFOLD_FILES,
    "code/helper.pyc": "\x00\x00 sourceless",
    "code/__pycache__/worker_logic.cpython-312.pyc": "stale",
  });
  // The reference recipe leaves them out: the hash is the clean tree's ...
  assert.equal(withPyc.package_hash, SCAFFOLD_HASH);
  assert.deepEqual(withPyc.unsafe.map((u) => [u.path, u.kind]), [
    ["code/helper.pyc", "bytecode"],
    ["code/__pycache__/worker_logic.cpython-312.pyc", "bytecode"],
  ]);
  // ... so a manifest of the clean tree would verify it: the verifier refuses instead.
  const manifest = signManifestHmac(
    buildManifest({ packageHash: clean, workerId: WID, workerSpeciesId: SID, workerVersion: "1" }),
    "s3cret",
  );
  const opts = {
    manifest,
    workerId: WID,
    workerSpeciesId: SID,
    mode: "hmac-sha256" as const,
    secret: "s3cret",
  };
  assert.equal((await verifyManifest({ ...opts, computed: clean })).ok, true);
  const r = await verifyManifest({ ...opts, computed: withPyc });
  assert.equal(r.deny_code, "ATTEST_UNSAFE_PATH");
  assert.match(String(r.meta.error), /"code\/helper\.pyc" \(bytecode/);
  assert.throws(
    () =>
      buildManifest({
        packageHash: withPyc,
        workerId: WID,
        workerSpeciesId: SID,
        workerVersion: "1",
      }),
    (e) => isUnsafe(e, '"code/helper.pyc"', "remove the Python bytecode"),
  );
  // *.pyo is hashed by the reference recipe, and still refused.
  const pyo = packageHashFromContents({ "a.pyo": "x" });
  assert.equal(pyo.files.length, 1);
  assert.equal(pyo.unsafe[0].kind, "bytecode");
});

async function withDir(fn: (base: string) => Promise<void>): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "wcp-unsafe-" });
  try {
    await fn(base);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

async function sign(root: string): Promise<void> {
  const m = await buildManifestForDir({
    packageRoot: root,
    workerId: WID,
    workerSpeciesId: SID,
    workerVersion: "1",
    signingSecret: "s3cret",
  });
  await writeManifestFile(m, `${root}/manifest.json`);
}

const verifyDir = (root: string) =>
  verifyPackageDir({
    packageRoot: root,
    workerId: WID,
    workerSpeciesId: SID,
    mode: "hmac-sha256",
    secret: "s3cret",
  });

/** Create files with raw byte names (not expressible as a Deno string) from a subprocess. */
async function python(code: string): Promise<void> {
  const r = await new Deno.Command("python3", { args: ["-c", code], stderr: "piped" }).output();
  assert.equal(r.success, true, new TextDecoder().decode(r.stderr));
}

Deno.test({
  name: "fs: a file or directory whose name is not UTF-8 is refused at signing and verification",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await withDir(async (base) => {
      const root = `${base}/pkg`;
      await scaffoldPackage(root);
      await sign(root);
      assert.equal((await verifyDir(root)).ok, true);
      await python(
        `import os; open(os.path.join(${
          JSON.stringify(root)
        }.encode(), b"code", b"h\\xffx.py"), "wb").write(b"import os")`,
      );
      // Deno gives the name with U+FFFD; it is never opened, and reported.
      const walked = await walkPackage(root);
      assert.deepEqual(walked.unsafe, [{
        path: "code/h\ufffdx.py",
        kind: "unsafe_path",
        detail: "not valid UTF-8",
      }]);
      const r = await verifyDir(root);
      assert.equal(r.deny_code, "ATTEST_UNSAFE_PATH");
      assert.ok(String(r.meta.error).includes('"code/h\\ufffdx.py"'), String(r.meta.error));
      await assert.rejects(() => sign(root), (e) => isUnsafe(e, '"code/h\\ufffdx.py"'));
      // A directory with such a name is not descended, and reported the same way.
      const other = `${base}/pkg2`;
      await scaffoldPackage(other);
      await python(
        `import os; d = os.path.join(${
          JSON.stringify(other)
        }.encode(), b"lib\\xfe"); os.mkdir(d); open(os.path.join(d, b"m.py"), "wb").write(b"x")`,
      );
      assert.deepEqual((await hashPackageDir(other)).unsafe.map((u) => [u.path, u.detail]), [
        ["lib\ufffd", "not valid UTF-8"],
      ]);
      await assert.rejects(() => sign(other), (e) => isUnsafe(e, '"lib\\ufffd"'));
    });
  },
});

Deno.test("fs: a file named with a newline is refused at signing and at verification", async () => {
  await withDir(async (base) => {
    const root = `${base}/pkg`;
    await scaffoldPackage(root);
    await sign(root);
    await Deno.mkdir(`${root}/code/x\ny`);
    await Deno.writeTextFile(`${root}/code/x\ny/z.py`, "x");
    await Deno.writeTextFile(`${root}/a\tb`, "x");
    const h = await hashPackageDir(root);
    assert.equal(h.package_hash, SCAFFOLD_HASH); // never hashed
    assert.deepEqual(h.unsafe.map((u) => u.path).sort(), ["a\tb", "code/x\ny"]);
    const r = await verifyDir(root);
    assert.equal(r.deny_code, "ATTEST_UNSAFE_PATH");
    assert.ok(String(r.meta.error).includes('"code/x\\ny"'), String(r.meta.error));
    await assert.rejects(() => sign(root), (e) => isUnsafe(e, '"a\\tb"', '"code/x\\ny"'));
  });
});

Deno.test("fs: bytecode added after signing fails verification; signing a tree with it is refused", async () => {
  await withDir(async (base) => {
    const root = `${base}/pkg`;
    await scaffoldPackage(root);
    await sign(root);
    assert.equal((await verifyDir(root)).ok, true);
    // A sourceless module next to the code: Python imports code/helper.pyc.
    await Deno.writeTextFile(`${root}/code/helper.pyc`, "sourceless");
    let r = await verifyDir(root);
    assert.equal(r.deny_code, "ATTEST_UNSAFE_PATH");
    assert.match(String(r.meta.error), /"code\/helper\.pyc" \(bytecode/);
    await Deno.remove(`${root}/code/helper.pyc`);
    // A stale cache Python prefers to the source when its header matches.
    await Deno.mkdir(`${root}/code/__pycache__`);
    await Deno.writeTextFile(`${root}/code/__pycache__/worker_logic.cpython-312.pyc`, "x");
    r = await verifyDir(root);
    assert.equal(r.deny_code, "ATTEST_UNSAFE_PATH");
    assert.match(String(r.meta.error), /"code\/__pycache__\/worker_logic\.cpython-312\.pyc"/);
    await assert.rejects(() => sign(root), (e) => isUnsafe(e, "remove the Python bytecode"));
    // An empty cache directory holds nothing to run.
    await Deno.remove(`${root}/code/__pycache__/worker_logic.cpython-312.pyc`);
    assert.equal((await verifyDir(root)).ok, true);
    // A __pycache__ symlink (Python would follow it) is reported, not skipped.
    await Deno.remove(`${root}/code/__pycache__`);
    await Deno.mkdir(`${base}/cache`);
    await Deno.symlink(`${base}/cache`, `${root}/code/__pycache__`);
    r = await verifyDir(root);
    assert.equal(r.deny_code, "ATTEST_UNSAFE_PATH");
    assert.match(String(r.meta.error), /"code\/__pycache__" \(symlink/);
  });
});

Deno.test("fs: signing with a key bound to another namespace is refused, naming both", async () => {
  await withDir(async (base) => {
    const root = `${base}/pkg`;
    await scaffoldPackage(root);
    const other = await generateSigningKey({ namespace: "org.other" });
    await assert.rejects(
      () =>
        buildManifestForDir({
          packageRoot: root,
          workerId: WID,
          workerSpeciesId: SID,
          workerVersion: "1",
          signingKey: other,
        }),
      (e) =>
        e instanceof WcpError && e.code === "ATTEST_KEY_NAMESPACE_MISMATCH" &&
        e.message.includes("org.other") && e.message.includes("org.acme"),
    );
    // Its own namespace, or an unbound key, signs.
    for (
      const k of [await generateSigningKey({ namespace: "org.acme" }), await generateSigningKey()]
    ) {
      const m = await buildManifestForDir({
        packageRoot: root,
        workerId: WID,
        workerSpeciesId: SID,
        workerVersion: "1",
        signingKey: k,
      });
      assert.equal(m.signing_key_id, k.key_id);
    }
  });
});
