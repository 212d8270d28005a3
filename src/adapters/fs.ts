/**
 * Deno file-system adapter for package attestation: walks a package directory without following
 * symbolic links, hashes files by streaming (node:crypto, native), and reads and writes
 * manifests and key files. The logic (order, exclusions, manifests, verification) is the pure
 * core's; this file only does I/O. Not exported from mod.ts: edges import it directly.
 *
 * @module
 */

import { createHash } from "node:crypto";
import {
  buildManifest,
  DEFAULT_SECRET_ENV,
  EXCLUDED_NAMES,
  isExcludedPath,
  type KeyFile,
  type KeyRing,
  manifestJson,
  type PackageFile,
  packageHash,
  type PackageHashResult,
  type PackageManifest,
  parseKeyFile,
  SCAFFOLD_FILES,
  type SigningKey,
  signManifestEd25519,
  signManifestHmac,
  tenantNamespace,
  type TrustedKey,
  type UnsafeEntry,
  unsafePathReason,
  verifyManifest,
} from "../attestation/mod.ts";
import type { AttestationResult } from "../attestation/verify.ts";
import { WcpError } from "../errors.ts";

const CHUNK = 1 << 20;
const UNREAD = "0".repeat(64);
/** Manifests are a few hundred bytes; anything above this is refused unread. */
const MAX_MANIFEST_BYTES = 1 << 20;
/** Key files are a few hundred bytes. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** A file found by {@link walkPackage}. */
export interface WalkedFile {
  /** Relative POSIX path. */
  path: string;
  /** Absolute path. */
  absPath: string;
  /** Size from lstat. */
  size: number;
  /** Inode (to detect a swap between walk and read), null where the platform has none. */
  ino: number | null;
}

/** What {@link walkPackage} found. */
export interface WalkResult {
  /** Regular files outside excluded directories (and inside `__pycache__/`, never read). */
  files: WalkedFile[];
  /** Symlinks, special files and unsafe names: never followed, never hashed. */
  unsafe: UnsafeEntry[];
}

/**
 * The directory part of a POSIX path: `"."` for a bare name, `"/"` for a file at the root.
 *
 * @example
 * ```ts ignore
 * import { parentDir } from "./src/adapters/fs.ts";
 * parentDir("keys/signing.json"); // "keys"
 * ```
 */
export function parentDir(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : path.slice(0, slash) || "/";
}

function join(a: string, b: string): string {
  return a.endsWith("/") ? a + b : `${a}/${b}`;
}

/**
 * List the regular files of a package directory without following symlinks. Excluded
 * directories (`.git`) are not descended, bar `__pycache__` (its files are listed so that the
 * core reports them as bytecode); symlinks, special files and unsafe names (control characters,
 * names that are not UTF-8: Deno gives those with U+FFFD) are reported in `unsafe`, never opened. Throws `WcpError` `ATTEST_ROOT_INVALID` when the root is not a directory.
 *
 * @example
 * ```ts ignore
 * import { walkPackage } from "./src/adapters/fs.ts";
 * const { files, unsafe } = await walkPackage("./my-worker");
 * ```
 */
export async function walkPackage(root: string): Promise<WalkResult> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(root);
  } catch (e) {
    throw new WcpError(
      "ATTEST_ROOT_INVALID",
      "packageRoot",
      `cannot read ${root}: ${(e as Error).message}`,
    );
  }
  if (!info.isDirectory) {
    throw new WcpError("ATTEST_ROOT_INVALID", "packageRoot", `${root} is not a directory`);
  }
  const files: WalkedFile[] = [];
  const unsafe: UnsafeEntry[] = [];
  const walk = async (absDir: string, relDir: string): Promise<void> => {
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const e of Deno.readDir(absDir)) entries.push(e);
    } catch (e) {
      if (relDir === "") throw e;
      // An unreadable directory below the root is reported (and fails verification), not fatal.
      unsafe.push({ path: relDir, kind: "unreadable", detail: (e as Error).message });
      return;
    }
    for (const e of entries) {
      const rel = relDir === "" ? e.name : `${relDir}/${e.name}`;
      const abs = join(absDir, e.name);
      const reason = unsafePathReason(rel);
      if (reason !== null) {
        unsafe.push({ path: rel, kind: "unsafe_path", detail: reason });
        continue;
      }
      // `__pycache__` is walked (its files are never read): bytecode found there is reported by
      // the core and fails signing and verification. A symlink by that name is reported too.
      const pycache = e.name.toLowerCase() === "__pycache__";
      if (e.isSymlink) {
        if (EXCLUDED_NAMES.has(e.name) && !pycache) continue;
        let target = "";
        try {
          target = await Deno.readLink(abs);
        } catch { /* unreadable link: still reported */ }
        unsafe.push({ path: rel, kind: "symlink", detail: target });
      } else if (e.isDirectory) {
        // An excluded component excludes everything below it: no need to descend (bar bytecode).
        if (!EXCLUDED_NAMES.has(e.name) || pycache) await walk(abs, rel);
      } else if (e.isFile) {
        try {
          const st = await Deno.lstat(abs);
          files.push({ path: rel, absPath: abs, size: st.size, ino: st.ino ?? null });
        } catch (err) {
          unsafe.push({ path: rel, kind: "unreadable", detail: (err as Error).message });
        }
      } else if (!EXCLUDED_NAMES.has(e.name)) {
        unsafe.push({ path: rel, kind: "special" });
      }
    }
  };
  await walk(root, "");
  return { files, unsafe };
}

/**
 * Stream a file through SHA-256 (1 MiB reads, native hashing). When `expectIno` is given and
 * the opened file is not that inode (the path was swapped, e.g. for a symlink, after the walk),
 * returns null.
 *
 * @example
 * ```ts ignore
 * import { hashFile } from "./src/adapters/fs.ts";
 * const { size, sha256 } = (await hashFile("./my-worker/code/worker_logic.py"))!;
 * ```
 */
export async function hashFile(
  absPath: string,
  expectIno: number | null = null,
): Promise<{ size: number; sha256: string } | null> {
  const file = await Deno.open(absPath, { read: true });
  try {
    const st = await file.stat();
    if (!st.isFile || (expectIno !== null && st.ino !== null && st.ino !== expectIno)) return null;
    const h = createHash("sha256");
    const buf = new Uint8Array(CHUNK);
    let size = 0;
    for (;;) {
      const n = await file.read(buf);
      if (n === null) break;
      h.update(n === CHUNK ? buf : buf.subarray(0, n));
      size += n;
    }
    return { size, sha256: h.digest("hex") };
  } finally {
    file.close();
  }
}

/** Options of {@link hashPackageDir}. */
export interface HashOptions {
  /** Files read at once (1-8, default 2). */
  concurrency?: number;
  /** Called after each file with bytes done and the total size of the walked files. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/**
 * The canonical package hash of a directory: walk (no symlinks followed), stream-hash each file
 * (two reads in flight), combine in the core. Unsafe entries are reported, never hashed.
 *
 * @example
 * ```ts ignore
 * import { hashPackageDir } from "./src/adapters/fs.ts";
 * console.log((await hashPackageDir("./my-worker")).package_hash);
 * ```
 */
export async function hashPackageDir(
  root: string,
  options: HashOptions = {},
): Promise<PackageHashResult> {
  const { files, unsafe } = await walkPackage(root);
  const totalBytes = files.reduce((n, f) => (isExcludedPath(f.path) ? n : n + f.size), 0);
  let doneBytes = 0;
  const out: PackageFile[] = [];
  const bad: UnsafeEntry[] = [...unsafe];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++];
      if (isExcludedPath(f.path)) {
        // Listed as excluded by the core, never hashed: not worth reading (a package could hold
        // a huge or sparse manifest.json). The digest is a placeholder the core discards.
        out.push({ path: f.path, size: f.size, sha256: UNREAD });
        continue;
      }
      let r: { size: number; sha256: string } | null;
      try {
        r = await hashFile(f.absPath, f.ino);
      } catch (e) {
        bad.push({ path: f.path, kind: "unreadable", detail: (e as Error).message });
        continue;
      }
      if (r === null) bad.push({ path: f.path, kind: "changed", detail: "replaced while hashing" });
      else out.push({ path: f.path, size: r.size, sha256: r.sha256 });
      doneBytes += f.size;
      options.onProgress?.(doneBytes, totalBytes);
    }
  };
  const n = Math.max(1, Math.min(options.concurrency ?? 2, 8));
  await Promise.all(Array.from({ length: n }, worker));
  return packageHash(out, bad);
}

/**
 * Write the scaffold (reference `scaffold_package`): `code/worker_logic.py` (the given file's
 * text or the stub; refuses to overwrite unless `overwrite`), always `code/bootstrap.py`, and
 * `requirements.lock` / `config.schema.json` when absent.
 *
 * @example
 * ```ts ignore
 * import { scaffoldPackage } from "./src/adapters/fs.ts";
 * await scaffoldPackage("./my-worker");
 * ```
 */
export async function scaffoldPackage(
  root: string,
  options: { workerLogicFile?: string; overwrite?: boolean } = {},
): Promise<void> {
  await Deno.mkdir(join(root, "code"), { recursive: true });
  if ((await Deno.lstat(join(root, "code"))).isSymlink) {
    throw new WcpError("ATTEST_UNSAFE_PATH", "code", "code/ is a symlink; not followed");
  }
  const logic = join(root, "code/worker_logic.py");
  if (!options.overwrite && await pathExists(logic)) {
    throw new WcpError("ATTEST_SCAFFOLD_EXISTS", "root", `${logic} exists (use overwrite)`);
  }
  const logicText = options.workerLogicFile === undefined
    ? SCAFFOLD_FILES["code/worker_logic.py"]
    : await Deno.readTextFile(options.workerLogicFile);
  await replaceFile(logic, logicText);
  await replaceFile(join(root, "code/bootstrap.py"), SCAFFOLD_FILES["code/bootstrap.py"]);
  for (const p of ["requirements.lock", "config.schema.json"]) {
    if (!await pathExists(join(root, p))) await replaceFile(join(root, p), SCAFFOLD_FILES[p]);
  }
}

/**
 * Write a file by creating a new one beside it and renaming it over the old. A symlink at the
 * path is replaced, never written through: packages are untrusted, and a planted link must not
 * make us overwrite a file elsewhere.
 *
 * @example
 * ```ts ignore
 * import { replaceFile } from "./src/adapters/fs.ts";
 * await replaceFile("./my-worker/README.md", "# my worker\n");
 * ```
 */
export async function replaceFile(
  path: string,
  text: string,
  tmp = `${path}.${crypto.randomUUID()}.tmp`,
): Promise<void> {
  await Deno.remove(tmp).catch(() => {}); // a stale (or planted) temporary: the link itself goes
  await Deno.writeTextFile(tmp, text, { createNew: true }); // O_EXCL: never follows a link
  try {
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Whether something (a file, directory or symlink, never followed) is at a path. Other errors
 * than "not found" (no permission) propagate.
 *
 * @example
 * ```ts ignore
 * import { pathExists } from "./src/adapters/fs.ts";
 * if (await pathExists("./my-worker/manifest.json")) console.log("signed before");
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Options of {@link buildManifestForDir}. */
export interface BuildManifestForDirOptions {
  /** Package directory. */
  packageRoot: string;
  /** Worker id (`org.*` / `x.*`). */
  workerId: string;
  /** Species id. */
  workerSpeciesId: string;
  /** Version. */
  workerVersion: string;
  /** `local` (default), `ci`, `agent`. */
  buildSource?: string;
  /** HMAC secret (reference mode). */
  signingSecret?: string;
  /** Ed25519 key (production mode). With both, the manifest is dual-signed. */
  signingKey?: SigningKey;
  /** Clock (epoch ms). */
  now?: number;
  /** Hashing progress (see {@link HashOptions}). */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/**
 * Hash a package directory and build a signed manifest (nothing is written). Refuses packages
 * with symlinks, special files, unsafe names or Python bytecode (`ATTEST_UNSAFE_PATH`), a key
 * bound to another namespace than the worker id's (`ATTEST_KEY_NAMESPACE_MISMATCH`) and unsigned
 * builds.
 *
 * @example
 * ```ts ignore
 * import { buildManifestForDir, writeManifestFile } from "./src/adapters/fs.ts";
 * const m = await buildManifestForDir({ packageRoot: "./w", workerId: "org.acme.w.1",
 *   workerSpeciesId: "wrk.doc.summarizer", workerVersion: "1.0.0", signingSecret: "s" });
 * await writeManifestFile(m, "./w/manifest.json");
 * ```
 */
export async function buildManifestForDir(
  options: BuildManifestForDirOptions,
): Promise<PackageManifest> {
  if (!options.signingSecret && !options.signingKey) {
    throw new WcpError("ATTEST_INPUT_INVALID", "signingSecret", "give a secret or a signing key");
  }
  // The namespace is checked before hashing, as in the reference.
  buildManifest({
    packageHash: "0".repeat(64),
    workerId: options.workerId,
    workerSpeciesId: options.workerSpeciesId,
    workerVersion: options.workerVersion,
    buildSource: options.buildSource,
  });
  // A key bound to a namespace vouches for that namespace only: signing another's worker with it
  // would give a manifest no verifier accepts (ATTEST_KEY_NAMESPACE_MISMATCH).
  const keyNs = options.signingKey?.namespace;
  const workerNs = tenantNamespace(options.workerId);
  if (keyNs !== undefined && keyNs !== workerNs) {
    throw new WcpError(
      "ATTEST_KEY_NAMESPACE_MISMATCH",
      "signingKey.namespace",
      `key ${options.signingKey!.key_id} is bound to namespace ${keyNs}, but worker id ` +
        `${options.workerId} is in namespace ${workerNs}`,
    );
  }
  const computed = await hashPackageDir(options.packageRoot, { onProgress: options.onProgress });
  let m = buildManifest({ ...options, packageHash: computed });
  if (options.signingSecret) m = signManifestHmac(m, options.signingSecret);
  if (options.signingKey) m = await signManifestEd25519(m, options.signingKey);
  return m;
}

/**
 * Write a manifest byte-identically to the reference (`indent=2`, sorted, ASCII-escaped, final
 * newline), atomically: to `manifest.tmp` beside it, then renamed.
 *
 * @example
 * ```ts ignore
 * import { writeManifestFile } from "./src/adapters/fs.ts";
 * await writeManifestFile(manifest, "./w/manifest.json");
 * ```
 */
export async function writeManifestFile(manifest: PackageManifest, path: string): Promise<void> {
  const dir = parentDir(path);
  await Deno.mkdir(dir, { recursive: true });
  // The reference's temporary name (excluded from the package hash); a link there is not followed.
  await replaceFile(path, manifestJson(manifest), join(dir, "manifest.tmp"));
}

/**
 * Read a manifest file for {@link verifyPackageDir}: `{ manifest }` (parsed JSON, possibly not an
 * object), `{ manifest: undefined }` when absent, or `{ manifest: undefined, error }` when it is
 * unreadable, not JSON or a symlink (never followed).
 *
 * @example
 * ```ts ignore
 * import { readManifestFile } from "./src/adapters/fs.ts";
 * const { manifest, error } = await readManifestFile("./w/manifest.json");
 * ```
 */
export async function readManifestFile(
  path: string,
): Promise<{ manifest: unknown; error?: string }> {
  try {
    const st = await Deno.lstat(path);
    if (st.isSymlink) return { manifest: undefined, error: "manifest is a symlink (not followed)" };
    if (!st.isFile) return { manifest: undefined, error: "manifest is not a regular file" };
    // A package is untrusted: a huge (or sparse) manifest.json must not exhaust memory.
    if (st.size > MAX_MANIFEST_BYTES) {
      return { manifest: undefined, error: `manifest is larger than ${MAX_MANIFEST_BYTES} bytes` };
    }
    return { manifest: JSON.parse(await Deno.readTextFile(path)) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { manifest: undefined };
    return { manifest: undefined, error: String((e as Error).message ?? e) };
  }
}

/** Options of {@link verifyPackageDir}. */
export type VerifyPackageDirOptions =
  & {
    /** Package directory. */
    packageRoot: string;
    /** Manifest path; default `<packageRoot>/manifest.json`. */
    manifestPath?: string;
    /** Expected worker id. */
    workerId: string;
    /** Expected species id. */
    workerSpeciesId: string;
    /** Clock (epoch ms). */
    now?: number;
    /** Hashing progress (see {@link HashOptions}). */
    onProgress?: (doneBytes: number, totalBytes: number) => void;
  }
  & (
    | {
      /** Reference mode. */
      mode: "hmac-sha256";
      /** The secret; when absent it is read from `secretEnv` now (at verify time). */
      secret?: string;
      /** Variable to read; default `WCP_ATTEST_HMAC_KEY`. */
      secretEnv?: string;
    }
    | {
      /** Production mode. */
      mode: "ed25519";
      /** Trusted keys (registry record keys, key files). */
      keys: KeyRing | Iterable<TrustedKey | SigningKey | KeyFile>;
    }
  );

/**
 * Verify a package directory against its manifest (the reference's `PackageAttestationVerifier`).
 * Never throws for a bad package: every failure is a deny code. A missing root hashes as empty,
 * as in the reference, so it fails on the hash.
 *
 * @example
 * ```ts ignore
 * import { verifyPackageDir } from "./src/adapters/fs.ts";
 * const r = await verifyPackageDir({ packageRoot: "./w", workerId: "org.acme.w.1",
 *   workerSpeciesId: "wrk.doc.summarizer", mode: "hmac-sha256" });
 * if (!r.ok) console.log(r.deny_code);
 * ```
 */
export async function verifyPackageDir(
  options: VerifyPackageDirOptions,
): Promise<AttestationResult> {
  const manifestPath = options.manifestPath ?? join(options.packageRoot, "manifest.json");
  const { manifest, error } = await readManifestFile(manifestPath);
  let computed: PackageHashResult;
  try {
    computed = await hashPackageDir(options.packageRoot, { onProgress: options.onProgress });
  } catch (e) {
    if (!(e instanceof WcpError)) throw e;
    computed = packageHash([]);
  }
  const common = {
    manifest,
    manifestError: error,
    computed,
    workerId: options.workerId,
    workerSpeciesId: options.workerSpeciesId,
    now: options.now,
  };
  if (options.mode === "hmac-sha256") {
    const secretEnv = options.secretEnv ?? DEFAULT_SECRET_ENV;
    const secret = options.secret ?? readEnv(secretEnv);
    return verifyManifest({ ...common, mode: "hmac-sha256", secret, secretEnv });
  }
  return verifyManifest({ ...common, mode: "ed25519", keys: options.keys });
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: treated as unset, which fails closed
  }
}

/**
 * Write a key file as JSON with mode 0600 (private keys) or 0644 (public only).
 *
 * @example
 * ```ts ignore
 * import { writeKeyFile } from "./src/adapters/fs.ts";
 * await writeKeyFile("./keys/signing.json", await exportKeyFile(key, { includePrivate: true }));
 * ```
 */
export async function writeKeyFile(path: string, file: KeyFile): Promise<void> {
  const kf = parseKeyFile(file);
  const mode = kf.private_key === undefined ? 0o644 : 0o600;
  // Create beside the target with its final mode, then rename: a private key is never readable
  // by others, not even for a moment.
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(kf, null, 2) + "\n", { mode, createNew: true });
  try {
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {}); // never leave a stray copy of a private key
    throw e;
  }
}

/**
 * Read and validate a key file (`KEY_INVALID` naming the field on bad content).
 *
 * @example
 * ```ts ignore
 * import { readKeyFile } from "./src/adapters/fs.ts";
 * const kf = await readKeyFile("./keys/signing.json");
 * ```
 */
export async function readKeyFile(path: string): Promise<KeyFile> {
  let doc: unknown;
  try {
    const st = await Deno.stat(path);
    if (!st.isFile) throw new Error("not a regular file");
    if (st.size > MAX_KEY_FILE_BYTES) throw new Error(`larger than ${MAX_KEY_FILE_BYTES} bytes`);
    doc = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new WcpError("KEY_INVALID", path, `cannot read key file: ${(e as Error).message}`);
  }
  return parseKeyFile(doc);
}
