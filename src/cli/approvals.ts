// `wcp approvals list|show|approve|deny|escalate`: the hall's human approvals. What a supervisor
// needs to decide is shown: the request itself, why it is held, who asked, blast figures, expiry.
// A refusal (403 APPROVER_IS_REQUESTER, 409 not pending, 404 unknown) exits 1 with the hall's
// message on stderr.

import type { HallApproval } from "../../mod.ts";
import { type Command, optString, positionals } from "./_args.ts";
import { callHall, HALL_OPTS, hallClient } from "./_hall.ts";
import {
  bold,
  cyan,
  dim,
  EXIT,
  green,
  out,
  outJson,
  red,
  table,
  UsageError,
  yellow,
} from "./_io.ts";

const STATUSES = ["pending", "approved", "denied", "expired", "consumed", "all"] as const;

type Row = HallApproval & Record<string, unknown>;

/** `{principal_id, label}` (the approvals contract) or a bare id (older halls), as one string. */
export function whoText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    const id = typeof o.principal_id === "string" ? o.principal_id : "?";
    return typeof o.label === "string" && o.label !== "" ? `${o.label} (${id})` : id;
  }
  return "-";
}

/** The hold reasons of an approval (its decision's escalation context). */
export function holdReasons(a: Row): string[] {
  const ctx = (a.decision as unknown as Record<string, unknown> | undefined)?.escalation_context as
    | Record<string, unknown>
    | undefined;
  const reasons = ctx?.hold_reasons;
  return Array.isArray(reasons) ? reasons.map(String) : [];
}

function expiresIn(a: Row, now: number): string {
  const t = Date.parse(String(a.expires_at));
  if (!Number.isFinite(t)) return "-";
  const s = Math.round((t - now) / 1000);
  if (s <= 0) return "expired";
  return s >= 120 ? `${Math.floor(s / 60)} min` : `${s} s`;
}

function statusText(s: string): string {
  return s === "pending" ? yellow(s) : s === "approved" || s === "consumed" ? green(s) : red(s);
}

/** The fields `--json` and the text view share for one approval. */
function summary(a: Row, now: number): Record<string, unknown> {
  const d = a.decision as unknown as Record<string, unknown> | undefined;
  const ctx = (d?.escalation_context ?? {}) as Record<string, unknown>;
  return {
    approval_id: a.approval_id,
    status: a.status,
    capability_id: a.capability_id,
    tenant_id: a.tenant_id,
    supervisor_level: a.supervisor_level,
    requested_by: a.requested_by ?? null,
    hold_reasons: holdReasons(a),
    blast_score: ctx.blast_score ?? d?.blast_score ?? null,
    chain_blast_score: ctx.chain_blast_score ?? d?.chain_blast_score ?? null,
    blast_cap: ctx.blast_cap ?? null,
    expires_at: a.expires_at,
    expires_in: a.status === "pending" ? expiresIn(a, now) : null,
  };
}

const list: Command = {
  name: "approvals list",
  summary: "List the hall's approvals (default: pending) with who asked and why each is held.",
  options: {
    ...HALL_OPTS,
    status: {
      type: "string",
      arg: "STATUS",
      help: `one of ${STATUSES.join(", ")} (default pending)`,
    },
  },
  details: "Exit status: 0 listed, 1 refused (e.g. not an admin token), 2 bad input, 3/4 hall.",
  async run(ctx) {
    positionals(ctx, []);
    const status = optString(ctx, "status") ?? "pending";
    if (!(STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(
        `--status: ${JSON.stringify(status)} is not one of ${STATUSES.join(", ")}`,
      );
    }
    const client = hallClient(ctx);
    const rows = await callHall(
      "approvals",
      () =>
        status === "all"
          ? client.approvals()
          : client.approvals({ status: status as HallApproval["status"] }),
    ) as Row[];
    const now = Date.now();
    if (ctx.json) {
      outJson(rows.map((a) => summary(a, now)));
      return EXIT.ok;
    }
    if (!rows.length) {
      out(`no ${status === "all" ? "" : status + " "}approvals`);
      return EXIT.ok;
    }
    const lines = table([
      ["approval", "status", "capability", "tenant", "level", "asked by", "expires", "held because"]
        .map((h) => bold(h)),
      ...rows.map((a) => {
        const s = summary(a, now);
        return [
          cyan(a.approval_id),
          statusText(a.status),
          a.capability_id,
          a.tenant_id,
          a.supervisor_level,
          whoText(a.requested_by),
          String(s.expires_in ?? "-"),
          (s.hold_reasons as string[]).join("; ") || "-",
        ];
      }),
    ]);
    for (const l of lines) out(l);
    return EXIT.ok;
  },
};

function printApproval(a: Row): void {
  const s = summary(a, Date.now());
  const input = (a.input ?? {}) as Record<string, unknown>;
  out(`${bold("approval")}     ${cyan(a.approval_id)} ${statusText(a.status)}`);
  out(`${bold("capability")}   ${a.capability_id} for tenant ${a.tenant_id}`);
  out(
    `${bold("env")}          ${input.env ?? "-"}, data ${input.data_label ?? "-"}, tenant risk ${
      input.tenant_risk ?? "-"
    }, qos ${input.qos_class ?? "-"}`,
  );
  out(`${bold("asked by")}     ${whoText(a.requested_by)}`);
  out(`${bold("supervisor")}   ${a.supervisor_level} (escalations: ${a.escalations ?? 0})`);
  const reasons = s.hold_reasons as string[];
  out(`${bold("held because")} ${reasons.length ? reasons.join("; ") : "-"}`);
  const blast = [`score ${s.blast_score ?? "-"}`];
  if (s.chain_blast_score !== null) blast.push(`chain total ${s.chain_blast_score}`);
  if (s.blast_cap !== null) blast.push(`cap ${s.blast_cap}`);
  out(`${bold("blast")}        ${blast.join(", ")}`);
  out(
    `${bold("expires")}      ${a.expires_at}${
      a.status === "pending" ? ` (in ${s.expires_in})` : ""
    }`,
  );
  if (a.resolved_at) {
    out(
      `${bold("resolved")}     ${a.resolved_at} by ${whoText(a.resolved_by)}${
        a.note ? `: ${a.note}` : ""
      }`,
    );
  }
  out(bold("request"));
  for (const l of JSON.stringify(input.request ?? null, null, 2).split("\n")) out(`  ${l}`);
  out(dim(`correlation ${a.correlation_id}, decision ${a.decision_id}`));
}

const show: Command = {
  name: "approvals show",
  summary: "Show one approval: the full request, hold reasons, requester, blast and expiry.",
  positionals: "APPROVAL_ID",
  options: { ...HALL_OPTS },
  details: "Exit status: 0 shown, 1 unknown or refused, 2 bad input, 3/4 hall.",
  async run(ctx) {
    const [id] = positionals(ctx, ["APPROVAL_ID"]);
    const client = hallClient(ctx);
    const a = await callHall(`approval ${id}`, () => client.approval(id)) as Row;
    if (ctx.json) outJson(a);
    else printApproval(a);
    return EXIT.ok;
  },
};

function resolveCommand(decision: "approve" | "deny"): Command {
  return {
    name: `approvals ${decision}`,
    summary: decision === "approve"
      ? "Approve a held request (it may then be dispatched once: wcp dispatch --approval ID)."
      : "Deny a held request.",
    positionals: "APPROVAL_ID",
    options: { ...HALL_OPTS, note: { type: "string", arg: "TEXT", help: "why (recorded)" } },
    details: "The requester may not resolve their own request unless the hall allows it\n" +
      "(403 APPROVER_IS_REQUESTER). Exit status: 0 done, 1 refused (not pending, expired,\n" +
      "the requester, unknown), 2 bad input, 3/4 hall.",
    async run(ctx) {
      const [id] = positionals(ctx, ["APPROVAL_ID"]);
      const note = optString(ctx, "note");
      const client = hallClient(ctx);
      const a = await callHall(
        `${decision} ${id}`,
        () => client.resolveApproval(id, decision, note),
      ) as Row;
      if (ctx.json) outJson(a);
      else {
        out(`${statusText(a.status)} ${a.approval_id} (${a.capability_id}, ${a.tenant_id})`);
        if (decision === "approve") out(dim(`next: wcp dispatch --approval ${a.approval_id}`));
      }
      return EXIT.ok;
    },
  };
}

const escalate: Command = {
  name: "approvals escalate",
  summary: "Raise a held request to the next supervisor level (renews its expiry).",
  positionals: "APPROVAL_ID",
  options: { ...HALL_OPTS, note: { type: "string", arg: "TEXT", help: "why (recorded)" } },
  details:
    "Levels: advisory, gatekeeper, executor, incident_commander; escalating at the top is\n" +
    "refused (409 APPROVAL_ESCALATION_EXHAUSTED). Exit status: 0 escalated, 1 refused, 2, 3, 4.",
  async run(ctx) {
    const [id] = positionals(ctx, ["APPROVAL_ID"]);
    const note = optString(ctx, "note");
    const client = hallClient(ctx);
    const a = await callHall(`escalate ${id}`, () => client.escalateApproval(id, note)) as Row;
    if (ctx.json) outJson(a);
    else out(`escalated ${a.approval_id} to ${bold(a.supervisor_level)}, expires ${a.expires_at}`);
    return EXIT.ok;
  },
};

/** The approvals commands. */
export const approvalsCommands: Command[] = [
  list,
  show,
  resolveCommand("approve"),
  resolveCommand("deny"),
  escalate,
];
