/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The request side: example scenarios, the RouteInput form (kept in step with the JSON).
 *
 * @module
 */

import type { JSX } from "preact";
import { DATA_LABELS, ENVS, QOS_CLASSES, TENANT_RISKS } from "../../../mod.ts";
import { SCENARIOS } from "../examples.ts";
import { inputText, loadWorld, scenarioId } from "../state.ts";
import { Select, TextInput } from "../ui.tsx";

export function ScenarioPicker(): JSX.Element {
  return (
    <fieldset class="scenarios">
      <legend>Example scenarios</legend>
      <div class="chips">
        {SCENARIOS.map((s) => (
          <button
            type="button"
            key={s.id}
            data-scenario={s.id}
            aria-pressed={scenarioId.value === s.id ? "true" : "false"}
            title={`Expected: ${s.expect}`}
            onClick={() => {
              scenarioId.value = s.id;
              loadWorld(s.world());
            }}
          >
            {s.label}
          </button>
        ))}
      </div>
    </fieldset>
  );
}

function inputObject(): Record<string, unknown> | null {
  try {
    const v = JSON.parse(inputText.value);
    return v && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function setInputField(field: string, value: string): void {
  const obj = inputObject();
  if (!obj) return;
  inputText.value = JSON.stringify({ ...obj, [field]: value }, null, 2);
}

export function InputForm(): JSX.Element {
  const obj = inputObject();
  const disabled = obj === null;
  const str = (f: string) => (obj && typeof obj[f] === "string" ? obj[f] as string : "");
  const text = (f: string, label: string) => (
    <TextInput
      id={`in-${f}`}
      label={label}
      value={str(f)}
      disabled={disabled}
      onInput={(v) => setInputField(f, v)}
    />
  );
  const select = (f: string, label: string, options: readonly string[]) => (
    <Select
      id={`in-${f}`}
      label={label}
      value={str(f)}
      options={options}
      disabled={disabled}
      onChange={(v) => setInputField(f, v)}
    />
  );
  return (
    <fieldset class="form-grid">
      <legend>RouteInput fields{disabled && " (fix the JSON below to use the form)"}</legend>
      {text("capability_id", "capability_id")}
      {text("tenant_id", "tenant_id")}
      {text("correlation_id", "correlation_id")}
      {select("env", "env", ENVS)}
      {select("data_label", "data_label", DATA_LABELS)}
      {select("tenant_risk", "tenant_risk", TENANT_RISKS)}
      {select("qos_class", "qos_class", QOS_CLASSES)}
    </fieldset>
  );
}
