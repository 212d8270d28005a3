/**
 * `POST /wcp/route` (decision only) and `POST /wcp/dispatch` (decide, execute, receipt).
 *
 * @module
 */

import { Hono } from "hono";
import type { RouteDecision } from "../../model.ts";
import { type HallEnv, jsonText, objectBody, principal } from "../_http.ts";
import { checkTenantId, requireTenant } from "../_scope.ts";
import { fromZod, HttpError } from "../errors.ts";
import { approvalPrincipal, type Hall } from "../hall.ts";
import { DispatchApprovedBody } from "../schemas.ts";
import type { Principal } from "../security.ts";

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

  app.post(
    "/wcp/route",
    async (c) => jsonText(await routeJson(hall, principal(c), await objectBody(c))),
  );

  app.post("/wcp/dispatch", async (c) => {
    const body = await objectBody(c);
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
