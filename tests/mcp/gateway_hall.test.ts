// The gateway mounted in the hall's /mcp (hall.json `gateway`): server-everything (from npm,
// unchanged) started with the hall; its tools listed per tenant next to the hall's own tools,
// called through the hall's engine (the hall's rules, holds and receipt chain), a held call
// approved on the hall's API and repeated; the upstream stopped with the hall. Driven by the
// official SDK client over Streamable HTTP with namespace tokens. And hall.json errors naming
// gateway.<field>.

import assert from "node:assert/strict";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { createHallApp } from "../../src/hall/app.ts";
import { ensureAdminToken } from "../../src/hall/bootstrap.ts";
import { parseHallFileConfig } from "../../src/hall/file_config.ts";
import type { Hall } from "../../src/hall/hall.ts";
import { createHallMcpHandler } from "../../mcp/hall_mount.ts";
import { parseHallGatewayConfig } from "../../mcp/gateway/config.ts";
import { HallGateway } from "../../mcp/gateway/hall.ts";
import { WcpError } from "../../src/errors.ts";
import { Client, StreamableHTTPClientTransport } from "./_sdk_client.ts";
import { DEV_CONFIG, errorOf, EVERYTHING, governance, textOf } from "./_gateway_helpers.ts";

const ADMIN = "wcp_gateway-hall-admin-token-0123456789abcdef012345";

const RULES = {
  rules: [
    {
      rule_id: "everything.sum",
      match: { capability_id: "cap.mcp.everything.get-sum" },
      decision: {
        candidate_workers_ranked: [{ worker_species_id: "wrk.mcp.everything.get-sum" }],
      },
    },
    {
      rule_id: "everything.echo.human",
      match: { capability_id: "cap.mcp.everything.echo" },
      decision: {
        candidate_workers_ranked: [{ worker_species_id: "wrk.mcp.everything.echo" }],
        escalation: { human_required_default: true, supervisor_level: "gatekeeper" },
      },
    },
  ],
};

/** hall.json's gateway section of the test: get-sum serves org.acme only. */
const GATEWAY_SECTION = {
  servers: {
    everything: {
      command: "deno",
      args: ["run", "-A", "--config", DEV_CONFIG, EVERYTHING, "stdio"],
    },
  },
  tools: { "everything.get-sum": { tenants: ["org.acme"] } },
  envs_allowed: ["dev"],
};

async function startHall() {
  const store = await openSqliteStore(":memory:");
  await ensureAdminToken(store, Date.now(), ADMIN);
  const ref: { hall?: Hall; gateway?: HallGateway } = {};
  const mcpHandler = createHallMcpHandler({
    hall: () => ref.hall,
    gateway: () => ref.gateway,
  });
  const h = await createHallApp({ store, rules: RULES, mcpHandler });
  ref.hall = h.hall;
  const file = parseHallFileConfig({ gateway: GATEWAY_SECTION });
  ref.gateway = await HallGateway.start(h.hall, parseHallGatewayConfig(file.gateway, "."));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => h.fetch(req),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const api = async (path: string, body: unknown, token = ADMIN) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const namespaceToken = async (namespace: string): Promise<string> => {
    const r = await api("/wcp/namespaces", { namespace, tier: "free", owner: namespace });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.token as string;
  };
  const connectAs = async (token: string): Promise<Client> => {
    const client = new Client({ name: "gateway-hall-test", version: "0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return client;
  };
  return {
    hall: h.hall,
    gateway: ref.gateway,
    api,
    namespaceToken,
    connectAs,
    stop: async () => {
      await ref.gateway?.close();
      await h.close();
      await server.shutdown();
      await store.close();
    },
  };
}

Deno.test("hall /mcp gateway: server-everything's tools per tenant, governed and receipted by the hall", async (t) => {
  const hall = await startHall();
  const clients: Client[] = [];
  try {
    const acme = await hall.connectAs(await hall.namespaceToken("org.acme"));
    const beta = await hall.connectAs(await hall.namespaceToken("org.beta"));
    clients.push(acme, beta);

    await t.step(
      "tools/list: the upstream's tools the tenant may call, beside the hall's",
      async () => {
        const a = (await acme.listTools()).tools;
        const names = a.map((x) => x.name);
        assert.ok(names.includes("get-sum"), names.join(","));
        assert.ok(names.includes("echo"), names.join(","));
        assert.ok(names.includes("wcp_route"), `the hall's own tools stay: ${names.join(",")}`);
        // No rule routes the other upstream tools: not listed. Nor the generic tool of the worker.
        assert.ok(!names.includes("get-env"), names.join(","));
        assert.ok(!names.includes("cap_mcp_everything_get_sum"), names.join(","));
        // The upstream's own schema, with the approval argument added.
        const sum = a.find((x) => x.name === "get-sum")!;
        const props = Object.keys((sum.inputSchema as { properties: object }).properties);
        assert.deepEqual(props.sort(), ["a", "b", "wcp_approval_id"]);
        const b = (await beta.listTools()).tools.map((x) => x.name);
        assert.ok(!b.includes("get-sum"), `get-sum serves org.acme only: ${b.join(",")}`);
        assert.ok(b.includes("echo"), b.join(","));
      },
    );

    await t.step(
      "tools/call runs through the hall's engine: hall receipt, hall chain",
      async () => {
        const r = await acme.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } });
        assert.equal(r.isError, undefined, textOf(r));
        assert.match(textOf(r), /5/);
        const g = governance(r);
        assert.equal(g.outcome, "DISPATCH");
        assert.equal(g.selected_worker_id, "x.gateway.everything.get-sum");
        const receipt = g.receipt as { receipt_id: string; tenant_id: string };
        assert.equal(receipt.tenant_id, "org.acme");
        const stored = await hall.hall.store.listReceipts({ tenant_id: "org.acme" });
        assert.ok(
          stored.some((row) => row.receipt_id === receipt.receipt_id),
          "the receipt is in the hall's chain",
        );
        const report = await hall.hall.receipts.verify("org.acme");
        assert.equal(report.ok, true, JSON.stringify(report));
        // The worker is the hall's: enrolled from the gateway, shown like any other.
        const row = await hall.hall.store.getWorker("x.gateway.everything.get-sum");
        assert.equal(row?.record.worker_species_id, "wrk.mcp.everything.get-sum");
        assert.deepEqual(row?.record.tenants, ["org.acme"]);
      },
    );

    await t.step("another tenant calling a tool that does not serve it is refused", async () => {
      const r = await beta.callTool({ name: "get-sum", arguments: { a: 1, b: 1 } });
      assert.equal(r.isError, true);
      assert.match(String(errorOf(r).code), /^DENY_/);
    });

    await t.step("a held call is approved on the hall and runs once when repeated", async () => {
      const held = await acme.callTool({ name: "echo", arguments: { message: "hi hall" } });
      assert.equal(held.isError, true);
      const err = errorOf(held);
      assert.equal(err.code, "STEWARD_HOLD");
      const id = String(err.approval_id);
      assert.match(String(err.message), /\/dashboard/);
      const pending = await hall.hall.store.getApproval(id);
      assert.equal(pending?.status, "pending");
      assert.equal(pending?.capability_id, "cap.mcp.everything.echo");
      // The agent's own token cannot approve; an admin does, on the hall's API.
      const ok = await hall.api(`/wcp/approvals/${id}/resolve`, { decision: "approve" });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      // Another tool's call cannot use this approval.
      const wrong = await acme.callTool({
        name: "get-sum",
        arguments: { a: 1, b: 2, wcp_approval_id: id },
      });
      assert.equal(errorOf(wrong).code, "APPROVAL_MISMATCH");
      const ran = await acme.callTool({
        name: "echo",
        arguments: { message: "hi hall", wcp_approval_id: id },
      });
      assert.equal(ran.isError, undefined, textOf(ran));
      assert.match(textOf(ran), /hi hall/);
      const again = await acme.callTool({
        name: "echo",
        arguments: { message: "hi hall", wcp_approval_id: id },
      });
      assert.equal(again.isError, true, "an approval runs once");
    });
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    const gw = hall.gateway;
    await hall.stop();
    // Stopped with the hall: the stdio upstream's connection is closed.
    assert.equal(gw?.gateway.upstreams.get("everything")?.connected, false);
  }
});

Deno.test("hall.json gateway: errors name gateway.<field>; the hall's own parts are refused there", () => {
  const fails = (doc: unknown, path: string, re: RegExp) => {
    assert.throws(
      () => parseHallFileConfig({ gateway: doc }),
      (e: unknown) =>
        e instanceof WcpError && e.code === "CONFIG_INVALID" && e.path === path &&
        re.test(e.message),
      `${JSON.stringify(doc)} -> ${path}`,
    );
  };
  fails({ servers: {} }, "gateway.servers", /at least one/);
  fails({ servers: { fs: { args: [] } } }, "gateway.servers.fs", /command|url/);
  fails({ servers: { fs: { command: "x" } }, rules: { rules: [] } }, "gateway.rules", /rules_file/);
  fails({ servers: { fs: { command: "x" } }, state_dir: "s" }, "gateway.state_dir", /store/);
  fails(
    { servers: { fs: { command: "x" } }, tools: { "fs.w": { tenants: [] } } },
    "gateway.tools.fs.w.tenants",
    /./,
  );
  fails({ servers: { fs: { command: "x" } }, env: "moon" }, "gateway.env", /./);
  const ok = parseHallFileConfig({ gateway: { servers: { fs: { command: "x" } } } });
  assert.ok(ok.gateway);
});
