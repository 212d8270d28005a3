// Run the `wcp` CLI as a subprocess with the deno task's permissions, as a user would.

export const CLI = new URL("../../src/cli/main.ts", import.meta.url).pathname;
export const PERMS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net=127.0.0.1,localhost",
  "--allow-run=deno",
];

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => unknown;
}

export async function wcp(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {},
): Promise<Run> {
  const child = new Deno.Command("deno", {
    args: ["run", "--quiet", ...PERMS, CLI, ...args],
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const r = await child.output();
  const stdout = new TextDecoder().decode(r.stdout);
  const stderr = new TextDecoder().decode(r.stderr);
  return { code: r.code, stdout, stderr, json: () => JSON.parse(stdout) };
}

/** Assert the one-line, no-stack-trace shape of a CLI error. */
export function isOneLineError(stderr: string): boolean {
  const lines = stderr.trim().split("\n");
  return lines.length === 1 && lines[0].startsWith("wcp") &&
    !/\bat (file|ext):|Error:/.test(stderr);
}

export async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "wcp-cli-" });
}
