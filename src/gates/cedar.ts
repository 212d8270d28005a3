/**
 * The Cedar policy gate, without the Cedar engine: the schema generated from the catalog, the
 * Cedar request built from a decision's gate context, and the mapping of Cedar's answer onto the
 * gate's `ALLOW` / `DENY` / `REQUIRE_HUMAN`. The engine (`@cedar-policy/cedar-wasm`) is passed in
 * by the caller (the hall loads it at its edge, the playground lazily), so this module does no
 * I/O and loads no wasm.
 *
 * The Cedar model, namespace `WCP`:
 * - principal `WCP::Tenant::"<tenant_id>"` with attribute `risk` (the request's tenant_risk);
 * - action `WCP::Action::"<capability_id>"`, member of `WCP::Action::"domain:<domain>"` and (for
 *   catalog capabilities) `WCP::Action::"risk:<tier>"`;
 * - resource `WCP::Environment::"<env>"` (an enumerated entity type: dev, stage, prod, edge);
 * - context `{ data_label: WCP::DataLabel, tenant_risk, qos_class, blast_score, matched_rule_id,
 *   policy_version, candidate_workers: Set<WCP::Worker> }`; a `WCP::Worker` (a species of the
 *   matched rule's candidates) has `risk_tier` (the catalog's, or `unknown`).
 *
 * `permit` maps to ALLOW and `forbid` to DENY (forbid wins; no permit: DENY). A policy annotated
 * `@require_human("<supervisor level>")` (or `@require_human` alone: the rule's level) holds for a
 * human instead: a satisfied annotated `permit` turns ALLOW into REQUIRE_HUMAN, a satisfied
 * annotated `forbid` turns what would otherwise be ALLOW into REQUIRE_HUMAN (an unannotated
 * forbid still denies). A policy's id is its `@id("...")` annotation, else `policy<N>` (its
 * position in the file, from 0). A policy that errors while evaluating denies (fail closed).
 *
 * @module
 */

import { WcpError } from "../errors.ts";
import { sha256Hex } from "../encoding/hash.ts";
import { DATA_LABELS, ENVS, SUPERVISOR_LEVELS, type SupervisorLevel } from "../model.ts";
import type { PolicyContext } from "../decision/policy.ts";
import type { GateAnswer } from "./types.ts";

/** The Cedar namespace of the generated schema. */
export const CEDAR_NAMESPACE = "WCP";

// ---- the engine's surface (a structural subset of @cedar-policy/cedar-wasm) ----

/** A Cedar entity reference. */
export interface CedarUid {
  /** Entity type, e.g. `WCP::Tenant`. */
  type: string;
  /** Entity id. */
  id: string;
}

/** A Cedar error as the engine reports it. */
export interface CedarDetailedError {
  /** What. */
  message: string;
  /** A hint, when the engine has one. */
  help?: string | null;
  /** Where, as offsets into the policy text. */
  sourceLocations?: { start: number; end: number }[];
}

/** A Cedar entity as JSON. */
export interface CedarEntity {
  /** Its uid. */
  uid: CedarUid;
  /** Attributes. */
  attrs: Record<string, unknown>;
  /** Parents. */
  parents: CedarUid[];
}

/** The functions of `@cedar-policy/cedar-wasm` this module uses. */
export interface CedarEngine {
  /** Validate policies against a schema. */
  validate(call: {
    schema: unknown;
    policies: { staticPolicies: string };
    validationSettings?: { mode: "strict" };
  }): {
    type: "success" | "failure";
    errors?: CedarDetailedError[];
    validationErrors?: { policyId: string; error: CedarDetailedError }[];
  };
  /** Split a policy set into its policies (sorted by id as text: policy0, policy1, policy10, …). */
  policySetTextToParts(text: string): {
    type: "success" | "failure";
    policies?: string[];
    policy_templates?: string[];
    errors?: CedarDetailedError[];
  };
  /** One policy as JSON. */
  policyToJson(policy: string): {
    type: "success" | "failure";
    json?: { effect: "permit" | "forbid"; annotations?: Record<string, string | null> };
    errors?: CedarDetailedError[];
  };
  /** Parse a policy set once and keep it (in the engine's memory) under `id`. */
  preparsePolicySet(id: string, policies: { staticPolicies: Record<string, string> }): {
    type: "success" | "failure";
    errors?: CedarDetailedError[];
  };
  /** Authorize one request against a preparsed policy set. */
  statefulIsAuthorized(call: {
    principal: CedarUid;
    action: CedarUid;
    resource: CedarUid;
    context: Record<string, unknown>;
    preparsedPolicySetId: string;
    entities: CedarEntity[];
  }): {
    type: "success" | "failure";
    response?: {
      decision: "allow" | "deny";
      diagnostics: { reason: string[]; errors: { policyId: string; error: CedarDetailedError }[] };
    };
    errors?: CedarDetailedError[];
  };
}

// ---- schema ----

/** What the schema and requests read from the catalog (a `CatalogData` fits). */
export interface CedarCatalog {
  /** Catalog entries: capabilities (actions) and species (workers) with their risk tiers. */
  entries: readonly { id: string; type: string; risk_tier?: string }[];
}

const CONTEXT_TYPE = {
  type: "Record",
  attributes: {
    data_label: { type: "Entity", name: "DataLabel" },
    tenant_risk: { type: "String" },
    qos_class: { type: "String" },
    blast_score: { type: "Long" },
    matched_rule_id: { type: "String" },
    policy_version: { type: "String" },
    candidate_workers: { type: "Set", element: { type: "Entity", name: "Worker" } },
  },
};

/** The domain of a capability id: its second segment (`cap.doc.summarize` → `doc`). */
function domainOf(capabilityId: string): string {
  const parts = capabilityId.split(".");
  return parts.length > 2 ? parts[1] : "gov";
}

/**
 * The Cedar schema (JSON form) generated from the catalog: every catalog capability (and each of
 * `extraCapabilities`, e.g. the capability ids the rules name) is an action, grouped by
 * `domain:<domain>` and `risk:<tier>`; tenants, workers, data labels and environments are entity
 * types.
 *
 * @example
 * ```ts
 * import { bundledCatalogData } from "@wcp/core";
 * import { cedarSchema } from "@wcp/core/gates";
 * const s = cedarSchema(bundledCatalogData(), ["cap.acme.custom"]);
 * "cap.doc.summarize" in s.WCP.actions; // true
 * ```
 */
export function cedarSchema(
  catalog: CedarCatalog,
  extraCapabilities: readonly string[] = [],
): { WCP: { entityTypes: Record<string, unknown>; actions: Record<string, unknown> } } {
  const actions: Record<string, unknown> = {};
  const groups = new Set<string>();
  const context = CONTEXT_TYPE;
  const add = (id: string, tier: string | undefined) => {
    if (id in actions) return;
    const memberOf = [{ id: `domain:${domainOf(id)}` }];
    groups.add(`domain:${domainOf(id)}`);
    if (tier) {
      memberOf.push({ id: `risk:${tier}` });
      groups.add(`risk:${tier}`);
    }
    actions[id] = {
      memberOf,
      appliesTo: { principalTypes: ["Tenant"], resourceTypes: ["Environment"], context },
    };
  };
  for (const e of catalog.entries) if (e.type === "capability") add(e.id, e.risk_tier);
  for (const id of extraCapabilities) add(id, undefined);
  for (const g of groups) actions[g] = {};
  return {
    [CEDAR_NAMESPACE]: {
      entityTypes: {
        Tenant: { shape: { type: "Record", attributes: { risk: { type: "String" } } } },
        Worker: { shape: { type: "Record", attributes: { risk_tier: { type: "String" } } } },
        Environment: { enum: [...ENVS] },
        DataLabel: { enum: [...DATA_LABELS] },
      },
      actions,
    },
  };
}

// ---- requests ----

/** What the Cedar request needs beyond the gate context. */
export interface CedarRequestExtras {
  /** Species of the matched rule's candidates (the context's `candidate_workers`). */
  candidate_workers?: readonly string[];
}

/** A Cedar request (engine-independent). */
export interface CedarRequest {
  /** The tenant. */
  principal: CedarUid;
  /** The capability. */
  action: CedarUid;
  /** The environment. */
  resource: CedarUid;
  /** The context record. */
  context: Record<string, unknown>;
  /** The tenant, the action (with its groups) and the candidate workers. */
  entities: CedarEntity[];
}

/** Catalog facts the request builder looks up (risk tiers of capabilities and species). */
export interface CedarCatalogIndex {
  /** Risk tier per capability or species id. */
  riskTier: ReadonlyMap<string, string>;
}

/**
 * Index the catalog for {@linkcode cedarRequest}.
 *
 * @example
 * ```ts
 * import { bundledCatalogData } from "@wcp/core";
 * import { cedarCatalogIndex } from "@wcp/core/gates";
 * cedarCatalogIndex(bundledCatalogData()).riskTier.get("cap.doc.summarize"); // "low"
 * ```
 */
export function cedarCatalogIndex(catalog: CedarCatalog): CedarCatalogIndex {
  const riskTier = new Map<string, string>();
  for (const e of catalog.entries) if (e.risk_tier) riskTier.set(e.id, e.risk_tier);
  return { riskTier };
}

const T = (name: string) => `${CEDAR_NAMESPACE}::${name}`;

/**
 * Build the Cedar request for one gate context. Pure and deterministic: the same context gives
 * the same request.
 *
 * @example
 * ```ts
 * import { bundledCatalogData } from "@wcp/core";
 * import { cedarCatalogIndex, cedarRequest } from "@wcp/core/gates";
 * const r = cedarRequest({ capability_id: "cap.doc.summarize", tenant_id: "acme", env: "prod",
 *   data_label: "RESTRICTED", tenant_risk: "low", qos_class: "P2", policy_version: "policy.v0",
 *   blast_score: 12, matched_rule_id: "r1" }, cedarCatalogIndex(bundledCatalogData()));
 * r.resource; // { type: "WCP::Environment", id: "prod" }
 * ```
 */
export function cedarRequest(
  ctx: PolicyContext,
  index: CedarCatalogIndex,
  extras: CedarRequestExtras = {},
): CedarRequest {
  const action = { type: T("Action"), id: ctx.capability_id };
  const principal = { type: T("Tenant"), id: ctx.tenant_id };
  const parents = [{ type: T("Action"), id: `domain:${domainOf(ctx.capability_id)}` }];
  const tier = index.riskTier.get(ctx.capability_id);
  if (tier) parents.push({ type: T("Action"), id: `risk:${tier}` });
  const workers = [...new Set(extras.candidate_workers ?? [])];
  return {
    principal,
    action,
    resource: { type: T("Environment"), id: ctx.env },
    context: {
      data_label: { __entity: { type: T("DataLabel"), id: ctx.data_label } },
      tenant_risk: ctx.tenant_risk,
      qos_class: ctx.qos_class,
      blast_score: ctx.blast_score,
      matched_rule_id: ctx.matched_rule_id,
      policy_version: ctx.policy_version,
      candidate_workers: workers.map((id) => ({ __entity: { type: T("Worker"), id } })),
    },
    entities: [
      { uid: principal, attrs: { risk: ctx.tenant_risk }, parents: [] },
      { uid: action, attrs: {}, parents },
      ...workers.map((id) => ({
        uid: { type: T("Worker"), id },
        attrs: { risk_tier: index.riskTier.get(id) ?? "unknown" },
        parents: [],
      })),
    ],
  };
}

// ---- loading policies ----

/** One loaded Cedar policy. */
export interface CedarPolicyInfo {
  /** Its id (`@id` annotation, else `policy<N>`). */
  id: string;
  /** `permit` or `forbid`. */
  effect: "permit" | "forbid";
  /** Set for `@require_human`: the level, or `null` for the rule's. */
  require_human?: SupervisorLevel | null;
  /** Where it starts: 1-based line and column in the policy text. */
  line: number;
  /** 1-based column. */
  column: number;
}

/** A compiled Cedar gate. */
export interface CedarGate {
  /** The policies, in text order. */
  policies: CedarPolicyInfo[];
  /** The version stamped on answers (configured, else `cedar:` + 12 hex of the text's SHA-256). */
  policy_version: string;
  /** Answer one gate context. Never throws: a Cedar failure is a fail-closed DENY. */
  evaluate(ctx: PolicyContext, extras?: CedarRequestExtras): GateAnswer;
}

/** Options of {@linkcode compileCedarGate}. */
export interface CedarGateOptions {
  /** The policy text. */
  text: string;
  /** The schema to validate against (see {@linkcode cedarSchema}). */
  schema: unknown;
  /** Catalog facts for requests. */
  index: CedarCatalogIndex;
  /** The version stamped on answers. */
  policy_version?: string;
  /** Name of the policy source in error messages (default `policies`). */
  source?: string;
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1, column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      column = 1;
    } else column++;
  }
  return { line, column };
}

// Start offset of each policy in text order: the engine gives no offsets for parts, so find each
// part's text after the previous one (parts are the source text, trimmed).
function partOffsets(text: string, parts: string[]): number[] {
  const out: number[] = [];
  let from = 0;
  for (const p of parts) {
    const at = text.indexOf(p, from);
    out.push(at < 0 ? from : at);
    if (at >= 0) from = at + p.length;
  }
  return out;
}

function fail(path: string, message: string): never {
  throw new WcpError("POLICY_GATE_INVALID", path, message);
}

const RESERVED = "__wcp_";
let compilations = 0;
const PERMIT_ALL = "permit(principal, action, resource);";

function firstLine(s: string): string {
  return s.split("\n")[0];
}

/**
 * Parse, check and compile a Cedar policy set against the schema. Throws `WcpError`
 * `POLICY_GATE_INVALID` whose path names the policy (`policies[<id>]`) and whose message gives
 * the line and column, for a syntax error, a schema validation error, a duplicate `@id`, or a
 * `@require_human` value that is not a supervisor level.
 *
 * @example
 * ```ts ignore
 * import * as cedar from "@cedar-policy/cedar-wasm";
 * import { bundledCatalogData } from "@wcp/core";
 * import { cedarCatalogIndex, cedarSchema, compileCedarGate } from "@wcp/core/gates";
 * const cat = bundledCatalogData();
 * const gate = compileCedarGate(cedar, { text: "permit(principal, action, resource);",
 *   schema: cedarSchema(cat), index: cedarCatalogIndex(cat) });
 * ```
 */
export function compileCedarGate(engine: CedarEngine, options: CedarGateOptions): CedarGate {
  const { text, schema, index } = options;
  const src = options.source ?? "policies";
  const where = (offset: number) => {
    const { line, column } = lineCol(text, offset);
    return `${src}:${line}:${column}`;
  };
  const split = engine.policySetTextToParts(text);
  if (split.type !== "success") {
    const e = split.errors?.[0];
    const at = e?.sourceLocations?.[0]?.start ?? 0;
    fail("policies", `${where(at)}: ${firstLine(e?.message ?? "cannot parse the policies")}`);
  }
  if ((split.policy_templates ?? []).length > 0) {
    fail("policies", "templates are not supported (only static policies)");
  }
  // Parts come sorted by their generated id as text (policy0, policy1, policy10, …).
  const sortedIds = (split.policies ?? []).map((_, i) => `policy${i}`).sort();
  const parts: string[] = [];
  (split.policies ?? []).forEach((p, k) => parts[Number(sortedIds[k].slice(6))] = p);
  const offsets = partOffsets(text, parts);
  const policies: CedarPolicyInfo[] = [];
  const idOf = new Map<string, string>(); // generated id -> public id
  const seen = new Set<string>();
  const textOf: Record<string, string> = {};
  parts.forEach((p, i) => {
    const j = engine.policyToJson(p);
    const pos = lineCol(text, offsets[i]);
    if (j.type !== "success" || !j.json) {
      fail(`policies[policy${i}]`, `${where(offsets[i])}: cannot read the policy`);
    }
    const ann = j.json.annotations ?? {};
    const id = typeof ann.id === "string" && ann.id !== "" ? ann.id : `policy${i}`;
    if (seen.has(id)) fail(`policies[${id}]`, `${where(offsets[i])}: duplicate policy id '${id}'`);
    if (id.startsWith(RESERVED)) {
      fail(`policies[${id}]`, `${where(offsets[i])}: ids starting with ${RESERVED} are reserved`);
    }
    seen.add(id);
    idOf.set(`policy${i}`, id);
    const info: CedarPolicyInfo = { id, effect: j.json.effect, ...pos };
    if ("require_human" in ann) {
      const level = ann.require_human;
      if (level === null || level === "") info.require_human = null;
      else if ((SUPERVISOR_LEVELS as readonly string[]).includes(level)) {
        info.require_human = level as SupervisorLevel;
      } else {
        fail(
          `policies[${id}]`,
          `${where(offsets[i])}: @require_human("${level}") is not a supervisor level ` +
            `(${SUPERVISOR_LEVELS.join(", ")})`,
        );
      }
    }
    policies.push(info);
    textOf[id] = p;
  });
  const v = engine.validate({
    schema,
    policies: { staticPolicies: text },
    validationSettings: { mode: "strict" },
  });
  if (v.type !== "success") {
    const e = v.errors?.[0];
    fail(
      "policies",
      `the schema or policies could not be validated: ${e?.message ?? "unknown error"}`,
    );
  }
  const ve = v.validationErrors ?? [];
  if (ve.length > 0) {
    const first = ve[0];
    const id = idOf.get(first.policyId) ?? first.policyId;
    const at = first.error.sourceLocations?.[0]?.start;
    const loc = at === undefined ? where(offsets[Number(first.policyId.slice(6))] ?? 0) : where(at);
    const others = new Set(ve.map((e) => idOf.get(e.policyId) ?? e.policyId));
    others.delete(id);
    const more = others.size > 0 ? ` (also failing: ${[...others].join(", ")})` : "";
    // (Cedar names the policy by its generated id and one of the actions it checked against.)
    const message = firstLine(first.error.message).replace(/^for policy `[^`]*`, /, "")
      .replace(/ for WCP::Action::"[^"]*"/, "");
    fail(
      `policies[${id}]`,
      `${loc}: policy '${id}' fails schema validation: ${message}` +
        (first.error.help ? ` (${first.error.help})` : "") + more,
    );
  }
  const version = options.policy_version ?? `cedar:${sha256Hex(text).slice(0, 12)}`;
  const byId = new Map(policies.map((p) => [p.id, p]));
  // The set Cedar decides with, and the annotated forbids with a permit-all beside them: a deny
  // of that set names the satisfied ones (they hold for a human when nothing else forbids). The
  // policies go to the engine as their text (its JSON form would round Long literals).
  const main: Record<string, string> = {};
  const holds: Record<string, string> = { [`${RESERVED}permit_all`]: PERMIT_ALL };
  for (const p of policies) {
    if (p.effect === "forbid" && p.require_human !== undefined) holds[p.id] = textOf[p.id];
    else main[p.id] = textOf[p.id];
  }
  const hasHolds = Object.keys(holds).length > 1;
  // Parsed once (a set's text parsed per request costs ~25 µs a policy). The engine keeps each
  // set for the life of the process: one pair per compilation (per reload).
  const setId = `wcp-gate-${++compilations}-${version}`;
  for (const [suffix, set] of [["main", main], ["holds", holds]] as const) {
    const r = engine.preparsePolicySet(`${setId}-${suffix}`, { staticPolicies: set });
    if (r.type !== "success") {
      fail("policies", `cannot load the policies: ${firstLine(r.errors?.[0]?.message ?? "")}`);
    }
  }
  const levelRank = (l: SupervisorLevel) => SUPERVISOR_LEVELS.indexOf(l);

  const evaluate = (ctx: PolicyContext, extras?: CedarRequestExtras): GateAnswer => {
    const req = cedarRequest(ctx, index, extras);
    const run = (set: "main" | "holds") => {
      try {
        return engine.statefulIsAuthorized({ ...req, preparsedPolicySetId: `${setId}-${set}` });
      } catch (e) {
        return { type: "failure" as const, errors: [{ message: String(e) }] };
      }
    };
    const failure = (message: string, ids: string[] = []): GateAnswer => ({
      decision: "DENY",
      policy_version: version,
      reason: `policy_gate_evaluation_error: ${message}`,
      determining_policies: ids,
      error_code: "GATE_EVALUATION_ERROR",
    });
    const r = run("main");
    if (r.type !== "success" || !r.response) {
      return failure(firstLine(r.errors?.[0]?.message ?? "cedar failed"));
    }
    const errs = r.response.diagnostics.errors;
    if (errs.length > 0) {
      const ids = errs.map((e) => e.policyId);
      return failure(`policy '${ids[0]}': ${firstLine(errs[0].error.message)}`, ids);
    }
    const reasons = r.response.diagnostics.reason;
    if (r.response.decision === "deny") {
      return {
        decision: "DENY",
        policy_version: version,
        reason: reasons.length
          ? `cedar: forbidden by ${reasons.join(", ")}`
          : "cedar: no permit policy applies",
        determining_policies: reasons,
      };
    }
    const holding = reasons.filter((id) => byId.get(id)?.require_human !== undefined);
    if (hasHolds) {
      const h = run("holds");
      if (h.type !== "success" || !h.response) {
        return failure(firstLine(h.errors?.[0]?.message ?? "cedar failed"));
      }
      if (h.response.diagnostics.errors.length > 0) {
        const ids = h.response.diagnostics.errors.map((e) => e.policyId);
        return failure(
          `policy '${ids[0]}': ${firstLine(h.response.diagnostics.errors[0].error.message)}`,
          ids,
        );
      }
      if (h.response.decision === "deny") holding.push(...h.response.diagnostics.reason);
    }
    if (holding.length > 0) {
      const levels = holding.map((id) => byId.get(id)!.require_human).filter((l) => l != null);
      const answer: GateAnswer = {
        decision: "REQUIRE_HUMAN",
        policy_version: version,
        reason: `cedar: a human must approve (${holding.join(", ")})`,
        determining_policies: holding,
      };
      if (levels.length > 0) {
        answer.supervisor_level = levels.reduce((a, b) => levelRank(b!) > levelRank(a!) ? b : a)!;
      }
      return answer;
    }
    return {
      decision: "ALLOW",
      policy_version: version,
      reason: `cedar: permitted by ${reasons.join(", ")}`,
      determining_policies: reasons,
    };
  };
  return { policies, policy_version: version, evaluate };
}
