/**
 * Entry of the extra threads of `deno task serve --threads N`: receives the setup the first
 * thread resolved, opens its own store connection and serves the same port (SO_REUSEPORT).
 *
 * Messages in: `{ setup }`, then `"close"`. Out: `{ ready: port }` or `{ error }`, then `"closed"`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { type HallSetup, type HallThread, openHallStore, serveHallThread } from "./_serve.ts";

let thread: HallThread | undefined;

self.onmessage = async (ev: MessageEvent) => {
  const data = ev.data as { setup?: HallSetup } | "close";
  if (data === "close") {
    try {
      await thread?.close();
    } finally {
      self.postMessage("closed");
      self.close();
    }
    return;
  }
  if (!data?.setup) return;
  try {
    const store = await openHallStore(data.setup.databaseUrl, data.setup.dataDir);
    try {
      thread = await serveHallThread(data.setup, store);
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
    self.postMessage({ ready: thread.port });
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
};
