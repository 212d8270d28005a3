// `wcp enroll [--update]` and `wcp registry status|verify|ban-list`: talk to a hall with
// HallClient. Refused: exit 1; bad input: 2; unreachable hall: 3; rate limited: 4.

import { type HallClient, normalizeDigest, Registry, trustedKeyOf, WcpError } from "../../mod.ts";
import { hashPackageDir } from "../adapters/fs.ts";
import { type Command, optList, optString, positionals } from "./_args.ts";
import { callHall, HALL_OPTS, hallClient, hasToken } from "./_hall.ts";
import { loadKeyFile, recordError, recordsOf } from "./_load.ts";
import {
  bold,
  cyan,
  dim,
  err,
  EXIT,
  green,
  out,
  outJson,
  Progress,
  readJsonFile,
  red,
  table,
  UsageError,
  yellow,
} from "./_io.ts";

const enroll: Command = {
  name: "enroll",
  summary: "Enroll worker registry record(s) with a hall, or update them (--update).",
  positionals: "RECORD",
  options: {
    ...HALL_OPTS,
    update: {
      type: "boolean",
      help: "update enrolled workers (PUT /wcp/workers/:id) instead of enrolling new ones",
    },
    key: {
      type: "string",
      multiple: true,
      arg: "KEYFILE",
      help: "add this Ed25519 key file's public key to public_keys (what the hall verifies " +
        "wcp attest submit with)",
    },
  },
  details: 'RECORD: one record, a list, or {"workers": [...]}; checked locally first. Without\n' +
    "artifact_hash, each record gets its JCS digest (the hall computes the same).\n" +
    "Exit status: 0 enrolled, 1 refused by the hall, 2 invalid record, 3 unreachable, 4 rate limited.",
  async run(ctx) {
    const [path] = positionals(ctx, ["RECORD"]);
    const records = recordsOf(await readJsonFile(path, "RECORD"), "RECORD");
    // Checked here first, so a bad field is named with its place in the file before any call.
    records.forEach((record, i) => {
      try {
        new Registry().enroll(record);
      } catch (e) {
        if (e instanceof WcpError) throw recordError(`RECORD: ${path}`, i, e);
        throw e;
      }
    });
    const update = ctx.values.update === true;
    // Only the public half goes into the record, keyed by its id (a private key file is fine).
    const keys: Record<string, string> = {};
    for (const p of optList(ctx, "key")) {
      const k = trustedKeyOf(await loadKeyFile(p));
      keys[k.key_id] = k.public_key;
    }
    const withKeys = Object.keys(keys).length
      ? records.map((r) => {
        const rec = r as Record<string, unknown>;
        const had = typeof rec.public_keys === "object" && rec.public_keys !== null
          ? rec.public_keys as Record<string, unknown>
          : {};
        return { ...rec, public_keys: { ...had, ...keys } };
      })
      : records;
    const client = hallClient(ctx);
    const answers = [];
    for (const record of withKeys) {
      const id = (record as { worker_id: string }).worker_id;
      answers.push(
        await callHall(
          update ? `update ${id}` : `enroll ${id}`,
          () => update ? client.updateWorker(id, record as never) : client.enroll(record as never),
        ),
      );
    }
    if (ctx.json) outJson(records.length === 1 ? answers[0] : answers);
    else {
      for (const w of answers) {
        out(
          `${green(update ? "updated" : "enrolled")} ${w.worker_id} ${
            dim(w.record.artifact_hash ?? "")
          }`,
        );
      }
    }
    return EXIT.ok;
  },
};

const status: Command = {
  name: "registry status",
  summary: "Show a hall's health, compliance level, counts and enrolled workers.",
  options: { ...HALL_OPTS },
  async run(ctx) {
    positionals(ctx, []);
    const client = hallClient(ctx);
    const health = await callHall("health", () => client.health());
    // Health is public, the worker list is not: without a token it is left out (said on stderr);
    // a token the hall refuses is an error (exit 1, the hall's answer on stderr).
    let workers: Awaited<ReturnType<HallClient["workers"]>> | null = null;
    const workersError = hasToken() ? null : "not listed: no token (set WCP_TOKEN or --token-env)";
    if (hasToken()) workers = await callHall("workers", () => client.workers());
    else err(dim(`wcp registry status: workers ${workersError}`));
    if (ctx.json) {
      outJson({ health, workers, ...(workersError ? { workers_error: workersError } : {}) });
    } else {
      out(
        `${bold("hall")}      ${
          health.status === "ok" ? green(health.status) : yellow(health.status)
        } (${health.compliance_level}, WCP ${health.wcp_version})`,
      );
      for (const gap of health.compliance_gaps ?? []) out(dim(`          gap: ${gap}`));
      out(`${bold("store")}     ${health.store.backend} ${health.store.ok ? "ok" : red("down")}`);
      if (health.counts) {
        out(
          `${bold("counts")}    ${
            Object.entries(health.counts).map(([k, v]) => `${k} ${v}`).join(", ")
          }`,
        );
      }
      if (workers) {
        out("", bold(`${workers.length} worker(s)`));
        for (
          const line of table(workers.map((w) => [
            `  ${cyan(w.worker_id)}`,
            w.status === "active" ? w.status : red(w.status),
            w.flagged ? red("flagged") : "",
            w.record.worker_species_id,
          ]))
        ) out(line);
      }
    }
    return health.status === "ok" ? EXIT.ok : EXIT.failed;
  },
};

const verify: Command = {
  name: "registry verify",
  summary:
    "Check an enrolled worker: active, not flagged, not banned, attestation (and a local package).",
  positionals: "WORKER_ID",
  options: {
    ...HALL_OPTS,
    package: {
      type: "string",
      arg: "DIR",
      help: "also hash this package directory and compare with the hall's hash",
    },
  },
  details:
    "Exit status: 0 the worker checks out, 1 it does not (reasons listed), 2 bad input, 3/4 hall.",
  async run(ctx) {
    const [workerId] = positionals(ctx, ["WORKER_ID"]);
    const client = hallClient(ctx);
    const w = await callHall("worker", () => client.worker(workerId));
    const bans = await callHall("ban list", () => client.banList());
    const problems: string[] = [];
    if (w.status !== "active") problems.push(`status is ${w.status}`);
    if (w.flagged) problems.push("flagged (tamper detected)");
    if (w.attestation_verified === false) problems.push("last submitted manifest did not verify");
    const hashes = [w.current_hash, w.record.attestation?.code_hash].map((h) => normalizeDigest(h))
      .filter((h): h is string => !!h);
    const banned = bans.filter((b) =>
      b.status === "confirmed" && hashes.includes(normalizeDigest(b.sha256) ?? "")
    );
    for (const b of banned) problems.push(`hash ${b.sha256} is banned: ${b.reason}`);
    let local: string | null = null;
    const pkg = optString(ctx, "package");
    if (pkg !== undefined) {
      let bar: Progress | undefined;
      try {
        const hashed = await hashPackageDir(pkg, {
          onProgress: (done, total) => (bar ??= new Progress("hashing", total)).update(done),
        });
        local = normalizeDigest(hashed.package_hash);
        // Symlinks and unsafe names are left out of the hash: a match would hide them.
        for (const u of hashed.unsafe) {
          problems.push(`local package holds ${u.kind} ${JSON.stringify(u.path)} (never hashed)`);
        }
      } catch (e) {
        if (e instanceof WcpError) throw new UsageError(`--package: ${e.message}`, e.code);
        throw e;
      } finally {
        bar?.done();
      }
      if (!hashes.length) problems.push("the hall has no hash to compare the package with");
      else if (!hashes.includes(local ?? "")) {
        problems.push(`local package hash ${local} differs from the hall's ${hashes[0]}`);
      }
    }
    const ok = problems.length === 0;
    if (ctx.json) {
      outJson({
        worker_id: workerId,
        ok,
        problems,
        status: w.status,
        flagged: w.flagged,
        attestation_verified: w.attestation_verified,
        current_hash: w.current_hash,
        ...(local ? { local_package_hash: local } : {}),
      });
    } else {
      out(`${ok ? green("ok") : red("NOT OK")} ${workerId}`);
      for (const p of problems) out(`  - ${p}`);
    }
    return ok ? EXIT.ok : EXIT.failed;
  },
};

const banList: Command = {
  name: "registry ban-list",
  summary: "List the hall's ban list of known-bad code hashes.",
  options: { ...HALL_OPTS },
  async run(ctx) {
    positionals(ctx, []);
    const client = hallClient(ctx);
    const bans = await callHall("ban list", () => client.banList());
    if (ctx.json) outJson(bans);
    else if (!bans.length) out("the ban list is empty");
    else {for (
        const line of table(
          bans.map((
            b,
          ) => [b.sha256, b.status === "confirmed" ? red(b.status) : yellow(b.status), b.reason]),
        )
      ) out(line);}
    return EXIT.ok;
  },
};

/** The enroll and registry commands. */
export const registryCommands: Command[] = [enroll, status, verify, banList];
