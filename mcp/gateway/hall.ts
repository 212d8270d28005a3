/**
 * The gateway mounted in the hall's `/mcp`: the same upstreams and per-tool policy as the
 * gateway config file (hall.json `gateway`), but governed by the hall. Each trusted upstream tool
 * is a worker row of the hall's store (`x.gateway.<server>.<tool>`, species
 * `wrk.mcp.<server>.<tool>`: the hall selects workers by species, so each tool is its own;
 * enrolled by `gateway`) executed in process (the upstream `tools/call`); the hall's rules, gate,
 * floors, approvals and receipt chains decide and record each call, with the principal the hall
 * authenticated for `/mcp`. `tools/list` of the hall's `/mcp` adds the upstream tools the
 * caller's tenant may call (a dry-run decision against the hall's rules); pins live in the hall's
 * store when it has the pin rows (`StorePinStore`), so instances agree.
 *
 * @module
 */

import type { McpServer } from "../_sdk_server.ts";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { WcpError } from "../../src/errors.ts";
import { makeDecision } from "../../src/decision/router.ts";
import { Registry } from "../../src/registry/mod.ts";
import type { Hall } from "../../src/hall/hall.ts";
import type { WorkerRow } from "../../src/hall/store/types.ts";
import type { RegistryRecord } from "../../src/model.ts";
import type { WorkerFn } from "../builtin_workers.ts";
import { Governor } from "../governor.ts";
import { dispatchContext, type McpSession } from "../_session.ts";
import { sessionFrom } from "../worker_tools.ts";
import { errorResult } from "../_results.ts";
import type { GatewayConfig } from "./config.ts";
import { Gateway } from "./gateway.ts";
import type { DispatchContext, GatewayGovernance, GovernedResult } from "./governance.ts";
import {
  acceptPending,
  definitionDiff,
  MemoryPinStore,
  type PinRows,
  type PinStore,
  StorePinStore,
} from "./pins.ts";
import { uuidV4 } from "../../src/ids.ts";

/** The pins' row name of the hall's gateway in the store. */
export const HALL_GATEWAY_PINS = "hall";

/** The hall's receipt chain of pin acceptances. */
export const PINS_CHAIN = "wcp-gateway.pins";

/** What `GET /wcp/gateway/pins` answers. */
export interface HallPinsView {
  /** Definitions withheld until an approver accepts them. */
  pending: {
    key: string;
    server: string;
    tool: string;
    hash: string;
    previous_hash: string | null;
    seen_at: string;
    /** Line diff: `-` pinned, `+` pending. */
    diff: string;
  }[];
  /** Pinned definitions. */
  pins: {
    key: string;
    hash: string;
    pinned_at: string;
    how: "first_sight" | "accepted";
    accepted_by: string | null;
    receipt_id: string | null;
  }[];
}

/** Options of `HallGateway.start`. */
export interface HallGatewayOptions {
  /** Where pins live (default: the hall store's pin rows when it has them, else memory). */
  pins?: PinStore;
  /** Diagnostics (stderr). */
  log?: (message: string) => void;
}

// The hall origin a call came through (named in a held call's answer: where to approve it).
const originOf = new WeakMap<DispatchContext, string>();

type Handler = (request: unknown, extra: unknown) => Promise<unknown>;
type Extra = Parameters<typeof sessionFrom>[0] & {
  requestId?: string | number;
  signal?: AbortSignal;
};

function hasPinRows(store: unknown): store is PinRows {
  const s = store as Partial<PinRows>;
  return typeof s.getGatewayPins === "function" && typeof s.putGatewayPins === "function";
}

/**
 * The hall's gateway: upstream connections (started with the hall, stopped with it), their
 * tools as hall workers, and the `/mcp` tool handlers that add them.
 */
export class HallGateway {
  /** The gateway core (upstreams, pins). */
  readonly gateway: Gateway;
  readonly #hall: Hall;
  readonly #log: (message: string) => void;
  #offChange: () => void = () => {};
  #synced: Promise<void> = Promise.resolve();

  private constructor(hall: Hall, gateway: Gateway, log: (message: string) => void) {
    this.#hall = hall;
    this.gateway = gateway;
    this.#log = log;
  }

  /**
   * Connect the upstreams, pin their tools and enrol the trusted ones as the hall's workers.
   *
   * @example
   * ```ts ignore
   * const gw = await HallGateway.start(hallApp.hall, parseHallGatewayConfig(doc, dir));
   * ```
   */
  static async start(
    hall: Hall,
    config: GatewayConfig,
    options: HallGatewayOptions = {},
  ): Promise<HallGateway> {
    const log = options.log ?? (() => {});
    const pins = options.pins ??
      (hasPinRows(hall.store)
        ? new StorePinStore(hall.store, HALL_GATEWAY_PINS, hall.now)
        : new MemoryPinStore());
    const gateway = await Gateway.start(config, {
      pins,
      log,
      now: hall.now,
      species: "tool",
      pinsHint: "an approver must accept the new definition (`wcp gateway pins accept`)",
      governance: (record, run) => hallGovernance(hall, config, record, run),
    });
    const self = new HallGateway(hall, gateway, log);
    self.#offChange = gateway.onToolsChanged(() => {
      self.#synced = self.#synced.then(() => self.#enrol()).catch((e) =>
        log(`gateway: enrolling tools: ${(e as Error).message}`)
      );
    });
    try {
      await self.#enrol();
    } catch (e) {
      await self.close();
      throw e;
    }
    return self;
  }

  // Each trusted tool: its worker row in the store (written only when it changed) and its
  // in-process executor, which refuses once the tool is no longer trusted (a changed pin).
  async #enrol(): Promise<void> {
    const hall = this.#hall;
    const at = new Date(hall.now()).toISOString();
    for (const t of this.gateway.tools()) {
      hall.inProcessWorkers[t.worker_id] = (call) => this.#execute(t.worker_id, call);
      const record = new Registry().enroll(structuredClone(t.record));
      const old = await hall.store.getWorker(t.worker_id);
      if (old && old.status === "active" && JSON.stringify(old.record) === JSON.stringify(record)) {
        hall.applyWorker(old);
        continue;
      }
      const row: WorkerRow = {
        worker_id: t.worker_id,
        namespace: "x.gateway",
        record,
        status: "active",
        current_hash: null,
        attestation: null,
        flagged: false,
        enrolled_by: "gateway",
        enrolled_at: old?.enrolled_at ?? at,
        updated_at: at,
      };
      await hall.withWorkerLock(t.worker_id, () => hall.store.putWorker(row));
      hall.applyWorker(row);
    }
  }

  async #execute(workerId: string, call: Parameters<WorkerFn>[0]): Promise<unknown> {
    let tool = this.gateway.tools().find((t) => t.worker_id === workerId);
    if (!tool) {
      await this.gateway.syncPins();
      tool = this.gateway.tools().find((t) => t.worker_id === workerId);
    }
    if (!tool) {
      throw new Error(
        `TOOL_DEFINITION_CHANGED: ${workerId} is withheld (its upstream definition is not the ` +
          "pinned one, or the upstream no longer lists it); the upstream was not called",
      );
    }
    return await tool.run(call);
  }

  /** Capability ids of the governed upstream tools (the hall's generic tools leave them out). */
  capabilities(): Set<string> {
    return new Set(this.gateway.tools().map((t) => t.capability_id));
  }

  /**
   * Add the upstream tools to one `/mcp` server (built per request by the hall's mount):
   * `tools/list` answers the hall's own tools plus the upstream tools the caller's tenant may
   * call; `tools/call` of an upstream tool runs the hall's engine bound to the caller
   * (`session.engine`). `origin` is the hall's URL (named where a held call is approved).
   */
  install(server: McpServer, session: McpSession, origin?: string): void {
    const low = server.server;
    // The SDK keeps the high-level tools' handlers in this map; wrap them instead of replacing.
    const handlers = (low as unknown as { _requestHandlers?: Map<string, Handler> })
      ._requestHandlers;
    const ownList = handlers?.get("tools/list");
    const ownCall = handlers?.get("tools/call");
    if (!ownList || !ownCall) {
      throw new Error("gateway mount: the MCP SDK no longer keeps tool handlers where expected");
    }
    const gw = this.gateway;
    low.setRequestHandler(ListToolsRequestSchema, async (req, extra: Extra) => {
      const own = await ownList(req, extra) as { tools: Tool[] };
      await gw.syncPins().catch(() => {});
      await this.#synced;
      const caps = this.capabilities();
      const mine = gw.listFor(sessionFrom(extra));
      const taken = new Set(mine.map((t) => t.name));
      return {
        tools: [
          ...own.tools.filter((t) =>
            !caps.has(String(t._meta?.["wcp/capability_id"] ?? "")) && !taken.has(t.name)
          ),
          ...mine,
        ],
      };
    });
    low.setRequestHandler(CallToolRequestSchema, async (req, extra: Extra) => {
      const { name, arguments: args, _meta } = req.params;
      const known = gw.tools().some((t) => t.name === name) ||
        gw.blocked().some((t) => t.name === name);
      if (!known) return await ownCall(req, extra) as never;
      if (gw.blocked().some((t) => t.name === name)) {
        // Accepted since (through another instance)? Then enrolled before the hall decides.
        await gw.syncPins().catch(() => {});
        await this.#synced;
      }
      const ctx: DispatchContext = dispatchContext(server, session, extra);
      if (origin) originOf.set(ctx, origin);
      try {
        return await gw.call(
          name,
          (args ?? {}) as Record<string, unknown>,
          _meta as Record<string, unknown> | undefined,
          sessionFrom(extra),
          ctx,
        );
      } catch (e) {
        if (e instanceof WcpError && e.code === "TOOL_UNKNOWN") {
          throw new McpError(ErrorCode.InvalidParams, `${e.code}: ${e.message}`);
        }
        if (e instanceof WcpError) {
          return errorResult({ code: e.code, message: e.message, path: e.path || undefined }, null);
        }
        throw e;
      }
    });
  }

  /**
   * The pins: definitions waiting for an approver (with the line diff against the pinned one)
   * and the pinned definitions (`wcp gateway pins list|diff` over the hall's store).
   */
  async pinsView(): Promise<HallPinsView> {
    const doc = await this.gateway.pins.read();
    return {
      pending: Object.entries(doc.pending).sort(([a], [b]) => a < b ? -1 : 1).map(([key, p]) => ({
        key,
        server: key.slice(0, key.indexOf(".")),
        tool: key.slice(key.indexOf(".") + 1),
        hash: p.hash,
        previous_hash: p.previous_hash,
        seen_at: p.seen_at,
        diff: definitionDiff(doc.pins[key]?.definition ?? null, p.definition),
      })),
      pins: Object.entries(doc.pins).sort(([a], [b]) => a < b ? -1 : 1).map(([key, p]) => ({
        key,
        hash: p.hash,
        pinned_at: p.pinned_at,
        how: p.how,
        accepted_by: p.accepted_by ?? null,
        receipt_id: p.receipt_id ?? null,
      })),
    };
  }

  /**
   * Accept a pending definition (an approver): a receipt of the acceptance is minted into the
   * hall's chain `wcp-gateway.pins` first, then the pin is replaced (compare-and-set in the
   * store; `expectHash`, when given, must be the pending hash the approver looked at), and the
   * tool is served again. Throws `WcpError` `PIN_NOT_PENDING` / `PIN_MISMATCH`.
   */
  async acceptPin(
    key: string,
    by: { principal_id: string; label: string },
    options: { note?: string; expectHash?: string } = {},
  ): Promise<{ accepted: string; hash: string; receipt: Record<string, unknown> }> {
    const hall = this.#hall;
    const doc = await this.gateway.pins.read();
    const pending = doc.pending[key];
    if (!pending) {
      throw new WcpError("PIN_NOT_PENDING", "key", `no pending definition for "${key}"`);
    }
    if (options.expectHash !== undefined && options.expectHash !== pending.hash) {
      throw new WcpError(
        "PIN_MISMATCH",
        "hash",
        `the pending definition of "${key}" is ${pending.hash}, not ${options.expectHash}`,
      );
    }
    const server = key.slice(0, key.indexOf("."));
    const cfg = this.gateway.config;
    const now = hall.now();
    const row = await hall.receipts.mint({
      tenant_id: PINS_CHAIN,
      correlation_id: uuidV4(),
      dispatched_at: new Date(now).toISOString(),
      worker_id: `x.gateway.${server}`,
      capability_id: cfg.tools[key]?.capability_id ??
        `cap.mcp.${server}.${key.slice(server.length + 1)}`,
      policy_decision: "TOOL_DEFINITION_ACCEPTED",
      controls_verified: [],
      artifact_hash: pending.hash,
      tool: key,
      previous_hash: pending.previous_hash,
      accepted_by: by.label,
      accepted_by_id: by.principal_id,
      note: options.note ?? null,
    }, now);
    await this.gateway.pins.update((d) =>
      acceptPending(d, key, by.label, now, {
        expectHash: pending.hash,
        receiptId: row.receipt_id,
        ...(options.note ? { note: options.note } : {}),
      })
    );
    await this.gateway.syncPins();
    await this.#synced;
    return { accepted: key, hash: pending.hash, receipt: row.receipt as Record<string, unknown> };
  }

  /** Stop the upstreams (stdio ones are ended) and forget the executors. */
  async close(): Promise<void> {
    this.#offChange();
    await this.#synced.catch(() => {});
    for (const t of this.gateway.tools()) delete this.#hall.inProcessWorkers[t.worker_id];
    await this.gateway.close();
    this.#log("gateway: upstreams closed");
  }
}

/**
 * Governance of one upstream tool by the hall: the request is built with the mount's session
 * bounds; `mayCall` is a dry-run decision against the hall's rules, registry, floors and gate
 * (no record, no telemetry); `dispatch` goes to the hall's engine bound to the caller
 * (`ctx.engine`), which decides, holds, executes the tool's worker and mints the receipt.
 */
function hallGovernance(
  hall: Hall,
  config: GatewayConfig,
  record: RegistryRecord,
  _run: WorkerFn,
): GatewayGovernance {
  const bounds = { ...config.governance, registry: [record], workers: {} };
  const local = new Governor(bounds);
  const byOrigin = new Map<string, Governor>();
  const governorFor = (origin: string | undefined): Governor => {
    if (!origin) return local;
    let g = byOrigin.get(origin);
    if (!g) {
      g = new Governor(bounds, { hallUrl: origin });
      byOrigin.set(origin, g);
    }
    return g;
  };
  return {
    input: (cap, request, options, session) => local.buildInput(cap, request, options, session),
    mayCall(cap, session) {
      const input = local.buildInput(cap, {}, {}, session);
      if ("code" in input) return false;
      const d = makeDecision({ ...input, dry_run: true }, {
        rules: hall.rules,
        registry: hall.registry,
        config: hall.config,
        policyGate: hall.simulationGate(hall.rules),
        currentWorkerHash: () => null,
        now: hall.now,
      });
      return d.outcome !== "DENY";
    },
    async dispatch(input, approvalId, ctx): Promise<GovernedResult> {
      if (!ctx.engine) {
        return {
          decision: null,
          executed: false,
          error: {
            code: "HALL_UNAUTHENTICATED",
            message: "no principal authenticated by the hall for this call",
          },
        };
      }
      if (approvalId !== undefined) {
        const held = await hall.store.getApproval(approvalId);
        if (held && held.capability_id !== input.capability_id) {
          return {
            decision: null,
            executed: false,
            error: {
              code: "APPROVAL_MISMATCH",
              path: "wcp_approval_id",
              message: `approval "${approvalId}" was granted for ${held.capability_id}, not ` +
                `${input.capability_id}; repeat the held call itself`,
            },
          };
        }
      }
      return await governorFor(originOf.get(ctx)).dispatch(input, approvalId, ctx);
    },
  };
}
