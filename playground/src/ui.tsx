/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * Small accessible building blocks shared by the playground and the dashboard.
 *
 * @module
 */

import type { ComponentChildren, JSX } from "preact";
import { useRef } from "preact/hooks";

/** A labelled monospace text area whose error is announced and linked to the field. */
export function TextArea(props: {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  error?: string | null;
  rows?: number;
  hint?: string;
}): JSX.Element {
  const errId = `${props.id}-error`;
  const hintId = `${props.id}-hint`;
  const described = [props.hint ? hintId : "", props.error ? errId : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.hint && <p class="hint" id={hintId}>{props.hint}</p>}
      <textarea
        id={props.id}
        class="code"
        spellcheck={false}
        rows={props.rows ?? 10}
        value={props.value}
        aria-invalid={props.error ? "true" : "false"}
        aria-describedby={described || undefined}
        onInput={(e) => props.onInput((e.currentTarget as HTMLTextAreaElement).value)}
      />
      {props.error && <p class="error" id={errId} role="alert">{props.error}</p>}
    </div>
  );
}

/** A labelled select over a fixed list of string options. */
export function Select(props: {
  id: string;
  label: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
  disabled?: boolean;
}): JSX.Element {
  const known = props.options.includes(props.value);
  return (
    <div class="field inline">
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        disabled={props.disabled}
        onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {!known && <option value={props.value}>{props.value || "(none)"}</option>}
        {props.options.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
    </div>
  );
}

/** A labelled one-line text input. */
export function TextInput(props: {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  disabled?: boolean;
  placeholder?: string;
  type?: string;
}): JSX.Element {
  return (
    <div class="field inline">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type={props.type ?? "text"}
        value={props.value}
        disabled={props.disabled}
        placeholder={props.placeholder}
        spellcheck={false}
        autocomplete="off"
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </div>
  );
}

/** One tab of a tab list. */
export interface TabSpec {
  /** Stable id, used in element ids and the URL state. */
  id: string;
  /** Visible name. */
  label: string;
}

/**
 * WAI-ARIA tabs: Left/Right/Home/End move between tabs, the selected tab is the only one in the
 * tab order, and the panel is labelled by its tab.
 */
export function Tabs(props: {
  label: string;
  tabs: readonly TabSpec[];
  selected: string;
  onSelect: (id: string) => void;
  children: ComponentChildren;
}): JSX.Element {
  const listRef = useRef<HTMLDivElement>(null);
  const index = Math.max(0, props.tabs.findIndex((t) => t.id === props.selected));
  const focusTab = (i: number) => {
    const n = props.tabs.length;
    const next = props.tabs[(i + n) % n];
    props.onSelect(next.id);
    listRef.current?.querySelector<HTMLButtonElement>(`#tab-${next.id}`)?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const keys: Record<string, number> = {
      ArrowRight: index + 1,
      ArrowLeft: index - 1,
      Home: 0,
      End: props.tabs.length - 1,
    };
    if (e.key in keys) {
      e.preventDefault();
      focusTab(keys[e.key]);
    }
  };
  return (
    <div class="tabs">
      <div role="tablist" aria-label={props.label} ref={listRef} onKeyDown={onKeyDown}>
        {props.tabs.map((t) => (
          <button
            type="button"
            role="tab"
            key={t.id}
            id={`tab-${t.id}`}
            aria-selected={t.id === props.selected ? "true" : "false"}
            aria-controls={`panel-${t.id}`}
            tabIndex={t.id === props.selected ? 0 : -1}
            onClick={() => props.onSelect(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <section
        role="tabpanel"
        id={`panel-${props.selected}`}
        aria-labelledby={`tab-${props.selected}`}
        tabIndex={0}
      >
        {props.children}
      </section>
    </div>
  );
}

/** Pretty JSON in a scrollable, focusable block (so keyboard users can scroll it). */
export function JsonView(props: { value: unknown; label: string; id?: string }): JSX.Element {
  return (
    <pre class="json" tabIndex={0} aria-label={props.label} id={props.id}>
      {JSON.stringify(props.value, null, 2)}
    </pre>
  );
}

/** A coloured badge whose meaning is also in its text (never colour alone). */
export function Badge(props: { kind: string; children: ComponentChildren }): JSX.Element {
  return <span class={`badge badge-${props.kind.toLowerCase()}`}>{props.children}</span>;
}

/** Offer `data` to the user as a file download. */
export function download(name: string, data: string | Uint8Array, type = "application/json"): void {
  const blob = new Blob([data as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
