/**
 * Telemetry events of the PostgreSQL store (one statement per batch).
 *
 * @module
 */

import type { TelemetryQuery, TelemetryRow } from "../types.ts";
import { pageSize, parseJson, type Row, type Sql } from "./db.ts";

function toTelemetry(r: Row): TelemetryRow {
  return {
    event_id: r.event_id,
    decision_id: r.decision_id,
    correlation_id: r.correlation_id,
    timestamp: r.timestamp,
    event: parseJson(r.event),
  };
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
    })));
    await this.#sql`insert into telemetry (event_id, decision_id, correlation_id, timestamp, event)
      select x.r->>'e', x.r->>'d', x.r->>'c', x.r->>'t', x.r->>'v'
      from json_array_elements(${payload}::text::json) with ordinality as x(r, n)
      order by x.n`;
  }

  async listTelemetry(query: TelemetryQuery = {}): Promise<TelemetryRow[]> {
    const d = query.decision_id ?? null;
    const c = query.correlation_id ?? null;
    const rows = await this.#sql`select * from telemetry
      where (${d}::text is null or decision_id = ${d})
        and (${c}::text is null or correlation_id = ${c})
      order by ord desc limit ${pageSize(query.limit, 100)}`;
    return rows.map(toTelemetry).reverse();
  }
}
