/**
 * The webhook policy gate, without the network: the request body, its signature (HMAC-SHA256
 * over `<timestamp>.<body>`, so a captured request cannot be replayed later), the answer's schema,
 * and the cache key. The hall does the POST at its edge (`src/hall/gates.ts`).
 *
 * Request: `POST <url>` with `content-type: application/json` and
 * `wcp-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; the body is
 * `{ "type": "wcp.policy_gate.request", "version": 1, "request_id", "sent_at", "context",
 * "candidate_workers" }`. Answer (200-299, JSON): `{ "decision": "ALLOW" | "DENY" |
 * "REQUIRE_HUMAN", "reason"?, "policy_version"?, "supervisor_level"?, "determining_policies"?,
 * "cache_ttl_seconds"? }`; anything else denies.
 *
 * @module
 */

import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { z } from "zod";
import { canonicalJson } from "../encoding/canonical_json.ts";
import { constantTimeEqual } from "../encoding/hash.ts";
import { SUPERVISOR_LEVELS, type SupervisorLevel } from "../model.ts";
import type { PolicyContext } from "../decision/policy.ts";
import type { GateAnswer } from "./types.ts";

/** The header carrying the signature. */
export const WEBHOOK_SIGNATURE_HEADER = "wcp-signature";

/** Shortest accepted secret, in bytes. */
export const WEBHOOK_MIN_SECRET_BYTES = 32;

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/**
 * The `wcp-signature` header value for a body sent at `unixSeconds`.
 *
 * @example
 * ```ts
 * import { signWebhook } from "@wcp/core/gates";
 * const secret = new TextEncoder().encode("k".repeat(32));
 * signWebhook(secret, '{"a":1}', 1700000000).startsWith("t=1700000000,v1="); // true
 * ```
 */
export function signWebhook(secret: Uint8Array, body: string, unixSeconds: number): string {
  const mac = hmac(sha256, secret, new TextEncoder().encode(`${unixSeconds}.${body}`));
  return `t=${unixSeconds},v1=${hex(mac)}`;
}

/** Result of {@linkcode verifyWebhookSignature}. */
export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * Check a `wcp-signature` header (for webhook servers): the MAC over the exact body, and a
 * timestamp within `toleranceSeconds` (default 300) of `nowSeconds`.
 *
 * @example
 * ```ts
 * import { signWebhook, verifyWebhookSignature } from "@wcp/core/gates";
 * const secret = new TextEncoder().encode("k".repeat(32));
 * const h = signWebhook(secret, "{}", 1700000000);
 * verifyWebhookSignature(secret, "{}", h, 1700000010).ok; // true
 * verifyWebhookSignature(secret, "{}", h, 1700001000).ok; // false (too old)
 * ```
 */
export function verifyWebhookSignature(
  secret: Uint8Array,
  body: string,
  header: string | null,
  nowSeconds: number,
  toleranceSeconds = 300,
): SignatureCheck {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!m) return { ok: false, reason: "missing or malformed signature header" };
  const t = Number(m[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) {
    return { ok: false, reason: "timestamp outside the tolerance (replay?)" };
  }
  const expected = signWebhook(secret, body, t);
  if (!constantTimeEqual(expected, header!)) return { ok: false, reason: "signature mismatch" };
  return { ok: true, timestamp: t };
}

/** Metadata of one webhook request. */
export interface WebhookRequestMeta {
  /** A fresh id per request (a UUID). */
  request_id: string;
  /** When it was sent (RFC 3339). */
  sent_at: string;
  /** Species of the matched rule's candidates. */
  candidate_workers?: readonly string[];
}

/**
 * The exact body POSTed to the webhook (the signature covers these bytes).
 *
 * @example
 * ```ts
 * import { webhookBody } from "@wcp/core/gates";
 * JSON.parse(webhookBody({ capability_id: "cap.doc.summarize", tenant_id: "acme", env: "dev",
 *   data_label: "PUBLIC", tenant_risk: "low", qos_class: "P2", policy_version: "policy.v0",
 *   blast_score: 0, matched_rule_id: "r1" }, { request_id: "r", sent_at: "2026-01-01T00:00:00Z" })
 * ).type; // "wcp.policy_gate.request"
 * ```
 */
export function webhookBody(ctx: PolicyContext, meta: WebhookRequestMeta): string {
  return JSON.stringify({
    type: "wcp.policy_gate.request",
    version: 1,
    request_id: meta.request_id,
    sent_at: meta.sent_at,
    context: ctx,
    candidate_workers: [...(meta.candidate_workers ?? [])],
  });
}

/** Longest cache lifetime a webhook may ask for (one day). */
export const WEBHOOK_MAX_CACHE_TTL_SECONDS = 86_400;

/** A webhook's answer, as {@linkcode parseWebhookAnswer} accepts it (strict: no other field). */
export interface WebhookAnswer {
  /** The decision. */
  decision: "ALLOW" | "DENY" | "REQUIRE_HUMAN";
  /** Why (at most 500 characters). */
  reason?: string;
  /** The version of the policy that decided (default: the configured `policy_version`). */
  policy_version?: string;
  /** For REQUIRE_HUMAN: who must approve. */
  supervisor_level?: SupervisorLevel;
  /** Ids of the policies that decided. */
  determining_policies?: string[];
  /** Seconds the hall may reuse the answer for the same context (0 to 86400). */
  cache_ttl_seconds?: number;
}

// The webhook's answer (zod): strict, an unknown field is a malformed answer. Public through
// parseWebhookAnswer.
const WebhookAnswerSchema: z.ZodType<WebhookAnswer> = z.strictObject({
  decision: z.enum(["ALLOW", "DENY", "REQUIRE_HUMAN"]),
  reason: z.string().max(500).optional(),
  policy_version: z.string().min(1).max(100).optional(),
  supervisor_level: z.enum(SUPERVISOR_LEVELS).optional(),
  determining_policies: z.array(z.string().min(1).max(200)).max(100).optional(),
  cache_ttl_seconds: z.number().int().min(0).max(WEBHOOK_MAX_CACHE_TTL_SECONDS).optional(),
});

/**
 * Check a webhook's parsed JSON answer. A malformed one gives an answer marked `invalid` (the
 * core then denies with `DENY_POLICY_GATE_INVALID_RESPONSE` naming the field).
 *
 * @example
 * ```ts
 * import { parseWebhookAnswer } from "@wcp/core/gates";
 * parseWebhookAnswer({ decision: "ALLOW", cache_ttl_seconds: 60 }, "webhook.v1").decision; // "ALLOW"
 * parseWebhookAnswer({ decision: "allow" }, "webhook.v1").invalid?.path; // "decision"
 * ```
 */
export function parseWebhookAnswer(raw: unknown, defaultVersion: string): GateAnswer {
  const r = WebhookAnswerSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const path = i.path.length ? i.path.map(String).join(".") : "(answer)";
    return {
      decision: "DENY",
      policy_version: defaultVersion,
      reason: `policy_gate_answer_invalid: ${path}: ${i.message}`,
      determining_policies: [],
      error_code: "GATE_ANSWER_INVALID",
      invalid: { path, message: i.message, answer: raw },
    };
  }
  const a = r.data;
  const out: GateAnswer = {
    decision: a.decision,
    policy_version: a.policy_version ?? defaultVersion,
    reason: a.reason ?? `webhook: ${a.decision}`,
    determining_policies: a.determining_policies ?? [],
  };
  if (a.supervisor_level) out.supervisor_level = a.supervisor_level;
  if (a.cache_ttl_seconds) out.cache_ttl_seconds = a.cache_ttl_seconds;
  return out;
}

/**
 * The cache key of a gate context: its canonical JSON plus the candidate workers (everything the
 * webhook is told), so two requests share an answer only when the webhook would see the same
 * question.
 *
 * @example
 * ```ts
 * import { webhookCacheKey } from "@wcp/core/gates";
 * const ctx = { capability_id: "cap.doc.summarize", tenant_id: "acme", env: "dev" as const,
 *   data_label: "PUBLIC" as const, tenant_risk: "low" as const, qos_class: "P2" as const,
 *   policy_version: "policy.v0", blast_score: 0, matched_rule_id: "r1" };
 * webhookCacheKey(ctx) === webhookCacheKey({ ...ctx }); // true
 * ```
 */
export function webhookCacheKey(
  ctx: PolicyContext,
  candidateWorkers: readonly string[] = [],
): string {
  return canonicalJson({ context: ctx, candidate_workers: [...candidateWorkers] });
}
