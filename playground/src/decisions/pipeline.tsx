/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The decision pipeline as a diagram: every step in the order the core runs them, each with its
 * trace outcome, the step where the decision stopped (a deny) or was held marked, and the steps
 * after a deny (which the core's trace lists as skipped) shown as not reached.
 *
 * @module
 */

import type { JSX } from "preact";
import { PIPELINE_STEPS, type RouteDecision, type TraceStep } from "../../../mod.ts";

/** One step of the diagram. */
export interface PipelineNode {
  /** Step name. */
  step: string;
  /** Its trace outcome, `unreached` after a deny, `not_run` when the trace does not list it. */
  state: TraceStep["outcome"] | "unreached" | "not_run";
  /** The trace's sentence, if any. */
  detail: string;
  /** The step the decision stopped at (its deny) or was held at. */
  stop: boolean;
}

/** The pipeline's steps with what the trace says of each. */
export function pipelineNodes(trace: readonly TraceStep[]): PipelineNode[] {
  const byStep = new Map<string, TraceStep>();
  for (const s of trace) if (!byStep.has(s.step)) byStep.set(s.step, s);
  const denyAt = trace.find((s) => s.outcome === "deny")?.step;
  const stopIndex = denyAt ? PIPELINE_STEPS.indexOf(denyAt) : -1;
  return PIPELINE_STEPS.map((step, i) => {
    const t = byStep.get(step);
    // After a deny the core lists the remaining steps as skipped: they were never reached.
    if (stopIndex >= 0 && i > stopIndex) {
      return { step, state: "unreached", detail: t?.detail ?? "", stop: false };
    }
    if (t) {
      return {
        step,
        state: t.outcome,
        detail: t.detail,
        stop: t.outcome === "deny" || t.outcome === "hold",
      };
    }
    return { step, state: "not_run", detail: "", stop: false };
  });
}

const WORDS: Record<PipelineNode["state"], string> = {
  pass: "passed",
  deny: "denied here",
  hold: "held here",
  skip: "did not apply",
  unreached: "not reached",
  not_run: "not reported",
};

/** The diagram for a decision (nothing when the core returned no trace). */
export function Pipeline(props: { decision: RouteDecision }): JSX.Element | null {
  const trace = props.decision.trace;
  if (!trace || trace.length === 0) return null;
  const nodes = pipelineNodes(trace);
  const stop = nodes.find((n) => n.state === "deny") ?? nodes.find((n) => n.state === "hold");
  return (
    <figure class="pipeline-figure">
      <figcaption>
        Pipeline{stop
          ? (
            <>
              : {stop.state === "deny" ? "stopped" : "held"} at{" "}
              <code id="pipeline-stop">{stop.step}</code>
            </>
          )
          : ": every step passed"}
      </figcaption>
      <ol class="pipeline" id="pipeline" aria-label="Decision pipeline, in order">
        {nodes.map((n) => (
          <li
            key={n.step}
            class={`pipe-${n.state === "not_run" ? "skip" : n.state}`}
            data-step={n.step}
            data-state={n.state}
            aria-current={n.stop ? "step" : undefined}
          >
            <span class="pipe-step" title={n.detail || WORDS[n.state]}>
              {n.step}
              {n.stop && (n.state === "deny" ? " ✕" : " ⏸")}
              <span class="sr-only">: {WORDS[n.state]}</span>
            </span>
          </li>
        ))}
      </ol>
      <p class="muted pipeline-legend">
        ✕ denied here · ⏸ held here · dotted: did not apply · struck through: not reached
      </p>
    </figure>
  );
}
