/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Decisions panel: edit the world, pick a scenario or write a RouteInput, and see the real
 * core's decision with its trace, telemetry and blast scores.
 *
 * @module
 */

import type { JSX } from "preact";
import { inputText } from "../state.ts";
import { TextArea } from "../ui.tsx";
import { evaluation } from "./evaluation.ts";
import { InputForm, ScenarioPicker } from "./request.tsx";
import { Editors } from "./editors.tsx";
import { Result } from "./result.tsx";

/** The Decisions panel. */
export function DecisionsPanel(): JSX.Element {
  // Three areas: on a phone the decision comes right after the request, before the editors.
  return (
    <div class="decisions">
      <div class="col d-input">
        <ScenarioPicker />
        <InputForm />
        <TextArea
          id="input"
          label="RouteInput (JSON; paste your own)"
          value={inputText.value}
          onInput={(v) => (inputText.value = v)}
          error={evaluation.value.errors.input}
          rows={12}
        />
      </div>
      <div class="col d-result">
        <h2 class="sr-only">Decision</h2>
        <Result />
      </div>
      <div class="col d-editors">
        <Editors />
      </div>
    </div>
  );
}
