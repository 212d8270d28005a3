/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * Editors for rules (with shadow and lint findings), registry, ban list, config and hashes.
 *
 * @module
 */

import type { JSX } from "preact";
import { DEFAULT_HALL_CONFIG } from "../../../mod.ts";
import { bansText, configText, hashesText, registryText, rulesText } from "../state.ts";
import { Badge, JsonView, TextArea } from "../ui.tsx";
import { evaluation } from "./evaluation.ts";
import { GateTable } from "./gate_table.tsx";

export function Editors(): JSX.Element {
  const ev = evaluation.value;
  return (
    <div class="editors">
      <details open>
        <summary>Rules</summary>
        <TextArea
          id="rules"
          label="Rules document"
          value={rulesText.value}
          onInput={(v) => (rulesText.value = v)}
          error={ev.errors.rules}
          rows={14}
        />
        {ev.lint.length > 0 && (
          <div class="lint" id="lint-findings">
            <strong>Lint</strong> ({ev.lint.length} findings; the same checks as{" "}
            <code>wcp lint</code>):
            <ul>
              {ev.lint.map((f, i) => (
                <li key={i}>
                  <Badge
                    kind={f.severity === "error"
                      ? "deny"
                      : f.severity === "warning"
                      ? "warn"
                      : "info"}
                  >
                    {f.severity}
                  </Badge>{" "}
                  <code>{f.code}</code> {f.path && <code class="muted">{f.path}</code>} {f.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {ev.shadowWarnings.length > 0 && (
          <div class="warning" role="status" id="shadow-warnings">
            <strong>Shadowed rules</strong> (a request in prod or edge is denied until fixed):
            <ul>
              {ev.shadowWarnings.map((w) => (
                <li key={w.shadowed_rule_id + w.shadowing_rule_id}>
                  <code>{w.shadowed_rule_id}</code> can never match: {w.message}
                </li>
              ))}
            </ul>
          </div>
        )}
      </details>
      <details>
        <summary>Registry records</summary>
        <TextArea
          id="registry"
          label="Registry records (JSON array)"
          value={registryText.value}
          onInput={(v) => (registryText.value = v)}
          error={ev.errors.registry}
          rows={14}
        />
      </details>
      <details>
        <summary>Ban list</summary>
        <TextArea
          id="bans"
          label="Banned code hashes (a candidate carrying one is skipped)"
          value={bansText.value}
          onInput={(v) => (bansText.value = v)}
          error={ev.errors.bans}
          rows={6}
        />
      </details>
      <details>
        <summary>Hall config</summary>
        <TextArea
          id="config"
          label="Hall config (fields left out take the defaults)"
          value={configText.value}
          onInput={(v) => (configText.value = v)}
          error={ev.errors.config}
          rows={6}
        />
        <details>
          <summary>The defaults</summary>
          <JsonView value={DEFAULT_HALL_CONFIG} label="default hall config" />
        </details>
      </details>
      <details>
        <summary>Policy gate</summary>
        <GateTable />
      </details>
      <details>
        <summary>Current worker hashes</summary>
        <TextArea
          id="hashes"
          label="Current code hash of each worker (what attestation at dispatch compares)"
          value={hashesText.value}
          onInput={(v) => (hashesText.value = v)}
          error={ev.errors.hashes}
          rows={5}
        />
      </details>
    </div>
  );
}
