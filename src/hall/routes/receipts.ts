/**
 * Evidence receipts: query, verify a tenant chain (a break raises a severity-1 alert), Merkle
 * checkpoints, inclusion and consistency proofs (from the store's tree nodes).
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { type HallEnv, principal } from "../_http.ts";
import { readScope, requireTenant } from "../_scope.ts";
import { Checkpoint, page, Receipt, SignedCheckpoint } from "../api_schemas.ts";
import { decodeCursor, pageBody, pageParams } from "../_paging.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { CheckpointBody, ReceiptQueryParams } from "../schemas.ts";
import { fails, mount, operation } from "./_declare.ts";

const required = (name: string) =>
  z.string({ error: "required" }).min(1, { error: "required" }).describe(name);
const Size = z.string().regex(/^\d{1,15}$/, "must be an integer >= 0").transform(Number);

/** The receipt operations. */
export const receiptOps = {
  list: operation({
    method: "get",
    path: "/wcp/receipts",
    operationId: "listReceipts",
    summary:
      "Receipts in (tenant_id, seq) order, one page of whole receipts (?tenant_id&correlation_id&since&until&limit&cursor); a namespace token reads its tenant's",
    tag: "receipts",
    auth: "token",
    query: ReceiptQueryParams,
    responses: { 200: { description: "A page of receipts", schema: page("receipts", Receipt) } },
  }),
  tenants: operation({
    method: "get",
    path: "/wcp/receipts/tenants",
    operationId: "listReceiptTenants",
    summary:
      "Tenants with receipts, by id, one page (?limit&cursor); a namespace token sees its own",
    tag: "receipts",
    auth: "token",
    query: z.strictObject(pageParams),
    responses: { 200: { description: "A page of tenants", schema: page("tenants", z.string()) } },
  }),
  verify: operation({
    method: "get",
    path: "/wcp/receipts/verify",
    operationId: "verifyReceipts",
    summary: "Verify tenant chains (?tenant_id=)",
    tag: "receipts",
    auth: "token",
    query: z.object({
      tenant_id: z.string().min(1, "invalid").max(200, "invalid").optional(),
    }),
    responses: {
      200: {
        description: "One report per chain (a break raises a severity-1 alert)",
        schema: z.object({
          ok: z.boolean(),
          key_id: z.string(),
          tenants: z.array(z.object({
            tenant_id: z.string(),
            ok: z.boolean(),
            count: z.number().int(),
            head_hash: z.string().nullable(),
            breaks: z.array(z.record(z.string(), z.unknown())),
            event: z.record(z.string(), z.unknown()).nullable(),
          })),
        }),
      },
    },
  }),
  checkpoint: operation({
    method: "post",
    path: "/wcp/receipts/checkpoint",
    operationId: "createCheckpoint",
    summary: "Sign a Merkle checkpoint of a tenant chain",
    tag: "receipts",
    auth: "token",
    body: CheckpointBody,
    responses: {
      201: { description: "The signed checkpoint", schema: Checkpoint },
      404: fails("NO_RECEIPTS"),
    },
  }),
  checkpoints: operation({
    method: "get",
    path: "/wcp/receipts/checkpoints",
    operationId: "listCheckpoints",
    summary: "Checkpoints of a tenant, oldest first, one page (?tenant_id&limit&cursor)",
    tag: "receipts",
    auth: "token",
    query: z.strictObject({ tenant_id: required("tenant_id"), ...pageParams }),
    responses: {
      200: { description: "A page of checkpoints", schema: page("checkpoints", Checkpoint) },
    },
  }),
  proof: operation({
    method: "get",
    path: "/wcp/receipts/proof",
    operationId: "getInclusionProof",
    summary: "Inclusion proof of a receipt against a signed checkpoint (?tenant_id&receipt_id)",
    tag: "receipts",
    auth: "token",
    query: z.object({ tenant_id: required("tenant_id"), receipt_id: required("receipt_id") }),
    responses: {
      200: {
        description: "The receipt, its audit path and the checkpoint it is proved against",
        schema: z.object({
          receipt: Receipt,
          proof: z.object({
            receipt_hash: z.string(),
            leaf_index: z.number().int(),
            tree_size: z.number().int(),
            audit_path: z.array(z.string()),
          }),
          checkpoint: SignedCheckpoint,
        }),
      },
      404: fails("RECEIPT_UNKNOWN"),
    },
  }),
  consistency: operation({
    method: "get",
    path: "/wcp/receipts/consistency",
    operationId: "getConsistencyProof",
    summary: "RFC 6962 consistency proof between two sizes of a tenant chain " +
      "(?tenant_id&old_size&new_size)",
    tag: "receipts",
    auth: "token",
    query: z.object({
      tenant_id: required("tenant_id"),
      old_size: z.string({ error: "must be an integer >= 0" }).pipe(Size),
      new_size: Size.optional(),
    }),
    responses: {
      200: {
        description: "The proof",
        schema: z.object({
          old_size: z.number().int(),
          new_size: z.number().int(),
          proof: z.array(z.string()),
        }),
      },
    },
  }),
  key: operation({
    method: "get",
    path: "/wcp/receipts/key",
    operationId: "getReceiptKeys",
    summary: "The receipt signing public keys",
    tag: "receipts",
    auth: "token",
    responses: {
      200: {
        description: "Trusted keys (the signing key first)",
        schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
      },
    },
  }),
};

/** Receipt routes. */
export function receiptRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();

  mount(app, receiptOps.list, async (c, { query: q }) => {
    if (q.since && q.until && Date.parse(q.since) > Date.parse(q.until)) {
      throw new HttpError(400, "INVALID_QUERY", "until: must not be before since", {
        path: "until",
      });
    }
    const scope = readScope(principal(c), q.tenant_id);
    const after = decodeCursor("receipts", q.cursor, ["string", "integer"]);
    const { cursor: _cursor, ...filter } = q;
    const p = await hall.store.pageReceipts({
      ...filter,
      ...(scope === null ? {} : { tenant_id: scope }),
      after,
    });
    return c.json(pageBody("receipts", "receipts", p.rows.map((r) => r.receipt), p.next));
  });

  mount(app, receiptOps.tenants, async (c, { query }) => {
    const after = decodeCursor("receipts/tenants", query.cursor, ["string"]);
    const scope = readScope(principal(c), undefined);
    if (scope !== null) {
      // A namespace token's own chain, when it has one (one page, no cursor).
      const head = after === null ? await hall.store.chainHead(scope) : null;
      return c.json(pageBody("tenants", "receipts/tenants", head ? [scope] : [], null));
    }
    const p = await hall.store.pageReceiptTenants({
      after,
      ...(query.limit ? { limit: query.limit } : {}),
    });
    return c.json(pageBody("tenants", "receipts/tenants", p.rows, p.next));
  });

  mount(app, receiptOps.verify, async (c, { query }) => {
    const tenant = query.tenant_id;
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

  mount(app, receiptOps.checkpoint, async (c, input) => {
    const body = await input.body();
    requireTenant(principal(c), body.tenant_id);
    const row = await hall.receipts.checkpoint(body.tenant_id, hall.now());
    if (!row) {
      throw new HttpError(404, "NO_RECEIPTS", "tenant has no receipts", { path: "tenant_id" });
    }
    return c.json(row, 201);
  });

  mount(app, receiptOps.checkpoints, async (c, { query }) => {
    const tenant = query.tenant_id;
    requireTenant(principal(c), tenant);
    const after = decodeCursor("receipts/checkpoints", query.cursor, ["integer"]);
    const p = await hall.store.pageCheckpoints(tenant, {
      after,
      ...(query.limit ? { limit: query.limit } : {}),
    });
    return c.json(pageBody("checkpoints", "receipts/checkpoints", p.rows, p.next));
  });

  mount(app, receiptOps.proof, async (c, { query }) => {
    const tenant = query.tenant_id;
    const receiptId = query.receipt_id;
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
  mount(app, receiptOps.consistency, async (c, { query }) => {
    const tenant = query.tenant_id;
    const oldSize = query.old_size;
    const newSize = query.new_size;
    requireTenant(principal(c), tenant);
    return c.json(await hall.receipts.consistency(tenant, oldSize, newSize));
  });

  mount(app, receiptOps.key, (c) => {
    return c.json({ keys: hall.receipts.trusted });
  });

  return app;
}
