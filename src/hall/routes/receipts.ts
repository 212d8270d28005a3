/**
 * Evidence receipts: query, verify a tenant chain (a break raises a severity-1 alert), Merkle
 * checkpoints, inclusion and consistency proofs (from the store's tree nodes).
 *
 * @module
 */

import { Hono } from "hono";
import { type HallEnv, principal, validBody, validQuery } from "../_http.ts";
import { readScope, requireTenant } from "../_scope.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { CheckpointBody, ReceiptQueryParams } from "../schemas.ts";

/** Receipt routes. */
export function receiptRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();

  app.get("/wcp/receipts", async (c) => {
    const q = validQuery(c, ReceiptQueryParams);
    if (q.since && q.until && Date.parse(q.since) > Date.parse(q.until)) {
      throw new HttpError(400, "INVALID_QUERY", "until: must not be before since", {
        path: "until",
      });
    }
    const scope = readScope(principal(c), q.tenant_id);
    const rows = await hall.store.listReceipts(scope === null ? q : { ...q, tenant_id: scope });
    return c.json({ receipts: rows.map((r) => r.receipt), count: rows.length });
  });

  app.get("/wcp/receipts/tenants", async (c) => {
    const scope = readScope(principal(c), undefined);
    const tenants = (await hall.store.receiptTenants()).filter((t) =>
      scope === null || t === scope
    );
    return c.json({ tenants, count: tenants.length });
  });

  app.get("/wcp/receipts/verify", async (c) => {
    const tenant = c.req.query("tenant_id");
    if (tenant !== undefined && (tenant === "" || tenant.length > 200)) {
      throw new HttpError(400, "INVALID_QUERY", "tenant_id: invalid", { path: "tenant_id" });
    }
    const scope = readScope(principal(c), tenant);
    const tenants = scope !== null ? [scope] : await hall.store.receiptTenants();
    const reports = [];
    // One open alert per broken chain: verifying it again must not add another on each call.
    let alerted: Set<string> | null = null;
    for (const t of tenants) {
      const report = await hall.receipts.verify(t);
      if (!report.ok && !alerted) {
        const open = await hall.store.listAlerts({ acknowledged: false, limit: 1000 });
        alerted = new Set(open.filter((a) => a.kind === "chain_break").map((a) => a.subject));
      }
      if (!report.ok && !alerted!.has(t)) {
        alerted!.add(t);
        await hall.alert("chain_break", 1, `receipt chain of tenant ${t} is broken`, t, {
          breaks: report.breaks.slice(0, 20),
          event: report.event,
        });
      }
      reports.push({ tenant_id: t, ...report });
    }
    return c.json({
      ok: reports.every((r) => r.ok),
      key_id: hall.receipts.signer.key_id,
      tenants: reports,
    });
  });

  app.post("/wcp/receipts/checkpoint", async (c) => {
    const body = await validBody(c, CheckpointBody);
    requireTenant(principal(c), body.tenant_id);
    const row = await hall.receipts.checkpoint(body.tenant_id, hall.now());
    if (!row) {
      throw new HttpError(404, "NO_RECEIPTS", "tenant has no receipts", { path: "tenant_id" });
    }
    return c.json(row, 201);
  });

  app.get("/wcp/receipts/checkpoints", async (c) => {
    const tenant = c.req.query("tenant_id");
    if (!tenant) {
      throw new HttpError(400, "INVALID_QUERY", "tenant_id: required", { path: "tenant_id" });
    }
    requireTenant(principal(c), tenant);
    const checkpoints = await hall.store.listCheckpoints(tenant);
    return c.json({ checkpoints, count: checkpoints.length });
  });

  app.get("/wcp/receipts/proof", async (c) => {
    const tenant = c.req.query("tenant_id");
    const receiptId = c.req.query("receipt_id");
    if (!tenant) {
      throw new HttpError(400, "INVALID_QUERY", "tenant_id: required", { path: "tenant_id" });
    }
    if (!receiptId) {
      throw new HttpError(400, "INVALID_QUERY", "receipt_id: required", { path: "receipt_id" });
    }
    requireTenant(principal(c), tenant);
    const out = await hall.receipts.proof(tenant, receiptId, hall.now());
    if (!out) {
      throw new HttpError(404, "RECEIPT_UNKNOWN", "no such receipt in this tenant's chain", {
        path: "receipt_id",
      });
    }
    return c.json(out);
  });

  // RFC 6962 consistency proof between two sizes of a tenant's chain (checkpoints' tree_size).
  app.get("/wcp/receipts/consistency", async (c) => {
    const tenant = c.req.query("tenant_id");
    if (!tenant) {
      throw new HttpError(400, "INVALID_QUERY", "tenant_id: required", { path: "tenant_id" });
    }
    const size = (name: string, required: boolean): number | undefined => {
      const v = c.req.query(name);
      if (v === undefined && !required) return undefined;
      if (v === undefined || !/^\d{1,15}$/.test(v)) {
        throw new HttpError(400, "INVALID_QUERY", `${name}: must be an integer >= 0`, {
          path: name,
        });
      }
      return Number(v);
    };
    const oldSize = size("old_size", true)!;
    const newSize = size("new_size", false);
    requireTenant(principal(c), tenant);
    return c.json(await hall.receipts.consistency(tenant, oldSize, newSize));
  });

  app.get("/wcp/receipts/key", (c) => {
    return c.json({ keys: hall.receipts.trusted });
  });

  return app;
}
