/**
 * The worker registry: enrolled records, controls present, availability, attestation hashes keyed
 * by worker id, and the ban list. (Contract stub: the implementation lands with issue 2.)
 *
 * @module
 */

import type { RegistryRecord } from "./model.ts";
import { WcpError } from "./errors.ts";

/** One entry of the ban list. */
export interface BanEntry {
  /** `sha256:<64 hex>`. */
  sha256: string;
  /** Why it is banned. */
  reason: string;
  /** RFC 3339 time it was reported. */
  reported_at: string;
  /** Who reported it. */
  source?: string;
}

/**
 * In-memory registry. Pure: persistence is the hall's job (it replays records into one).
 *
 * @example
 * ```ts
 * import { Registry } from "@wcp/core";
 * const reg = new Registry();
 * reg.enroll({ worker_id: "org.acme.sum.1", worker_species_id: "wrk.doc.summarizer",
 *   capabilities: ["cap.doc.summarize"] });
 * reg.get("org.acme.sum.1")?.worker_species_id; // "wrk.doc.summarizer"
 * ```
 */
export class Registry {
  /**
   * Validate and enroll (or replace) a record; returns the stored, normalised record with
   * `artifact_hash` set. Throws `WcpError` (code `RECORD_INVALID`, `path` = field).
   */
  enroll(_record: unknown): RegistryRecord {
    throw new WcpError("NOT_IMPLEMENTED", "", "Registry lands with issue 2");
  }
  /** The record for a worker id. */
  get(_workerId: string): RegistryRecord | undefined {
    return undefined;
  }
  /** All records in enrolment order. */
  workers(): RegistryRecord[] {
    return [];
  }
}
