/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Diff panel: two rule sets compared exactly over the whole request space (`diffRuleSets`):
 * what NEW allows that OLD denied, the reverse, and the decisions that change, each class with a
 * witness request that can be tried in the Decisions panel.
 *
 * @module
 */

import type { JSX } from "preact";
import { computed, signal } from "@preact/signals";
import {
  type Condition,
  diffRuleSets,
  parseRules,
  type RuleDiffClass,
  type RuleSet,
  type RuleSetDiff,
} from "../../mod.ts";
import { baseWorld } from "./examples.ts";
import { inputText, rulesText, tab } from "./state.ts";
import { Badge, TextArea } from "./ui.tsx";

function exampleNew(oldText: string): string {
  const doc = JSON.parse(oldText) as {
    rules: { rule_id: string; match: Record<string, unknown>; decision: Record<string, unknown> }[];
  };
  for (const r of doc.rules) {
    // Widen: payments in dev too. Narrow: no RESTRICTED data to the summarizer. Change: a gate.
    if (r.rule_id === "fin.payment") r.match.env = { in: ["dev", "stage", "prod"] };
    if (r.rule_id === "doc.summarize") r.match.data_label = { not_in: ["RESTRICTED"] };
    if (r.rule_id === "db.migrate-schema") r.decision.escalation = { policy_gate: true };
  }
  return JSON.stringify(doc, null, 2);
}

const base = baseWorld().rules;
/** OLD rules text. */
export const diffOldText = signal(base);
/** NEW rules text. */
export const diffNewText = signal(exampleNew(base));

function load(text: string): { rules: RuleSet | null; error: string | null } {
  try {
    return { rules: parseRules(JSON.parse(text)), error: null };
  } catch (e) {
    return { rules: null, error: (e as Error).message };
  }
}

const result = computed(() => {
  const o = load(diffOldText.value);
  const n = load(diffNewText.value);
  const diff: RuleSetDiff | null = o.rules && n.rules ? diffRuleSets(o.rules, n.rules) : null;
  return { oldError: o.error, newError: n.error, diff };
});

function cond(field: string, c: Condition | undefined): string | null {
  if (c === undefined) return null;
  if (typeof c === "string") return `${field} = ${c}`;
  if ("any" in c) return field === "capability_id" ? "any capability" : null;
  if ("eq" in c) return `${field} = ${c.eq}`;
  if ("in" in c) return `${field} in ${c.in.join(" | ")}`;
  return field === "capability_id"
    ? `any capability but ${c.not_in.join(", ")}`
    : `${field} not ${c.not_in.join(" | ")}`;
}

/** Open the witness under NEW in the Decisions panel, keeping the tenant and payload there. */
function tryWitness(c: RuleDiffClass): void {
  let current: Record<string, unknown> = {};
  try {
    const v = JSON.parse(inputText.value);
    if (v && typeof v === "object" && !Array.isArray(v)) current = v;
  } catch { /* the witness alone */ }
  const keep = (k: string) => (typeof current[k] === "string" ? { [k]: current[k] } : {});
  rulesText.value = diffNewText.value;
  inputText.value = JSON.stringify(
    {
      ...c.witness,
      ...keep("tenant_id"),
      ...keep("correlation_id"),
      request: current.request ?? { text: "witness" },
    },
    null,
    2,
  );
  tab.value = "decisions";
}

const KIND_WORD = { widen: "widened", narrow: "narrowed", change: "changed" } as const;

function ClassList(props: { id: string; title: string; list: RuleDiffClass[] }): JSX.Element {
  return (
    <section class="diff-section">
      <h3>{props.title} ({props.list.length})</h3>
      {props.list.length === 0
        ? <p class="muted">None.</p>
        : (
          <ul id={props.id} class="diff-classes">
            {props.list.map((c, i) => {
              const m = c.match;
              const fields = [
                cond("capability_id", m.capability_id),
                cond("env", m.env),
                cond("data_label", m.data_label),
                cond("tenant_risk", m.tenant_risk),
                cond("qos_class", m.qos_class),
              ].filter((x): x is string => x !== null);
              const rule = c.kind === "widen"
                ? `now rule ${c.new_rule_id}`
                : c.kind === "narrow"
                ? `was rule ${c.old_rule_id}`
                : `${
                  c.old_rule_id === c.new_rule_id
                    ? c.new_rule_id
                    : `${c.old_rule_id} → ${c.new_rule_id}`
                }: ${c.aspects.join(", ")}`;
              const w = c.witness;
              return (
                <li key={i} class="card">
                  <code>{fields.join(" · ")}</code>
                  <span class="muted">{rule}</span>
                  <span class="muted">
                    witness: {w.capability_id} {w.env}/{w.data_label}/{w.tenant_risk}/{w.qos_class}
                  </span>
                  <button type="button" onClick={() => tryWitness(c)}>
                    Try {KIND_WORD[c.kind]} witness {i + 1} in Decisions
                  </button>
                </li>
              );
            })}
          </ul>
        )}
    </section>
  );
}

/** The Diff panel. */
export function DiffPanel(): JSX.Element {
  const r = result.value;
  const d = r.diff;
  return (
    <div class="col">
      <p class="hint">
        Exact, not sampled: every capability id the two rule sets name, plus one class for all other
        ids, times the 144 combinations of env, data label, tenant risk and QoS.
      </p>
      <div class="two-col">
        <TextArea
          id="diff-old"
          label="OLD rules (JSON)"
          value={diffOldText.value}
          onInput={(v) => (diffOldText.value = v)}
          error={r.oldError}
          rows={14}
        />
        <TextArea
          id="diff-new"
          label="NEW rules (JSON)"
          value={diffNewText.value}
          onInput={(v) => (diffNewText.value = v)}
          error={r.newError}
          rows={14}
        />
      </div>
      {d && (
        <div class="result" id="diff-result">
          <p id="diff-summary" class="outcome">
            {d.identical ? <Badge kind="ok">IDENTICAL</Badge> : (
              <>
                <Badge kind={d.widened.length ? "deny" : "ok"}>{d.widened.length} widened</Badge>
                <Badge kind={d.narrowed.length ? "hold" : "ok"}>{d.narrowed.length} narrowed</Badge>
                <Badge kind="info">{d.changed.length} changed</Badge>
              </>
            )}
          </p>
          {d.shadowed_rule_ids.new.length > 0 && (
            <p class="error" role="alert">
              NEW has shadowed rules ({d.shadowed_rule_ids.new.join(", ")}): every prod and edge
              request is denied.
            </p>
          )}
          <ClassList id="diff-widened" title="Widened: NEW allows, OLD denied" list={d.widened} />
          <ClassList
            id="diff-narrowed"
            title="Narrowed: OLD allowed, NEW denies"
            list={d.narrowed}
          />
          <ClassList
            id="diff-changed"
            title="Changed: both allow, the decision differs"
            list={d.changed}
          />
        </div>
      )}
    </div>
  );
}
