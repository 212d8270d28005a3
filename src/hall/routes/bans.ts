/**
 * The ban list: report (any token), confirm, reject, lift (admin), list. Confirmed hashes are
 * refused at dispatch; a rejected report and a lifted ban are not (confirm enforces them again).
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { normalizeDigest } from "../../hash.ts";
import { type HallEnv, principal, validBody } from "../_http.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { BanReportBody, BanReviewBody } from "../schemas.ts";
import { requireAdmin } from "../security.ts";
import type { BanStatus } from "../../hall_wire.ts";
import type { BanRow } from "../store/types.ts";

function digestOr400(value: string, path: string): string {
  const d = normalizeDigest(value);
  if (!d) {
    throw new HttpError(400, "INVALID_BODY", `${path}: must be sha256:<64 hex> or 64 hex digits`, {
      path,
    });
  }
  return d;
}

const BAN_STATUSES = ["reported", "confirmed", "rejected", "lifted"] as const;

/** Ban list routes. */
export function banRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();
  const iso = () => new Date(hall.now()).toISOString();

  app.post("/wcp/ban-list/report", async (c) => {
    const p = principal(c);
    const body = await validBody(c, BanReportBody);
    const row: BanRow = {
      sha256: digestOr400(body.sha256, "sha256"),
      reason: body.reason,
      source: p.token_id,
      evidence_url: body.evidence_url ?? null,
      reported_at: iso(),
      status: "reported",
      confirmed_at: null,
      confirmed_by: null,
    };
    const stored = await hall.store.reportBan(row);
    return c.json(stored, stored === row || stored.reported_at === row.reported_at ? 201 : 200);
  });

  app.post("/wcp/ban-list/:sha256/confirm", async (c) => {
    const p = principal(c);
    requireAdmin(p);
    const sha = digestOr400(c.req.param("sha256"), "sha256");
    const row = await hall.store.confirmBan(sha, p.token_id, iso());
    if (!row) throw new HttpError(404, "BAN_UNKNOWN", "report the hash first", { path: "sha256" });
    hall.registry.ban({
      sha256: row.sha256,
      reason: row.reason,
      reported_at: row.reported_at,
      source: row.source,
    });
    hall.peers?.send({ t: "registry" });
    // Any enrolled worker already carrying the hash is an incident.
    const hits = (await hall.store.listWorkers()).filter((w) =>
      w.current_hash === sha || hall.registry.registeredHash(w.worker_id) === sha
    );
    if (hits.length) {
      await hall.alert("banned_hash", 1, "enrolled workers carry a newly banned hash", sha, {
        workers: hits.map((w) => w.worker_id),
      });
    }
    return c.json(row);
  });

  // Reject a report (it is never enforced) or lift a confirmed ban (no longer enforced). Each
  // applies to one state only; the other states answer 409 BAN_STATE naming the current one.
  const review = (to: "rejected" | "lifted") => async (c: Context<HallEnv>) => {
    const p = principal(c);
    requireAdmin(p);
    const sha = digestOr400(c.req.param("sha256") ?? "", "sha256");
    const body = await validBody(c, BanReviewBody);
    const from = to === "rejected" ? "reported" : "confirmed";
    const row = await hall.store.reviewBan(sha, to, p.token_id, iso(), body.note ?? null);
    if (!row) {
      throw new HttpError(404, "BAN_UNKNOWN", "no such hash on the ban list", { path: "sha256" });
    }
    if (row.status !== to) {
      throw new HttpError(
        409,
        "BAN_STATE",
        `status: this entry is ${row.status}; only a ${from} entry can be ${to}` +
          (to === "rejected" && row.status === "confirmed" ? " (lift a confirmed ban)" : "") +
          (to === "lifted" && row.status === "reported" ? " (reject a report)" : ""),
        { path: "status", extra: { status: row.status } },
      );
    }
    if (to === "lifted") {
      hall.registry.unban(sha);
      hall.peers?.send({ t: "registry" });
    }
    return c.json(row);
  };
  app.post("/wcp/ban-list/:sha256/reject", review("rejected"));
  app.post("/wcp/ban-list/:sha256/lift", review("lifted"));

  app.get("/wcp/ban-list", async (c) => {
    const status = c.req.query("status");
    if (status !== undefined && !(BAN_STATUSES as readonly string[]).includes(status)) {
      throw new HttpError(400, "INVALID_QUERY", `status: one of ${BAN_STATUSES.join(", ")}`, {
        path: "status",
      });
    }
    const bans = await hall.store.listBans(status ? { status: status as BanStatus } : {});
    return c.json({ bans, count: bans.length });
  });

  return app;
}
