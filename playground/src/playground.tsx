/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The playground shell: header, share button and the panels.
 *
 * @module
 */

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { AttestationPanel } from "./attestation/mod.tsx";
import { CatalogPanel } from "./catalog.tsx";
import { CedarPanel } from "./cedar/panel.tsx";
import { DecisionsPanel } from "./decisions/mod.tsx";
import { DiffPanel } from "./diff.tsx";
import { ReceiptsPanel } from "./receipts.tsx";
import { PANELS, shareError, tab } from "./state.ts";
import { Tabs } from "./ui.tsx";

function ShareButton(): JSX.Element {
  const [note, setNote] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      setNote("Link copied.");
    } catch {
      setNote("Copy the address bar: it holds the whole state.");
    }
  };
  return (
    <span class="share">
      <button type="button" id="share" onClick={copy}>Copy share link</button>
      <span role="status" class="muted">{note}</span>
    </span>
  );
}

/** The whole playground. */
export function PlaygroundApp(): JSX.Element {
  return (
    <>
      <header class="top">
        <h1>WCP playground</h1>
        <p class="tagline">
          The real <code>@wcp/core</code>{" "}
          decision engine, running in your browser. Nothing leaves this page.
        </p>
        <ShareButton />
        {/* Served by a hall (at /playground/), its dashboard is next door. */}
        {location.pathname.endsWith("/playground/") && (
          <a href="../dashboard/" id="to-dashboard">Hall dashboard</a>
        )}
      </header>
      {shareError.value && <p class="error" role="alert">{shareError.value}</p>}
      <main>
        <Tabs
          label="Playground panels"
          tabs={PANELS}
          selected={tab.value}
          onSelect={(id) => (tab.value = id)}
        >
          {tab.value === "decisions" && <DecisionsPanel />}
          {tab.value === "attestation" && <AttestationPanel />}
          {tab.value === "receipts" && <ReceiptsPanel />}
          {tab.value === "diff" && <DiffPanel />}
          {tab.value === "cedar" && <CedarPanel />}
          {tab.value === "catalog" && <CatalogPanel />}
        </Tabs>
      </main>
    </>
  );
}
