/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The live event feed with type and text filters.
 *
 * @module
 */

import type { JSX } from "preact";
import { EVENT_TYPES, feed, feedFilter, feedState, feedText, type Json } from "./state.ts";
import { Badge, JsonView, TextInput } from "../ui.tsx";

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
    e.event === "ban" && typeof e.data.sha256 === "string" ? e.data.sha256.slice(0, 19) : undefined,
  ].filter((x) => typeof x === "string" && x);
  return parts.join(" · ");
}

/** The live feed. */
export function Feed(): JSX.Element {
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
