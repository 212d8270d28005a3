/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The hall dashboard: status and counters, the live event feed (SSE with the bearer token),
 * workers (enrolled and catalog species), the approvals inbox, alerts and receipt chain status.
 * The token is entered once and kept in sessionStorage (gone when the tab closes).
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import {
  type ChainVerification,
  getCatalog,
  type HallAlert,
  type HallApproval,
  HallClient,
  HallError,
  type HallHealth,
  type HallStreamEvent,
  type HallWorker,
} from "../../mod.ts";
import { Badge, JsonView, TextInput } from "./ui.tsx";
import { errorText } from "./errors.ts";

const TOKEN_KEY = "wcp.dashboard.token";
const URL_KEY = "wcp.dashboard.url";
const EVENT_TYPES = ["decision", "dispatch", "approval", "alert"] as const;

type Json = Record<string, unknown>;

const token = signal<string | null>(sessionStorage.getItem(TOKEN_KEY));
const hallUrl = signal<string>(sessionStorage.getItem(URL_KEY) ?? location.origin);
const loginError = signal<string | null>(null);
const health = signal<HallHealth | null>(null);
const workers = signal<HallWorker[]>([]);
const approvals = signal<HallApproval[]>([]);
const alerts = signal<HallAlert[]>([]);
const feed = signal<{ n: number; event: string; data: Json; at: string }[]>([]);
const feedState = signal<"connecting" | "live" | "closed">("connecting");
const feedFilter = signal<Set<string>>(new Set(EVENT_TYPES));
const feedText = signal("");
const chains = signal<ChainVerification | null>(null);
const notes = signal<Record<string, string>>({});
const actionMessage = signal<string | null>(null);
const loadError = signal<string | null>(null);

let seq = 0;

function client(): HallClient {
  return new HallClient({ baseUrl: hallUrl.value, token: token.value ?? undefined });
}

function isUnauthorized(e: unknown): boolean {
  return e instanceof HallError && e.status === 401;
}

async function refresh(): Promise<void> {
  const c = client();
  try {
    const [h, w, a, al, ch] = await Promise.all([
      c.health(),
      c.workers(),
      c.pendingApprovals(),
      c.alerts(),
      c.verifyChain(),
    ]);
    health.value = h;
    workers.value = w;
    approvals.value = a;
    alerts.value = al;
    chains.value = ch;
    loadError.value = null;
  } catch (e) {
    if (isUnauthorized(e)) {
      logout("The hall refused the token (401). Enter it again.");
      return;
    }
    loadError.value = errorText(e);
  }
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;
function refreshSoon(): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
}

function logout(reason: string | null = null): void {
  sessionStorage.removeItem(TOKEN_KEY);
  token.value = null;
  loginError.value = reason;
}

function onEvent(m: HallStreamEvent): void {
  if (m.event === "ready") return;
  const at = new Date().toISOString();
  feed.value = [{ n: ++seq, event: m.event, data: m.data, at }, ...feed.value].slice(0, 200);
  refreshSoon();
}

function useEventStream(): void {
  useEffect(() => {
    const ctl = new AbortController();
    (async () => {
      while (!ctl.signal.aborted) {
        feedState.value = "connecting";
        try {
          // HallClient reads SSE with fetch, so the bearer token travels in a header.
          for await (const m of client().events({ signal: ctl.signal })) {
            feedState.value = "live";
            onEvent(m);
          }
        } catch (e) {
          if (ctl.signal.aborted) return;
          if (isUnauthorized(e)) {
            logout("The hall refused the token on the event stream (401).");
            return;
          }
        }
        if (ctl.signal.aborted) return;
        feedState.value = "closed";
        await new Promise((r) => setTimeout(r, 2000)); // reconnect after a pause
      }
    })();
    return () => ctl.abort();
  }, [token.value]);
}

async function act(label: string, fn: () => Promise<unknown>): Promise<void> {
  actionMessage.value = `${label}…`;
  try {
    await fn();
    actionMessage.value = `${label}: done.`;
  } catch (e) {
    actionMessage.value = `${label} failed: ${errorText(e)}`;
  }
  await refresh();
}

const typedToken = signal("");

function Login(): JSX.Element {
  return (
    <main class="card login">
      <h2>Sign in to the hall</h2>
      <p>
        Paste the admin (or namespace) token the hall printed when it started. It is kept in this
        tab's sessionStorage only.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const t = typedToken.value.trim();
          if (!t) {
            loginError.value = "Enter a token.";
            return;
          }
          sessionStorage.setItem(TOKEN_KEY, t);
          sessionStorage.setItem(URL_KEY, hallUrl.value);
          loginError.value = null;
          typedToken.value = "";
          token.value = t;
        }}
      >
        <TextInput
          id="hall-url"
          label="Hall URL"
          value={hallUrl.value}
          onInput={(v) => (hallUrl.value = v.replace(/\/+$/, ""))}
        />
        <TextInput
          id="token"
          label="Token"
          type="password"
          value={typedToken.value}
          onInput={(v) => (typedToken.value = v)}
        />
        <button type="submit" class="primary" id="sign-in">Sign in</button>
      </form>
      {loginError.value && <p class="error" role="alert">{loginError.value}</p>}
    </main>
  );
}

function Chains(): JSX.Element {
  const c = chains.value;
  if (!c) return <p class="muted">Receipt chains: checking…</p>;
  return (
    <div id="hall-chains">
      <h3>
        Receipt chains{" "}
        <Badge kind={c.ok ? "valid" : "invalid"}>
          <span id="hall-chain-status">{c.ok ? "all valid" : "BROKEN"}</span>
        </Badge>
      </h3>
      {c.tenants.length === 0 ? <p class="muted">No receipts yet.</p> : (
        <ul>
          {c.tenants.map((t) => (
            <li key={t.tenant_id}>
              <code>{t.tenant_id}</code>: {t.count} {t.count === 1 ? "receipt" : "receipts"}{" "}
              {t.ok ? <Badge kind="ok">valid</Badge> : (
                <Badge kind="deny">
                  broken at {t.breaks[0]?.index} ({t.breaks[0]?.kind})
                </Badge>
              )}
            </li>
          ))}
        </ul>
      )}
      <p class="muted hash">signing key {c.key_id}</p>
    </div>
  );
}

function Status(): JSX.Element {
  const h = health.value;
  return (
    <section class="card" aria-labelledby="h-status">
      <h2 id="h-status">Status</h2>
      {!h ? <p class="muted">Loading…</p> : (
        <>
          <p>
            <Badge kind={h.status === "ok" ? "ok" : "warn"}>
              <span id="hall-status">{h.status}</span>
            </Badge>{" "}
            {h.compliance_level} · WCP {h.wcp_version} · store {h.store.backend}
            {h.store.ok ? "" : " (DOWN)"}
          </p>
          <div class="stats" id="counters">
            {Object.entries(h.counts ?? {}).map(([k, v]) => (
              <div class="stat" key={k}>
                <b>{v}</b>
                {k.replaceAll("_", " ")}
              </div>
            ))}
          </div>
          <details>
            <summary>Health document</summary>
            <JsonView value={h} label="health JSON" />
          </details>
        </>
      )}
      <Chains />
    </section>
  );
}

function summary(e: { event: string; data: Json }): string {
  const d =
    (e.data.decision && typeof e.data.decision === "object" ? e.data.decision : e.data) as Json;
  const parts = [
    d.outcome,
    (d.deny_reason_if_denied as Json | null)?.code,
    d.capability_id,
    d.tenant_id,
    e.data.kind,
    e.data.message,
    e.data.status,
  ].filter((x) => typeof x === "string" && x);
  return parts.join(" · ");
}

function Feed(): JSX.Element {
  const shown = feed.value.filter((e) =>
    (feedFilter.value.has(e.event) ||
      !EVENT_TYPES.includes(e.event as typeof EVENT_TYPES[number])) &&
    (!feedText.value || JSON.stringify(e.data).toLowerCase().includes(feedText.value.toLowerCase()))
  );
  return (
    <section class="card" aria-labelledby="h-feed">
      <h2 id="h-feed">
        Live feed{" "}
        <Badge kind={feedState.value === "closed" ? "warn" : "ok"}>{feedState.value}</Badge>
      </h2>
      <fieldset class="toolbar">
        <legend>Show</legend>
        {EVENT_TYPES.map((t) => (
          <label key={t}>
            <input
              type="checkbox"
              id={`filter-${t}`}
              checked={feedFilter.value.has(t)}
              onChange={(e) => {
                const next = new Set(feedFilter.value);
                if ((e.currentTarget as HTMLInputElement).checked) next.add(t);
                else next.delete(t);
                feedFilter.value = next;
              }}
            />{" "}
            {t}
          </label>
        ))}
        <TextInput
          id="feed-text"
          label="Containing"
          value={feedText.value}
          onInput={(v) => (feedText.value = v)}
        />
      </fieldset>
      <ol class="feed" id="feed" aria-live="polite" aria-relevant="additions">
        {shown.map((e) => (
          <li key={e.n} data-event={e.event}>
            <details>
              <summary>
                <Badge kind="info">{e.event}</Badge> <span>{summary(e)}</span>{" "}
                <span class="muted">{e.at.slice(11, 19)}</span>
              </summary>
              <JsonView value={e.data} label={`${e.event} event ${e.n}`} />
            </details>
          </li>
        ))}
      </ol>
      {shown.length === 0 && <p class="muted">No events yet.</p>}
    </section>
  );
}

function Approvals(): JSX.Element {
  return (
    <section class="card" aria-labelledby="h-approvals">
      <h2 id="h-approvals">Approvals inbox ({approvals.value.length})</h2>
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
                {a.decision?.escalation_context &&
                  `, blast ${a.decision.escalation_context.blast_score}`}
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

function Alerts(): JSX.Element {
  const open = alerts.value.filter((a) => !a.acknowledged_at).length;
  return (
    <section class="card" aria-labelledby="h-alerts">
      <h2 id="h-alerts">Alerts ({open} open)</h2>
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

function Workers(): JSX.Element {
  const species = getCatalog().ofType("species");
  const enrolled = new Set(workers.value.map((w) => w.record.worker_species_id));
  return (
    <section class="card" aria-labelledby="h-workers">
      <h2 id="h-workers">Workers ({workers.value.length} enrolled)</h2>
      <ul id="workers">
        {workers.value.map((w) => (
          <li key={w.worker_id}>
            <code>{w.worker_id}</code> <span class="muted">{w.record.worker_species_id}</span>
            {w.status === "revoked" && (
              <>
                <Badge kind="deny">revoked</Badge>
              </>
            )}
            {w.flagged && (
              <>
                <Badge kind="deny">flagged</Badge>
              </>
            )}
            {w.attestation_verified === true && (
              <>
                <Badge kind="ok">attested</Badge>
              </>
            )}
          </li>
        ))}
      </ul>
      <details>
        <summary>
          Catalog species ({species.length}; {species.filter((s) => enrolled.has(s.id)).length}{" "}
          enrolled here)
        </summary>
        <ul id="catalog-species">
          {species.map((s) => (
            <li key={s.id}>
              <code>{s.id}</code> {s.name}
              {enrolled.has(s.id) && (
                <>
                  <Badge kind="ok">enrolled</Badge>
                </>
              )}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}

function Board(): JSX.Element {
  useEventStream();
  useEffect(() => {
    refresh();
    const t = setInterval(refresh, 10_000);
    return () => clearInterval(t);
  }, [token.value]);
  return (
    <main>
      {loadError.value && <p class="error" role="alert">{loadError.value}</p>}
      {actionMessage.value && <p role="status" id="action-message">{actionMessage.value}</p>}
      <div class="two-col">
        <div class="col">
          <Status />
          <Approvals />
          <Alerts />
        </div>
        <div class="col">
          <Feed />
          <Workers />
        </div>
      </div>
    </main>
  );
}

/** The dashboard page. */
export function DashboardApp(): JSX.Element {
  return (
    <>
      <header class="top">
        <h1>WCP hall dashboard</h1>
        <p class="tagline muted">{hallUrl.value}</p>
        {token.value && (
          <span class="share">
            <button type="button" id="sign-out" onClick={() => logout()}>Sign out</button>
          </span>
        )}
      </header>
      {token.value ? <Board /> : <Login />}
    </>
  );
}
