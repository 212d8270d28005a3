// The canonical package hash recipe (behaviour.md 9.4, README decision 15).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  comparePackagePaths,
  isExcludedPath,
  packageHash,
  packageHashFromContents,
  SCAFFOLD_FILES,
  unsafePathReason,
  WcpError,
} from "../../mod.ts";

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

Deno.test("package hash: the scaffold vector shared by all three references", () => {
  const r = packageHashFromContents(SCAFFOLD_FILES);
  assert.equal(r.package_hash, "a6eeb3dd3aafc410838802130e3675527dcceadf6d2b1e817e2b97f62abf3bb6");
  assert.equal(r.digest, "sha256:" + r.package_hash);
  assert.deepEqual(r.files.map((f) => [f.path, f.size, f.sha256]), [
    ["code/bootstrap.py", 90, "a01d0e4d148a6d4c2f3659221bdf520c0a488cc5061748f7c45af41bfc75ad53"],
    [
      "code/worker_logic.py",
      164,
      "d54756bcd846e7a6c55981604a27f150b4179655488c1fbfec667a3966e8b6c3",
    ],
    ["config.schema.json", 136, "e1fc21c5ca3e658bfbfbb5005a0d1dfec2be6e720b5a1ff86f699a13cc5db221"],
    ["requirements.lock", 63, "dcf0343985667929f054c2fbfe7b53c31b820df51e09b583768ac5f3781d9095"],
  ]);
});

Deno.test("package hash: empty package is SHA-256 of nothing", () => {
  assert.equal(
    packageHash([]).package_hash,
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("package hash: component-wise order of the reference's collision fixture", () => {
  const names = [
    "B.txt",
    "_z.py",
    "a.txt",
    "code/x.py",
    "code-y.py",
    "code.py",
    ".hidden",
    "sub.pyc/in.txt",
  ];
  const contents = Object.fromEntries(names.map((n) => [n, `content of ${n}\n`]));
  const r = packageHashFromContents({
    ...contents,
    "manifest.json": "{}",
    "x/__pycache__/a.txt": "",
  });
  const order = [
    ".hidden",
    "B.txt",
    "_z.py",
    "a.txt",
    "code/x.py",
    "code-y.py",
    "code.py",
    "sub.pyc/in.txt",
  ];
  assert.deepEqual(r.files.map((f) => f.path), order);
  // The Python recipe, written out by hand.
  const records = order.map((p) => `${p}\n${contents[p].length}\n${sha(contents[p])}\n`).join("");
  assert.equal(r.package_hash, sha(records));
  assert.deepEqual(r.excluded, ["manifest.json", "x/__pycache__/a.txt"]);
});

Deno.test("package hash: order is by code point, not UTF-16 unit, per component", () => {
  assert.deepEqual(["\u{1F600}.txt", "\uffff.txt", "a/b", "a.b", "a"].sort(comparePackagePaths), [
    "a",
    "a/b",
    "a.b",
    "\uffff.txt",
    "\u{1F600}.txt",
  ]);
});

Deno.test("package hash: exclusions apply to components below the root only", () => {
  for (
    const p of [
      ".git/config",
      "a/.git/x",
      "__pycache__/m.pyc",
      "a/.DS_Store",
      "manifest.sig",
      "manifest.tmp",
      "x.pyc",
      "deep/y.pyc",
    ]
  ) {
    assert.equal(isExcludedPath(p), true, p);
  }
  for (const p of ["sub.pyc/in.txt", "git/x", "manifest.json.bak", "a.pyc.txt", "code/manifest"]) {
    assert.equal(isExcludedPath(p), false, p);
  }
  // B-21: where the package lives never matters, only relative paths are given to the core.
  assert.notEqual(
    packageHashFromContents({ "a.txt": "a" }).package_hash,
    packageHash([]).package_hash,
  );
});

Deno.test("package hash: unsafe paths are reported and never hashed", () => {
  for (
    const [p, why] of [
      ["../etc/passwd", "contains a '..' segment"],
      ["a/../../b", "contains a '..' segment"],
      ["/etc/passwd", "absolute path"],
      ["a//b", "contains an empty or '.' segment"],
      ["./a", "contains an empty or '.' segment"],
      ["", "empty path"],
      ["a\0b", "contains NUL"],
      ["C:/x", "not a POSIX relative path"],
    ]
  ) {
    assert.equal(unsafePathReason(p), why, p);
  }
  const ok = { path: "a.txt", size: 1, sha256: sha("a") };
  const r = packageHash([ok, { path: "../x", size: 1, sha256: sha("x") }, { ...ok }]);
  assert.deepEqual(r.files.map((f) => f.path), ["a.txt"]);
  assert.deepEqual(r.unsafe.map((u) => [u.path, u.kind]), [["../x", "unsafe_path"], [
    "a.txt",
    "duplicate",
  ]]);
  assert.equal(r.package_hash, packageHash([ok]).package_hash);
});

Deno.test("package hash: bad per-file input is a WcpError naming the field", () => {
  assert.throws(
    () => packageHash([{ path: "a", size: -1, sha256: sha("") }]),
    (e) => e instanceof WcpError && e.path === "files[0].size",
  );
  assert.throws(
    () => packageHash([{ path: "a", size: 0, sha256: "xyz" }]),
    (e) => e instanceof WcpError && e.path === "files[0].sha256",
  );
  for (const notList of [null, undefined, "a", { length: 0 }]) {
    assert.throws(
      () => packageHash(notList as never),
      (e) => e instanceof WcpError && e.code === "ATTEST_INPUT_INVALID" && e.path === "files",
    );
  }
  assert.throws(
    () => packageHash([null as never]),
    (e) => e instanceof WcpError && e.path === "files[0].size",
  );
  // Upper-case digests are normalised.
  const lower = packageHash([{ path: "a", size: 0, sha256: sha("") }]);
  const upper = packageHash([{ path: "a", size: 0, sha256: sha("").toUpperCase() }]);
  assert.equal(upper.package_hash, lower.package_hash);
});
