/**
 * The shape of a compiled rule index, shared by the index (_index.ts), the shadow analysis
 * (_shadow.ts) and lint without making them import each other (private).
 *
 * @module
 */

import type { ParsedRules } from "./_parse.ts";

/** The index structures, shared with the shadow analysis and lint. */
export interface RuleIndex {
  /** Parsed rules and compiled conditions. */
  readonly parsed: ParsedRules;
  /** Capability value -> ascending indices of rules whose capability condition lists it. */
  readonly exact: ReadonlyMap<string, readonly number[]>;
  /** Ascending indices of rules whose capability condition is `any` or `not_in`. */
  readonly wild: readonly number[];
  /** Every value named in some capability `not_in`. */
  readonly notInValues: ReadonlySet<string>;
  /** First matching rule per combination for a capability no rule names (-1: none). */
  readonly defaultTable: Int32Array;
  /** The combinations some wild rule accepts (a bound on what a table scan can fill). */
  readonly wildUnion: Uint32Array;
}
