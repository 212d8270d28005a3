/**
 * The governance step beneath every MCP tool call: build a RouteInput for the session's tenant
 * (validated, never silently changed), decide with the core's `makeDecision`, execute the selected
 * worker only on `DISPATCH` (or on a consumed human approval), and mint an evidence receipt for
 * every execution.
 *
 * @module
 */

import { makeDecision } from "../src/decision/router.ts";
import type { RuleSet } from "../src/rules/mod.ts";
import type { Registry } from "../src/registry/registry.ts";
import type { PolicyGateFn } from "../src/decision/policy.ts";
import { compileGateTable } from "../src/gates/table.ts";
import type { HallConfig } from "../src/config.ts";
import {
  Engine,
  type EngineDispatch as EngineResult,
  EngineError,
  type EngineStore,
  loadWorld,
  workerFailed,
  workerSucceeded,
  worldWorkerCheck,
} from "../src/engine/mod.ts";
import {
  DATA_LABELS,
  type DataLabel,
  type Env,
  ENVS,
  QOS_CLASSES,
  type QosClass,
  type RouteDecision,
  type RouteInput,
  type TenantRisk,
} from "../src/model.ts";
import { WcpError } from "../src/errors.ts";
import { uuidV4 } from "../src/ids.ts";
import type { WcpMcpConfig, WorkerSpec } from "./config.ts";
import { BUILTIN_WORKERS, type WorkerFn } from "./builtin_workers.ts";
import {
  ApprovalError,
  type ApprovalPrincipal,
  type ApprovalQuestion,
  approvalQuestion,
  type ApprovalView,
  LocalApprovalStore,
} from "./approvals.ts";
import { ReceiptBook, type WcpReceipt } from "./receipts.ts";

/** Who a call is made for: from the config, or from an authenticated session. */
export interface SessionIdentity {
  /** Tenant id (never a constant: configured or authenticated). */
  tenant_id: string;
  /** Tenant risk (default from config, else `low`). */
  tenant_risk?: TenantRisk;
}

/** Per-call options a caller may set; each is validated against the configured bounds. */
export interface CallOptions {
  /** Environment (must be in `envs_allowed`). */
  env?: string;
  /** Data label (must be within the data-label bounds). */
  data_label?: string;
  /** QoS class. */
  qos_class?: string;
  /** Correlation id (default: a new UUID). */
  correlation_id?: string;
  /** The caller's own 0-100 blast estimate (can only raise the score). */
  blast_score?: number;
  /** Parent decision id, for worker chains. */
  parent_decision_id?: string;
  /** Execute a request a supervisor approved. */
  approval_id?: string;
}

/** A refusal made before or instead of a decision (bad bounds, unknown tenant, worker failure). */
export interface CallError {
  /** Stable code, e.g. `ENV_NOT_ALLOWED`, `DENY_NO_MATCHING_RULE`, `WORKER_FAILED`. */
  code: string;
  /** What went wrong. */
  message: string;
  /** The offending argument, when there is one. */
  path?: string;
  /** The approval's status, for approval refusals (`APPROVAL_NOT_PENDING`, ...). */
  status?: string;
  /** Structured facts for the caller (a held call: approval id, level, where to approve). */
  details?: Record<string, unknown>;
}

/** The human's answer to an approval question, as the client relayed it. */
export interface HumanAnswer {
  /** The client's action: `accept` (the form was submitted), `decline` or `cancel`. */
  action: "accept" | "decline" | "cancel";
  /** With `accept`: what the human chose. */
  decision?: "approve" | "deny";
  /** The human's note. */
  note?: string;
  /** Who answered: the human through the client (`mcp-elicitation:<session>`). */
  by: ApprovalPrincipal;
}

/** Who makes a governed call, and how to reach the human behind the client. */
export interface DispatchContext {
  /** The calling MCP session, recorded as `requested_by` on a hold. */
  requestedBy?: ApprovalPrincipal;
  /**
   * Ask the human through the client (MCP elicitation), when the client supports it. Throws when
   * the question could not be asked or answered (the approval then stays pending).
   */
  askHuman?: (question: ApprovalQuestion, approval: ApprovalView) => Promise<HumanAnswer>;
  /**
   * The hall engine for this call, bound to the principal the hall authenticated (the hall's own
   * `/mcp`); replaces the governor's `engine` for the call.
   */
  engine?: DispatchEngine;
}

/** What one governed call produced. */
export interface GovernedResult {
  /** The decision (null when the call was refused before deciding). */
  decision: RouteDecision | null;
  /** Whether the worker ran. */
  executed: boolean;
  /** The worker's output, when it ran and succeeded. */
  output?: unknown;
  /** Evidence receipt, for every execution. */
  receipt?: WcpReceipt;
  /** The approval created for a held request. */
  approval?: ApprovalView;
  /** Why nothing (useful) happened. */
  error?: CallError;
}

/** What a remote decision engine (a hall) answers to a dispatch. */
export interface EngineDispatch {
  /** The decision (for an approved request: the holding decision). */
  decision: RouteDecision;
  /** What the worker returned, when it ran. */
  result?: unknown;
  /** The hall-minted receipt, when the worker ran. */
  receipt?: unknown;
  /** Set when the worker call failed. */
  worker_error?: string | null;
}

/**
 * A hall that decides and executes instead of this process (`HallClient` over HTTP, or the hall's
 * own object when the MCP server is mounted inside it). Errors it throws should carry `code`.
 */
export interface DispatchEngine {
  /** Decide only. */
  route(input: RouteInput): Promise<RouteDecision>;
  /** Decide and, when allowed, execute. */
  dispatch(input: RouteInput): Promise<EngineDispatch>;
  /** Execute an approved held request, once. */
  dispatchApproved(approvalId: string): Promise<EngineDispatch>;
  /** Verify the tenant's receipt chain kept by the hall. */
  verifyChain?(tenantId: string): Promise<unknown>;
}

/** Options of a `Governor`. */
export interface GovernorOptions {
  /** Delegate decisions, execution and receipts to a hall (approvals: pass `HallApprovals`). */
  engine?: DispatchEngine;
  /** Extra in-process worker implementations, by worker id (override config workers). */
  workers?: Record<string, WorkerFn>;
  /** Clock in epoch milliseconds. */
  now?: () => number;
  /** Fetch used by `http` workers (tests inject one). */
  fetch?: typeof fetch;
  /**
   * Base URL of the hall that keeps approvals, named in a held call's answer (default the
   * config's `hall.url`; the hall's own `/mcp` passes its origin).
   */
  hallUrl?: string;
  /**
   * Receipt chains to mint into (default: a new in-memory `ReceiptBook` with a key generated for
   * the process). The gateway passes one signed with its persisted key, shared across rebuilds.
   */
  receipts?: ReceiptBook;
  /** Local approvals to use (default: a new in-memory store); shared across rebuilds. */
  approvals?: LocalApprovalStore;
  /**
   * A registry already loaded (the hall's own, for its `/mcp`), used as it is instead of
   * enrolling `config.registry`.
   */
  registry?: Registry;
}

function httpWorker(url: string, fetchFn: typeof fetch): WorkerFn {
  return async (call) => {
    const res = await fetchFn(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-correlation-id": call.correlation_id },
      body: JSON.stringify(call),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`worker answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : null;
  };
}

/**
 * The decision-and-execution engine shared by every tool of one server (and, over HTTP, by every
 * request): rules, registry, approvals and receipt chains live here.
 *
 * @example
 * ```ts
 * import { Governor } from "./governor.ts";
 * import { demoConfig } from "./demo_config.ts";
 * const gov = new Governor(demoConfig());
 * gov.capabilities().includes("cap.doc.summarize"); // true
 * ```
 */
export class Governor {
  /** The configuration this governor was built from. */
  readonly config: WcpMcpConfig;
  /** Compiled rules. */
  readonly rules: RuleSet;
  /** Enrolled workers. */
  readonly registry: Registry;
  /** Local approvals (used when no hall is configured). */
  readonly approvals: LocalApprovalStore;
  /** Receipt chains per tenant. */
  readonly receipts: ReceiptBook;
  readonly #executors = new Map<string, WorkerFn>();
  readonly #specs: Record<string, WorkerSpec>;
  readonly #gate: PolicyGateFn | undefined;
  readonly #hallConfig: HallConfig;
  readonly #now: () => number;
  readonly #engine: Engine;
  /** The hall deciding for this server, when there is one. */
  readonly engine: DispatchEngine | undefined;
  readonly #hallUrl: string | undefined;

  /** Compile rules, enroll records and bind executors; throws `WcpError` on bad config. */
  constructor(config: WcpMcpConfig, options: GovernorOptions = {}) {
    this.config = config;
    this.#now = options.now ?? Date.now;
    this.engine = options.engine;
    this.#hallUrl = (options.hallUrl ?? config.hall?.url)?.replace(/\/+$/, "");
    this.#specs = config.workers;
    this.#gate = config.policy_gate ? compileGateTable(config.policy_gate) : undefined;
    // Loaded once, at startup: rules, records and hall_config (unknown keys, wrong types and
    // ranges) are refused naming the part and the field.
    const hashes: Record<string, string> = {};
    for (const [id, spec] of Object.entries(config.workers)) {
      if (spec.current_hash !== undefined) hashes[id] = spec.current_hash;
    }
    const world = loadWorld({
      rules: config.rules,
      registry: options.registry ? [] : config.registry,
      hall_config: config.hall_config,
      current_hashes: hashes,
    }, { hall_config: "MCP_CONFIG_INVALID" });
    this.rules = world.rules;
    this.registry = options.registry ?? world.registry;
    this.#hallConfig = world.config;
    const fetchFn = options.fetch ?? fetch;
    for (const [id, spec] of Object.entries(config.workers)) {
      if (!this.registry.get(id)) {
        throw new WcpError(
          "MCP_CONFIG_INVALID",
          `workers.${id}`,
          "no registry record enrolls this worker",
        );
      }
      this.#executors.set(
        id,
        "builtin" in spec ? BUILTIN_WORKERS[spec.builtin].run : httpWorker(spec.http, fetchFn),
      );
    }
    for (const [id, fn] of Object.entries(options.workers ?? {})) this.#executors.set(id, fn);
    this.approvals = options.approvals ?? new LocalApprovalStore(this.#now, {
      ttlSeconds: this.#hallConfig.approval_ttl_seconds,
      allowSelfApproval: this.#hallConfig.allow_self_approval === true,
    });
    this.receipts = options.receipts ?? new ReceiptBook(this.#now);
    this.#engine = this.#makeEngine();
  }

  // The engine over this server's ports: the in-memory approvals and receipt book, the
  // configured executors, the world loaded above.
  #makeEngine(): Engine {
    const approvals = this.approvals;
    const store: EngineStore = {
      // Through the view API, so a store that keeps holds elsewhere too (the gateway's file) sees it.
      createApproval: (row) => {
        approvals.hold(
          row.decision as RouteDecision,
          row.input as unknown as RouteInput,
          row.requested_by,
        );
        return Promise.resolve();
      },
      getApproval: (id) => approvals.getApproval(id),
      resolveApproval: (id, r) => approvals.resolveApproval(id, r),
      escalateApproval: (id, e) => approvals.escalateApproval(id, e),
      expireApprovals: (now) => approvals.expireApprovals(now),
      consumeApproval: (id, at) => approvals.consumeApproval(id, at),
      appendReceipt: (fields, at) => this.receipts.append(fields, at),
    };
    return new Engine({
      store,
      now: this.#now,
      decide: (input) => ({ decision: this.decide(input as unknown as RouteInput) }),
      settings: () => ({
        approval_ttl_seconds: this.#hallConfig.approval_ttl_seconds,
        allow_self_approval: this.#hallConfig.allow_self_approval === true,
        default_supervisor_level: "gatekeeper",
      }),
      workers: () =>
        worldWorkerCheck({ registry: this.registry, currentHash: (id) => this.currentHash(id) }),
      worker: {
        canCall: (id) => this.#executors.has(id),
        call: async (call) => {
          try {
            return workerSucceeded((await this.#executors.get(call.worker_id)!(call)) ?? null);
          } catch (e) {
            return workerFailed(e instanceof Error ? e.message : String(e));
          }
        },
      },
    });
  }

  /** Capabilities served by at least one enrolled worker this server can execute, sorted. */
  capabilities(): string[] {
    const caps = new Set<string>();
    for (const rec of this.registry.workers()) {
      if (!this.canExecute(rec.worker_id)) continue;
      for (const c of rec.capabilities) caps.add(c);
    }
    return [...caps].sort();
  }

  /** The worker spec (from config) of the first executable worker serving a capability. */
  specFor(capabilityId: string): WorkerSpec | undefined {
    for (const rec of this.registry.workers()) {
      if (rec.capabilities.includes(capabilityId) && this.#specs[rec.worker_id]) {
        return this.#specs[rec.worker_id];
      }
    }
    return undefined;
  }

  /** Whether this server can execute a worker (with a hall engine: the hall executes all). */
  canExecute(workerId: string): boolean {
    if (this.engine !== undefined) return this.registry.get(workerId)?.status !== "revoked";
    return this.#executors.has(workerId);
  }

  /** Current code hash of a worker (config `current_hash`, else the registered one). */
  currentHash(workerId: string): string | null {
    return this.#specs[workerId]?.current_hash ?? this.registry.registeredHash(workerId);
  }

  /**
   * Build the RouteInput for a call, or a `CallError` naming the argument that is out of bounds.
   * Env and data label are validated against the configuration, never replaced.
   */
  buildInput(
    capabilityId: string,
    request: Record<string, unknown>,
    options: CallOptions,
    session: SessionIdentity | null,
  ): RouteInput | CallError {
    const tenant = session ?? this.config.tenant;
    if (!tenant || !tenant.tenant_id) {
      return {
        code: "TENANT_UNKNOWN",
        message: "no tenant identity: set tenant in the config or authenticate the session",
      };
    }
    const env = options.env ?? this.config.env;
    if (!(ENVS as readonly string[]).includes(env)) {
      return { code: "DENY_INVALID_INPUT", path: "env", message: `unknown env "${env}"` };
    }
    if (!this.config.envs_allowed.includes(env as Env)) {
      return {
        code: "ENV_NOT_ALLOWED",
        path: "env",
        message: `env "${env}" is not allowed for this server (allowed: ${
          this.config.envs_allowed.join(", ")
        })`,
      };
    }
    const b = this.config.data_labels;
    const label = options.data_label ?? b.default;
    const rank = DATA_LABELS.indexOf(label as DataLabel);
    if (rank < 0) {
      return {
        code: "DENY_INVALID_INPUT",
        path: "data_label",
        message: `unknown data label "${label}"`,
      };
    }
    if (rank < DATA_LABELS.indexOf(b.min) || rank > DATA_LABELS.indexOf(b.max)) {
      return {
        code: "DATA_LABEL_OUT_OF_BOUNDS",
        path: "data_label",
        message: `data label "${label}" is outside this server's bounds [${b.min}, ${b.max}]`,
      };
    }
    const qos = options.qos_class ?? this.config.qos_class;
    if (!(QOS_CLASSES as readonly string[]).includes(qos)) {
      return {
        code: "DENY_INVALID_INPUT",
        path: "qos_class",
        message: `unknown qos class "${qos}"`,
      };
    }
    const input: RouteInput = {
      correlation_id: options.correlation_id ?? uuidV4(),
      tenant_id: tenant.tenant_id,
      env: env as Env,
      data_label: label as DataLabel,
      tenant_risk: tenant.tenant_risk ?? this.config.tenant?.tenant_risk ?? "low",
      qos_class: qos as QosClass,
      capability_id: capabilityId,
      request,
      policy_version: this.config.policy_version,
      dry_run: false,
    };
    if (options.blast_score !== undefined) input.blast_score = options.blast_score;
    if (options.parent_decision_id !== undefined) {
      input.parent_decision_id = options.parent_decision_id;
    }
    return input;
  }

  /**
   * Decide. `dryRun` marks the decision as a dry run; `approvalId` names a human approval already
   * consumed for this request, so a gate answer of `REQUIRE_HUMAN` counts as allowed by that human.
   */
  decide(input: RouteInput, dryRun = false, approvalId?: string): RouteDecision {
    const gate = this.#gate;
    const policyGate: PolicyGateFn | undefined = gate && approvalId
      ? (ctx) => {
        const r = gate(ctx);
        return r.decision === "REQUIRE_HUMAN"
          ? {
            decision: "ALLOW",
            policy_version: r.policy_version,
            reason: `approved by a human (${approvalId})`,
          }
          : r;
      }
      : gate;
    return makeDecision(dryRun ? { ...input, dry_run: true } : input, {
      rules: this.rules,
      registry: this.registry,
      config: this.#hallConfig,
      policyGate,
      currentWorkerHash: (id) => this.currentHash(id),
      now: this.#now,
    });
  }

  /** Decide only, as a dry run (by the hall engine when there is one). */
  async route(
    input: RouteInput,
    engine: DispatchEngine | undefined = this.engine,
  ): Promise<RouteDecision> {
    return engine ? await engine.route({ ...input, dry_run: true }) : this.decide(input, true);
  }

  /**
   * Decide and, when allowed, execute. A hold creates a local approval recording `ctx.requestedBy`;
   * when `ctx.askHuman` is given (the client supports MCP elicitation) the human is asked at once
   * and an approval runs the request once; otherwise the answer is `STEWARD_HOLD` with the approval
   * id and where it can be approved. `approvalId` runs a request approved earlier, once.
   */
  async dispatch(
    input: RouteInput,
    approvalId?: string,
    ctx: DispatchContext = {},
  ): Promise<GovernedResult> {
    const engine = ctx.engine ?? this.engine;
    if (engine) return await this.#dispatchRemote(engine, input, approvalId);
    if (approvalId !== undefined) {
      return await this.#runApproved(approvalId, input.tenant_id, input.capability_id);
    }
    let out: EngineResult;
    try {
      out = await this.#engine.dispatch(
        input as unknown as Record<string, unknown>,
        ctx.requestedBy ?? null,
      );
    } catch (e) {
      return refused(e);
    }
    const decision = out.decision;
    if (decision.outcome === "DENY") return denied(decision);
    if (decision.outcome === "STEWARD_HOLD") return await this.#hold(decision, input, ctx);
    return executed(out);
  }

  /** Consume an approval and run the request it approved (the engine re-checks its worker). */
  async #runApproved(id: string, tenantId: string, capabilityId: string): Promise<GovernedResult> {
    let out: EngineResult;
    try {
      out = await this.#engine.dispatchApproved(id, {
        tenant_id: tenantId,
        capability_id: capabilityId,
      });
    } catch (e) {
      return e instanceof EngineError && e.decision ? refused(e) : {
        decision: null,
        executed: false,
        error: approvalError(e),
        ...(this.approvals.get(id, tenantId)
          ? { approval: this.approvals.get(id, tenantId)! }
          : {}),
      };
    }
    return { ...executed(out), approval: this.approvals.get(id) ?? undefined };
  }

  async #hold(
    decision: RouteDecision,
    input: RouteInput,
    ctx: DispatchContext,
  ): Promise<GovernedResult> {
    const approval = this.approvals.get(decision.pending_approval_id ?? "");
    if (!approval) {
      return {
        decision,
        executed: false,
        error: { code: "APPROVAL_UNKNOWN", message: "the hold was not recorded" },
      };
    }
    if (!ctx.askHuman) return this.#heldResult(decision, approval, null);
    let answer: HumanAnswer;
    try {
      answer = await ctx.askHuman(approvalQuestion(approval, decision, input), approval);
    } catch (e) {
      const why = `the client could not ask the human (${(e as Error).message ?? String(e)})`;
      return this.#heldResult(decision, approval, why);
    }
    const approve = answer.action === "accept" && answer.decision === "approve";
    let resolved: ApprovalView;
    try {
      resolved = await this.approvals.resolve(
        approval.approval_id,
        approve ? "approve" : "deny",
        typeof answer.note === "string" && answer.note !== "" ? answer.note : undefined,
        input.tenant_id,
        answer.by,
      );
    } catch (e) {
      return { decision, executed: false, approval, error: approvalError(e) };
    }
    if (!approve) {
      const how = answer.action === "accept"
        ? "denied"
        : answer.action === "decline"
        ? "declined"
        : "cancelled";
      return {
        decision,
        executed: false,
        approval: resolved,
        error: {
          code: "APPROVAL_DENIED",
          message: `the human ${how} the held request through the client (approval ` +
            `${approval.approval_id}); nothing ran`,
          details: { approval_id: approval.approval_id, status: resolved.status },
        },
      };
    }
    return await this.#runApproved(approval.approval_id, input.tenant_id, input.capability_id);
  }

  /** Where a held request can be approved, in words and as structured details. */
  #whereToApprove(id: string): { text: string; approve_with: Record<string, unknown> | null } {
    if (this.#hallUrl) {
      return {
        text: `approve it on the hall's dashboard (${this.#hallUrl}/dashboard) or with ` +
          `\`wcp approvals approve ${id} --hall ${this.#hallUrl}\` (a principal other than the ` +
          "requester), then call again with approval_id",
        approve_with: {
          dashboard: `${this.#hallUrl}/dashboard`,
          cli: `wcp approvals approve ${id} --hall ${this.#hallUrl}`,
        },
      };
    }
    if (this.config.allow_resolve) {
      return {
        text: "a supervisor approves it with wcp_approval_resolve from another session (this " +
          "session cannot approve its own hold unless hall_config.allow_self_approval), then " +
          "call again with approval_id",
        approve_with: { tool: "wcp_approval_resolve", from: "another MCP session" },
      };
    }
    return {
      text: "this in-memory server has no approver: the client does not support MCP " +
        "elicitation and the approval tools are off. To enable one, use a client that supports " +
        "elicitation (the server then asks the human), configure a hall (approve on its " +
        "dashboard or with `wcp approvals approve`), or set allow_resolve: true for a supervisor " +
        "session",
      approve_with: null,
    };
  }

  #heldResult(
    decision: RouteDecision,
    approval: ApprovalView,
    why: string | null,
  ): GovernedResult {
    const where = this.#whereToApprove(approval.approval_id);
    return {
      decision,
      executed: false,
      approval,
      error: {
        code: "STEWARD_HOLD",
        message: `held for a ${approval.supervisor_level} (approval ${approval.approval_id}, ` +
          `expires ${approval.expires_at})${why ? `; ${why}` : ""}; ${where.text}`,
        details: {
          approval_id: approval.approval_id,
          supervisor_level: approval.supervisor_level,
          expires_at: approval.expires_at,
          approve_with: where.approve_with,
        },
      },
    };
  }

  async #dispatchRemote(
    engine: DispatchEngine,
    input: RouteInput,
    approvalId?: string,
  ): Promise<GovernedResult> {
    let out: EngineDispatch;
    try {
      out = approvalId === undefined
        ? await engine.dispatch(input)
        : await engine.dispatchApproved(approvalId);
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown; path?: unknown };
      return {
        decision: null,
        executed: false,
        error: {
          code: typeof err.code === "string" ? err.code : "HALL_UNREACHABLE",
          message: `hall: ${String(err.message ?? e)}`,
          ...(typeof err.path === "string" && err.path ? { path: err.path } : {}),
        },
      };
    }
    const d = out.decision;
    const receipt = out.receipt as WcpReceipt | undefined;
    if (approvalId !== undefined && d.tenant_id !== input.tenant_id) {
      // The hall executed it already; say so, but never hand another tenant's output over.
      return {
        decision: d,
        executed: true,
        receipt,
        error: { code: "APPROVAL_MISMATCH", message: "approval belongs to another tenant" },
      };
    }
    if (d.outcome === "DENY" && approvalId === undefined) {
      const r = d.deny_reason_if_denied;
      return {
        decision: d,
        executed: false,
        error: { code: r?.code ?? "DENY_INTERNAL_ERROR", message: r?.message ?? "denied" },
      };
    }
    if (d.outcome === "STEWARD_HOLD" && approvalId === undefined) {
      const id = d.pending_approval_id ?? "";
      return {
        decision: d,
        executed: false,
        approval: {
          approval_id: id,
          decision_id: d.decision_id,
          status: "pending",
          capability_id: d.capability_id,
          tenant_id: d.tenant_id,
          supervisor_level: d.supervisor_level ?? "gatekeeper",
          created_at: d.timestamp,
          expires_at: d.approval_expires_at ?? "",
          escalation_context: (d.escalation_context ?? null) as Record<string, unknown> | null,
          escalations: 0,
          note: null,
          requested_by: null,
          resolved_by: null,
          resolved_at: null,
        },
        error: {
          code: "STEWARD_HOLD",
          message: `held by the hall for a ${
            d.supervisor_level ?? "gatekeeper"
          } (approval ${id}); ${this.#whereToApprove(id).text}`,
          details: {
            approval_id: id,
            supervisor_level: d.supervisor_level ?? "gatekeeper",
            expires_at: d.approval_expires_at ?? null,
            approve_with: this.#whereToApprove(id).approve_with,
          },
        },
      };
    }
    if (out.worker_error) {
      return {
        decision: d,
        executed: true,
        receipt,
        error: { code: "WORKER_FAILED", message: out.worker_error },
      };
    }
    return { decision: d, executed: true, output: out.result, receipt };
  }
}

// What an execution produced, as a governed result (a failed worker still has its receipt).
function executed(out: EngineResult): GovernedResult {
  const receipt = out.receipt as WcpReceipt;
  if (out.worker_error) {
    return {
      decision: out.decision,
      executed: true,
      receipt,
      error: { code: "WORKER_FAILED", message: out.worker_error },
    };
  }
  return { decision: out.decision, executed: true, output: out.result, receipt };
}

// An engine refusal after a decision (no executor for the selected worker): nothing ran.
function refused(e: unknown): GovernedResult {
  if (!(e instanceof EngineError)) throw e;
  return {
    decision: e.decision ?? null,
    executed: false,
    error: { code: e.code, message: e.message, ...(e.path ? { path: e.path } : {}) },
  };
}

function denied(decision: RouteDecision): GovernedResult {
  const r = decision.deny_reason_if_denied;
  return {
    decision,
    executed: false,
    error: { code: r?.code ?? "DENY_INTERNAL_ERROR", message: r?.message ?? "denied" },
  };
}

function approvalError(e: unknown): CallError {
  const err = e as WcpError;
  return {
    code: typeof err.code === "string" ? err.code : "APPROVAL_INVALID",
    message: err.message ?? String(e),
    path: "approval_id",
    ...(e instanceof ApprovalError && e.status ? { status: e.status } : {}),
  };
}
