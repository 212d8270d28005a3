/**
 * Prompts that walk an agent through WCP tasks. Each names only tools this server registers; the
 * factory checks that and fails loudly otherwise.
 *
 * @module
 */

import { z } from "zod";
import type { GetPromptResult, McpServer } from "./_sdk_server.ts";
import { WcpError } from "../src/errors.ts";

function user(text: string): GetPromptResult {
  return { messages: [{ role: "user", content: { type: "text", text } }] };
}

/**
 * Tool names mentioned in a prompt text (`wcp_*` and `cap_*`).
 *
 * @example
 * ```ts
 * import { toolsNamedIn } from "./prompts.ts";
 * toolsNamedIn("use wcp_route, then cap_doc_summarize"); // ["wcp_route", "cap_doc_summarize"]
 * ```
 */
export function toolsNamedIn(text: string): string[] {
  return [...new Set(text.match(/\b(?:wcp|cap)_[a-z0-9_]+/g) ?? [])];
}

/**
 * Register the prompts; `tools` are the registered tool names (used to check the texts).
 *
 * @example
 * ```ts
 * import { McpServer } from "./_sdk_server.ts";
 * import { registerPrompts } from "./prompts.ts";
 * import { WCP_TOOL_NAMES } from "./tools.ts";
 * registerPrompts(new McpServer({ name: "x", version: "0" }), WCP_TOOL_NAMES);
 * ```
 */
export function registerPrompts(server: McpServer, tools: readonly string[]): void {
  const check = (name: string, text: string): string => {
    for (const t of toolsNamedIn(text)) {
      if (!tools.includes(t)) {
        throw new WcpError("MCP_PROMPT_INVALID", name, `names unknown tool ${t}`);
      }
    }
    return text;
  };
  const exampleTool = tools.find((t) => t.startsWith("cap_"));
  const runStep = exampleTool
    ? `call the matching governed tool (for example ${exampleTool}) or wcp_dispatch`
    : "call wcp_dispatch";

  const findArgs = { need: z.string().min(1).max(500).describe("What you need done, in words") };
  server.registerPrompt("wcp_find_and_run", {
    title: "Find a capability and run it under governance",
    description: "Search the catalog for a capability, check the decision, then run it",
    argsSchema: findArgs,
  }, (args: { need: string }) =>
    user(check(
      "wcp_find_and_run",
      `I need: ${args.need}\n\n1. Use wcp_catalog_search to find the capability id (cap.*) that fits; ` +
        `use wcp_explain on the best hit to see which worker species serve it.\n` +
        `2. Use wcp_route with that capability_id to see the decision without executing.\n` +
        `3. If the outcome is DISPATCH, ${runStep}. If it is DENY, report the deny code and decision ` +
        `id. If it is STEWARD_HOLD, tell me the approval id and wait for a human.`,
    )));

  // The approval tools are registered only with allow_resolve
  // (docs/protocol/trust.md#separation-of-duties); without them the prompt sends the human to the
  // places where a supervisor decides.
  const canResolve = tools.includes("wcp_approval_resolve");
  server.registerPrompt("wcp_review_approvals", {
    title: "Review pending approvals",
    description: "List requests held for a human and help the supervisor decide",
  }, () =>
    user(check(
      "wcp_review_approvals",
      "Use wcp_approvals_list to show the pending approvals (capability, tenant, supervisor level, " +
        "escalation context, who requested it, expiry). " +
        (canResolve
          ? "For each, ask me whether to approve, deny or escalate, then call " +
            "wcp_approval_resolve or wcp_approval_escalate with my answer. A session cannot " +
            "resolve its own requests (APPROVER_IS_REQUESTER). Never decide on my behalf."
          : "This session cannot approve or deny them: tell me where a supervisor decides (the " +
            "hall's dashboard or `wcp approvals approve|deny <id>` when a hall keeps them; " +
            "otherwise the question comes to me through my MCP client). Never decide on my behalf."),
    )));

  server.registerPrompt("wcp_audit_worker", {
    title: "Audit an enrolled worker",
    description: "Check a worker's enrollment, attestation and this tenant's receipt chain",
    argsSchema: {
      worker_id: z.string().min(3).max(128).describe("Worker id, e.g. org.acme.sum.1"),
    },
  }, (args: { worker_id: string }) =>
    user(check(
      "wcp_audit_worker",
      `Audit worker ${args.worker_id}: use wcp_workers_list to show its record and whether it is ` +
        `executable here, wcp_attestation_verify to compare its registered and current code hashes, ` +
        `and wcp_receipts_verify to check the evidence receipt chain. Summarise any problem found.`,
    )));
}
