// Workers the server reaches over HTTP (config `workers.<id>.http`): schemas from JSON Schema,
// the call envelope the worker receives, output validation, and failures.

import assert from "node:assert/strict";
import { call, connect, errorOf, gov } from "./_helpers.ts";
import { parseMcpConfig } from "../../mcp/config.ts";
import { Governor } from "../../mcp/governor.ts";

function configFor(url: string) {
  return parseMcpConfig({
    name: "http worker test",
    tenant: { tenant_id: "acme" },
    rules: {
      rules: [{
        rule_id: "translate",
        match: { capability_id: "cap.doc.translate" },
        decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.translator" }] },
      }],
    },
    registry: [{
      worker_id: "org.acme.translator.1",
      worker_species_id: "wrk.doc.translator",
      capabilities: ["cap.doc.translate"],
    }],
    workers: {
      "org.acme.translator.1": {
        http: url,
        input_schema: {
          type: "object",
          properties: { text: { type: "string" }, to: { type: "string", enum: ["fr", "de"] } },
          required: ["text", "to"],
          additionalProperties: false,
        },
        output_schema: {
          type: "object",
          properties: { translation: { type: "string" } },
          required: ["translation"],
        },
      },
    },
  });
}

Deno.test("http worker: JSON Schemas become tool schemas; the worker gets the governed call envelope", async () => {
  const seen: Record<string, unknown>[] = [];
  let answer: (body: Record<string, unknown>) => Response = (b) =>
    Response.json({
      translation: `[${(b.request as { to: string }).to}] ${(b.request as { text: string }).text}`,
    });
  const worker = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    seen.push({ ...body, header: req.headers.get("x-correlation-id") });
    return answer(body);
  });
  const p = await connect(undefined, {
    governor: new Governor(configFor(`http://127.0.0.1:${worker.addr.port}/run`)),
  });
  try {
    const tool = (await p.client.listTools()).tools.find((t) => t.name === "cap_doc_translate")!;
    const req = (tool.inputSchema.properties as Record<
      string,
      { properties: Record<string, { enum?: string[] }> }
    >).request;
    assert.deepEqual(req.properties.to.enum, ["fr", "de"]);
    assert.deepEqual(Object.keys(tool.outputSchema!.properties!), ["translation"]);

    const r = await call(p.client, "cap_doc_translate", { request: { text: "hello", to: "fr" } });
    assert.deepEqual(r.structuredContent, { translation: "[fr] hello" });
    assert.equal(seen.length, 1);
    assert.equal(seen[0].worker_id, "org.acme.translator.1");
    assert.equal(seen[0].tenant_id, "acme");
    assert.equal(seen[0].decision_id, gov(r).decision_id);
    assert.equal(seen[0].header, gov(r).correlation_id, "correlation id flows to the worker");

    const bad = await call(p.client, "cap_doc_translate", { request: { text: "hello", to: "xx" } });
    assert.equal(bad.isError, true);
    assert.equal(seen.length, 1, "bad arguments never reach the worker");

    answer = () => Response.json({ wrong: true });
    const badOut = await call(p.client, "cap_doc_translate", { request: { text: "hi", to: "de" } });
    assert.equal(badOut.isError, true);
    assert.match(badOut.content[0].text!, /Output validation error/);

    answer = () => new Response("boom", { status: 500 });
    const failed = await call(p.client, "cap_doc_translate", { request: { text: "hi", to: "de" } });
    assert.equal(errorOf(failed).code, "WORKER_FAILED");
    assert.match(errorOf(failed).message, /HTTP 500/);
    assert.equal((gov(failed).receipt as { execution_status: string }).execution_status, "failed");
  } finally {
    await p.close();
    await worker.shutdown();
  }
});

Deno.test("http worker: an unsupported JSON Schema is a configuration error naming the capability", async () => {
  const cfg = configFor("http://127.0.0.1:1/run");
  (cfg.workers["org.acme.translator.1"] as { input_schema: unknown }).input_schema = {
    type: "no-such-type",
  };
  await assert.rejects(
    () => connect(undefined, { governor: new Governor(cfg) }),
    (e: Error & { code?: string }) =>
      e.code === "MCP_CONFIG_INVALID" && /cap\.doc\.translate/.test(e.message),
  );
});
