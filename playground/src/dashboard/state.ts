/// <reference lib="dom" />
/**
 * Dashboard state: the hall client, the signals every section reads, refresh, the live stream
 * and actions.
 *
 * @module
 */

import { computed, signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import {
  type ChainVerification,
  type HallAlert,
  type HallApproval,
  type HallBan,
  HallClient,
  HallError,
  type HallHealth,
  type HallListName,
  type HallLists,
  type HallNamespace,
  type HallStats,
  type HallStreamEvent,
  type HallTier,
  type HallToken,
  type HallWorker,
} from "../../../mod.ts";
import { errorText } from "../errors.ts";
import { download } from "../ui.tsx";

export const TOKEN_KEY = "wcp.dashboard.token";
export const URL_KEY = "wcp.dashboard.url";
export const EVENT_TYPES = ["decision", "dispatch", "approval", "alert", "ban"] as const;

export type Json = Record<string, unknown>;

export const token = signal<string | null>(sessionStorage.getItem(TOKEN_KEY));
export const hallUrl = signal<string>(sessionStorage.getItem(URL_KEY) ?? location.origin);
export const loginError = signal<string | null>(null);
export const health = signal<HallHealth | null>(null);
export const workers = signal<HallWorker[]>([]);
export const approvals = signal<HallApproval[]>([]);
export const alerts = signal<HallAlert[]>([]);
export const feed = signal<{ n: number; event: string; data: Json; at: string }[]>([]);
export const feedState = signal<"connecting" | "live" | "closed">("connecting");
export const feedFilter = signal<Set<string>>(new Set(EVENT_TYPES));
export const feedText = signal("");
export const chains = signal<ChainVerification | null>(null);
export const notes = signal<Record<string, string>>({});
export const actionMessage = signal<string | null>(null);
export const loadError = signal<string | null>(null);
export const namespaces = signal<HallNamespace[]>([]);
export const tokens = signal<HallToken[] | null>(null);
export const tiers = signal<HallTier[]>([]);
export const bans = signal<HallBan[]>([]);
export const stats = signal<HallStats | null>(null);
/** Minutes of the charts' window. */
export const statsWindow = signal(30);
/** The dashboard's tab. */
export const tab = signal("overview");
/** Ticks every second while signed in (expiry countdowns). */
export const nowMs = signal(Date.now());
/** An error answered to an action on one approval card, by approval id. */
/**
 * Rows a section holds at most: each list is read as one page of the hall's (cursor pages,
 * issue 14), so a hall with 100k workers or approvals costs the dashboard one bounded request.
 */
export const LIST_CAP = 1000;
/** The sections whose list had more rows than `LIST_CAP` (the first ones are shown). */
export const truncated = signal<string[]>([]);

export const cardErrors = signal<Record<string, { code: string; message: string }>>({});
/** A secret the hall shows once (a new token), until the operator dismisses it. */
export const revealed = signal<{ title: string; token: string; token_id: string } | null>(null);
/** Set once the first-run setup was offered; closed only by the operator. */
export const setupOpen = signal(false);
/**
 * False from sign-in until the hall's namespaces and tokens are known, i.e. until it is known
 * whether the first panel is the first-run setup or the overview: the board shows no panel
 * before, so none is shown and then replaced under the operator (a slow part, e.g. verifying the
 * receipt chains of a large hall, does not hold it).
 */
export const boardReady = signal(false);
/** The setup opens by itself at most once per sign-in, never again once closed or left. */
let setupOffered = false;
/** How many refreshes have ended since the page loaded (the board's `data-refreshes`). */
export const refreshes = signal(0);

/** The signed-in token is an admin's (it may list tokens). */
export const isAdmin = computed(() => tokens.value !== null);

/**
 * First run: the hall has no namespace yet and its only active token is the bootstrap admin's
 * (the one signed in).
 */
export const firstRun = computed(() =>
  tokens.value !== null && namespaces.value.length === 0 &&
  tokens.value.filter((t) => t.revoked_at === null).length === 1
);

let seq = 0;

/** A client for the signed-in hall. */
export function client(): HallClient {
  return new HallClient({ baseUrl: hallUrl.value, token: token.value ?? undefined });
}

export function isUnauthorized(e: unknown): boolean {
  return e instanceof HallError && e.status === 401;
}

/** Sections the signed-in token may not read (a namespace token sees its own tenant only). */
export const refused = signal<Record<string, string>>({});

/**
 * Reload status, workers, approvals, alerts and chain status. Each part stands alone: a part the
 * token may not read (403) is reported in its own section, and the others still load.
 */
export async function refresh(): Promise<void> {
  const c = client();
  const cut = new Set<string>();
  // One page of up to LIST_CAP rows (whole rows for workers and approvals, which the sections
  // show in full); a list with more is named in `truncated`.
  const first = async <K extends HallListName>(
    name: string,
    list: K,
    query: HallLists[K]["query"],
  ): Promise<HallLists[K]["item"][]> => {
    const p = await c.page(list, { ...query, limit: LIST_CAP });
    if (p.next_cursor !== null) cut.add(name);
    return p.items;
  };
  const parts = [
    ["health", () => c.health().then((v) => (health.value = v))],
    [
      "workers",
      () =>
        first("workers", "workers", { detail: "full" }).then((
          v,
        ) => (workers.value = v as unknown as HallWorker[])),
    ],
    [
      "approvals",
      () =>
        first("approvals", "approvals/pending", { detail: "full" }).then((
          v,
        ) => (approvals.value = v as unknown as HallApproval[])),
    ],
    ["alerts", () => first("alerts", "alerts", {}).then((v) => (alerts.value = v))],
    ["chains", () => c.verifyChain().then((v) => (chains.value = v))],
    ["namespaces", () => first("namespaces", "namespaces", {}).then((v) => (namespaces.value = v))],
    ["tokens", () =>
      first("tokens", "tokens", {}).then((v) => (tokens.value = v), (e) => {
        tokens.value = null;
        throw e;
      })],
    ["tiers", () => c.tiers().then((v) => (tiers.value = v))],
    ["bans", () => first("bans", "ban-list", {}).then((v) => (bans.value = v))],
  ] as const;
  const running = parts.map(([, load]) => load());
  const settled = Promise.allSettled(running); // handles every refusal from the start
  // Whether this is a first run is known from namespaces and tokens alone.
  await Promise.allSettled(
    running.filter((_, i) => parts[i][0] === "namespaces" || parts[i][0] === "tokens"),
  );
  if (!setupOffered && token.value !== null) {
    setupOffered = true;
    if (firstRun.value) {
      setupOpen.value = true;
      tab.value = "setup";
    }
  }
  boardReady.value = true;
  const results = await settled;
  const failed: string[] = [];
  const denied: Record<string, string> = {};
  for (const [i, r] of results.entries()) {
    if (r.status === "fulfilled") continue;
    if (isUnauthorized(r.reason)) {
      logout("The hall refused the token (401). Enter it again.");
      return;
    }
    const name = parts[i][0];
    if (r.reason instanceof HallError && r.reason.status === 403) {
      denied[name] = errorText(r.reason);
    } else failed.push(`${name}: ${errorText(r.reason)}`);
  }
  refused.value = denied;
  loadError.value = failed.length ? failed.join("; ") : null;
  truncated.value = [...cut];
  if (tab.value === "charts") await loadStats();
  refreshes.value++;
}

/** Reload the charts' figures for the chosen window. */
export async function loadStats(): Promise<void> {
  try {
    // Both ends from this clock: the window is exactly the chosen one (at most 24 h).
    const until = Date.now();
    stats.value = await client().stats({
      since: new Date(until - statsWindow.value * 60_000).toISOString(),
      until: new Date(until).toISOString(),
    });
    const { stats: _gone, ...rest } = refused.value;
    refused.value = rest;
  } catch (e) {
    if (e instanceof HallError && e.status === 403) {
      refused.value = { ...refused.value, stats: errorText(e) };
    } else loadError.value = `stats: ${errorText(e)}`;
  }
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** Refresh at most once per 300 ms however many events arrive (a throttle, not a debounce). */
export function refreshSoon(): void {
  if (refreshTimer !== undefined) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    refresh();
  }, 300);
}

/** Forget the token (and say why). */
export function logout(reason: string | null = null): void {
  sessionStorage.removeItem(TOKEN_KEY);
  setupOffered = false;
  boardReady.value = false;
  token.value = null;
  loginError.value = reason;
}

export function onEvent(m: HallStreamEvent): void {
  if (m.event === "ready") return;
  const at = new Date().toISOString();
  feed.value = [{ n: ++seq, event: m.event, data: m.data, at }, ...feed.value].slice(0, 200);
  // A decision alone changes no list here (a hold also sends an `approval` event).
  if (m.event !== "decision") refreshSoon();
}

/** Follow `/wcp/events` while signed in, reconnecting after a pause when the stream ends. */
export function useEventStream(): void {
  useEffect(() => {
    const ctl = new AbortController();
    let lastEventId: string | undefined;
    (async () => {
      while (!ctl.signal.aborted) {
        feedState.value = "connecting";
        try {
          // HallClient reads SSE with fetch, so the bearer token travels in a header.
          // On reconnect the hall replays what we missed after the last id we saw.
          for await (const m of client().events({ signal: ctl.signal, lastEventId })) {
            feedState.value = "live";
            if (m.id !== undefined) lastEventId = m.id;
            onEvent(m);
          }
        } catch (e) {
          if (ctl.signal.aborted) return;
          if (isUnauthorized(e)) {
            logout("The hall refused the token on the event stream (401).");
            return;
          }
          // A refused resume point (e.g. from before a hall restart): start afresh, do not loop.
          if (e instanceof HallError && e.status === 400) lastEventId = undefined;
        }
        if (ctl.signal.aborted) return;
        feedState.value = "closed";
        await new Promise((r) => setTimeout(r, 2000)); // reconnect after a pause
      }
    })();
    return () => ctl.abort();
  }, [token.value]);
}

/**
 * Run an operator action, report it, then refresh. Returns whether it succeeded; `onError`
 * receives the hall's refusal (to show it where the action was taken).
 */
export async function act(
  label: string,
  fn: () => Promise<unknown>,
  onError?: (e: unknown) => void,
): Promise<boolean> {
  actionMessage.value = `${label}…`;
  let ok = true;
  try {
    await fn();
    actionMessage.value = `${label}: done.`;
  } catch (e) {
    ok = false;
    actionMessage.value = `${label} failed: ${errorText(e)}`;
    onError?.(e);
  }
  await refresh();
  return ok;
}

/** An approval card's action, whose refusal is shown on the card itself. */
export function actOnApproval(id: string, label: string, fn: () => Promise<unknown>): void {
  const { [id]: _old, ...rest } = cardErrors.value;
  cardErrors.value = rest;
  act(label, fn, (e) => {
    const code = e instanceof HallError ? e.code : "ERROR";
    cardErrors.value = { ...cardErrors.value, [id]: { code, message: errorText(e) } };
  });
}

/**
 * Download a tenant's receipts (first 1,000, in chain order) with the hall's public receipt keys,
 * as one file the playground's Receipts panel verifies without trusting the hall.
 */
export async function exportChain(tenantId: string): Promise<void> {
  const receipts = (await client().receipts({ tenant_id: tenantId, limit: 1000 }))
    .sort((a, b) => a.seq - b.seq);
  const res = await fetch(`${hallUrl.value}/wcp/receipts/key`, {
    headers: { authorization: `Bearer ${token.value ?? ""}` },
  });
  if (!res.ok) throw new Error(`GET /wcp/receipts/key: HTTP ${res.status}`);
  const { keys } = await res.json() as { keys: unknown[] };
  const bundle = { tenant_id: tenantId, exported_at: new Date().toISOString(), keys, receipts };
  download(`receipts-${tenantId}.json`, JSON.stringify(bundle, null, 2) + "\n");
}
