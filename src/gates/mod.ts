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
export * from "./table.ts";
export * from "./table_parse.ts";
// The core types these signatures use (also exported by `@wcp/core`).
export type { PolicyContext, PolicyGateResult } from "../decision/policy.ts";
export {
  DATA_LABELS,
  type DataLabel,
  type Env,
  ENVS,
  QOS_CLASSES,
  type QosClass,
  SUPERVISOR_LEVELS,
  type SupervisorLevel,
  TENANT_RISKS,
  type TenantRisk,
} from "../model.ts";
