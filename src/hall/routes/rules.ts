/**
 * Rules in force, hot reload with validation (a bad document is refused; the old rules stay), and
 * the telemetry query.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { type HallEnv, principal } from "../_http.ts";
import { GateStatus, page, RulesReload } from "../api_schemas.ts";
import { decodeCursor, pageBody, pageParams } from "../_paging.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { readScope } from "../_scope.ts";
import { JsonObject } from "../schemas.ts";
import { fails, mount, operation } from "./_declare.ts";

/** The rules, policy gate and telemetry operations. */
export const ruleOps = {
  rules: operation({
    method: "get",
    path: "/wcp/rules",
    operationId: "getRules",
    summary: "Rules in force",
    tag: "rules",
    auth: "token",
    responses: {
      200: {
        description: "The rules, their shadow warnings, when they were loaded",
        schema: z.object({
          rules: z.array(z.record(z.string(), z.unknown())),
          shadow_warnings: z.array(z.unknown()),
          loaded_at: z.string().nullable(),
          rules_file: z.boolean(),
        }),
      },
    },
  }),
  reload: operation({
    method: "post",
    path: "/wcp/rules/reload",
    operationId: "reloadRules",
    summary: "Replace the rules (body) or re-read the rules file ({})",
    tag: "rules",
    auth: "admin",
    // Any JSON: the rules parser names what is wrong (RULES_INVALID).
    body: z.unknown(),
    bodyDoc: z.union([JsonObject, z.array(z.unknown())]),
    bodyAnyJson: true,
    responses: {
      200: { description: "Accepted (the policy gate reloads with them)", schema: RulesReload },
      422: fails("RULES_INVALID or RULES_EMPTY (the old rules stay), naming the field"),
    },
  }),
  gate: operation({
    method: "get",
    path: "/wcp/policy_gate",
    operationId: "getPolicyGate",
    summary:
      "The hall.json policy gate in force (table, Cedar, webhook) and the last refused reload",
    tag: "rules",
    auth: "admin",
    responses: { 200: { description: "The gate in force", schema: GateStatus } },
  }),
  gateReload: operation({
    method: "post",
    path: "/wcp/policy_gate/reload",
    operationId: "reloadPolicyGate",
    summary: "Re-read hall.json's policy_gate and its Cedar policy file (a bad one is refused)",
    tag: "rules",
    auth: "admin",
    responses: {
      200: {
        description: "Reloaded",
        schema: GateStatus.extend({ ok: z.literal(true) }),
      },
      409: fails("NO_POLICY_GATE_CONFIG"),
      422: fails("POLICY_GATE_INVALID (the gate in force stays), naming the field"),
    },
  }),
  telemetry: operation({
    method: "get",
    path: "/wcp/telemetry",
    operationId: "listTelemetry",
    summary:
      "Stored telemetry events, one page going back in time (?decision_id&correlation_id&tenant_id&limit&cursor)",
    tag: "rules",
    auth: "token",
    query: z.strictObject({
      decision_id: z.string().optional(),
      correlation_id: z.string().optional(),
      tenant_id: z.string().optional().describe(
        "Only this tenant's events (a namespace token: its own, which it gets without asking)",
      ),
      ...pageParams,
    }),
    responses: {
      200: {
        description:
          "The newest `limit` events (before the cursor's position), oldest first; next_cursor " +
          "leads to the older ones (a namespace token: its tenant's)",
        schema: page(
          "events",
          z.looseObject({
            event_id: z.string(),
            timestamp: z.string(),
            decision_id: z.string(),
            correlation_id: z.string(),
          }),
        ),
      },
      403: fails("TENANT_FORBIDDEN (a namespace token asking for another tenant)"),
    },
  }),
};

/** Rules and telemetry routes. */
export function ruleRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();

  mount(app, ruleOps.rules, (c) =>
    c.json({
      rules: hall.rules.rules,
      shadow_warnings: hall.rules.shadowWarnings,
      loaded_at: hall.rulesLoadedAt,
      rules_file: hall.rulesPath ? true : false,
    }));

  mount(app, ruleOps.reload, async (c, input) => {
    const body = await input.body();
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
  mount(app, ruleOps.gate, (c) => {
    return c.json(hall.gateStatus);
  });

  mount(app, ruleOps.gateReload, async (c) => {
    await hall.reloadGate();
    return c.json({ ok: true, ...hall.gateStatus });
  });

  mount(app, ruleOps.telemetry, async (c, { query }) => {
    const { decision_id, correlation_id, limit } = query;
    const before = decodeCursor("telemetry", query.cursor, ["integer", "integer"]);
    // A namespace token lists its own tenant's events only (in the query, so each page is full).
    const scope = readScope(principal(c), query.tenant_id);
    await hall.telemetry.flush();
    const p = await hall.store.pageTelemetry({
      ...(decision_id ? { decision_id } : {}),
      ...(correlation_id ? { correlation_id } : {}),
      ...(scope === null ? {} : { tenant_id: scope }),
      ...(limit ? { limit } : {}),
      before,
    });
    return c.json(pageBody("events", "telemetry", p.rows.map((e) => e.event), p.next));
  });

  return app;
}
