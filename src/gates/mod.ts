/**
 * External policy gates, the pure parts: Cedar (schema from the catalog, requests, answer
 * mapping; the engine is passed in) and webhooks (signing, answer schema, cache key). The hall
 * runs them at its edge and hands the core's synchronous gate the answer.
 *
 * @module
 */
export * from "./types.ts";
export * from "./cedar.ts";
export * from "./webhook.ts";
