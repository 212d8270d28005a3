/**
 * Routing rules: parse and validate a rules document, compile it once into an index (first-match
 * semantics at O(1) cost in the number of rules), and find shadowed rules once per rule set.
 *
 * The grammar is docs/protocol/rules.md#rule-grammar: a condition is an exact string, `{"any":
 * true}`, `{"in": [...]}`, `{"eq": "..."}` or `{"not_in": [...]}`; an absent field matches
 * anything. Everything is validated at load time, so matching and deciding can never throw.
 *
 * @module
 */

export * from "./types.ts";
export * from "./parse.ts";
export * from "./diff.ts";
export * from "./lint.ts";
