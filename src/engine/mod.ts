/**
 * The governance engine beneath the hall and the MCP server: dispatch (decide, hold or execute,
 * receipt), the dispatch of an approved request, the approvals state machine, the receipt fields,
 * the one `WorkerCall` type and the loader of "the world". Pure: it reaches the outside only
 * through the ports it is given (`EngineStore`, `WorkerCaller`, `Signer`, `Clock`, `EventSink`).
 * It throws `WcpError` codes; only the hall maps them to HTTP statuses.
 *
 * @example
 * ```ts
 * import { executionStatus, nextSupervisorLevel } from "@wcp/core";
 * nextSupervisorLevel("advisory"); // "gatekeeper"
 * executionStatus(true); // "succeeded"
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./approvals.ts";
export * from "./receipt_fields.ts";
export * from "./world.ts";
export * from "./engine.ts";
