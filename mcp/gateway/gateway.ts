/**
 * The governing MCP gateway: WCP in front of existing MCP servers, unchanged. Each upstream
 * tool whose definition matches its pin becomes a governed capability (a registry record built
 * here: species `wrk.mcp.<server>`, blast dimensions and controls from the config); `tools/call`
 * runs the full WCP pipeline (rules, controls, blast radius, policy gate, human approval) and
 * the upstream call is the worker; every execution is receipted; `tools/list` shows only what
 * the tenant may call.
 *
 * One `Gateway` per process holds the upstream connections, pins, receipts and approvals; the
 * MCP faces (stdio, Streamable HTTP, the hall's `/mcp`) are built over it per session
 * (`face.ts`).
 *
 * @module
 */

import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { jcsDigest } from "../../src/encoding/hash.ts";
import { WcpError } from "../../src/errors.ts";
import type { RegistryRecord } from "../../src/model.ts";
import type { WorkerFn } from "../builtin_workers.ts";
import { ReceiptBook } from "../receipts.ts";
import { errorResult, GOVERNANCE_META_KEY, governanceMeta } from "../_results.ts";
import { defaultCapabilityId, type GatewayConfig, type ToolPolicy } from "./config.ts";
import {
  type DispatchContext,
  type GatewayGovernance,
  gatewayGovernance,
  type GovernedResult,
  type SessionIdentity,
} from "./governance.ts";
import { GatewayApprovals } from "./approvals.ts";
import { MemoryPinStore, type PinStore, reconcilePins } from "./pins.ts";
import { type ClientRelay, Upstream, type UpstreamTool } from "./upstream.ts";
import type { ReceiptFile } from "./state.ts";
import type { SigningKey } from "../../src/attestation/mod.ts";

/** The argument a held call is repeated with (also accepted as `_meta["wcp/approval_id"]`). */
export const APPROVAL_ARG = "wcp_approval_id";

/** One governed upstream tool. */
export interface GatewayTool {
  /** Upstream server name. */
  server: string;
  /** The tool's name at the upstream. */
  upstream_name: string;
  /** The name the client sees. */
  name: string;
  /** Its capability id. */
  capability_id: string;
  /** The worker id of its registry record. */
  worker_id: string;
  /** The definition as listed to clients (the upstream's, plus the approval argument). */
  listed: Tool;
  /** Its governance (its own registry record; shared rules, receipts, approvals). */
  gov: GatewayGovernance;
  /** Its registry record (species `wrk.mcp.<server>`). */
  record: RegistryRecord;
  /** The executor: the upstream `tools/call`. */
  run: WorkerFn;
}

/** A tool withheld because its definition is not (or no longer) the pinned one. */
export interface BlockedTool {
  /** Server. */
  server: string;
  /** Upstream name. */
  upstream_name: string;
  /** Client-facing name. */
  name: string;
  /** `new` or `changed`. */
  reason: "new" | "changed";
  /** Digest of what the upstream lists now. */
  hash: string;
  /** Digest pinned (null for a new tool). */
  pinned_hash: string | null;
}

/** Options of `Gateway.start`. */
export interface GatewayOptions {
  /** Where pins live (default in memory). */
  pins?: PinStore;
  /** Receipt signing key (default generated for the process). */
  signingKey?: SigningKey;
  /** Durable receipt file (every receipt is appended before the call returns). */
  receiptFile?: ReceiptFile;
  /** Keep approvals in this file (`<state>/approvals.json`); default memory only. */
  approvalsPath?: string;
  /** Diagnostics (stderr). */
  log?: (message: string) => void;
  /** Clock. */
  now?: () => number;
  /**
   * How a person approves a hold without elicitation, for held calls' answers: a function of the
   * approval id giving the words and the command (e.g. `wcp gateway approvals approve ID --config
   * F`). Default: the MCP server's wording (no approver reachable).
   */
  approveHint?: (approvalId: string) => { text: string; cli: string };
  /** How to accept a changed definition (e.g. `wcp gateway pins accept ... --config F`). */
  pinsHint?: string;
  /**
   * Governance of one tool (default: a `Governor` over the config's rules, gate and floors,
   * minting into the gateway's receipt book). The hall's mount passes one that decides, holds
   * and receipts in the hall (`hall.ts`).
   */
  governance?: (record: RegistryRecord, run: WorkerFn) => GatewayGovernance;
  /**
   * Species of the tools' records: `server` (`wrk.mcp.<server>`, the default: each tool is
   * decided over its own one-record registry) or `tool` (`wrk.mcp.<server>.<tool>`: the hall's
   * mount, where every tool is a worker of one shared registry and the router selects by species).
   */
  species?: "server" | "tool";
}

/** The worker id of a tool's record: `x.gateway.<server>.<tool part of its capability>`. */
function workerIdFor(server: string, cap: string): string {
  const own = `cap.mcp.${server}.`;
  return `x.gateway.${server}.${cap.startsWith(own) ? cap.slice(own.length) : cap.slice(4)}`;
}

/**
 * The species of one tool's record in a shared registry (the hall's mount):
 * `wrk.mcp.<server>.<tool part of its capability, dots as ->`.
 *
 * @example
 * ```ts
 * import { toolSpeciesFor } from "./gateway.ts";
 * toolSpeciesFor("everything", "cap.mcp.everything.get-sum"); // "wrk.mcp.everything.get-sum"
 * ```
 */
export function toolSpeciesFor(server: string, cap: string): string {
  const own = `cap.mcp.${server}.`;
  const part = cap.startsWith(own) ? cap.slice(own.length) : cap.slice(4);
  return `wrk.mcp.${server}.${part.replace(/\./g, "-")}`;
}

/** The gateway core. */
export class Gateway {
  /** Its configuration. */
  readonly config: GatewayConfig;
  /** Upstream connections by server name. */
  readonly upstreams: Map<string, Upstream>;
  /** Pins. */
  readonly pins: PinStore;
  /** Receipt chains (in memory; plus `receiptFile` when durable). */
  readonly receipts: ReceiptBook;
  /** Approvals of held calls. */
  readonly approvals: GatewayApprovals;
  readonly #receiptFile: ReceiptFile | undefined;
  readonly #log: (message: string) => void;
  readonly #now: () => number;
  readonly #pinsHint: string;
  readonly #approveHint: GatewayOptions["approveHint"];
  readonly #governance: GatewayOptions["governance"];
  readonly #speciesPerTool: boolean;
  #listed = new Map<string, UpstreamTool[]>();
  #tools = new Map<string, GatewayTool>();
  #blocked = new Map<string, BlockedTool>();
  #pinsSeen = "";
  #listeners = new Set<() => void>();
  #sessionRelays: ClientRelay[] = [];

  private constructor(config: GatewayConfig, options: GatewayOptions) {
    this.config = config;
    this.#log = options.log ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.pins = options.pins ?? new MemoryPinStore();
    this.receipts = new ReceiptBook(this.#now, options.signingKey);
    const hc = config.governance.hall_config;
    this.approvals = new GatewayApprovals(this.#now, {
      ttlSeconds: typeof hc.approval_ttl_seconds === "number" ? hc.approval_ttl_seconds : undefined,
      allowSelfApproval: hc.allow_self_approval === true,
      ...(options.approvalsPath ? { path: options.approvalsPath } : {}),
    });
    this.#approveHint = options.approveHint;
    this.#governance = options.governance;
    this.#speciesPerTool = options.species === "tool";
    this.#receiptFile = options.receiptFile;
    this.#pinsHint = options.pinsHint ?? "an approver must accept the new definition";
    this.upstreams = new Map(
      Object.entries(config.servers).map(([n, s]) => [n, new Upstream(n, s, this.#log)]),
    );
  }

  /**
   * Connect every upstream (in parallel, each within its connect timeout), list and pin their
   * tools, and build governance over them. An upstream that cannot be reached is logged and its
   * tools are absent; when none can be reached this throws the first error.
   */
  static async start(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
    const gw = new Gateway(config, options);
    const results = await Promise.allSettled(
      [...gw.upstreams.values()].map(async (up) => {
        up.fallbackRelay = () => gw.#sessionRelays.at(-1);
        await up.connect();
        up.onToolsChanged = () => {
          void gw.refresh(up.name).catch((e) => gw.#log(`refresh ${up.name}: ${e.message}`));
        };
        gw.#listed.set(up.name, await up.listTools());
      }),
    );
    const failures = results.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
    for (const f of failures) gw.#log(String((f as Error).message ?? f));
    if (failures.length === results.length) {
      await gw.close();
      throw failures[0];
    }
    await gw.#reconcile();
    return gw;
  }

  /** Called after the visible tool set changed (faces send `notifications/tools/list_changed`). */
  onToolsChanged(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Register a session's client as the one upstream requests go to outside a call (the latest
   * registered is used); returns the unregistration.
   */
  addSessionRelay(relay: ClientRelay): () => void {
    this.#sessionRelays.push(relay);
    return () => {
      const i = this.#sessionRelays.indexOf(relay);
      if (i >= 0) this.#sessionRelays.splice(i, 1);
    };
  }

  /** Re-list one upstream's tools (or all) and re-check them against the pins. */
  async refresh(server?: string): Promise<void> {
    for (const up of this.upstreams.values()) {
      if (server !== undefined && up.name !== server) continue;
      this.#listed.set(up.name, await up.listTools());
    }
    await this.#reconcile();
  }

  /** Re-read the pins (another process may have accepted a definition); rebuild on a change. */
  async syncPins(): Promise<void> {
    const doc = await this.pins.read();
    const digest = jcsDigest(doc);
    if (digest !== this.#pinsSeen) await this.#reconcile();
  }

  async #reconcile(): Promise<void> {
    const verdicts = await this.pins.update((doc) => {
      const out = new Map<string, ReturnType<typeof reconcilePins>>();
      for (const [server, tools] of this.#listed) {
        out.set(server, reconcilePins(doc, server, tools, this.#now()));
      }
      this.#pinsSeen = jcsDigest(doc);
      return out;
    });
    const tools = new Map<string, GatewayTool>();
    const blocked = new Map<string, BlockedTool>();
    const caps = new Set<string>();
    for (const [server, list] of this.#listed) {
      const verdict = verdicts.get(server)!;
      const up = this.upstreams.get(server)!;
      for (const tool of list) {
        const key = `${server}.${tool.name}`;
        const policy: ToolPolicy = { ...this.config.defaults, ...this.config.tools[key] };
        const name = this.config.tools[key]?.name ??
          (this.config.tool_names === "upstream" ? tool.name : `${server}_${tool.name}`);
        if (policy.enabled === false) continue;
        const b = verdict.blocked.get(tool.name);
        if (b) {
          blocked.set(name, { server, upstream_name: tool.name, name, ...b });
          continue;
        }
        const cap = this.config.tools[key]?.capability_id ?? defaultCapabilityId(server, tool.name);
        if (!cap) {
          this.#log(`tool ${key}: no valid default capability id; map it under tools.${key}`);
          continue;
        }
        if (caps.has(cap) || tools.has(name)) {
          this.#log(`tool ${key}: capability ${cap} or name ${name} already taken; withheld`);
          continue;
        }
        caps.add(cap);
        const workerId = workerIdFor(server, cap);
        const record: RegistryRecord = {
          worker_id: workerId,
          worker_species_id: this.#speciesPerTool
            ? toolSpeciesFor(server, cap)
            : `wrk.mcp.${server}`,
          capabilities: [cap],
          risk_tier: policy.risk_tier ?? "low",
          currently_implements: policy.controls ?? [],
          ...(policy.allowed_environments
            ? { allowed_environments: policy.allowed_environments }
            : {}),
          ...(policy.blast_radius ? { blast_radius: policy.blast_radius } : {}),
          ...(policy.tenants ? { tenants: policy.tenants } : {}),
          owner: `wcp-gateway (upstream ${server})`,
        };
        const upstreamName = tool.name;
        const run: WorkerFn = (call) => up.callTool(upstreamName, call.request);
        tools.set(name, {
          gov: this.#build(record, run),
          record,
          run,
          server,
          upstream_name: tool.name,
          name,
          capability_id: cap,
          worker_id: workerId,
          listed: listedTool(tool, name),
        });
      }
    }
    const before = [...this.#tools.keys()].sort().join("\n");
    this.#tools = tools;
    this.#blocked = blocked;
    for (const b of blocked.values()) {
      this.#log(
        `tool ${b.server}.${b.upstream_name} withheld: its definition is ${b.reason} ` +
          `(${b.hash}${b.pinned_hash ? `, pinned ${b.pinned_hash}` : ""}); ${this.#pinsHint}`,
      );
    }
    if ([...tools.keys()].sort().join("\n") !== before) {
      for (const l of this.#listeners) l();
    }
  }

  #build(record: RegistryRecord, run: WorkerFn): GatewayGovernance {
    if (this.#governance) return this.#governance(record, run);
    return gatewayGovernance(this.config.governance, record, run, {
      receipts: this.receipts,
      approvals: this.approvals,
    });
  }

  /** The governed tools (all, whatever the tenant). */
  tools(): GatewayTool[] {
    return [...this.#tools.values()];
  }

  /** The withheld tools. */
  blocked(): BlockedTool[] {
    return [...this.#blocked.values()];
  }

  /** What `tools/list` shows a session: the tools its tenant could call. */
  listFor(session: SessionIdentity | null): Tool[] {
    return [...this.#tools.values()]
      .filter((t) => t.gov.mayCall(t.capability_id, session))
      .map((t) => t.listed);
  }

  /**
   * One governed `tools/call`. Unknown names throw `WcpError` `TOOL_UNKNOWN`; a withheld
   * definition, a refusal or a hold is an `isError` result with the code; an executed call is
   * the upstream's result with `_meta["wcp/governance"]` (decision, receipt).
   */
  async call(
    name: string,
    args: Record<string, unknown>,
    meta: Record<string, unknown> | undefined,
    session: SessionIdentity | null,
    ctx: DispatchContext,
  ): Promise<CallToolResult> {
    let tool = this.#tools.get(name);
    if (!tool && this.#blocked.has(name)) {
      await this.syncPins(); // accepted since?
      tool = this.#tools.get(name);
    }
    if (!tool) {
      const b = this.#blocked.get(name);
      if (b) {
        return errorResult({
          code: "TOOL_DEFINITION_CHANGED",
          message:
            `the definition of ${b.server}.${b.upstream_name} is ${
              b.reason === "new" ? "new (not pinned)" : "not the pinned one"
            } (now ${b.hash}${b.pinned_hash ? `, pinned ${b.pinned_hash}` : ""}); the call was ` +
            `not forwarded. ${this.#pinsHint}`,
          details: {
            server: b.server,
            tool: b.upstream_name,
            reason: b.reason,
            hash: b.hash,
            pinned_hash: b.pinned_hash,
          },
        }, null);
      }
      throw new WcpError("TOOL_UNKNOWN", "name", `no tool "${name}" on this gateway`);
    }
    const request = { ...args };
    let approvalId: string | undefined;
    if (APPROVAL_ARG in request) {
      const v = request[APPROVAL_ARG];
      delete request[APPROVAL_ARG];
      if (typeof v !== "string" || v === "") {
        return errorResult({
          code: "DENY_INVALID_INPUT",
          path: APPROVAL_ARG,
          message: `${APPROVAL_ARG} must be a non-empty string`,
        }, null);
      }
      approvalId = v;
    } else if (typeof meta?.["wcp/approval_id"] === "string") {
      approvalId = meta["wcp/approval_id"] as string;
    }
    const input = tool.gov.input(tool.capability_id, request, {}, session);
    if ("code" in input) return errorResult(input, null);
    if (approvalId !== undefined) {
      const held = this.approvals.requestHashOf(approvalId);
      if (held !== undefined && held !== jcsDigest(request)) {
        return errorResult({
          code: "APPROVAL_MISMATCH",
          path: "arguments",
          message: `approval "${approvalId}" was granted for a call with other arguments; ` +
            "repeat the held call exactly",
        }, null);
      }
    }
    const r = await tool.gov.dispatch(input, approvalId, ctx);
    return await this.#result(r);
  }

  async #result(r: GovernedResult): Promise<CallToolResult> {
    if (r.receipt && this.#receiptFile) await this.#receiptFile.append(r.receipt);
    const meta = governanceMeta(r);
    if (r.error?.code === "STEWARD_HOLD" && this.#approveHint && r.approval) {
      const a = r.approval;
      const hint = this.#approveHint(a.approval_id);
      return errorResult(
        {
          ...r.error,
          message: `held for a ${a.supervisor_level} (approval ${a.approval_id}, expires ` +
            `${a.expires_at}); ${hint.text}`,
          details: {
            ...r.error.details,
            approve_with: { cli: hint.cli },
            repeat_with: { [APPROVAL_ARG]: a.approval_id },
          },
        },
        r.decision,
        meta,
      );
    }
    if (r.error) return errorResult(r.error, r.decision, meta);
    const out = r.output as CallToolResult;
    return { ...out, _meta: { ...(out._meta ?? {}), [GOVERNANCE_META_KEY]: meta } };
  }

  /** Whether any connected upstream offers `kind` (resources, prompts) and it is not off. */
  offers(kind: "resources" | "prompts"): boolean {
    for (const up of this.upstreams.values()) {
      if (up.spec[kind] !== "off" && up.capabilities()?.[kind]) return true;
    }
    return false;
  }

  /**
   * Forward a resources or prompts request. With one upstream offering the kind it goes there;
   * with several, lists are merged and a read/get goes to the server named by the prefix
   * (`<server>:` on prompt names; the resource's URI as listed). A server configured `govern`
   * runs each read/get as a governed call of `cap.mcp.<server>.resources-read` /
   * `cap.mcp.<server>.prompts-get` (its rules apply; receipts as for tools).
   */
  async forward(
    kind: "resources" | "prompts",
    method: string,
    params: Record<string, unknown> | undefined,
    session: SessionIdentity | null,
    ctx: DispatchContext,
  ): Promise<unknown> {
    const ups = [...this.upstreams.values()].filter((u) =>
      u.spec[kind] !== "off" && u.capabilities()?.[kind]
    );
    if (method.endsWith("/list")) {
      const field = method === "resources/list"
        ? "resources"
        : method === "resources/templates/list"
        ? "resourceTemplates"
        : "prompts";
      const merged: unknown[] = [];
      for (const up of ups) {
        const r = await up.request(method, params) as Record<string, unknown[]>;
        merged.push(...(r[field] ?? []));
      }
      return { [field]: merged };
    }
    const up = ups.length === 1 ? ups[0] : await this.#owner(ups, kind, params);
    if (!up) {
      throw new WcpError(
        "UPSTREAM_UNKNOWN",
        kind === "resources" ? "uri" : "name",
        "no upstream serves it",
      );
    }
    if (up.spec[kind] !== "govern") return await up.request(method, params);
    const cap = `cap.mcp.${up.name}.${kind === "resources" ? "resources-read" : "prompts-get"}`;
    const workerId = workerIdFor(up.name, cap);
    const record: RegistryRecord = {
      worker_id: workerId,
      worker_species_id: `wrk.mcp.${up.name}`,
      capabilities: [cap],
      risk_tier: this.config.defaults.risk_tier ?? "low",
      currently_implements: this.config.defaults.controls ?? [],
      owner: `wcp-gateway (upstream ${up.name})`,
    };
    const gov = this.#build(record, (call) => up.request(method, call.request));
    const input = gov.input(cap, params ?? {}, {}, session);
    if ("code" in input) throw new WcpError(input.code, input.path ?? "", input.message);
    const r = await gov.dispatch(input, undefined, ctx);
    if (r.receipt && this.#receiptFile) await this.#receiptFile.append(r.receipt);
    if (r.error) throw new WcpError(r.error.code, r.error.path ?? "", r.error.message);
    return r.output;
  }

  async #owner(
    ups: Upstream[],
    kind: "resources" | "prompts",
    params: Record<string, unknown> | undefined,
  ): Promise<Upstream | undefined> {
    if (kind === "prompts") {
      const name = String(params?.name ?? "");
      for (const up of ups) {
        const r = await up.request("prompts/list", {}) as { prompts: { name: string }[] };
        if (r.prompts.some((p) => p.name === name)) return up;
      }
      return undefined;
    }
    const uri = String(params?.uri ?? "");
    for (const up of ups) {
      const r = await up.request("resources/list", {}) as { resources: { uri: string }[] };
      if (r.resources.some((x) => x.uri === uri)) return up;
    }
    return undefined;
  }

  /** Close every upstream (stdio ones are stopped) and the receipt file. */
  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.close()));
    await this.#receiptFile?.close();
  }
}

/** The upstream definition as the client sees it: its name, and the approval argument added. */
function listedTool(tool: UpstreamTool, name: string): Tool {
  const schema = structuredClone(tool.inputSchema) as Record<string, unknown>;
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  if (schema.type === "object" && !(APPROVAL_ARG in props)) {
    schema.properties = {
      ...props,
      [APPROVAL_ARG]: {
        type: "string",
        description: "WCP: only when repeating a call that was held for a human " +
          "(STEWARD_HOLD): the approval id, once a supervisor approved it",
      },
    };
  }
  return { ...tool, name, inputSchema: schema as Tool["inputSchema"] };
}
