// The gateway over Streamable HTTP (`--http`): a client that offers neither elicitation, sampling
// nor roots gets plain JSON answers (nothing can be asked of it on a call's stream, so no SSE
// stream per call); a client that offers elicitation gets the call's answer on an SSE stream, on
// which the upstream's question reaches it. Both through the official SDK client.

import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/types"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { parseGatewayConfig } from "../../mcp/gateway/config.ts";
import { Gateway } from "../../mcp/gateway/gateway.ts";
import { createGatewayHttpHandler } from "../../mcp/gateway/http.ts";
import { Client, StreamableHTTPClientTransport } from "./_sdk_client.ts";
import { FIXTURE, textOf } from "./_gateway_helpers.ts";

Deno.test("gateway over HTTP: JSON answers for a client that cannot be asked anything, SSE for one that can", async () => {
  const config = parseGatewayConfig({
    tenant: { tenant_id: "acme" },
    rules: {
      rules: [{
        rule_id: "fixture",
        match: { capability_id: { in: ["cap.mcp.fx.lookup", "cap.mcp.fx.ask"] } },
        decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.mcp.fx" }] },
      }],
    },
    servers: { fx: { command: "deno", args: ["run", FIXTURE, "--relay"] } },
  }, { baseDir: ".", defaultStateDir: null });
  const gateway = await Gateway.start(config);
  const handler = createGatewayHttpHandler(gateway);
  const types: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const res = await handler(req);
    if (req.method === "POST") types.push(res.headers.get("content-type") ?? "");
    return res;
  });
  const url = new URL(`http://127.0.0.1:${server.addr.port}/mcp`);
  const plain = new Client({ name: "plain", version: "0" });
  const asking = new Client({ name: "asking", version: "0" }, {
    capabilities: { elicitation: { form: {} } },
  });
  asking.setRequestHandler(ElicitRequestSchema, () => ({
    action: "accept",
    content: { color: "green" },
  }));
  try {
    await plain.connect(new StreamableHTTPClientTransport(url));
    types.length = 0;
    const r = await plain.callTool({ name: "lookup", arguments: { word: "cat" } });
    assert.match(textOf(r), /looked up cat/);
    assert.deepEqual(types, ["application/json"]);

    await asking.connect(new StreamableHTTPClientTransport(url));
    types.length = 0;
    const a = await asking.callTool({ name: "ask", arguments: { question: "Colour?" } });
    assert.equal(a.isError, undefined, textOf(a));
    assert.equal(JSON.parse(textOf(a)).content.color, "green");
    assert.equal(types[0], "text/event-stream");
  } finally {
    await plain.close().catch(() => {});
    await asking.close().catch(() => {});
    await handler.closeAll();
    await server.shutdown();
    await gateway.close();
  }
});
