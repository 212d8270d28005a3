// Shared helpers of the MCP tests: an in-process client/server pair and result accessors.

import {
  Client,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
  InMemoryTransport,
} from "./_sdk_client.ts";
import { createWcpMcpServer, Governor } from "../../mcp/server.ts";
import type { WorkerFn } from "../../mcp/builtin_workers.ts";
import { parseMcpConfig, type WcpMcpConfig } from "../../mcp/config.ts";
import { DEMO_CONFIG_DOCUMENT } from "../../mcp/demo_config.ts";
import type { ApprovalBackend } from "../../mcp/approvals.ts";

/** A connected in-process pair. */
export interface Pair {
  client: Client;
  governor: Governor;
  close(): Promise<void>;
}

/** The demo document, deep-copied, with `patch` applied on top (shallow, per top-level key). */
export function demoWith(patch: Record<string, unknown> = {}): WcpMcpConfig {
  return parseMcpConfig({ ...structuredClone(DEMO_CONFIG_DOCUMENT), ...patch });
}

/** Connect an SDK client to a fresh server over InMemoryTransport. */
export async function connect(
  config: WcpMcpConfig = demoWith(),
  options: {
    workers?: Record<string, WorkerFn>;
    approvals?: ApprovalBackend;
    governor?: Governor;
    /** Declare the elicitation capability and answer `elicitation/create` with this. */
    onElicit?: (params: ElicitRequest["params"]) => ElicitResult | Promise<ElicitResult>;
    /** Client name (default `wcp-test`). */
    clientName?: string;
  } = {},
): Promise<Pair> {
  const governor = options.governor ?? new Governor(config, { workers: options.workers });
  const server = createWcpMcpServer({ governor, approvals: options.approvals });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client(
    { name: options.clientName ?? "wcp-test", version: "1.0.0" },
    options.onElicit ? { capabilities: { elicitation: {} } } : {},
  );
  if (options.onElicit) {
    const answer = options.onElicit;
    client.setRequestHandler(ElicitRequestSchema, (req: ElicitRequest) => answer(req.params));
  }
  await server.connect(b);
  await client.connect(a);
  return {
    client,
    governor,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** A tool result as the tests read it. */
export interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}

/** Call a tool and return its result (typed loosely). */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolResult> {
  return await client.callTool({ name, arguments: args }) as unknown as ToolResult;
}

/** The governance metadata of a result. */
export function gov(r: ToolResult): Record<string, unknown> {
  return (r._meta?.["wcp/governance"] ?? {}) as Record<string, unknown>;
}

/** The `{error}` body of an error result (parsed from the text fallback). */
export function errorOf(
  r: ToolResult,
): { code: string; message: string; decision_id: string | null; path?: string } {
  return JSON.parse(r.content[0].text ?? "{}").error;
}

/** A worker that records its calls. */
export function spyWorker(
  output: Record<string, unknown> = { ok: true },
): { fn: WorkerFn; calls: unknown[] } {
  const calls: unknown[] = [];
  return { fn: (c) => (calls.push(c), output), calls };
}
