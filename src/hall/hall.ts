/**
 * The hall's state and operations, shared by the routes: the current rules, a registry mirror of
 * the store, decisions with chain totals, dispatch with receipts, approvals, alerts, events.
 *
 * @module
 */

import { type HallConfig, validateHallConfig } from "../config.ts";
import { WcpError } from "../errors.ts";
import { uuidV7 } from "../ids.ts";
import type { RegistryRecord, RouteDecision, SupervisorLevel } from "../model.ts";
import type { PolicyGate, PolicyGateFn, PolicyGateResult } from "../decision/policy.ts";
import { Registry } from "../registry/registry.ts";
import type { Receipt } from "../receipts/mod.ts";
import { makeDecision } from "../decision/router.ts";
import { parseRules, type RuleSet } from "../rules/mod.ts";
import type { HallPeers } from "./cluster.ts";
import { HttpError } from "./errors.ts";
import { EventHub } from "./events.ts";
import type { ReceiptService } from "./receipt_service.ts";
import type { Principal } from "./middleware/auth.ts";
import type {
  AlertKind,
  AlertRow,
  ApprovalPrincipal,
  ApprovalRow,
  BanRow,
  DecisionRow,
  HallStore,
  ReceiptRow,
  RegistryChanges,
  WorkerRow,
} from "./store/types.ts";
import type { TelemetryPipeline } from "./telemetry_sinks.ts";
import { DecisionRecorder } from "./decision_records.ts";
import { coreGateValue } from "../gates/types.ts";
import { callWorker, type InProcessWorker } from "./worker_call.ts";
import {
  ApprovalError,
  type Decided,
  Engine,
  type EngineDispatch,
  EngineError,
  type EngineStore,
  ESCALATION_LADDER as LADDER,
  worldWorkerCheck,
} from "../engine/mod.ts";
import { decideWithGate, gateExtras, type LoadedGate } from "./gates.ts";

/** Result of a dispatch. */
export interface DispatchResult {
  /** The decision (the stored holding decision for an approved request). */
  decision: RouteDecision;
  /** What the worker returned, when it ran. */
  result?: unknown;
  /** The hall-minted receipt, when the worker was called. */
  receipt?: ReceiptRow["receipt"];
  /** True when the worker call failed (the receipt records it). */
  worker_error?: string | null;
  /** The approval consumed, for approved requests. */
  approval_id?: string;
}

/** How the hall was set up. */
export interface HallInit {
  store: HallStore;
  rules: RuleSet;
  rulesPath?: string;
  config: HallConfig;
  policyGate?: PolicyGate | PolicyGateFn;
  inProcessWorkers: Record<string, InProcessWorker>;
  telemetry: TelemetryPipeline;
  receipts: ReceiptService;
  now: () => number;
  workerTimeoutMs: number;
  registrySyncMs: number;
  chainCheckMs: number;
  /** The other threads of this hall process (`--threads`), when there are any. */
  peers?: HallPeers;
  /** Which serving thread this is, of how many (default 0 of 1). */
  thread?: { index: number; count: number };
}

const RECENT_DECISIONS = 20_000;

/** The escalation ladder: each escalation moves a hold one level up (the engine's). */
export const ESCALATION_LADDER: readonly SupervisorLevel[] = LADDER;

// The hall's HTTP status for each engine code (the engine throws codes; only the hall maps them).
const ENGINE_STATUS: Record<string, number> = {
  APPROVAL_UNKNOWN: 404,
  APPROVAL_NOT_PENDING: 409,
  APPROVAL_EXPIRED: 410,
  APPROVAL_CONSUMED: 409,
  APPROVAL_NOT_APPROVED: 409,
  APPROVAL_ESCALATION_EXHAUSTED: 409,
  APPROVAL_MISMATCH: 403,
  APPROVER_IS_REQUESTER: 403,
  APPROVAL_INVALID: 400,
  WORKER_UNAVAILABLE: 409,
  NO_SELECTED_WORKER: 500,
  WORKER_NOT_EXECUTABLE: 500,
};

/**
 * An engine refusal as the hall's HTTP error (`path` for approval ids: `id` on the approval
 * routes, `approval_id` on dispatch); anything else is rethrown as it is.
 */
export function httpErrorOf(e: unknown, approvalPath = "approval_id"): unknown {
  if (!(e instanceof ApprovalError) && !(e instanceof EngineError)) return e;
  const status = ENGINE_STATUS[e.code] ?? 500;
  const extra: Record<string, unknown> = { ...e.details };
  if (e instanceof ApprovalError && e.status && extra.status === undefined) {
    extra.status = e.status;
  }
  const path = e.path === "approval_id" ? approvalPath : e.path;
  return new HttpError(status, e.code, e.message, {
    ...(path ? { path } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
  });
}

// An engine call whose refusals become HTTP errors.
async function http<T>(run: Promise<T>, approvalPath?: string): Promise<T> {
  try {
    return await run;
  } catch (e) {
    throw httpErrorOf(e, approvalPath);
  }
}

// What the hall answers for a dispatch (the engine's result without the approval row).
function dispatchResult(out: EngineDispatch): DispatchResult {
  const { approval: _row, ...rest } = out;
  return rest;
}

/** Who a hall principal is on an approval (`requested_by`, `resolved_by`). */
export function approvalPrincipal(p: Principal): ApprovalPrincipal {
  return { principal_id: p.token_id, label: p.label };
}

/** The hall's state and operations. */
export class Hall {
  readonly store: HallStore;
  readonly events: EventHub = new EventHub();
  readonly telemetry: TelemetryPipeline;
  /** One replay record per decision, for `POST /wcp/simulate`. */
  readonly decisionRecords: DecisionRecorder;
  readonly receipts: ReceiptService;
  readonly config: HallConfig;
  readonly now: () => number;
  readonly startedAt: number;
  readonly inProcessWorkers: Record<string, InProcessWorker>;
  readonly rulesPath: string | undefined;
  /** The other threads of this hall process, when it has several. */
  readonly peers: HallPeers | undefined;
  /** Which serving thread this is, of how many. */
  readonly thread: { index: number; count: number };
  rules: RuleSet;
  rulesLoadedAt: string;
  /** The full chain verification started with the hall (tenants found broken). */
  startupCheck: Promise<string[]> = Promise.resolve([]);
  registry: Registry = new Registry();
  #currentHashes = new Map<string, string>();
  #recent = new Map<string, DecisionRow>();
  #older = new Map<string, DecisionRow>();
  #policyGate: PolicyGate | PolicyGateFn | undefined;
  #gate: LoadedGate | undefined;
  #gateLoader: (() => Promise<LoadedGate | undefined>) | undefined;
  /** The hall.json gate in force: what was loaded, when, and the last refused reload. */
  gateStatus: {
    loaded_at: string | null;
    info: Record<string, unknown> | null;
    last_error: { message: string; path: string; at: string } | null;
  } = { loaded_at: null, info: null, last_error: null };
  #workerTimeoutMs: number;
  #timers: ReturnType<typeof setInterval>[] = [];
  #closed = false;
  /** The governance engine this hall is a face of (dispatch, approvals, receipts). */
  readonly engine: Engine;

  /** Whether a policy gate is configured (one of the checks of the compliance level). */
  get hasPolicyGate(): boolean {
    return this.#gate !== undefined || this.#policyGate !== undefined;
  }

  constructor(init: HallInit) {
    this.store = init.store;
    this.rules = init.rules;
    this.rulesPath = init.rulesPath;
    this.config = init.config;
    this.#policyGate = init.policyGate;
    this.inProcessWorkers = init.inProcessWorkers;
    this.telemetry = init.telemetry;
    this.decisionRecords = new DecisionRecorder(init.store);
    this.receipts = init.receipts;
    this.now = init.now;
    this.startedAt = init.now();
    this.rulesLoadedAt = new Date(this.startedAt).toISOString();
    this.#workerTimeoutMs = init.workerTimeoutMs;
    this.peers = init.peers;
    this.thread = init.thread ?? { index: 0, count: 1 };
    this.engine = this.#makeEngine();
    const peers = init.peers;
    if (peers) {
      const nextId = peers.nextEventId;
      this.events.relayTo({
        ...(nextId ? { nextId: () => nextId() } : {}),
        send: (e) => peers.send({ t: "event", e }),
      });
    }
    // Approvals expire even when nobody lists them. The registry timer catches up with what no
    // peer message reported (a lost NOTIFY): it reads only the changes since the mirror's version.
    this.#timers.push(setInterval(() => void this.expireApprovals().catch(() => {}), 5_000));
    if (init.chainCheckMs > 0) {
      this.#timers.push(
        setInterval(() => void this.checkChains(false).catch(() => {}), init.chainCheckMs),
      );
    }
    if (init.registrySyncMs > 0) {
      this.#timers.push(
        setInterval(() => void this.syncRegistry().catch(() => {}), init.registrySyncMs),
      );
    }
  }

  #iso(): string {
    return new Date(this.now()).toISOString();
  }

  // The engine over the hall's ports: its store and receipt service, its workers (in process or
  // by endpoint), its decision path (gate, telemetry, replay records), its event hub.
  #makeEngine(): Engine {
    const store = this.store;
    const engineStore: EngineStore = {
      createApproval: (row, decisionJson) => store.createApproval(row as ApprovalRow, decisionJson),
      getApproval: (id) => store.getApproval(id),
      resolveApproval: (id, r) => store.resolveApproval(id, r),
      escalateApproval: (id, e) =>
        store.escalateApproval(id, {
          supervisor_level: e.supervisor_level,
          at: e.at,
          expires_at: e.expires_at,
        }),
      expireApprovals: (now) => store.expireApprovals(now),
      consumeApproval: (id, at) => store.consumeApproval(id, at),
      // The receipt service signs and chains (its rows hold the minted receipt).
      appendReceipt: async (fields, at) => {
        const row = await this.receipts.mint(fields, at);
        return { receipt_id: row.receipt_id, seq: row.seq, receipt: row.receipt as Receipt };
      },
      recordExecuted: (d) => this.#recordExecuted(d),
    };
    return new Engine({
      store: engineStore,
      now: this.now,
      decide: (input) => this.#decideOnly(input, false),
      decided: (d) => this.#decided(d),
      settings: () => this.config,
      workers: () =>
        worldWorkerCheck({
          registry: this.registry,
          currentHash: (id) => this.#currentHashes.get(id) ?? null,
        }),
      events: (kind, payload) => this.events.publish(kind, payload),
      executed: (r) =>
        this.telemetry.dispatch({
          decision: r.decision,
          worker_id: r.worker_id,
          started_at: r.started_at,
          ended_at: r.ended_at,
          ok: r.outcome.ok,
          receipt_id: r.receipt.receipt_id,
          usage: r.outcome.usage,
          error: r.outcome.error ?? undefined,
        }),
      worker: {
        // Enrolled: `isAvailable` (no copy of the record) answers most calls; `get` copies it.
        canCall: (id) => this.registry.isAvailable(id) || this.registry.get(id) !== undefined,
        call: (call, sub) => {
          const fn = this.inProcessWorkers[call.worker_id];
          // The endpoint is only read (a copy of the record) for a worker with no in-process fn.
          const endpoint = fn !== undefined
            ? undefined
            : this.registry.get(call.worker_id)?.endpoint;
          return callWorker(call, {
            fn,
            endpoint: typeof endpoint === "string" ? endpoint : undefined,
          }, { timeoutMs: this.#workerTimeoutMs, sub });
        },
      },
    });
  }

  /**
   * Workers enrolled with a namespace token before workers were bound to tenants
   * (docs/protocol/trust.md#tenant-binding) have no `tenants`, which would let them serve every
   * tenant: give each its own namespace's tenant, in the store (idempotent; instances starting
   * together write the same). Workers enrolled by an admin (or the demo bootstrap) without
   * `tenants` keep serving everyone. Returns how many were bound.
   */
  async bindLegacyWorkers(): Promise<number> {
    const [workers, tokens] = await Promise.all([
      this.store.listWorkers(),
      this.store.listTokens(),
    ]);
    const namespaceTokens = new Set(
      tokens.filter((t) => t.role === "namespace").map((t) => t.token_id),
    );
    let bound = 0;
    for (const w of workers) {
      if (w.record.tenants !== undefined || !namespaceTokens.has(w.enrolled_by)) continue;
      const { artifact_hash: _old, ...rest } = w.record;
      let record: RegistryRecord;
      try {
        record = new Registry().enroll({ ...rest, tenants: [w.namespace] });
      } catch {
        continue; // a row the validator refuses is not routable anyway (the mirror leaves it out)
      }
      await this.store.putWorker({ ...w, record, updated_at: this.#iso() });
      bound++;
    }
    return bound;
  }

  // ---- the registry mirror (issue 14): change by change, never a periodic full re-read ----
  // The store's registry version this mirror has applied (null: nothing loaded yet, or the gap
  // to the store is unknown: the next refresh loads everything).
  #registryVersion: number | null = null;
  // Per worker, the mark of the row last applied (status, times, hashes): a row seen again
  // unchanged (this hall's own write coming back through the change log) is not re-validated.
  #rowMarks = new Map<string, string>();
  // Writes this hall applied itself (routes: applyWorker, applyBan), numbered: a refresh whose
  // read started before one of them re-reads that row instead of applying what it read.
  #localSeq = 0;
  #localWorkers = new Map<string, number>();
  #localBans = new Map<string, number>();
  #namedRows = new Set<string>();
  #syncTail: Promise<void> = Promise.resolve();
  #syncQueued: Promise<void> | null = null;
  /**
   * What the registry mirror did since start: full loads (only at start, or when the version
   * gap to the store is unknown), incremental refreshes, rows the store returned, rows applied
   * (validated), the store's registry version reached, and the last refresh error.
   */
  readonly registrySync: {
    full_loads: number;
    refreshes: number;
    rows_read: number;
    rows_applied: number;
    version: number | null;
    last_error: string | null;
  } = {
    full_loads: 0,
    refreshes: 0,
    rows_read: 0,
    rows_applied: 0,
    version: null,
    last_error: null,
  };

  /**
   * Bring the in-memory registry up to date with the store: applies, in version order, only the
   * worker and ban rows changed since the version the mirror has (`listRegistryChanges`), after
   * re-reading `workerIds` (a peer named them); everything only at the first call. Refreshes
   * are queued (one at a time; calls made while one runs share the next), and the version
   * advances only after its rows were applied.
   */
  syncRegistry(workerIds?: readonly string[]): Promise<void> {
    for (const id of workerIds ?? []) this.#namedRows.add(id);
    if (this.#syncQueued) return this.#syncQueued;
    const run = this.#syncTail.then(() => {
      this.#syncQueued = null;
      return this.#refreshRegistry();
    });
    this.#syncQueued = run;
    this.#syncTail = run.catch((e) => {
      this.registrySync.last_error = e instanceof Error ? e.message : String(e);
    });
    return run;
  }

  /** Forget the mirror's version: the next `syncRegistry` loads the whole registry again. */
  invalidateRegistry(): Promise<void> {
    this.#registryVersion = null;
    return this.syncRegistry();
  }

  async #refreshRegistry(): Promise<void> {
    if (this.#closed) return;
    if (this.#registryVersion === null) return await this.#loadRegistry();
    this.registrySync.refreshes++;
    const named = [...this.#namedRows];
    this.#namedRows.clear();
    const conflicts = new Set<string>();
    for (const id of named) await this.#rereadWorker(id, conflicts);
    let since = this.#registryVersion;
    for (;;) {
      const seq = this.#localSeq;
      const page = await this.store.listRegistryChanges(since);
      this.registrySync.rows_read += page.workers.length + page.bans.length;
      this.#applyPage(this.registry, this.#currentHashes, this.#rowMarks, page, seq, conflicts);
      since = page.version;
      this.#registryVersion = this.registrySync.version = since;
      if (!page.more) break;
    }
    await this.#settleConflicts(conflicts);
    this.registrySync.last_error = null;
  }

  // Everything (at start, or when the gap to the store is unknown): a new mirror, swapped in.
  async #loadRegistry(): Promise<void> {
    this.registrySync.full_loads++;
    this.#namedRows.clear();
    const startSeq = this.#localSeq;
    const reg = new Registry();
    const hashes = new Map<string, string>();
    const marks = new Map<string, string>();
    const conflicts = new Set<string>();
    let since = 0;
    const workers: WorkerRow[] = [];
    const bans: BanRow[] = [];
    for (;;) {
      const page = await this.store.listRegistryChanges(since);
      this.registrySync.rows_read += page.workers.length + page.bans.length;
      for (const w of page.workers) workers.push(w);
      for (const b of page.bans) bans.push(b);
      since = page.version;
      if (!page.more) break;
    }
    // In the registry's order (enrolment time, then id), so each worker is appended to its
    // species' list instead of inserted in the middle (a species of 100k workers would otherwise
    // move half its list per enrolment).
    const keyed = workers.map((w) => ({ key: positionOf(w), w }));
    keyed.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    workers.length = 0;
    for (const k of keyed) workers.push(k.w);
    this.#applyPage(
      reg,
      hashes,
      marks,
      { version: since, workers, bans, more: false },
      Infinity,
      conflicts,
    );
    this.registry = reg;
    this.#currentHashes = hashes;
    this.#rowMarks = marks;
    this.#registryVersion = this.registrySync.version = since;
    // What this hall applied itself meanwhile went to the old mirror: read it again.
    for (const [id, n] of this.#localWorkers) if (n > startSeq) conflicts.add(id);
    for (const [sha, n] of this.#localBans) if (n > startSeq) conflicts.add(`ban:${sha}`);
    await this.#settleConflicts(conflicts);
    this.registrySync.last_error = null;
  }

  // Apply one page of changes; rows this hall wrote itself after `seq` (the read may be older
  // than its write) are left to `conflicts`.
  #applyPage(
    reg: Registry,
    hashes: Map<string, string>,
    marks: Map<string, string>,
    page: RegistryChanges,
    seq: number,
    conflicts: Set<string>,
  ): void {
    for (const w of page.workers) {
      if ((this.#localWorkers.get(w.worker_id) ?? -1) > seq) conflicts.add(w.worker_id);
      else this.#applyRow(reg, hashes, marks, w);
    }
    for (const b of page.bans) {
      if ((this.#localBans.get(b.sha256) ?? -1) > seq) conflicts.add(`ban:${b.sha256}`);
      else applyBanRow(reg, b);
    }
  }

  async #settleConflicts(conflicts: Set<string>): Promise<void> {
    for (const key of conflicts) {
      if (key.startsWith("ban:")) {
        const sha = key.slice(4);
        const seq = this.#localSeq;
        const row = await this.store.getBan(sha);
        if ((this.#localBans.get(sha) ?? -1) > seq) continue; // applied locally again meanwhile
        if (row) applyBanRow(this.registry, row);
      } else await this.#rereadWorker(key, null);
    }
    // Local writes older than every read still to come need no more care.
    const seq = this.#localSeq;
    for (const [id, n] of this.#localWorkers) if (n <= seq) this.#localWorkers.delete(id);
    for (const [sha, n] of this.#localBans) if (n <= seq) this.#localBans.delete(sha);
  }

  async #rereadWorker(id: string, conflicts: Set<string> | null): Promise<void> {
    const seq = this.#localSeq;
    const row = await this.store.getWorker(id);
    this.registrySync.rows_read++;
    if ((this.#localWorkers.get(id) ?? -1) > seq) {
      // Written here again while we read: that write is applied (and newer than our read).
      conflicts?.add(id);
      return;
    }
    if (row) this.#applyRow(this.registry, this.#currentHashes, this.#rowMarks, row);
  }

  // Apply one worker row to a mirror unless it is the row already applied. A row the current
  // validator refuses is left out (fail closed: not routable): false.
  #applyRow(
    reg: Registry,
    hashes: Map<string, string>,
    marks: Map<string, string>,
    row: WorkerRow,
  ): boolean {
    const id = row.worker_id;
    const mark = `${row.status}|${row.updated_at}|${row.current_hash ?? ""}|${
      row.record?.artifact_hash ?? ""
    }`;
    const had = marks.get(id);
    if (had === mark) return true; // unchanged: not validated again
    if (had === `!${mark}`) return false; // refused before, unchanged since
    // Revocation is final (the store never brings a revoked row back): an active row read
    // before the revocation changes nothing.
    if (had !== undefined && had.startsWith("revoked|") && row.status !== "revoked") return true;
    this.registrySync.rows_applied++;
    try {
      reg.enroll(row.record, { position: positionOf(row) });
      if (row.status === "revoked") reg.revoke(id);
    } catch {
      reg.remove(id);
      hashes.delete(id);
      marks.set(id, `!${mark}`);
      return false;
    }
    if (row.current_hash) hashes.set(id, row.current_hash);
    else hashes.delete(id);
    marks.set(id, mark);
    return true;
  }

  /**
   * Re-read one worker from the store and apply it to the mirror (after a write: the store may
   * have kept a row another thread or instance revoked meanwhile). Returns the stored row.
   */
  async applyStoredWorker(workerId: string): Promise<WorkerRow | null> {
    const row = await this.store.getWorker(workerId);
    if (row) this.applyWorker(row);
    return row;
  }

  /**
   * Apply one worker row this hall wrote (or just read) to the mirror, in place (no index
   * rebuild). A row whose record the validator refuses is taken out of the mirror (fail closed:
   * not routable) and false is returned.
   */
  applyWorker(row: WorkerRow): boolean {
    this.#localWorkers.set(row.worker_id, ++this.#localSeq);
    return this.#applyRow(this.registry, this.#currentHashes, this.#rowMarks, row);
  }

  /** Apply one ban row this hall wrote (confirmed: enforced; any other status: not). */
  applyBan(row: BanRow): void {
    this.#localBans.set(row.sha256, ++this.#localSeq);
    applyBanRow(this.registry, row);
  }

  /** Replace the rules (already validated). */
  setRules(rules: RuleSet): void {
    this.rules = rules;
    this.rulesLoadedAt = this.#iso();
    this.events.publish("rules", {
      ok: true,
      rule_count: rules.rules.length,
      shadow_warnings: rules.shadowWarnings.length,
      loaded_at: this.rulesLoadedAt,
    });
  }

  /** Validate and install a rules document; a bad document leaves the old rules in force. */
  reloadRules(doc: unknown): RuleSet {
    let rules: RuleSet;
    try {
      rules = parseRules(doc);
    } catch (e) {
      const path = e instanceof WcpError ? e.path : "";
      const message = e instanceof Error ? e.message : String(e);
      this.events.publish("rules", { ok: false, error: message, path });
      throw new HttpError(422, "RULES_INVALID", message, { path });
    }
    if (rules.rules.length === 0) {
      // Valid, but it would deny every request: far more often an editor's half-written file or
      // a wrong document than an intent. Refused; the rules in force stay.
      const message = "rules: the document has no rules (every request would be denied); " +
        "the rules in force stay";
      this.events.publish("rules", { ok: false, error: message, path: "rules" });
      throw new HttpError(422, "RULES_EMPTY", message, { path: "rules" });
    }
    this.setRules(rules);
    this.peers?.send({ t: "rules", doc });
    return rules;
  }

  /** Install rules another thread of this hall accepted (its `rules` event reached us too). */
  installPeerRules(doc: unknown): void {
    try {
      this.rules = parseRules(doc);
      this.rulesLoadedAt = this.#iso();
    } catch (e) {
      // The other thread validated the same document with the same code; keep ours if not.
      console.error(`hall: rules from another thread refused: ${String(e)}`);
    }
  }

  /**
   * Install the hall.json policy gate (table, Cedar or webhook) and how to load it again; takes
   * precedence over `HallInit.policyGate`.
   */
  useGate(gate: LoadedGate | undefined, loader?: () => Promise<LoadedGate | undefined>): void {
    this.#gate = gate;
    this.#gateLoader = loader;
    this.gateStatus = { loaded_at: this.#iso(), info: gate?.info ?? null, last_error: null };
  }

  /**
   * Load the gate again (hall.json and the Cedar policy file re-read, the policies checked
   * against the schema of the rules in force). A bad gate is refused and the old one stays
   * (`POLICY_GATE_INVALID`, naming the field or the policy and its position). `fromPeer`: another
   * thread of this hall reloaded; do not tell the others again.
   */
  async reloadGate(fromPeer = false): Promise<LoadedGate | undefined> {
    if (!this.#gateLoader) {
      throw new HttpError(
        409,
        "NO_POLICY_GATE_CONFIG",
        "this hall has no hall.json gate to reload",
      );
    }
    let gate: LoadedGate | undefined;
    try {
      gate = await this.#gateLoader();
    } catch (e) {
      const path = e instanceof WcpError ? e.path : "";
      const message = e instanceof Error ? e.message : String(e);
      this.gateStatus = { ...this.gateStatus, last_error: { message, path, at: this.#iso() } };
      this.events.publish("rules", { ok: false, error: message, path, policy_gate: true });
      throw new HttpError(422, "POLICY_GATE_INVALID", message, { path });
    }
    this.#gate = gate;
    this.gateStatus = { loaded_at: this.#iso(), info: gate?.info ?? null, last_error: null };
    this.events.publish("rules", {
      ok: true,
      policy_gate: gate?.info ?? null,
      loaded_at: this.gateStatus.loaded_at,
    });
    if (!fromPeer) this.peers?.send({ t: "gate" });
    return gate;
  }

  /** Re-read the rules file. */
  async reloadRulesFile(): Promise<RuleSet> {
    if (!this.rulesPath) throw new HttpError(409, "NO_RULES_FILE", "this hall has no rules file");
    let doc: unknown;
    try {
      doc = JSON.parse(await Deno.readTextFile(this.rulesPath));
    } catch (e) {
      const message = `cannot read ${this.rulesPath}: ${e instanceof Error ? e.message : e}`;
      this.events.publish("rules", { ok: false, error: message, path: "" });
      throw new HttpError(422, "RULES_INVALID", message, { path: "" });
    }
    return this.reloadRules(doc);
  }

  /**
   * Verify receipt chains (what was appended since the last check, or everything with `full`)
   * and raise a severity-1 `chain_break` alert per broken tenant chain.
   */
  async checkChains(full: boolean): Promise<string[]> {
    if (this.#closed) return [];
    const broken = await this.receipts.check(full);
    // A chain that already has an open (unacknowledged) alert gets no second one, across restarts
    // and instances too (the in-memory dedupe below only covers this process's last minute).
    const open = broken.length === 0 ? [] : await this.store.listAlerts({
      acknowledged: false,
      limit: 1000,
    });
    const alerted = new Set(open.filter((a) => a.kind === "chain_break").map((a) => a.subject));
    for (const { tenant_id, report } of broken) {
      if (alerted.has(tenant_id)) continue;
      if (this.#shouldAlert(`chain:${tenant_id}`)) {
        await this.alert(
          "chain_break",
          1,
          `receipt chain of tenant ${tenant_id} is broken`,
          tenant_id,
          {
            breaks: report.breaks.slice(0, 20),
            event: report.event,
          },
        );
      }
    }
    return broken.map((b) => b.tenant_id);
  }

  /** Raise an operator alert (stored, then published). */
  async alert(
    kind: AlertKind,
    severity: number,
    message: string,
    subject: string,
    details: Record<string, unknown> = {},
  ): Promise<AlertRow> {
    const row: AlertRow = {
      alert_id: uuidV7(this.now()),
      kind,
      severity,
      message,
      subject,
      details,
      created_at: this.#iso(),
      acknowledged_at: null,
      acknowledged_by: null,
    };
    await this.store.createAlert(row);
    this.events.publish("alert", row as unknown as Record<string, unknown>);
    return row;
  }

  async #parentChainScore(input: Record<string, unknown>): Promise<number | null> {
    const parentId = input.parent_decision_id;
    if (parentId === undefined || parentId === null) return null;
    if (typeof parentId !== "string" || parentId.length === 0 || parentId.length > 200) {
      throw new HttpError(400, "INVALID_BODY", "parent_decision_id: must be a decision id", {
        path: "parent_decision_id",
      });
    }
    const parent = this.#recall(parentId) ?? await this.store.getDecision(parentId);
    // Fail closed: a chain that names an unknown or undispatched parent cannot be scored.
    if (!parent) {
      throw new HttpError(
        400,
        "PARENT_UNKNOWN",
        "parent_decision_id: no executed decision has this id",
        {
          path: "parent_decision_id",
        },
      );
    }
    if (parent.outcome !== "DISPATCH") {
      throw new HttpError(400, "PARENT_NOT_DISPATCHED", "parent_decision_id: was not dispatched", {
        path: "parent_decision_id",
      });
    }
    if (parent.tenant_id !== input.tenant_id) {
      throw new HttpError(403, "PARENT_TENANT_MISMATCH", "parent_decision_id: another tenant's", {
        path: "parent_decision_id",
      });
    }
    return parent.chain_blast_score ?? parent.blast_dimensions_score ?? 0;
  }

  /**
   * Decide one request. Persists its telemetry and (for holds) the approval; publishes a
   * `decision` event; raises tamper and ban alerts.
   */
  async decide(
    input: Record<string, unknown>,
    by: ApprovalPrincipal | null = null,
  ): Promise<RouteDecision> {
    return (await this.engine.decide(input, by, this.#decideNoJson)).decision;
  }

  /**
   * `decide`, also returning the decision serialised as JSON (its events serialised once, for
   * both the response and the telemetry store). Field order: `telemetry_envelopes` comes last.
   * `by` is the caller, recorded as `requested_by` on a hold.
   */
  async decideJson(
    input: Record<string, unknown>,
    by: ApprovalPrincipal | null = null,
  ): Promise<{ decision: RouteDecision; json: string }> {
    const r = await this.engine.decide(input, by, this.#decideWithJson);
    return { decision: r.decision, json: r.json! };
  }

  /**
   * The gate in force as a synchronous function, for what-if replay against `rules`: a hall.json
   * table or Cedar gate, or the programmatic gate. Undefined without a gate or for an asynchronous
   * (webhook) gate: a replay then uses the answers recorded with the decisions.
   */
  simulationGate(rules: RuleSet): PolicyGateFn | undefined {
    const gate = this.#gate;
    if (gate === undefined) {
      const g = this.#policyGate;
      if (g === undefined || typeof g === "function") return g;
      return (ctx) => g.evaluate(ctx);
    }
    const sync = gate.sync;
    if (sync === undefined) return undefined;
    return (ctx) => coreGateValue(sync(ctx, gateExtras(rules, ctx))) as PolicyGateResult;
  }

  // The engine's deciders, made once (not a closure per request).
  readonly #decideNoJson = (input: Record<string, unknown>) => this.#decideOnly(input, false);
  readonly #decideWithJson = (input: Record<string, unknown>) => this.#decideOnly(input, true);

  // Decide (the gate, the core), persist telemetry and the replay record; the engine then
  // records a hold and calls #decided.
  async #decideOnly(input: Record<string, unknown>, wantJson: boolean): Promise<Decided> {
    const parentScore = input.parent_decision_id === undefined
      ? null // (no await of the lookup when there is no parent)
      : await this.#parentChainScore(input);
    const parentId = typeof input.parent_decision_id === "string" ? input.parent_decision_id : null;
    const hashes = this.#currentHashes;
    const rules = this.rules;
    const make = (policyGate: PolicyGate | PolicyGateFn | undefined) =>
      makeDecision(input, {
        rules,
        registry: this.registry,
        config: this.config,
        policyGate,
        currentWorkerHash: (id) => hashes.get(id) ?? null,
        chainBlastScore: (id) => (id === parentId ? parentScore : null),
        now: this.now,
        // Time-ordered ids (decision and approval): the store's keys then grow at one end of
        // their b-trees instead of landing on random pages (3.4 µs of a 15 µs approval insert).
        newId: () => uuidV7(this.now()),
      });
    // A hall.json gate (table, Cedar, webhook) is run here, the core gets its answer (gates.ts).
    const gate = this.#gate;
    const decision = gate
      ? await decideWithGate(gate, (ctx) => gateExtras(rules, ctx), make)
      : make(this.#policyGate);
    const eventsJson = wantJson || this.store.appendTelemetryBatches
      ? JSON.stringify(decision.telemetry_envelopes ?? [])
      : undefined;
    // Serialised before anything below can change the decision (nothing does; holds copy it).
    const json = wantJson ? jsonWithEvents(decision, eventsJson!) : null;
    this.telemetry.decision(decision, null, eventsJson);
    this.decisionRecords.add(input, decision, parentScore);
    const wait = this.telemetry.backpressure();
    if (wait) await wait;
    return { decision, json };
  }

  // After a decision and its hold were recorded: the decision event, tamper and ban alerts (a
  // promise only when there is an alert to raise: most decisions return at once).
  #decided(decision: RouteDecision): Promise<void> | undefined {
    this.events.publish("decision", {
      decision_id: decision.decision_id,
      correlation_id: decision.correlation_id,
      tenant_id: decision.tenant_id,
      capability_id: decision.capability_id,
      outcome: decision.outcome,
      deny_code: decision.deny_reason_if_denied?.code ?? null,
      selected_worker_id: decision.selected_worker_id,
      dry_run: decision.dry_run,
      timestamp: decision.timestamp,
    });
    return needsIntegrityAlert(decision) ? this.#integrityAlerts(decision) : undefined;
  }

  // Only executed decisions can be parents of a worker chain, so only they are recorded, durably
  // and before the worker runs (its sub-requests may reach another instance at once).
  async #recordExecuted(d: RouteDecision): Promise<void> {
    const row: DecisionRow = {
      decision_id: d.decision_id,
      parent_decision_id: d.parent_decision_id ?? null,
      tenant_id: d.tenant_id,
      correlation_id: d.correlation_id,
      capability_id: d.capability_id,
      outcome: "DISPATCH",
      blast_dimensions_score: d.blast_dimensions_score ?? null,
      chain_blast_score: d.chain_blast_score ?? d.blast_dimensions_score ?? null,
      created_at: d.timestamp,
    };
    await this.store.recordDecision(row);
    this.#remember(row);
  }

  // Two generations instead of FIFO eviction (which scans a Map's tombstones): O(1) per call.
  #remember(row: DecisionRow): void {
    this.#recent.set(row.decision_id, row);
    if (this.#recent.size > RECENT_DECISIONS / 2) {
      this.#older = this.#recent;
      this.#recent = new Map();
    }
  }
  #recall(id: string): DecisionRow | undefined {
    return this.#recent.get(id) ?? this.#older.get(id);
  }

  // Requests for a tampered or banned worker repeat; one alert per worker a minute is enough
  // (the decisions themselves are all in the telemetry).
  #recentAlerts = new Map<string, number>();
  #shouldAlert(key: string): boolean {
    const now = this.now();
    const last = this.#recentAlerts.get(key);
    if (last !== undefined && now - last < 60_000) return false;
    if (this.#recentAlerts.size > 10_000) this.#recentAlerts.clear();
    this.#recentAlerts.set(key, now);
    return true;
  }

  async #integrityAlerts(d: RouteDecision): Promise<void> {
    const code = d.deny_reason_if_denied?.code;
    if (code === "DENY_WORKER_TAMPERED") {
      const workerId = String(
        d.deny_reason_if_denied?.worker_id ?? d.selected_worker_id ??
          d.candidate_workers_ranked.find((c) => c.worker_id)?.worker_id ?? "",
      );
      if (workerId) await this.#flag(workerId);
      if (this.#shouldAlert(`tamper:${workerId}`)) {
        await this.alert("tamper", 1, `worker ${workerId || "?"} code hash changed`, workerId, {
          decision_id: d.decision_id,
          deny_reason: d.deny_reason_if_denied,
        });
      }
    }
    const banned = d.candidate_workers_ranked.filter((c) => c.skip_reason === "banned");
    if (code === "DENY_WORKER_BANNED" || banned.length > 0) {
      const subject = banned.map((c) => c.worker_id ?? c.worker_species_id).join(",");
      if (this.#shouldAlert(`banned:${subject}`)) {
        await this.alert(
          "banned_hash",
          1,
          "a banned worker hash was refused at dispatch",
          subject,
          {
            decision_id: d.decision_id,
            workers: banned.map((c) => c.worker_id ?? c.worker_species_id),
          },
        );
      }
    }
  }

  async #flag(workerId: string): Promise<void> {
    await this.withWorkerLock(workerId, async () => {
      const w = await this.store.getWorker(workerId);
      if (w && !w.flagged) {
        await this.store.putWorker({ ...w, flagged: true, updated_at: this.#iso() });
      }
    });
  }

  #workerLocks = new Map<string, Promise<unknown>>();
  /**
   * Run `fn` (a read-modify-write of one worker row) after the previous one for the same worker
   * in this hall has finished, so an update, an attestation, a tamper flag and its clearing never
   * overwrite each other's fields (a PUT that read the row before an attestation flagged it would
   * otherwise write the old current hash and flag back). Other processes on the same store are not
   * serialised by it.
   */
  async withWorkerLock<T>(workerId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#workerLocks.get(workerId) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(fn);
    const tail = run.catch(() => {});
    this.#workerLocks.set(workerId, tail);
    try {
      return await run;
    } finally {
      if (this.#workerLocks.get(workerId) === tail) this.#workerLocks.delete(workerId);
    }
  }

  /** Decide and, when allowed, execute; `by` (the caller) is recorded on a hold. */
  async dispatch(
    input: Record<string, unknown>,
    by: ApprovalPrincipal | null = null,
  ): Promise<DispatchResult> {
    return dispatchResult(await http(this.engine.dispatch(input, by)));
  }

  /**
   * Execute an approved held request, exactly once (within the approval TTL of its approval,
   * after re-checking its worker: revocation, bans, code changes).
   */
  async dispatchApproved(approvalId: string): Promise<DispatchResult> {
    return dispatchResult(await http(this.engine.dispatchApproved(approvalId)));
  }

  /** Expire overdue approvals and publish them. */
  async expireApprovals(): Promise<ApprovalRow[]> {
    if (this.#closed) return [];
    return await this.engine.approvals.expire() as ApprovalRow[];
  }

  /**
   * Approve or deny a pending approval. Separation of duties
   * (docs/protocol/trust.md#separation-of-duties): the principal whose request was held cannot
   * resolve it unless the hall allows self-approval.
   */
  async resolveApproval(
    approvalId: string,
    decision: "approve" | "deny",
    by: Principal,
    note: string | null,
  ): Promise<ApprovalRow> {
    return await http(
      this.engine.approvals.resolve(approvalId, decision, approvalPrincipal(by), note),
      "id",
    ) as ApprovalRow;
  }

  /**
   * Escalate a pending approval one level up the ladder (advisory, gatekeeper, executor,
   * incident_commander), with a fresh time to live; at the top, 409
   * `APPROVAL_ESCALATION_EXHAUSTED`.
   */
  async escalateApproval(approvalId: string, note: string | null): Promise<ApprovalRow> {
    return await http(this.engine.approvals.escalate(approvalId, note), "id") as ApprovalRow;
  }

  /** Stop timers and flush sinks (the store is closed by its owner). */
  async close(): Promise<void> {
    this.#closed = true;
    this.events.close();
    for (const t of this.#timers) clearInterval(t);
    await this.startupCheck.catch(() => []);
    await this.decisionRecords.flush();
    await this.telemetry.close();
  }
}

// Where a worker sits among its species' workers: the store's order (enrolment time, then id).
function positionOf(row: WorkerRow): string {
  return `${row.enrolled_at} ${row.worker_id}`;
}

// A ban row as the mirror enforces it: confirmed bans only (a row the validator refuses is left
// out, as it always was).
function applyBanRow(reg: Registry, b: BanRow): void {
  if (b.status !== "confirmed") {
    reg.unban(b.sha256);
    return;
  }
  try {
    reg.ban({ sha256: b.sha256, reason: b.reason, reported_at: b.reported_at, source: b.source });
  } catch {
    // not a digest the registry accepts: nothing to enforce
  }
}

// Whether #integrityAlerts has anything to raise for a decision (a tampered or banned worker).
function needsIntegrityAlert(d: RouteDecision): boolean {
  const code = d.deny_reason_if_denied?.code;
  if (code === "DENY_WORKER_TAMPERED" || code === "DENY_WORKER_BANNED") return true;
  for (const c of d.candidate_workers_ranked) if (c.skip_reason === "banned") return true;
  return false;
}

// JSON of a decision whose telemetry_envelopes are already serialised (as `eventsJson`).
function jsonWithEvents(d: RouteDecision, eventsJson: string): string {
  const holder = d as { telemetry_envelopes?: RouteDecision["telemetry_envelopes"] };
  const events = holder.telemetry_envelopes;
  holder.telemetry_envelopes = undefined; // JSON.stringify leaves undefined members out
  let head: string;
  try {
    head = JSON.stringify(d);
  } finally {
    holder.telemetry_envelopes = events;
  }
  return `${head.slice(0, -1)}${head.length > 2 ? "," : ""}"telemetry_envelopes":${eventsJson}}`;
}

/**
 * Validate a partial config and merge it over the defaults; throws `WcpError` `CONFIG_INVALID`
 * (unknown key, wrong type, out of range) so a misspelt floor never fails open.
 */
export function effectiveConfig(partial: Partial<HallConfig> | undefined): HallConfig {
  return validateHallConfig(partial);
}
