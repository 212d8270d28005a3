// `wcp enroll` and `wcp registry status|verify|ban-list`: talk to a hall with HallClient.
// Unreachable hall: exit 3; rate limited: exit 4.

import { HallClient, HallError, normalizeDigest, Registry, WcpError } from "../../mod.ts";
import { hashPackageDir } from "../adapters/fs.ts";
import { type Command, type Context, optString, positionals } from "./_args.ts";
import { recordError, recordsOf } from "./_load.ts";
import {
  bold,
  cyan,
  dim,
  EXIT,
  green,
  out,
  outJson,
  Progress,
  readJsonFile,
  red,
  RemoteError,
  table,
  UsageError,
  yellow,
} from "./_io.ts";

const HALL_OPTS = {
  hall: {
    type: "string" as const,
    arg: "URL",
    help: "hall base URL (default $WCP_HALL_URL or http://127.0.0.1:8787)",
  },
  "token-env": {
    type: "string" as const,
    arg: "VAR",
    help: "variable holding the bearer token (default WCP_TOKEN)",
  },
};

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** A client for the hall named by --hall / $WCP_HALL_URL, with the token from --token-env. */
export function hallClient(ctx: Context): HallClient {
  const url = optString(ctx, "hall") ?? env("WCP_HALL_URL") ?? "http://127.0.0.1:8787";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--hall: ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`--hall: ${JSON.stringify(url)} must be http:// or https://`);
  }
  const tokenVar = optString(ctx, "token-env") ?? "WCP_TOKEN";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenVar)) {
    throw new UsageError(`--token-env: ${JSON.stringify(tokenVar)} is not a variable name`);
  }
  const token = env(tokenVar);
  return new HallClient({
    baseUrl: url,
    ...(token ? { token } : {}),
    timeoutMs: 10_000,
    retries: 1,
    maxRetryAfterMs: 5_000,
  });
}

/** Map a hall failure to the CLI's exit codes. */
export async function callHall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof HallError)) throw e;
    if (e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504) {
      throw new RemoteError(`hall unreachable (${what}): ${e.message}`, EXIT.unreachable, e.code);
    }
    if (e.status === 429) {
      const wait = e.retryAfterSeconds !== undefined ? `; retry after ${e.retryAfterSeconds}s` : "";
      throw new RemoteError(`rate limited by the hall (${what})${wait}`, EXIT.rateLimited, e.code);
    }
    throw new RemoteError(
      `${what}: hall answered ${e.status} ${e.code}: ${e.message}${
        e.path ? ` (at ${e.path})` : ""
      }`,
      EXIT.failed,
      e.code,
    );
  }
}

const enroll: Command = {
  name: "enroll",
  summary: "Enroll a worker registry record with a hall (checked locally first).",
  positionals: "RECORD",
  options: { ...HALL_OPTS },
  details:
    "Exit status: 0 enrolled, 1 refused by the hall, 2 invalid record, 3 unreachable, 4 rate limited.",
  async run(ctx) {
    const [path] = positionals(ctx, ["RECORD"]);
    const records = recordsOf(await readJsonFile(path, "RECORD"), "RECORD");
    // A record without artifact_hash gets the core's (JCS) hash, which halls require.
    const toSend = records.map((record, i) => {
      try {
        const stored = new Registry().enroll(record);
        const given = (record as Record<string, unknown>).artifact_hash;
        return given === undefined
          ? { ...(record as object), artifact_hash: stored.artifact_hash }
          : record;
      } catch (e) {
        if (e instanceof WcpError) throw recordError(`RECORD: ${path}`, i, e);
        throw e;
      }
    });
    const client = hallClient(ctx);
    const answers = [];
    for (const record of toSend) {
      answers.push(await callHall("enroll", () => client.enroll(record as never)));
    }
    if (ctx.json) outJson(records.length === 1 ? answers[0] : answers);
    else {for (const r of records) {
        out(`${green("enrolled")} ${(r as { worker_id: string }).worker_id}`);
      }}
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
    let workers: Awaited<ReturnType<HallClient["workers"]>> | null = null;
    let workersError: string | null = null;
    try {
      workers = await callHall("workers", () => client.workers());
    } catch (e) {
      if (!(e instanceof RemoteError) || e.exitCode !== EXIT.failed) throw e;
      workersError = e.message; // e.g. no token: health is public, the worker list is not
    }
    if (ctx.json) {
      outJson({ health, workers, ...(workersError ? { workers_error: workersError } : {}) });
    } else {
      out(
        `${bold("hall")}      ${
          health.status === "ok" ? green(health.status) : yellow(health.status)
        } (${health.compliance_level}, WCP ${health.wcp_version})`,
      );
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
      } else if (workersError) out(dim(`workers: ${workersError}`));
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
