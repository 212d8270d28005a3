/**
 * A throwaway PostgreSQL server for tests and the load benchmark, started from Debian's
 * `postgresql` package: `initdb` into a fresh temp dir, `pg_ctl start` on 127.0.0.1 with a free
 * port and a private unix socket dir, one database, and `stop()` that shuts it down and removes
 * the dir. Durability is switched off (fsync, synchronous_commit, full_page_writes) because the
 * data dies with the test; a hall process killed mid-burst does not crash the database server,
 * so acknowledged commits still survive.
 *
 * Postgres refuses to run as root, so when we are root every server binary runs as the
 * `postgres` system user via `runuser` (falling back to `su`).
 *
 * @module
 */

/** A running throwaway server. */
export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust auth, loopback only). */
  url: string;
  /** The TCP port on 127.0.0.1. */
  port: number;
  /** The temp dir holding data, socket and log. */
  dir: string;
  /** Creates another empty database on the same server and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** Stops the server but keeps its data (the database "goes away"); `resume` starts it again. */
  pause(): Promise<void>;
  /** Starts a paused server again on the same port, with its data. */
  resume(): Promise<void>;
}

/**
 * A lazily started server shared by all tests of one test file (one process). It is stopped when
 * the process unloads, so tests that fail or time out never leave a server behind.
 */
export function sharedPostgres(): Promise<TestPostgres> {
  shared ??= startPostgres();
  return shared;
}
let shared: Promise<TestPostgres> | undefined;

/** Options for {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Name of the database to create; default `wcp`. */
  database?: string;
  /** Extra server settings (`-c key=value`), e.g. `{ max_connections: "200" }`. */
  settings?: Record<string, string>;
}

const BIN_NAMES = ["initdb", "pg_ctl", "postgres", "createdb"] as const;

/**
 * The directory with initdb/pg_ctl/postgres: `$WCP_PG_BIN`, else the newest
 * `/usr/lib/postgresql/<major>/bin`, else null.
 */
export function findPostgresBin(): string | null {
  const candidates: string[] = [];
  const fromEnv = Deno.env.get("WCP_PG_BIN");
  if (fromEnv) candidates.push(fromEnv);
  try {
    const majors = [...Deno.readDirSync("/usr/lib/postgresql")]
      .filter((e) => e.isDirectory && /^\d+$/.test(e.name))
      .map((e) => Number(e.name))
      .sort((a, b) => b - a);
    for (const m of majors) candidates.push(`/usr/lib/postgresql/${m}/bin`);
  } catch {
    // no Debian postgres tree
  }
  for (const dir of candidates) {
    if (BIN_NAMES.every((n) => isFile(`${dir}/${n}`))) return dir;
  }
  return null;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Whether PostgreSQL tests should be skipped: only when the binaries are absent AND `CI` is not
 * set (in CI a missing server is a failure, reported by {@link startPostgres}). Prints why once.
 */
export function skipPostgresTests(): boolean {
  if (findPostgresBin() !== null) return false;
  if (Deno.env.get("CI")) return false;
  if (!warned) {
    warned = true;
    console.warn(
      "postgres tests skipped: no initdb/pg_ctl in /usr/lib/postgresql/*/bin (or $WCP_PG_BIN); " +
        "install with `apt-get install -y postgresql`. Set CI=1 to make this a failure.",
    );
  }
  return true;
}
let warned = false;

async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; asUser?: string | null } = {},
): Promise<{ code: number; out: string }> {
  const [program, argv] = wrap(cmd, args, opts.asUser ?? null);
  const res = await new Deno.Command(program, {
    args: argv,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C", LANG: "C" },
  }).output();
  const dec = new TextDecoder();
  return { code: res.code, out: dec.decode(res.stdout) + dec.decode(res.stderr) };
}

/** Runs `cmd` as `asUser` (via runuser, else su) when given. */
function wrap(cmd: string, args: string[], asUser: string | null): [string, string[]] {
  if (!asUser) return [cmd, args];
  if (["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].some(isFile)) {
    return ["runuser", ["-u", asUser, "--", cmd, ...args]];
  }
  return ["su", [asUser, "-s", "/bin/sh", "-c", [cmd, ...args].map(shellQuote).join(" ")]];
}

/**
 * A detached shell loop that stops the server and removes its dir once this process is gone,
 * however it ended (SIGKILL, a test runner timeout): the unload hook does not run then. It polls
 * our pid once a second; `sh` returns at once, so no child handle stays open in the test.
 */
async function startWatchdog(
  bin: string,
  data: string,
  dir: string,
  asUser: string | null,
): Promise<void> {
  const [program, argv] = wrap(`${bin}/pg_ctl`, ["stop", "-D", data, "-m", "immediate"], asUser);
  const stop = [program, ...argv].map(shellQuote).join(" ");
  const script = `(while kill -0 ${Deno.pid} 2>/dev/null; do sleep 1; done; ` +
    `if [ -d ${shellQuote(data)} ]; then ${stop}; rm -rf ${shellQuote(dir)}; fi) ` +
    `</dev/null >/dev/null 2>&1 &`;
  await new Deno.Command("sh", {
    args: ["-c", script],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  })
    .output();
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

async function idOf(flag: "-u" | "-g", user?: string): Promise<number> {
  const r = await run("id", user ? [flag, user] : [flag]);
  const n = Number(r.out.trim());
  if (r.code !== 0 || !Number.isInteger(n)) {
    throw new Error(`cannot read id ${flag} ${user ?? ""}: ${r.out.trim()}`);
  }
  return n;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function tail(path: string, lines = 20): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Starts a throwaway PostgreSQL on 127.0.0.1. Throws a clear error when the binaries are missing
 * or the server does not start (with the tail of its log).
 *
 * @example
 * ```ts
 * const pg = await startPostgres();
 * try { console.log(pg.url); } finally { await pg.stop(); }
 * ```
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bin = findPostgresBin();
  if (bin === null) {
    throw new Error(
      "PostgreSQL binaries not found in /usr/lib/postgresql/*/bin (or $WCP_PG_BIN): " +
        "install them with `apt-get install -y postgresql`",
    );
  }
  const database = options.database ?? "wcp";
  const asUser = (await idOf("-u")) === 0 ? "postgres" : null;
  const dir = await Deno.makeTempDir({ prefix: "wcp-pg-" });
  if (asUser) {
    await Deno.chown(dir, await idOf("-u", asUser), await idOf("-g", asUser));
  }
  const data = `${dir}/data`;
  const log = `${dir}/server.log`;
  let started = false;
  const stopArgs = ["stop", "-D", data, "-m", "fast", "-w", "-t", "30"];
  // The unload hook runs synchronously, so it cannot await the async cleanup.
  const onUnload = () => {
    if (started) {
      started = false;
      const [program, argv] = wrap(`${bin}/pg_ctl`, stopArgs, asUser);
      new Deno.Command(program, { args: argv, cwd: dir, stdout: "null", stderr: "null" })
        .outputSync();
    }
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  };
  globalThis.addEventListener("unload", onUnload);
  const cleanup = async () => {
    globalThis.removeEventListener("unload", onUnload);
    if (started) {
      await run(`${bin}/pg_ctl`, stopArgs, {
        cwd: dir,
        asUser,
      });
      started = false;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const init = await run(`${bin}/initdb`, [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
      "--no-instructions",
    ], { cwd: dir, asUser });
    if (init.code !== 0) throw new Error(`initdb failed (exit ${init.code}):\n${init.out}`);

    const settings: Record<string, string> = {
      listen_addresses: "127.0.0.1",
      unix_socket_directories: dir,
      fsync: "off",
      synchronous_commit: "off",
      full_page_writes: "off",
      wal_level: "minimal",
      max_wal_senders: "0",
      autovacuum: "off",
      max_connections: "200",
      logging_collector: "off",
      ...options.settings,
    };
    // A free port can be taken between probing and binding; retry a few times.
    let port = 0;
    const pgStart = (on: number) =>
      run(`${bin}/pg_ctl`, [
        "start",
        "-D",
        data,
        "-l",
        log,
        "-w",
        "-t",
        "60",
        "-o",
        Object.entries({ ...settings, port: String(on) }).map(([k, v]) => `-c ${k}=${v}`)
          .join(" "),
      ], { cwd: dir, asUser });
    for (let attempt = 0; attempt < 4 && !started; attempt++) {
      port = freePort();
      const res = await pgStart(port);
      if (res.code === 0) started = true;
      else if (!(await tail(log, 50)).includes("could not bind")) {
        throw new Error(`pg_ctl start failed (exit ${res.code}):\n${res.out}\n${await tail(log)}`);
      }
    }
    if (!started) throw new Error(`postgres could not bind a port:\n${await tail(log)}`);
    await startWatchdog(bin, data, dir, asUser);

    const createDatabase = async (name: string): Promise<string> => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name: ${name}`);
      const r = await run(`${bin}/createdb`, [
        "-h",
        dir,
        "-p",
        String(port),
        "-U",
        "postgres",
        name,
      ], {
        cwd: dir,
        asUser,
      });
      if (r.code !== 0) throw new Error(`createdb ${name} failed: ${r.out}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    };
    const url = await createDatabase(database);
    const pause = async () => {
      if (!started) return;
      const r = await run(`${bin}/pg_ctl`, stopArgs, { cwd: dir, asUser });
      if (r.code !== 0) throw new Error(`pg_ctl stop failed: ${r.out}`);
      started = false;
    };
    const resume = async () => {
      if (started) return;
      const r = await pgStart(port);
      if (r.code !== 0) throw new Error(`pg_ctl start failed: ${r.out}\n${await tail(log)}`);
      started = true;
    };
    return { url, port, dir, createDatabase, stop: cleanup, pause, resume };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
