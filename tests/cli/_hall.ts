// A real hall for CLI tests: `wcp serve` as a subprocess on 127.0.0.1 (port chosen by the OS),
// with a known admin token and its own data directory; and a scripted fake hall for answers a
// real one gives only in rare states (429, a 403 from the approvals contract).

import { CLI, PERMS, tempDir } from "./_run.ts";

export const ADMIN_TOKEN = "wcp_cli_walkthrough_admin_token_0123456789abcdef";

export interface RunningHall {
  url: string;
  dataDir: string;
  stop: () => Promise<number>;
}

/** Start `wcp serve --port 0`; resolves once the hall prints where it listens. */
export async function startHall(
  options: { dataDir?: string; args?: string[]; env?: Record<string, string> } = {},
): Promise<RunningHall> {
  const dataDir = options.dataDir ?? `${await tempDir()}/data`;
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--quiet",
      ...PERMS,
      CLI,
      "serve",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      ...(options.args ?? []),
    ],
    env: { NO_COLOR: "1", WCP_ADMIN_TOKEN: ADMIN_TOKEN, ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const errText = new Response(child.stderr).text();
  let seen = "";
  while (!/listening on (http:\/\/\S+)/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      throw new Error(`hall exited before listening: ${seen}${await errText}`);
    }
    seen += value;
  }
  const url = seen.match(/listening on (http:\/\/\S+)/)![1];
  const drain = (async () => {
    while (!(await reader.read()).done) { /* keep the pipe flowing */ }
  })();
  return {
    url,
    dataDir,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const status = await child.status;
      await drain;
      await errText;
      return status.code;
    },
  };
}

/** A fake hall answering every request with `status` and `body` (and `headers`). */
export function fakeHall(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): { url: string; stop: () => Promise<void> } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json(body, { status, headers }),
  );
  return { url: `http://127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() };
}
