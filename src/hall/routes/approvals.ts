/**
 * Human approvals (spec 5.8): pending list, resolve (approve / deny), escalate. Admin tokens act
 * as supervisors. An approved request is dispatched with `POST /wcp/dispatch {approval_id}`.
 *
 * @module
 */

import { Hono } from "hono";
import { type HallEnv, principal, validBody } from "../_http.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { EscalateBody, ResolveBody } from "../schemas.ts";
import { requireAdmin } from "../security.ts";
import type { ApprovalStatus } from "../store/types.ts";

const STATUSES = ["pending", "approved", "denied", "expired", "consumed"] as const;

/** Approval routes. */
export function approvalRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();

  app.get("/wcp/approvals/pending", async (c) => {
    requireAdmin(principal(c));
    await hall.expireApprovals();
    const approvals = await hall.store.listApprovals({ status: "pending" });
    return c.json({ approvals, count: approvals.length });
  });

  app.get("/wcp/approvals", async (c) => {
    requireAdmin(principal(c));
    await hall.expireApprovals();
    const status = c.req.query("status");
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
      throw new HttpError(400, "INVALID_QUERY", `status: one of ${STATUSES.join(", ")}`, {
        path: "status",
      });
    }
    const approvals = await hall.store.listApprovals(
      status ? { status: status as ApprovalStatus } : {},
    );
    return c.json({ approvals, count: approvals.length });
  });

  app.get("/wcp/approvals/:id", async (c) => {
    requireAdmin(principal(c));
    await hall.expireApprovals();
    const a = await hall.store.getApproval(c.req.param("id"));
    if (!a) throw new HttpError(404, "APPROVAL_UNKNOWN", "no such approval", { path: "id" });
    return c.json(a);
  });

  app.post("/wcp/approvals/:id/resolve", async (c) => {
    const p = principal(c);
    requireAdmin(p);
    const body = await validBody(c, ResolveBody);
    const row = await hall.resolveApproval(c.req.param("id"), body.decision, p, body.note ?? null);
    return c.json(row);
  });

  app.post("/wcp/approvals/:id/escalate", async (c) => {
    requireAdmin(principal(c));
    const body = await validBody(c, EscalateBody);
    const row = await hall.escalateApproval(c.req.param("id"), body.note ?? null);
    return c.json(row);
  });

  return app;
}
