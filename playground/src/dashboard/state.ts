/// <reference lib="dom" />
/**
 * Dashboard state: the hall client, the signals every section reads, refresh, the live stream
 * and actions.
 *
 * @module
 */

import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import {
  type ChainVerification,
  type HallAlert,
  type HallApproval,
  HallClient,
  HallError,
  type HallHealth,
  type HallStreamEvent,
  type HallWorker,
} from "../../../mod.ts";
import { errorText } from "../errors.ts";
import { download } from "../ui.tsx";

export const TOKEN_KEY = "wcp.dashboard.token";
export const URL_KEY = "wcp.dashboard.url";
export const EVENT_TYPES = ["decision", "dispatch", "approval", "alert"] as const;

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
  const parts = [
    ["health", () => c.health().then((v) => (health.value = v))],
    ["workers", () => c.workers().then((v) => (workers.value = v))],
    ["approvals", () => c.pendingApprovals().then((v) => (approvals.value = v))],
    ["alerts", () => c.alerts().then((v) => (alerts.value = v))],
    ["chains", () => c.verifyChain().then((v) => (chains.value = v))],
  ] as const;
  const results = await Promise.allSettled(parts.map(([, load]) => load()));
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

/** Run an operator action, report it, then refresh. */
export async function act(label: string, fn: () => Promise<unknown>): Promise<void> {
  actionMessage.value = `${label}…`;
  try {
    await fn();
    actionMessage.value = `${label}: done.`;
  } catch (e) {
    actionMessage.value = `${label} failed: ${errorText(e)}`;
  }
  await refresh();
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
