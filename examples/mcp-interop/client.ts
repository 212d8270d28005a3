// MCP interop: an ordinary MCP client (the official SDK's Client over stdio) calling governed
// tools of the WCP MCP server:
//
//   deno run --allow-run=deno --allow-env examples/mcp-interop/client.ts
//
// It starts `deno run mcp/main.ts` (the DEMO configuration: built-in workers, tenant demo-tenant),
// lists the tools, calls cap_doc_summarize (allowed: the result carries the decision and the
// hall-style receipt in _meta["wcp/governance"]), the same tool with RESTRICTED data (denied: no
// rule allows it), and cap_msg_notify (held for a human: STEWARD_HOLD with an approval id).
// --json prints a summary.

// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const json = Deno.args.includes("--json");
const say = (line: string) => json || console.log(line);
const server = new URL("../../mcp/main.ts", import.meta.url).pathname;

interface ToolAnswer {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  _meta?: Record<string, Record<string, unknown>>;
}

function errorOf(r: ToolAnswer): Record<string, unknown> {
  const text = r.content?.find((c) => c.type === "text")?.text ?? "{}";
  try {
    return (JSON.parse(text) as { error?: Record<string, unknown> }).error ?? {};
  } catch {
    return { message: text };
  }
}

const transport = new StdioClientTransport({
  command: "deno",
  args: ["run", "--no-prompt", server],
  stderr: "pipe",
});
const client = new Client({ name: "wcp-interop-example", version: "1.0.0" });
await client.connect(transport);
try {
  say(`server    ${client.getServerVersion()?.title ?? client.getServerVersion()?.name}`);
  const tools = (await client.listTools()).tools.map((t) => t.name);
  say(`tools     ${tools.length}: ${tools.slice(0, 6).join(", ")}, ...`);

  const ok = await client.callTool({
    name: "cap_doc_summarize",
    arguments: { text: "Governance first. Then the work. Then the receipt." },
  }) as ToolAnswer;
  const gov = ok._meta?.["wcp/governance"] ?? {};
  const receipt = gov.receipt as { receipt_hash?: string } | undefined;
  say(`allowed   ${JSON.stringify(ok.structuredContent)}`);
  say(
    `          outcome ${gov.outcome}, worker ${gov.selected_worker_id}, rule ${gov.matched_rule_id}`,
  );
  say(`          receipt ${receipt?.receipt_hash}`);

  const denied = await client.callTool({
    name: "cap_doc_summarize",
    arguments: { text: "secret", wcp: { data_label: "RESTRICTED" } },
  }) as ToolAnswer;
  const deniedError = errorOf(denied);
  say(`denied    ${deniedError.code}: ${deniedError.message}`);

  const held = await client.callTool({
    name: "cap_msg_notify",
    arguments: { channel: "#ops", message: "deploy at noon" },
  }) as ToolAnswer;
  const heldError = errorOf(held);
  say(
    `held      ${heldError.code}, approval ${heldError.approval_id ?? "?"} (a human resolves it)`,
  );

  const summary = {
    tools: tools.length,
    allowed: { outcome: gov.outcome, result: ok.structuredContent, receipt: receipt?.receipt_hash },
    denied: { is_error: denied.isError === true, code: deniedError.code },
    held: {
      is_error: held.isError === true,
      code: heldError.code,
      approval_id: heldError.approval_id,
    },
  };
  if (json) console.log(JSON.stringify(summary));
  Deno.exitCode = gov.outcome === "DISPATCH" && deniedError.code === "DENY_NO_MATCHING_RULE" &&
      heldError.code === "STEWARD_HOLD"
    ? 0
    : 1;
} finally {
  await client.close();
}
