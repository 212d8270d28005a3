/**
 * The playground's state as signals, and its round trip through the URL fragment (`#s=...`).
 *
 * @module
 */

import { effect, signal } from "@preact/signals";
import { baseWorld, type DecisionWorld } from "./examples.ts";
import { type GateRow, sanitizeGateRows } from "./gate.ts";
import { decodeState, encodeState } from "./share.ts";
import { DEFAULT_CEDAR } from "./cedar/default.ts";

/** Panels of the playground. */
export const PANELS = [
  { id: "decisions", label: "Decisions" },
  { id: "attestation", label: "Attestation" },
  { id: "receipts", label: "Receipts" },
  { id: "diff", label: "Diff" },
  { id: "cedar", label: "Cedar" },
  { id: "catalog", label: "Catalog" },
] as const;

const base = baseWorld();

/** The selected panel. */
export const tab = signal<string>("decisions");
/** Rules document text. */
export const rulesText = signal(base.rules);
/** Registry records text. */
export const registryText = signal(base.registry);
/** Hall config text. */
export const configText = signal(base.config);
/** Policy gate rows. */
export const gateRows = signal<GateRow[]>(base.gate);
/** Current worker hashes text. */
export const hashesText = signal(base.hashes);
/** RouteInput text. */
export const inputText = signal(base.input);
/** Ban list text. */
export const bansText = signal(base.bans);
/** Last scenario loaded (menu state only). */
export const scenarioId = signal("allowed");
/** The Cedar panel's policies. */
export const cedarText = signal(DEFAULT_CEDAR);
/** Catalog search query. */
export const catalogQuery = signal("");
/** Catalog entity shown, if any. */
export const catalogEntity = signal<string | null>(null);

/** Replace the whole decision world (a scenario or a shared link). */
export function loadWorld(w: DecisionWorld): void {
  rulesText.value = w.rules;
  registryText.value = w.registry;
  configText.value = w.config;
  gateRows.value = w.gate;
  hashesText.value = w.hashes;
  inputText.value = w.input;
  bansText.value = w.bans;
}

interface Shared {
  v: 1;
  tab: string;
  world: DecisionWorld;
  catalog: { q: string; id: string | null };
  /** The Cedar panel's policies (absent in older links: the defaults). */
  cedar?: string;
}

function snapshot(): Shared {
  return {
    v: 1,
    tab: tab.value,
    world: {
      rules: rulesText.value,
      registry: registryText.value,
      config: configText.value,
      gate: gateRows.value,
      hashes: hashesText.value,
      input: inputText.value,
      bans: bansText.value,
    },
    catalog: { q: catalogQuery.value, id: catalogEntity.value },
    ...(cedarText.value === DEFAULT_CEDAR ? {} : { cedar: cedarText.value }),
  };
}

function restore(value: unknown): void {
  if (!value || typeof value !== "object") return;
  const s = value as Partial<Shared>;
  if (typeof s.tab === "string" && PANELS.some((p) => p.id === s.tab)) tab.value = s.tab;
  const w = s.world as Partial<DecisionWorld> | undefined;
  if (w && typeof w === "object") {
    const text = (x: unknown, fallback: string) => (typeof x === "string" ? x : fallback);
    loadWorld({
      rules: text(w.rules, base.rules),
      registry: text(w.registry, base.registry),
      config: text(w.config, base.config),
      gate: Array.isArray(w.gate) ? sanitizeGateRows(w.gate) : base.gate,
      hashes: text(w.hashes, base.hashes),
      input: text(w.input, base.input),
      bans: text(w.bans, base.bans),
    });
  }
  cedarText.value = typeof s.cedar === "string" ? s.cedar : DEFAULT_CEDAR;
  if (s.catalog && typeof s.catalog === "object") {
    if (typeof s.catalog.q === "string") catalogQuery.value = s.catalog.q;
    if (typeof s.catalog.id === "string") catalogEntity.value = s.catalog.id;
  }
}

/** Why the shared state in the URL could not be read, if it could not. */
export const shareError = signal<string | null>(null);

/**
 * Read `#s=...` if present (call before the first render, and when the fragment is changed by
 * hand or by a pasted link in an open tab). `reset`: a link that cannot be read brings back the
 * defaults (on a first load they are already shown).
 */
export async function restoreFromUrl(reset = false): Promise<void> {
  // `#entity=<id>` is a catalog page link (opened in a new tab, or bookmarked).
  const entity = /^#entity=(.+)$/.exec(location.hash);
  if (entity) {
    tab.value = "catalog";
    catalogEntity.value = decodeURIComponent(entity[1]);
    return;
  }
  const m = /^#s=(.+)$/.exec(location.hash);
  if (!m) return;
  try {
    restore(await decodeState(m[1]));
    shareError.value = null;
  } catch (e) {
    if (reset) loadWorld(base);
    shareError.value = `The link's state could not be read (${(e as Error).message}); ` +
      "showing the defaults.";
  }
}

/**
 * Keep the fragment in step with the state (debounced, replaces the history entry), and the state
 * in step with a fragment changed from outside (a link pasted into this tab is a same-document
 * navigation: without this the page would keep its old state and soon write it back).
 */
export function keepUrlInSync(): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  effect(() => {
    const snap = snapshot();
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const before = location.hash;
      const url = `${location.pathname}${location.search}#s=${await encodeState(snap)}`;
      // A link navigated to while this was encoding wins (its hashchange may not have run yet).
      if (location.hash !== before) return;
      history.replaceState(null, "", url); // fires no hashchange
    }, 300);
  });
  addEventListener("hashchange", () => {
    clearTimeout(timer); // the new fragment wins over a pending write of the old state
    void restoreFromUrl(true);
  });
}
