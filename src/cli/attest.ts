// `wcp attest scaffold|sign|verify|keygen|export-dsse`: worker package attestation (the attest
// engineer's API in src/attestation and src/adapters/fs.ts). CI pipelines script these forms.

import {
  exportKeyFile,
  generateSigningKey,
  type KeyFile,
  manifestToDsse,
  type SigningKey,
  signingKeyFromKeyFile,
  WcpError,
} from "../../mod.ts";
import {
  buildManifestForDir,
  parentDir,
  pathExists,
  readManifestFile,
  replaceFile,
  scaffoldPackage,
  verifyPackageDir,
  writeKeyFile,
  writeManifestFile,
} from "../adapters/fs.ts";
import { type Command, optString, positionals, requireString } from "./_args.ts";
import { loadKeyFile } from "./_load.ts";
import {
  bold,
  dim,
  EXIT,
  FailedError,
  green,
  out,
  outJson,
  Progress,
  red,
  UsageError,
} from "./_io.ts";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A file we may create: its directory exists, it is not a directory, and it is new or forced. */
async function checkWritableTarget(flag: string, path: string, force: boolean): Promise<void> {
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (info?.isDirectory) throw new UsageError(`${flag}: ${path} is a directory`);
  if (info !== null && !force) {
    throw new FailedError(`${path} exists; nothing written (use --force to overwrite)`, "EXISTS");
  }
  if (info === null) {
    await requireDir(parentDir(path), flag);
  }
}

async function writeKeyFileAt(flag: string, path: string, file: KeyFile): Promise<void> {
  try {
    await writeKeyFile(path, file);
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) throw e;
    throw new UsageError(`${flag}: cannot write ${path}: ${(e as Error).message}`);
  }
}

async function requireDir(path: string, flag: string): Promise<void> {
  try {
    if (!(await Deno.stat(path)).isDirectory) {
      throw new UsageError(`${flag}: ${path} is not a directory`);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UsageError(`${flag}: directory not found: ${path}`);
    }
    throw e;
  }
}

async function loadSigningKey(path: string): Promise<SigningKey> {
  const kf = await loadKeyFile(path);
  if (kf.private_key === undefined) {
    throw new UsageError(`--key: ${path} holds no private key (needed to sign)`);
  }
  return await signingKeyFromKeyFile(kf);
}

/** Exactly one of --key / --hmac-env; the HMAC variable must be set and non-empty. */
function signatureMode(
  ctx: Parameters<Command["run"]>[0],
): { key: string } | { envVar: string; secret: string } {
  const key = optString(ctx, "key");
  const envVar = optString(ctx, "hmac-env");
  if ((key === undefined) === (envVar === undefined)) {
    throw new UsageError("give exactly one of --key KEYFILE or --hmac-env VAR");
  }
  if (key !== undefined) return { key };
  if (!ENV_NAME.test(envVar!)) {
    throw new UsageError(`--hmac-env: ${JSON.stringify(envVar)} is not a variable name`);
  }
  let secret: string | undefined;
  try {
    secret = Deno.env.get(envVar!);
  } catch {
    throw new UsageError(`--hmac-env: no permission to read ${envVar} (run with --allow-env)`);
  }
  if (!secret) {
    throw new UsageError(`--hmac-env: environment variable ${envVar} is not set or empty`);
  }
  return { envVar: envVar!, secret };
}

function manifestPathOf(ctx: Parameters<Command["run"]>[0], pkg: string): string {
  return optString(ctx, "manifest") ?? `${pkg.replace(/\/+$/, "")}/manifest.json`;
}

const KEY_OPTS = {
  key: { type: "string" as const, arg: "KEYFILE", help: "Ed25519 key file (wcp attest keygen)" },
  "hmac-env": {
    type: "string" as const,
    arg: "VAR",
    help: "environment variable holding the HMAC secret (reference mode)",
  },
  manifest: {
    type: "string" as const,
    arg: "PATH",
    help: "manifest path (default PKG/manifest.json)",
  },
};

/** Hashing progress on stderr (drawn only on a terminal). */
function hashProgress(
  label: string,
): { onProgress: (done: number, total: number) => void; end: () => void } {
  let bar: Progress | undefined;
  return {
    onProgress: (done, total) => {
      bar ??= new Progress(label, total);
      bar.update(done);
    },
    end: () => bar?.done(),
  };
}

const keygen: Command = {
  name: "attest keygen",
  summary: "Create an Ed25519 signing key file (private, mode 0600).",
  options: {
    out: { type: "string", arg: "KEYFILE", help: "where to write the key file (required)" },
    namespace: {
      type: "string",
      arg: "NS",
      help: "bind the key to a signer namespace (org.acme or x.bob)",
    },
    "public-out": { type: "string", arg: "FILE", help: "also write the public half here" },
    force: { type: "boolean", help: "overwrite an existing key file" },
  },
  details: "Example: wcp attest keygen --out keys/signing.json --namespace org.acme",
  async run(ctx) {
    positionals(ctx, []);
    const path = requireString(ctx, "out");
    const namespace = optString(ctx, "namespace");
    if (namespace !== undefined && !/^(org|x)\.[a-z0-9][a-z0-9_-]*$/.test(namespace)) {
      throw new UsageError(
        `--namespace: ${JSON.stringify(namespace)} must be org.<name> or x.<name>`,
      );
    }
    const pub = optString(ctx, "public-out");
    const targets: [string, string][] = [["--out", path]];
    if (pub !== undefined) targets.push(["--public-out", pub]);
    for (const [flag, p] of targets) await checkWritableTarget(flag, p, ctx.values.force === true);
    const key = await generateSigningKey(namespace ? { namespace } : {});
    await writeKeyFileAt("--out", path, await exportKeyFile(key, { includePrivate: true }));
    if (pub !== undefined) {
      await writeKeyFileAt(
        "--public-out",
        pub,
        await exportKeyFile(key, { includePrivate: false }),
      );
    }
    const info = {
      key_file: path,
      key_id: key.key_id,
      public_key: key.public_key,
      ...(namespace ? { namespace } : {}),
      ...(pub ? { public_key_file: pub } : {}),
    };
    if (ctx.json) outJson(info);
    else out(`wrote ${path} (${key.key_id})\npublic key ${key.public_key}`);
    return EXIT.ok;
  },
};

const scaffold: Command = {
  name: "attest scaffold",
  summary: "Create the reference attestation package layout (code/, requirements.lock, ...).",
  positionals: "PKG",
  options: {
    "worker-logic": { type: "string", arg: "FILE", help: "copy this file to code/worker_logic.py" },
    force: { type: "boolean", help: "overwrite code/worker_logic.py if it exists" },
  },
  async run(ctx) {
    const [pkg] = positionals(ctx, ["PKG"]);
    const logic = optString(ctx, "worker-logic");
    if (logic !== undefined && !(await pathExists(logic))) {
      throw new UsageError(`--worker-logic: file not found: ${logic}`);
    }
    try {
      await scaffoldPackage(pkg, {
        ...(logic ? { workerLogicFile: logic } : {}),
        overwrite: ctx.values.force === true,
      });
    } catch (e) {
      if (e instanceof WcpError && e.code === "ATTEST_SCAFFOLD_EXISTS") {
        const logicPath = `${pkg.replace(/\/+$/, "")}/code/worker_logic.py`;
        throw new FailedError(`${logicPath} exists; nothing written (use --force)`, e.code);
      }
      throw e;
    }
    if (ctx.json) outJson({ package: pkg, scaffolded: true });
    else out(`scaffolded ${pkg}`);
    return EXIT.ok;
  },
};

const sign: Command = {
  name: "attest sign",
  summary: "Hash a package and write its signed manifest (Ed25519 key or HMAC secret).",
  positionals: "PKG",
  options: {
    "worker-id": {
      type: "string",
      arg: "ID",
      help: "worker id, org.<name>.… or x.<name>.… (required)",
    },
    species: { type: "string", arg: "ID", help: "worker species id, wrk.… (required)" },
    version: { type: "string", arg: "V", help: "worker version (required)" },
    "build-source": {
      type: "string",
      arg: "S",
      help: "build source recorded in the manifest (default local)",
    },
    ...KEY_OPTS,
  },
  details:
    "Form: wcp attest sign PKG --worker-id ID --species ID --version V (--key KEYFILE | --hmac-env VAR)",
  async run(ctx) {
    const [pkg] = positionals(ctx, ["PKG"]);
    const workerId = requireString(ctx, "worker-id");
    const species = requireString(ctx, "species");
    const version = requireString(ctx, "version");
    const mode = signatureMode(ctx);
    await requireDir(pkg, "PKG");
    const signing = "key" in mode
      ? { signingKey: await loadSigningKey(mode.key) }
      : { signingSecret: mode.secret };
    const progress = hashProgress("hashing");
    const options = {
      packageRoot: pkg,
      workerId,
      workerSpeciesId: species,
      workerVersion: version,
      ...(optString(ctx, "build-source") ? { buildSource: optString(ctx, "build-source") } : {}),
      ...signing,
      onProgress: progress.onProgress,
    };
    let manifest;
    try {
      manifest = await buildManifestForDir(options);
    } finally {
      progress.end();
    }
    const path = manifestPathOf(ctx, pkg);
    await writeManifestFile(manifest, path);
    const m = manifest as unknown as Record<string, unknown>;
    if (ctx.json) outJson({ manifest_path: path, manifest });
    else out(`signed ${pkg}: package_hash ${m.package_hash}\nwrote ${path}`);
    return EXIT.ok;
  },
};

const verify: Command = {
  name: "attest verify",
  summary: "Verify a package against its manifest; prints the ATTEST_* code on failure (exit 1).",
  positionals: "PKG",
  options: {
    "worker-id": { type: "string", arg: "ID", help: "expected worker id (required)" },
    species: { type: "string", arg: "ID", help: "expected species id (required)" },
    ...KEY_OPTS,
  },
  details:
    "Form: wcp attest verify PKG --worker-id ID --species ID (--key KEYFILE | --hmac-env VAR)\n" +
    "Exit status: 0 verified, 1 not verified (the ATTEST_* code is printed), 2 bad input.",
  async run(ctx) {
    const [pkg] = positionals(ctx, ["PKG"]);
    const workerId = requireString(ctx, "worker-id");
    const species = requireString(ctx, "species");
    const mode = signatureMode(ctx);
    const progress = hashProgress("verifying");
    const common = {
      packageRoot: pkg,
      manifestPath: manifestPathOf(ctx, pkg),
      workerId,
      workerSpeciesId: species,
      onProgress: progress.onProgress,
    };
    let result;
    try {
      result = "key" in mode
        ? await verifyPackageDir({
          ...common,
          mode: "ed25519",
          keys: [await loadKeyFile(mode.key)],
        })
        : await verifyPackageDir({ ...common, mode: "hmac-sha256", secret: mode.secret });
    } finally {
      progress.end();
    }
    if (ctx.json) outJson({ package: pkg, ...result });
    else if (result.ok) {
      out(
        `${green("verified")} ${pkg} (${workerId}, package_hash ${
          result.meta.package_hash ?? "?"
        })`,
      );
    } else {out(
        `${red(result.deny_code ?? "ATTEST_FAILED")} ${pkg}${
          result.meta.error ? dim(` (${result.meta.error})`) : ""
        }`,
      );}
    return result.ok ? EXIT.ok : EXIT.failed;
  },
};

const exportDsse: Command = {
  name: "attest export-dsse",
  summary: "Export a package manifest as a signed DSSE envelope (in-toto Statement v1).",
  positionals: "PKG",
  options: {
    key: KEY_OPTS.key,
    manifest: KEY_OPTS.manifest,
    out: { type: "string", arg: "FILE", help: "write the envelope here (default stdout)" },
  },
  async run(ctx) {
    const [pkg] = positionals(ctx, ["PKG"]);
    const key = await loadSigningKey(requireString(ctx, "key"));
    const path = manifestPathOf(ctx, pkg);
    const { manifest, error } = await readManifestFile(path);
    if (error) throw new UsageError(`--manifest: ${path}: ${error}`);
    if (manifest === undefined) {
      throw new FailedError(
        `ATTEST_MANIFEST_MISSING: no manifest at ${path} (run wcp attest sign)`,
        "ATTEST_MANIFEST_MISSING",
      );
    }
    if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
      throw new UsageError(`--manifest: ${path} is not a manifest object`);
    }
    const envelope = await manifestToDsse(manifest as Record<string, unknown>, key);
    const target = optString(ctx, "out");
    if (target !== undefined) {
      await checkWritableTarget("--out", target, true);
      await replaceFile(target, JSON.stringify(envelope, null, 2) + "\n");
      if (ctx.json) outJson({ out: target, payloadType: envelope.payloadType, key_id: key.key_id });
      else out(`wrote ${target} (${bold(envelope.payloadType)}, signed by ${key.key_id})`);
    } else {
      outJson(envelope);
    }
    return EXIT.ok;
  },
};

/** The attest command group. */
export const attestCommands: Command[] = [scaffold, sign, verify, keygen, exportDsse];
