// The MCP server with a hall: (1) hall mode, where route, dispatch, approvals and receipts go
// through HallClient to a real hall app (in process, SQLite in memory); (2) the handler mounted in
// the hall app at /mcp behind the hall's bearer auth and Host checks.

import assert from "node:assert/strict";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { createHallApp } from "../../src/hall/app.ts";
import {
  DEMO_WORKERS,
  enrollDemoWorkers,
  ensureAdminToken,
  EXAMPLE_HALL_CONFIG,
  EXAMPLE_RULES,
} from "../../src/hall/bootstrap.ts";
import { compileGate, GateConfigSchema } from "../../src/hall/file_config.ts";
import { connectHall } from "../../mcp/hall_backend.ts";
import { Governor } from "../../mcp/governor.ts";
import { createMcpHttpHandler, type McpRequestContext } from "../../mcp/http.ts";
import type { Hall } from "../../src/hall/hall.ts";
import { createHallMcpHandler } from "../../mcp/hall_mount.ts";
import { parseMcpConfig } from "../../mcp/config.ts";
import { call, connect, demoWith, errorOf, gov } from "./_helpers.ts";
import { Client, StreamableHTTPClientTransport } from "./_sdk_client.ts";
import { HallClient } from "../../src/client/mod.ts";

const ADMIN = "wcp_mcp-test-admin-token-0123456789abcdef0123456789";
// A second admin: the supervisor who approves what the first one's agent asked for.
const SUPERVISOR = "wcp_mcp-test-supervisor-token-0123456789abcdef01234";

async function startHall(
  mcpHandler?: (req: Request, context?: McpRequestContext) => Promise<Response>,
) {
  const store = await openSqliteStore(":memory:");
  await ensureAdminToken(store, Date.now(), ADMIN);
  await ensureAdminToken(store, Date.now(), SUPERVISOR);
  await enrollDemoWorkers(store, Date.now());
  const h = await createHallApp({
    store,
    rules: EXAMPLE_RULES,
    policyGate: compileGate(GateConfigSchema.parse(EXAMPLE_HALL_CONFIG.policy_gate)),
    inProcessWorkers: DEMO_WORKERS,
    ...(mcpHandler ? { mcpHandler } : {}),
  });
  const fetchFn: typeof fetch = (input, init) =>
    Promise.resolve(h.app.fetch(new Request(input, init)));
  return {
    fetch: fetchFn,
    hall: h.hall,
    stop: async () => {
      await h.close();
      await store.close();
    },
  };
}

const HALL_CONFIG = parseMcpConfig({
  name: "hall mode test",
  tenant: { tenant_id: "acme", tenant_risk: "low" },
  rules: { rules: [] },
  hall: { url: "http://localhost", token_env: "WCP_TEST_UNUSED" },
});

Deno.test("hall mode: tools come from the hall's workers; the hall decides, executes and receipts", async () => {
  const hall = await startHall();
  try {
    const conn = (await connectHall(HALL_CONFIG, { token: ADMIN, fetch: hall.fetch }))!;
    const governor = new Governor({ ...HALL_CONFIG, registry: conn.records }, {
      engine: conn.engine,
    });
    const p = await connect(undefined, { governor, approvals: conn.approvals });
    try {
      const names = (await p.client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes("cap_doc_summarize"), names.join(","));
      assert.ok(names.includes("cap_msg_notify"));
      assert.ok(!names.includes("wcp_approval_resolve"), "not offered to the requesting agent");

      const r = await call(p.client, "cap_doc_summarize", {
        request: { text: "Hello world. Second sentence." },
      });
      assert.equal(r.isError, undefined, r.content[0].text);
      const g = gov(r);
      assert.equal(g.outcome, "DISPATCH");
      assert.equal((g.receipt as { tenant_id: string }).tenant_id, "acme");
      assert.equal(
        p.governor.receipts.chain("acme").length,
        0,
        "the hall minted the receipt, not this process",
      );

      const route = await call(p.client, "wcp_route", { capability_id: "cap.msg.notify" });
      assert.equal(route.structuredContent!.outcome, "STEWARD_HOLD");

      const held = await call(p.client, "cap_msg_notify", {
        request: { channel: "#ops", message: "hi" },
      });
      assert.equal(errorOf(held).code, "STEWARD_HOLD");
      const approvalId = String(gov(held).approval_id);
      // The answer says where a supervisor approves it: the hall's dashboard or CLI.
      assert.ok(
        errorOf(held).message.includes("http://localhost/dashboard"),
        errorOf(held).message,
      );
      assert.ok(errorOf(held).message.includes(`wcp approvals approve ${approvalId}`));
      const list = await call(p.client, "wcp_approvals_list");
      assert.equal(list.structuredContent!.backend, "hall");
      assert.ok(
        (list.structuredContent!.approvals as { approval_id: string }[]).some((a) =>
          a.approval_id === approvalId
        ),
      );
      const early = await call(p.client, "cap_msg_notify", {
        request: {},
        wcp: { approval_id: approvalId },
      });
      assert.equal(early.isError, true, "not approved yet");
      // The supervisor approves on the hall (as the dashboard and `wcp approvals approve` do).
      const supervisor = new HallClient({
        baseUrl: "http://localhost",
        token: SUPERVISOR,
        retries: 0,
        fetch: hall.fetch,
      });
      const resolved = await supervisor.resolveApproval(approvalId, "approve", "ok") as {
        status: string;
      };
      assert.equal(resolved.status, "approved");
      const run = await call(p.client, "cap_msg_notify", {
        request: {},
        wcp: { approval_id: approvalId },
      });
      assert.equal(run.isError, undefined, run.content[0].text);
      assert.ok(gov(run).receipt);
      const again = await call(p.client, "cap_msg_notify", {
        request: {},
        wcp: { approval_id: approvalId },
      });
      assert.equal(again.isError, true, "single use");

      const v = await call(p.client, "wcp_receipts_verify");
      assert.equal(v.structuredContent!.source, "hall");
      assert.equal(v.structuredContent!.ok, true);
      assert.equal(v.structuredContent!.count, 2);
    } finally {
      await p.close();
    }
  } finally {
    await hall.stop();
  }
});

Deno.test("hall mode: an unreachable hall or a bad token is a clear error, not a crash", async () => {
  const failing: typeof fetch = () => Promise.reject(new TypeError("connection refused"));
  await assert.rejects(
    () => connectHall(HALL_CONFIG, { token: ADMIN, fetch: failing }),
    /HALL_UNREACHABLE|cannot list/,
  );
  const hall = await startHall();
  try {
    await assert.rejects(
      () => connectHall(HALL_CONFIG, { token: "wcp_wrong", fetch: hall.fetch }),
      /cannot list the hall's workers/,
    );
  } finally {
    await hall.stop();
  }
});

Deno.test("mounted in the hall at /mcp: bearer auth first, then the MCP server answers", async () => {
  const handler = createMcpHttpHandler({ config: demoWith({ tenant: { tenant_id: "acme" } }) });
  const hall = await startHall(handler);
  try {
    const anonymous = await hall.fetch("http://localhost/mcp", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();

    const transport = new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
      requestInit: { headers: { authorization: `Bearer ${ADMIN}` } },
      fetch: hall.fetch,
    });
    const client = new Client({ name: "hall-mount-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes("wcp_route"));
      const r = await client.callTool({
        name: "cap_doc_summarize",
        arguments: { text: "One. Two. Three." },
      });
      assert.deepEqual(r.structuredContent, { summary: "One. Two.", sentences: 3, words: 3 });
      const g = (r._meta as Record<string, { receipt: { tenant_id: string } }>)["wcp/governance"];
      assert.equal(g.receipt.tenant_id, "acme");
    } finally {
      await client.close();
    }

    const evil = await hall.fetch("http://evil.example.com/mcp", {
      method: "POST",
      headers: {
        authorization: `Bearer ${ADMIN}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    assert.ok(
      evil.status === 403 || evil.status === 421 || evil.status === 400,
      `status ${evil.status}`,
    );
    await evil.body?.cancel();
  } finally {
    await hall.stop();
  }
});

Deno.test("hall mount: MCP tools use the hall's own workers, approvals and receipts, with the caller's token", async () => {
  // The mount calls the hall's engine with the principal the hall authenticated: its own HTTP
  // API is never asked (hallFetch is there only to count).
  const ref: { hall?: Hall } = {};
  let apiCalls = 0;
  const inner = createHallMcpHandler({
    hall: () => ref.hall,
    hallFetch: () => (apiCalls++, new Response(null, { status: 503 })),
  });
  // What the hall does: the bearer check first, then the handler with the principal (the admin
  // token gets a tenant here, as a mount config's default tenant would give it).
  const hall = await startHall((req, ctx) =>
    inner(req, { ...ctx, tenant: ctx?.tenant ?? { tenant_id: "acme" } })
  );
  ref.hall = hall.hall;
  const connectAs = async (token: string) => {
    const client = new Client({ name: "hall-mount", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
        fetch: hall.fetch,
      }),
    );
    return client;
  };
  try {
    const admin = await connectAs(ADMIN);
    try {
      const names = (await admin.listTools()).tools.map((t) => t.name);
      assert.ok(
        names.includes("cap_doc_summarize") && names.includes("cap_msg_notify"),
        names.join(","),
      );
      assert.ok(!names.includes("wcp_approval_resolve"), "approval tools off by default at /mcp");
      assert.ok(!names.includes("wcp_approval_escalate"));
      const r = await admin.callTool({
        name: "cap_doc_summarize",
        arguments: { request: { text: "A b. C d." } },
      });
      assert.equal(r.isError, undefined, JSON.stringify(r.content));
      const g = (r._meta as Record<string, { receipt: { tenant_id: string; seq: number } }>)[
        "wcp/governance"
      ];
      assert.equal(g.receipt.tenant_id, "acme");
      const held = await admin.callTool({
        name: "cap_msg_notify",
        arguments: { request: { channel: "#x", message: "y" } },
      });
      const approvalId =
        (held._meta as Record<string, { approval_id: string }>)["wcp/governance"].approval_id;
      const list = await admin.callTool({ name: "wcp_approvals_list", arguments: {} });
      const pending = list.structuredContent as {
        approvals: { approval_id: string }[];
        backend: string;
      };
      assert.equal(pending.backend, "hall");
      assert.ok(pending.approvals.some((a) => a.approval_id === approvalId));
      // The held answer names the hall's own dashboard and CLI.
      assert.match(JSON.stringify(held.content), /http:\/\/localhost\/dashboard/);
    } finally {
      await admin.close();
    }

    // A namespace token gets the hall's own answer: approvals are for admins only.
    const ns = await hall.fetch("http://localhost/wcp/namespaces", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ namespace: "org.acme", tier: "free", owner: "acme" }),
    });
    assert.equal(ns.status, 201);
    const token = (await ns.json()).token as string;
    const user = await connectAs(token);
    try {
      const list = await user.callTool({ name: "wcp_approvals_list", arguments: {} });
      assert.equal(list.isError, true);
      assert.match(JSON.stringify(list.content), /admin|FORBIDDEN|403/i);
    } finally {
      await user.close();
    }
    assert.equal(apiCalls, 0, "no tool call re-entered the hall's HTTP API");
    // The hold was raised by the token the hall authenticated for /mcp.
    const rows = await hall.hall.store.listApprovals({ status: "pending" });
    assert.ok(rows.length > 0);
    assert.ok(
      rows.every((r) => r.requested_by?.label !== undefined && r.requested_by.principal_id !== ""),
    );
    assert.ok(rows.every((r) => !r.requested_by!.principal_id.startsWith("mcp-session:")));
  } finally {
    await hall.stop();
  }
});

Deno.test("hall mount with allow_resolve: the hall refuses the token that raised the hold (APPROVER_IS_REQUESTER)", async () => {
  let appFetch: (req: Request) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });
  const config = parseMcpConfig({
    name: "hall /mcp with approval tools",
    envs_allowed: ["dev"],
    rules: { rules: [] },
    allow_resolve: true,
  });
  const ref: { hall?: Hall } = {};
  const inner = createHallMcpHandler({
    hall: () => ref.hall,
    hallFetch: (req) => appFetch(req),
    config,
  });
  const hall = await startHall((req, ctx) =>
    inner(req, { ...ctx, tenant: ctx?.tenant ?? { tenant_id: "acme" } })
  );
  appFetch = hall.fetch;
  ref.hall = hall.hall;
  const connectAs = async (token: string) => {
    const client = new Client({ name: "hall-mount", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
        fetch: hall.fetch,
      }),
    );
    return client;
  };
  try {
    const agent = await connectAs(ADMIN);
    const supervisor = await connectAs(SUPERVISOR);
    try {
      const names = (await agent.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes("wcp_approval_resolve"), names.join(","));
      const held = await agent.callTool({
        name: "cap_msg_notify",
        arguments: { request: { channel: "#x", message: "y" } },
      });
      const approvalId =
        (held._meta as Record<string, { approval_id: string }>)["wcp/governance"].approval_id;
      const self = await agent.callTool({
        name: "wcp_approval_resolve",
        arguments: { approval_id: approvalId, decision: "approve" },
      });
      assert.equal(self.isError, true);
      assert.match(JSON.stringify(self.content), /APPROVER_IS_REQUESTER/);
      const ok = await supervisor.callTool({
        name: "wcp_approval_resolve",
        arguments: { approval_id: approvalId, decision: "approve", note: "fine" },
      });
      assert.equal(ok.isError, undefined, JSON.stringify(ok.content));
      assert.equal((ok.structuredContent as { status: string }).status, "approved");
    } finally {
      await agent.close();
      await supervisor.close();
    }
  } finally {
    await hall.stop();
  }
});

Deno.test("hall mount: POST /mcp with [] or a non-message body is one -32600 error, and the hall keeps serving", async () => {
  let appFetch: (req: Request) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });
  let hallCalls = 0;
  const inner = createHallMcpHandler({
    hallFetch: (req) => {
      hallCalls++;
      return appFetch(req);
    },
  });
  const hall = await startHall((req) => inner(req, { tenant: { tenant_id: "acme" } }));
  appFetch = hall.fetch;
  const post = (body: string) =>
    hall.fetch("http://localhost/mcp", {
      method: "POST",
      headers: {
        authorization: `Bearer ${ADMIN}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
      },
      body,
    });
  try {
    for (const body of ["[]", "1", '"x"', "null"]) {
      const res = await post(body);
      assert.equal(res.status, 400, body);
      const answer = await res.json();
      assert.deepEqual(
        { jsonrpc: answer.jsonrpc, id: answer.id, code: answer.error?.code },
        { jsonrpc: "2.0", id: null, code: -32600 },
        `${body}: ${JSON.stringify(answer)}`,
      );
      assert.equal(typeof answer.error.message, "string");
    }
    assert.equal(hallCalls, 0, "refused before the hall is asked for its workers");
    const ping = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }));
    assert.equal(ping.status, 200);
    assert.deepEqual(await ping.json(), { jsonrpc: "2.0", id: 1, result: {} });
    const list = await post(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
    const names = (await list.json()).result.tools.map((t: { name: string }) => t.name);
    assert.ok(names.includes("cap_doc_summarize"), names.join(","));
  } finally {
    await hall.stop();
  }
});

Deno.test("stdio in hall mode: `deno run mcp/main.ts` with a hall URL routes and executes through the hall", async () => {
  const store = await openSqliteStore(":memory:");
  await ensureAdminToken(store, Date.now(), ADMIN);
  await enrollDemoWorkers(store, Date.now());
  const h = await createHallApp({
    store,
    rules: EXAMPLE_RULES,
    policyGate: compileGate(GateConfigSchema.parse(EXAMPLE_HALL_CONFIG.policy_gate)),
    inProcessWorkers: DEMO_WORKERS,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, h.fetch);
  const dir = await Deno.makeTempDir();
  try {
    const port = server.addr.port;
    const path = `${dir}/wcp-mcp.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        name: "stdio hall mode",
        tenant: { tenant_id: "acme" },
        rules: { rules: [] },
        hall: { url: `http://127.0.0.1:${port}`, token_env: "WCP_HALL_TOKEN" },
      }),
    );
    const init = {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "t", version: "1" },
    };
    const lines = [
      { jsonrpc: "2.0", id: 1, method: "initialize", params: init },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: {
          name: "cap_doc_summarize",
          arguments: { request: { text: "Hello world. Again." } },
        },
      },
    ].map((m) => JSON.stringify(m) + "\n").join("");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        `--allow-read=${dir}`,
        `--allow-net=127.0.0.1:${port}`,
        "--allow-env=WCP_HALL_TOKEN",
        new URL("../../mcp/main.ts", import.meta.url).pathname,
        "--config",
        path,
      ],
      env: { WCP_HALL_TOKEN: ADMIN },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(lines));
    await w.close();
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.match(stderr, /hall mode/);
    const answers = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const r = answers.find((a) => a.id === 2);
    assert.equal(r.result.isError, undefined, JSON.stringify(r.result.content) + stderr);
    assert.equal(r.result._meta["wcp/governance"].receipt.tenant_id, "acme");
    const receipts = await store.listReceipts({ tenant_id: "acme" });
    assert.equal(receipts.length, 1, "the hall stored the receipt");
  } finally {
    await server.shutdown();
    await h.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
