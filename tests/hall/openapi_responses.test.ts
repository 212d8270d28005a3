// The OpenAPI document says what the hall answers: every operation of `/openapi.json` is called on
// a real hall (seeded so that each gives its success answer and the error answers its declaration
// names), and every JSON body is validated (ajv, JSON Schema 2020-12) against the schema the
// document gives for that operation and status. An answer with a status the operation does not
// document, a body its schema refuses, an error body that is not the one `Error` shape, or an
// operation (or a declared status) left unexercised fails the test.
import assert from "node:assert/strict";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import formats from "ajv-formats";
import { generateSigningKey } from "../../src/attestation/mod.ts";
import { parseHallGatewayConfig } from "../../mcp/gateway/config.ts";
import { HallGateway } from "../../mcp/gateway/hall.ts";
import { definitionHash, MemoryPinStore, type ToolDefinition } from "../../mcp/gateway/pins.ts";
import { DEMO_WORKERS, EXAMPLE_RULES } from "../../src/hall/bootstrap.ts";
import { fileGateLoader } from "../../src/hall/gates.ts";
import { DECLARED } from "../../src/hall/openapi.ts";
import type { HallStore } from "../../src/hall/store/types.ts";
import { recordHashJcs } from "../../src/registry/mod.ts";
import { FIXTURE } from "../mcp/_gateway_helpers.ts";
import {
  APPROVER,
  HALL_TEST,
  routeInput,
  signedSubmission,
  type TestHall,
  testHall,
  type TestRequestInit,
  withHall,
} from "./_helpers.ts";

type Json = Record<string, unknown>;
interface Doc {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
}
interface DocOperation {
  method: string;
  template: string;
  pattern: RegExp;
  params: number;
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Json }> };
}

const BASE = "https://wcp.invalid/components/schemas/";

// The document's local references (`#/components/schemas/X`) as absolute ids ajv resolves.
function absolute(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(absolute);
  if (value === null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/")
      ? BASE + v.slice("#/components/schemas/".length)
      : absolute(v);
  }
  return out;
}

function excerpt(value: unknown): string {
  const s = JSON.stringify(value);
  return s.length > 600 ? `${s.slice(0, 600)}...` : s;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).slice(0, 8).map((e) =>
    `${e.instancePath || "/"} ${e.message ?? ""} ${
      e.keyword === "additionalProperties" ? JSON.stringify(e.params) : ""
    }`.trim()
  ).join("; ");
}

/** Calls operations of the document on a hall and checks each answer against it. */
class Checker {
  readonly ops: DocOperation[] = [];
  readonly covered = new Map<string, Set<string>>();
  readonly problems: string[] = [];
  private readonly ajv = new Ajv2020({ strict: true, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  readonly errorSchema: ValidateFunction;

  constructor(doc: Doc) {
    // ajv-formats is CommonJS: its plugin is the module's default export.
    const addFormats = (formats as unknown as { default: (a: Ajv2020) => void }).default;
    addFormats(this.ajv);
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      this.ajv.addSchema(absolute(schema) as Json, BASE + name);
    }
    this.errorSchema = this.ajv.getSchema(BASE + "Error")!;
    for (const [template, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const params = (template.match(/\{\w+\}/g) ?? []).length;
        const source = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(
          /\\?\{\w+\\?\}/g,
          "[^/]+",
        );
        this.ops.push({
          method,
          template,
          pattern: new RegExp(`^${source}$`),
          params,
          operationId: String(op.operationId),
          responses: op.responses as DocOperation["responses"],
          requestBody: op.requestBody as DocOperation["requestBody"],
        });
      }
    }
  }

  /** The operation serving `method path` (a literal segment wins over a parameter). */
  find(method: string, path: string): DocOperation | undefined {
    return this.ops.filter((o) => o.method === method && o.pattern.test(path))
      .sort((a, b) => a.params - b.params)[0];
  }

  private validator(key: string, schema: Json): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(absolute(schema) as Json);
      this.validators.set(key, v);
    }
    return v;
  }

  /**
   * `init.method ?? GET` on `path` through `h`, checked against the document; `expect` is the
   * status the scenario means to provoke (a different one is a problem too, so that coverage
   * means what it says). Returns the status and the parsed body (JSON answers).
   */
  async call(
    h: TestHall,
    path: string,
    expect: number,
    init: TestRequestInit = {},
    // deno-lint-ignore no-explicit-any
  ): Promise<{ status: number; body: any }> {
    const method = (init.method ?? "GET").toLowerCase();
    const res = await h.req(path, init);
    const pathname = new URL(path, "http://localhost").pathname;
    const op = this.find(method, pathname);
    const where = `${method.toUpperCase()} ${path} -> ${res.status}`;
    const type = (res.headers.get("content-type") ?? "").split(";")[0].trim();
    // deno-lint-ignore no-explicit-any
    let body: any = null;
    if (type === "text/event-stream") {
      const reader = res.body!.getReader();
      const first = await reader.read();
      body = new TextDecoder().decode(first.value);
      await reader.cancel();
    } else if (type === "application/json") {
      body = await res.json();
    } else {
      body = await res.text();
    }
    if (res.status !== expect) {
      this.problems.push(`${where}: the scenario expected ${expect}: ${excerpt(body)}`);
    }
    if (!op) {
      this.problems.push(`${where}: no operation of the document serves this path`);
      return { status: res.status, body };
    }
    const status = String(res.status);
    (this.covered.get(op.operationId) ?? this.covered.set(op.operationId, new Set()).get(
      op.operationId,
    )!).add(status);
    // A body the hall accepted is one the document's request schema accepts too.
    if (res.status < 300 && init.json !== undefined) {
      const schema = op.requestBody?.content["application/json"]?.schema;
      if (!schema) {
        this.problems.push(`${where}: ${op.operationId} documents no JSON request body`);
      } else {
        const v = this.validator(`${op.operationId} request`, schema);
        if (!v(init.json)) {
          this.problems.push(
            `${where}: the accepted body fails ${op.operationId}'s request schema: ${
              describeErrors(v.errors)
            }: ${excerpt(init.json)}`,
          );
        }
      }
    }
    const declared = op.responses[status];
    if (!declared) {
      this.problems.push(
        `${where}: ${op.operationId} does not document ${status}: ${excerpt(body)}`,
      );
      return { status: res.status, body };
    }
    const media = declared.content?.[type];
    if (!media) {
      this.problems.push(
        `${where}: ${op.operationId} ${status} is documented as ${
          Object.keys(declared.content ?? {}).join(", ") || "no content"
        }, answered ${type || "no content type"}`,
      );
      return { status: res.status, body };
    }
    if (type === "application/json") {
      const v = this.validator(`${op.operationId} ${status}`, media.schema);
      if (!v(body)) {
        this.problems.push(
          `${where}: ${op.operationId} ${status} body fails its schema: ${
            describeErrors(v.errors)
          }: ${excerpt(body)}`,
        );
      }
      // Every error member is the one Error shape (a refused attestation carries its result
      // beside it; every other error answer is exactly an Error, as its schema says).
      const isError = body !== null && typeof body === "object" && "error" in body;
      if (isError && !this.errorSchema({ error: body.error })) {
        this.problems.push(
          `${where}: error body fails the Error schema: ${
            describeErrors(this.errorSchema.errors)
          }: ${excerpt(body)}`,
        );
      }
      if (res.status >= 400 && !isError && !NON_ERROR_FAILURES.has(`${op.operationId} ${status}`)) {
        this.problems.push(`${where}: an error status without an error body: ${excerpt(body)}`);
      }
    }
    return { status: res.status, body };
  }
}

// Failure statuses whose body is a result, not an error: a denied dispatch is its decision, a
// degraded health is the health report, a failed worker call has its receipt.
const NON_ERROR_FAILURES = new Set(["dispatch 403", "dispatch 502", "getHealth 503"]);

const POST = "POST";
const RECORD_ID = "org.acme.sum.1";
const V1 = { "code/worker.py": "print('v1')\n" };
const V2 = { "code/worker.py": "print('v2')\n" };

function record(extra: Json = {}): Json {
  const r: Json = {
    worker_id: RECORD_ID,
    worker_species_id: "wrk.doc.summarizer",
    capabilities: ["cap.doc.summarize"],
    ...extra,
  };
  r.artifact_hash = recordHashJcs(r);
  return r;
}

// The main scenario: one hall, every operation with its success and declared error answers.
async function exercise(c: Checker): Promise<void> {
  const clock = { ms: Date.now() };
  let failWorker = false;
  const summarize = DEMO_WORKERS["org.demo.summarizer.1"];
  const h = await testHall({
    now: () => clock.ms,
    config: { approval_ttl_seconds: 60 },
    inProcessWorkers: {
      ...DEMO_WORKERS,
      "org.demo.summarizer.1": (call, context) => {
        if (failWorker) throw new Error("the worker failed (test)");
        return summarize(call, context);
      },
    },
  });
  try {
    // Discovery, and the common guards (no token, a namespace token on an admin operation).
    await c.call(h, "/wcp/health", 200, { token: null });
    await c.call(h, "/wcp/capabilities", 200);
    await c.call(h, "/wcp/capabilities", 401, { token: null });

    // Tenants: namespaces, tiers, tokens.
    const ns = await c.call(h, "/wcp/namespaces", 201, {
      method: POST,
      json: { namespace: "org.acme", tier: "free", owner: "acme" },
    });
    const owner = String(ns.body.token);
    await c.call(h, "/wcp/namespaces", 409, {
      method: POST,
      json: { namespace: "org.acme", tier: "free", owner: "acme" },
    });
    await c.call(h, "/wcp/namespaces", 400, { method: POST, json: { namespace: "acme" } });
    await c.call(h, "/wcp/namespaces", 403, {
      method: POST,
      token: owner,
      json: { namespace: "org.other", tier: "free", owner: "other" },
    });
    await c.call(h, "/wcp/namespaces", 200);
    await c.call(h, "/wcp/namespaces", 200, { token: owner });
    await c.call(h, "/wcp/namespaces/org.acme/tier", 200, {
      method: "PUT",
      json: { tier: "free" },
    });
    await c.call(h, "/wcp/namespaces/org.nobody/tier", 404, {
      method: "PUT",
      json: { tier: "free" },
    });
    await c.call(h, "/wcp/tiers", 200, { token: owner });
    await c.call(h, "/wcp/tiers/pro", 200, {
      method: "PUT",
      json: { max_workers: 10, requests_per_minute: 600 },
    });
    const tok = await c.call(h, "/wcp/tokens", 201, {
      method: POST,
      json: { role: "namespace", namespace: "org.acme", label: "ci" },
    });
    await c.call(h, "/wcp/tokens", 200);
    await c.call(h, `/wcp/tokens/${tok.body.token_id}/revoke`, 200, { method: POST });
    await c.call(h, `/wcp/tokens/${tok.body.token_id}/revoke`, 404, { method: POST });

    // Workers: enrol, read, update, attest, tamper, clear, revoke.
    await c.call(h, "/wcp/workers", 200);
    await c.call(h, "/wcp/workers?namespace=org.demo", 200, { token: owner });
    await c.call(h, "/wcp/workers/org.demo.summarizer.1", 200, { token: owner });
    await c.call(h, "/wcp/workers/org.nobody.w.1", 404);
    const key = await generateSigningKey({ namespace: "org.acme" });
    const rec = record({ public_keys: { [key.key_id]: key.public_key } });
    await c.call(h, "/wcp/workers", 201, { method: POST, token: owner, json: rec });
    await c.call(h, "/wcp/workers", 409, { method: POST, token: owner, json: rec });
    const { artifact_hash: _a, ...recBody } = rec;
    await c.call(h, `/wcp/workers/${RECORD_ID}`, 200, {
      method: "PUT",
      token: owner,
      json: recBody,
    });
    await c.call(h, "/wcp/workers/org.acme.none.1", 404, {
      method: "PUT",
      json: { ...recBody, worker_id: "org.acme.none.1" },
    });
    await c.call(h, `/wcp/workers/${RECORD_ID}/attestation`, 200, { token: owner });
    await c.call(h, "/wcp/workers/org.acme.none.1/attestation", 404);
    const good = await signedSubmission(key, RECORD_ID, V1);
    await c.call(h, `/wcp/workers/${RECORD_ID}/attestation`, 200, {
      method: POST,
      token: owner,
      json: good,
    });
    await c.call(h, `/wcp/workers/${RECORD_ID}/attestation`, 200, { token: owner });
    const forged = structuredClone(good);
    forged.manifest.signature_ed25519 = "0".repeat(128);
    await c.call(h, `/wcp/workers/${RECORD_ID}/attestation`, 422, {
      method: POST,
      token: owner,
      json: forged,
    });
    await c.call(h, "/wcp/workers/org.acme.none.1/attestation", 404, {
      method: POST,
      json: good,
    });
    // Other code, signed: verified but tampered (flagged), which clear-tamper resolves.
    const tampered = await c.call(h, `/wcp/workers/${RECORD_ID}/attestation`, 200, {
      method: POST,
      token: owner,
      json: await signedSubmission(key, RECORD_ID, V2),
    });
    assert.equal(tampered.body.tampered, true, excerpt(tampered.body));
    const clear = `/wcp/workers/${RECORD_ID}/clear-tamper`;
    await c.call(h, clear, 409, { method: POST, json: { note: "looking" } });
    await c.call(h, clear, 200, { method: POST, json: { register_current: true } });
    await c.call(h, clear, 409, { method: POST, json: {} });
    await c.call(h, "/wcp/workers/org.acme.none.1/clear-tamper", 404, { method: POST, json: {} });
    await c.call(h, clear, 403, { method: POST, token: owner, json: {} });
    await c.call(h, `/wcp/workers/${RECORD_ID}/revoke`, 200, { method: POST, token: owner });
    await c.call(h, `/wcp/workers/${RECORD_ID}/revoke`, 409, { method: POST, token: owner });
    await c.call(h, "/wcp/workers/org.acme.none.1/revoke", 404, { method: POST });
    await c.call(h, `/wcp/workers/${RECORD_ID}`, 409, {
      method: "PUT",
      token: owner,
      json: recBody,
    });

    // Decisions and dispatch.
    await c.call(h, "/wcp/route", 200, { method: POST, json: routeInput() });
    await c.call(h, "/wcp/route", 200, {
      method: POST,
      json: routeInput({ capability_id: "cap.msg.notify", trace: true }),
    });
    await c.call(h, "/wcp/route", 400, { method: POST, json: routeInput({ env: "moon" }) });
    await c.call(h, "/wcp/route", 400, { method: POST, json: [1, 2] });
    await c.call(h, "/wcp/route", 415, {
      method: POST,
      body: JSON.stringify(routeInput()),
      headers: { "content-type": "text/plain" },
    });
    await c.call(h, "/wcp/route", 403, { method: POST, token: owner, json: routeInput() });
    await c.call(h, "/wcp/dispatch", 200, { method: POST, json: routeInput() });
    await c.call(h, "/wcp/dispatch", 200, { method: POST, json: routeInput({ dry_run: true }) });
    await c.call(h, "/wcp/dispatch", 200, {
      method: POST,
      json: routeInput({ capability_id: "cap.msg.notify", dry_run: true }),
    });
    await c.call(h, "/wcp/dispatch", 403, {
      method: POST,
      json: routeInput({ capability_id: "cap.nothing.serves" }),
    });
    await c.call(h, "/wcp/dispatch", 403, { method: POST, token: owner, json: routeInput() });
    failWorker = true;
    await c.call(h, "/wcp/dispatch", 502, { method: POST, json: routeInput() });
    failWorker = false;
    const held = async (): Promise<string> => {
      const r = await c.call(h, "/wcp/dispatch", 202, {
        method: POST,
        json: routeInput({ capability_id: "cap.msg.notify" }),
      });
      return String(r.body.approval_id);
    };
    const a1 = await held();
    await c.call(h, "/wcp/dispatch", 404, { method: POST, json: { approval_id: "nope" } });
    await c.call(h, "/wcp/dispatch", 409, { method: POST, json: { approval_id: a1 } });

    // Approvals.
    await c.call(h, "/wcp/approvals/pending", 200);
    await c.call(h, "/wcp/approvals", 200);
    await c.call(h, "/wcp/approvals?status=pending", 200);
    await c.call(h, "/wcp/approvals?status=bogus", 400);
    await c.call(h, `/wcp/approvals/${a1}`, 200);
    await c.call(h, "/wcp/approvals/nope", 404);
    await c.call(h, "/wcp/approvals/pending", 403, { token: owner });
    const resolve = (id: string, status: number, decision = "approve") =>
      c.call(h, `/wcp/approvals/${id}/resolve`, status, {
        method: POST,
        token: APPROVER,
        json: { decision, note: "ok" },
      });
    await resolve(a1, 200);
    await resolve(a1, 409);
    await resolve("nope", 404);
    await c.call(h, "/wcp/dispatch", 200, { method: POST, json: { approval_id: a1 } });
    await c.call(h, "/wcp/dispatch", 409, { method: POST, json: { approval_id: a1 } });
    const a2 = await held();
    await c.call(h, `/wcp/approvals/${a2}/escalate`, 200, { method: POST, json: { note: "up" } });
    await c.call(h, "/wcp/approvals/nope/escalate", 404, { method: POST, json: {} });
    await resolve(a2, 200, "deny");
    await c.call(h, `/wcp/approvals/${a2}/escalate`, 409, { method: POST, json: {} });
    const a3 = await held();
    const a4 = await held();
    await resolve(a3, 200);
    clock.ms += 61_000; // past approval_ttl_seconds: a3's deadline to dispatch, a4's to resolve
    await c.call(h, "/wcp/dispatch", 410, { method: POST, json: { approval_id: a3 } });
    await resolve(a4, 410);

    // Ban list.
    const sha = "sha256:" + "ab".repeat(32);
    const sha2 = "cd".repeat(32);
    const report = (digest: string, status: number) =>
      c.call(h, "/wcp/ban-list/report", status, {
        method: POST,
        token: owner,
        json: { sha256: digest, reason: "malware", evidence_url: "https://example.test/a" },
      });
    await report(sha, 201);
    await report(sha, 200); // the same millisecond (the clock stands still): still the stored one
    await report(sha2, 201);
    await c.call(h, "/wcp/ban-list", 200);
    await c.call(h, "/wcp/ban-list?status=reported", 200, { token: owner });
    await c.call(h, `/wcp/ban-list/${sha}/confirm`, 200, { method: POST });
    await c.call(h, `/wcp/ban-list/${"ef".repeat(32)}/confirm`, 404, { method: POST });
    await c.call(h, `/wcp/ban-list/${sha}/confirm`, 403, { method: POST, token: owner });
    await c.call(h, `/wcp/ban-list/${sha2}/reject`, 200, { method: POST, json: { note: "fp" } });
    await c.call(h, `/wcp/ban-list/${sha}/reject`, 409, { method: POST, json: {} });
    await c.call(h, `/wcp/ban-list/${sha2}/lift`, 409, { method: POST, json: {} });
    await c.call(h, `/wcp/ban-list/${"ef".repeat(32)}/reject`, 404, { method: POST, json: {} });
    await c.call(h, `/wcp/ban-list/${sha}/lift`, 200, { method: POST, json: { note: "fixed" } });
    await c.call(h, `/wcp/ban-list/${"ef".repeat(32)}/lift`, 404, { method: POST, json: {} });
    await c.call(h, "/wcp/ban-list/nothex/lift", 400, { method: POST, json: {} });

    // Receipts (the dispatches above minted them for tenant acme).
    const receipts = await c.call(h, "/wcp/receipts?tenant_id=acme&limit=10", 200);
    await c.call(h, "/wcp/receipts?limit=0", 400);
    await c.call(h, "/wcp/receipts/tenants", 200);
    await c.call(h, "/wcp/receipts/verify", 200);
    await c.call(h, "/wcp/receipts/verify?tenant_id=acme", 200);
    await c.call(h, "/wcp/receipts/checkpoint", 201, { method: POST, json: { tenant_id: "acme" } });
    await c.call(h, "/wcp/receipts/checkpoint", 404, {
      method: POST,
      json: { tenant_id: "nobody" },
    });
    await c.call(h, "/wcp/receipts/checkpoints?tenant_id=acme", 200);
    await c.call(h, "/wcp/receipts/checkpoints", 400);
    const rid = String(receipts.body.receipts[0].receipt_id);
    await c.call(h, `/wcp/receipts/proof?tenant_id=acme&receipt_id=${rid}`, 200);
    await c.call(h, "/wcp/receipts/proof?tenant_id=acme&receipt_id=nope", 404);
    await c.call(h, "/wcp/receipts/consistency?tenant_id=acme&old_size=1", 200);
    await c.call(h, "/wcp/receipts/consistency?tenant_id=acme&old_size=x", 400);
    await c.call(h, "/wcp/receipts/key", 200);

    // Events and alerts (the tamper and the banned hash raised alerts).
    await c.call(h, "/wcp/events?events=decision,approval", 200);
    await c.call(h, "/wcp/events?events=nope", 400);
    await c.call(h, "/wcp/events", 400, { headers: { "last-event-id": "x" } });
    const streams: Response[] = [];
    try {
      for (let i = 0; i < 16; i++) streams.push(await h.req("/wcp/events", { token: owner }));
      assert.ok(streams.every((s) => s.status === 200));
      await c.call(h, "/wcp/events", 429, { token: owner });
    } finally {
      for (const s of streams) await s.body?.cancel();
    }
    const alerts = await c.call(h, "/wcp/alerts?open=true&limit=10", 200);
    await c.call(h, "/wcp/alerts?open=maybe", 400);
    assert.ok(alerts.body.alerts.length > 0, "the scenario raised alerts");
    await c.call(h, `/wcp/alerts/${alerts.body.alerts[0].alert_id}/ack`, 200, {
      method: POST,
      json: { note: "seen" },
    });
    await c.call(h, "/wcp/alerts/nope/ack", 404, { method: POST, json: {} });

    // Rules, policy gate, telemetry, replay, stats.
    await c.call(h, "/wcp/rules", 200, { token: owner });
    await c.call(h, "/wcp/rules/reload", 200, { method: POST, json: EXAMPLE_RULES });
    await c.call(h, "/wcp/rules/reload", 422, { method: POST, json: { rules: [{ id: 1 }] } });
    await c.call(h, "/wcp/rules/reload", 400, { method: POST, body: "{", headers: JSON_TYPE });
    await c.call(h, "/wcp/policy_gate", 200);
    await c.call(h, "/wcp/policy_gate/reload", 409, { method: POST });
    await c.call(h, "/wcp/telemetry?limit=5", 200);
    await c.call(h, "/wcp/telemetry?limit=5", 200, { token: owner });
    await c.call(h, "/wcp/telemetry?limit=0", 400);
    await c.call(h, "/wcp/telemetry?tenant_id=x.another", 403, { token: owner });
    await c.call(h, "/wcp/simulate", 200, { method: POST, json: { examples: 1 } });
    await c.call(h, "/wcp/simulate", 400, { method: POST, json: { limit: 0 } });
    await c.call(h, "/wcp/decision-records?limit=5", 200);
    await c.call(h, "/wcp/decision-records?limit=x", 400);
    await c.call(h, "/wcp/stats", 200);
    await c.call(h, "/wcp/stats", 200, { token: owner });
    await c.call(h, "/wcp/stats?since=yesterday", 400);

    // This hall mounts no gateway: its pins are not found.
    await c.call(h, "/wcp/gateway/pins", 404);

    // The last admin token cannot be revoked (the approver's goes first).
    const tokens = await c.call(h, "/wcp/tokens", 200);
    const adminIds = (tokens.body.tokens as Json[]).filter((t) =>
      t.role === "admin" && t.revoked_at === null
    ).map((t) => String(t.token_id));
    assert.equal(adminIds.length, 2, excerpt(tokens.body));
    const approverId = (tokens.body.tokens as Json[]).find((t) =>
      String(t.token_id).startsWith("tok_approver_")
    )!.token_id;
    await c.call(h, `/wcp/tokens/${approverId}/revoke`, 200, { method: POST });
    const last = adminIds.find((id) => id !== approverId)!;
    await c.call(h, `/wcp/tokens/${last}/revoke`, 409, { method: POST });
  } finally {
    await h.stop();
  }
}

const JSON_TYPE = { "content-type": "application/json" };

// Health while the store does not answer: 503 with the health report.
async function exerciseDegraded(c: Checker): Promise<void> {
  const h = await testHall();
  const store = h.store;
  const failing = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "ping") return () => Promise.resolve(false);
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as HallStore;
  try {
    await withHall({ store: failing }, async (d) => {
      await c.call(d, "/wcp/health", 503, { token: null });
    });
  } finally {
    await h.stop();
  }
}

// A hall with a hall.json policy gate: reloaded, then refused when the file is bad.
async function exerciseGateReload(c: Checker): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wcp-openapi-gate-" });
  try {
    const path = `${dir}/hall.json`;
    await Deno.writeTextFile(path, JSON.stringify({ policy_gate: { default: "ALLOW" } }));
    await withHall({ policyGate: undefined }, async (h) => {
      const hall = h.hall;
      const loader = fileGateLoader(path, () => ({ rules: hall.rules, now: hall.now }));
      hall.useGate(await loader(), loader);
      await c.call(h, "/wcp/policy_gate/reload", 200, { method: POST });
      await c.call(h, "/wcp/policy_gate", 200);
      await Deno.writeTextFile(path, JSON.stringify({ policy_gate: { default: "MAYBE" } }));
      await c.call(h, "/wcp/policy_gate/reload", 422, { method: POST });
      await c.call(h, "/wcp/policy_gate", 200);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// A hall whose gateway fronts the fixture upstream (a stdio subprocess) with a pin of `lookup`
// from an earlier start whose description differs: the definition now served is pending until an
// approver accepts it (listed, shown, refused with a stale hash, accepted, then no longer pending).
async function exerciseGatewayPins(c: Checker): Promise<void> {
  const earlier: ToolDefinition = {
    name: "lookup",
    description: "Look a word up, politely.",
    inputSchema: { type: "object", properties: { word: { type: "string" } }, required: ["word"] },
  };
  const pins = new MemoryPinStore();
  await pins.update((doc) => {
    doc.servers_seen.push("fx");
    doc.pins["fx.lookup"] = {
      hash: definitionHash(earlier),
      definition: earlier,
      pinned_at: new Date().toISOString(),
      how: "first_sight",
    };
  });
  const ref: { gateway?: HallGateway } = {};
  const h = await testHall({ gatewayPins: () => ref.gateway });
  try {
    const config = parseHallGatewayConfig({
      tenant: { tenant_id: "acme" },
      servers: { fx: { command: "deno", args: ["run", FIXTURE] } },
    }, ".");
    ref.gateway = await HallGateway.start(h.hall, config, { pins });
    const view = await c.call(h, "/wcp/gateway/pins", 200);
    const pending = (view.body.pending as Json[]).find((p) => p.key === "fx.lookup");
    assert.ok(pending, excerpt(view.body));
    assert.equal(pending.previous_hash, definitionHash(earlier));
    const key = "/wcp/gateway/pins/fx.lookup";
    const shown = await c.call(h, key, 200);
    assert.equal(shown.body.hash, pending.hash);
    await c.call(h, "/wcp/gateway/pins/fx.nothing", 404);
    await c.call(h, key, 403, { token: await ownerToken(c, h) });
    const stale = "sha256:" + "0".repeat(64);
    await c.call(h, `${key}/accept`, 409, { method: POST, json: { hash: stale } });
    const accepted = await c.call(h, `${key}/accept`, 200, {
      method: POST,
      token: APPROVER,
      json: { hash: pending.hash, note: "reviewed the diff" },
    });
    assert.equal(accepted.body.hash, pending.hash);
    await c.call(h, `${key}/accept`, 404, { method: POST, json: { hash: pending.hash } });
    const after = await c.call(h, "/wcp/gateway/pins", 200);
    const pin = (after.body.pins as Json[]).find((p) => p.key === "fx.lookup");
    assert.equal(pin?.hash, pending.hash, excerpt(after.body));
    assert.equal(pin?.how, "accepted");
  } finally {
    await ref.gateway?.close();
    await h.stop();
  }
}

// A namespace token on this hall (admin operations refuse it).
async function ownerToken(c: Checker, h: TestHall): Promise<string> {
  const ns = await c.call(h, "/wcp/namespaces", 201, {
    method: POST,
    json: { namespace: "org.gw", tier: "free", owner: "gw" },
  });
  return String(ns.body.token);
}

Deno.test({
  name:
    "openapi: every operation answers what /openapi.json documents (status, media type, schema)",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    let doc: Doc;
    try {
      const res = await h.req("/openapi.json", { token: null });
      assert.equal(res.status, 200);
      doc = await res.json();
    } finally {
      await h.stop();
    }
    const c = new Checker(doc);
    await exercise(c);
    await exerciseDegraded(c);
    await exerciseGateReload(c);
    await exerciseGatewayPins(c);

    // Coverage: every operation answered, with a success and every status it declares itself.
    for (const op of c.ops) {
      const seen = c.covered.get(op.operationId) ?? new Set<string>();
      if (![...seen].some((s) => s.startsWith("2"))) {
        c.problems.push(`${op.operationId} (${op.method} ${op.template}): no success answer seen`);
      }
    }
    // The statuses each declaration names itself (not the common guards every operation lists).
    for (const op of DECLARED) {
      const seen = c.covered.get(op.operationId) ?? new Set<string>();
      for (const s of Object.keys(op.responses)) {
        if (!seen.has(s)) {
          c.problems.push(`${op.operationId}: its declared ${s} answer was not exercised`);
        }
      }
    }
    assert.deepEqual(c.problems, [], `\n${c.problems.join("\n")}`);
    assert.ok(c.ops.length >= 49, `${c.ops.length} operations`);
  },
});
