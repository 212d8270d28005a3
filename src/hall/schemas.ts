/**
 * Request body schemas (zod), shared by the routes and the OpenAPI document.
 *
 * @module
 */

import { z } from "zod";
import { pageParams } from "./_paging.ts";

/** `org.<name>` or `x.<name>`. */
export const NamespaceId = z.string().regex(
  /^(org|x)\.[a-z0-9][a-z0-9_-]{0,62}$/,
  "must be org.<name> or x.<name> (lowercase letters, digits, - and _)",
);

/** Any JSON object (the core validates the details and names the field). */
export const JsonObject = z.record(z.string(), z.unknown());

/** `POST /wcp/dispatch` with an approved request. */
export const DispatchApprovedBody = z.strictObject({ approval_id: z.string().min(1).max(200) });

/** `POST /wcp/workers/:id/attestation`. */
export const AttestationBody = z.strictObject({
  manifest: JsonObject,
  files: z.array(z.strictObject({
    path: z.string().min(1).max(4096),
    size: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits"),
  })).max(100_000),
});

/** `POST /wcp/ban-list/report`. */
export const BanReportBody = z.strictObject({
  sha256: z.string().min(64).max(71),
  reason: z.string().min(1).max(1000),
  // http(s) only: a javascript: or data: URL stored here would be a link a dashboard renders.
  evidence_url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2000)
    .optional(),
});

/** `POST /wcp/ban-list/:sha256/reject` and `.../lift` (admin): why (optional). */
export const BanReviewBody = z.strictObject({ note: z.string().max(2000).optional() });

/** `POST /wcp/namespaces`. */
export const NamespaceBody = z.strictObject({
  namespace: NamespaceId,
  tier: z.string().min(1).max(64),
  owner: z.string().min(1).max(200),
});

/** `POST /wcp/tokens`. */
export const TokenBody = z.strictObject({
  role: z.enum(["admin", "namespace"]),
  namespace: NamespaceId.optional(),
  label: z.string().max(200).default(""),
});

/** `PUT /wcp/tiers/:tier`. */
export const TierBody = z.strictObject({
  max_workers: z.number().int().min(0).max(1_000_000),
  requests_per_minute: z.number().int().min(0).max(100_000_000),
});

/** `POST /wcp/approvals/:id/resolve`. */
export const ResolveBody = z.strictObject({
  decision: z.enum(["approve", "deny"]),
  note: z.string().max(2000).optional(),
});

/** `POST /wcp/approvals/:id/escalate`. */
export const EscalateBody = z.strictObject({ note: z.string().max(2000).optional() });

/**
 * `POST /wcp/workers/:id/clear-tamper` (admin): `register_current` makes the verified current
 * hash the registered one (the admin accepts the new code).
 */
export const ClearTamperBody = z.strictObject({
  note: z.string().max(2000).optional(),
  register_current: z.boolean().optional(),
});

/** `POST /wcp/receipts/checkpoint`. */
export const CheckpointBody = z.strictObject({ tenant_id: z.string().min(1).max(200) });

/** `POST /wcp/alerts/:id/ack`. */
export const AckBody = z.strictObject({ note: z.string().max(2000).optional() });

/** Receipt query string. */
export const ReceiptQueryParams = z.strictObject({
  tenant_id: z.string().min(1).max(200).optional(),
  correlation_id: z.string().min(1).max(200).optional(),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  ...pageParams,
});
