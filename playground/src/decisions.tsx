/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Decisions panel: edit the world, pick a scenario or write a RouteInput, and see the real
 * core's decision with its trace, telemetry and blast scores.
 *
 * @module
 */

import { computed } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { DATA_LABELS, DEFAULT_HALL_CONFIG, ENVS, QOS_CLASSES, TENANT_RISKS } from "../../mod.ts";
import { SCENARIOS } from "./examples.ts";
import { evaluate, type Evaluation } from "./evaluate.ts";
import { GATE_FIELDS, GATE_POLICY_VERSION, type GateRow } from "./gate.ts";
import {
  bansText,
  configText,
  gateRows,
  hashesText,
  inputText,
  loadWorld,
  registryText,
  rulesText,
  scenarioId,
} from "./state.ts";
import { Badge, JsonView, Select, TextArea, TextInput } from "./ui.tsx";

const evaluation = computed<Evaluation>(() =>
  evaluate({
    rules: rulesText.value,
    registry: registryText.value,
    config: configText.value,
    gate: gateRows.value,
    hashes: hashesText.value,
    input: inputText.value,
    bans: bansText.value,
  })
);

let firstDecisionMarked = false;

function ScenarioPicker(): JSX.Element {
  return (
    <fieldset class="scenarios">
      <legend>Example scenarios</legend>
      <div class="chips">
        {SCENARIOS.map((s) => (
          <button
            type="button"
            key={s.id}
            data-scenario={s.id}
            aria-pressed={scenarioId.value === s.id ? "true" : "false"}
            title={`Expected: ${s.expect}`}
            onClick={() => {
              scenarioId.value = s.id;
              loadWorld(s.world());
            }}
          >
            {s.label}
          </button>
        ))}
      </div>
    </fieldset>
  );
}

function inputObject(): Record<string, unknown> | null {
  try {
    const v = JSON.parse(inputText.value);
    return v && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function setInputField(field: string, value: string): void {
  const obj = inputObject();
  if (!obj) return;
  inputText.value = JSON.stringify({ ...obj, [field]: value }, null, 2);
}

function InputForm(): JSX.Element {
  const obj = inputObject();
  const disabled = obj === null;
  const str = (f: string) => (obj && typeof obj[f] === "string" ? obj[f] as string : "");
  const text = (f: string, label: string) => (
    <TextInput
      id={`in-${f}`}
      label={label}
      value={str(f)}
      disabled={disabled}
      onInput={(v) => setInputField(f, v)}
    />
  );
  const select = (f: string, label: string, options: readonly string[]) => (
    <Select
      id={`in-${f}`}
      label={label}
      value={str(f)}
      options={options}
      disabled={disabled}
      onChange={(v) => setInputField(f, v)}
    />
  );
  return (
    <fieldset class="form-grid">
      <legend>RouteInput fields{disabled && " (fix the JSON below to use the form)"}</legend>
      {text("capability_id", "capability_id")}
      {text("tenant_id", "tenant_id")}
      {text("correlation_id", "correlation_id")}
      {select("env", "env", ENVS)}
      {select("data_label", "data_label", DATA_LABELS)}
      {select("tenant_risk", "tenant_risk", TENANT_RISKS)}
      {select("qos_class", "qos_class", QOS_CLASSES)}
    </fieldset>
  );
}

function GateTable(): JSX.Element {
  const rows = gateRows.value;
  const update = (i: number, patch: Partial<GateRow>) => {
    gateRows.value = rows.map((r, j) => (j === i ? { ...r, ...patch } : r));
  };
  const move = (i: number, d: number) => {
    const next = rows.slice();
    const [r] = next.splice(i, 1);
    next.splice(i + d, 0, r);
    gateRows.value = next;
  };
  return (
    <div class="gate">
      <p class="hint">
        Consulted only when the matched rule sets{" "}
        <code>escalation.policy_gate</code>. First matching row wins; <code>*</code>{" "}
        matches anything; no match denies. Policy version <code>{GATE_POLICY_VERSION}</code>.
      </p>
      <div class="table-scroll" tabIndex={0} aria-label="Policy gate rows">
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              {GATE_FIELDS.map((f) => <th scope="col" key={f}>{f}</th>)}
              <th scope="col">decision</th>
              <th scope="col">reason</th>
              <th scope="col">
                <span class="sr-only">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                <td>{i + 1}</td>
                {GATE_FIELDS.map((f) => (
                  <td key={f}>
                    <input
                      aria-label={`row ${i + 1} ${f}`}
                      value={r[f]}
                      spellcheck={false}
                      onInput={(e) =>
                        update(i, { [f]: (e.currentTarget as HTMLInputElement).value })}
                    />
                  </td>
                ))}
                <td>
                  <select
                    aria-label={`row ${i + 1} decision`}
                    value={r.decision}
                    onChange={(e) =>
                      update(i, {
                        decision: (e.currentTarget as HTMLSelectElement)
                          .value as GateRow["decision"],
                      })}
                  >
                    <option>ALLOW</option>
                    <option>DENY</option>
                    <option>REQUIRE_HUMAN</option>
                  </select>
                </td>
                <td>
                  <input
                    aria-label={`row ${i + 1} reason`}
                    value={r.reason}
                    onInput={(e) =>
                      update(i, { reason: (e.currentTarget as HTMLInputElement).value })}
                  />
                </td>
                <td class="row-actions">
                  <button
                    type="button"
                    aria-label={`move row ${i + 1} up`}
                    disabled={i === 0}
                    onClick={() => move(i, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    aria-label={`move row ${i + 1} down`}
                    disabled={i === rows.length - 1}
                    onClick={() => move(i, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    aria-label={`remove row ${i + 1}`}
                    onClick={() => (gateRows.value = rows.filter((_, j) => j !== i))}
                  >
                    ✕
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button
        type="button"
        onClick={() => (gateRows.value = [...rows, {
          capability_id: "*",
          env: "*",
          data_label: "*",
          tenant_risk: "*",
          decision: "ALLOW",
          reason: "",
        }])}
      >
        Add gate row
      </button>
    </div>
  );
}

function Editors(): JSX.Element {
  const ev = evaluation.value;
  return (
    <div class="editors">
      <details open>
        <summary>Rules</summary>
        <TextArea
          id="rules"
          label="Rules document"
          value={rulesText.value}
          onInput={(v) => (rulesText.value = v)}
          error={ev.errors.rules}
          rows={14}
        />
        {ev.lint.length > 0 && (
          <div class="lint" id="lint-findings">
            <strong>Lint</strong> ({ev.lint.length} findings; the same checks as{" "}
            <code>wcp lint</code>):
            <ul>
              {ev.lint.map((f, i) => (
                <li key={i}>
                  <Badge
                    kind={f.severity === "error"
                      ? "deny"
                      : f.severity === "warning"
                      ? "warn"
                      : "info"}
                  >
                    {f.severity}
                  </Badge>{" "}
                  <code>{f.code}</code> {f.path && <code class="muted">{f.path}</code>} {f.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {ev.shadowWarnings.length > 0 && (
          <div class="warning" role="status" id="shadow-warnings">
            <strong>Shadowed rules</strong> (a request in prod or edge is denied until fixed):
            <ul>
              {ev.shadowWarnings.map((w) => (
                <li key={w.shadowed_rule_id + w.shadowing_rule_id}>
                  <code>{w.shadowed_rule_id}</code> can never match: {w.message}
                </li>
              ))}
            </ul>
          </div>
        )}
      </details>
      <details>
        <summary>Registry records</summary>
        <TextArea
          id="registry"
          label="Registry records (JSON array)"
          value={registryText.value}
          onInput={(v) => (registryText.value = v)}
          error={ev.errors.registry}
          rows={14}
        />
      </details>
      <details>
        <summary>Ban list</summary>
        <TextArea
          id="bans"
          label="Banned code hashes (a candidate carrying one is skipped)"
          value={bansText.value}
          onInput={(v) => (bansText.value = v)}
          error={ev.errors.bans}
          rows={6}
        />
      </details>
      <details>
        <summary>Hall config</summary>
        <TextArea
          id="config"
          label="Hall config (fields left out take the defaults)"
          value={configText.value}
          onInput={(v) => (configText.value = v)}
          error={ev.errors.config}
          rows={6}
        />
        <details>
          <summary>The defaults</summary>
          <JsonView value={DEFAULT_HALL_CONFIG} label="default hall config" />
        </details>
      </details>
      <details>
        <summary>Policy gate</summary>
        <GateTable />
      </details>
      <details>
        <summary>Current worker hashes</summary>
        <TextArea
          id="hashes"
          label="Current code hash of each worker (what attestation at dispatch compares)"
          value={hashesText.value}
          onInput={(v) => (hashesText.value = v)}
          error={ev.errors.hashes}
          rows={5}
        />
      </details>
    </div>
  );
}

function Result(): JSX.Element {
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

/** The Decisions panel. */
export function DecisionsPanel(): JSX.Element {
  // Three areas: on a phone the decision comes right after the request, before the editors.
  return (
    <div class="decisions">
      <div class="col d-input">
        <ScenarioPicker />
        <InputForm />
        <TextArea
          id="input"
          label="RouteInput (JSON; paste your own)"
          value={inputText.value}
          onInput={(v) => (inputText.value = v)}
          error={evaluation.value.errors.input}
          rows={12}
        />
      </div>
      <div class="col d-result">
        <h2 class="sr-only">Decision</h2>
        <Result />
      </div>
      <div class="col d-editors">
        <Editors />
      </div>
    </div>
  );
}
