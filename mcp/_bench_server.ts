// Stdio server for the overhead benchmark (`mcp/bench_overhead.ts`): `governed` is the real WCP
// server with the demo config; `ungoverned` exposes the same echo worker, with the same schemas,
// transport and SDK, but calls it directly: the difference between the two is WCP's overhead.

import { z } from "zod";
import { McpServer } from "./_sdk_server.ts";
import { LineTransport } from "./stdio.ts";
import { createWcpMcpServer } from "./server.ts";
import { demoConfig } from "./demo_config.ts";
import { BUILTIN_WORKERS } from "./builtin_workers.ts";
import { callOptionsSchema } from "./_schemas.ts";

const mode = Deno.args[0];
let server: McpServer;
if (mode === "governed") {
  server = createWcpMcpServer({ config: demoConfig() });
} else if (mode === "ungoverned") {
  const echo = BUILTIN_WORKERS.echo;
  server = new McpServer({ name: "ungoverned", version: "0" });
  server.registerTool("cap_hello_greet", {
    inputSchema: z.strictObject({ ...echo.input, wcp: callOptionsSchema(demoConfig()).optional() }),
    outputSchema: z.object(echo.output),
  }, async (args: Record<string, unknown>) => {
    const { wcp: _wcp, ...request } = args;
    const out = await echo.run({
      worker_id: "org.demo.echo.1",
      capability_id: "cap.hello.greet",
      correlation_id: crypto.randomUUID(),
      decision_id: "none",
      tenant_id: "demo-tenant",
      env: "dev",
      data_label: "INTERNAL",
      request,
    }) as Record<string, unknown>;
    return { content: [{ type: "text", text: JSON.stringify(out) }], structuredContent: out };
  });
} else {
  console.error("usage: _bench_server.ts governed|ungoverned");
  Deno.exit(2);
}
const transport = new LineTransport({ log: () => {} });
const closed = new Promise<void>((r) => (transport.onclose = () => r()));
await server.connect(transport);
await closed;
