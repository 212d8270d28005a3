// The benchmark's upstream MCP server: one `echo` tool, over stdio (`stdio`) or Streamable HTTP
// on 127.0.0.1 (`http PORT`, JSON responses, a server per request as a stateless upstream). Both
// the direct client and the gateway call this same program.
//
//   deno run mcp/gateway/_bench_upstream.ts stdio
//   deno run --allow-net=127.0.0.1 mcp/gateway/_bench_upstream.ts http 8940

import { z } from "zod";
import { McpServer, WebStandardStreamableHTTPServerTransport } from "../_sdk_server.ts";
import { LineTransport } from "../stdio.ts";

function server(): McpServer {
  const s = new McpServer({ name: "bench-upstream", version: "1.0.0" });
  s.registerTool("echo", {
    description: "Echo the message back.",
    inputSchema: { message: z.string() },
  }, ({ message }: { message: string }) => ({ content: [{ type: "text", text: message }] }));
  return s;
}

const [mode, port] = Deno.args;
if (mode === "http") {
  Deno.serve({
    hostname: "127.0.0.1",
    port: Number(port),
    onListen: (a) => console.error(`bench upstream listening on ${a.hostname}:${a.port}`),
  }, async (req) => {
    const t = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    const s = server();
    await s.connect(t);
    try {
      return await t.handleRequest(req);
    } finally {
      queueMicrotask(() => void s.close().catch(() => {}));
    }
  });
} else {
  const transport = new LineTransport({ log: (m) => console.error(`[bench-upstream] ${m}`) });
  const closed = new Promise<void>((resolve) => (transport.onclose = () => resolve()));
  await server().connect(transport);
  await closed;
  Deno.exit(0);
}
