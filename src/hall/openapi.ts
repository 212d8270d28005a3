/**
 * The OpenAPI 3.1 document of the hall API, served at `/openapi.json`. Request bodies are
 * generated from the same zod schemas the routes validate with.
 *
 * @module
 */

import { z } from "zod";
import {
  AckBody,
  AttestationBody,
  BanReportBody,
  BanReviewBody,
  CheckpointBody,
  ClearTamperBody,
  DispatchApprovedBody,
  EscalateBody,
  JsonObject,
  NamespaceBody,
  ResolveBody,
  TierBody,
  TokenBody,
} from "./schemas.ts";
import { SimulateBodySchema } from "./routes/simulate.ts";

/** One documented operation. */
export interface ApiOperation {
  method: "get" | "post" | "put";
  path: string;
  summary: string;
  auth: "none" | "token" | "admin";
  body?: z.ZodType;
  tag: string;
}

/** Every route of the API (a test checks each is served). */
export const OPERATIONS: readonly ApiOperation[] = [
  {
    method: "get",
    path: "/wcp/health",
    summary: "Health, compliance level, features, counts",
    auth: "none",
    tag: "discovery",
  },
  {
    method: "get",
    path: "/wcp/capabilities",
    summary: "Capabilities served by enrolled workers",
    auth: "token",
    tag: "discovery",
  },
  {
    method: "get",
    path: "/wcp/workers",
    summary:
      "Enrolled workers (?namespace=); a namespace token gets its own (view full) and the active workers serving its tenant (view shared: routing fields only)",
    auth: "token",
    tag: "discovery",
  },
  {
    method: "get",
    path: "/wcp/workers/{id}",
    summary: "One worker; 404 WORKER_UNKNOWN also for a worker the caller may not see",
    auth: "token",
    tag: "discovery",
  },
  {
    method: "post",
    path: "/wcp/route",
    summary: "Decide a RouteInput (never executes)",
    auth: "token",
    body: JsonObject,
    tag: "decisions",
  },
  {
    method: "post",
    path: "/wcp/dispatch",
    summary:
      "Decide and execute; or {approval_id} for an approved request (within approval_ttl_seconds of the approval, else 410 APPROVAL_EXPIRED)",
    auth: "token",
    body: z.union([JsonObject, DispatchApprovedBody]),
    tag: "decisions",
  },
  {
    method: "post",
    path: "/wcp/workers",
    summary:
      'Enrol a worker (record with artifact_hash); a namespace token\'s worker serves its own tenant (tenants: [namespace]; others or "*" need an admin, 403 TENANTS_FORBIDDEN)',
    auth: "token",
    body: JsonObject,
    tag: "workers",
  },
  {
    method: "put",
    path: "/wcp/workers/{id}",
    summary:
      "Update a worker record (tenants kept when omitted; a namespace token never widens them nor changes the registered attestation.code_hash: 403 ATTESTATION_CHANGE_FORBIDDEN; the tamper flag is kept)",
    auth: "token",
    body: JsonObject,
    tag: "workers",
  },
  {
    method: "post",
    path: "/wcp/workers/{id}/revoke",
    summary: "Revoke a worker",
    auth: "token",
    tag: "workers",
  },
  {
    method: "get",
    path: "/wcp/workers/{id}/attestation",
    summary: "Attestation state (owner namespace and admins; 404 for anyone else)",
    auth: "token",
    tag: "workers",
  },
  {
    method: "post",
    path: "/wcp/workers/{id}/attestation",
    summary:
      "Submit a package manifest with the per-file digests; the hall recomputes the package hash and accepts it only if the manifest signature (Ed25519 key of the worker's namespace in the record, or the HMAC secret) covers it; 422 with error.code ATTEST_* otherwise",
    auth: "token",
    body: AttestationBody,
    tag: "workers",
  },
  {
    method: "post",
    path: "/wcp/workers/{id}/clear-tamper",
    summary:
      "Clear a tamper flag; register_current registers the verified current hash, else 409 TAMPER_UNRESOLVED while it differs from the registered one",
    auth: "admin",
    body: ClearTamperBody,
    tag: "workers",
  },
  {
    method: "post",
    path: "/wcp/ban-list/report",
    summary: "Report a hash",
    auth: "token",
    body: BanReportBody,
    tag: "ban list",
  },
  {
    method: "post",
    path: "/wcp/ban-list/{sha256}/confirm",
    summary: "Confirm a reported hash (enforced at dispatch)",
    auth: "admin",
    tag: "ban list",
  },
  {
    method: "post",
    path: "/wcp/ban-list/{sha256}/reject",
    summary: "Reject a report (never enforced); 409 BAN_STATE unless it is reported",
    auth: "admin",
    body: BanReviewBody,
    tag: "ban list",
  },
  {
    method: "post",
    path: "/wcp/ban-list/{sha256}/lift",
    summary: "Lift a confirmed ban (no longer enforced); 409 BAN_STATE unless it is confirmed",
    auth: "admin",
    body: BanReviewBody,
    tag: "ban list",
  },
  {
    method: "get",
    path: "/wcp/ban-list",
    summary: "The ban list (?status=)",
    auth: "token",
    tag: "ban list",
  },
  {
    method: "post",
    path: "/wcp/namespaces",
    summary: "Register a signatory namespace; returns its token once",
    auth: "admin",
    body: NamespaceBody,
    tag: "tenants",
  },
  {
    method: "get",
    path: "/wcp/namespaces",
    summary: "Namespaces (a namespace token sees its own)",
    auth: "token",
    tag: "tenants",
  },
  {
    method: "put",
    path: "/wcp/namespaces/{ns}/tier",
    summary: "Move a namespace to another tier",
    auth: "admin",
    body: NamespaceBody.pick({ tier: true }),
    tag: "tenants",
  },
  {
    method: "post",
    path: "/wcp/tokens",
    summary: "Issue a token (shown once)",
    auth: "admin",
    body: TokenBody,
    tag: "tenants",
  },
  {
    method: "get",
    path: "/wcp/tokens",
    summary: "Tokens (never their hashes)",
    auth: "admin",
    tag: "tenants",
  },
  {
    method: "post",
    path: "/wcp/tokens/{id}/revoke",
    summary: "Revoke a token",
    auth: "admin",
    tag: "tenants",
  },
  {
    method: "get",
    path: "/wcp/tiers",
    summary: "Tiers and their limits",
    auth: "token",
    tag: "tenants",
  },
  {
    method: "put",
    path: "/wcp/tiers/{tier}",
    summary: "Create or change a tier",
    auth: "admin",
    body: TierBody,
    tag: "tenants",
  },
  {
    method: "get",
    path: "/wcp/approvals/pending",
    summary: "Pending approvals (spec 5.8)",
    auth: "admin",
    tag: "approvals",
  },
  {
    method: "get",
    path: "/wcp/approvals",
    summary: "Approvals (?status=)",
    auth: "admin",
    tag: "approvals",
  },
  {
    method: "get",
    path: "/wcp/approvals/{id}",
    summary: "One approval",
    auth: "admin",
    tag: "approvals",
  },
  {
    method: "post",
    path: "/wcp/approvals/{id}/resolve",
    summary:
      "Approve or deny (an approval's expires_at becomes the deadline to dispatch it); the token that raised the hold cannot: 403 APPROVER_IS_REQUESTER unless hall_config.allow_self_approval",
    auth: "admin",
    body: ResolveBody,
    tag: "approvals",
  },
  {
    method: "post",
    path: "/wcp/approvals/{id}/escalate",
    summary:
      "Escalate one level (advisory, gatekeeper, executor, incident_commander) with a fresh expires_at; 409 APPROVAL_ESCALATION_EXHAUSTED at the top",
    auth: "admin",
    body: EscalateBody,
    tag: "approvals",
  },
  {
    method: "get",
    path: "/wcp/receipts",
    summary: "Receipts (?tenant_id&correlation_id&since&until&limit)",
    auth: "token",
    tag: "receipts",
  },
  {
    method: "get",
    path: "/wcp/receipts/tenants",
    summary: "Tenants with receipts",
    auth: "token",
    tag: "receipts",
  },
  {
    method: "get",
    path: "/wcp/receipts/verify",
    summary: "Verify tenant chains (?tenant_id=)",
    auth: "token",
    tag: "receipts",
  },
  {
    method: "post",
    path: "/wcp/receipts/checkpoint",
    summary: "Sign a Merkle checkpoint of a tenant chain",
    auth: "token",
    body: CheckpointBody,
    tag: "receipts",
  },
  {
    method: "get",
    path: "/wcp/receipts/checkpoints",
    summary: "Checkpoints of a tenant (?tenant_id=)",
    auth: "token",
    tag: "receipts",
  },
  {
    method: "get",
    path: "/wcp/receipts/proof",
    summary: "Inclusion proof of a receipt against a signed checkpoint (?tenant_id&receipt_id)",
    auth: "token",
    tag: "receipts",
  },
  {
    method: "get",
    path: "/wcp/receipts/consistency",
    summary: "RFC 6962 consistency proof between two chain sizes (?tenant_id&old_size[&new_size])",
    auth: "token",
    tag: "receipts",
  },
  {
    method: "get",
    path: "/wcp/receipts/key",
    summary: "The receipt signing public key",
    auth: "token",
    tag: "receipts",
  },
  {
    method: "get",
    path: "/wcp/events",
    summary: "Server-Sent Events: decision, dispatch, approval, alert, rules, worker",
    auth: "token",
    tag: "events",
  },
  {
    method: "get",
    path: "/wcp/alerts",
    summary: "Alerts (?open=true|false)",
    auth: "admin",
    tag: "events",
  },
  {
    method: "post",
    path: "/wcp/alerts/{id}/ack",
    summary: "Acknowledge an alert",
    auth: "admin",
    body: AckBody,
    tag: "events",
  },
  { method: "get", path: "/wcp/rules", summary: "Rules in force", auth: "token", tag: "rules" },
  {
    method: "post",
    path: "/wcp/rules/reload",
    summary: "Replace the rules (body) or re-read the rules file ({})",
    auth: "admin",
    body: z.union([JsonObject, z.array(z.unknown())]),
    tag: "rules",
  },
  {
    method: "post",
    path: "/wcp/simulate",
    summary: "Replay recorded decisions against candidate rules, hall config or table gate; " +
      "report every change grouped by (old, new outcome and deny code) with blast deltas",
    auth: "admin",
    body: SimulateBodySchema,
    tag: "rules",
  },
  {
    method: "get",
    path: "/wcp/decision-records",
    summary: "Recorded decisions for replay (?after_seq=&since=&limit=), oldest first",
    auth: "admin",
    tag: "rules",
  },
  {
    method: "get",
    path: "/wcp/policy_gate",
    summary:
      "The hall.json policy gate in force (table, Cedar, webhook) and the last refused reload",
    auth: "admin",
    tag: "rules",
  },
  {
    method: "post",
    path: "/wcp/policy_gate/reload",
    summary: "Re-read hall.json's policy_gate and its Cedar policy file (a bad one is refused)",
    auth: "admin",
    tag: "rules",
  },
  {
    method: "get",
    path: "/wcp/telemetry",
    summary: "Stored telemetry events (?decision_id&correlation_id)",
    auth: "token",
    tag: "rules",
  },
  {
    method: "get",
    path: "/wcp/stats",
    summary: "Decisions per minute by outcome, top deny codes, dispatch latency per worker " +
      "(?since&until&tenant_id; at most 24 h; a namespace token: its tenant)",
    auth: "token",
    tag: "rules",
  },
];

const ERROR = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        path: { type: "string" },
      },
      required: ["code", "message"],
    },
  },
};

/** Build the document. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      tags: [op.tag],
      ...(op.auth === "none" ? { security: [] } : {}),
      ...(op.auth === "admin" ? { description: "Needs an admin token." } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(op.body
        ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: z.toJSONSchema(op.body, { io: "input" }) } },
          },
        }
        : {}),
      responses: {
        "200": { description: "OK (JSON)" },
        "400": {
          description: "Invalid body or query; `error.path` names the field",
          content: { "application/json": { schema: ERROR } },
        },
        "401": { description: "Missing or unknown bearer token" },
        "403": { description: "Forbidden (role, namespace, tenant, tier, origin)" },
        "413": { description: "Body too large" },
        "429": { description: "Rate limited; see Retry-After" },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "WCP Hall API",
      version: "1.0.0",
      description:
        "Worker Class Protocol 0.1 hall (@wcp/core). Errors: {error:{code,message,path?}}. " +
        "A namespace token (org.x, x.y) acts as the tenant of the same name: it decides, " +
        "dispatches and reads receipts, telemetry and events for that tenant only (403 " +
        "TENANT_FORBIDDEN otherwise); admin tokens act for every tenant.",
    },
    servers: [
      { url: "/", description: "the spec's paths (/wcp/...)" },
      { url: "/v1", description: "the same API under its explicit version" },
    ],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
