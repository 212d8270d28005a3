// Talking to a hall from the CLI: `--hall URL --token-env VAR`, one HallClient, and the mapping of
// hall answers to exit codes (401/403/404/409 -> 1, 400 -> 2, unreachable -> 3, 429 -> 4), the
// message always on stderr.

import { HallClient, HallError } from "../../mod.ts";
import { type Context, optString } from "./_args.ts";
import { EXIT, RemoteError, UsageError } from "./_io.ts";

/** The `--hall` and `--token-env` options every hall command takes. */
export const HALL_OPTS = {
  hall: {
    type: "string" as const,
    arg: "URL",
    help: "hall base URL (default $WCP_HALL_URL or http://127.0.0.1:8787)",
  },
  "token-env": {
    type: "string" as const,
    arg: "VAR",
    help: "variable holding the bearer token (default WCP_TOKEN; named, it must be set)",
  },
};

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** Whether the last client made by {@link hallClient} carries a token. */
let sentToken = false;

/** The hall URL named by --hall / $WCP_HALL_URL (default http://127.0.0.1:8787), checked. */
export function hallUrl(ctx: Context): string {
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
  return url;
}

/**
 * A client for the hall named by --hall / $WCP_HALL_URL, with the token from the variable named
 * by --token-env (default WCP_TOKEN). A variable named with --token-env that is unset or empty is
 * a usage error; the default one may be unset (public endpoints such as health need no token).
 */
export function hallClient(ctx: Context): HallClient {
  const url = hallUrl(ctx);
  const named = optString(ctx, "token-env");
  const tokenVar = named ?? "WCP_TOKEN";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenVar)) {
    throw new UsageError(`--token-env: ${JSON.stringify(tokenVar)} is not a variable name`);
  }
  const token = env(tokenVar);
  if (named !== undefined && !token) {
    throw new UsageError(`--token-env: environment variable ${tokenVar} is not set or empty`);
  }
  sentToken = !!token;
  return new HallClient({
    baseUrl: url,
    ...(token ? { token } : {}),
    timeoutMs: 10_000,
    retries: 1,
    maxRetryAfterMs: 5_000,
  });
}

/** Whether the client made last carries a token. */
export function hasToken(): boolean {
  return sentToken;
}

/** Map a hall failure to the CLI's exit codes; the message names the call, status and code. */
export async function callHall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw remoteError(what, e);
  }
}

/** The RemoteError for a failed hall call (anything that is not a HallError is returned as is). */
export function remoteError(what: string, e: unknown): unknown {
  if (!(e instanceof HallError)) return e;
  if (e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504) {
    return new RemoteError(`hall unreachable (${what}): ${e.message}`, EXIT.unreachable, e.code);
  }
  if (e.status === 429) {
    const wait = e.retryAfterSeconds !== undefined ? `; retry after ${e.retryAfterSeconds}s` : "";
    return new RemoteError(`rate limited by the hall (${what})${wait}`, EXIT.rateLimited, e.code);
  }
  const at = e.path ? ` (at ${e.path})` : "";
  const hint = e.status === 401
    ? sentToken
      ? " (the token was refused: check the variable named by --token-env)"
      : " (no token sent: set WCP_TOKEN or name the variable with --token-env)"
    : "";
  const message = `${what}: hall answered ${e.status} ${e.code}: ${e.message}${at}${hint}`;
  // The hall refused the request's content: bad input, exit 2, like a bad local file.
  if (e.status === 400 || e.status === 413) {
    return new UsageError(message, e.code);
  }
  return new RemoteError(message, EXIT.failed, e.code);
}
