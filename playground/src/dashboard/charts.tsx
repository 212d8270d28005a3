/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Charts tab, drawn as plain SVG from `GET /wcp/stats`: decisions per minute by outcome
 * (stacked bars), the top deny codes, dispatch latency per worker (p50, p95, max). Each chart
 * has a text summary for screen readers and its figures as a table.
 *
 * @module
 */

import type { JSX } from "preact";
import type { HallStats } from "../../../mod.ts";
import { Refused } from "./refused.tsx";
import { loadStats, stats, statsWindow } from "./state.ts";
import { Select } from "../ui.tsx";
import { niceMax, rebucket } from "./figures.ts";

const OUTCOMES = ["DISPATCH", "DENY", "STEWARD_HOLD"] as const;
const WINDOWS: Record<string, number> = {
  "15 minutes": 15,
  "30 minutes": 30,
  "1 hour": 60,
  "6 hours": 360,
  "24 hours": 1440,
};

const hhmm = (iso: string) => iso.slice(11, 16);
// A window of a day or more names the day too.
const when = (iso: string, s: HallStats) =>
  Date.parse(s.until) - Date.parse(s.since) >= 86_400_000
    ? iso.slice(5, 16).replace("T", " ")
    : hhmm(iso);

function DecisionsChart(props: { s: HallStats }): JSX.Element {
  const { per, bars } = rebucket(props.s.decisions.per_minute);
  const top = niceMax(Math.max(0, ...bars.map((b) => b.DISPATCH + b.DENY + b.STEWARD_HOLD)));
  const W = 600;
  const H = 180;
  const L = 34;
  const B = 20;
  const bw = (W - L) / Math.max(1, bars.length);
  const y = (v: number) => ((H - B) * v) / top;
  const by = props.s.decisions.by_outcome;
  return (
    <figure class="chart" id="chart-decisions">
      <figcaption>
        Decisions per {per === 1 ? "minute" : `${per} minutes`} by outcome
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${props.s.decisions.total} decisions: ${
          OUTCOMES.map((o) => `${by[o] ?? 0} ${o}`).join(", ")
        }, from ${hhmm(props.s.since)} to ${hhmm(props.s.until)} UTC`}
      >
        <line x1={L} x2={W} y1={H - B} y2={H - B} class="axis" />
        <text x={L - 4} y={10} class="tick" text-anchor="end">{top}</text>
        <text x={L - 4} y={H - B} class="tick" text-anchor="end">0</text>
        {bars.map((b, i) => {
          let base = H - B;
          return (
            <g key={b.minute}>
              <title>
                {`${
                  hhmm(b.minute)
                }: ${b.DISPATCH} dispatched, ${b.DENY} denied, ${b.STEWARD_HOLD} held`}
              </title>
              {OUTCOMES.map((o) => {
                const h = y(b[o]);
                base -= h;
                return h > 0
                  ? (
                    <rect
                      key={o}
                      x={L + i * bw + bw * 0.1}
                      width={Math.max(1, bw * 0.8)}
                      y={base}
                      height={h}
                      class={`bar-${o.toLowerCase()}`}
                    />
                  )
                  : null;
              })}
            </g>
          );
        })}
        {[0.25, 0.5, 0.75].map((f) => {
          const i = Math.round(bars.length * f);
          return bars[i]
            ? (
              <text key={f} x={L + i * bw} y={H - 4} class="tick" text-anchor="middle">
                {hhmm(bars[i].minute)}
              </text>
            )
            : null;
        })}
        <text x={L} y={H - 4} class="tick">{when(props.s.since, props.s)}</text>
        <text x={W} y={H - 4} class="tick" text-anchor="end">
          {when(props.s.until, props.s)} UTC
        </text>
      </svg>
      <ul class="legend">
        {OUTCOMES.map((o) => (
          <li key={o}>
            <span class={`swatch bar-${o.toLowerCase()}`} aria-hidden="true" />
            {o} <b data-total={o}>{by[o] ?? 0}</b>
          </li>
        ))}
      </ul>
    </figure>
  );
}

function HBars(props: {
  id: string;
  caption: string;
  rows: { label: string; value: number; extra?: string }[];
  unit: string;
  empty: string;
}): JSX.Element {
  if (props.rows.length === 0) {
    return (
      <figure class="chart" id={props.id}>
        <figcaption>{props.caption}</figcaption>
        <p class="muted">{props.empty}</p>
      </figure>
    );
  }
  const top = niceMax(Math.max(...props.rows.map((r) => r.value)));
  const row = 26;
  const W = 600;
  const L = 230;
  const H = props.rows.length * row + 4;
  return (
    <figure class="chart" id={props.id}>
      <figcaption>{props.caption}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${props.caption}: ${
          props.rows.map((r) => `${r.label} ${r.value}${props.unit}`).join(", ")
        }`}
      >
        {props.rows.map((r, i) => (
          <g key={r.label} data-bar={r.label}>
            <title>{`${r.label}: ${r.value}${props.unit}${r.extra ? ` (${r.extra})` : ""}`}</title>
            <text x={L - 6} y={i * row + 17} class="label" text-anchor="end">
              {r.label.length > 30 ? r.label.slice(0, 29) + "…" : r.label}
            </text>
            <rect
              x={L}
              y={i * row + 4}
              height={row - 8}
              width={Math.max(1, ((W - L - 70) * r.value) / top)}
              class="bar-h"
            />
            <text x={L + ((W - L - 70) * r.value) / top + 6} y={i * row + 17} class="tick">
              {r.value}
              {props.unit}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

function LatencyChart(props: { s: HallStats }): JSX.Element {
  const ws = props.s.dispatch.workers;
  return (
    <>
      <HBars
        id="chart-latency"
        caption="Dispatch latency per worker (p95)"
        unit=" ms"
        empty="No dispatch in this window."
        rows={ws.map((w) => ({
          label: w.worker_id,
          value: w.p95_ms,
          extra: `p50 ${w.p50_ms} ms, max ${w.max_ms} ms, ${w.count} calls, ${w.failed} failed`,
        }))}
      />
      {ws.length > 0 && (
        <div class="table-scroll" tabIndex={0} aria-label="Dispatch latency per worker">
          <table id="latency-table">
            <thead>
              <tr>
                <th scope="col">worker</th>
                <th scope="col">calls</th>
                <th scope="col">failed</th>
                <th scope="col">p50</th>
                <th scope="col">p95</th>
                <th scope="col">max</th>
              </tr>
            </thead>
            <tbody>
              {ws.map((w) => (
                <tr key={w.worker_id}>
                  <td>
                    <code>{w.worker_id}</code>
                  </td>
                  <td>{w.count}</td>
                  <td>{w.failed}</td>
                  <td>{w.p50_ms} ms</td>
                  <td>{w.p95_ms} ms</td>
                  <td>{w.max_ms} ms</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** The Charts tab. */
export function Charts(): JSX.Element {
  const s = stats.value;
  const label = Object.entries(WINDOWS).find(([, m]) => m === statsWindow.value)?.[0] ??
    "30 minutes";
  return (
    <section class="card" aria-labelledby="h-charts">
      <h2 id="h-charts">Charts</h2>
      <div class="toolbar">
        <Select
          id="stats-window"
          label="Window"
          value={label}
          options={Object.keys(WINDOWS)}
          onChange={(v) => {
            statsWindow.value = WINDOWS[v];
            loadStats();
          }}
        />
        <button type="button" id="stats-reload" onClick={() => loadStats()}>Reload</button>
      </div>
      <Refused part="stats" />
      {!s ? <p class="muted">Loading…</p> : (
        <>
          {s.truncated && (
            <p class="warning">The window holds more than the hall reads for one chart.</p>
          )}
          <p class="muted">
            {s.tenant_id ? `Tenant ${s.tenant_id}` : "All tenants"},{" "}
            {when(s.since, s)}–{when(s.until, s)}{" "}
            UTC. Input the core refuses as invalid is not in the replay log, so not counted here.
          </p>
          <DecisionsChart s={s} />
          <HBars
            id="chart-deny-codes"
            caption="Top deny codes"
            unit=""
            empty="No denial in this window."
            rows={s.decisions.top_deny_codes.map((c) => ({ label: c.code, value: c.count }))}
          />
          <LatencyChart s={s} />
        </>
      )}
    </section>
  );
}
