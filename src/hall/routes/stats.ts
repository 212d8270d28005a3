/**
 * `GET /wcp/stats?since=&until=&tenant_id=`: what the dashboard charts, aggregated at the hall
 * from what it already keeps: decisions per minute by outcome and the top deny codes (from the
 * replay log, `decision_records`), and dispatch latency per worker (from the receipts: a receipt
 * is minted when the worker answered, and its `receipt_id` is the UUIDv7 of that moment, so
 * `receipt_id` time minus `dispatched_at` is the call's duration, to the millisecond).
 *
 * An admin sees every tenant (or one, with `tenant_id`); a namespace token sees its own tenant.
 * The window is at most 24 hours (default: the last 30 minutes); at most 100,000 decisions and
 * 1,000 receipts are read, and `truncated` says when the window held more.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { type HallEnv, principal } from "../_http.ts";
import { readScope } from "../_scope.ts";
import { Stats } from "../api_schemas.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { OUTCOMES } from "../../model.ts";
import { mount, operation } from "./_declare.ts";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MINUTE = 60_000;
const MAX_WINDOW_MS = 24 * 60 * MINUTE;
const DEFAULT_WINDOW_MS = 30 * MINUTE;
const MAX_DECISIONS = 100_000;
const PAGE = 1000;
const TOP_CODES = 10;

/** One minute of decisions, by outcome. */
export interface StatsMinute {
  /** Start of the minute (RFC 3339). */
  minute: string;
  /** Decisions dispatched. */
  DISPATCH: number;
  /** Decisions denied. */
  DENY: number;
  /** Decisions held for a human. */
  STEWARD_HOLD: number;
}

/** Dispatch latency of one worker over the window. */
export interface StatsWorker {
  /** Worker id. */
  worker_id: string;
  /** Dispatches. */
  count: number;
  /** Of which the worker failed. */
  failed: number;
  /** Median, 95th percentile and maximum duration in ms. */
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
}

/** `GET /wcp/stats`. */
export interface StatsResponse {
  /** Window start (RFC 3339, inclusive). */
  since: string;
  /** Window end (RFC 3339, exclusive). */
  until: string;
  /** The tenant the figures cover, or null for all. */
  tenant_id: string | null;
  /** Decisions in the window. */
  decisions: {
    total: number;
    by_outcome: Record<string, number>;
    /** One entry per minute of the window, oldest first. */
    per_minute: StatsMinute[];
    /** The most frequent deny codes, most frequent first (at most 10). */
    top_deny_codes: { code: string; count: number }[];
  };
  /** Dispatches in the window, per worker, slowest p95 first. */
  dispatch: { total: number; workers: StatsWorker[] };
  /** True when the window held more decisions or receipts than were read. */
  truncated: boolean;
}

function timeParam(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const t = RFC3339.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) {
    throw new HttpError(400, "INVALID_QUERY", `${name}: must be an RFC 3339 time`, { path: name });
  }
  return t;
}

/** The epoch ms in a UUIDv7 (its first 48 bits), or null when it is not one. */
export function uuidV7Millis(id: string): number | null {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.exec(id);
  return m ? parseInt(m[1] + m[2], 16) : null;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

/** The stats operation. */
export const statsOps = {
  stats: operation({
    method: "get",
    path: "/wcp/stats",
    operationId: "getStats",
    summary: "Decisions per minute by outcome, top deny codes, dispatch latency per worker " +
      "(?since&until&tenant_id; at most 24 h; a namespace token: its tenant)",
    tag: "rules",
    auth: "token",
    query: z.object({
      tenant_id: z.string().min(1, "invalid").max(200, "invalid").optional(),
      // Checked by the route (400 INVALID_QUERY naming the parameter).
      since: z.string().optional().describe("RFC 3339 time (default: until - 30 minutes)"),
      until: z.string().optional().describe("RFC 3339 time (default: now)"),
    }),
    responses: { 200: { description: "The figures of the window", schema: Stats } },
  }),
};

/** Stats routes. */
export function statsRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();

  mount(app, statsOps.stats, async (c, { query }) => {
    const p = principal(c);
    const scope = readScope(p, query.tenant_id);
    const now = hall.now();
    const until = timeParam(query.until, "until") ?? now;
    const since = timeParam(query.since, "since") ?? until - DEFAULT_WINDOW_MS;
    if (since >= until) {
      throw new HttpError(400, "INVALID_QUERY", "since: must be before until", { path: "since" });
    }
    if (until - since > MAX_WINDOW_MS) {
      throw new HttpError(400, "INVALID_QUERY", "since: the window is at most 24 hours", {
        path: "since",
      });
    }
    const sinceIso = new Date(since).toISOString();
    const untilIso = new Date(until).toISOString();
    let truncated = false;

    // Decisions, from the replay log (flushed first, so what was just decided counts).
    await hall.decisionRecords.flush();
    const first = Math.floor(since / MINUTE) * MINUTE;
    const minutes = Math.ceil((until - first) / MINUTE);
    const perMinute: StatsMinute[] = Array.from({ length: minutes }, (_, i) => ({
      minute: new Date(first + i * MINUTE).toISOString(),
      DISPATCH: 0,
      DENY: 0,
      STEWARD_HOLD: 0,
    }));
    const byOutcome: Record<string, number> = Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
    const codes = new Map<string, number>();
    let total = 0;
    let after = 0;
    let read = 0;
    while (true) {
      const rows = await hall.store.listDecisionRecords({
        after_seq: after,
        since: sinceIso,
        limit: PAGE,
      });
      if (rows.length === 0) break;
      after = rows[rows.length - 1].seq;
      read += rows.length;
      for (const { record: r } of rows) {
        const t = Date.parse(r.timestamp);
        if (!(t >= since && t < until)) continue;
        if (scope !== null && r.input?.tenant_id !== scope) continue;
        total++;
        byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + 1;
        const bucket = perMinute[Math.floor((t - first) / MINUTE)];
        if (bucket && (r.outcome in bucket)) {
          bucket[r.outcome as keyof Omit<StatsMinute, "minute">]++;
        }
        if (r.deny_code) codes.set(r.deny_code, (codes.get(r.deny_code) ?? 0) + 1);
      }
      if (rows.length < PAGE) break;
      if (read >= MAX_DECISIONS) {
        truncated = true;
        break;
      }
    }
    const top = [...codes].map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)).slice(0, TOP_CODES);

    // Dispatch latency, from the receipts of the window.
    const receipts = await hall.store.listReceipts({
      since: sinceIso,
      until: untilIso,
      limit: PAGE,
      ...(scope !== null ? { tenant_id: scope } : {}),
    });
    if (receipts.length >= PAGE) truncated = true;
    const perWorker = new Map<string, { times: number[]; failed: number }>();
    for (const row of receipts) {
      const r = row.receipt as unknown as Record<string, unknown>;
      const ended = uuidV7Millis(String(r.receipt_id));
      const started = Date.parse(String(r.dispatched_at));
      if (ended === null || Number.isNaN(started)) continue;
      const ms = ended - started;
      if (ms < 0 || ms > MAX_WINDOW_MS) continue;
      const id = String(r.worker_id);
      const w = perWorker.get(id) ?? { times: [], failed: 0 };
      w.times.push(ms);
      if (r.execution_status === "failed") w.failed++;
      perWorker.set(id, w);
    }
    const workers: StatsWorker[] = [...perWorker].map(([worker_id, w]) => {
      const sorted = w.times.sort((a, b) => a - b);
      return {
        worker_id,
        count: sorted.length,
        failed: w.failed,
        p50_ms: percentile(sorted, 50),
        p95_ms: percentile(sorted, 95),
        max_ms: sorted[sorted.length - 1],
      };
    }).sort((a, b) => b.p95_ms - a.p95_ms || a.worker_id.localeCompare(b.worker_id));

    const body: StatsResponse = {
      since: sinceIso,
      until: untilIso,
      tenant_id: scope,
      decisions: { total, by_outcome: byOutcome, per_minute: perMinute, top_deny_codes: top },
      dispatch: { total: workers.reduce((n, w) => n + w.count, 0), workers },
      truncated,
    };
    return c.json(body);
  });

  return app;
}
