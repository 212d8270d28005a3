// Upstream -> client requests through the gateway: an upstream's elicitation/create,
// sampling/createMessage and roots/list during a tools/call reach the gateway's own client (the
// SDK client here) and its answers come back to the upstream; a client that does not offer
// sampling gets the upstream a clear refusal; and the upstream changing a tool live
// (notifications/tools/list_changed) re-pins it: the changed tool is withheld at once.

import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { Client, StdioClientTransport } from "./_sdk_client.ts";
import { errorOf, FIXTURE, gatewayArgs, textOf, writeConfig } from "./_gateway_helpers.ts";

const TOOLS = ["lookup", "ask", "sample", "roots", "mutate"];

async function start(dir: string, capabilities: Record<string, unknown>) {
  const cfg = await writeConfig(dir, {
    tenant: { tenant_id: "acme" },
    rules: {
      rules: [{
        rule_id: "fixture",
        match: { capability_id: { in: TOOLS.map((t) => `cap.mcp.fx.${t}`) } },
        decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.mcp.fx" }] },
      }],
    },
    servers: { fx: { command: "deno", args: ["run", FIXTURE, "--relay"] } },
  });
  const client = new Client({ name: "relay-test", version: "0" }, { capabilities });
  const transport = new StdioClientTransport({
    command: "deno",
    args: await gatewayArgs(["--config", cfg]),
    env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "" },
    stderr: "pipe",
  });
  return { client, transport };
}

Deno.test("gateway relay: the upstream's elicitation, sampling and roots requests reach the client; list_changed re-pins", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-gw-relay-" });
  const { client, transport } = await start(dir, {
    elicitation: { form: {} },
    sampling: {},
    roots: {},
  });
  const asked: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, (req) => {
    asked.push(String(req.params.message));
    return { action: "accept", content: { color: "blue" } };
  });
  client.setRequestHandler(CreateMessageRequestSchema, (req) => {
    const m = req.params.messages[0].content as { text: string };
    return {
      model: "test-model",
      role: "assistant",
      content: { type: "text", text: `sampled: ${m.text}` },
    };
  });
  client.setRequestHandler(ListRootsRequestSchema, () => ({
    roots: [{ uri: "file:///srv/project", name: "project" }],
  }));
  const changed = Promise.withResolvers<void>();
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed.resolve());
  try {
    await client.connect(transport, { timeout: 120_000 });
    const ask = await client.callTool({ name: "ask", arguments: { question: "Favourite?" } });
    assert.equal(ask.isError, undefined, textOf(ask));
    assert.deepEqual(JSON.parse(textOf(ask)), { action: "accept", content: { color: "blue" } });
    assert.deepEqual(asked, ["Favourite?"]);

    const sample = await client.callTool({ name: "sample", arguments: { prompt: "hi" } });
    assert.equal(sample.isError, undefined, textOf(sample));
    assert.equal(JSON.parse(textOf(sample)).content.text, "sampled: hi");

    const roots = await client.callTool({ name: "roots", arguments: {} });
    assert.equal(roots.isError, undefined, textOf(roots));
    assert.equal(JSON.parse(textOf(roots)).roots[0].uri, "file:///srv/project");

    // The upstream changes lookup's description while running: re-listed and re-pinned.
    assert.ok((await client.listTools()).tools.some((t) => t.name === "lookup"));
    await client.callTool({ name: "mutate", arguments: {} });
    await changed.promise;
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes("lookup"), `withheld after the live change: ${names.join(",")}`);
    const blocked = await client.callTool({ name: "lookup", arguments: { word: "x" } });
    assert.equal(errorOf(blocked).code, "TOOL_DEFINITION_CHANGED");
  } finally {
    await client.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gateway relay: a client without sampling gets the upstream a clear refusal, not a hang", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-gw-relay-" });
  const { client, transport } = await start(dir, {});
  try {
    await client.connect(transport, { timeout: 120_000 });
    const sample = await client.callTool({ name: "sample", arguments: { prompt: "hi" } });
    assert.equal(sample.isError, true);
    assert.match(textOf(sample), /does not offer sampling/);
  } finally {
    await client.close();
    await Deno.remove(dir, { recursive: true });
  }
});
