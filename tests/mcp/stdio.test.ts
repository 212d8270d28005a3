// The stdio server as a child process `deno run mcp/main.ts`: the SDK client over
// StdioClientTransport, and raw protocol lines (malformed JSON-RPC gets errors, serving goes on).

import assert from "node:assert/strict";
import {
  Client,
  type ElicitRequest,
  ElicitRequestSchema,
  StdioClientTransport,
} from "./_sdk_client.ts";
import { DEMO_CONFIG_DOCUMENT } from "../../mcp/demo_config.ts";
import { parseMcpConfig } from "../../mcp/config.ts";

const MAIN = new URL("../../mcp/main.ts", import.meta.url).pathname;
const DENO = Deno.execPath();

/** A child server driven line by line. */
class RawChild {
  #proc: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;
  #buf = "";
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  stderr: Promise<string>;

  constructor(args: string[] = []) {
    this.#proc = new Deno.Command(DENO, {
      args: ["run", "--no-prompt", ...args, MAIN],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#proc.stdin.getWriter();
    this.#reader = this.#proc.stdout.getReader();
    this.#lines = this.#iter();
    this.stderr = new Response(this.#proc.stderr).text();
  }

  async *#iter(): AsyncGenerator<string> {
    const dec = new TextDecoder();
    while (true) {
      let nl: number;
      while ((nl = this.#buf.indexOf("\n")) >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        yield line;
      }
      const { value, done } = await this.#reader.read();
      if (done) return;
      this.#buf += dec.decode(value, { stream: true });
    }
  }

  async send(line: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  async next(): Promise<Record<string, unknown>> {
    const r = await this.#lines.next();
    if (r.done) throw new Error("server closed stdout");
    return JSON.parse(r.value);
  }

  async request(id: number, method: string, params?: unknown): Promise<Record<string, unknown>> {
    await this.send(JSON.stringify({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) }));
    return await this.next();
  }

  async close(): Promise<{ code: number; stderr: string }> {
    await this.#writer.close();
    // Drain stdout so the child can exit.
    while (!(await this.#lines.next()).done) { /* discard */ }
    const { code } = await this.#proc.status;
    return { code, stderr: await this.stderr };
  }
}

const INIT = {
  protocolVersion: "2025-06-18",
  capabilities: {},
  clientInfo: { name: "raw-test", version: "1.0.0" },
};

Deno.test("stdio: SDK client lists and calls governed tools on `deno run mcp/main.ts` (no permissions)", async () => {
  const transport = new StdioClientTransport({
    command: DENO,
    args: ["run", "--no-prompt", MAIN],
    stderr: "pipe",
  });
  const client = new Client({ name: "stdio-test", version: "1.0.0" });
  await client.connect(transport);
  try {
    assert.match(client.getServerVersion()?.title ?? "", /DEMO/);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("cap_doc_summarize") && names.includes("wcp_route"));
    const r = await client.callTool({
      name: "cap_doc_summarize",
      arguments: { text: "One. Two. Three." },
    }) as {
      structuredContent: Record<string, unknown>;
      _meta: Record<string, Record<string, unknown>>;
    };
    assert.deepEqual(r.structuredContent, { summary: "One. Two.", sentences: 3, words: 3 });
    assert.equal(r._meta["wcp/governance"].outcome, "DISPATCH");
    const d = await client.callTool({
      name: "cap_doc_summarize",
      arguments: { text: "x", wcp: { data_label: "RESTRICTED" } },
    });
    assert.equal(d.isError, true);
    assert.match(JSON.stringify(d.content), /DENY_NO_MATCHING_RULE/);
  } finally {
    await client.close();
  }
});

Deno.test("stdio: invalid JSON, batches, non-objects and malformed messages get JSON-RPC errors; serving goes on", async () => {
  const child = new RawChild();
  try {
    const init = await child.request(1, "initialize", INIT);
    assert.equal((init.result as { serverInfo: { name: string } }).serverInfo.name, "wcp-mcp");
    await child.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));

    await child.send("{not json");
    assert.deepEqual((await child.next()).error, {
      code: -32700,
      message: "Parse error: invalid JSON",
    });
    await child.send(JSON.stringify([{ jsonrpc: "2.0", id: 5, method: "ping" }]));
    const batch = await child.next();
    assert.equal((batch.error as { code: number }).code, -32600);
    assert.equal(batch.id, null);
    await child.send("[]");
    assert.match(((await child.next()).error as { message: string }).message, /empty batch/);
    for (const v of ["42", '"hello"', "null", "true"]) {
      await child.send(v);
      const e = await child.next();
      assert.equal((e.error as { code: number }).code, -32600, v);
    }
    await child.send(JSON.stringify({ jsonrpc: "1.0", id: 9, method: "ping" }));
    const wrongVersion = await child.next();
    assert.equal(wrongVersion.id, 9, "the id is echoed when it can be read");
    assert.equal((wrongVersion.error as { code: number }).code, -32600);
    await child.send(JSON.stringify({ jsonrpc: "2.0", id: 10, method: 7 }));
    assert.equal(((await child.next()).error as { code: number }).code, -32600);

    const unknown = await child.request(11, "no/such/method");
    assert.equal((unknown.error as { code: number }).code, -32601);
    const badTool = await child.request(12, "tools/call", { name: "nope", arguments: {} });
    assert.equal((badTool.result as { isError: boolean }).isError, true);
    const badArgs = await child.request(13, "tools/call", {
      name: "cap_doc_summarize",
      arguments: { text: 1 },
    });
    assert.equal((badArgs.result as { isError: boolean }).isError, true);
    const badParams = await child.request(14, "tools/call", { arguments: {} });
    assert.equal((badParams.error as { code: number }).code, -32602);
    assert.match((badParams.error as { message: string }).message, /tools\/call: params\.name/);

    // Still serving after all of that.
    assert.deepEqual((await child.request(15, "ping")).result, {});
    const ok = await child.request(16, "tools/call", {
      name: "cap_doc_summarize",
      arguments: { text: "Still. Here." },
    });
    assert.deepEqual((ok.result as { structuredContent: unknown }).structuredContent, {
      summary: "Still. Here.",
      sentences: 2,
      words: 2,
    });
  } finally {
    const { code, stderr } = await child.close();
    assert.equal(code, 0);
    assert.match(stderr, /DEMO/);
    assert.match(stderr, /Parse error/, "diagnostics go to stderr");
  }
});

Deno.test("stdio: reads the config named by --config or WCP_MCP_CONFIG with --allow-read of that file only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/wcp-mcp.json`;
    const doc = structuredClone(DEMO_CONFIG_DOCUMENT) as Record<string, unknown>;
    doc.name = "acme test";
    doc.demo = false;
    doc.tenant = { tenant_id: "acme", tenant_risk: "medium" };
    await Deno.writeTextFile(`${dir}/rules.json`, JSON.stringify(doc.rules));
    doc.rules = "rules.json";
    await Deno.writeTextFile(path, JSON.stringify(doc));
    const proc = new Deno.Command(DENO, {
      args: ["run", "--no-prompt", `--allow-read=${dir}`, MAIN, "--config", path],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = proc.stdin.getWriter();
    const enc = new TextEncoder();
    await w.write(
      enc.encode(
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: INIT }) + "\n",
      ),
    );
    await w.write(enc.encode(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "cap_doc_redact", arguments: { text: "a@b.io" } },
      }) + "\n",
    ));
    await w.close();
    const out = await proc.output();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
    const init = lines.find((l) => l.id === 1);
    assert.equal(init.result.serverInfo.title, "WCP: acme test");
    const r = lines.find((l) => l.id === 2);
    assert.equal(
      r.result._meta["wcp/governance"].receipt.tenant_id,
      "acme",
      "tenant from the config file",
    );
    assert.equal(out.code, 0);

    // Via the environment variable (needs --allow-env=WCP_MCP_CONFIG).
    const viaEnv = await new Deno.Command(DENO, {
      args: ["run", "--no-prompt", `--allow-read=${dir}`, "--allow-env=WCP_MCP_CONFIG", MAIN],
      env: { WCP_MCP_CONFIG: path },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.match(new TextDecoder().decode(viaEnv.stderr), /ready: acme test/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stdio: a bad or unreadable config exits 2 with a one-line message naming the field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = async (args: string[]) => {
      const out = await new Deno.Command(DENO, {
        args: ["run", "--no-prompt", ...args],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        stdout: new TextDecoder().decode(out.stdout),
        stderr: new TextDecoder().decode(out.stderr),
      };
    };
    const bad = `${dir}/bad.json`;
    await Deno.writeTextFile(bad, JSON.stringify({ env: "production", rules: { rules: [] } }));
    const r1 = await run([`--allow-read=${dir}`, MAIN, "--config", bad]);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /config error: env: .*MCP_CONFIG_INVALID/);
    assert.equal(r1.stdout, "", "nothing but protocol on stdout");
    assert.doesNotMatch(r1.stderr, /\n\s+at /, "no stack trace");

    const r2 = await run([MAIN, "--config", bad]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /no read permission/);

    const r3 = await run([`--allow-read=${dir}`, MAIN, "--config", `${dir}/missing.json`]);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /file not found/);

    await Deno.writeTextFile(bad, "{oops");
    const r4 = await run([`--allow-read=${dir}`, MAIN, "--config", bad]);
    assert.match(r4.stderr, /invalid JSON/);

    const r5 = await run([MAIN, "--bogus"]);
    assert.equal(r5.code, 2);
    assert.match(r5.stderr, /usage/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stdio: an oversized line is refused with -32600 and the next message is served", async () => {
  const child = new RawChild();
  try {
    await child.request(1, "initialize", INIT);
    await child.send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "ping",
        params: { pad: "a".repeat(5 * 1024 * 1024) },
      }),
    );
    const big = await child.next();
    assert.equal((big.error as { code: number }).code, -32600);
    assert.match((big.error as { message: string }).message, /longer than/);
    await child.send("\r");
    assert.deepEqual(
      (await child.request(3, "ping")).result,
      {},
      "CRLF and blank lines are tolerated",
    );
  } finally {
    await child.close();
  }
});

Deno.test("stdio: --print-demo-config prints a template that parses back to the demo configuration", async () => {
  const out = await new Deno.Command(DENO, {
    args: ["run", "--no-prompt", MAIN, "--print-demo-config"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0);
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(doc, DEMO_CONFIG_DOCUMENT);
  assert.equal(parseMcpConfig(doc).demo, true);
});

Deno.test("README: the documented MCP client configuration starts a working server", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("## MCP server"));
  const block = section.slice(
    section.indexOf("```json") + 7,
    section.indexOf("```", section.indexOf("```json") + 7),
  );
  const entry = JSON.parse(block).mcpServers.wcp as { command: string; args: string[] };
  const dir = await Deno.makeTempDir();
  try {
    const cfg = `${dir}/wcp-mcp.json`;
    await Deno.writeTextFile(
      cfg,
      JSON.stringify({ ...DEMO_CONFIG_DOCUMENT, name: "from README", demo: false }),
    );
    const args = entry.args.map((a) =>
      a.replace("/path/to/wcp-mcp.json", cfg).replace("/path/to/mcp/main.ts", MAIN)
    );
    const transport = new StdioClientTransport({ command: entry.command, args, stderr: "pipe" });
    const client = new Client({ name: "readme-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      assert.equal(client.getServerVersion()?.title, "WCP: from README");
      assert.ok((await client.listTools()).tools.some((t) => t.name === "cap_doc_summarize"));
    } finally {
      await client.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stdio: no approval tools for the agent; a held call asks the human by elicitation and runs once", async () => {
  const start = async (elicit: boolean) => {
    const transport = new StdioClientTransport({
      command: DENO,
      args: ["run", "--no-prompt", MAIN],
      stderr: "pipe",
    });
    const client = new Client(
      { name: "stdio-human", version: "1.0.0" },
      elicit ? { capabilities: { elicitation: {} } } : {},
    );
    const asked: string[] = [];
    if (elicit) {
      client.setRequestHandler(ElicitRequestSchema, (req: ElicitRequest) => {
        asked.push((req.params as { message: string }).message);
        return { action: "accept", content: { decision: "approve", note: "go" } };
      });
    }
    await client.connect(transport);
    return { client, asked };
  };
  const human = await start(true);
  try {
    const names = (await human.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("wcp_approvals_list"));
    assert.ok(!names.includes("wcp_approval_resolve"), "the agent cannot approve over stdio");
    const r = await human.client.callTool({
      name: "cap_msg_notify",
      arguments: { channel: "#ops", message: "deploy" },
    }) as { isError?: boolean; content: unknown; _meta: Record<string, Record<string, unknown>> };
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    assert.equal(human.asked.length, 1);
    const g = r._meta["wcp/governance"];
    assert.ok(human.asked[0].includes(String(g.approval_id)));
    const receipt = g.receipt as {
      approval: { resolved_by: { principal_id: string }; note: string };
    };
    assert.match(receipt.approval.resolved_by.principal_id, /^mcp-elicitation:/);
    assert.equal(receipt.approval.note, "go");
  } finally {
    await human.client.close();
  }
  const agent = await start(false);
  try {
    const r = await agent.client.callTool({
      name: "cap_msg_notify",
      arguments: { channel: "#ops", message: "deploy" },
    }) as { isError?: boolean; content: { text: string }[] };
    assert.equal(r.isError, true);
    const e = JSON.parse(r.content[0].text).error;
    assert.equal(e.code, "STEWARD_HOLD");
    assert.match(e.message, /no approver/);
    assert.ok(typeof e.approval_id === "string" && e.message.includes(e.approval_id));
  } finally {
    await agent.client.close();
  }
});
