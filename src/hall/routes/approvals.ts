/**
 * Human approvals (spec 5.8): pending list, resolve (approve / deny), escalate. Admin tokens act
 * as supervisors. An approved request is dispatched with `POST /wcp/dispatch {approval_id}`.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { type HallEnv, principal } from "../_http.ts";
import { Approval, ApprovalSummary, page } from "../api_schemas.ts";
import { decodeCursor, pageBody, pageParams } from "../_paging.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { EscalateBody, ResolveBody } from "../schemas.ts";
import { fails, mount, operation } from "./_declare.ts";

const STATUSES = ["pending", "approved", "denied", "expired", "consumed"] as const;
const Id = z.object({ id: z.string() });
const Approvals = page("approvals", z.union([ApprovalSummary, Approval]));
const DETAIL = ["summary", "full"] as const;
const Detail = z.enum(DETAIL, { error: `one of ${DETAIL.join(", ")}` }).optional().describe(
  "summary (default): rows without input and decision; full: the rows GET /wcp/approvals/{id} answers",
);
const KEY = ["string", "string"] as const;
/** The approval operations. */
export const approvalOps = {
  pending: operation({
    method: "get",
    path: "/wcp/approvals/pending",
    operationId: "listPendingApprovals",
    summary: "Pending approvals (spec 5.8), oldest first, one page (?limit&cursor&detail)",
    tag: "approvals",
    auth: "admin",
    query: z.strictObject({ ...pageParams, detail: Detail }),
    responses: { 200: { description: "A page of pending approvals", schema: Approvals } },
  }),
  list: operation({
    method: "get",
    path: "/wcp/approvals",
    operationId: "listApprovals",
    summary: "Approvals, oldest first, one page (?status&limit&cursor&detail)",
    tag: "approvals",
    auth: "admin",
    query: z.strictObject({
      status: z.enum(STATUSES, { error: `one of ${STATUSES.join(", ")}` }).optional(),
      ...pageParams,
      detail: Detail,
    }),
    responses: { 200: { description: "A page of approvals", schema: Approvals } },
  }),
  get: operation({
    method: "get",
    path: "/wcp/approvals/{id}",
    operationId: "getApproval",
    summary: "One approval",
    tag: "approvals",
    auth: "admin",
    params: Id,
    responses: {
      200: { description: "The approval", schema: Approval },
      404: fails("APPROVAL_UNKNOWN"),
    },
  }),
  resolve: operation({
    method: "post",
    path: "/wcp/approvals/{id}/resolve",
    operationId: "resolveApproval",
    summary:
      "Approve or deny (an approval's expires_at becomes the deadline to dispatch it); the token that raised the hold cannot: 403 APPROVER_IS_REQUESTER unless hall_config.allow_self_approval",
    tag: "approvals",
    auth: "admin",
    params: Id,
    body: ResolveBody,
    responses: {
      200: { description: "The resolved approval", schema: Approval },
      404: fails("APPROVAL_UNKNOWN"),
      409: fails("Not pending (APPROVAL_NOT_PENDING)"),
      410: fails("APPROVAL_EXPIRED: the approval expired before it was resolved"),
    },
  }),
  escalate: operation({
    method: "post",
    path: "/wcp/approvals/{id}/escalate",
    operationId: "escalateApproval",
    summary:
      "Escalate one level (advisory, gatekeeper, executor, incident_commander) with a fresh expires_at; 409 APPROVAL_ESCALATION_EXHAUSTED at the top",
    tag: "approvals",
    auth: "admin",
    params: Id,
    body: EscalateBody,
    responses: {
      200: { description: "The escalated approval", schema: Approval },
      404: fails("APPROVAL_UNKNOWN"),
      409: fails("Not pending, or at the top level"),
    },
  }),
};

/** Approval routes. */
export function approvalRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();
  const ops = approvalOps;

  // One page, after the cursor's (created_at, approval_id); inputs and decisions only when asked.
  const listPage = async (
    status: (typeof STATUSES)[number] | undefined,
    q: { limit?: number; cursor?: string; detail?: (typeof DETAIL)[number] },
    list: string,
  ) => {
    const after = decodeCursor(list, q.cursor, KEY);
    await hall.expireApprovals();
    const p = await hall.store.pageApprovals({
      ...(status ? { status } : {}),
      after,
      ...(q.limit ? { limit: q.limit } : {}),
      ...(q.detail === "full" ? { full: true } : {}),
    });
    return pageBody("approvals", list, p.rows, p.next);
  };

  mount(app, ops.pending, async (c, { query }) => {
    return c.json(await listPage("pending", query, "approvals/pending"));
  });

  mount(app, ops.list, async (c, { query }) => {
    return c.json(await listPage(query.status, query, "approvals"));
  });

  mount(app, ops.get, async (c, { params }) => {
    await hall.expireApprovals();
    const a = await hall.store.getApproval(params.id);
    if (!a) throw new HttpError(404, "APPROVAL_UNKNOWN", "no such approval", { path: "id" });
    return c.json(a);
  });

  mount(app, ops.resolve, async (c, { params, body }) => {
    const p = principal(c);
    const b = await body();
    const row = await hall.resolveApproval(params.id, b.decision, p, b.note ?? null);
    return c.json(row);
  });

  mount(app, ops.escalate, async (c, { params, body }) => {
    const b = await body();
    const row = await hall.escalateApproval(params.id, b.note ?? null);
    return c.json(row);
  });

  return app;
}
