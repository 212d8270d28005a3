// The MCP server in process: SDK Client <-> InMemoryTransport <-> createWcpMcpServer.

import assert from "node:assert/strict";
import { call, connect, demoWith, errorOf, gov, spyWorker, type ToolResult } from "./_helpers.ts";
import { WCP_TOOL_NAMES } from "../../mcp/tools.ts";
import { toolsNamedIn } from "../../mcp/prompts.ts";
import {
  buildManifest,
  generateSigningKey,
  packageHashFromContents,
  signManifestEd25519,
} from "../../src/attestation/mod.ts";
import { DEMO_CONFIG_DOCUMENT } from "../../mcp/demo_config.ts";

function pendingCount(r: ToolResult): number {
  return (r.structuredContent!.approvals as unknown[]).length;
}

const TEXT = "WCP governs workers. It routes every call. It keeps receipts.";

Deno.test("tools/list: generated worker tools and every wcp_* tool, with schemas", async () => {
  const p = await connect();
  try {
    const { tools } = await p.client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of WCP_TOOL_NAMES) assert.ok(names.includes(n), `missing ${n}`);
    for (const n of ["cap_doc_summarize", "cap_doc_redact", "cap_msg_notify", "cap_hello_greet"]) {
      assert.ok(names.includes(n), `missing ${n}`);
    }
    assert.equal(names.length, WCP_TOOL_NAMES.length + 4);
    for (const t of tools) assert.match(t.name, /^[a-z0-9_]+$/, "underscore names only");
    const sum = tools.find((t) => t.name === "cap_doc_summarize")!;
    const { getCatalog } = await import("../../src/catalog/mod.ts");
    assert.equal(
      sum.title,
      `${getCatalog().get("cap.doc.summarize")!.name} (cap.doc.summarize)`,
      "title from the catalog",
    );
    assert.deepEqual(Object.keys(sum.outputSchema!.properties!).sort(), [
      "sentences",
      "summary",
      "words",
    ]);
    const wcp = (sum.inputSchema.properties as Record<
      string,
      { properties: Record<string, { enum?: string[] }> }
    >).wcp;
    assert.deepEqual(
      wcp.properties.env.enum,
      ["dev", "stage"],
      "env advertises the allowed envs only",
    );
    assert.deepEqual(wcp.properties.data_label.enum, ["PUBLIC", "INTERNAL", "RESTRICTED"]);
  } finally {
    await p.close();
  }
});

Deno.test("governed tool: allowed call executes, returns structured output, governance _meta and a receipt", async () => {
  const p = await connect();
  try {
    const r = await call(p.client, "cap_doc_summarize", { text: TEXT, max_sentences: 1 });
    assert.equal(r.isError, undefined);
    assert.deepEqual(r.structuredContent, {
      summary: "WCP governs workers.",
      sentences: 3,
      words: 10,
    });
    assert.deepEqual(JSON.parse(r.content[0].text!), r.structuredContent, "text fallback");
    const g = gov(r);
    assert.equal(g.outcome, "DISPATCH");
    assert.equal(g.matched_rule_id, "demo.summarize");
    assert.equal(g.selected_worker_id, "org.demo.summarizer.1");
    assert.deepEqual(g.required_controls_effective, ["ctrl.obs.audit-log-append-only"]);
    assert.equal(g.executed, true);
    const receipt = g.receipt as Record<string, unknown>;
    assert.equal(receipt.decision_id, g.decision_id);
    assert.equal(receipt.tenant_id, "demo-tenant");
    assert.equal(receipt.worker_id, "org.demo.summarizer.1");
    assert.equal(receipt.seq, 0);
    assert.match(String(receipt.receipt_hash), /^sha256:[0-9a-f]{64}$/);
    assert.equal(p.governor.receipts.chain("demo-tenant").length, 1);
  } finally {
    await p.close();
  }
});

Deno.test("governed tool: a denial is isError with deny code, message and decision id; the worker never runs", async () => {
  const spy = spyWorker({ summary: "x", sentences: 1, words: 1 });
  const p = await connect(demoWith(), { workers: { "org.demo.summarizer.1": spy.fn } });
  try {
    const r = await call(p.client, "cap_doc_summarize", {
      text: TEXT,
      wcp: { data_label: "RESTRICTED" },
    });
    assert.equal(r.isError, true);
    const e = errorOf(r);
    assert.equal(e.code, "DENY_NO_MATCHING_RULE");
    assert.ok(e.message.length > 0);
    assert.equal(e.decision_id, gov(r).decision_id);
    assert.equal(gov(r).outcome, "DENY");
    assert.equal(gov(r).receipt, null);
    assert.equal(spy.calls.length, 0);
    assert.equal(p.governor.receipts.chain("demo-tenant").length, 0);
    // The same call within bounds does execute the injected worker.
    const ok = await call(p.client, "cap_doc_summarize", { text: TEXT });
    assert.equal(ok.isError, undefined);
    assert.equal(spy.calls.length, 1);
    assert.equal((spy.calls[0] as { tenant_id: string }).tenant_id, "demo-tenant");
  } finally {
    await p.close();
  }
});

Deno.test("governed tool: env and data label outside the bounds are rejected, never replaced", async () => {
  const spy = spyWorker({ summary: "x", sentences: 1, words: 1 });
  const p = await connect(
    demoWith({ data_labels: { default: "INTERNAL", min: "INTERNAL", max: "INTERNAL" } }),
    {
      workers: { "org.demo.summarizer.1": spy.fn },
    },
  );
  try {
    const prod = await call(p.client, "cap_doc_summarize", { text: TEXT, wcp: { env: "prod" } });
    assert.equal(prod.isError, true);
    assert.match(prod.content[0].text!, /Input validation error.*env/s);
    const prodName = await call(p.client, "cap_doc_summarize", {
      text: TEXT,
      wcp: { env: "production" },
    });
    assert.equal(prodName.isError, true);
    const pub = await call(p.client, "cap_doc_summarize", {
      text: TEXT,
      wcp: { data_label: "PUBLIC" },
    });
    assert.equal(pub.isError, true);
    assert.match(pub.content[0].text!, /data_label/);
    assert.equal(spy.calls.length, 0);
    // The governor's own check (embedders call it directly) names the field and the bounds.
    const e = p.governor.buildInput("cap.doc.summarize", {}, { data_label: "PUBLIC" }, null);
    assert.ok("code" in e);
    assert.equal(e.code, "DATA_LABEL_OUT_OF_BOUNDS");
    assert.equal(e.path, "data_label");
    const env = p.governor.buildInput("cap.doc.summarize", {}, { env: "prod" }, null);
    assert.ok("code" in env && env.code === "ENV_NOT_ALLOWED");
    const bad = p.governor.buildInput("cap.doc.summarize", {}, { env: "production" }, null);
    assert.ok("code" in bad && bad.code === "DENY_INVALID_INPUT" && bad.path === "env");
  } finally {
    await p.close();
  }
});

Deno.test("tenant comes from the config or the session, never a constant; none at all is refused", async () => {
  const p = await connect(demoWith({ tenant: null }));
  try {
    const r = await call(p.client, "cap_doc_summarize", { text: TEXT });
    assert.equal(r.isError, true);
    assert.equal(errorOf(r).code, "TENANT_UNKNOWN");
    const input = p.governor.buildInput("cap.doc.summarize", {}, {}, {
      tenant_id: "acme",
      tenant_risk: "high",
    });
    assert.ok(!("code" in input));
    assert.equal(input.tenant_id, "acme");
    assert.equal(input.tenant_risk, "high");
  } finally {
    await p.close();
  }
});

Deno.test("STEWARD_HOLD is not executed; approve, then the held request runs once with approval_id", async () => {
  const spy = spyWorker({ queued: true, channel: "#ops", message_id: "m1" });
  const p = await connect(demoWith({ allow_resolve: true }), {
    workers: { "org.demo.notifier.1": spy.fn },
  });
  // A supervisor's session on the same server state (the requester cannot approve its own hold).
  const sup = await connect(undefined, { governor: p.governor });
  try {
    const held = await call(p.client, "cap_msg_notify", {
      channel: "#ops",
      message: "deploy done",
    });
    assert.equal(held.isError, true);
    assert.equal(errorOf(held).code, "STEWARD_HOLD");
    assert.equal(gov(held).outcome, "STEWARD_HOLD");
    const approvalId = String(gov(held).approval_id);
    assert.equal(spy.calls.length, 0, "a held request never executes");

    const list = await call(p.client, "wcp_approvals_list");
    assert.equal(list.structuredContent!.backend, "local");
    const approvals = list.structuredContent!.approvals as {
      approval_id: string;
      capability_id: string;
    }[];
    assert.deepEqual(approvals.map((a) => a.approval_id), [approvalId]);
    assert.equal(approvals[0].capability_id, "cap.msg.notify");

    // Repeating before approval does not execute either.
    const early = await call(p.client, "cap_msg_notify", {
      channel: "#ops",
      message: "x",
      wcp: { approval_id: approvalId },
    });
    assert.equal(errorOf(early).code, "APPROVAL_NOT_APPROVED");
    assert.equal(spy.calls.length, 0);

    const resolved = await call(sup.client, "wcp_approval_resolve", {
      approval_id: approvalId,
      decision: "approve",
      note: "ok",
    });
    assert.equal(resolved.structuredContent!.status, "approved");
    assert.equal(pendingCount(await call(p.client, "wcp_approvals_list")), 0);

    const run = await call(p.client, "cap_msg_notify", {
      channel: "#other",
      message: "changed",
      wcp: { approval_id: approvalId },
    });
    assert.equal(run.isError, undefined, run.content[0].text);
    assert.equal(spy.calls.length, 1);
    // What executes is the request the supervisor saw, not the arguments of the repeat call.
    assert.deepEqual((spy.calls[0] as { request: unknown }).request, {
      channel: "#ops",
      message: "deploy done",
    });
    assert.equal(
      (gov(run).receipt as Record<string, unknown>).policy_decision,
      `APPROVED:${approvalId}`,
    );

    const again = await call(p.client, "cap_msg_notify", {
      channel: "#ops",
      message: "x",
      wcp: { approval_id: approvalId },
    });
    assert.equal(errorOf(again).code, "APPROVAL_CONSUMED", "single use");
    assert.equal(spy.calls.length, 1);
  } finally {
    await p.close();
    await sup.close();
  }
});

Deno.test("approvals: deny blocks execution; escalate climbs the supervisor levels then stops", async () => {
  const p = await connect(demoWith({ allow_resolve: true }));
  const sup = await connect(undefined, { governor: p.governor });
  try {
    const a = String(
      gov(await call(p.client, "cap_msg_notify", { channel: "#a", message: "1" })).approval_id,
    );
    const b = String(
      gov(await call(p.client, "cap_msg_notify", { channel: "#b", message: "2" })).approval_id,
    );
    const denied = await call(sup.client, "wcp_approval_resolve", {
      approval_id: a,
      decision: "deny",
    });
    assert.equal(denied.structuredContent!.status, "denied");
    const run = await call(p.client, "cap_msg_notify", {
      channel: "#a",
      message: "1",
      wcp: { approval_id: a },
    });
    assert.equal(errorOf(run).code, "APPROVAL_NOT_APPROVED");
    const twice = await call(sup.client, "wcp_approval_resolve", {
      approval_id: a,
      decision: "approve",
    });
    assert.equal(errorOf(twice).code, "APPROVAL_NOT_PENDING");
    assert.equal((errorOf(twice) as unknown as { status: string }).status, "denied");

    const e1 = await call(p.client, "wcp_approval_escalate", {
      approval_id: b,
      note: "needs ops lead",
    });
    assert.equal(e1.structuredContent!.supervisor_level, "executor");
    assert.equal(e1.structuredContent!.escalations, 1);
    const e2 = await call(p.client, "wcp_approval_escalate", { approval_id: b });
    assert.equal(e2.structuredContent!.supervisor_level, "incident_commander");
    const e3 = await call(p.client, "wcp_approval_escalate", { approval_id: b });
    assert.equal(errorOf(e3).code, "APPROVAL_ESCALATION_EXHAUSTED");
    const unknown = await call(sup.client, "wcp_approval_resolve", {
      approval_id: "nope",
      decision: "approve",
    });
    assert.equal(errorOf(unknown).code, "APPROVAL_UNKNOWN");
  } finally {
    await p.close();
    await sup.close();
  }
});

Deno.test("approvals expire after the configured time to live", async () => {
  let now = Date.parse("2026-12-01T10:00:00.000Z");
  const { Governor } = await import("../../mcp/governor.ts");
  const governor = new Governor(
    demoWith({ allow_resolve: true, hall_config: { approval_ttl_seconds: 60 } }),
    { now: () => now },
  );
  const p = await connect(undefined, { governor });
  const sup = await connect(undefined, { governor });
  try {
    const id = String(
      gov(await call(p.client, "cap_msg_notify", { channel: "#a", message: "1" })).approval_id,
    );
    now += 61_000;
    assert.equal(pendingCount(await call(p.client, "wcp_approvals_list")), 0);
    const r = await call(sup.client, "wcp_approval_resolve", {
      approval_id: id,
      decision: "approve",
    });
    assert.equal(errorOf(r).code, "APPROVAL_EXPIRED");
    assert.match(errorOf(r).message, /expired/);
  } finally {
    await p.close();
    await sup.close();
  }
});

Deno.test("wcp_route is a dry run: decision only, no execution, no approval, no receipt", async () => {
  const spy = spyWorker({ queued: true, channel: "c", message_id: "m" });
  const p = await connect(demoWith(), { workers: { "org.demo.notifier.1": spy.fn } });
  try {
    const r = await call(p.client, "wcp_route", {
      capability_id: "cap.doc.summarize",
      request: { text: TEXT },
    });
    assert.equal(r.structuredContent!.outcome, "DISPATCH");
    assert.equal((r.structuredContent!.decision as { dry_run: boolean }).dry_run, true);
    const hold = await call(p.client, "wcp_route", { capability_id: "cap.msg.notify" });
    assert.equal(hold.structuredContent!.outcome, "STEWARD_HOLD");
    const deny = await call(p.client, "wcp_route", { capability_id: "cap.fin.initiate-payment" });
    assert.equal(deny.isError, undefined, "a dry run that answers DENY is not a tool error");
    assert.equal(deny.structuredContent!.deny_code, "DENY_NO_MATCHING_RULE");
    assert.equal(spy.calls.length, 0);
    assert.equal(pendingCount(await call(p.client, "wcp_approvals_list")), 0);
    assert.equal(p.governor.receipts.chain("demo-tenant").length, 0);
    const bad = await call(p.client, "wcp_route", { capability_id: "Cap.Doc" });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text!, /capability_id/);
  } finally {
    await p.close();
  }
});

Deno.test("wcp_dispatch runs any capability under the same governance", async () => {
  const p = await connect();
  try {
    const r = await call(p.client, "wcp_dispatch", {
      capability_id: "cap.doc.redact",
      request: { text: "mail bob@example.com" },
    });
    assert.deepEqual(r.structuredContent, { text: "mail [REDACTED]", redactions: 1 });
    assert.equal(gov(r).outcome, "DISPATCH");
    const d = await call(p.client, "wcp_dispatch", {
      capability_id: "cap.fin.initiate-payment",
      request: {},
    });
    assert.equal(errorOf(d).code, "DENY_NO_MATCHING_RULE");
    assert.ok(errorOf(d).decision_id);
  } finally {
    await p.close();
  }
});

Deno.test("a failing worker is reported as WORKER_FAILED and still receipted", async () => {
  const p = await connect(demoWith(), {
    workers: {
      "org.demo.redactor.1": () => {
        throw new Error("disk full");
      },
    },
  });
  try {
    const r = await call(p.client, "cap_doc_redact", { text: "x" });
    assert.equal(errorOf(r).code, "WORKER_FAILED");
    assert.match(errorOf(r).message, /disk full/);
    assert.equal((gov(r).receipt as Record<string, unknown>).execution_status, "failed");
  } finally {
    await p.close();
  }
});

Deno.test("attestation: a tampered worker is denied at dispatch; wcp_attestation_verify reports the hashes", async () => {
  const doc = structuredClone(DEMO_CONFIG_DOCUMENT) as Record<string, unknown>;
  (doc.workers as Record<string, unknown>)["org.demo.summarizer.1"] = {
    builtin: "summarize",
    current_hash: "sha256:" + "2".repeat(64),
  };
  const p = await connect(
    demoWith({ workers: doc.workers, hall_config: { require_worker_attestation: true } }),
  );
  try {
    const r = await call(p.client, "cap_doc_summarize", { text: TEXT });
    assert.equal(errorOf(r).code, "DENY_WORKER_TAMPERED");
    const v = await call(p.client, "wcp_attestation_verify", {
      worker_id: "org.demo.summarizer.1",
    });
    assert.equal(v.structuredContent!.hash_matches, false);
    assert.equal(v.structuredContent!.registered_hash, "sha256:" + "1".repeat(64));
    const u = await call(p.client, "wcp_attestation_verify", { worker_id: "org.nobody.x.1" });
    assert.equal(errorOf(u).code, "WORKER_UNKNOWN");
  } finally {
    await p.close();
  }
});

Deno.test("wcp_attestation_verify checks a signed manifest against the record's keys", async () => {
  const key = await generateSigningKey({ namespace: "org.demo" });
  const contents = { "code/worker_logic.py": "def run(x):\n    return x\n" };
  const computed = packageHashFromContents(contents);
  const manifest = await signManifestEd25519(
    buildManifest({
      packageHash: computed,
      workerId: "org.demo.summarizer.1",
      workerSpeciesId: "wrk.doc.summarizer",
      workerVersion: "1.0.0",
    }),
    key,
  );
  const doc = structuredClone(DEMO_CONFIG_DOCUMENT) as Record<string, unknown>;
  (doc.registry as Record<string, unknown>[])[0].public_keys = { [key.key_id]: key.public_key };
  const p = await connect(demoWith({ registry: doc.registry }));
  try {
    const files = computed.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }));
    const ok = await call(p.client, "wcp_attestation_verify", {
      worker_id: "org.demo.summarizer.1",
      manifest,
      files,
    });
    assert.equal((ok.structuredContent!.manifest as { ok: boolean }).ok, true, ok.content[0].text);
    const tampered = files.map((f) => ({ ...f, sha256: "0".repeat(64) }));
    const bad = await call(p.client, "wcp_attestation_verify", {
      worker_id: "org.demo.summarizer.1",
      manifest,
      files: tampered,
    });
    const m = bad.structuredContent!.manifest as { ok: boolean; deny_code: string };
    assert.equal(m.ok, false);
    assert.equal(m.deny_code, "ATTEST_HASH_MISMATCH");
    const noFiles = await call(p.client, "wcp_attestation_verify", {
      worker_id: "org.demo.summarizer.1",
      manifest,
    });
    assert.equal(errorOf(noFiles).code, "ATTEST_FILES_REQUIRED");
  } finally {
    await p.close();
  }
});

Deno.test("wcp_receipts_verify: the tenant chain verifies; a tampered copy does not", async () => {
  const p = await connect();
  try {
    await call(p.client, "cap_doc_summarize", { text: TEXT });
    await call(p.client, "cap_doc_redact", { text: "call 555 123 4567" });
    const ok = await call(p.client, "wcp_receipts_verify");
    assert.equal(ok.structuredContent!.ok, true);
    assert.equal(ok.structuredContent!.count, 2);
    assert.equal(ok.structuredContent!.tenant_id, "demo-tenant");
    const chain = p.governor.receipts.chain("demo-tenant").map((r) => ({ ...r }));
    chain[0].worker_id = "org.evil.worker.1";
    // Receipts signed by another key verify only when that key is given.
    const { ReceiptBook } = await import("../../mcp/receipts.ts");
    const other = new ReceiptBook();
    const d = {
      ...p.governor.decide(p.governor.buildInput("cap.hello.greet", {}, {}, null) as never),
      tenant_id: "t2",
    };
    const foreign = [await other.mint(d, { policy_decision: "ALLOW" })];
    const unknownKey = await call(p.client, "wcp_receipts_verify", { receipts: foreign });
    assert.equal(unknownKey.structuredContent!.ok, false);
    const withKey = await call(p.client, "wcp_receipts_verify", {
      receipts: foreign,
      keys: [await other.trustedKey()],
    });
    assert.equal(withKey.structuredContent!.ok, true, withKey.content[0].text);
    const bad = await call(p.client, "wcp_receipts_verify", { receipts: chain });
    assert.equal(bad.structuredContent!.ok, false);
    assert.ok((bad.structuredContent!.breaks as unknown[]).length > 0);
  } finally {
    await p.close();
  }
});

Deno.test("catalog tools: search ranks the capability, explain shows relations, unknown id is an error", async () => {
  const p = await connect();
  try {
    const s = await call(p.client, "wcp_catalog_search", {
      query: "summarize",
      type: "capability",
      limit: 5,
    });
    const hits = s.structuredContent!.hits as { id: string }[];
    assert.equal(hits[0].id, "cap.doc.summarize");
    assert.ok(hits.length <= 5);
    const e = await call(p.client, "wcp_explain", { id: "cap.doc.summarize" });
    assert.equal((e.structuredContent!.entry as { id: string }).id, "cap.doc.summarize");
    assert.ok(
      (e.structuredContent!.forward as { relation: string }[]).some((r) =>
        r.relation === "served_by"
      ),
    );
    const u = await call(p.client, "wcp_explain", { id: "cap.none.such" });
    assert.equal(errorOf(u).code, "CATALOG_ID_UNKNOWN");
    const w = await call(p.client, "wcp_workers_list", { capability_id: "cap.doc.redact" });
    assert.deepEqual(
      (w.structuredContent!.workers as { worker_id: string }[]).map((x) => x.worker_id),
      ["org.demo.redactor.1"],
    );
  } finally {
    await p.close();
  }
});

Deno.test("bad arguments and unknown tools get tool errors; the server keeps serving", async () => {
  const p = await connect();
  try {
    const unknown = await call(p.client, "no_such_tool", {});
    assert.equal(unknown.isError, true);
    assert.match(unknown.content[0].text!, /no_such_tool not found/);
    const extra = await call(p.client, "cap_doc_summarize", { text: TEXT, surprise: 1 });
    assert.equal(extra.isError, true);
    assert.match(extra.content[0].text!, /surprise/);
    const wrongType = await call(p.client, "cap_doc_summarize", { text: 42 });
    assert.equal(wrongType.isError, true);
    assert.match(wrongType.content[0].text!, /text/);
    const missing = await call(p.client, "wcp_attestation_verify", {});
    assert.equal(missing.isError, true);
    assert.match(missing.content[0].text!, /worker_id/);
    await p.client.ping();
    const ok = await call(p.client, "cap_doc_summarize", { text: TEXT });
    assert.equal(ok.isError, undefined);
  } finally {
    await p.close();
  }
});

Deno.test("resources: catalog index, paginated pages with next links, entries and workers", async () => {
  const p = await connect();
  try {
    const templates = (await p.client.listResourceTemplates()).resourceTemplates.map((t) =>
      t.uriTemplate
    );
    assert.deepEqual(templates.sort(), [
      "wcp://catalog/entry/{id}",
      "wcp://catalog/{type}/page/{page}",
      "wcp://workers/page/{page}",
      "wcp://workers/{worker_id}",
    ]);
    const listed = (await p.client.listResources()).resources.map((r) => r.uri);
    assert.ok(listed.includes("wcp://catalog"));
    assert.ok(listed.includes("wcp://catalog/capability/page/1"));
    const read = async (uri: string) =>
      JSON.parse(((await p.client.readResource({ uri })).contents[0] as { text: string }).text);
    const index = await read("wcp://catalog");
    const caps = index.types.capability.count as number;
    assert.ok(caps > 50);
    const page1 = await read("wcp://catalog/capability/page/1");
    assert.equal(page1.items.length, 50);
    assert.equal(page1.total, caps);
    assert.equal(page1.next, "wcp://catalog/capability/page/2");
    const last = await read(`wcp://catalog/capability/page/${page1.pages}`);
    assert.equal(last.next, null);
    assert.equal((page1.pages - 1) * 50 + last.items.length, caps);
    assert.equal((await read("wcp://catalog/entry/cap.doc.summarize")).id, "cap.doc.summarize");
    const workers = await read("wcp://workers/page/1");
    assert.equal(workers.total, 4);
    assert.equal(
      (await read("wcp://workers/org.demo.redactor.1")).worker_species_id,
      "wrk.doc.redactor",
    );
    await assert.rejects(
      () => p.client.readResource({ uri: "wcp://catalog/capability/page/0" }),
      /page/,
    );
    await assert.rejects(
      () => p.client.readResource({ uri: "wcp://catalog/capability/page/999" }),
      /last page/,
    );
    await assert.rejects(
      () => p.client.readResource({ uri: "wcp://catalog/bogus/page/1" }),
      /unknown catalog type/,
    );
    await assert.rejects(
      () => p.client.readResource({ uri: "wcp://workers/org.none.x.1" }),
      /not enrolled/,
    );
  } finally {
    await p.close();
  }
});

Deno.test("prompts name only tools that exist", async () => {
  for (const allow_resolve of [false, true]) await promptsNameRealTools(allow_resolve);
});

async function promptsNameRealTools(allow_resolve: boolean): Promise<void> {
  const p = await connect(demoWith({ allow_resolve }));
  try {
    const tools = new Set((await p.client.listTools()).tools.map((t) => t.name));
    const { prompts } = await p.client.listPrompts();
    assert.deepEqual(prompts.map((x) => x.name).sort(), [
      "wcp_audit_worker",
      "wcp_find_and_run",
      "wcp_review_approvals",
    ]);
    const args: Record<string, Record<string, string>> = {
      wcp_find_and_run: { need: "summarise a report" },
      wcp_audit_worker: { worker_id: "org.demo.summarizer.1" },
      wcp_review_approvals: {},
    };
    for (const pr of prompts) {
      const got = await p.client.getPrompt({ name: pr.name, arguments: args[pr.name] });
      const text = got.messages.map((m) => (m.content as { text: string }).text).join("\n");
      const named = toolsNamedIn(text);
      assert.ok(named.length >= 1, `${pr.name} names tools`);
      for (const n of named) assert.ok(tools.has(n), `${pr.name} names unknown tool ${n}`);
      if (pr.name === "wcp_review_approvals") {
        assert.equal(named.includes("wcp_approval_resolve"), allow_resolve);
      }
    }
  } finally {
    await p.close();
  }
}

Deno.test("concurrent governed calls keep one linear receipt chain per tenant", async () => {
  const p = await connect();
  try {
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => call(p.client, "cap_hello_greet", { payload: { i } })),
    );
    for (const r of results) assert.equal(r.isError, undefined);
    const chain = p.governor.receipts.chain("demo-tenant");
    assert.deepEqual(chain.map((r) => r.seq), Array.from({ length: 25 }, (_, i) => i));
    for (let i = 1; i < chain.length; i++) {
      assert.equal(chain[i].prev_receipt_hash, chain[i - 1].receipt_hash);
    }
    const v = await call(p.client, "wcp_receipts_verify");
    assert.equal(v.structuredContent!.ok, true);
    assert.equal(v.structuredContent!.count, 25);
  } finally {
    await p.close();
  }
});

Deno.test("configuration errors name the field: config, rules, registry, workers, hall_config", async () => {
  const { parseMcpConfig } = await import("../../mcp/config.ts");
  const { Governor } = await import("../../mcp/governor.ts");
  const expectError = (fn: () => unknown, path: RegExp) =>
    assert.throws(fn, (e: Error & { code?: string; path?: string }) => {
      assert.ok(e.code, `a WcpError, got ${e}`);
      assert.match(e.path ?? "", path);
      return true;
    });
  expectError(() => parseMcpConfig({ rules: {}, env: "production" }), /^env$/);
  expectError(() => parseMcpConfig({ rules: {}, surprise: 1 }), /^$|surprise/);
  expectError(() => parseMcpConfig({ rules: {}, envs_allowed: ["stage"] }), /^envs_allowed$/);
  expectError(
    () => parseMcpConfig({ rules: {}, data_labels: { min: "RESTRICTED", max: "PUBLIC" } }),
    /^data_labels\.min$/,
  );
  expectError(
    () => parseMcpConfig({ rules: {}, data_labels: { default: "RESTRICTED", max: "INTERNAL" } }),
    /^data_labels\.default$/,
  );
  expectError(
    () => parseMcpConfig({ rules: {}, workers: { "org.a.b.1": { builtin: "nope" } } }),
    /^workers/,
  );
  expectError(() => parseMcpConfig({ rules: {}, hall: { url: "ftp://x" } }), /^hall\.url$/);
  expectError(
    () =>
      new Governor(
        demoWith({ rules: { rules: [{ rule_id: "r", match: { env: { like: "x" } } }] } }),
      ),
    /^rules\./,
  );
  expectError(
    () => new Governor(demoWith({ registry: [{ worker_id: "bad id" }] })),
    /^registry\[0\]/,
  );
  expectError(() => new Governor(demoWith({ registry: [] })), /^workers\./);
  expectError(
    () => new Governor(demoWith({ hall_config: { require_signatry: true } })),
    /^hall_config\.require_signatry$/,
  );
  expectError(
    () => new Governor(demoWith({ hall_config: { require_signatory: "yes" } })),
    /^hall_config\.require_signatory$/,
  );
});
