/**
 * What Deno.serve tells about the connection a request came on (the Hono app's `env`, the fast
 * lane's `info`). In-process callers (MCP tool calls that re-enter the API, `app.request` in tests)
 * pass none.
 *
 * @module
 */

/** True when `env` is Deno.serve's connection info (the request came over a connection). */
export function isServed(env: unknown): boolean {
  return typeof env === "object" && env !== null && "remoteAddr" in env;
}

/** The client's address, or `local` for an in-process call. */
export function remoteAddress(env: unknown): string {
  const addr = (env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
  return addr?.hostname ?? "local";
}
