/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The decision: outcome, facts, trace, candidates and telemetry.
 *
 * @module
 */

import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { Badge, JsonView } from "../ui.tsx";
import { evaluation } from "./evaluation.ts";
import { Pipeline } from "./pipeline.tsx";

let firstDecisionMarked = false;

export function Result(): JSX.Element {
  const ev = evaluation.value;
  const d = ev.decision;
  useEffect(() => {
    if (d && !firstDecisionMarked) {
      firstDecisionMarked = true;
      performance.mark("wcp:first-decision");
    }
  }, [d]);
  if (!d) {
    return (
      <div class="result" id="decision-result" aria-live="polite">
        <p id="decision-outcome" class="muted">No decision: fix the errors on the left.</p>
        <ul class="error-list">
          {Object.entries(ev.errors).map(([part, msg]) => <li key={part}>{part}: {msg}</li>)}
        </ul>
      </div>
    );
  }
  const deny = d.deny_reason_if_denied;
  return (
    <div class="result" id="decision-result">
      <div class="outcome" aria-live="polite">
        <Badge kind={d.outcome}>
          <span id="decision-outcome">{d.outcome}</span>
        </Badge>
        {deny && <code id="deny-code">{deny.code}</code>}
        {deny && <p id="deny-message">{deny.message}</p>}
        {d.outcome === "STEWARD_HOLD" && (
          <p id="hold-message">
            Waiting for a <strong>{d.supervisor_level}</strong>: approval{" "}
            <code>{d.pending_approval_id}</code> expires {d.approval_expires_at}.
          </p>
        )}
      </div>
      <dl class="facts">
        <dt>matched rule</dt>
        <dd id="matched-rule">{d.matched_rule_id}</dd>
        <dt>worker</dt>
        <dd id="selected-worker">
          {d.selected_worker_id ?? "none"}
          {d.selected_worker_species_id && ` (${d.selected_worker_species_id})`}
        </dd>
        <dt>blast score (0-100)</dt>
        <dd id="blast-score">
          {d.blast_score ?? "not scored"}
          {d.blast_gate_passed !== null &&
            (d.blast_gate_passed ? ", gate passed" : ", gate failed")}
        </dd>
        <dt>blast dimensions (0-25)</dt>
        <dd>
          {d.blast_dimensions_score ?? "n/a"}
          {d.chain_blast_score !== null && `, chain ${d.chain_blast_score}`}
        </dd>
        <dt>attestation</dt>
        <dd>
          {d.worker_attestation_checked
            ? (d.worker_attestation_valid ? "checked, valid" : "checked, INVALID")
            : "not checked"}
        </dd>
        <dt>policy version</dt>
        <dd>{d.policy_version}</dd>
        <dt>decided in</dt>
        <dd id="decision-ms">{ev.ms < 0.1 ? "< 0.1 ms" : `${ev.ms.toFixed(1)} ms`}</dd>
      </dl>
      <Pipeline decision={d} />
      <h3>Trace</h3>
      {d.trace && d.trace.length > 0
        ? (
          <ol class="trace" id="trace">
            {d.trace.map((s, i) => (
              <li key={i} class={`step step-${s.outcome}`}>
                <span class="step-name">{s.step}</span> <Badge kind={s.outcome}>{s.outcome}</Badge>
                {" "}
                <span>{s.detail}</span>
              </li>
            ))}
          </ol>
        )
        : <p class="muted">The core returned no trace.</p>}
      {d.candidate_workers_ranked.length > 0 && (
        <>
          <h3>Candidates</h3>
          <ul>
            {d.candidate_workers_ranked.map((c, i) => (
              <li key={i}>
                <code>{c.worker_species_id}</code>
                {c.worker_id && (
                  <>
                    {" "}as <code>{c.worker_id}</code>
                  </>
                )}
                {c.skip_reason ? ` skipped: ${c.skip_reason}` : " selected"}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Telemetry ({ev.events.length} events)</h3>
      <ul class="events" id="telemetry">
        {ev.events.map((e, i) => (
          <li key={i}>
            <details>
              <summary>
                <code>{e.event_id}</code>
              </summary>
              <JsonView value={e} label={`event ${e.event_id}`} />
            </details>
          </li>
        ))}
      </ul>
      {ev.gateCalls.length > 0 && (
        <p class="muted">Policy gate consulted {ev.gateCalls.length} time(s).</p>
      )}
      <details>
        <summary>Full decision JSON</summary>
        <JsonView value={d} label="decision JSON" id="decision-json" />
      </details>
    </div>
  );
}
