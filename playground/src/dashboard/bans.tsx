/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Bans tab: report a code hash (any token), and review the reports (admin): confirm
 * (enforced at dispatch), reject a report, lift a confirmed ban, confirm a rejected or lifted one
 * again.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import type { BanStatus, HallBan } from "../../../mod.ts";
import { Refused } from "./refused.tsx";
import { act, bans, client, isAdmin, workers } from "./state.ts";
import { Badge, Select, TextInput } from "../ui.tsx";

const sha = signal("");
const reason = signal("");
const evidence = signal("");
const filter = signal<"all" | BanStatus>("all");
const banNotes = signal<Record<string, string>>({});

const KIND: Record<BanStatus, string> = {
  reported: "pending",
  confirmed: "deny",
  rejected: "skip",
  lifted: "ok",
};

function Actions(props: { b: HallBan }): JSX.Element | null {
  const b = props.b;
  if (!isAdmin.value) return null;
  const note = () => banNotes.value[b.sha256] || undefined;
  const short = b.sha256.slice(7, 19);
  const confirm = (
    <button
      type="button"
      class={b.status === "reported" ? "primary" : ""}
      data-action="confirm-ban"
      onClick={() => act(`Confirm ban ${short}…`, () => client().confirmBan(b.sha256))}
    >
      {b.status === "reported" ? "Confirm" : "Confirm again"}
    </button>
  );
  return (
    <>
      {b.status !== "confirmed" && b.status !== "rejected" && b.status !== "lifted" && (
        <TextInput
          id={`ban-note-${b.sha256.slice(7)}`}
          label="Note"
          value={banNotes.value[b.sha256] ?? ""}
          onInput={(v) => (banNotes.value = { ...banNotes.value, [b.sha256]: v })}
        />
      )}
      {b.status === "confirmed" && (
        <TextInput
          id={`ban-note-${b.sha256.slice(7)}`}
          label="Why lift it"
          value={banNotes.value[b.sha256] ?? ""}
          onInput={(v) => (banNotes.value = { ...banNotes.value, [b.sha256]: v })}
        />
      )}
      <div class="toolbar">
        {b.status === "reported" && (
          <>
            {confirm}
            <button
              type="button"
              data-action="reject-ban"
              onClick={() =>
                act(`Reject report ${short}…`, () => client().rejectBan(b.sha256, note()))}
            >
              Reject
            </button>
          </>
        )}
        {b.status === "confirmed" && (
          <button
            type="button"
            data-action="lift-ban"
            onClick={() => act(`Lift ban ${short}…`, () => client().liftBan(b.sha256, note()))}
          >
            Lift the ban
          </button>
        )}
        {(b.status === "rejected" || b.status === "lifted") && confirm}
      </div>
    </>
  );
}

/** The Bans tab. */
export function BansTab(): JSX.Element {
  const shown = bans.value.filter((b) => filter.value === "all" || b.status === filter.value);
  const carriers = (h: string) =>
    workers.value.filter((w) => w.current_hash === h || w.record.attestation?.code_hash === h).map((
      w,
    ) => w.worker_id);
  return (
    <div class="col">
      <section class="card" aria-labelledby="h-report-ban">
        <h2 id="h-report-ban">Report a code hash</h2>
        <p class="muted">
          A report is not enforced until an admin confirms it; a confirmed hash is refused at
          dispatch (<code>DENY_WORKER_BANNED</code>).
        </p>
        <form
          class="form-grid"
          onSubmit={async (e) => {
            e.preventDefault();
            const ok = await act("Report a hash", () =>
              client().reportBan({
                sha256: sha.value.trim(),
                reason: reason.value.trim(),
                ...(evidence.value.trim() ? { evidence_url: evidence.value.trim() } : {}),
              }));
            if (ok) sha.value = reason.value = evidence.value = "";
          }}
        >
          <TextInput
            id="ban-sha"
            label="sha256"
            value={sha.value}
            placeholder="sha256:…"
            onInput={(v) => (sha.value = v)}
          />
          <TextInput
            id="ban-reason"
            label="Reason"
            value={reason.value}
            onInput={(v) => (reason.value = v)}
          />
          <TextInput
            id="ban-evidence"
            label="Evidence URL (optional)"
            value={evidence.value}
            onInput={(v) => (evidence.value = v)}
          />
          <div class="field">
            <button type="submit" class="primary" id="ban-report">Report</button>
          </div>
        </form>
      </section>
      <section class="card" aria-labelledby="h-bans">
        <h2 id="h-bans">Ban list ({bans.value.length})</h2>
        <Refused part="bans" />
        <Select
          id="ban-filter"
          label="Show"
          value={filter.value}
          options={["all", "reported", "confirmed", "rejected", "lifted"]}
          onChange={(v) => (filter.value = v as typeof filter.value)}
        />
        {shown.length === 0 && <p class="muted">Nothing here.</p>}
        <ul class="search-results" id="bans">
          {shown.map((b) => {
            const hit = carriers(b.sha256);
            return (
              <li key={b.sha256} data-ban={b.sha256} data-status={b.status}>
                <p>
                  <Badge kind={KIND[b.status] ?? "info"}>{b.status}</Badge>{" "}
                  <span class="hash">{b.sha256}</span>
                </p>
                <p>
                  {b.reason}{" "}
                  <span class="muted">
                    reported {b.reported_at.slice(0, 19).replace("T", " ")} by {b.source}
                    {b.confirmed_by && `; confirmed by ${b.confirmed_by}`}
                    {b.reviewed_by && `; ${b.status} by ${b.reviewed_by}`}
                  </span>
                </p>
                {b.review_note && <p class="muted">note: {b.review_note}</p>}
                {b.evidence_url && (
                  <p>
                    <a href={b.evidence_url} rel="noopener noreferrer" target="_blank">evidence</a>
                  </p>
                )}
                {hit.length > 0 && (
                  <p class="warning">Enrolled workers carrying it: {hit.join(", ")}</p>
                )}
                <Actions b={b} />
              </li>
            );
          })}
        </ul>
      </section>
    </div>
  );
}
