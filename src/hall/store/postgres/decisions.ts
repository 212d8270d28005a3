/**
 * Decision rows and the replay records of decisions (`/wcp/simulate`) of the PostgreSQL store.
 *
 * @module
 */

import type {
  DecisionRecordQuery,
  DecisionRecordRow,
  DecisionRecordTexts,
  DecisionRow,
} from "../types.ts";
import type { DecisionRecord } from "../../../decision/simulate.ts";
import { num, pageSize, parseJson, type Row, type Sql } from "./db.ts";

function toDecision(r: Row): DecisionRow {
  return {
    decision_id: r.decision_id,
    parent_decision_id: r.parent_decision_id,
    tenant_id: r.tenant_id,
    correlation_id: r.correlation_id,
    capability_id: r.capability_id,
    outcome: r.outcome,
    blast_dimensions_score: r.blast_dimensions_score === null
      ? null
      : num(r.blast_dimensions_score),
    chain_blast_score: r.chain_blast_score === null ? null : num(r.chain_blast_score),
    created_at: r.created_at,
  };
}

/** Decisions and decision records. */
export class PgDecisions {
  readonly #sql: Sql;

  /** Rows over the pool `sql`. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async recordDecision(d: DecisionRow): Promise<void> {
    await this.#sql`insert into decisions (decision_id, parent_decision_id, tenant_id,
      correlation_id, capability_id, outcome, blast_dimensions_score, chain_blast_score,
      created_at) values (${d.decision_id}, ${d.parent_decision_id}, ${d.tenant_id},
      ${d.correlation_id}, ${d.capability_id}, ${d.outcome}, ${d.blast_dimensions_score},
      ${d.chain_blast_score}, ${d.created_at})
      on conflict (decision_id) do nothing`;
  }

  /**
   * Remember many decisions in one statement per 1,000 rows (duplicates ignored), so a telemetry
   * flush costs one round trip instead of one per decision.
   */
  async recordDecisions(rows: DecisionRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      await this.#sql`insert into decisions ${
        this.#sql(
          chunk,
          "decision_id",
          "parent_decision_id",
          "tenant_id",
          "correlation_id",
          "capability_id",
          "outcome",
          "blast_dimensions_score",
          "chain_blast_score",
          "created_at",
        )
      } on conflict (decision_id) do nothing`;
    }
  }

  async getDecision(decisionId: string): Promise<DecisionRow | null> {
    const [r] = await this.#sql`select * from decisions where decision_id = ${decisionId}`;
    return r ? toDecision(r) : null;
  }

  async appendDecisionRecords(records: DecisionRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 1000) {
      const chunk = records.slice(i, i + 1000).map((r) => ({
        decision_id: r.decision_id,
        created_at: r.timestamp,
        record: JSON.stringify(r),
      }));
      // One statement per chunk; bigserial keeps the chunk's order.
      await this.#sql`insert into decision_records ${
        this.#sql(chunk, "decision_id", "created_at", "record")
      }`;
    }
  }

  async appendDecisionRecordTexts(batch: DecisionRecordTexts): Promise<void> {
    const { decision_ids: ids, timestamps: at, records } = batch;
    for (let i = 0; i < records.length; i += 1000) {
      const chunk = [];
      for (let k = i; k < Math.min(records.length, i + 1000); k++) {
        chunk.push({ decision_id: ids[k], created_at: at[k], record: records[k] });
      }
      await this.#sql`insert into decision_records ${
        this.#sql(chunk, "decision_id", "created_at", "record")
      }`;
    }
  }

  async listDecisionRecords(query: DecisionRecordQuery = {}): Promise<DecisionRecordRow[]> {
    const after = Math.max(0, Math.floor(query.after_seq ?? 0));
    const rows = await this.#sql`select seq, record from decision_records
      where seq > ${after} and created_at >= ${query.since ?? ""}
      order by seq limit ${pageSize(query.limit, 100)}`;
    return rows.map((r) => ({ seq: num(r.seq), record: parseJson<DecisionRecord>(r.record) }));
  }
}
