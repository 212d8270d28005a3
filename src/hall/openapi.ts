/**
 * The OpenAPI 3.1 document of the hall API, served at `/openapi.json`, generated from the route
 * declarations (`routes/_declare.ts`): each operation's `operationId`, parameters, request body
 * and one schema per response come from the same zod schemas the routes validate with, converted
 * by zod's `z.toJSONSchema`; shared shapes (RouteInput, RouteDecision, Receipt, Error, ...) are
 * components (`api_schemas.ts`).
 *
 * @module
 */

import { z } from "zod";
import { COMPONENTS, ErrorBody } from "./api_schemas.ts";
import type { Operation, OperationAuth } from "./routes/_declare.ts";
import { approvalOps } from "./routes/approvals.ts";
import { banOps } from "./routes/bans.ts";
import { decideOps } from "./routes/decide.ts";
import { discoveryOps } from "./routes/discovery.ts";
import { eventOps } from "./routes/events.ts";
import { gatewayOps } from "./routes/gateway.ts";
import { receiptOps } from "./routes/receipts.ts";
import { ruleOps } from "./routes/rules.ts";
import { simulateOps } from "./routes/simulate.ts";
import { statsOps } from "./routes/stats.ts";
import { tenantOps } from "./routes/tenants.ts";
import { workerOps } from "./routes/workers.ts";

/** One documented operation (what the route declarations say). */
export interface ApiOperation {
  method: "get" | "post" | "put";
  path: string;
  operationId: string;
  summary: string;
  auth: OperationAuth;
  tag: string;
}

/** Every declared operation, in document order (a test checks each is served). */
export const DECLARED: readonly Operation[] = [
  discoveryOps,
  decideOps,
  workerOps,
  banOps,
  tenantOps,
  approvalOps,
  receiptOps,
  eventOps,
  ruleOps,
  simulateOps,
  statsOps,
  gatewayOps,
].flatMap((group) => Object.values(group) as Operation[]);

/** Every route of the API. */
export const OPERATIONS: readonly ApiOperation[] = DECLARED.map((op) => ({
  method: op.method,
  path: op.path,
  operationId: op.operationId,
  summary: op.summary,
  auth: op.auth,
  tag: op.tag,
}));

// Answers any operation may give (the guards in front of every route).
const COMMON: Record<number, string> = {
  400: "Invalid body, query, path or header; `error.path` names the field",
  401: "Missing or unknown bearer token",
  403: "Forbidden (role, namespace, tenant, tier, origin)",
  413: "Body too large",
  429: "Rate limited; see Retry-After",
  500: "Internal error (nothing internal is shown)",
  503: "The store is unavailable (STORE_UNAVAILABLE)",
};

// What each tag groups (the document's tag descriptions; a tag missing here is named as is).
const TAGS: Record<string, string> = {
  discovery: "Health, capabilities and the workers a caller may see (spec 5.6)",
  decisions: "Decide a RouteInput, and dispatch it to the selected worker",
  workers: "Enrol, update, revoke and attest workers",
  "ban list": "Report, confirm, reject and lift banned package hashes",
  tenants: "Signatory namespaces, their tokens and tiers",
  approvals: "Human approvals of held requests (spec 5.8)",
  receipts: "Signed evidence receipts, chain verification, Merkle checkpoints and proofs",
  events: "Live Server-Sent Events and alerts",
  rules: "Rules in force, the policy gate, telemetry, replay and stats",
  gateway: "Tool-definition pins of the MCP gateway mounted at /mcp: pending changes with " +
    "their diffs, and their acceptance by an approver (receipted)",
};

type Json = Record<string, unknown>;

function clean(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** Build the document. */
export function openApiDocument(): Record<string, unknown> {
  // One registry: the components by name, then each operation's own schemas under temporary
  // ids (inlined into the operation afterwards); references between them become $refs.
  const registry = z.registry<{ id: string }>();
  const ids = new Map<z.ZodType, string>();
  const inline = new Set<string>();
  for (const [name, schema] of Object.entries(COMPONENTS)) {
    registry.add(schema, { id: name });
    ids.set(schema, name);
  }
  const idOf = (schema: z.ZodType, id: string): string => {
    const known = ids.get(schema);
    if (known) return known;
    registry.add(schema, { id });
    ids.set(schema, id);
    inline.add(id);
    return id;
  };
  const uri = (id: string) => `#/components/schemas/${id}`;
  type Slot = { op: Operation; body?: string; query?: string; params?: string; res: string[] };
  const slots: Slot[] = DECLARED.map((op) => {
    const body = op.bodyDoc ?? op.body;
    return {
      op,
      ...(body ? { body: idOf(body, `${op.operationId}_body`) } : {}),
      ...(op.query ? { query: idOf(op.query, `${op.operationId}_query`) } : {}),
      ...(op.params ? { params: idOf(op.params, `${op.operationId}_params`) } : {}),
      res: Object.entries(op.responses).map(([status, r]) =>
        idOf(r.schema, `${op.operationId}_${status}`)
      ),
    };
  });
  const input = (z.toJSONSchema(registry, { uri, io: "input", unrepresentable: "any" }) as {
    schemas: Record<string, Json>;
  }).schemas;
  const output = (z.toJSONSchema(registry, { uri, io: "output", unrepresentable: "any" }) as {
    schemas: Record<string, Json>;
  }).schemas;
  const ref = (id: string, io: "input" | "output"): Json =>
    inline.has(id) ? clean((io === "input" ? input : output)[id]) : { $ref: uri(id) };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const { op, body, query, params, res } of slots) {
    const parameters: Json[] = [];
    const addParams = (id: string | undefined, where: "path" | "query") => {
      if (!id) return;
      const s = clean(input[id]);
      const props = (s.properties ?? {}) as Record<string, Json>;
      const required = new Set((s.required ?? []) as string[]);
      for (const [name, schema] of Object.entries(props)) {
        const { description, ...rest } = schema;
        parameters.push({
          name,
          in: where,
          required: where === "path" || required.has(name),
          ...(typeof description === "string" ? { description } : {}),
          schema: rest,
        });
      }
    };
    addParams(params, "path");
    // Path parameters the declaration leaves out are still documented (strings).
    for (const m of op.path.matchAll(/\{(\w+)\}/g)) {
      if (!parameters.some((p) => p.name === m[1] && p.in === "path")) {
        parameters.push({ name: m[1], in: "path", required: true, schema: { type: "string" } });
      }
    }
    addParams(query, "query");
    for (const [name, description] of Object.entries(op.headers ?? {})) {
      parameters.push({
        name,
        in: "header",
        required: false,
        description,
        schema: { type: "string" },
      });
    }
    const responses: Record<string, unknown> = {};
    Object.entries(op.responses).forEach(([status, r], i) => {
      responses[status] = {
        description: r.description,
        content: { [r.contentType ?? "application/json"]: { schema: ref(res[i], "output") } },
      };
    });
    for (const [status, description] of Object.entries(COMMON)) {
      if (responses[status]) continue;
      if (op.auth === "public" && (status === "401" || status === "429")) continue;
      responses[status] = {
        description,
        content: { "application/json": { schema: { $ref: uri(ids.get(ErrorBody)!) } } },
      };
    }
    // An empty body reads as {}: the body is optional when {} is a valid one (by the schema the
    // document shows; the validator of a route the core checks accepts any object).
    const bodyOptional = body !== undefined && (op.bodyDoc ?? op.body)!.safeParse({}).success;
    if (body !== undefined && !responses["415"]) {
      responses["415"] = {
        description: "UNSUPPORTED_MEDIA_TYPE: a body that is not application/json",
        content: { "application/json": { schema: { $ref: uri(ids.get(ErrorBody)!) } } },
      };
    }
    (paths[op.path] ??= {})[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      ...(op.auth === "public" ? { security: [] } : {}),
      ...(op.auth === "admin" ? { "x-wcp-auth": "admin" } : { "x-wcp-auth": op.auth }),
      ...(parameters.length ? { parameters } : {}),
      ...(body
        ? {
          requestBody: {
            required: !bodyOptional,
            content: { "application/json": { schema: ref(body, "input") } },
          },
        }
        : {}),
      responses,
    };
  }
  const schemas: Record<string, Json> = {};
  for (const name of Object.keys(COMPONENTS)) schemas[name] = clean(output[name]);
  return {
    openapi: "3.1.0",
    info: {
      title: "WCP Hall API",
      version: "1.0.0",
      description:
        "Worker Class Protocol 0.1 hall (@wcp/core). Errors: {error:{code,message,path?}}. " +
        "A namespace token (org.x, x.y) acts as the tenant of the same name: it decides, " +
        "dispatches and reads receipts, telemetry and events for that tenant only (403 " +
        "TENANT_FORBIDDEN otherwise); admin tokens act for every tenant. Operations marked " +
        "`x-wcp-auth: admin` need an admin token.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [
      { url: "/", description: "the spec's paths (/wcp/...)" },
      { url: "/v1", description: "the same API under its explicit version" },
    ],
    tags: [...new Set(DECLARED.map((o) => o.tag))].map((name) => ({
      name,
      description: TAGS[name] ?? name,
    })),
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas,
    },
    security: [{ bearer: [] }],
    paths,
  };
}
