/**
 * Signatory namespaces (`org.*`, `x.*`), their tokens and tiers. Admin only, except reading one's
 * own namespace.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { type HallEnv, principal } from "../_http.ts";
import { Namespace, page, Tier, Token } from "../api_schemas.ts";
import { decodeCursor, pageBody, pageParams } from "../_paging.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { NamespaceBody, NamespaceId, TierBody, TokenBody } from "../schemas.ts";
import { type Authenticator, hashToken, newToken } from "../middleware/auth.ts";
import type { TokenRow } from "../store/types.ts";
import { fails, mount, operation } from "./_declare.ts";

/** The namespace, token and tier operations. */
export const tenantOps = {
  createNamespace: operation({
    method: "post",
    path: "/wcp/namespaces",
    operationId: "createNamespace",
    summary: "Register a signatory namespace; returns its token once",
    tag: "tenants",
    auth: "admin",
    body: NamespaceBody,
    responses: {
      201: {
        description: "Registered, with the owner token (shown once)",
        schema: Namespace.extend({ token: z.string(), token_id: z.string() }),
      },
      409: fails("NAMESPACE_EXISTS"),
    },
  }),
  listNamespaces: operation({
    method: "get",
    path: "/wcp/namespaces",
    operationId: "listNamespaces",
    summary: "Namespaces by name, one page (?limit&cursor); a namespace token sees its own",
    tag: "tenants",
    auth: "token",
    query: z.strictObject(pageParams),
    responses: {
      200: { description: "A page of namespaces", schema: page("namespaces", Namespace) },
    },
  }),
  setNamespaceTier: operation({
    method: "put",
    path: "/wcp/namespaces/{ns}/tier",
    operationId: "setNamespaceTier",
    summary: "Move a namespace to another tier",
    tag: "tenants",
    auth: "admin",
    // Checked by the route (400 INVALID_PATH "namespace: invalid").
    params: z.object({ ns: z.string().describe("org.<name> or x.<name>") }),
    body: NamespaceBody.pick({ tier: true }),
    responses: {
      200: { description: "The namespace on its new tier", schema: Namespace },
      404: fails("NAMESPACE_UNKNOWN"),
    },
  }),
  createToken: operation({
    method: "post",
    path: "/wcp/tokens",
    operationId: "createToken",
    summary: "Issue a token (shown once)",
    tag: "tenants",
    auth: "admin",
    body: TokenBody,
    responses: {
      201: {
        description: "The token (shown once)",
        schema: z.object({
          token: z.string(),
          token_id: z.string(),
          role: z.enum(["admin", "namespace"]),
          namespace: z.string().nullable(),
        }),
      },
    },
  }),
  listTokens: operation({
    method: "get",
    path: "/wcp/tokens",
    operationId: "listTokens",
    summary: "Tokens by id, one page (?limit&cursor); never their hashes",
    tag: "tenants",
    auth: "admin",
    query: z.strictObject(pageParams),
    responses: { 200: { description: "A page of tokens", schema: page("tokens", Token) } },
  }),
  revokeToken: operation({
    method: "post",
    path: "/wcp/tokens/{id}/revoke",
    operationId: "revokeToken",
    summary: "Revoke a token",
    tag: "tenants",
    auth: "admin",
    params: z.object({ id: z.string() }),
    responses: {
      200: {
        description: "Revoked",
        schema: z.object({ token_id: z.string(), revoked: z.literal(true) }),
      },
      404: fails("TOKEN_UNKNOWN"),
      409: fails("LAST_ADMIN_TOKEN"),
    },
  }),
  listTiers: operation({
    method: "get",
    path: "/wcp/tiers",
    operationId: "listTiers",
    summary: "Tiers and their limits, by name, one page (?limit&cursor)",
    tag: "tenants",
    auth: "token",
    query: z.strictObject(pageParams),
    responses: { 200: { description: "A page of tiers", schema: page("tiers", Tier) } },
  }),
  putTier: operation({
    method: "put",
    path: "/wcp/tiers/{tier}",
    operationId: "putTier",
    summary: "Create or change a tier",
    tag: "tenants",
    auth: "admin",
    params: z.object({
      tier: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lowercase letters, digits, - and _"),
    }),
    body: TierBody,
    responses: { 200: { description: "The tier", schema: Tier } },
  }),
};

/** Create a token row and return the plain token (shown once). */
export async function issueToken(
  hall: Hall,
  role: TokenRow["role"],
  namespace: string | null,
  label: string,
): Promise<{ token: string; token_id: string }> {
  const token = newToken();
  const token_id = `tok_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await hall.store.createToken({
    token_id,
    token_hash: hashToken(token),
    role,
    namespace,
    label,
    created_at: new Date(hall.now()).toISOString(),
    revoked_at: null,
  });
  return { token, token_id };
}

function publicToken(t: TokenRow): Omit<TokenRow, "token_hash"> {
  const { token_hash: _hidden, ...rest } = t;
  return rest;
}

/** Namespace, token and tier routes. */
export function tenantRoutes(hall: Hall, auth: Authenticator): Hono<HallEnv> {
  const app = new Hono<HallEnv>();

  const ops = tenantOps;

  mount(app, ops.createNamespace, async (c, input) => {
    const body = await input.body();
    if (!(await hall.store.getTier(body.tier))) {
      throw new HttpError(400, "INVALID_BODY", `tier: unknown tier '${body.tier}'`, {
        path: "tier",
      });
    }
    if (await hall.store.getNamespace(body.namespace)) {
      throw new HttpError(409, "NAMESPACE_EXISTS", "namespace: already registered", {
        path: "namespace",
      });
    }
    const row = { ...body, created_at: new Date(hall.now()).toISOString() };
    await hall.store.putNamespace(row);
    const t = await issueToken(hall, "namespace", body.namespace, `owner of ${body.namespace}`);
    return c.json({ ...row, token: t.token, token_id: t.token_id }, 201);
  });

  mount(app, ops.listNamespaces, async (c, { query }) => {
    const p = principal(c);
    const after = decodeCursor("namespaces", query.cursor, ["string"]);
    if (p.role !== "admin" && p.namespace === null) {
      return c.json(pageBody("namespaces", "namespaces", [], null));
    }
    const r = await hall.store.pageNamespaces({
      ...(p.role === "admin" ? {} : { namespace: p.namespace! }),
      after,
      ...(query.limit ? { limit: query.limit } : {}),
    });
    return c.json(pageBody("namespaces", "namespaces", r.rows, r.next));
  });

  mount(app, ops.setNamespaceTier, async (c, input) => {
    const ns = NamespaceId.safeParse(input.params.ns);
    if (!ns.success) throw new HttpError(400, "INVALID_PATH", "namespace: invalid", { path: "ns" });
    const body = await input.body();
    const row = await hall.store.getNamespace(ns.data);
    if (!row) throw new HttpError(404, "NAMESPACE_UNKNOWN", "no such namespace", { path: "ns" });
    if (!(await hall.store.getTier(body.tier))) {
      throw new HttpError(400, "INVALID_BODY", `tier: unknown tier '${body.tier}'`, {
        path: "tier",
      });
    }
    await hall.store.putNamespace({ ...row, tier: body.tier });
    return c.json({ ...row, tier: body.tier });
  });

  mount(app, ops.createToken, async (c, input) => {
    const body = await input.body();
    if (body.role === "namespace") {
      if (!body.namespace) {
        throw new HttpError(400, "INVALID_BODY", "namespace: required for a namespace token", {
          path: "namespace",
        });
      }
      if (!(await hall.store.getNamespace(body.namespace))) {
        throw new HttpError(400, "INVALID_BODY", "namespace: not registered", {
          path: "namespace",
        });
      }
    } else if (body.namespace) {
      throw new HttpError(400, "INVALID_BODY", "namespace: not allowed on an admin token", {
        path: "namespace",
      });
    }
    const t = await issueToken(hall, body.role, body.namespace ?? null, body.label);
    return c.json({ ...t, role: body.role, namespace: body.namespace ?? null }, 201);
  });

  mount(app, ops.listTokens, async (c, { query }) => {
    const after = decodeCursor("tokens", query.cursor, ["string"]);
    const r = await hall.store.pageTokens({
      after,
      ...(query.limit ? { limit: query.limit } : {}),
    });
    return c.json(pageBody("tokens", "tokens", r.rows.map(publicToken), r.next));
  });

  mount(app, ops.revokeToken, async (c, { params }) => {
    const id = params.id;
    // Revoking the last active admin token would lock every operator out of the API until a
    // restart with --new-admin-token; refuse it (create another admin token first). The store
    // checks and revokes in one step, so two admins revoking each other at once leave one.
    const outcome = await hall.store.revokeTokenKeepingAdmin(
      id,
      new Date(hall.now()).toISOString(),
    );
    if (outcome === "last_admin") {
      throw new HttpError(409, "LAST_ADMIN_TOKEN", "this is the last active admin token", {
        path: "id",
      });
    }
    if (outcome === "unknown") {
      throw new HttpError(404, "TOKEN_UNKNOWN", "no such active token", { path: "id" });
    }
    auth.invalidate();
    return c.json({ token_id: id, revoked: true });
  });

  mount(app, ops.listTiers, async (c, { query }) => {
    const after = decodeCursor("tiers", query.cursor, ["string"]);
    const r = await hall.store.pageTiers({ after, ...(query.limit ? { limit: query.limit } : {}) });
    return c.json(pageBody("tiers", "tiers", r.rows, r.next));
  });

  mount(app, ops.putTier, async (c, input) => {
    const tier = input.params.tier;
    const body = await input.body();
    const row = { tier, ...body };
    await hall.store.putTier(row);
    return c.json(row);
  });

  return app;
}
