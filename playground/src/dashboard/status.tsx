/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * Status, counters and receipt chain status.
 *
 * @module
 */

import type { JSX } from "preact";
import { Refused } from "./refused.tsx";
import { act, chains, exportChain, health, refused } from "./state.ts";
import { Badge, JsonView } from "../ui.tsx";

function Chains(): JSX.Element {
  const c = chains.value;
  if (refused.value.chains) return <Refused part="chains" />;
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
              )}{" "}
              <button
                type="button"
                data-export={t.tenant_id}
                onClick={() => act(`Export ${t.tenant_id}`, () => exportChain(t.tenant_id))}
              >
                Export for independent verification
              </button>
            </li>
          ))}
        </ul>
      )}
      <p class="muted hash">signing key {c.key_id}</p>
    </div>
  );
}

/** Status, counters and receipt chains. */
export function Status(): JSX.Element {
  const h = health.value;
  return (
    <section class="card" aria-labelledby="h-status">
      <h2 id="h-status">Status</h2>
      <Refused part="health" />
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
