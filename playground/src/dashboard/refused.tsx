/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * A section's note when the signed-in token may not read it (403).
 *
 * @module
 */

import type { JSX } from "preact";
import { refused } from "./state.ts";

/** Nothing, or why this section is empty for this token. */
export function Refused(props: { part: string }): JSX.Element | null {
  const why = refused.value[props.part];
  if (!why) return null;
  return (
    <p class="warning" data-refused={props.part}>
      This token may not read {props.part} ({why}).
    </p>
  );
}
