/**
 * The Decisions panel's one evaluation: recomputed whenever any part of the world changes.
 *
 * @module
 */

import { computed } from "@preact/signals";
import { evaluate, type Evaluation } from "../evaluate.ts";
import {
  bansText,
  configText,
  gateRows,
  hashesText,
  inputText,
  registryText,
  rulesText,
} from "../state.ts";

export const evaluation = computed<Evaluation>(() =>
  evaluate({
    rules: rulesText.value,
    registry: registryText.value,
    config: configText.value,
    gate: gateRows.value,
    hashes: hashesText.value,
    input: inputText.value,
    bans: bansText.value,
  })
);
