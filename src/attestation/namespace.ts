/**
 * Namespace binding (spec section 12): the signing authority of a worker package is the
 * `org.<name>` or `x.<name>` namespace of its `worker_id`; a species id never confers trust.
 *
 * @module
 */

import { WcpError } from "../errors.ts";

/**
 * The tenant namespace of a worker id: `x.<name>` or `org.<name>` (reference semantics: the
 * second segment, no character validation, `"org."` gives `"org."`). Throws a `WcpError` with
 * code `ATTEST_NAMESPACE_INVALID` for any other id.
 *
 * @example
 * ```ts
 * import { tenantNamespace } from "@wcp/core";
 * tenantNamespace("org.acme.summarizer.1"); // "org.acme"
 * tenantNamespace("x.alice"); // "x.alice"
 * ```
 */
export function tenantNamespace(workerId: string): string {
  if (typeof workerId === "string") {
    const parts = workerId.split(".");
    if (workerId.startsWith("x.")) return "x." + parts[1];
    if (workerId.startsWith("org.")) return "org." + parts[1];
  }
  throw new WcpError(
    "ATTEST_NAMESPACE_INVALID",
    "worker_id",
    `attestation: cannot derive tenant namespace from worker_id '${String(workerId)}'. ` +
      "worker_id must begin with 'x.<name>.' or 'org.<name>.' (tenant namespace). " +
      "Language protocol prefixes ('wrk', 'cap', etc.) are not valid signer namespaces.",
  );
}

/**
 * The reference's trust statement:
 * `Package attested by namespace <ns> at <attestedAt>; package hash sha256:<hex>.`
 *
 * @example
 * ```ts
 * import { trustStatement } from "@wcp/core";
 * trustStatement("org.acme", "2026-01-01T00:00:00Z", "ab".repeat(32));
 * // "Package attested by namespace org.acme at 2026-01-01T00:00:00Z; package hash sha256:abab…."
 * ```
 */
export function trustStatement(namespace: string, attestedAt: string, packageHash: string): string {
  return `Package attested by namespace ${namespace} at ${attestedAt}; package hash sha256:${packageHash}.`;
}
