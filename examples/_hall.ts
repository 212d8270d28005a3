// The hall the examples run against: the real hall app (src/hall/app.ts) over an in-memory SQLite
// store, served on 127.0.0.1 at a port the OS picks, with one admin token. Nothing is written to
// disk; stop() closes it.

import { HallClient } from "../mod.ts";
import { openSqliteStore } from "../src/hall/store/sqlite/mod.ts";
import { createHallApp } from "../src/hall/app.ts";
import { ensureAdminToken } from "../src/hall/bootstrap.ts";

/** A running example hall. */
export interface ExampleHall {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The admin bearer token. */
  token: string;
  /** A HallClient with that token. */
  client: HallClient;
  stop: () => Promise<void>;
}

/** Start a hall with these rules (and hall_config floors). */
export async function startExampleHall(
  options: { rules: unknown; config?: Record<string, unknown> },
): Promise<ExampleHall> {
  const store = await openSqliteStore(":memory:");
  const token = `wcp_example_${crypto.randomUUID().replaceAll("-", "")}`;
  await ensureAdminToken(store, Date.now(), token);
  const h = await createHallApp({
    store,
    rules: options.rules,
    ...(options.config ? { config: options.config } : {}),
    // Quiet: the examples print what they show.
    telemetry: {},
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, h.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    url,
    token,
    client: new HallClient({ baseUrl: url, token }),
    stop: async () => {
      await server.shutdown();
      await h.close();
      await store.close();
    },
  };
}
