/**
 * `GET /wcp/events` (Server-Sent Events with ids and `Last-Event-ID` replay) and alerts.
 *
 * @module
 */

import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { type HallEnv, principal } from "../_http.ts";
import { Alert, page } from "../api_schemas.ts";
import { decodeCursor, pageBody, pageParams } from "../_paging.ts";
import { HttpError } from "../errors.ts";
import type { HallEvent } from "../events.ts";
import type { Hall } from "../hall.ts";
import { AckBody } from "../schemas.ts";
import { bearerOf, hashToken, namespaceOf } from "../middleware/auth.ts";
import { fails, mount, operation } from "./_declare.ts";

const MAX_STREAMS_PER_TOKEN = 16;
const EVENT_NAMES: readonly HallEvent["event"][] = [
  "decision",
  "dispatch",
  "approval",
  "alert",
  "rules",
  "worker",
  "ban",
];

// Ids are the decimal integers this hall numbers its events with; anything else is a client bug.
function lastEventId(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw new HttpError(
      400,
      "INVALID_LAST_EVENT_ID",
      "Last-Event-ID: must be an event id (digits)",
      {
        path: "Last-Event-ID",
      },
    );
  }
  return Number(raw.trim());
}

/** The event and alert operations. */
export const eventOps = {
  events: operation({
    method: "get",
    path: "/wcp/events",
    operationId: "streamEvents",
    summary: "Server-Sent Events: decision, dispatch, approval, alert, rules, worker, ban",
    description: "A `ready` event first; each event has an id (resume with `Last-Event-ID` or " +
      "`?last_event_id=`); a `revoked` event ends the stream of a revoked token.",
    tag: "events",
    auth: "token",
    // Checked by the route (400 INVALID_QUERY naming the unknown event).
    query: z.object({
      events: z.string().optional().describe(
        `Comma-separated event names (${EVENT_NAMES.join(", ")})`,
      ),
      last_event_id: z.string().optional().describe("Resume after this event id"),
    }),
    headers: { "Last-Event-ID": "Resume after this event id (digits)" },
    responses: {
      200: {
        description: "The event stream",
        contentType: "text/event-stream",
        schema: z.string().describe("`event:`, `id:` and `data:` (JSON) lines"),
      },
      429: fails("TOO_MANY_STREAMS (16 per token)"),
    },
  }),
  alerts: operation({
    method: "get",
    path: "/wcp/alerts",
    operationId: "listAlerts",
    summary: "Alerts, newest first, one page (?open=true|false&limit&cursor)",
    tag: "events",
    auth: "admin",
    query: z.strictObject({
      open: z.enum(["true", "false"], { error: "true or false" }).optional(),
      ...pageParams,
    }),
    responses: { 200: { description: "A page of alerts", schema: page("alerts", Alert) } },
  }),
  ack: operation({
    method: "post",
    path: "/wcp/alerts/{id}/ack",
    operationId: "acknowledgeAlert",
    summary: "Acknowledge an alert",
    tag: "events",
    auth: "admin",
    params: z.object({ id: z.string() }),
    body: AckBody,
    responses: {
      200: { description: "Acknowledged", schema: Alert },
      404: fails("ALERT_UNKNOWN"),
    },
  }),
};

/**
 * The open event streams by bearer token (its SHA-256), so the streams of a revoked token end at
 * once: `recheck` runs whenever this hall's token cache is dropped (a revocation here, on another
 * thread of this process, or on another instance on the same PostgreSQL), and each stream also
 * checks its token at every keep-alive (revocations by other processes on one SQLite file).
 */
export class StreamWatch {
  readonly #streams = new Map<string, Set<() => void>>();
  readonly #active: (tokenHash: string) => Promise<boolean>;

  /** `active`: whether the token with this hash is still valid (the store's answer). */
  constructor(active: (tokenHash: string) => Promise<boolean>) {
    this.#active = active;
  }

  /** Register a stream's `end`; returns the unregister function. */
  add(tokenHash: string, end: () => void): () => void {
    let set = this.#streams.get(tokenHash);
    if (!set) this.#streams.set(tokenHash, set = new Set());
    set.add(end);
    return () => {
      set.delete(end);
      if (set.size === 0 && this.#streams.get(tokenHash) === set) this.#streams.delete(tokenHash);
    };
  }

  /** Whether the token is still valid (a store that cannot answer keeps the stream open). */
  async active(tokenHash: string): Promise<boolean> {
    try {
      return await this.#active(tokenHash);
    } catch {
      return true;
    }
  }

  /** End the streams of every token that is no longer valid. */
  async recheck(): Promise<void> {
    await Promise.all([...this.#streams].map(async ([hash, ends]) => {
      if (await this.active(hash)) return;
      for (const end of [...ends]) end();
    }));
  }

  /** Open streams (all tokens). */
  get size(): number {
    let n = 0;
    for (const s of this.#streams.values()) n += s.size;
    return n;
  }
}

/** SSE and alert routes. */
export function eventRoutes(hall: Hall, watch?: StreamWatch): Hono<HallEnv> {
  const app = new Hono<HallEnv>();

  // Each open stream holds a subscriber; bound them per token so one token cannot exhaust memory.
  const open = new Map<string, number>();
  mount(app, eventOps.events, (c, { query }) => {
    const p = principal(c);
    const tokenId = p.token_id;
    // Validate before a stream slot is taken.
    const last = lastEventId(c.req.header("last-event-id") ?? query.last_event_id);
    const only = query.events?.split(",").filter(Boolean);
    const unknown = only?.find((e) => !(EVENT_NAMES as readonly string[]).includes(e));
    if (unknown !== undefined) {
      throw new HttpError(
        400,
        "INVALID_QUERY",
        `events: unknown event '${unknown.slice(0, 40)}' (one of ${EVENT_NAMES.join(", ")})`,
        { path: "events" },
      );
    }
    if ((open.get(tokenId) ?? 0) >= MAX_STREAMS_PER_TOKEN) {
      throw new HttpError(
        429,
        "TOO_MANY_STREAMS",
        `at most ${MAX_STREAMS_PER_TOKEN} event streams per token`,
        {
          headers: { "retry-after": "5" },
        },
      );
    }
    open.set(tokenId, (open.get(tokenId) ?? 0) + 1);
    const release = () => {
      const n = (open.get(tokenId) ?? 1) - 1;
      if (n <= 0) open.delete(tokenId);
      else open.set(tokenId, n);
    };
    // A namespace token sees its own tenant's decisions, dispatches and approvals and its own
    // namespace's workers; alerts and rule changes are for admins.
    const ns = p.role === "admin" ? null : p.namespace;
    const visible = (e: HallEvent) =>
      ns === null || e.data.tenant_id === ns ||
      (e.event === "worker" && namespaceOf(String(e.data.worker_id ?? "")) === ns);
    const wanted = (e: HallEvent) => (!only || only.includes(e.event)) && visible(e);
    const tokenHash = hashToken(bearerOf(c.req.header("authorization")) ?? "");
    return streamSSE(c, async (stream) => {
      const queue: HallEvent[] = last > 0 ? hall.events.since(last) : [];
      let wake: (() => void) | null = null;
      const unsubscribe = hall.events.subscribe((e) => {
        if (queue.length > 10_000) queue.shift(); // a stalled client loses the oldest events
        queue.push(e);
        wake?.();
      });
      let open = true;
      let revoked = false;
      const end = () => {
        open = false;
        wake?.();
      };
      stream.onAbort(end);
      const undoClose = hall.events.onClose(end);
      const unwatch = watch?.add(tokenHash, () => {
        revoked = true;
        end();
      });
      await stream.writeSSE({
        event: "ready",
        data: JSON.stringify({ at: new Date().toISOString() }),
      });
      try {
        while (open) {
          while (queue.length && open) {
            const e = queue.shift()!;
            if (!wanted(e)) continue;
            await stream.writeSSE({
              id: String(e.id),
              event: e.event,
              data: JSON.stringify(e.data),
            });
          }
          if (!open) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
            const t = setTimeout(resolve, 15_000);
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
          wake = null;
          if (open && queue.length === 0) {
            // A token revoked where no message reaches this hall (another process on one SQLite
            // file) ends its streams here, within one keep-alive interval.
            if (watch && !(await watch.active(tokenHash))) {
              revoked = true;
              break;
            }
            await stream.write(": keep-alive\n\n");
          }
        }
        // The client learns why (an EventSource that reconnects then gets the 401).
        if (revoked) {
          await stream.writeSSE({
            event: "revoked",
            data: JSON.stringify({ reason: "the token of this stream was revoked" }),
          });
        }
      } finally {
        unsubscribe();
        undoClose();
        unwatch?.();
        release();
      }
    });
  });

  // Alerts span tenants (chain breaks, tamper, banned hashes): reading and acknowledging them is
  // for admins, so a namespace token can neither see others' incidents nor silence them.
  mount(app, eventOps.alerts, async (c, { query }) => {
    const after = decodeCursor("alerts", query.cursor, ["string", "string"]);
    const open = query.open;
    const p = await hall.store.pageAlerts({
      ...(open === "true"
        ? { acknowledged: false }
        : open === "false"
        ? { acknowledged: true }
        : {}),
      after,
      ...(query.limit ? { limit: query.limit } : {}),
    });
    return c.json(pageBody("alerts", "alerts", p.rows, p.next));
  });

  mount(app, eventOps.ack, async (c, input) => {
    const p = principal(c);
    await input.body();
    const row = await hall.store.acknowledgeAlert(
      input.params.id,
      p.token_id,
      new Date(hall.now()).toISOString(),
    );
    if (!row) throw new HttpError(404, "ALERT_UNKNOWN", "no such alert", { path: "id" });
    hall.events.publish("alert", { ...row, change: "acknowledged" } as Record<string, unknown>);
    return c.json(row);
  });

  return app;
}
