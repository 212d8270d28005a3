/**
 * The pins of the gateway mounted at `/mcp` (hall.json `gateway`): list the pinned and pending
 * tool definitions (with the diff of each pending one), and accept one (admin: an approver). An
 * acceptance is receipted in the hall's chain `wcp-gateway.pins` before the pin changes.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { type HallEnv, principal } from "../_http.ts";
import { GatewayPendingPin } from "../api_schemas.ts";
import { HttpError } from "../errors.ts";
import { approvalPrincipal } from "../hall.ts";
import { WcpError } from "../../errors.ts";
import { fails, mount, operation } from "./_declare.ts";

/** What the routes need of the mounted gateway (`HallGateway` in mcp/gateway/hall.ts). */
export interface GatewayPinsPort {
  /** Pending definitions (with diffs) and pins. */
  pinsView(): Promise<{ pending: { key: string }[]; pins: unknown[] }>;
  /** Accept a pending definition; throws `WcpError` PIN_NOT_PENDING / PIN_MISMATCH. */
  acceptPin(
    key: string,
    by: { principal_id: string; label: string },
    options: { note?: string; expectHash?: string },
  ): Promise<unknown>;
}

const Key = z.object({ key: z.string().min(3).max(300).describe("<server>.<tool>") });
const Pending = GatewayPendingPin;
const PinsView = z.object({
  pending: z.array(Pending),
  pins: z.array(z.object({
    key: z.string(),
    hash: z.string(),
    pinned_at: z.string(),
    how: z.enum(["first_sight", "accepted"]),
    accepted_by: z.string().nullable(),
    receipt_id: z.string().nullable(),
  })),
});
const AcceptBody = z.strictObject({
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "sha256:<64 hex>").optional().describe(
    "the pending hash the approver looked at (refused with 409 PIN_MISMATCH if it changed since)",
  ),
  note: z.string().max(2000).optional(),
});

/** The gateway pin operations. */
export const gatewayOps = {
  pins: operation({
    method: "get",
    path: "/wcp/gateway/pins",
    operationId: "listGatewayPins",
    summary: "The gateway's pending tool-definition changes (with diffs) and its pins",
    tag: "gateway",
    auth: "admin",
    responses: {
      200: { description: "Pending and pinned definitions", schema: PinsView },
      404: fails("GATEWAY_NOT_CONFIGURED: hall.json has no gateway"),
    },
  }),
  diff: operation({
    method: "get",
    path: "/wcp/gateway/pins/{key}",
    operationId: "getGatewayPin",
    summary: "One pending definition change with its diff",
    tag: "gateway",
    auth: "admin",
    params: Key,
    responses: {
      200: { description: "The pending definition", schema: Pending },
      404: fails("PIN_NOT_PENDING or GATEWAY_NOT_CONFIGURED"),
    },
  }),
  accept: operation({
    method: "post",
    path: "/wcp/gateway/pins/{key}/accept",
    operationId: "acceptGatewayPin",
    summary: "Accept a pending definition (receipted in the chain wcp-gateway.pins); the tool " +
      "is served again",
    tag: "gateway",
    auth: "admin",
    params: Key,
    body: AcceptBody,
    responses: {
      200: {
        description: "Accepted, with the acceptance receipt",
        schema: z.object({ accepted: z.string(), hash: z.string(), receipt: z.unknown() }),
      },
      404: fails("PIN_NOT_PENDING or GATEWAY_NOT_CONFIGURED"),
      409: fails("PIN_MISMATCH: the pending definition changed since the approver looked"),
    },
  }),
};

function pinError(e: unknown): unknown {
  if (!(e instanceof WcpError)) return e;
  const status = e.code === "PIN_NOT_PENDING" ? 404 : e.code === "PIN_MISMATCH" ? 409 : 400;
  return new HttpError(status, e.code, e.message, { path: e.path || "key" });
}

/** The gateway pin routes; `gateway` is late-bound (started after the app). */
export function gatewayRoutes(gateway: () => GatewayPinsPort | undefined): Hono<HallEnv> {
  const app = new Hono<HallEnv>();
  const need = (): GatewayPinsPort => {
    const g = gateway();
    if (!g) {
      throw new HttpError(
        404,
        "GATEWAY_NOT_CONFIGURED",
        "this hall mounts no gateway (hall.json gateway)",
      );
    }
    return g;
  };
  mount(app, gatewayOps.pins, async (c) => c.json(await need().pinsView()));
  mount(app, gatewayOps.diff, async (c, { params }) => {
    const view = await need().pinsView();
    const p = view.pending.find((x) => x.key === params.key);
    if (!p) {
      throw new HttpError(404, "PIN_NOT_PENDING", `no pending definition for "${params.key}"`, {
        path: "key",
      });
    }
    return c.json(p);
  });
  mount(app, gatewayOps.accept, async (c, input) => {
    const g = need();
    const body = await input.body();
    try {
      const out = await g.acceptPin(input.params.key, approvalPrincipal(principal(c)), {
        ...(body.note ? { note: body.note } : {}),
        ...(body.hash ? { expectHash: body.hash } : {}),
      });
      return c.json(out);
    } catch (e) {
      throw pinError(e);
    }
  });
  return app;
}
