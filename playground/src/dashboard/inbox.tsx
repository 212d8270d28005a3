/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The approvals inbox, one card per held request (the request, why it is held, its blast
 * dimensions with the chain total and cap, who asked, a live expiry countdown; approve, deny,
 * escalate with a note), and alerts (acknowledge).
 *
 * @module
 */

import type { JSX } from "preact";
import { blastDimensionsScore, type BlastRadius, type HallApproval } from "../../../mod.ts";
import { Refused } from "./refused.tsx";
import {
  act,
  actOnApproval,
  alerts,
  approvals,
  cardErrors,
  client,
  notes,
  nowMs,
  workers,
} from "./state.ts";
import { Badge, JsonView, TextInput } from "../ui.tsx";
import { countdown } from "./figures.ts";

const HOLD_REASONS: Record<string, string> = {
  rule_requires_human: "the matched rule requires a human",
  blast_over_cap: "the chain's blast total is over the rule's cap",
};

const DIMENSIONS = ["data", "network", "financial", "time", "reversibility"] as const;
const REVERSIBILITY: Record<string, number> = {
  "reversible": 0,
  "partially-reversible": 2,
  "difficult": 4,
  "irreversible": 5,
};

/** The five blast dimensions of the selected worker as bars, and the chain total against the cap. */
function Blast(props: { a: HallApproval }): JSX.Element {
  const d = props.a.decision;
  const ctx = d.escalation_context;
  const worker = workers.value.find((w) => w.worker_id === d.selected_worker_id);
  const radius = worker?.record.blast_radius as Record<string, unknown> | undefined;
  const own = d.blast_dimensions_score ??
    (radius ? blastDimensionsScore(radius as unknown as BlastRadius) : null);
  const chain = ctx?.chain_blast_score ?? d.chain_blast_score;
  const cap = ctx?.blast_cap;
  return (
    <div class="blast" data-blast>
      <p>
        Blast score <b>{d.blast_score ?? "not scored"}</b>
        <span class="muted">/100 (heuristic)</span>; five dimensions{" "}
        <b data-blast-own>{own ?? "unknown"}</b>
        <span class="muted">/25</span>
        {chain !== null && chain !== undefined && (
          <>
            ; chain total <b data-chain-total>{chain}</b>
          </>
        )}
        {cap !== undefined && (
          <>
            {" "}against cap <b data-blast-cap>{cap}</b>
            {chain !== null && chain !== undefined && chain > cap && (
              <>
                {" "}
                <Badge kind="deny">over the cap by {chain - cap}</Badge>
              </>
            )}
          </>
        )}
      </p>
      {radius && (
        <ul class="dims" aria-label="Blast dimensions of the selected worker (0-5 each)">
          {DIMENSIONS.map((k) => {
            const raw = radius[k];
            const v = typeof raw === "number" ? raw : REVERSIBILITY[String(raw)] ?? 0;
            return (
              <li key={k}>
                <span class="dim-name">{k}</span>
                <span class="dim-bar" aria-hidden="true">
                  <span style={{ width: `${(v / 5) * 100}%` }} />
                </span>
                <span class="dim-value">
                  {typeof raw === "number" ? raw : `${String(raw)} (${v})`}
                </span>
              </li>
            );
          })}
        </ul>
      )}
      {cap !== undefined && chain !== null && chain !== undefined && (
        <svg
          class="cap-bar"
          viewBox="0 0 260 34"
          role="img"
          aria-label={`chain total ${chain} against cap ${cap}, on a scale of 0 to 25`}
        >
          <rect x="0" y="4" width="250" height="12" class="track" />
          <rect
            x="0"
            y="4"
            width={Math.min(250, chain * 10)}
            height="12"
            class={chain > cap ? "over" : "under"}
          />
          <line x1={cap * 10} x2={cap * 10} y1="0" y2="20" class="cap" />
          <text x={cap * 10} y="31" class="tick" text-anchor="middle">cap {cap}</text>
          <text x="0" y="31" class="tick">0</text>
          <text x="250" y="31" class="tick" text-anchor="end">25</text>
        </svg>
      )}
    </div>
  );
}

function ApprovalCard(props: { a: HallApproval }): JSX.Element {
  const a = props.a;
  const id = a.approval_id;
  const d = a.decision;
  const ctx = d.escalation_context;
  const note = () => notes.value[id] || undefined;
  const left = countdown(a.expires_at, nowMs.value);
  const error = cardErrors.value[id];
  const input = a.input as Record<string, unknown>;
  const reasons = ctx?.hold_reasons ?? [];
  return (
    <li data-approval={id} class="approval-card" aria-labelledby={`ap-${id}`}>
      <h3 id={`ap-${id}`}>
        <code>{a.capability_id}</code> for tenant <code>{a.tenant_id}</code>{" "}
        <Badge kind="pending">{a.supervisor_level}</Badge>
        {a.escalations > 0 && (
          <>
            {" "}
            <Badge kind="escalated">escalated ×{a.escalations}</Badge>
          </>
        )}
      </h3>
      <p class="countdown" data-countdown>
        {left
          ? (
            <>
              Expires in <b>{left}</b> <span class="muted">({a.expires_at})</span>
            </>
          )
          : <Badge kind="deny">expired {a.expires_at}</Badge>}
      </p>
      <dl class="facts">
        <dt>requested by</dt>
        <dd data-requester>
          {a.requested_by
            ? (
              <>
                {a.requested_by.label || "(no label)"} <code>{a.requested_by.principal_id}</code>
              </>
            )
            : <span class="muted">not recorded</span>}
        </dd>
        <dt>request</dt>
        <dd>
          env <code>{String(input.env)}</code>, data <code>{String(input.data_label)}</code>, risk
          {" "}
          <code>{String(input.tenant_risk)}</code>, QoS <code>{String(input.qos_class)}</code>
        </dd>
        <dt>worker</dt>
        <dd>
          {d.selected_worker_id ? <code>{d.selected_worker_id}</code> : "none selected"}
          {d.selected_worker_species_id && (
            <>
              {" "}
              <span class="muted">({d.selected_worker_species_id})</span>
            </>
          )}
        </dd>
        <dt>rule</dt>
        <dd>
          <code>{d.matched_rule_id}</code> <span class="muted">policy {d.policy_version}</span>
        </dd>
        <dt>ids</dt>
        <dd class="hash">
          approval {id}, correlation {a.correlation_id}
        </dd>
      </dl>
      <h4>Why it is held</h4>
      {reasons.length === 0
        ? <p class="muted">No reason recorded.</p>
        : (
          <ul class="hold-reasons" data-hold-reasons>
            {reasons.map((r, i) => (
              <li key={i}>
                <code>{r}</code>
                {HOLD_REASONS[r] && <span class="muted">: {HOLD_REASONS[r]}</span>}
              </li>
            ))}
          </ul>
        )}
      <h4>Blast radius</h4>
      <Blast a={a} />
      <details>
        <summary>The full request</summary>
        <JsonView value={a.input} label={`request of approval ${id}`} />
      </details>
      <details>
        <summary>The holding decision</summary>
        <JsonView value={a.decision} label={`decision of approval ${id}`} />
      </details>
      <TextInput
        id={`note-${id}`}
        label="Note"
        value={notes.value[id] ?? ""}
        onInput={(v) => (notes.value = { ...notes.value, [id]: v })}
      />
      {error && (
        <p class="error card-error" role="alert" data-card-error={error.code}>
          {error.code === "APPROVER_IS_REQUESTER"
            ? (
              <>
                <strong>You cannot resolve your own request.</strong>{" "}
                The hall refused it (403 APPROVER_IS_REQUESTER): this token raised the hold, and a
                second person must approve or deny it. Sign in with another admin token.
              </>
            )
            : error.message}
        </p>
      )}
      <div class="toolbar">
        <button
          type="button"
          class="primary"
          data-action="approve"
          onClick={() =>
            actOnApproval(
              id,
              `Approve ${id}`,
              () => client().resolveApproval(id, "approve", note()),
            )}
        >
          Approve
        </button>
        <button
          type="button"
          data-action="deny"
          onClick={() =>
            actOnApproval(id, `Deny ${id}`, () => client().resolveApproval(id, "deny", note()))}
        >
          Deny
        </button>
        <button
          type="button"
          data-action="escalate"
          onClick={() =>
            actOnApproval(id, `Escalate ${id}`, () => client().escalateApproval(id, note()))}
        >
          Escalate
        </button>
      </div>
    </li>
  );
}

/** The approvals inbox. */
export function Approvals(): JSX.Element {
  return (
    <section class="card" aria-labelledby="h-approvals">
      <h2 id="h-approvals">Approvals inbox ({approvals.value.length})</h2>
      <Refused part="approvals" />
      {approvals.value.length === 0 && <p class="muted" id="no-approvals">Nothing waiting.</p>}
      <ul class="search-results" id="approvals">
        {approvals.value.map((a) => <ApprovalCard key={a.approval_id} a={a} />)}
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
