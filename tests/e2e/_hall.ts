// A hall process for browser tests: `src/hall/main.ts` on an ephemeral loopback port with a fresh
// data directory, started the way `deno task serve` starts it unless a test needs more.
import { ROOT } from "./_browser.ts";

/** A running hall process. */
export interface HallProcess {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Everything it printed so far. */
  log: string[];
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** What `deno task serve` grants, with the test's data directory. */
export function servePermissions(dataDir: string): string[] {
  return [
    "--allow-net=127.0.0.1",
    `--allow-read=${dataDir},${ROOT}playground/dist`,
    `--allow-write=${dataDir}`,
    "--allow-env=WCP_ADMIN_TOKEN",
  ];
}

/** Start the hall with `token` as its bootstrap admin token; rejects if it exits or stalls. */
export async function startHall(
  dataDir: string,
  token: string,
  permissions: string[] = servePermissions(dataDir),
): Promise<HallProcess> {
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...permissions,
      `${ROOT}src/hall/main.ts`,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data-dir",
      dataDir,
    ],
    env: { WCP_ADMIN_TOKEN: token, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    cwd: ROOT,
  }).spawn();
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("hall did not start:\n" + log.join(""))),
      30_000,
    );
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (
        const chunk of stream.pipeThrough(
          new TextDecoderStream() as TransformStream<Uint8Array, string>,
        )
      ) {
        log.push(chunk);
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log.join(""));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    };
    pump(process.stdout);
    pump(process.stderr);
    process.status.then((s) => {
      clearTimeout(timer);
      reject(new Error(`hall exited (${s.code}):\n${log.join("")}`));
    });
  });
  return {
    url,
    log,
    async stop() {
      try {
        process.kill("SIGTERM");
      } catch { /* already gone */ }
      await process.status;
    },
  };
}
