/**
 * What a fresh hall starts with: example rules, an example `hall.json` (with a policy gate that
 * holds notifications for a human), demo workers that run in process, and the admin token.
 *
 * @module
 */

import { Registry } from "../registry/registry.ts";
import { hashToken, newToken } from "./middleware/auth.ts";
import type { HallStore, WorkerRow } from "./store/types.ts";
import type { InProcessWorker } from "./worker_call.ts";

/** Example rules written to `rules.json` on first start. */
export const EXAMPLE_RULES = {
  rules: [
    {
      rule_id: "example.summarize",
      match: { capability_id: "cap.doc.summarize", data_label: { in: ["PUBLIC", "INTERNAL"] } },
      decision: {
        candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer", score_hint: 1 }],
        required_controls_suggested: ["ctrl.obs.audit-log-append-only"],
        max_blast_by_env: { prod: 8 },
      },
    },
    {
      rule_id: "example.notify",
      match: { capability_id: "cap.msg.notify" },
      decision: {
        candidate_workers_ranked: [{ worker_species_id: "wrk.msg.chatter" }],
        escalation: { policy_gate: true },
      },
    },
    {
      rule_id: "example.greet",
      match: { capability_id: "cap.hello.greet" },
      decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.hello.greeter" }] },
    },
  ],
};

/** Example `hall.json` written on first start. */
export const EXAMPLE_HALL_CONFIG = {
  rules_file: "rules.json",
  hall_config: { approval_ttl_seconds: 900 },
  policy_gate: {
    policy_version: "pol.example.v1",
    default: "ALLOW",
    rules: [{
      match: { capability_id: "cap.msg.notify" },
      decision: "REQUIRE_HUMAN",
      reason: "example: notifications need a human's approval",
      supervisor_level: "gatekeeper",
    }],
  },
  allowed_origins: [],
  telemetry: {},
};

/** Demo worker records (enrolled on first start). */
export const DEMO_RECORDS = [
  {
    worker_id: "org.demo.summarizer.1",
    worker_species_id: "wrk.doc.summarizer",
    capabilities: ["cap.doc.summarize"],
    risk_tier: "low",
    currently_implements: ["ctrl.obs.audit-log-append-only"],
    allowed_environments: ["dev", "stage", "prod"],
    blast_radius: { data: 1, network: 0, financial: 0, time: 1, reversibility: "reversible" },
    owner: "demo",
  },
  {
    worker_id: "org.demo.notifier.1",
    worker_species_id: "wrk.msg.chatter",
    capabilities: ["cap.msg.notify"],
    risk_tier: "low",
    allowed_environments: ["dev", "stage"],
    blast_radius: { data: 1, network: 2, financial: 0, time: 0, reversibility: "irreversible" },
    owner: "demo",
  },
  {
    worker_id: "org.demo.greeter.1",
    worker_species_id: "wrk.hello.greeter",
    capabilities: ["cap.hello.greet"],
    risk_tier: "low",
    owner: "demo",
  },
] as const;

/** The demo workers' code, run in process. */
export const DEMO_WORKERS: Record<string, InProcessWorker> = {
  "org.demo.summarizer.1": (call) => {
    const text = String(call.request.text ?? "");
    const first = text.split(/(?<=[.!?])\s+/)[0] ?? "";
    return { summary: first.slice(0, 280), words: text.split(/\s+/).filter(Boolean).length };
  },
  "org.demo.notifier.1": (call) => ({
    delivered: true,
    to: String(call.request.to ?? "ops"),
    message: String(call.request.message ?? ""),
  }),
  "org.demo.greeter.1": (call) => ({ greeting: `hello, ${String(call.request.name ?? "world")}` }),
};

/** Enrol the demo workers into an empty store. */
export async function enrollDemoWorkers(store: HallStore, now: number): Promise<string[]> {
  const at = new Date(now).toISOString();
  const ids: string[] = [];
  for (const r of DEMO_RECORDS) {
    const record = new Registry().enroll(structuredClone(r));
    const row: WorkerRow = {
      worker_id: record.worker_id,
      namespace: "org.demo",
      record,
      status: "active",
      current_hash: null,
      attestation: null,
      flagged: false,
      enrolled_by: "bootstrap",
      enrolled_at: at,
      updated_at: at,
    };
    await store.putWorker(row);
    ids.push(record.worker_id);
  }
  return ids;
}

/** `WCP_ADMIN_TOKEN` names a token that was revoked (the hall refuses to start with it). */
export class RevokedAdminTokenError extends Error {
  /** Id of the revoked token. */
  readonly tokenId: string;
  constructor(tokenId: string, revokedAt: string) {
    super(
      `WCP_ADMIN_TOKEN is token ${tokenId}, revoked at ${revokedAt}: a revoked token is never ` +
        "restored; unset WCP_ADMIN_TOKEN or set a new token",
    );
    this.name = "RevokedAdminTokenError";
    this.tokenId = tokenId;
  }
}

/**
 * Make sure an admin token exists. With `fixed` (from `WCP_ADMIN_TOKEN`) that token is added if
 * missing; otherwise a token is generated only when the store has none. Returns the plain token
 * when one was created now (it is never stored in plain text). Throws `RevokedAdminTokenError`
 * when `fixed` was revoked.
 */
export async function ensureAdminToken(
  store: HallStore,
  now: number,
  fixed?: string,
): Promise<string | null> {
  const tokens = await store.listTokens();
  if (fixed) {
    const hash = hashToken(fixed);
    const known = tokens.find((t) => t.token_hash === hash);
    if (known && known.revoked_at === null) return null;
    // A revoked token stays revoked: it is never re-added (and the hash is unique in the store).
    if (known) throw new RevokedAdminTokenError(known.token_id, known.revoked_at!);
  } else if (tokens.some((t) => t.role === "admin" && t.revoked_at === null)) {
    return null;
  }
  const token = fixed ?? newToken();
  const row = {
    token_id: `tok_admin_${crypto.randomUUID().slice(0, 8)}`,
    token_hash: hashToken(token),
    role: "admin",
    namespace: null,
    label: fixed ? "admin (WCP_ADMIN_TOKEN)" : "admin (first start)",
    created_at: new Date(now).toISOString(),
    revoked_at: null,
  } as const;
  try {
    await store.createToken(row);
  } catch (e) {
    // Several instances starting at once on one database: another one stored it first.
    if (fixed && await store.findToken(hashToken(fixed))) return null;
    throw e;
  }
  return token;
}
