/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Catalog panel: the CLI's search (same function, same ranking), facets, and entity pages
 * with forward and reverse relations you can follow.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import { type CatalogEntryType, explain, type Relation, searchCatalog } from "../../mod.ts";
import { catalogEntity, catalogQuery } from "./state.ts";
import { Badge, Select } from "./ui.tsx";
import { errorText } from "./errors.ts";

const TYPES = ["all", "capability", "species", "control", "policy", "profile", "event"] as const;
const typeFilter = signal<string>("all");

function RelationList(props: { title: string; items: Relation[]; id: string }): JSX.Element {
  return (
    <section aria-labelledby={props.id}>
      <h3 id={props.id}>{props.title} ({props.items.length})</h3>
      {props.items.length === 0 ? <p class="muted">None.</p> : (
        <ul>
          {props.items.map((r, i) => (
            <li key={i}>
              <span class="muted">{r.relation.replaceAll("_", " ")}</span> {r.known
                ? (
                  <a
                    href={`#entity=${encodeURIComponent(r.id)}`}
                    onClick={(e) => {
                      e.preventDefault();
                      catalogEntity.value = r.id;
                    }}
                  >
                    <code>{r.id}</code>
                  </a>
                )
                : <code>{r.id}</code>}
              {r.name && ` ${r.name}`}
              {!r.known && <Badge kind="warn">unknown id</Badge>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function EntityPage(props: { id: string }): JSX.Element {
  const ex = explain(props.id);
  if (!ex) {
    return (
      <div class="card" id="entity">
        <p class="error">No catalog entry {props.id}.</p>
        <button type="button" onClick={() => (catalogEntity.value = null)}>Back to results</button>
      </div>
    );
  }
  const e = ex.entry;
  return (
    <article class="card" id="entity" aria-labelledby="entity-title">
      <button type="button" id="entity-back" onClick={() => (catalogEntity.value = null)}>
        ← Back to results
      </button>
      <h2 id="entity-title">
        <code>{e.id}</code> {e.name}
      </h2>
      <p>
        <Badge kind="info">{e.type}</Badge>{" "}
        <Badge kind={e.status === "active" ? "ok" : "warn"}>
          {e.status}
        </Badge>
        {e.risk_tier && (
          <>
            <Badge kind="info">risk {e.risk_tier}</Badge>
          </>
        )}
        <span class="muted">since {e.since}</span>
      </p>
      <p>{e.description}</p>
      {e.tags.length > 0 && <p class="muted">Tags: {e.tags.join(", ")}</p>}
      {e.superseded_by && (
        <p class="warning">
          Deprecated: use <code>{e.superseded_by}</code>.
        </p>
      )}
      <RelationList title="Relations" items={ex.forward} id="rel-forward" />
      <RelationList title="Referenced by" items={ex.reverse} id="rel-reverse" />
    </article>
  );
}

/** The Catalog panel. */
export function CatalogPanel(): JSX.Element {
  if (catalogEntity.value) return <EntityPage id={catalogEntity.value} />;
  let body: JSX.Element;
  try {
    const type = typeFilter.value === "all" ? undefined : typeFilter.value as CatalogEntryType;
    const res = searchCatalog(catalogQuery.value, { type, limit: 50 });
    const corrections = Object.entries(res.corrections);
    body = (
      <>
        <p aria-live="polite" id="search-count">
          {res.total} {res.total === 1 ? "entry" : "entries"}
          {corrections.length > 0 &&
            `; read ${corrections.map(([a, b]) => `"${a}" as "${b}"`).join(", ")}`}
        </p>
        <div class="facets muted">
          {Object.entries(res.facets.type).map(([t, n]) => <span key={t}>{t}: {n}</span>)}
        </div>
        <ul class="search-results" id="search-results">
          {res.hits.map((h) => (
            <li key={h.id}>
              <a
                href={`#entity=${encodeURIComponent(h.id)}`}
                onClick={(e) => {
                  e.preventDefault();
                  catalogEntity.value = h.id;
                }}
              >
                <code>{h.id}</code>
              </a>{" "}
              <strong>{h.name}</strong> <Badge kind="info">{h.type}</Badge>
              {h.status !== "active" && (
                <>
                  <Badge kind="warn">{h.status}</Badge>
                </>
              )}
              <br />
              <span class="muted">{h.description}</span>
            </li>
          ))}
        </ul>
      </>
    );
  } catch (e) {
    body = <p class="error" role="alert">{errorText(e)}</p>;
  }
  return (
    <div>
      <form
        class="search-form"
        role="search"
        onSubmit={(e) => e.preventDefault()}
      >
        <div class="field inline">
          <label for="catalog-q">Search the catalog</label>
          <input
            id="catalog-q"
            type="search"
            value={catalogQuery.value}
            placeholder="e.g. summarize documents"
            onInput={(e) => (catalogQuery.value = (e.currentTarget as HTMLInputElement).value)}
          />
        </div>
        <Select
          id="catalog-type"
          label="Type"
          value={typeFilter.value}
          options={TYPES}
          onChange={(v) => (typeFilter.value = v)}
        />
      </form>
      {body}
    </div>
  );
}
