/**
 * RouteInput validation (docs/protocol/decisions.md#invalid-input) and the input hashes
 * (docs/protocol/hashes.md#artifact-hash). Private: the public names are re-exported by
 * `router.ts`.
 *
 * @module
 */

import type { RouteInput } from "../model.ts";
import { DATA_LABELS, ENVS, QOS_CLASSES, TENANT_RISKS } from "../model.ts";
import { plainJsonJcs, plainJsonProblem } from "../encoding/plain_json.ts";
import {
  asciiBytes,
  bytesDigest,
  bytesMark,
  bytesPut,
  bytesPutBytes,
  bytesPutJsonString,
  bytesReset,
  sha256HexOfString,
} from "../encoding/sha256.ts";
import { pyJsonDumps } from "../encoding/py_json.ts";

/** A validated, normalised RouteInput (defaults applied) plus its canonical forms. */
export interface ValidInput extends
  Pick<
    RouteInput,
    | "correlation_id"
    | "tenant_id"
    | "env"
    | "data_label"
    | "tenant_risk"
    | "qos_class"
    | "capability_id"
  > {
  request: Record<string, unknown>;
  policy_version: string;
  dry_run: boolean;
  blast_score: number | null;
  blast_radius: Record<string, unknown> | null;
  privilege_context: Record<string, unknown> | null;
  parent_decision_id: string | null;
  task_id: string | null;
  /** JCS text of `request`. */
  requestJcs: string;
  /** JCS text of `blast_radius` / `privilege_context` when present. */
  blastRadiusJcs: string | null;
  privilegeContextJcs: string | null;
}

/** One offending field. */
export interface FieldError {
  field: string;
  message: string;
}

export type InputCheck =
  | { ok: true; input: ValidInput }
  | { ok: false; errors: FieldError[] };

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// The allowed values as a message shows them, joined once.
const ONE_OF = new Map<readonly string[], string>(
  [ENVS, DATA_LABELS, TENANT_RISKS, QOS_CLASSES].map((a) => [a, a.join("|")]),
);

function enumValue<T extends string>(
  v: unknown,
  field: string,
  allowed: readonly T[],
  errors: FieldError[],
): T {
  if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
  const oneOf = ONE_OF.get(allowed) ?? allowed.join("|");
  errors.push({
    field,
    message: v === undefined
      ? `${field} is required (one of ${oneOf})`
      : `${field} must be one of ${oneOf}, got ${shown(v)}`,
  });
  return allowed[0];
}

function shown(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 64 ? v.slice(0, 64) + "…" : v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  return typeOf(v);
}

function requiredString(
  v: unknown,
  field: string,
  nonEmpty: boolean,
  errors: FieldError[],
): string {
  if (typeof v === "string") {
    if (nonEmpty && v.length === 0) errors.push({ field, message: `${field} must not be empty` });
    else if (!v.isWellFormed()) errors.push({ field, message: `${field} ${LONE_SURROGATE}` });
    return v;
  }
  errors.push({
    field,
    message: v === undefined || v === null
      ? `${field} is required`
      : `${field} must be a string, got ${typeOf(v)}`,
  });
  return "";
}

const LONE_SURROGATE = "must be well-formed Unicode (it holds a lone surrogate)";

// Why a value the hot-path writer refused is not plain JSON (docs/protocol/hashes.md#plain-json),
// naming the offending value's path as the field (slow path: only runs for a denial).
function notJson(v: unknown, field: string): FieldError {
  const p = plainJsonProblem(v, field);
  return {
    field: p.path,
    message: `${p.path} must be plain JSON (objects, arrays, strings, finite numbers, booleans, ` +
      `null): ${p.reason}`,
  };
}

// A string field that is optional: absent/null is fine, anything else must be a well-formed
// (and, when `nonEmpty`, non-empty) string.
function optionalString(
  v: unknown,
  field: string,
  nonEmpty: boolean,
  errors: FieldError[],
): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string" || (nonEmpty && v.length === 0)) {
    errors.push({
      field,
      message: nonEmpty
        ? `${field} must be a non-empty string`
        : `${field} must be a string, got ${typeOf(v)}`,
    });
    return null;
  }
  if (!v.isWellFormed()) {
    errors.push({ field, message: `${field} ${LONE_SURROGATE}` });
    return null;
  }
  return v;
}

// Shared "absent" answer: callers destructure it at once, so sharing it is safe.
const NONE: [null, null] = [null, null];

function optionalObject(
  v: unknown,
  field: string,
  errors: FieldError[],
): [Record<string, unknown> | null, string | null] {
  if (v === undefined || v === null) return NONE;
  if (!isObject(v)) {
    errors.push({ field, message: `${field} must be an object, got ${typeOf(v)}` });
    return [null, null];
  }
  const j = plainJsonJcs(v);
  if (j === undefined) {
    errors.push(notJson(v, field));
    return [null, null];
  }
  return [v, j];
}

/**
 * Validate a RouteInput. Collects every offending field (in a fixed order) rather than stopping
 * at the first. Unknown keys are ignored (and not hashed).
 */
export function checkRouteInput(raw: unknown): InputCheck {
  if (!isObject(raw)) {
    return {
      ok: false,
      errors: [{
        field: "input",
        message: `a RouteInput must be a JSON object, got ${typeOf(raw)}`,
      }],
    };
  }
  const errors: FieldError[] = [];
  // Direct property reads (not raw[name]) keep these loads monomorphic on the hot path.
  const capability_id = requiredString(raw.capability_id, "capability_id", true, errors);
  const env = enumValue(raw.env, "env", ENVS, errors);
  const data_label = enumValue(raw.data_label, "data_label", DATA_LABELS, errors);
  const tenant_risk = enumValue(raw.tenant_risk, "tenant_risk", TENANT_RISKS, errors);
  const qos_class = enumValue(raw.qos_class, "qos_class", QOS_CLASSES, errors);
  const tenant_id = requiredString(raw.tenant_id, "tenant_id", false, errors);
  const correlation_id = requiredString(raw.correlation_id, "correlation_id", false, errors);

  let request: Record<string, unknown> = EMPTY_REQUEST;
  let requestJcs = "{}";
  const rq = requestOf(raw, errors);
  if (rq !== undefined) {
    if (!isObject(rq)) {
      errors.push({ field: "request", message: `request must be an object, got ${typeOf(rq)}` });
    } else {
      const j = plainJsonJcs(rq);
      if (j === undefined) errors.push(notJson(rq, "request"));
      else {
        request = rq;
        requestJcs = j;
      }
    }
  }

  const policy_version = optionalString(raw.policy_version, "policy_version", true, errors) ??
    "policy.v0";

  let dry_run = false;
  const dr = raw.dry_run;
  if (dr !== undefined && dr !== null) {
    if (typeof dr !== "boolean") {
      errors.push({ field: "dry_run", message: `dry_run must be a boolean, got ${typeOf(dr)}` });
    } else dry_run = dr;
  }

  let blast_score: number | null = null;
  const bs = raw.blast_score;
  if (bs !== undefined && bs !== null) {
    if (typeof bs !== "number" || !Number.isInteger(bs) || bs < 0 || bs > 100) {
      errors.push({
        field: "blast_score",
        message: `blast_score must be an integer in [0, 100], got ${shown(bs)}`,
      });
    } else blast_score = bs;
  }

  const [blast_radius, blastRadiusJcs] = optionalObject(raw.blast_radius, "blast_radius", errors);
  const [privilege_context, privilegeContextJcs] = optionalObject(
    raw.privilege_context,
    "privilege_context",
    errors,
  );

  const parent_decision_id = optionalString(
    raw.parent_decision_id,
    "parent_decision_id",
    true,
    errors,
  );
  const task_id = optionalString(raw.task_id, "task_id", false, errors);
  optionalString(raw.tenant_credential, "tenant_credential", false, errors);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    input: {
      correlation_id,
      tenant_id,
      env,
      data_label,
      tenant_risk,
      qos_class,
      capability_id,
      request,
      policy_version,
      dry_run,
      blast_score,
      blast_radius,
      privilege_context,
      parent_decision_id,
      task_id,
      requestJcs,
      blastRadiusJcs,
      privilegeContextJcs,
    },
  };
}

const EMPTY_REQUEST: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

// `request` as a data property of the input: a getter could answer the hash and a later read
// (the one that passes the request on) differently. `undefined` when absent or refused.
function requestOf(raw: Record<string, unknown>, errors: FieldError[]): unknown {
  const d = Object.getOwnPropertyDescriptor(raw, "request");
  if (d === undefined) {
    if (!("request" in raw)) return undefined;
    errors.push({
      field: "request",
      message: "request must be plain JSON: it is inherited, not the input's own property",
    });
    return undefined;
  }
  if (!("value" in d)) {
    errors.push({
      field: "request",
      message: "request must be plain JSON: it is a getter or setter (plain JSON has data " +
        "properties only)",
    });
    return undefined;
  }
  return d.value;
}

/**
 * The two decision digests, `[artifact_hash, request_hash]` as bare hex. The JCS text of the
 * normalised input is written straight into the hash buffer (no intermediate string): the fields
 * below in JCS (sorted) order; `request`, `policy_version` and `dry_run` always (defaults applied);
 * the other optionals only when set. `tenant_credential` is never included (a secret has no place
 * in evidence). `request_hash` is the digest of the `request` bytes inside that same text.
 */
export function inputDigests(i: ValidInput): [string, string] {
  bytesReset();
  if (i.blastRadiusJcs !== null) {
    bytesPutBytes(F.blastRadius);
    bytesPut(i.blastRadiusJcs);
    bytesPutBytes(F.comma);
  } else bytesPutBytes(F.open);
  if (i.blast_score !== null) {
    bytesPutBytes(F.blastScore);
    bytesPut(String(i.blast_score));
    bytesPutBytes(F.comma);
  }
  bytesPutBytes(F.capabilityId);
  bytesPutJsonString(i.capability_id);
  bytesPutBytes(F.correlationId);
  bytesPutJsonString(i.correlation_id);
  bytesPutBytes(F.dataLabel[i.data_label]);
  bytesPutBytes(i.dry_run ? F.dryRunTrue : F.dryRunFalse);
  bytesPutBytes(F.env[i.env]);
  if (i.parent_decision_id !== null) {
    bytesPutBytes(F.parentDecisionId);
    bytesPutJsonString(i.parent_decision_id);
  }
  bytesPutBytes(F.policyVersion);
  bytesPutJsonString(i.policy_version);
  if (i.privilegeContextJcs !== null) {
    bytesPutBytes(F.privilegeContext);
    bytesPut(i.privilegeContextJcs);
  }
  bytesPutBytes(F.qosRequest[i.qos_class]);
  const requestStart = bytesMark();
  bytesPut(i.requestJcs);
  const requestEnd = bytesMark();
  if (i.task_id !== null) {
    bytesPutBytes(F.taskId);
    bytesPutJsonString(i.task_id);
  }
  bytesPutBytes(F.tenantId);
  bytesPutJsonString(i.tenant_id);
  bytesPutBytes(F.tenantRisk[i.tenant_risk]);
  // The outer digest first: digesting the inner range clobbers the bytes after it.
  const artifact = bytesDigest(0, bytesMark());
  return [artifact, bytesDigest(requestStart, requestEnd)];
}

function fragments<T extends string>(
  values: readonly T[],
  f: (v: T) => string,
): Record<T, Uint8Array> {
  const out = {} as Record<T, Uint8Array>;
  for (const v of values) out[v] = asciiBytes(f(v));
  return out;
}

// The constant parts of the canonical input, pre-encoded (keys in JCS order).
const F = {
  open: asciiBytes("{"),
  comma: asciiBytes(","),
  blastRadius: asciiBytes('{"blast_radius":'),
  blastScore: asciiBytes('"blast_score":'),
  capabilityId: asciiBytes('"capability_id":'),
  correlationId: asciiBytes(',"correlation_id":'),
  dataLabel: fragments(DATA_LABELS, (v) => `,"data_label":"${v}"`),
  dryRunTrue: asciiBytes(',"dry_run":true'),
  dryRunFalse: asciiBytes(',"dry_run":false'),
  env: fragments(ENVS, (v) => `,"env":"${v}"`),
  parentDecisionId: asciiBytes(',"parent_decision_id":'),
  policyVersion: asciiBytes(',"policy_version":'),
  privilegeContext: asciiBytes(',"privilege_context":'),
  qosRequest: fragments(QOS_CLASSES, (v) => `,"qos_class":"${v}","request":`),
  taskId: asciiBytes(',"task_id":'),
  tenantId: asciiBytes(',"tenant_id":'),
  tenantRisk: fragments(TENANT_RISKS, (v) => `,"tenant_risk":"${v}"}`),
};

/**
 * The decision's `artifact_hash` (docs/protocol/hashes.md#artifact-hash): `sha256:` + SHA-256 of
 * the JCS form of the validated RouteInput (defaults `request: {}`, `policy_version: "policy.v0"`,
 * `dry_run: false` applied; unset optionals and unknown keys omitted; `tenant_credential` never
 * included). Returns null when the input is not a valid RouteInput.
 *
 * @example
 * ```ts
 * import { routeInputHash } from "@wcp/core";
 * const base = { correlation_id: "c", tenant_id: "t", env: "dev", data_label: "PUBLIC",
 *   tenant_risk: "low", qos_class: "P2", capability_id: "cap.a.b" };
 * routeInputHash(base) === routeInputHash({ ...base, request: {}, dry_run: false }); // true
 * routeInputHash({ env: "production" }); // null
 * ```
 */
export function routeInputHash(input: unknown): string | null {
  const c = checkRouteInput(input);
  return c.ok ? "sha256:" + inputDigests(c.input)[0] : null;
}

/**
 * The decision's `request_hash`: `sha256:` + SHA-256 of the JCS form of `request` (absent means
 * `{}`). This is what evidence receipts carry as spec 5.7's `artifact_hash`. Null when `request` is
 * not a plain JSON object (docs/protocol/hashes.md#plain-json: a Date, Map, class instance, getter,
 * cycle…).
 *
 * @example
 * ```ts
 * import { requestHash } from "@wcp/core";
 * requestHash({ b: 1, a: 2 }) === requestHash({ a: 2, b: 1 }); // true
 * requestHash([1]); // null
 * ```
 */
export function requestHash(request: unknown): string | null {
  const r = request === undefined ? {} : request;
  if (!isObject(r)) return null;
  const j = plainJsonJcs(r);
  return j === undefined ? null : "sha256:" + sha256HexOfString(j);
}

const PY_FIELDS = [
  "blast_radius",
  "blast_score",
  "capability_id",
  "correlation_id",
  "data_label",
  "dry_run",
  "env",
  "privilege_context",
  "qos_class",
  "request",
  "tenant_credential",
  "tenant_id",
  "tenant_risk",
] as const;

/**
 * The Python reference's `artifact_hash` (docs/protocol/hashes.md#python-artifact-hash), bare
 * lowercase hex: SHA-256 of `json.dumps(model_dump, sort_keys=True, default=str)` over its 13
 * RouteInput fields (absent optionals as `null`, `request` as `{}`, `dry_run` as `false`), Python
 * separators and ASCII escaping. Fields the reference does not model are ignored. Wrap floats that
 * Python holds as floats in `PyFloat` (a JavaScript `1.0` is indistinguishable from `1`).
 *
 * @example
 * ```ts
 * import { artifactHashPyCompat } from "@wcp/core";
 * artifactHashPyCompat({ capability_id: "cap.hello.greet", env: "dev", data_label: "PUBLIC",
 *   tenant_risk: "low", qos_class: "P2", tenant_id: "test-tenant",
 *   correlation_id: "00000000-0000-4000-8000-000000000000" });
 * // "b91bee2913d0d05c1d638024e723075f52b88476f7471fd73b867686ca527988" (vector A)
 * ```
 */
export function artifactHashPyCompat(input: Partial<RouteInput> | Record<string, unknown>): string {
  const src = input as Record<string, unknown>;
  const dump: Record<string, unknown> = {};
  for (const f of PY_FIELDS) dump[f] = src[f] ?? null;
  if (dump.request === null) dump.request = {};
  if (dump.dry_run === null) dump.dry_run = false;
  return sha256HexOfString(pyJsonDumps(dump));
}
