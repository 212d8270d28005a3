/**
 * One connection to an upstream MCP server (the official SDK `Client` over
 * `StdioClientTransport` or `StreamableHTTPClientTransport`), with a connect timeout, a timeout
 * on every request, reconnection on the next use after the upstream went away, and errors that
 * name the server and what it did (`UPSTREAM_UNAVAILABLE`, `UPSTREAM_TIMEOUT`).
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import type { StdioClientTransport as StdioTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type CallToolResult,
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  McpError,
  type Tool,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { AsyncLocalStorage } from "node:async_hooks";
import { WcpError } from "../../src/errors.ts";
import type { UpstreamSpec } from "./config.ts";

/** A tool as the upstream lists it. */
export type UpstreamTool = Tool;

/** An upstream refused, failed or timed out (`code`: `UPSTREAM_UNAVAILABLE`, `UPSTREAM_TIMEOUT`). */
export class UpstreamError extends WcpError {
  /** Create one; `server` is named in the message. */
  constructor(code: string, server: string, message: string) {
    super(code, `servers.${server}`, message);
    this.name = "UpstreamError";
  }
}

function describe(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 300 ? `${m.slice(0, 300)}…` : m;
}

function isTimeout(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  return err?.code === -32001 || /timed out|timeout/i.test(String(err?.message ?? ""));
}

/**
 * Environment variables the gateway reads to start a stdio upstream: the SDK passes HOME,
 * LOGNAME, PATH, SHELL, TERM and USER on; OSTYPE and NODE_V8_COVERAGE are read by the spawn
 * code under Deno. Grant exactly these (`--allow-env=...`).
 */
export const UPSTREAM_ENV = [
  "HOME",
  "LOGNAME",
  "PATH",
  "SHELL",
  "TERM",
  "USER",
  "OSTYPE",
  "NODE_V8_COVERAGE",
] as const;

/** The requests an upstream may send its client, relayed to the gateway's own client. */
export type RelayedMethod = "sampling/createMessage" | "elicitation/create" | "roots/list";

/**
 * The downstream client of one MCP session, as an upstream's requests reach it: the gateway's
 * face forwards them to its client (related to the `tools/call` in flight, so over Streamable
 * HTTP they travel on that call's stream) and returns the answer.
 */
export interface ClientRelay {
  /** Forward one request; rejects with an `McpError` when the client does not offer it. */
  request(
    method: RelayedMethod,
    params: Record<string, unknown>,
    options: { signal?: AbortSignal; timeoutMs: number },
  ): Promise<unknown>;
}

/**
 * The relay of the session whose call is running (set by the face around `tools/call`; it flows
 * through governance into the upstream call).
 */
export const callRelay: AsyncLocalStorage<ClientRelay> = new AsyncLocalStorage<ClientRelay>();

/** The gateway's client info sent to upstreams. */
export const GATEWAY_CLIENT_INFO = { name: "wcp-gateway", version: "0.1.0" };

/**
 * One upstream server. `connect()` starts it (stdio) or reaches it (HTTP) within
 * `connect_timeout_ms`; every request after that is bounded by `call_timeout_ms`.
 *
 * @example
 * ```ts ignore
 * const up = new Upstream("fs", spec);
 * await up.connect();
 * const tools = await up.listTools();
 * ```
 */
export class Upstream {
  /** The configured name. */
  readonly name: string;
  /** How to reach it. */
  readonly spec: UpstreamSpec;
  #client: Client | null = null;
  #connecting: Promise<Client> | null = null;
  #closed = false;
  /** Called when the upstream says its tool list changed. */
  onToolsChanged: (() => void) | null = null;
  /**
   * Where the upstream's requests go when no call of a session is in flight (e.g. `roots/list`
   * right after initialize): the most recent session's client, if any.
   */
  fallbackRelay: (() => ClientRelay | undefined) | null = null;
  // Relays of the tools/call requests in flight on this upstream (the latest is asked).
  #inflight: ClientRelay[] = [];
  /** Diagnostics (stderr). */
  log: (message: string) => void;

  /** Describe one upstream; nothing starts until `connect()`. */
  constructor(name: string, spec: UpstreamSpec, log: (message: string) => void = () => {}) {
    this.name = name;
    this.spec = spec;
    this.log = log;
  }

  /** Whether a live connection is open. */
  get connected(): boolean {
    return this.#client !== null;
  }

  /** Connect (or return the live connection); throws `UpstreamError` after the timeout. */
  connect(): Promise<Client> {
    if (this.#closed) {
      return Promise.reject(new UpstreamError("UPSTREAM_UNAVAILABLE", this.name, "closed"));
    }
    if (this.#client) return Promise.resolve(this.#client);
    return this.#connecting ??= this.#open().finally(() => {
      this.#connecting = null;
    });
  }

  async #open(): Promise<Client> {
    const spec = this.spec;
    // Sampling, elicitation and roots are offered to the upstream and relayed to the client of
    // the session whose call is running (refused there when that client does not offer them).
    const client = new Client(GATEWAY_CLIENT_INFO, {
      capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
    });
    const relay = (method: RelayedMethod) => (req: { params: unknown }, extra: unknown) =>
      this.#relay(method, req.params as Record<string, unknown>, extra);
    client.setRequestHandler(CreateMessageRequestSchema, relay("sampling/createMessage") as never);
    client.setRequestHandler(ElicitRequestSchema, relay("elicitation/create") as never);
    client.setRequestHandler(ListRootsRequestSchema, relay("roots/list") as never);
    // Loaded only for a stdio upstream: its spawn code reads OSTYPE at import (a gateway with
    // HTTP upstreams only needs no --allow-env).
    const Stdio = "command" in spec
      ? (await import("@modelcontextprotocol/sdk/client/stdio.js"))
        .StdioClientTransport as typeof StdioTransport
      : null;
    const transport = "command" in spec && Stdio
      ? new Stdio({
        command: spec.command,
        args: spec.args,
        env: spec.env,
        ...(spec.cwd ? { cwd: spec.cwd } : {}),
        stderr: "inherit",
      })
      : new StreamableHTTPClientTransport(new URL((spec as { url: string }).url), {
        requestInit: { headers: (spec as { headers: Record<string, string> }).headers },
      });
    client.onclose = () => {
      if (this.#client === client) {
        this.#client = null;
        if (!this.#closed) this.log(`upstream "${this.name}" closed the connection`);
      }
    };
    client.onerror = (e: Error) => this.log(`upstream "${this.name}": ${describe(e)}`);
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.onToolsChanged?.();
    });
    const what = "command" in spec ? `${spec.command} ${spec.args.join(" ")}`.trim() : spec.url;
    try {
      await client.connect(transport, { timeout: spec.connect_timeout_ms });
    } catch (e) {
      await client.close().catch(() => {});
      if (isTimeout(e)) {
        throw new UpstreamError(
          "UPSTREAM_TIMEOUT",
          this.name,
          `no answer to initialize within ${spec.connect_timeout_ms} ms (${what})`,
        );
      }
      throw new UpstreamError("UPSTREAM_UNAVAILABLE", this.name, `${describe(e)} (${what})`);
    }
    this.#client = client;
    return client;
  }

  async #relay(
    method: RelayedMethod,
    params: Record<string, unknown>,
    extra: unknown,
  ): Promise<never> {
    const to = this.#inflight.at(-1) ?? this.fallbackRelay?.();
    if (!to) {
      throw new McpError(
        ErrorCode.InvalidRequest,
        `${method}: no client session of the gateway to relay it to`,
      );
    }
    const signal = (extra as { signal?: AbortSignal } | undefined)?.signal;
    return await to.request(method, params, {
      ...(signal ? { signal } : {}),
      timeoutMs: this.spec.call_timeout_ms,
    }) as never;
  }

  /** Tell the upstream its client's roots changed (the gateway's client said so). */
  async rootsChanged(): Promise<void> {
    await this.#client?.sendRootsListChanged().catch(() => {});
  }

  async #request<T>(what: string, run: (c: Client, timeout: number) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await run(client, this.spec.call_timeout_ms);
    } catch (e) {
      if (e instanceof WcpError) throw e;
      if (isTimeout(e)) {
        throw new UpstreamError(
          "UPSTREAM_TIMEOUT",
          this.name,
          `no answer to ${what} within ${this.spec.call_timeout_ms} ms`,
        );
      }
      if (!this.#client) {
        throw new UpstreamError("UPSTREAM_UNAVAILABLE", this.name, `went away during ${what}`);
      }
      throw e;
    }
  }

  /** Every tool the upstream lists (all pages). */
  listTools(): Promise<UpstreamTool[]> {
    return this.#request("tools/list", async (c, timeout) => {
      const out: UpstreamTool[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const r = await c.listTools(cursor ? { cursor } : {}, { timeout });
        out.push(...r.tools);
        cursor = r.nextCursor;
        if (!cursor) break;
      }
      return out;
    });
  }

  /** Call one tool; an upstream JSON-RPC error becomes an `isError` result naming it. */
  callTool(
    name: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<CallToolResult> {
    const relay = callRelay.getStore();
    return this.#request(`tools/call ${name}`, async (c, timeout) => {
      if (relay) this.#inflight.push(relay);
      try {
        return await c.callTool({ name, arguments: args }, CallToolResultSchema, {
          timeout,
          ...(signal ? { signal } : {}),
        }) as CallToolResult;
      } catch (e) {
        const err = e as { code?: unknown };
        if (typeof err.code === "number" && err.code !== -32001) {
          return {
            isError: true,
            content: [{ type: "text", text: `upstream "${this.name}": ${describe(e)}` }],
          };
        }
        throw e;
      } finally {
        if (relay) this.#inflight.splice(this.#inflight.lastIndexOf(relay), 1);
      }
    });
  }

  /** Forward any other request (resources, prompts, completion) with the call timeout. */
  request(method: string, params: Record<string, unknown> | undefined): Promise<unknown> {
    return this.#request(method, async (c, timeout) => {
      switch (method) {
        case "resources/list":
          return await c.listResources(params, { timeout });
        case "resources/templates/list":
          return await c.listResourceTemplates(params, { timeout });
        case "resources/read":
          return await c.readResource(params as { uri: string }, { timeout });
        case "prompts/list":
          return await c.listPrompts(params, { timeout });
        case "prompts/get":
          return await c.getPrompt(params as { name: string }, { timeout });
        default:
          throw new UpstreamError("UPSTREAM_UNSUPPORTED", this.name, `${method} is not forwarded`);
      }
    });
  }

  /** What the upstream declared at initialize (null before connecting). */
  capabilities(): Record<string, unknown> | null {
    return (this.#client?.getServerCapabilities() as Record<string, unknown> | undefined) ?? null;
  }

  /** Close the connection (a stdio upstream is stopped); no reconnection afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    const c = this.#client;
    this.#client = null;
    await c?.close().catch(() => {});
  }
}
