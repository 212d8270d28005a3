/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * Enrolled workers and the catalog species.
 *
 * @module
 */

import type { JSX } from "preact";
import { Refused } from "./refused.tsx";
import { getCatalog } from "../../../mod.ts";
import { workers } from "./state.ts";
import { Badge } from "../ui.tsx";

/** Enrolled workers and catalog species. */
export function Workers(): JSX.Element {
  const species = getCatalog().ofType("species");
  const enrolled = new Set(workers.value.map((w) => w.record.worker_species_id));
  return (
    <section class="card" aria-labelledby="h-workers">
      <h2 id="h-workers">Workers ({workers.value.length} enrolled)</h2>
      <Refused part="workers" />
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
