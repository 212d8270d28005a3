/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The hall dashboard: an overview (status and counters, receipt chain status, the approvals
 * inbox, alerts, the live feed, workers), first-run setup, workers (enrol, update, revoke,
 * attestation, tamper flag), namespaces, tokens and tiers, the ban list, the gateway's changed
 * tool definitions (diff, accept), charts and the receipt chain drawn as blocks. Its own bundle (`dashboard.js`), loaded only by `dashboard.html`.
 *
 * @module
 */

import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import {
  actionMessage,
  boardReady,
  hallUrl,
  LIST_CAP,
  loadError,
  loadStats,
  logout,
  nowMs,
  refresh,
  refreshes,
  setupOpen,
  tab,
  token,
  truncated,
  useEventStream,
} from "./state.ts";
import { BansTab } from "./bans.tsx";
import { ChainTab } from "./chain.tsx";
import { Charts } from "./charts.tsx";
import { Feed } from "./feed.tsx";
import { Alerts, Approvals } from "./inbox.tsx";
import { Login } from "./login.tsx";
import { ManageWorkers } from "./manage_workers.tsx";
import { Setup } from "./setup.tsx";
import { Status } from "./status.tsx";
import { Revealed, TenantsTab } from "./tenants.tsx";
import { Workers } from "./workers.tsx";
import { PinsTab } from "./pins.tsx";
import { Tabs } from "../ui.tsx";

const TABS = [
  { id: "setup", label: "Setup" },
  { id: "overview", label: "Overview" },
  { id: "workers", label: "Workers" },
  { id: "tenants", label: "Tenants" },
  { id: "bans", label: "Bans" },
  { id: "pins", label: "Gateway pins" },
  { id: "charts", label: "Charts" },
  { id: "receipts", label: "Receipts" },
] as const;

function Overview(): JSX.Element {
  return (
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
  );
}

const PANELS: Record<string, () => JSX.Element> = {
  setup: Setup,
  overview: Overview,
  workers: ManageWorkers,
  tenants: TenantsTab,
  bans: BansTab,
  pins: PinsTab,
  charts: Charts,
  receipts: ChainTab,
};

function Board(): JSX.Element {
  useEventStream();
  useEffect(() => {
    refresh();
    const t = setInterval(refresh, 10_000);
    const tick = setInterval(() => (nowMs.value = Date.now()), 1000);
    return () => {
      clearInterval(t);
      clearInterval(tick);
    };
  }, [token.value]);
  const tabs = TABS.filter((t) => t.id !== "setup" || setupOpen.value);
  const current = tabs.some((t) => t.id === tab.value) ? tab.value : "overview";
  const Panel = PANELS[current];
  if (!boardReady.value) {
    return (
      <main>
        {loadError.value && <p class="error" role="alert">{loadError.value}</p>}
        <p class="muted" id="board-loading">Loading the hall…</p>
      </main>
    );
  }
  return (
    <main data-refreshes={refreshes.value}>
      {loadError.value && <p class="error" role="alert">{loadError.value}</p>}
      {truncated.value.length > 0 && (
        <p class="muted">
          Showing the first {LIST_CAP} rows of: {truncated.value.join(", ")} (the hall has more).
        </p>
      )}
      {actionMessage.value && <p role="status" id="action-message">{actionMessage.value}</p>}
      <Revealed />
      <Tabs
        label="Dashboard sections"
        tabs={tabs}
        selected={current}
        onSelect={(id) => {
          tab.value = id;
          if (id === "charts") loadStats();
        }}
      >
        <Panel />
      </Tabs>
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
        <a href="../playground/" id="to-playground">Playground</a>
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
