/**
 * Telemetry events of the PostgreSQL store (one statement per batch).
 *
 * @module
 */

import type {
  KeyedPage,
  TelemetryBatch,
  TelemetryPageQuery,
  TelemetryQuery,
  TelemetryRow,
} from "../types.ts";
import { num, pageSize, parseJson, type Row, type Sql } from "./db.ts";

function toTelemetry(r: Row): TelemetryRow {
  return {
    event_id: r.event_id,
    decision_id: r.decision_id,
    correlation_id: r.correlation_id,
    timestamp: r.timestamp,
    event: parseJson(r.event),
  };
}

// A \uD800-\uDFFF escape in JSON text.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

// An event's tenant as the JSON text the column holds (what `->` gives for a stored event).
function tenantJsonOf(event: Record<string, unknown>): string | null {
  const t = event.tenant_id;
  return t === undefined ? null : JSON.stringify(t) ?? null;
}

/** Telemetry rows. */
export class PgTelemetry {
  readonly #sql: Sql;

  /** Rows over the pool `sql`. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async appendTelemetry(rows: TelemetryRow[]): Promise<void> {
    if (rows.length === 0) return;
    // The whole batch travels as ONE json parameter that the server unpacks: one
    // JSON.stringify in the hall instead of five encoded parameters per row (the hall's event
    // loop is the bottleneck under load, the database has cycles to spare), and no 65,535
    // parameter limit.
    // The server decodes these values and refuses a lone UTF-16 surrogate (which a hostile
    // client can put in a correlation id): make them well formed, as the driver's UTF-8 encoding
    // of a plain parameter would.
    const payload = JSON.stringify(rows.map((r) => ({
      e: r.event_id.toWellFormed(),
      d: r.decision_id.toWellFormed(),
      c: r.correlation_id.toWellFormed(),
      t: r.timestamp.toWellFormed(),
      // As a string, so the server never decodes the event's own escapes (see above).
      v: JSON.stringify(r.event),
      // The tenant as JSON text (a string too, so never decoded either): the indexed column.
      n: tenantJsonOf(r.event),
    })));
    await this.#sql`insert into telemetry
        (event_id, decision_id, correlation_id, timestamp, event, tenant_json)
      select x.r->>'e', x.r->>'d', x.r->>'c', x.r->>'t', x.r->>'v', x.r->>'n'
      from json_array_elements(${payload}::text::json) with ordinality as x(r, n)
      order by x.n`;
  }

  /**
   * The events of decisions as the hall serialised them once (`events_json`, the text of its
   * response): the batch travels as one JSON text holding those arrays as they are (not escaped
   * into strings), and the server splits them. Each event is stored as its own text
   * (`json_array_elements` of a `json` value keeps the text: no re-encoding, no decoding of its
   * escapes, so a lone surrogate inside an event is stored as the escape it is); only the ids the
   * columns need are decoded, and the hall's ids are made well formed first.
   */
  async appendTelemetryBatches(batches: TelemetryBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const now = new Date().toISOString();
    const at = JSON.stringify(now);
    const parts: string[] = [];
    const slow: TelemetryRow[] = [];
    for (const b of batches) {
      // The server's JSON parser refuses a lone surrogate escape (which JSON.stringify writes for
      // a lone surrogate in a hostile id): such a batch (or text that only looks like one) takes
      // the per-event path, which sends each event as a string.
      if (SURROGATE_ESCAPE.test(b.events_json)) {
        for (const e of JSON.parse(b.events_json) as Record<string, unknown>[]) {
          slow.push({
            event_id: String(e.event_id ?? ""),
            decision_id: b.decision_id,
            correlation_id: b.correlation_id,
            timestamp: String(e.timestamp ?? now),
            event: e,
          });
        }
        continue;
      }
      parts.push(
        `{"d":${JSON.stringify(b.decision_id.toWellFormed())},"c":${
          JSON.stringify(b.correlation_id.toWellFormed())
        },"t":${at},"v":${b.events_json}}`,
      );
    }
    if (slow.length) await this.appendTelemetry(slow);
    if (parts.length === 0) return;
    const payload = `[${parts.join(",")}]`;
    // (These events hold no surrogate escape, so the server reads their tenant itself.)
    await this.#sql`insert into telemetry
        (event_id, decision_id, correlation_id, timestamp, event, tenant_json)
      select coalesce(y.ev->>'event_id', ''), x.b->>'d', x.b->>'c',
        coalesce(y.ev->>'timestamp', x.b->>'t'), y.ev::text, (y.ev -> 'tenant_id')::text
      from json_array_elements(${payload}::text::json) with ordinality as x(b, n),
        json_array_elements(x.b->'v') with ordinality as y(ev, m)
      order by x.n, y.m`;
  }

  async listTelemetry(query: TelemetryQuery = {}): Promise<TelemetryRow[]> {
    return (await this.pageTelemetry(query)).rows;
  }

  /**
   * A page of events going back in time: the newest `limit` events before `before` (a key
   * `[ord, 0]`: one event per row), oldest first; `next` is the key of the page's oldest event
   * when older ones match.
   */
  async pageTelemetry(query: TelemetryPageQuery): Promise<KeyedPage<TelemetryRow>> {
    const sql = this.#sql;
    const d = query.decision_id ?? null;
    const c = query.correlation_id ?? null;
    // The tenant compared as JSON text (the column of migration 11: nothing is decoded, so an
    // event holding a lone surrogate escape never fails the query).
    const t = query.tenant_id === undefined ? null : JSON.stringify(query.tenant_id);
    const before = query.before ?? null;
    // Events before [ord, i]: rows before ord, and row ord itself when i > 0 (its event is 0).
    const bound = before === null ? null : Number(before[0]) + (Number(before[1]) > 0 ? 1 : 0);
    const limit = pageSize(query.limit, 100);
    // Only the terms asked for, so the plan never rests on how the server treats
    // "$x is null or column = $x" (a generic plan of it, for a prepared statement, can use no
    // index).
    const rows = await sql`select * from telemetry where true
      ${d === null ? sql`` : sql`and decision_id = ${d}`}
      ${c === null ? sql`` : sql`and correlation_id = ${c}`}
      ${t === null ? sql`` : sql`and tenant_json = ${t}`}
      ${bound === null ? sql`` : sql`and ord < ${bound}`}
      order by ord desc limit ${limit + 1}`;
    const more = rows.length > limit;
    const page = rows.slice(0, limit).reverse();
    return {
      rows: page.map(toTelemetry),
      next: more && page.length ? [num(page[0].ord), 0] : null,
    };
  }
}
