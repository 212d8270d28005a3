// Shared helpers of the gateway tests: start the gateway as `wcp gateway` would (a child
// `deno run` with the permissions `gatewayPermissions` computes, nothing more) and connect the
// official SDK client to it over stdio.

import {
  Client,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
  StdioClientTransport,
} from "./_sdk_client.ts";
import { gatewayPermissions } from "../../src/cli/gateway.ts";

/** The upstreams nobody here wrote, pinned. */
export const EVERYTHING = "npm:@modelcontextprotocol/server-everything@2026.8.31";
/** The filesystem server, pinned. */
export const FILESYSTEM = "npm:@modelcontextprotocol/server-filesystem@2026.8.31";
/** The dev config: `deno run` of an npm upstream resolves through it and its lock, never the
 * runtime deno.lock. */
export const DEV_CONFIG = new URL("../deno.json", import.meta.url).pathname;
/** The gateway's entry point. */
export const GATEWAY_MAIN = new URL("../../mcp/gateway/main.ts", import.meta.url).pathname;
/** Our own small upstream (rug pull, hanging). */
export const FIXTURE = new URL("./fixtures/gateway_upstream.ts", import.meta.url).pathname;

/** A connected client and the gateway's stderr. */
export interface GatewaySession {
  client: Client;
  stderr: () => string;
  close(): Promise<void>;
}

/** The `deno run` arguments of the gateway for these gateway arguments (least privilege). */
export async function gatewayArgs(args: string[]): Promise<string[]> {
  return ["run", "--quiet", ...(await gatewayPermissions(args)), GATEWAY_MAIN, ...args];
}

/** Start the gateway with `args` and connect an SDK client (with elicitation when `onElicit`). */
export async function startGateway(
  args: string[],
  options: {
    onElicit?: (params: ElicitRequest["params"]) => ElicitResult | Promise<ElicitResult>;
    name?: string;
  } = {},
): Promise<GatewaySession> {
  const transport = new StdioClientTransport({
    command: "deno",
    args: await gatewayArgs(args),
    env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "" },
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (b: Uint8Array) => (err += new TextDecoder().decode(b)));
  const client = new Client(
    { name: options.name ?? "gateway-test", version: "0" },
    { capabilities: options.onElicit ? { elicitation: { form: {} } } : {} },
  );
  if (options.onElicit) {
    const answer = options.onElicit;
    client.setRequestHandler(ElicitRequestSchema, (req: ElicitRequest) => answer(req.params));
  }
  try {
    await client.connect(transport, { timeout: 120_000 });
  } catch (e) {
    await client.close().catch(() => {});
    throw new Error(`gateway did not start: ${(e as Error).message}\n${err}`);
  }
  return {
    client,
    stderr: () => err,
    close: async () => {
      await client.close();
    },
  };
}

/** Run the gateway to its exit (for start failures): exit code and stderr. */
export async function runGatewayToExit(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command("deno", {
    args: await gatewayArgs(args),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** The text of a tool result's first content item. */
export function textOf(r: unknown): string {
  const c = (r as { content?: { type: string; text?: string }[] }).content ?? [];
  return c.map((x) => x.text ?? "").join("\n");
}

/** The governance facts of a result. */
export function governance(r: unknown): Record<string, unknown> {
  return ((r as { _meta?: Record<string, unknown> })._meta?.["wcp/governance"] ?? {}) as Record<
    string,
    unknown
  >;
}

/** The error body of an isError result. */
export function errorOf(r: unknown): Record<string, unknown> {
  return JSON.parse(textOf(r)).error;
}

/** Write a gateway config into `dir` and return its path. */
export async function writeConfig(dir: string, doc: Record<string, unknown>): Promise<string> {
  const path = `${dir}/gateway.json`;
  await Deno.writeTextFile(path, JSON.stringify(doc, null, 2));
  return path;
}
