/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The hall dashboard: status and counters, the live event feed (SSE with the bearer token),
 * workers (enrolled and catalog species), the approvals inbox, alerts and receipt chain status.
 *
 * @module
 */

import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import {
  actionMessage,
  hallUrl,
  loadError,
  logout,
  refresh,
  token,
  useEventStream,
} from "./state.ts";
import { Feed } from "./feed.tsx";
import { Alerts, Approvals } from "./inbox.tsx";
import { Login } from "./login.tsx";
import { Status } from "./status.tsx";
import { Workers } from "./workers.tsx";

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
