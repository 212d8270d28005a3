/**
 * The WCP catalog (capabilities, worker species, controls, policies, profiles, events), its one
 * search, `explain`, and compliance checks.
 *
 * @module
 */
export * from "./types.ts";
export * from "./catalog.ts";
export * from "./search.ts";
export * from "./explain.ts";
export * from "./compliance.ts";
