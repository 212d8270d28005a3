/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The approvals inbox (approve, deny, escalate) and alerts (acknowledge).
 *
 * @module
 */

import type { JSX } from "preact";
import type { EscalationContext } from "../../../src/model.ts";
import { Refused } from "./refused.tsx";
import { act, alerts, approvals, client, notes } from "./state.ts";
import { Badge, TextInput } from "../ui.tsx";

/** The approvals inbox. */
export function Approvals(): JSX.Element {
  return (
    <section class="card" aria-labelledby="h-approvals">
      <h2 id="h-approvals">Approvals inbox ({approvals.value.length})</h2>
      <Refused part="approvals" />
      {approvals.value.length === 0 && <p class="muted" id="no-approvals">Nothing waiting.</p>}
      <ul class="search-results" id="approvals">
        {approvals.value.map((a) => {
          const id = a.approval_id;
          const note = () => notes.value[id] || undefined;
          return (
            <li key={id} data-approval={id}>
              <p>
                <code>{a.capability_id}</code> for tenant <code>{a.tenant_id}</code>{" "}
                <Badge kind="pending">{a.supervisor_level}</Badge>
                {a.escalations > 0 && (
                  <>
                    <Badge kind="escalated">escalated ×{a.escalations}</Badge>
                  </>
                )}
              </p>
              <p class="muted">
                approval <code>{id}</code>, expires {a.expires_at}
                {a.decision?.escalation_context && `, ${blastLine(a.decision.escalation_context)}`}
              </p>
              <TextInput
                id={`note-${id}`}
                label="Note"
                value={notes.value[id] ?? ""}
                onInput={(v) => (notes.value = { ...notes.value, [id]: v })}
              />
              <div class="toolbar">
                <button
                  type="button"
                  class="primary"
                  data-action="approve"
                  onClick={() =>
                    act(`Approve ${id}`, () => client().resolveApproval(id, "approve", note()))}
                >
                  Approve
                </button>
                <button
                  type="button"
                  data-action="deny"
                  onClick={() =>
                    act(`Deny ${id}`, () => client().resolveApproval(id, "deny", note()))}
                >
                  Deny
                </button>
                <button
                  type="button"
                  data-action="escalate"
                  onClick={() => act(`Escalate ${id}`, () => client().escalateApproval(id, note()))}
                >
                  Escalate
                </button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Alerts with acknowledgement. */
export function Alerts(): JSX.Element {
  const open = alerts.value.filter((a) => !a.acknowledged_at).length;
  return (
    <section class="card" aria-labelledby="h-alerts">
      <h2 id="h-alerts">Alerts ({open} open)</h2>
      <Refused part="alerts" />
      {alerts.value.length === 0 && <p class="muted">No alerts.</p>}
      <ul class="search-results" id="alerts">
        {alerts.value.map((a) => (
          <li key={a.alert_id} data-alert={a.alert_id}>
            <Badge kind={a.acknowledged_at ? "acknowledged" : a.severity <= 1 ? "sev1" : "warn"}>
              sev{a.severity}
            </Badge>{" "}
            <code>{a.kind}</code> {a.message} <span class="muted">{a.subject}</span>{" "}
            {a.acknowledged_at
              ? <span class="muted">acknowledged {a.acknowledged_at}</span>
              : (
                <button
                  type="button"
                  data-action="ack"
                  onClick={() =>
                    act(`Acknowledge ${a.alert_id}`, () => client().acknowledgeAlert(a.alert_id))}
                >
                  Acknowledge
                </button>
              )}
          </li>
        ))}
      </ul>
    </section>
  );
}

// A hold over a chain's blast cap shows the total that was compared with the cap (the 0-100
// heuristic is not the figure behind it); other holds show the heuristic score.
function blastLine(ctx: EscalationContext): string {
  if (ctx.blast_cap !== undefined) {
    return `chain blast ${ctx.chain_blast_score ?? "unknown"} over cap ${ctx.blast_cap}`;
  }
  return `blast ${ctx.blast_score}`;
}
