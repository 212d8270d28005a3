/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Workers tab: enrol a worker (paste or upload its registry record; `artifact_hash` is
 * computed when omitted), and per worker: tenants served, attestation status and history,
 * tamper flag (cleared by an admin), update the record, revoke.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import {
  type HallWorker,
  recordHashJcs,
  validateRegistryRecord,
  type WorkerAttestation,
} from "../../../mod.ts";
import { errorText } from "../errors.ts";
import { Refused } from "./refused.tsx";
import { act, alerts, client, isAdmin, workers } from "./state.ts";
import { Badge, JsonView, TextArea, TextInput } from "../ui.tsx";

const EXAMPLE = {
  worker_id: "org.acme.summarizer.2",
  worker_species_id: "wrk.doc.summarizer",
  capabilities: ["cap.doc.summarize"],
  currently_implements: ["ctrl.obs.audit-log-append-only"],
  endpoint: "http://127.0.0.1:8790/",
  blast_radius: { data: 1, network: 0, financial: 0, time: 1, reversibility: "reversible" },
};

const recordText = signal("");
const selected = signal<string | null>(null);
const attestation = signal<Record<string, WorkerAttestation | string>>({});
const editText = signal<Record<string, string>>({});
const confirmRevoke = signal<string | null>(null);
const tamperNote = signal("");
const registerCurrent = signal(false);

/** The record as typed, checked by the core: the hash the hall will store, or why not. */
function preview(text: string): { ok: true; hash: string; given: boolean } | {
  ok: false;
  error: string;
} | null {
  if (!text.trim()) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${errorText(e)}` };
  }
  try {
    const r = validateRegistryRecord(parsed);
    const given = (parsed as Record<string, unknown>).artifact_hash !== undefined;
    return { ok: true, hash: r.artifact_hash ?? recordHashJcs(r), given };
  } catch (e) {
    const path = (e as { path?: string }).path;
    return { ok: false, error: `${errorText(e)}${path ? ` (at ${path})` : ""}` };
  }
}

function Enrol(): JSX.Element {
  const p = preview(recordText.value);
  return (
    <section class="card" aria-labelledby="h-enrol">
      <h2 id="h-enrol">Enrol a worker</h2>
      <p class="muted">
        Paste its registry record or load the file. Leave <code>artifact_hash</code>{" "}
        out: it is the SHA-256 of the record's JCS form (RFC 8785) without it, and is computed for
        you. An HTTP worker names its{" "}
        <code>endpoint</code>; its attestation is submitted later (<code>wcp attest submit</code>).
      </p>
      <TextArea
        id="enrol-record"
        label="Registry record (JSON)"
        rows={9}
        value={recordText.value}
        onInput={(v) => (recordText.value = v)}
        error={p && !p.ok ? p.error : null}
      />
      <div class="toolbar">
        <label class="file-pick" for="enrol-file">
          Or load a record file{" "}
          <input
            type="file"
            id="enrol-file"
            accept=".json,application/json"
            onChange={async (e) => {
              const f = (e.currentTarget as HTMLInputElement).files?.[0];
              if (f) recordText.value = await f.text();
            }}
          />
        </label>
        <button
          type="button"
          onClick={() => (recordText.value = JSON.stringify(EXAMPLE, null, 2))}
        >
          Example record
        </button>
      </div>
      {p?.ok && (
        <p id="enrol-hash" class="hash">
          artifact_hash {p.given ? "(given, checked)" : "(computed)"}: {p.hash}
        </p>
      )}
      <button
        type="button"
        class="primary"
        id="enrol-submit"
        disabled={!p?.ok}
        onClick={async () => {
          const record = JSON.parse(recordText.value);
          const ok = await act(`Enrol ${record.worker_id}`, () => client().enroll(record));
          if (ok) {
            recordText.value = "";
            selected.value = record.worker_id;
          }
        }}
      >
        Enrol
      </button>
    </section>
  );
}

async function loadAttestation(id: string): Promise<void> {
  try {
    const a = await client().workerAttestation(id);
    attestation.value = { ...attestation.value, [id]: a };
  } catch (e) {
    attestation.value = { ...attestation.value, [id]: errorText(e) };
  }
}

function tenantsServed(w: HallWorker): string {
  const t = w.record.tenants;
  if (t === undefined || t.includes("*")) return "every tenant";
  return t.join(", ");
}

function History(props: { w: HallWorker }): JSX.Element {
  const id = props.w.worker_id;
  const a = attestation.value[id];
  const related = alerts.value.filter((x) =>
    x.subject === id || (x.details as Record<string, unknown>).worker_id === id ||
    ((x.details as Record<string, unknown>).workers as string[] | undefined)?.includes(id)
  );
  const reg = props.w.record.attestation;
  const rows: { at: string; what: JSX.Element }[] = [
    { at: props.w.enrolled_at, what: <>enrolled</> },
    ...(reg?.attested_at
      ? [{
        at: String(reg.attested_at),
        what: (
          <>
            code hash registered ({String(reg.hash_method ?? "declared")}
            {reg.attested_by ? `, by ${String(reg.attested_by)}` : ""}):{" "}
            <span class="hash">{String(reg.code_hash)}</span>
          </>
        ),
      }]
      : []),
    ...related.map((x) => ({
      at: x.created_at,
      what: (
        <>
          <Badge kind={x.severity <= 1 ? "sev1" : "warn"}>{x.kind}</Badge> {x.message}
          {x.acknowledged_at && <span class="muted">(acknowledged)</span>}
        </>
      ),
    })),
  ];
  if (a && typeof a !== "string" && a.attestation) {
    rows.push({
      at: a.attestation.verified_at,
      what: (
        <>
          attestation{" "}
          <Badge kind={a.attestation.verified ? "ok" : "deny"}>
            {a.attestation.verified ? "verified" : a.attestation.detail}
          </Badge>
        </>
      ),
    });
  }
  rows.sort((x, y) => x.at.localeCompare(y.at));
  return (
    <ol class="history" data-history={id}>
      {rows.map((r, i) => (
        <li key={i}>
          <span class="muted">{r.at.replace("T", " ").slice(0, 19)}</span> {r.what}
        </li>
      ))}
    </ol>
  );
}

function AttestationStatus(props: { w: HallWorker }): JSX.Element {
  const id = props.w.worker_id;
  const a = attestation.value[id];
  if (a === undefined) return <p class="muted">Loading attestation…</p>;
  if (typeof a === "string") return <p class="warning">Attestation: {a}</p>;
  const differs = a.current_hash !== null && a.current_hash !== a.registered_hash;
  return (
    <dl class="facts" data-attestation={id}>
      <dt>registered hash</dt>
      <dd class="hash">{a.registered_hash ?? "none yet (the first verified package sets it)"}</dd>
      <dt>current hash</dt>
      <dd class="hash">
        {a.current_hash ?? "no verified package yet"}
        {differs && (
          <>
            {" "}
            <Badge kind="deny">differs</Badge>
          </>
        )}
      </dd>
      <dt>last attestation</dt>
      <dd>
        {a.attestation
          ? (
            <>
              <Badge kind={a.attestation.verified ? "ok" : "deny"}>
                {a.attestation.verified ? "verified" : a.attestation.detail}
              </Badge>{" "}
              {a.attestation.verified_at}
            </>
          )
          : "none submitted"}
      </dd>
    </dl>
  );
}

function ClearTamper(props: { w: HallWorker }): JSX.Element {
  const id = props.w.worker_id;
  if (!isAdmin.value) {
    return (
      <p class="warning">
        This worker is flagged as tampered. Only an admin can clear the flag; a verified attestation
        of the registered code clears it too.
      </p>
    );
  }
  return (
    <fieldset class="tamper">
      <legend>Clear the tamper flag (admin)</legend>
      <TextInput
        id={`tamper-note-${id}`}
        label="What you checked"
        value={tamperNote.value}
        onInput={(v) => (tamperNote.value = v)}
      />
      <label>
        <input
          type="checkbox"
          id={`register-current-${id}`}
          checked={registerCurrent.value}
          onChange={(e) => (registerCurrent.value = (e.currentTarget as HTMLInputElement).checked)}
        />{" "}
        Accept the new code (register the verified current hash)
      </label>
      <div class="toolbar">
        <button
          type="button"
          data-action="clear-tamper"
          onClick={() =>
            act(`Clear the tamper flag of ${id}`, async () => {
              await client().clearTamper(id, {
                ...(tamperNote.value ? { note: tamperNote.value } : {}),
                ...(registerCurrent.value ? { register_current: true } : {}),
              });
              tamperNote.value = "";
              registerCurrent.value = false;
              await loadAttestation(id);
            })}
        >
          Clear the flag
        </button>
      </div>
    </fieldset>
  );
}

function Details(props: { w: HallWorker }): JSX.Element {
  const w = props.w;
  const id = w.worker_id;
  const { artifact_hash: _h, ...editable } = w.record as unknown as Record<string, unknown>;
  const text = editText.value[id] ?? JSON.stringify(editable, null, 2);
  const p = editText.value[id] !== undefined ? preview(text) : null;
  return (
    <div class="worker-details" id={`worker-details-${id}`}>
      <h4>Attestation</h4>
      <AttestationStatus w={w} />
      {w.flagged && <ClearTamper w={w} />}
      <h4>History</h4>
      <History w={w} />
      {w.status === "active" && (
        <>
          <h4>Update the record</h4>
          <TextArea
            id={`edit-${id}`}
            label={`Record of ${id} (artifact_hash is recomputed)`}
            rows={10}
            value={text}
            onInput={(v) => (editText.value = { ...editText.value, [id]: v })}
            error={p && !p.ok ? p.error : null}
          />
          <div class="toolbar">
            <button
              type="button"
              data-action="update"
              disabled={p !== null && !p.ok}
              onClick={async () => {
                const record = JSON.parse(text);
                delete record.artifact_hash;
                const ok = await act(`Update ${id}`, () => client().updateWorker(id, record));
                if (ok) {
                  const { [id]: _done, ...rest } = editText.value;
                  editText.value = rest;
                }
              }}
            >
              Save the record
            </button>
            {confirmRevoke.value === id
              ? (
                <>
                  <span role="alert">Revoke {id}? It is never dispatched again.</span>
                  <button
                    type="button"
                    data-action="confirm-revoke"
                    onClick={async () => {
                      confirmRevoke.value = null;
                      await act(`Revoke ${id}`, () => client().revokeWorker(id));
                    }}
                  >
                    Yes, revoke
                  </button>
                  <button type="button" onClick={() => (confirmRevoke.value = null)}>
                    Keep it
                  </button>
                </>
              )
              : (
                <button
                  type="button"
                  data-action="revoke"
                  onClick={() => (confirmRevoke.value = id)}
                >
                  Revoke…
                </button>
              )}
          </div>
        </>
      )}
    </div>
  );
}

/** The Workers tab. */
export function ManageWorkers(): JSX.Element {
  return (
    <div class="col">
      <Enrol />
      <section class="card" aria-labelledby="h-manage-workers">
        <h2 id="h-manage-workers">Enrolled workers ({workers.value.length})</h2>
        <Refused part="workers" />
        <ul class="search-results" id="manage-workers">
          {workers.value.map((w) => {
            const id = w.worker_id;
            const open = selected.value === id;
            return (
              <li key={id} data-worker={id}>
                <p>
                  <code>{id}</code> <span class="muted">{w.record.worker_species_id}</span>{" "}
                  <Badge kind={w.status === "active" ? "ok" : "deny"}>{w.status}</Badge>
                  {w.flagged && (
                    <>
                      {" "}
                      <Badge kind="deny">tamper flag</Badge>
                    </>
                  )}
                  {w.attestation_verified !== null && (
                    <>
                      {" "}
                      <Badge kind={w.attestation_verified ? "ok" : "deny"}>
                        {w.attestation_verified ? "attested" : "attestation failed"}
                      </Badge>
                    </>
                  )}
                  {w.view === "shared" && (
                    <>
                      {" "}
                      <Badge kind="info">another namespace's</Badge>
                    </>
                  )}
                </p>
                <p class="muted">
                  serves {tenantsServed(w)}; capabilities {w.record.capabilities.join(", ")}
                  {w.record.endpoint ? `; endpoint ${String(w.record.endpoint)}` : ""}
                </p>
                {w.view === "full" && (
                  <button
                    type="button"
                    aria-expanded={open ? "true" : "false"}
                    aria-controls={`worker-details-${id}`}
                    data-action="details"
                    onClick={() => {
                      selected.value = open ? null : id;
                      if (!open) loadAttestation(id);
                    }}
                  >
                    {open ? "Hide" : "Manage"}
                  </button>
                )}
                {open && <Details w={w} />}
              </li>
            );
          })}
        </ul>
        <details>
          <summary>Raw worker list</summary>
          <JsonView value={workers.value} label="workers JSON" />
        </details>
      </section>
    </div>
  );
}
