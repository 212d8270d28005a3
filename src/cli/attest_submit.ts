// `wcp attest submit`: send a signed package's manifest and per-file digests to a hall
// (POST /wcp/workers/:id/attestation). The hall never sees the files: it recomputes the package
// hash from the digests and accepts it only when the manifest's signature covers that hash.

import { WcpError } from "../../mod.ts";
import { hashPackageDir, readManifestFile } from "../adapters/fs.ts";
import { type Command, optString, positionals, requireString } from "./_args.ts";
import { callHall, HALL_OPTS, hallClient } from "./_hall.ts";
import { dim, err, EXIT, FailedError, green, out, outJson, Progress, UsageError } from "./_io.ts";

const submit: Command = {
  name: "attest submit",
  summary: "Submit a signed package's manifest and file digests to a hall for the worker.",
  positionals: "PKG",
  options: {
    "worker-id": { type: "string", arg: "ID", help: "enrolled worker id (required)" },
    manifest: { type: "string", arg: "FILE", help: "signed manifest (default PKG/manifest.json)" },
    ...HALL_OPTS,
  },
  details:
    "Sign first (wcp attest sign PKG ... --key KEYFILE) and list the key's public half in the\n" +
    'worker\'s record (public_keys: {"<key_id>": "<public_key>"}). The first verified package\n' +
    "becomes the registered code hash; a later one that differs is flagged as a tamper.\n" +
    "Exit status: 0 verified and registered, 1 refused (the ATTEST_* code), tampered or banned,\n" +
    "2 bad input, 3 hall unreachable, 4 rate limited.",
  async run(ctx) {
    const [pkg] = positionals(ctx, ["PKG"]);
    const workerId = requireString(ctx, "worker-id");
    const manifestPath = optString(ctx, "manifest") ?? `${pkg.replace(/\/+$/, "")}/manifest.json`;
    const read = await readManifestFile(manifestPath);
    if (read.error) throw new UsageError(`--manifest: ${manifestPath}: ${read.error}`);
    if (read.manifest === undefined) {
      throw new UsageError(
        `--manifest: ${manifestPath} not found (sign the package first: wcp attest sign)`,
      );
    }
    const manifest = read.manifest;
    if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
      throw new UsageError(`--manifest: ${manifestPath} is not a JSON object`);
    }
    let bar: Progress | undefined;
    let hashed;
    try {
      hashed = await hashPackageDir(pkg, {
        onProgress: (done, total) => (bar ??= new Progress("hashing", total)).update(done),
      });
    } catch (e) {
      if (e instanceof WcpError) throw new UsageError(`PKG: ${e.message}`, e.code);
      throw e;
    } finally {
      bar?.done();
    }
    if (hashed.unsafe.length) {
      const u = hashed.unsafe[0];
      throw new FailedError(
        `PKG holds ${u.kind} ${JSON.stringify(u.path)} (never hashed or submitted); remove it`,
        "ATTEST_UNSAFE_PATH",
      );
    }
    const files = hashed.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }));
    const client = hallClient(ctx);
    const r = await callHall(
      `attestation of ${workerId}`,
      () =>
        client.submitAttestation(workerId, {
          manifest: manifest as Record<string, unknown>,
          files,
        }),
    );
    const ok = r.verified === true && r.tampered !== true && r.banned !== true;
    if (ctx.json) outJson(r);
    else if (ok) {
      out(`${green("verified")} ${workerId}: package ${r.package_hash}`);
      out(dim(`registered hash ${r.registered_hash}`));
    }
    if (ok) return EXIT.ok;
    // Refused: the reason on stderr (the hall's full answer is on stdout with --json).
    err(
      `wcp attest submit: ${workerId}: ${
        r.verified !== true
          ? `${
            r.deny_code ?? "ATTEST_FAILED"
          }: the manifest does not verify; nothing was registered`
          : r.banned === true
          ? `package ${r.package_hash} is on the ban list`
          : `tampered: package ${r.package_hash} differs from the registered ${r.registered_hash} (flagged)`
      }`,
    );
    return EXIT.failed;
  },
};

/** The attest submit command. */
export const attestSubmitCommands: Command[] = [submit];
