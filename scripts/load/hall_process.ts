/**
 * Start a real hall (`deno run src/hall/main.ts`) as a child process on 127.0.0.1 with a free port,
 * for the load benchmark and the multi-instance tests. The child gets exactly what `deno task
 * serve` grants (read from deno.json, with `./data` as its own data dir): a hall given less may
 * run a degraded mode (without read access to src/, SQLite telemetry moves onto the serving
 * thread), so a hall that reports falling back refuses to start here.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}src/hall/main.ts`;
const DENO_JSON = `${ROOT}deno.json`;

/**
 * The permission flags of `deno task serve` (deno.json), for a hall whose data dir is `dataDir`:
 * relative paths are made absolute (`./data` becomes `dataDir`), the rest is kept as it is.
 */
export function serveFlags(dataDir: string): string[] {
  const task = (JSON.parse(Deno.readTextFileSync(DENO_JSON)) as { tasks: Record<string, string> })
    .tasks.serve;
  const words = task.split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "run") {
    throw new Error(`deno.json tasks.serve: expected 'deno run ...', got '${task}'`);
  }
  const flags = words.slice(2).filter((w) => w.startsWith("--"));
  const path = (p: string) =>
    p === "./data" ? dataDir : p.startsWith("./") ? `${ROOT}${p.slice(2)}` : p;
  return flags.map((f) => {
    const m = f.match(/^(--allow-(?:read|write))=(.*)$/);
    return m ? `${m[1]}=${m[2].split(",").map(path).join(",")}` : f;
  });
}

/** A fixed admin token for benchmark and test halls (never used outside loopback). */
export const TEST_ADMIN_TOKEN = "wcp_loadtest_admin_token_0123456789";

/** A running hall child process. */
export interface HallProcess {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Its data dir (removed by `stop`). */
  dataDir: string;
  /** Its admin token. */
  token: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL: no shutdown hook runs. Resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), then remove the data dir. Safe after `kill`. */
  stop(): Promise<void>;
}

/** Options for {@link startHall}. */
export interface StartHallOptions {
  /** `postgres://…` to use PostgreSQL; omitted: the embedded SQLite in the data dir. */
  databaseUrl?: string;
  /** Reuse this data dir (default: a fresh temp dir). */
  dataDir?: string;
  /** Admin requests per minute; default 0 (unlimited, as a benchmark needs). */
  rateLimit?: number;
  /** Seconds to wait for "listening on"; default 60. */
  timeoutSeconds?: number;
  /** Serving threads (`--threads`); default 1. */
  threads?: number;
  /**
   * Change the permission flags (those of `deno task serve`) before the start: for the test that
   * a hall given less is refused, not for benchmarks.
   */
  editFlags?: (flags: string[]) => string[];
}

/**
 * Starts `src/hall/main.ts` on 127.0.0.1 port 0 and waits for its "listening on" line.
 *
 * @example
 * ```ts ignore
 * const hall = await startHall({ databaseUrl: pg.url });
 * await fetch(`${hall.url}/wcp/health`);
 * await hall.stop();
 * ```
 */
export async function startHall(options: StartHallOptions = {}): Promise<HallProcess> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "wcp-hall-" });
  const threads = options.threads ?? 1;
  const args = [
    "run",
    "--no-prompt",
    ...(options.editFlags ?? ((f: string[]) => f))(serveFlags(dataDir)),
    MAIN,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--data-dir",
    dataDir,
    "--rate-limit",
    String(options.rateLimit ?? 0),
    "--threads",
    String(threads),
  ];
  if (options.databaseUrl) args.push("--database-url", options.databaseUrl);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: { WCP_ADMIN_TOKEN: TEST_ADMIN_TOKEN, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  let text = "";
  let onText: (() => void) | null = null;
  const drain = async (stream: ReadableStream<BufferSource>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      onText?.();
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]).catch(() => {});
  let exited = false;
  const status = child.status.then(async (s) => {
    await drained; // so an early exit is reported with what the hall printed
    exited = true;
    onText?.();
    return s;
  });

  const timeoutMs = (options.timeoutSeconds ?? 60) * 1000;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      onText = null;
      reject(new Error(`hall did not start within ${timeoutMs} ms:\n${text}`));
    }, timeoutMs);
    onText = () => {
      const m = text.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        onText = null;
        resolve(Number(m[1]));
      } else if (exited) {
        clearTimeout(timer);
        onText = null;
        reject(new Error(`hall exited before listening:\n${text}`));
      }
    };
    onText();
  }).catch(async (e) => {
    if (!exited) child.kill("SIGKILL");
    await status;
    if (!options.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    throw e;
  });

  const kill = async () => {
    if (!exited) child.kill("SIGKILL");
    await status;
    await drained;
  };
  // Fail loudly on a degraded hall: its store writes telemetry on the serving thread.
  const writer = await fetch(`http://127.0.0.1:${port}/wcp/health`)
    .then((r) => r.json())
    .then((h) => h?.telemetry?.writer as { fallback?: boolean; reason?: string } | null)
    .catch((e) => ({ fallback: true, reason: `GET /wcp/health failed: ${e}` }));
  if (writer?.fallback) {
    await kill();
    if (!options.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    throw new Error(
      `hall started degraded (telemetry writes fall back to the main thread: ${writer.reason}):\n${text}`,
    );
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    token: TEST_ADMIN_TOKEN,
    output: () => text,
    kill,
    async stop() {
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 10_000);
        await status;
        clearTimeout(timer);
      }
      await drained;
      if (!options.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
