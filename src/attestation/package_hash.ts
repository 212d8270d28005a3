/**
 * The canonical package hash (docs/protocol/hashes.md#package-hash), computed from per-file digests
 * so the core stays pure: an adapter (or the browser) hashes each file, this module filters, orders
 * and combines.
 *
 * Recipe (the Python reference's, with exclusions applied relative to the package root):
 * every file whose relative path has no excluded component and does not end in `.pyc`, ordered
 * component-wise by code point, contributes `"<rel_path>\n<size>\n<sha256_hex>\n"`; the package
 * hash is the lowercase hex SHA-256 of the concatenation (UTF-8).
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { WcpError } from "../errors.ts";
import { sha256Hex } from "../encoding/hash.ts";
import { toHex, utf8 } from "../encoding/bytes.ts";
import { compareCodePoints } from "./_py_json.ts";
import { EXCLUDED_NAMES } from "./constants.ts";

/**
 * One regular file of a package: its path relative to the root (`/`-separated) and digest.
 *
 * @example
 * ```ts
 * import type { PackageFile } from "@wcp/core";
 * const f: PackageFile = { path: "code/worker_logic.py", size: 0, sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" };
 * ```
 */
export interface PackageFile {
  /** Relative POSIX path, e.g. `code/worker_logic.py`. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Lowercase hex SHA-256 of the content (no prefix). */
  sha256: string;
}

/**
 * Something in the package tree that was not hashed because it is unsafe; never followed.
 *
 * @example
 * ```ts
 * import type { UnsafeEntry } from "@wcp/core";
 * const u: UnsafeEntry = { path: "code/helper.py", kind: "symlink", detail: "/etc/passwd" };
 * ```
 */
export interface UnsafeEntry {
  /** Relative path as found. */
  path: string;
  /**
   * `symlink` (never followed), `special` (FIFO, socket, device), `unsafe_path` (absolute, `..`,
   * empty or `.` segment, a control character, not UTF-8), `bytecode` (Python bytecode the hash
   * recipe leaves out: `__pycache__/`, `*.pyc`, `*.pyo`), `duplicate`, `changed` (the file changed
   * identity while it was being hashed) or `unreadable` (a directory or file that could not be
   * read).
   */
  kind:
    | "symlink"
    | "special"
    | "unsafe_path"
    | "bytecode"
    | "duplicate"
    | "changed"
    | "unreadable";
  /** Extra detail, e.g. the link target. */
  detail?: string;
}

/**
 * The result of hashing a package.
 *
 * @example
 * ```ts
 * import { packageHashFromContents, type PackageHashResult } from "@wcp/core";
 * const r: PackageHashResult = packageHashFromContents({ "a.txt": "a" });
 * r.files.length; // 1
 * ```
 */
export interface PackageHashResult {
  /** Bare lowercase hex, as the reference writes it into `manifest.package_hash`. */
  package_hash: string;
  /** The same as `sha256:<hex>`. */
  digest: string;
  /** Hashed files in hash order. */
  files: PackageFile[];
  /** Relative paths left out by the exclusion rules. */
  excluded: string[];
  /** Unsafe entries (not hashed; a verifier denies with `ATTEST_UNSAFE_PATH`). */
  unsafe: UnsafeEntry[];
}

/**
 * True when a relative path is excluded from the package hash: a component is one of
 * {@link EXCLUDED_NAMES}, or the path ends with `.pyc`. Only components below the root count
 * (the reference also looked at the root's own path: bug B-21).
 *
 * @example
 * ```ts
 * import { isExcludedPath } from "@wcp/core";
 * isExcludedPath("code/__pycache__/x.txt"); // true
 * isExcludedPath("sub.pyc/in.txt"); // false
 * ```
 */
export function isExcludedPath(relPath: string): boolean {
  if (relPath.endsWith(".pyc")) return true;
  for (const part of relPath.split("/")) if (EXCLUDED_NAMES.has(part)) return true;
  return false;
}

/**
 * True when a relative path is Python bytecode, which the reference hash recipe leaves out
 * (`__pycache__/`, `*.pyc`) or nobody reviews (`*.pyo`) and Python would run: a file below a
 * `__pycache__` directory, or a name ending in `.pyc` or `.pyo`
 * (compared case-insensitively: case-insensitive file systems load `X.PYC` as `x.pyc`). A
 * package holding one is refused at signing and at verification (`ATTEST_UNSAFE_PATH`).
 *
 * @example
 * ```ts
 * import { isBytecodePath } from "@wcp/core";
 * isBytecodePath("code/__pycache__/helper.cpython-312.pyc"); // true
 * isBytecodePath("code/helper.pyc"); // true
 * isBytecodePath("sub.pyc/in.txt"); // false
 * ```
 */
export function isBytecodePath(relPath: string): boolean {
  const parts = relPath.toLowerCase().split("/");
  const name = parts[parts.length - 1];
  if (name.endsWith(".pyc") || name.endsWith(".pyo")) return true;
  return parts.slice(0, -1).includes("__pycache__");
}

// C0 controls (newline included), DEL and C1 controls.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// A lone surrogate: no UTF-8 encoding (TextEncoder would write U+FFFD in its place).
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * Why a relative path is unsafe, or null when it is a plain relative POSIX path. Refused: empty,
 * absolute, Windows-style, `..`, empty or `.` segments, any control character (C0 with NUL and
 * newline, DEL, C1: the hash text `path\nsize\nsha256\n` would let two trees hash alike), and
 * names that are not valid UTF-8 (a lone surrogate, or U+FFFD, which is how Deno's `readDir`
 * gives a name whose bytes are not UTF-8).
 *
 * @example
 * ```ts
 * import { unsafePathReason } from "@wcp/core";
 * unsafePathReason("../etc/passwd"); // "contains a '..' segment"
 * unsafePathReason("a\nb"); // "contains control character U+000A"
 * unsafePathReason("code/x.py"); // null
 * ```
 */
export function unsafePathReason(relPath: string): string | null {
  if (typeof relPath !== "string" || relPath.length === 0) return "empty path";
  if (relPath.startsWith("/")) return "absolute path";
  if (relPath.includes("\0")) return "contains NUL";
  const control = CONTROL.exec(relPath);
  if (control !== null) return `contains control character ${codePointName(control[0])}`;
  if (relPath.includes("\uFFFD") || LONE_SURROGATE.test(relPath)) return "not valid UTF-8";
  if (/^[A-Za-z]:/.test(relPath) || relPath.includes("\\")) return "not a POSIX relative path";
  for (const part of relPath.split("/")) {
    if (part === "..") return "contains a '..' segment";
    if (part === "" || part === ".") return "contains an empty or '.' segment";
  }
  return null;
}

function codePointName(ch: string): string {
  return "U+" + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
}

// Shown escaped: controls, lone surrogates, U+FFFD, line and paragraph separators, bidi controls.
const DISPLAY_ESCAPE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufffd\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * A path (or any file-system text) quoted for one line of display: `"` and `\` escaped, `\n`,
 * `\r`, `\t` as such, other control characters, lone surrogates, U+FFFD and bidirectional
 * controls as `\uXXXX`. Two different paths never display alike.
 *
 * @example
 * ```ts
 * import { displayPath } from "@wcp/core";
 * displayPath("a\nb"); // '"a\\nb"'
 * ```
 */
export function displayPath(path: string): string {
  let out = '"';
  for (const ch of String(path)) {
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (DISPLAY_ESCAPE.test(ch)) {
      out += "\\u" + ch.codePointAt(0)!.toString(16).padStart(4, "0");
    } else out += ch;
  }
  return out + '"';
}

/**
 * One line naming the unsafe entries of a package (paths escaped with {@link displayPath}; at most
 * five listed, then a count), and what to do about bytecode. Used in `ATTEST_UNSAFE_PATH` errors
 * and in the verifier's `meta.error`.
 *
 * @example
 * ```ts
 * import { describeUnsafe } from "@wcp/core";
 * describeUnsafe([{ path: "a\nb", kind: "unsafe_path", detail: "contains control character U+000A" }]);
 * // '"a\\nb" (unsafe_path: contains control character U+000A)'
 * ```
 */
export function describeUnsafe(unsafe: readonly UnsafeEntry[]): string {
  const shown = unsafe.slice(0, 5).map((u) =>
    `${displayPath(u.path)} (${u.kind}${
      u.detail === undefined ? "" : `: ${displayPath(u.detail).slice(1, -1)}`
    })`
  );
  if (unsafe.length > 5) shown.push(`and ${unsafe.length - 5} more`);
  let text = shown.join(", ");
  if (unsafe.some((u) => u.kind === "bytecode")) {
    text += "; remove the Python bytecode (__pycache__/, *.pyc, *.pyo): the package hash does " +
      "not cover it, and Python would run it";
  }
  return text;
}

/**
 * Compare relative paths component-wise, each component by code point (Python `Path` order; the
 * same as comparing the strings with `/` below every other character).
 *
 * @example
 * ```ts
 * import { comparePackagePaths } from "@wcp/core";
 * ["code.py", "code/x.py", "code-y.py"].sort(comparePackagePaths);
 * // ["code/x.py", "code-y.py", "code.py"]
 * ```
 */
export function comparePackagePaths(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodePoints(pa[i], pb[i]);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/**
 * Combine per-file digests into the canonical package hash. Excluded paths are dropped and
 * listed; unsafe paths (absolute, `..`, duplicates, ...) are dropped and reported in `unsafe`
 * together with any `unsafe` entries the caller found while walking.
 *
 * @example
 * ```ts
 * import { packageHash } from "@wcp/core";
 * packageHash([]).package_hash;
 * // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
 * ```
 */
export function packageHash(
  files: readonly PackageFile[],
  unsafe: readonly UnsafeEntry[] = [],
): PackageHashResult {
  const kept: PackageFile[] = [];
  const excluded: string[] = [];
  const bad: UnsafeEntry[] = [...unsafe];
  const seen = new Set<string>();
  if (!Array.isArray(files)) {
    throw new WcpError("ATTEST_INPUT_INVALID", "files", "must be an array of {path, size, sha256}");
  }
  files.forEach((f, i) => {
    if (!Number.isSafeInteger(f?.size) || f.size < 0) {
      throw new WcpError("ATTEST_INPUT_INVALID", `files[${i}].size`, "must be an integer >= 0");
    }
    if (typeof f.sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(f.sha256)) {
      throw new WcpError("ATTEST_INPUT_INVALID", `files[${i}].sha256`, "must be 64 hex digits");
    }
    const reason = unsafePathReason(f.path);
    if (reason !== null) {
      bad.push({ path: String(f.path), kind: "unsafe_path", detail: reason });
    } else if (seen.has(f.path)) {
      bad.push({ path: f.path, kind: "duplicate" });
    } else {
      seen.add(f.path);
      // Bytecode is hashed (or excluded) exactly as the reference recipe says, and reported.
      if (isBytecodePath(f.path)) {
        bad.push({ path: f.path, kind: "bytecode", detail: "Python bytecode" });
      }
      if (isExcludedPath(f.path)) excluded.push(f.path);
      else kept.push({ path: f.path, size: f.size, sha256: f.sha256.toLowerCase() });
    }
  });
  // Component-wise order == code-point order with "/" below every character; unsafe paths
  // (with NUL) were set aside above, so NUL can stand in for "/" in a precomputed sort key.
  // UTF-16 order equals code-point order unless a key holds a unit >= U+E000 (surrogates sort
  // below those in UTF-16 but above them by code point), so the fast comparison usually applies.
  const keyed = kept.map((f) => ({ f, k: f.path.replaceAll("/", "\0") }));
  const astralSafe = keyed.every((x) => !/[\ue000-\uffff]/.test(x.k));
  keyed.sort(
    astralSafe
      ? (a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)
      : (a, b) => compareCodePoints(a.k, b.k),
  );
  kept.splice(0, kept.length, ...keyed.map((x) => x.f));
  const h = sha256.create();
  // Feed the hash in batches: per-record updates cost more than the hashing itself.
  for (let i = 0; i < kept.length; i += 256) {
    let chunk = "";
    for (const f of kept.slice(i, i + 256)) chunk += `${f.path}\n${f.size}\n${f.sha256}\n`;
    h.update(utf8(chunk));
  }
  const hex = toHex(h.digest());
  excluded.sort(comparePackagePaths);
  return { package_hash: hex, digest: "sha256:" + hex, files: kept, excluded, unsafe: bad };
}

/**
 * Hash an in-memory package (path to content), for browsers and tests.
 *
 * @example
 * ```ts
 * import { packageHashFromContents } from "@wcp/core";
 * const r = packageHashFromContents({ "code/a.py": "print(1)\n", "manifest.json": "{}" });
 * r.excluded; // ["manifest.json"]
 * ```
 */
export function packageHashFromContents(
  contents: Readonly<Record<string, string | Uint8Array>>,
): PackageHashResult {
  const files: PackageFile[] = Object.entries(contents).map(([path, content]) => {
    const bytes = typeof content === "string" ? utf8(content) : content;
    return { path, size: bytes.length, sha256: sha256Hex(bytes) };
  });
  return packageHash(files);
}
