/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Cedar panel: write a Cedar policy set, see it checked against the schema generated from the
 * catalog, and see the Decisions panel's request decided with it as the policy gate, plus the
 * gate's answer over every environment and data label. The Cedar engine (wasm) is loaded when
 * the panel first opens, from this site (`cedar.js`, `cedar_wasm_bg.wasm`), never a CDN.
 *
 * @module
 */

import { computed, signal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import {
  bundledCatalogData,
  DATA_LABELS,
  ENVS,
  parseRules,
  type PolicyContext,
  type PolicyGateFn,
  type PolicyGateResult,
} from "../../../mod.ts";
import {
  cedarCatalogIndex,
  type CedarEngine,
  type CedarGate,
  cedarSchema,
  compileCedarGate,
} from "../../../src/gates/cedar.ts";
import { coreGateValue, type GateAnswer } from "../../../src/gates/types.ts";
import { evaluate } from "../evaluate.ts";
import { errorText } from "../errors.ts";
import {
  bansText,
  cedarText,
  configText,
  gateRows,
  hashesText,
  inputText,
  registryText,
  rulesText,
} from "../state.ts";
import { Badge, JsonView, TextArea } from "../ui.tsx";

type EngineState =
  | { state: "idle" }
  | { state: "loading" }
  | { state: "ready"; engine: CedarEngine; ms: number }
  | { state: "failed"; message: string };

const engineState = signal<EngineState>({ state: "idle" });
/** The policies last compiled (debounced while typing). */
const compiledText = signal(cedarText.value);

function loadEngine(): void {
  if (engineState.value.state !== "idle") return;
  engineState.value = { state: "loading" };
  const t0 = performance.now();
  // A runtime URL: the bundler leaves it alone, so the engine is its own file, fetched only now.
  const url = new URL("./cedar.js", document.baseURI).href;
  const wasm = new URL("./cedar_wasm_bg.wasm", document.baseURI).href;
  (import(url) as Promise<{ loadCedarEngine(u: string): Promise<CedarEngine> }>)
    .then((m) => m.loadCedarEngine(wasm))
    .then((engine) => {
      engineState.value = { state: "ready", engine, ms: performance.now() - t0 };
      performance.mark("wcp:cedar-ready");
    })
    .catch((e) => {
      engineState.value = { state: "failed", message: `the Cedar engine did not load: ${e}` };
    });
}

const catalog = bundledCatalogData();
const index = cedarCatalogIndex(catalog);

/** The world's rules, when they parse (for the schema's extra actions and candidate workers). */
const worldRules = computed(() => {
  try {
    return parseRules(JSON.parse(rulesText.value));
  } catch {
    return null;
  }
});

const schema = computed(() => {
  const caps = new Set<string>();
  for (const r of worldRules.value?.rules ?? []) {
    const c = r.match.capability_id;
    if (typeof c === "string") caps.add(c);
    else if (c && "in" in c) c.in.forEach((x) => caps.add(x));
    else if (c && "eq" in c) caps.add(c.eq);
  }
  return cedarSchema(catalog, [...caps].filter((c) => c.startsWith("cap.")));
});

// As at the hall: refused policies leave the last accepted ones deciding.
let lastGood: CedarGate | null = null;

const compiled = computed<
  { gate: CedarGate | null; error: string | null; ms: number; stale: boolean }
>(() => {
  const es = engineState.value;
  if (es.state !== "ready") return { gate: null, error: null, ms: 0, stale: false };
  const t0 = performance.now();
  try {
    const gate = compileCedarGate(es.engine, {
      text: compiledText.value,
      schema: schema.value,
      index,
      source: "policies",
    });
    lastGood = gate;
    return { gate, error: null, ms: performance.now() - t0, stale: false };
  } catch (e) {
    return { gate: lastGood, error: errorText(e), ms: performance.now() - t0, stale: true };
  }
});

function candidates(ctx: PolicyContext): string[] {
  const rule = worldRules.value?.rules.find((r) => r.rule_id === ctx.matched_rule_id);
  return rule ? rule.decision.candidate_workers_ranked.map((c) => c.worker_species_id) : [];
}

/** The Decisions panel's request decided with the Cedar gate, and the gate's answer. */
const decided = computed(() => {
  const gate = compiled.value.gate;
  if (!gate) return null;
  let answer: GateAnswer | null = null;
  const policyGate: PolicyGateFn = (ctx) => {
    answer = gate.evaluate(ctx, { candidate_workers: candidates(ctx) });
    return coreGateValue(answer) as PolicyGateResult;
  };
  const ev = evaluate(
    {
      rules: rulesText.value,
      registry: registryText.value,
      config: configText.value,
      gate: gateRows.value,
      hashes: hashesText.value,
      input: inputText.value,
      bans: bansText.value,
    },
    Date.now,
    policyGate,
  );
  return { ev, answer: answer as GateAnswer | null };
});

/** The gate's answer for the request's capability and tenant, over every env and data label. */
const grid = computed(() => {
  const gate = compiled.value.gate;
  if (!gate) return null;
  let input: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(inputText.value);
    if (parsed && typeof parsed === "object") input = parsed;
  } catch { /* the Decisions panel reports it */ }
  const str = (k: string, d: string) => (typeof input[k] === "string" ? input[k] as string : d);
  const base = {
    capability_id: str("capability_id", "cap.doc.summarize"),
    tenant_id: str("tenant_id", "acme"),
    tenant_risk: str("tenant_risk", "low"),
    qos_class: str("qos_class", "P2"),
    policy_version: "policy.v0",
    blast_score: 0,
    matched_rule_id: decided.value?.ev.decision?.matched_rule_id ?? "",
  };
  return {
    base,
    rows: ENVS.map((env) => ({
      env,
      cells: DATA_LABELS.map((data_label) => {
        const ctx = { ...base, env, data_label } as PolicyContext;
        return { data_label, answer: gate.evaluate(ctx, { candidate_workers: candidates(ctx) }) };
      }),
    })),
  };
});

function Answer(props: { a: GateAnswer; id?: string }): JSX.Element {
  const kind = props.a.decision === "REQUIRE_HUMAN" ? "steward_hold" : props.a.decision;
  return (
    <span id={props.id}>
      <Badge kind={kind === "ALLOW" ? "dispatch" : kind}>{props.a.decision}</Badge>{" "}
      <span class="muted">
        {props.a.determining_policies.length ? props.a.determining_policies.join(", ") : "none"}
      </span>
    </span>
  );
}

/** The Cedar panel. */
export function CedarPanel(): JSX.Element {
  useEffect(loadEngine, []);
  // Recompile shortly after typing stops (a compile checks every policy against every action).
  const text = cedarText.value;
  useEffect(() => {
    if (text === compiledText.value) return;
    const t = setTimeout(() => (compiledText.value = text), 250);
    return () => clearTimeout(t);
  }, [text]);
  const es = engineState.value;
  const c = compiled.value;
  const d = decided.value;
  const g = grid.value;
  const decision = d?.ev.decision ?? null;
  return (
    <div class="two-col cedar">
      <div class="col">
        <TextArea
          id="cedar-policies"
          label="Cedar policies (the policy gate)"
          hint='Namespace WCP: principal WCP::Tenant (risk), action WCP::Action::"<capability>" (in "domain:<d>", "risk:<tier>"), resource WCP::Environment; context data_label, tenant_risk, qos_class, blast_score, matched_rule_id, candidate_workers.'
          value={text}
          onInput={(v) => (cedarText.value = v)}
          error={c.error}
          rows={18}
        />
        <p id="cedar-status" class="muted" role="status">
          {es.state === "loading" && "Loading the Cedar engine…"}
          {es.state === "failed" && es.message}
          {es.state === "ready" && c.stale && c.gate &&
            "Refused: the last policies that passed still decide."}
          {es.state === "ready" && !c.stale && c.gate &&
            `${c.gate.policies.length} policies checked against the schema (${
              Object.keys(schema.value.WCP.actions).length
            } actions) in ${c.ms.toFixed(0)} ms; version ${c.gate.policy_version}.`}
          {es.state === "ready" && !c.gate &&
            "Refused: no policies have passed yet, so no decision is shown."}
        </p>
        <details>
          <summary>Generated schema</summary>
          <JsonView value={schema.value} label="Cedar schema" id="cedar-schema" />
        </details>
      </div>
      <div class="col">
        <h2>The Decisions panel's request, with these policies as the gate</h2>
        {!decision && <p class="muted" id="cedar-outcome">No decision yet.</p>}
        {decision && (
          <div class="result" aria-live="polite">
            <div class="outcome">
              <Badge kind={decision.outcome}>
                <span id="cedar-outcome">{decision.outcome}</span>
              </Badge>
              {decision.deny_reason_if_denied && (
                <code id="cedar-deny-code">{decision.deny_reason_if_denied.code}</code>
              )}
            </div>
            <dl class="facts">
              <dt>matched rule</dt>
              <dd>{decision.matched_rule_id}</dd>
              <dt>gate</dt>
              <dd id="cedar-gate">
                {d?.answer
                  ? <Answer a={d.answer} id="cedar-answer" />
                  : "not consulted (the rule does not set escalation.policy_gate)"}
              </dd>
              {d?.answer && (
                <>
                  <dt>reason</dt>
                  <dd>{d.answer.reason}</dd>
                </>
              )}
            </dl>
          </div>
        )}
        {g && (
          <>
            <h3>
              The gate's answer for <code>{g.base.capability_id}</code>, tenant{" "}
              <code>{g.base.tenant_id}</code> ({g.base.tenant_risk} risk)
            </h3>
            <div class="table-scroll">
              <table id="cedar-grid">
                <thead>
                  <tr>
                    <th scope="col">env</th>
                    {DATA_LABELS.map((l) => <th scope="col" key={l}>{l}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {g.rows.map((r) => (
                    <tr key={r.env}>
                      <th scope="row">{r.env}</th>
                      {r.cells.map((cell) => (
                        <td key={cell.data_label} data-cell={`${r.env}/${cell.data_label}`}>
                          <Answer a={cell.answer} />
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </div>
    </div>
  );
}
