/**
 * The ban list: report (any token), confirm, reject, lift (admin), list. Confirmed hashes are
 * refused at dispatch; a rejected report and a lifted ban are not (confirm enforces them again).
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { z } from "zod";
import { normalizeDigest } from "../../encoding/hash.ts";
import { type HallEnv, principal } from "../_http.ts";
import { Ban, page } from "../api_schemas.ts";
import { decodeCursor, pageBody, pageParams } from "../_paging.ts";
import { HttpError } from "../errors.ts";
import type { Hall } from "../hall.ts";
import { BanReportBody, BanReviewBody } from "../schemas.ts";
import type { BanRow } from "../store/types.ts";
import { fails, mount, operation, type OperationInput } from "./_declare.ts";

// The `ban` event of /wcp/events (admins only: it names no tenant), on every instance of the hall.
function banEvent(
  hall: Hall,
  change: "reported" | "confirmed" | "rejected" | "lifted",
  row: BanRow,
): void {
  hall.events.publish("ban", { ...row, change } as unknown as Record<string, unknown>);
}

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

// The digest is checked by the route (400 INVALID_BODY naming sha256, as for the report's body).
const Sha = z.object({ sha256: z.string().describe("sha256:<64 hex> or 64 hex digits") });

/** The ban list operations. */
export const banOps = {
  report: operation({
    method: "post",
    path: "/wcp/ban-list/report",
    operationId: "reportBan",
    summary: "Report a hash",
    tag: "ban list",
    auth: "token",
    body: BanReportBody,
    responses: {
      200: { description: "Already on the list: the stored entry", schema: Ban },
      201: { description: "Reported", schema: Ban },
    },
  }),
  confirm: operation({
    method: "post",
    path: "/wcp/ban-list/{sha256}/confirm",
    operationId: "confirmBan",
    summary: "Confirm a reported hash (enforced at dispatch)",
    tag: "ban list",
    auth: "admin",
    params: Sha,
    responses: {
      200: { description: "Confirmed", schema: Ban },
      404: fails("BAN_UNKNOWN: report the hash first"),
    },
  }),
  reject: operation({
    method: "post",
    path: "/wcp/ban-list/{sha256}/reject",
    operationId: "rejectBan",
    summary: "Reject a report (never enforced); 409 BAN_STATE unless it is reported",
    tag: "ban list",
    auth: "admin",
    params: Sha,
    body: BanReviewBody,
    responses: {
      200: { description: "Rejected", schema: Ban },
      404: fails("BAN_UNKNOWN"),
      409: fails("BAN_STATE: the entry is not reported"),
    },
  }),
  lift: operation({
    method: "post",
    path: "/wcp/ban-list/{sha256}/lift",
    operationId: "liftBan",
    summary: "Lift a confirmed ban (no longer enforced); 409 BAN_STATE unless it is confirmed",
    tag: "ban list",
    auth: "admin",
    params: Sha,
    body: BanReviewBody,
    responses: {
      200: { description: "Lifted", schema: Ban },
      404: fails("BAN_UNKNOWN"),
      409: fails("BAN_STATE: the entry is not confirmed"),
    },
  }),
  list: operation({
    method: "get",
    path: "/wcp/ban-list",
    operationId: "listBans",
    summary: "The ban list in report order, one page (?status&limit&cursor)",
    tag: "ban list",
    auth: "token",
    query: z.strictObject({
      status: z.enum(BAN_STATUSES, { error: `one of ${BAN_STATUSES.join(", ")}` }).optional(),
      ...pageParams,
    }),
    responses: { 200: { description: "A page of entries", schema: page("bans", Ban) } },
  }),
};

/** Ban list routes. */
export function banRoutes(hall: Hall): Hono<HallEnv> {
  const app = new Hono<HallEnv>();
  const iso = () => new Date(hall.now()).toISOString();

  mount(app, banOps.report, async (c, input) => {
    const p = principal(c);
    const body = await input.body();
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
    // 200 with the stored entry when the hash is on the list already (decided by reading it
    // first: a time comparison took a second report in the same millisecond for a new one).
    const known = await hall.store.getBan(row.sha256);
    const stored = known ?? await hall.store.reportBan(row);
    if (!known) banEvent(hall, "reported", stored);
    return c.json(stored, known ? 200 : 201);
  });

  mount(app, banOps.confirm, async (c, { params }) => {
    const p = principal(c);
    const sha = digestOr400(params.sha256, "sha256");
    const row = await hall.store.confirmBan(sha, p.token_id, iso());
    if (!row) throw new HttpError(404, "BAN_UNKNOWN", "report the hash first", { path: "sha256" });
    hall.applyBan(row);
    hall.peers?.send({ t: "registry" });
    banEvent(hall, "confirmed", row);
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
  const review = (to: "rejected" | "lifted") =>
  async (
    c: Context<HallEnv>,
    input: OperationInput<typeof BanReviewBody, z.ZodType, typeof Sha>,
  ) => {
    const p = principal(c);
    const sha = digestOr400(input.params.sha256, "sha256");
    const body = await input.body();
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
      hall.applyBan(row);
      hall.peers?.send({ t: "registry" });
    }
    banEvent(hall, to, row);
    return c.json(row);
  };
  mount(app, banOps.reject, review("rejected"));
  mount(app, banOps.lift, review("lifted"));

  mount(app, banOps.list, async (c, { query }) => {
    const after = decodeCursor("ban-list", query.cursor, ["string", "string"]);
    const p = await hall.store.pageBans({
      ...(query.status ? { status: query.status } : {}),
      after,
      ...(query.limit ? { limit: query.limit } : {}),
    });
    return c.json(pageBody("bans", "ban-list", p.rows, p.next));
  });

  return app;
}
