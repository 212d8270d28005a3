/**
 * The worker registry (face): validated enrollment records, their hashes, controls present,
 * availability and the ban list.
 *
 * @example
 * ```ts
 * import { Registry } from "@wcp/core";
 * const registry = new Registry();
 * registry.enroll({ worker_id: "org.acme.sum.1", worker_species_id: "wrk.doc.summarizer",
 *   capabilities: ["cap.doc.summarize"] });
 * ```
 *
 * @module
 */

export * from "./registry.ts";
