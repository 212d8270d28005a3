/**
 * `POST /wcp/route` (decision only) and `POST /wcp/dispatch` (decide, execute, receipt).
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import type { RouteDecision } from "../../model.ts";
import { type HallEnv, jsonText, principal } from "../_http.ts";
import { checkTenantId, requireTenant } from "../_scope.ts";
import {
  DispatchResult,
  ErrorBody,
  RouteDecision as RouteDecisionSchema,
  RouteInput,
} from "../api_schemas.ts";
import { fromZod, HttpError } from "../errors.ts";
import { approvalPrincipal, type Hall } from "../hall.ts";
import { DispatchApprovedBody, JsonObject } from "../schemas.ts";
import type { Principal } from "../middleware/auth.ts";
import { fails, mount, operation } from "./_declare.ts";

/** The decision operations. */
export const decideOps = {
  route: operation({
    method: "post",
    path: "/wcp/route",
    operationId: "route",
    summary: "Decide a RouteInput (never executes)",
    tag: "decisions",
    auth: "token",
    // Any object: the core validates a RouteInput and names the field (a recorded decision).
    body: JsonObject,
    bodyDoc: RouteInput,
    responses: {
      200: { description: "The decision (read outcome)", schema: RouteDecisionSchema },
      400: fails(
        "DENY_INVALID_INPUT (error.fields, error.decision) or a body that is not a JSON object",
      ),
    },
  }),
  dispatch: operation({
    method: "post",
    path: "/wcp/dispatch",
    operationId: "dispatch",
    summary:
      "Decide and execute; or {approval_id} for an approved request (within approval_ttl_seconds of the approval, else 410 APPROVAL_EXPIRED)",
    tag: "decisions",
    auth: "token",
    body: JsonObject,
    bodyDoc: z.union([RouteInput, DispatchApprovedBody]),
    responses: {
      200: {
        description: "Dispatched (or a dry run): the decision, the worker's result, the receipt",
        schema: DispatchResult,
      },
      202: { description: "Held for a human: approval_id", schema: DispatchResult },
      403: {
        description: "Denied (the decision), or a token that may not act for the tenant",
        schema: z.union([DispatchResult, ErrorBody]),
      },
      404: fails("APPROVAL_UNKNOWN"),
      409: fails("The approval is not approved (or already consumed)"),
      410: fails("APPROVAL_EXPIRED"),
      502: { description: "The worker failed (the receipt records it)", schema: DispatchResult },
    },
  }),
};

// Invalid input is still a decision (recorded, with telemetry), answered as a 400 naming fields.
function invalidInput(d: RouteDecision): HttpError | null {
  if (d.deny_reason_if_denied?.code !== "DENY_INVALID_INPUT") return null;
  const fields = (d.deny_reason_if_denied.fields ?? []) as unknown[];
  const first = fields[0] as unknown;
  const path = typeof first === "string"
    ? first
    : first && typeof first === "object" && "field" in first
    ? String((first as { field: unknown }).field)
    : "";
  return new HttpError(400, "DENY_INVALID_INPUT", d.deny_reason_if_denied.message, {
    path,
    extra: { fields, decision: d },
  });
}

// Ids every receipt query can name, and a tenant the caller may act for (the core names a
// missing or non-string one).
function checkTenant(p: Principal, body: Record<string, unknown>): void {
  if (typeof body.correlation_id === "string") {
    checkTenantId(body.correlation_id, "correlation_id");
  }
  if (typeof body.tenant_id !== "string") return;
  checkTenantId(body.tenant_id);
  requireTenant(p, body.tenant_id);
}

/**
 * The 200 body of `POST /wcp/route` for a parsed body (shared by the route and its fast lane, so
 * both answer alike): the decision as JSON; throws the error for input the core refused.
 */
export async function routeJson(
  hall: Hall,
  p: Principal,
  input: Record<string, unknown>,
): Promise<string> {
  checkTenant(p, input);
  const { decision, json } = await hall.decideJson(input, approvalPrincipal(p));
  const bad = invalidInput(decision);
  if (bad) throw bad;
  return json;
}

/** Route and dispatch. */
export function decideRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();

  mount(
    app,
    decideOps.route,
    async (c, input) => jsonText(await routeJson(hall, principal(c), await input.body())),
  );

  mount(app, decideOps.dispatch, async (c, input) => {
    const body = await input.body();
    if ("approval_id" in body) {
      const parsed = DispatchApprovedBody.safeParse(body);
      if (!parsed.success) throw fromZod(parsed.error);
      const p = principal(c);
      if (p.role !== "admin") {
        // Another tenant's approval (approval contract: 403 APPROVAL_MISMATCH).
        const held = await hall.store.getApproval(parsed.data.approval_id);
        if (held && held.tenant_id !== p.namespace) {
          throw new HttpError(
            403,
            "APPROVAL_MISMATCH",
            `approval_id: held for another tenant; this token acts for '${p.namespace}' only`,
            { path: "approval_id" },
          );
        }
      }
      const out = await hall.dispatchApproved(parsed.data.approval_id);
      return c.json(out, out.worker_error ? 502 : 200);
    }
    const p = principal(c);
    checkTenant(p, body);
    const out = await hall.dispatch(body, approvalPrincipal(p));
    const d = out.decision;
    const bad = invalidInput(d);
    if (bad) throw bad;
    if (d.outcome === "DENY") return c.json(out, 403);
    if (d.outcome === "STEWARD_HOLD") {
      return c.json({ ...out, approval_id: d.pending_approval_id ?? null }, d.dry_run ? 200 : 202);
    }
    if (d.dry_run) return c.json(out);
    return c.json(out, out.worker_error ? 502 : 200);
  });

  return app;
}
