/**
 * `HallClient`: a typed client for the hall's HTTP API (fetch only), with timeouts, retries that
 * honour Retry-After, typed `HallError`s, and an SSE reader for live events.
 *
 * @example
 * ```ts
 * import { HallClient, HallError } from "@wcp/core";
 * const hall = new HallClient({ baseUrl: "http://127.0.0.1:8787", token: "wcp_...", retries: 2 });
 * try {
 *   // await hall.pendingApprovals();
 * } catch (e) {
 *   if (e instanceof HallError && e.status === 401) console.log("bad token");
 * }
 * ```
 *
 * @module
 */

export * from "./client.ts";
export * from "./errors.ts";
export * from "./pages.ts";
export * from "./sse.ts";
export * from "./types.ts";
