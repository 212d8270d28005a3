/**
 * The dashboard's pure figures (no DOM): the approval countdown, the charts' bucketing and axis.
 *
 * @module
 */

import type { HallStats } from "../../../mod.ts";

/** `4:05` left, `1 h 02 min` left, or null once past. */
export function countdown(expiresAt: string, now: number): string | null {
  const left = Math.floor((Date.parse(expiresAt) - now) / 1000);
  if (!(left > 0)) return null;
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, "0")} min` : `${m}:${String(s).padStart(2, "0")}`;
}

/** One minute of `GET /wcp/stats`. */
export type Minute = HallStats["decisions"]["per_minute"][number];

/** At most `MAX_BARS` bars: consecutive minutes are summed. */
export function rebucket(minutes: Minute[], max = 120): { per: number; bars: Minute[] } {
  const per = Math.max(1, Math.ceil(minutes.length / max));
  const bars: Minute[] = [];
  for (let i = 0; i < minutes.length; i += per) {
    const group = minutes.slice(i, i + per);
    bars.push({
      minute: group[0].minute,
      DISPATCH: group.reduce((n, m) => n + m.DISPATCH, 0),
      DENY: group.reduce((n, m) => n + m.DENY, 0),
      STEWARD_HOLD: group.reduce((n, m) => n + m.STEWARD_HOLD, 0),
    });
  }
  return { per, bars };
}

/** A round upper bound for an axis (1, 2, 5, 10, 20, 50, ...). */
export function niceMax(v: number): number {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}
