/**
 * Rules in force, hot reload with validation (a bad document is refused; the old rules stay), and
 * the telemetry query.
 *
 * @module
 */

import { Hono } from "hono";
import { type HallEnv, jsonBody, principal } from "../_http.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { readScope } from "../_scope.ts";
import { requireAdmin } from "../security.ts";

/** Rules and telemetry routes. */
export function ruleRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();

  app.get("/wcp/rules", (c) =>
    c.json({
      rules: hall.rules.rules,
      shadow_warnings: hall.rules.shadowWarnings,
      loaded_at: hall.rulesLoadedAt,
      rules_file: hall.rulesPath ? true : false,
    }));

  app.post("/wcp/rules/reload", async (c) => {
    requireAdmin(principal(c));
    const body = await jsonBody(c);
    const empty = typeof body === "object" && body !== null && !Array.isArray(body) &&
      Object.keys(body).length === 0;
    const rules = empty ? await hall.reloadRulesFile() : hall.reloadRules(body);
    if (!empty && hall.rulesPath) {
      // Keep the file in step so a restart keeps the accepted rules (atomic replace).
      const tmp = `${hall.rulesPath}.tmp`;
      // Owner-only, as every file the hall creates (the rename replaces the old file's mode).
      await Deno.writeTextFile(tmp, JSON.stringify(body, null, 2) + "\n", { mode: 0o600 });
      await Deno.rename(tmp, hall.rulesPath);
    }
    // The policy gate reloads with the rules (a Cedar schema holds the rules' capability ids); a
    // refused gate leaves the one in force and is reported here, the rules stay accepted.
    const gate = await hall.reloadGate().then(
      () => ({ ok: true }),
      (e) =>
        e instanceof HttpError && e.code === "NO_POLICY_GATE_CONFIG"
          ? null
          : { ok: false, error: e instanceof Error ? e.message : String(e) },
    );
    return c.json({
      ok: true,
      rule_count: rules.rules.length,
      shadow_warnings: rules.shadowWarnings,
      loaded_at: hall.rulesLoadedAt,
      ...(gate ? { policy_gate: gate } : {}),
    });
  });

  // The hall.json policy gate: what is in force, and a reload (hall.json's policy_gate and the
  // Cedar policy file re-read and checked; a bad one is refused and the old gate stays).
  app.get("/wcp/policy_gate", (c) => {
    requireAdmin(principal(c));
    return c.json(hall.gateStatus);
  });

  app.post("/wcp/policy_gate/reload", async (c) => {
    requireAdmin(principal(c));
    await hall.reloadGate();
    return c.json({ ok: true, ...hall.gateStatus });
  });

  app.get("/wcp/telemetry", async (c) => {
    const decision_id = c.req.query("decision_id");
    const correlation_id = c.req.query("correlation_id");
    const limit = c.req.query("limit");
    const n = limit === undefined ? undefined : Number(limit);
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 1000)) {
      throw new HttpError(400, "INVALID_QUERY", "limit: integer 1-1000", { path: "limit" });
    }
    await hall.telemetry.flush();
    const events = await hall.store.listTelemetry({
      ...(decision_id ? { decision_id } : {}),
      ...(correlation_id ? { correlation_id } : {}),
      ...(n ? { limit: n } : {}),
    });
    // A namespace token sees its own tenant's events only.
    const scope = readScope(principal(c), undefined);
    const mine = scope === null ? events : events.filter((e) => e.event.tenant_id === scope);
    return c.json({ events: mine.map((e) => e.event), count: mine.length });
  });

  return app;
}
