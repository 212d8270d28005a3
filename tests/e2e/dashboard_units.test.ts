// The pure parts of the dashboard and the playground's pipeline diagram, in Deno: the diagram's
// stopping step for every example scenario, the charts' bucketing and axis, the countdown.
import assert from "node:assert/strict";
import { PIPELINE_STEPS } from "../../mod.ts";
import { SCENARIOS } from "../../playground/src/examples.ts";
import { evaluate } from "../../playground/src/evaluate.ts";
import { pipelineNodes } from "../../playground/src/decisions/pipeline.tsx";
import { countdown, niceMax, rebucket } from "../../playground/src/dashboard/figures.ts";

Deno.test("pipeline: a denial stops at its step, what follows is not reached", () => {
  for (const s of SCENARIOS) {
    const d = evaluate(s.world(), () => Date.UTC(2026, 11, 7)).decision;
    if (!d?.trace) continue;
    const nodes = pipelineNodes(d.trace);
    assert.deepEqual(nodes.map((n) => n.step), [...PIPELINE_STEPS], s.id);
    const deny = d.trace.find((t) => t.outcome === "deny");
    if (d.outcome === "DENY" && deny) {
      const at = PIPELINE_STEPS.indexOf(deny.step);
      assert.equal(nodes[at].state, "deny", s.id);
      assert.equal(nodes[at].stop, true, s.id);
      assert.ok(nodes.slice(at + 1).every((n) => n.state === "unreached"), s.id);
      assert.ok(nodes.slice(0, at).every((n) => n.state !== "unreached"), s.id);
    } else {
      assert.equal(nodes.filter((n) => n.state === "unreached").length, 0, s.id);
    }
    if (d.outcome === "STEWARD_HOLD") assert.ok(nodes.some((n) => n.state === "hold"), s.id);
  }
});

Deno.test("charts: at most 120 bars, minutes summed; round axis tops", () => {
  const minutes = Array.from({ length: 1441 }, (_, i) => ({
    minute: new Date(Date.UTC(2026, 11, 7) + i * 60_000).toISOString(),
    DISPATCH: 1,
    DENY: i % 2,
    STEWARD_HOLD: 0,
  }));
  const { per, bars } = rebucket(minutes);
  assert.equal(per, 13);
  assert.ok(bars.length <= 120);
  assert.equal(bars.reduce((n, b) => n + b.DISPATCH, 0), 1441);
  assert.equal(bars.reduce((n, b) => n + b.DENY, 0), 720);
  assert.equal(rebucket(minutes.slice(0, 30)).per, 1);
  assert.deepEqual([0, 1, 3, 7, 10, 11, 46, 120].map(niceMax), [1, 1, 5, 10, 10, 20, 50, 200]);
});

Deno.test("approval countdown: minutes and seconds, hours, nothing once past", () => {
  const now = Date.UTC(2026, 11, 7, 12, 0, 0);
  assert.equal(countdown("2026-12-07T12:04:05Z", now), "4:05");
  assert.equal(countdown("2026-12-07T13:02:00Z", now), "1 h 02 min");
  assert.equal(countdown("2026-12-07T12:00:00Z", now), null);
  assert.equal(countdown("not a time", now), null);
});
