/**
 * What-if replay at the hall (admin only): `POST /wcp/simulate` replays the recorded decisions
 * against candidate rules, hall config and/or a table gate, with the registry in force, and
 * answers the report of `simulateDecisions`; `GET /wcp/decision-records` pages through the
 * records (the JSONL export `wcp policy export` writes).
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { WcpError } from "../../errors.ts";
import type { PolicyGateFn } from "../../decision/policy.ts";
import { loadWorld, type World } from "../../engine/mod.ts";
import {
  DecisionSimulator,
  parseDecisionRecord,
  type SimulationReport,
} from "../../decision/simulate.ts";
import type { HallEnv } from "../_http.ts";
import { HttpError, zodPath } from "../errors.ts";
import { compileGate, GateConfigSchema } from "../file_config.ts";
import type { Hall } from "../hall.ts";
import { mount, operation } from "./_declare.ts";

/** Most records one simulation replays. */
export const MAX_SIMULATED_RECORDS = 1_000_000;
const PAGE = 1000;

/** The body of `POST /wcp/simulate`. */
export const SimulateBodySchema = z.strictObject({
  /** A rules document; default: the rules in force. */
  rules: z.unknown().optional(),
  /** Merged over the hall config in force. */
  hall_config: z.record(z.string(), z.unknown()).optional(),
  /** A table gate (hall.json's `policy_gate` without `type` or with `"table"`). */
  policy_gate: z.unknown().optional(),
  /** Only decisions at or after this RFC 3339 time. */
  since: z.string().min(1).max(64).optional(),
  /** Only records after this position. */
  after_seq: z.number().int().min(0).optional(),
  /** At most this many records (default and cap 1,000,000). */
  limit: z.number().int().min(1).max(MAX_SIMULATED_RECORDS).optional(),
  /** Examples per group (default 5). */
  examples: z.number().int().min(0).max(1000).optional(),
  /**
   * The old side: what was recorded (default), or `current`: each record decided again with the
   * rules, config, gate and registry in force, so only the candidate's changes are reported.
   */
  old: z.enum(["recorded", "current"]).optional(),
});

function bad(path: string, message: string, code = "INVALID_BODY"): never {
  throw new HttpError(400, code, `${path}: ${message}`, { path });
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A `since` bound as the stored timestamps are written (UTC, milliseconds, `Z`), or a 400. */
function sinceOf(v: string | undefined, code: string): string | undefined {
  if (v === undefined) return undefined;
  const t = RFC3339.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) {
    bad("since", `must be an RFC 3339 time, got ${JSON.stringify(v.slice(0, 64))}`, code);
  }
  return new Date(t).toISOString();
}

/** The answer of `POST /wcp/simulate`. */
export interface SimulateResponse extends SimulationReport {
  /** The old side: as recorded, or decided again with what is in force. */
  old: "recorded" | "current";
  /** Where the candidate parts came from. */
  candidate: {
    rules: "body" | "hall";
    hall_config: "body" | "hall";
    policy_gate: "body" | "hall" | "recorded";
  };
  /** Positions replayed (null when none). */
  first_seq: number | null;
  /** Last position replayed: pass it as `after_seq` to continue. */
  last_seq: number | null;
  /** True when `limit` stopped the replay before the last record. */
  more: boolean;
  /** Stored records that no longer parse (skipped). */
  skipped_records: number;
}

const SimulationReportSchema = z.object({
  total: z.number().int(),
  changed: z.number().int(),
  unchanged: z.number().int(),
  outcomes: z.object({
    old: z.record(z.string(), z.number().int()),
    new: z.record(z.string(), z.number().int()),
  }),
  dispatched_blast: z.object({ old: z.number(), new: z.number(), delta: z.number() }),
  groups: z.array(z.record(z.string(), z.unknown())),
  old: z.enum(["recorded", "current"]),
  candidate: z.object({
    rules: z.enum(["body", "hall"]),
    hall_config: z.enum(["body", "hall"]),
    policy_gate: z.enum(["body", "hall", "recorded"]),
  }),
  first_seq: z.number().int().nullable(),
  last_seq: z.number().int().nullable(),
  more: z.boolean(),
  skipped_records: z.number().int(),
});

/** The simulation operations. */
export const simulateOps = {
  simulate: operation({
    method: "post",
    path: "/wcp/simulate",
    operationId: "simulate",
    summary: "Replay recorded decisions against candidate rules, hall config or table gate; " +
      "report every change grouped by (old, new outcome and deny code) with blast deltas",
    tag: "rules",
    auth: "admin",
    body: SimulateBodySchema,
    bodyAnyJson: true,
    // The first issue, named by its field (the body itself: `body`), without the issue list.
    bodyError: (e) => {
      const i = e.issues[0];
      const at = zodPath(i.path) || "body";
      return new HttpError(400, "INVALID_BODY", `${at}: ${i.message}`, { path: at });
    },
    responses: { 200: { description: "The report", schema: SimulationReportSchema } },
  }),
  records: operation({
    method: "get",
    path: "/wcp/decision-records",
    operationId: "listDecisionRecords",
    summary: "Recorded decisions for replay (?after_seq=&since=&limit=), oldest first",
    tag: "rules",
    auth: "admin",
    // Checked by the route (400 INVALID_QUERY naming the parameter).
    query: z.object({
      after_seq: z.string().optional().describe("integer >= 0"),
      since: z.string().optional().describe("RFC 3339 time"),
      limit: z.string().optional().describe("integer 1-1000 (default 100)"),
    }),
    responses: {
      200: {
        description: "Records, and where to continue",
        schema: z.object({
          records: z.array(z.record(z.string(), z.unknown())),
          next_after_seq: z.number().int(),
          count: z.number().int(),
        }),
      },
    },
  }),
};

/** The simulation routes. */
export function simulateRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();

  mount(app, simulateOps.simulate, async (c, input) => {
    const body = await input.body();
    const since = sinceOf(body.since, "INVALID_BODY");
    // The engine's one loader (src/engine/world.ts) compiles the candidate parts; the registry
    // in force is used as it is. Its errors name the part and the field (`rules.rules[0].x`,
    // `hall_config.x`); a bad hall config is CONFIG_INVALID, bad rules keep the rules' code.
    let world: World;
    try {
      world = loadWorld({
        rules: body.rules !== undefined ? body.rules : hall.rules,
        hall_config: body.hall_config !== undefined
          ? { ...hall.config, ...body.hall_config }
          : hall.config,
      }, { hall_config: "CONFIG_INVALID" });
    } catch (e) {
      if (!(e instanceof WcpError)) throw e;
      throw new HttpError(400, e.code, e.message, { path: e.path });
    }
    const { rules, config } = world;
    let gate: PolicyGateFn | undefined;
    let gateSource: SimulateResponse["candidate"]["policy_gate"];
    if (body.policy_gate !== undefined) {
      const g = GateConfigSchema.safeParse(body.policy_gate);
      if (!g.success) {
        const i = g.error.issues[0];
        const at = i.path.length ? `policy_gate.${zodPath(i.path)}` : "policy_gate";
        bad(at, `${i.message} (only a table gate can be simulated inline)`);
      }
      gate = compileGate(g.data);
      gateSource = "body";
    } else {
      gate = hall.simulationGate(rules);
      gateSource = gate ? "hall" : "recorded";
    }
    await hall.decisionRecords.flush();
    const sim = new DecisionSimulator({
      rules,
      registry: hall.registry,
      config,
      ...(gate ? { policyGate: gate } : {}),
    }, {
      examples: body.examples ?? 5,
      ...(body.old === "current"
        ? {
          baseline: {
            rules: hall.rules,
            registry: hall.registry,
            config: hall.config,
            ...(hall.simulationGate(hall.rules)
              ? { policyGate: hall.simulationGate(hall.rules) }
              : {}),
          },
        }
        : {}),
    });
    const limit = body.limit ?? MAX_SIMULATED_RECORDS;
    let after = body.after_seq ?? 0;
    let first: number | null = null;
    let last: number | null = null;
    let done = 0;
    let skipped = 0;
    let more = false;
    while (done < limit) {
      const page = await hall.store.listDecisionRecords({
        after_seq: after,
        ...(since ? { since } : {}),
        limit: Math.min(PAGE, limit - done),
      });
      for (const row of page) {
        try {
          sim.add(parseDecisionRecord(row.record, `decision_records[${row.seq}]`));
        } catch (e) {
          if (!(e instanceof WcpError)) throw e;
          skipped++;
        }
        first ??= row.seq;
        last = row.seq;
        done++;
      }
      if (page.length === 0) break;
      after = page[page.length - 1].seq;
      if (done >= limit) {
        more = (await hall.store.listDecisionRecords({
          after_seq: after,
          ...(since ? { since } : {}),
          limit: 1,
        })).length > 0;
        break;
      }
      // Let the hall serve other requests between pages.
      await new Promise((r) => setTimeout(r, 0));
    }
    const response: SimulateResponse = {
      ...sim.report(),
      old: body.old ?? "recorded",
      candidate: {
        rules: body.rules !== undefined ? "body" : "hall",
        hall_config: body.hall_config !== undefined ? "body" : "hall",
        policy_gate: gateSource,
      },
      first_seq: first,
      last_seq: last,
      more,
      skipped_records: skipped,
    };
    return c.json(response);
  });

  mount(app, simulateOps.records, async (c) => {
    const num = (name: string, min: number, max: number): number | undefined => {
      const v = c.req.query(name);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < min || n > max) {
        throw new HttpError(400, "INVALID_QUERY", `${name}: integer ${min}-${max}`, { path: name });
      }
      return n;
    };
    const after = num("after_seq", 0, Number.MAX_SAFE_INTEGER);
    const limit = num("limit", 1, PAGE);
    const since = sinceOf(c.req.query("since"), "INVALID_QUERY");
    await hall.decisionRecords.flush();
    const rows = await hall.store.listDecisionRecords({
      ...(after !== undefined ? { after_seq: after } : {}),
      ...(since ? { since } : {}),
      limit: limit ?? 100,
    });
    const records = [];
    for (const r of rows) {
      // Stored compact (defaults left out): answered whole, as `DecisionRecord`s.
      try {
        records.push(parseDecisionRecord(r.record, `decision_records[${r.seq}]`));
      } catch (e) {
        if (!(e instanceof WcpError)) throw e;
      }
    }
    return c.json({
      records,
      next_after_seq: rows.length ? rows[rows.length - 1].seq : after ?? 0,
      count: rows.length,
    });
  });

  return app;
}
