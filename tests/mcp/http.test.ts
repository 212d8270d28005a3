// The Streamable HTTP handler mounted in a Hono app behind bearer auth (as the hall mounts it),
// served on 127.0.0.1: SDK client over StreamableHTTPClientTransport, tenants from tokens,
// Host/Origin checks, and malformed requests.

import assert from "node:assert/strict";
import { Hono } from "hono";
import { Client, StreamableHTTPClientTransport } from "./_sdk_client.ts";
import { createMcpHttpHandler, type HttpTenant } from "../../mcp/http.ts";
import { Governor } from "../../mcp/governor.ts";
import { demoWith } from "./_helpers.ts";

const TOKENS: Record<string, HttpTenant> = {
  "tok-acme": { tenant_id: "acme", tenant_risk: "low" },
  "tok-globex": { tenant_id: "globex", tenant_risk: "medium" },
};

function startServer(governor: Governor) {
  const handler = createMcpHttpHandler({ governor });
  const app = new Hono();
  app.use("/mcp", async (c, next) => {
    const token = c.req.header("authorization")?.replace(/^Bearer /, "") ?? "";
    if (!TOKENS[token]) {
      return c.json({ error: { code: "UNAUTHENTICATED", message: "bearer token required" } }, 401);
    }
    await next();
  });
  app.all("/mcp", (c) => {
    const token = c.req.header("authorization")!.replace(/^Bearer /, "");
    return handler(c.req.raw, { tenant: TOKENS[token] });
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}/mcp`;
  return { url, port: server.addr.port, close: () => server.shutdown() };
}

async function httpClient(url: string, token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "http-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      authorization: "Bearer tok-acme",
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });
}

Deno.test("http: SDK client lists and calls governed tools; each call runs for the token's tenant", async () => {
  const governor = new Governor(demoWith({ allow_resolve: true }));
  const srv = startServer(governor);
  const acme = await httpClient(srv.url, "tok-acme");
  const globex = await httpClient(srv.url, "tok-globex");
  try {
    const names = (await acme.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("cap_doc_summarize") && names.includes("wcp_approvals_list"));
    const r = await acme.callTool({
      name: "cap_doc_summarize",
      arguments: { text: "A. B. C." },
    }) as {
      structuredContent: Record<string, unknown>;
      _meta: Record<string, Record<string, Record<string, unknown>>>;
    };
    assert.deepEqual(r.structuredContent, { summary: "A. B.", sentences: 3, words: 3 });
    assert.equal(r._meta["wcp/governance"].receipt.tenant_id, "acme");
    await globex.callTool({ name: "cap_doc_redact", arguments: { text: "x@y.io" } });
    assert.equal(governor.receipts.chain("acme").length, 1);
    assert.equal(governor.receipts.chain("globex").length, 1, "separate chains per tenant");
    assert.equal(
      governor.receipts.chain("demo-tenant").length,
      0,
      "the config tenant was not used",
    );

    // State is shared across requests: a hold made by one request is listed by the next.
    const held = await acme.callTool({
      name: "cap_msg_notify",
      arguments: { channel: "#c", message: "m" },
    });
    assert.equal(held.isError, true);
    const list = await acme.callTool({ name: "wcp_approvals_list", arguments: {} }) as unknown as {
      structuredContent: { approvals: { tenant_id: string }[] };
    };
    assert.deepEqual(list.structuredContent.approvals.map((a) => a.tenant_id), ["acme"]);
    // Another tenant neither sees nor resolves it.
    const other = await globex.callTool({
      name: "wcp_approvals_list",
      arguments: {},
    }) as unknown as {
      structuredContent: { approvals: unknown[] };
    };
    assert.equal(other.structuredContent.approvals.length, 0);
    const approvalId =
      (held._meta as Record<string, { approval_id: string }>)["wcp/governance"].approval_id;
    const steal = await globex.callTool({
      name: "wcp_approval_resolve",
      arguments: { approval_id: approvalId, decision: "approve" },
    });
    assert.equal(steal.isError, true);
    assert.match(JSON.stringify(steal.content), /APPROVAL_UNKNOWN/);
    // The tenant whose request was held cannot resolve it either (separation of duties).
    const self = await acme.callTool({
      name: "wcp_approval_resolve",
      arguments: { approval_id: approvalId, decision: "approve" },
    });
    assert.equal(self.isError, true);
    assert.match(JSON.stringify(self.content), /APPROVER_IS_REQUESTER/);
    const runOther = await globex.callTool({
      name: "cap_msg_notify",
      arguments: { channel: "#c", message: "m", wcp: { approval_id: approvalId } },
    });
    assert.equal(runOther.isError, true);
    await acme.ping();
  } finally {
    await acme.close();
    await globex.close();
    await srv.close();
  }
});

Deno.test("http: bearer auth comes first; foreign Host and Origin are refused (DNS rebinding)", async () => {
  const srv = startServer(new Governor(demoWith()));
  const init = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "t", version: "1" },
    },
  });
  try {
    const noAuth = await fetch(srv.url, {
      method: "POST",
      body: init,
      headers: { "content-type": "application/json" },
    });
    assert.equal(noAuth.status, 401);
    await noAuth.body?.cancel();

    const ok = await post(srv.url, init, { origin: `http://127.0.0.1:${srv.port}` });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).result.serverInfo.name, "wcp-mcp");

    const evilOrigin = await post(srv.url, init, { origin: "http://evil.example.com" });
    assert.equal(evilOrigin.status, 403);
    assert.match((await evilOrigin.json()).error.message, /Origin/);

    // A rebinding attack reaches the loopback address with a foreign Host header.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    const raw =
      `POST /mcp HTTP/1.1\r\nHost: evil.example.com\r\nAuthorization: Bearer tok-acme\r\n` +
      `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n` +
      `Content-Length: ${
        new TextEncoder().encode(init).length
      }\r\nConnection: close\r\n\r\n${init}`;
    await conn.write(new TextEncoder().encode(raw));
    const answer = await new Response(conn.readable).text();
    assert.match(answer, /^HTTP\/1\.1 403/);
    assert.match(answer, /Host header/);
  } finally {
    await srv.close();
  }
});

Deno.test("http: GET is 405, invalid JSON is -32700, malformed messages are -32600/-32602", async () => {
  const srv = startServer(new Governor(demoWith()));
  try {
    const get = await fetch(srv.url, { headers: { authorization: "Bearer tok-acme" } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    await get.body?.cancel();

    const bad = await post(srv.url, "{nope");
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, -32700);

    const nonObject = await post(srv.url, "42");
    assert.equal(nonObject.status, 400);
    assert.equal((await nonObject.json()).error.code, -32600);

    // Stateless: each POST stands alone, no initialize needed first.
    const badParams = await post(
      srv.url,
      JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: {} }),
      {
        "mcp-protocol-version": "2025-06-18",
      },
    );
    assert.equal(badParams.status, 200);
    const body = await badParams.json();
    assert.equal(body.error.code, -32602);
    assert.match(body.error.message, /name/);

    const list = await post(
      srv.url,
      JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/list" }),
      {
        "mcp-protocol-version": "2025-06-18",
      },
    );
    assert.equal(list.status, 200);
    assert.ok((await list.json()).result.tools.length > 10, "the server keeps serving");
  } finally {
    await srv.close();
  }
});

Deno.test("http: an empty batch or a JSON body that is no message is one -32600 error; bad batch entries each get one", async () => {
  const srv = startServer(new Governor(demoWith()));
  const v = { "mcp-protocol-version": "2025-06-18" };
  try {
    // JSON-RPC 2.0: a single Response object, id null, code -32600 (the SDK gave 202, no body).
    for (
      const [body, reason] of [
        ["[]", /empty batch/],
        ["1", /got number/],
        ['"x"', /got string/],
        ["null", /got null/],
        ["true", /got boolean/],
        ["{}", /jsonrpc/],
        ['{"jsonrpc":"2.0","id":1,"method":7}', /method/],
        ['{"jsonrpc":"2.0","id":{},"method":"ping"}', /"id"/],
      ] as const
    ) {
      const res = await post(srv.url, body, v);
      assert.equal(res.status, 400, body);
      assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      const answer = await res.json();
      assert.equal(Array.isArray(answer), false, `${body}: one response object, not a batch`);
      assert.equal(answer.jsonrpc, "2.0", body);
      assert.equal(answer.error.code, -32600, body);
      assert.match(answer.error.message, /^Invalid Request: /, body);
      assert.match(answer.error.message, reason, body);
      if (body !== '{"jsonrpc":"2.0","id":1,"method":7}') assert.equal(answer.id, null, body);
    }
    // A malformed message with a usable id is answered under that id.
    const wrongVersion = await post(srv.url, '{"jsonrpc":"1.0","id":9,"method":"ping"}', v);
    assert.equal(wrongVersion.status, 400);
    assert.equal((await wrongVersion.json()).id, 9);

    // A batch of only invalid entries: one -32600 per entry (JSON-RPC 2.0, section 7).
    const allBad = await post(srv.url, '[1, "x", {"jsonrpc":"2.0","id":3}]', v);
    assert.equal(allBad.status, 400);
    const bad = await allBad.json() as { id: unknown; error: { code: number } }[];
    assert.deepEqual(bad.map((e) => [e.id, e.error.code]), [
      [null, -32600],
      [null, -32600],
      [3, -32600],
    ]);

    // A mixed batch: valid entries are answered, invalid ones get their error, all in one array.
    const mixed = await post(
      srv.url,
      JSON.stringify([
        { jsonrpc: "2.0", id: 5, method: "ping" },
        42,
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { jsonrpc: "2.0", id: 6, method: "tools/list" },
      ]),
      v,
    );
    assert.equal(mixed.status, 200);
    const answers = await mixed.json() as {
      id: unknown;
      result?: { tools?: unknown[] };
      error?: { code: number };
    }[];
    assert.equal(answers.length, 3, JSON.stringify(answers));
    assert.deepEqual(answers.find((a) => a.id === 5)?.result, {});
    assert.ok(answers.find((a) => a.id === 6)!.result!.tools!.length > 10);
    assert.equal(answers.find((a) => a.id === null)?.error?.code, -32600);

    // Only notifications besides the invalid entry: just the error, in an array.
    const noRequests = await post(
      srv.url,
      JSON.stringify([{ jsonrpc: "2.0", method: "notifications/initialized" }, "x"]),
      v,
    );
    assert.equal(noRequests.status, 200);
    const only = await noRequests.json();
    assert.equal(only.length, 1);
    assert.equal(only[0].error.code, -32600);

    // A valid batch, a notification and a single request are answered as before.
    const batch = await post(
      srv.url,
      JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "ping" },
        { jsonrpc: "2.0", id: 2, method: "ping" },
      ]),
      v,
    );
    assert.equal(batch.status, 200);
    assert.deepEqual((await batch.json()).map((a: { id: number }) => a.id).sort(), [1, 2]);
    const notification = await post(
      srv.url,
      JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
      v,
    );
    assert.equal(notification.status, 202);
    await notification.body?.cancel();
    // Header refusals keep their precedence over the body check.
    const notAcceptable = await post(srv.url, "[]", { ...v, accept: "application/json" });
    assert.equal(notAcceptable.status, 406);
    await notAcceptable.body?.cancel();
    const notJson = await post(srv.url, "[]", { ...v, "content-type": "text/plain" });
    assert.equal(notJson.status, 415);
    await notJson.body?.cancel();
    const list = await post(
      srv.url,
      JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/list" }),
      v,
    );
    assert.equal(list.status, 200);
    assert.ok((await list.json()).result.tools.length > 10, "the server keeps serving");
  } finally {
    await srv.close();
  }
});

Deno.test("http: readJsonRpcBody refuses an over-long body with 413", async () => {
  const { readJsonRpcBody, MAX_BODY_BYTES } = await import("../../mcp/http.ts");
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const big = "[" + "1,".repeat(MAX_BODY_BYTES / 2) + "1]";
  const streamed = await readJsonRpcBody(
    new Request("http://127.0.0.1/mcp", {
      method: "POST",
      headers,
      body: new Blob([big]).stream(),
    }),
  );
  assert.ok(streamed instanceof Response);
  assert.equal(streamed.status, 413);
  assert.match((await streamed.json()).error.message, /Payload Too Large/);
  const declared = await readJsonRpcBody(
    new Request("http://127.0.0.1/mcp", {
      method: "POST",
      headers: { ...headers, "content-length": String(MAX_BODY_BYTES + 1) },
      body: "{}",
    }),
  );
  assert.ok(declared instanceof Response);
  assert.equal(declared.status, 413);
  await declared.body?.cancel();
});

Deno.test("http: Host allow-list entries with and without ports, IPv6 with and without brackets", async () => {
  const { guardRequest } = await import("../../mcp/http.ts");
  const status = (host: string, allowed: string[]) => {
    const req = new Request("http://x/mcp", { method: "POST", headers: { host } });
    return guardRequest(req, allowed, [])?.status ?? 200;
  };
  assert.equal(status("127.0.0.1:8787", ["127.0.0.1"]), 200);
  assert.equal(status("127.0.0.1:8787", ["127.0.0.1:8787"]), 200);
  assert.equal(status("127.0.0.1:9999", ["127.0.0.1:8787"]), 403);
  assert.equal(status("[::1]:8787", ["::1"]), 200);
  assert.equal(status("[::1]:8787", ["[::1]"]), 200);
  assert.equal(status("localhost.evil.com", ["localhost"]), 403);
  assert.equal(status("LOCALHOST:1", ["localhost"]), 200);
});

Deno.test("http: bodies are as strict as the hall's API: ill-formed UTF-8 and a repeated key are -32700, named", async () => {
  const srv = startServer(new Governor(demoWith()));
  const send = (body: Uint8Array<ArrayBuffer> | string) =>
    fetch(srv.url, {
      method: "POST",
      headers: {
        authorization: "Bearer tok-acme",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
      },
      body,
    });
  const enc = (t: string) => new TextEncoder().encode(t);
  try {
    // The arguments a governed call would be judged on: the second "text" must not silently win.
    const repeated = await send(
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"wcp_route",' +
        '"arguments":{"text":"a","text":"b"}}}',
    );
    assert.equal(repeated.status, 400);
    const r = await repeated.json();
    assert.equal(r.error.code, -32700);
    assert.match(r.error.message, /^Parse error: params\.arguments\.text: the key appears twice/);

    // A byte that is not UTF-8 (0xFF) inside a string: refused at its offset, never a U+FFFD.
    const head = enc('{"jsonrpc":"2.0","id":2,"method":"ping","x":"');
    const bad = await send(new Uint8Array([...head, 0xff, ...enc('"}')]));
    assert.equal(bad.status, 400);
    const b = await bad.json();
    assert.equal(b.error.code, -32700);
    assert.equal(
      b.error.message,
      `Parse error: the body is not valid UTF-8 (at byte ${head.length})`,
    );

    // A U+FFFD that was sent, colons in strings and the same key in two objects are all fine.
    const fine = await send(
      enc(
        '{"jsonrpc":"2.0","id":3,"method":"ping","params":{"_meta":{"a":"\uFFFD:x","b":{"a":1}}}}',
      ),
    );
    assert.equal(fine.status, 200);
    assert.equal((await fine.json()).id, 3);
  } finally {
    await srv.close();
  }
});
