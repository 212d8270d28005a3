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
import { getCatalog, HallClient } from "../../mod.ts";
import { readEvents, type SseMessage } from "./sse.ts";
import { Badge, errorText, JsonView, TextInput } from "./ui.tsx";

const TOKEN_KEY = "wcp.dashboard.token";
const URL_KEY = "wcp.dashboard.url";
const EVENT_TYPES = ["decision", "dispatch", "approval", "alert"] as const;

type Json = Record<string, unknown>;

const token = signal<string | null>(sessionStorage.getItem(TOKEN_KEY));
const hallUrl = signal<string>(sessionStorage.getItem(URL_KEY) ?? location.origin);
const loginError = signal<string | null>(null);
const health = signal<Json | null>(null);
const workers = signal<Json[]>([]);
const approvals = signal<Json[]>([]);
const alerts = signal<Json[]>([]);
const feed = signal<{ n: number; event: string; data: Json; at: string }[]>([]);
const feedState = signal<"connecting" | "live" | "closed">("connecting");
const feedFilter = signal<Set<string>>(new Set(EVENT_TYPES));
const feedText = signal("");
const chainTenant = signal("acme");
const chainReport = signal<Json | null>(null);
const notes = signal<Record<string, string>>({});
const actionMessage = signal<string | null>(null);
const loadError = signal<string | null>(null);

let seq = 0;

function client(): HallClient {
  return new HallClient({ baseUrl: hallUrl.value, token: token.value ?? undefined });
}

/** Lists may come bare or wrapped (`{approvals: [...]}`); accept both. */
function list(v: unknown, ...keys: string[]): Json[] {
  if (Array.isArray(v)) return v as Json[];
  if (v && typeof v === "object") {
    for (const k of [...keys, "items", "data"]) {
      const inner = (v as Json)[k];
      if (Array.isArray(inner)) return inner as Json[];
    }
  }
  return [];
}

function isUnauthorized(e: unknown): boolean {
  return !!e && typeof e === "object" && "status" in e && (e as { status: number }).status === 401;
}

async function refresh(): Promise<void> {
  const c = client();
  try {
    const [h, w, a, al] = await Promise.all([
      c.health(),
      c.workers(),
      c.pendingApprovals(),
      c.alerts(),
    ]);
    health.value = h as unknown as Json;
    workers.value = list(w, "workers");
    approvals.value = list(a, "approvals", "pending");
    alerts.value = list(al, "alerts");
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

function onEvent(m: SseMessage): void {
  let data: Json;
  try {
    const parsed = JSON.parse(m.data);
    data = parsed && typeof parsed === "object" ? parsed : { value: parsed };
  } catch {
    data = { text: m.data };
  }
  feed.value = [{ n: ++seq, event: m.event, data, at: new Date().toISOString() }, ...feed.value]
    .slice(0, 200);
  if (m.event !== "decision") refreshSoon();
}

function useEventStream(): void {
  useEffect(() => {
    const ctl = new AbortController();
    let stopped = false;
    const run = async () => {
      while (!stopped) {
        feedState.value = "connecting";
        try {
          await readEvents(`${hallUrl.value}/wcp/events`, token.value ?? "", (m) => {
            feedState.value = "live";
            onEvent(m);
          }, ctl.signal);
        } catch (e) {
          if (stopped) return;
          if (String(e).includes("401")) {
            logout("The hall refused the token on the event stream (401).");
            return;
          }
        }
        feedState.value = "closed";
        await new Promise((r) => setTimeout(r, 2000)); // reconnect after a pause
      }
    };
    // The stream reports "live" once bytes arrive; a quiet hall is live as soon as it answers.
    run();
    return () => {
      stopped = true;
      ctl.abort();
    };
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

function Login(): JSX.Element {
  let typed = "";
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
          const t = typed.trim();
          if (!t) {
            loginError.value = "Enter a token.";
            return;
          }
          sessionStorage.setItem(TOKEN_KEY, t);
          sessionStorage.setItem(URL_KEY, hallUrl.value);
          loginError.value = null;
          token.value = t;
        }}
      >
        <TextInput
          id="hall-url"
          label="Hall URL"
          value={hallUrl.value}
          onInput={(v) => (hallUrl.value = v.replace(/\/+$/, ""))}
        />
        <TextInput id="token" label="Token" type="password" value="" onInput={(v) => (typed = v)} />
        <button type="submit" class="primary" id="sign-in">Sign in</button>
      </form>
      {loginError.value && <p class="error" role="alert">{loginError.value}</p>}
    </main>
  );
}

function Status(): JSX.Element {
  const h = health.value;
  const counts = (h?.counts ?? {}) as Record<string, unknown>;
  return (
    <section class="card" aria-labelledby="h-status">
      <h2 id="h-status">Status</h2>
      {!h ? <p class="muted">Loading…</p> : (
        <>
          <p>
            <Badge kind={h.status === "ok" || h.ok === true ? "ok" : "warn"}>
              <span id="hall-status">{String(h.status ?? (h.ok ? "ok" : "unknown"))}</span>
            </Badge>{" "}
            {h.compliance_level ? `compliance ${String(h.compliance_level)}` : ""}{" "}
            {h.version ? `version ${String(h.version)}` : ""}
          </p>
          <div class="stats" id="counters">
            {Object.entries(counts).map(([k, v]) => (
              <div class="stat" key={k}>
                <b>{typeof v === "object" ? JSON.stringify(v) : String(v)}</b>
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
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          act("Verify chain", async () => {
            chainReport.value = await client().verifyChain(chainTenant.value) as unknown as Json;
          });
        }}
      >
        <TextInput
          id="chain-tenant"
          label="Receipt chain of tenant"
          value={chainTenant.value}
          onInput={(v) => (chainTenant.value = v)}
        />
        <button type="submit" id="verify-hall-chain">Verify chain</button>
      </form>
      {chainReport.value && (
        <p id="hall-chain-status">
          <Badge kind={chainReport.value.ok ? "valid" : "invalid"}>
            {chainReport.value.ok ? "chain valid" : "chain BROKEN"}
          </Badge>{" "}
          {String(chainReport.value.count ?? "?")} receipts
        </p>
      )}
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
            <Badge kind="info">{e.event}</Badge> <span>{summary(e)}</span>{" "}
            <span class="muted">{e.at.slice(11, 19)}</span>
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
          const id = String(a.approval_id ?? a.id ?? "");
          const d = (a.decision ?? {}) as Json;
          const input = (a.input ?? a.route_input ?? {}) as Json;
          const field = (k: string) => String(a[k] ?? d[k] ?? input[k] ?? "");
          return (
            <li key={id} data-approval={id}>
              <p>
                <code>{field("capability_id")}</code> for tenant <code>{field("tenant_id")}</code>
                {" "}
                <Badge kind="pending">{field("supervisor_level") || "pending"}</Badge>
              </p>
              <p class="muted">
                approval <code>{id}</code>
                {field("expires_at") && `, expires ${field("expires_at")}`}
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
                    act(`Approve ${id}`, () =>
                      client().resolveApproval(id, "approve", notes.value[id]))}
                >
                  Approve
                </button>
                <button
                  type="button"
                  data-action="deny"
                  onClick={() =>
                    act(`Deny ${id}`, () =>
                      client().resolveApproval(id, "deny", notes.value[id]))}
                >
                  Deny
                </button>
                <button
                  type="button"
                  data-action="escalate"
                  onClick={() =>
                    act(`Escalate ${id}`, () => client().escalateApproval(id, notes.value[id]))}
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
  return (
    <section class="card" aria-labelledby="h-alerts">
      <h2 id="h-alerts">
        Alerts ({alerts.value.filter((a) => !a.acknowledged && !a.acknowledged_at).length} open)
      </h2>
      {alerts.value.length === 0 && <p class="muted">No alerts.</p>}
      <ul class="search-results" id="alerts">
        {alerts.value.map((a) => {
          const id = String(a.alert_id ?? a.id ?? "");
          const acked = Boolean(a.acknowledged || a.acknowledged_at);
          return (
            <li key={id}>
              <Badge kind={acked ? "acknowledged" : String(a.severity ?? "warn")}>
                {String(a.severity ?? "alert")}
              </Badge>{" "}
              <code>{String(a.kind ?? a.event_id ?? "")}</code> {String(a.message ?? "")}
              {acked ? <span class="muted">acknowledged</span> : (
                <button
                  type="button"
                  data-action="ack"
                  onClick={() => act(`Acknowledge ${id}`, () => client().acknowledgeAlert(id))}
                >
                  Acknowledge
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Workers(): JSX.Element {
  let species: { id: string; name: string }[] = [];
  try {
    species = getCatalog().ofType("species").map((e) => ({ id: e.id, name: e.name }));
  } catch {
    species = [];
  }
  const enrolledSpecies = new Set(workers.value.map((w) => String(w.worker_species_id ?? "")));
  return (
    <section class="card" aria-labelledby="h-workers">
      <h2 id="h-workers">Workers ({workers.value.length} enrolled)</h2>
      <ul id="workers">
        {workers.value.map((w) => (
          <li key={String(w.worker_id)}>
            <code>{String(w.worker_id)}</code>{" "}
            <span class="muted">{String(w.worker_species_id ?? "")}</span>
            {w.status === "revoked" && (
              <>
                <Badge kind="deny">revoked</Badge>
              </>
            )}
          </li>
        ))}
      </ul>
      <details>
        <summary>
          Catalog species ({species.length};{" "}
          {[...enrolledSpecies].filter((s) => species.some((x) => x.id === s)).length}{" "}
          enrolled here)
        </summary>
        <ul>
          {species.map((s) => (
            <li key={s.id}>
              <code>{s.id}</code> {s.name}
              {enrolledSpecies.has(s.id) && (
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
