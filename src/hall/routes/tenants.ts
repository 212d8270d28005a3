/**
 * Signatory namespaces (`org.*`, `x.*`), their tokens and tiers. Admin only, except reading one's
 * own namespace.
 *
 * @module
 */

import { Hono } from "hono";
import { type HallEnv, principal, validBody } from "../_http.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { NamespaceBody, NamespaceId, TierBody, TokenBody } from "../schemas.ts";
import { type Authenticator, hashToken, newToken, requireAdmin } from "../security.ts";
import type { TokenRow } from "../store/types.ts";

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

  app.post("/wcp/namespaces", async (c) => {
    requireAdmin(principal(c));
    const body = await validBody(c, NamespaceBody);
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

  app.get("/wcp/namespaces", async (c) => {
    const p = principal(c);
    const all = await hall.store.listNamespaces();
    const namespaces = p.role === "admin" ? all : all.filter((n) => n.namespace === p.namespace);
    return c.json({ namespaces, count: namespaces.length });
  });

  app.put("/wcp/namespaces/:ns/tier", async (c) => {
    requireAdmin(principal(c));
    const ns = NamespaceId.safeParse(c.req.param("ns"));
    if (!ns.success) throw new HttpError(400, "INVALID_PATH", "namespace: invalid", { path: "ns" });
    const body = await validBody(c, NamespaceBody.pick({ tier: true }));
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

  app.post("/wcp/tokens", async (c) => {
    requireAdmin(principal(c));
    const body = await validBody(c, TokenBody);
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

  app.get("/wcp/tokens", async (c) => {
    requireAdmin(principal(c));
    const tokens = (await hall.store.listTokens()).map(publicToken);
    return c.json({ tokens, count: tokens.length });
  });

  app.post("/wcp/tokens/:id/revoke", async (c) => {
    requireAdmin(principal(c));
    const id = c.req.param("id");
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

  app.get("/wcp/tiers", async (c) => {
    const tiers = await hall.store.listTiers();
    return c.json({ tiers, count: tiers.length });
  });

  app.put("/wcp/tiers/:tier", async (c) => {
    requireAdmin(principal(c));
    const tier = c.req.param("tier");
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(tier)) {
      throw new HttpError(400, "INVALID_PATH", "tier: lowercase letters, digits, - and _", {
        path: "tier",
      });
    }
    const body = await validBody(c, TierBody);
    const row = { tier, ...body };
    await hall.store.putTier(row);
    return c.json(row);
  });

  return app;
}
