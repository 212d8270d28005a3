/**
 * The hall's policy gates at its edge: loading (the table, Cedar through
 * `@cedar-policy/cedar-wasm`, a webhook), the webhook's POST, its answer cache, and running a gate
 * before the core decides.
 *
 * The core keeps a synchronous gate: {@linkcode decideWithGate} learns whether the decision needs
 * the gate by deciding once with a recording gate (a rule without `escalation.policy_gate`, or a
 * request denied earlier, never calls it: one decision, no gate call), asks the async gate, then
 * decides again with a gate that returns that answer. The answer is recorded on the decision
 * (`policy_gate`), so a replay with the recorded answer gives the same decision.
 *
 * Cedar's wasm is loaded with a static `import()` of the package's ESM build: Deno compiles the
 * `.wasm` as a module of the graph (from its npm cache), so the hall needs no read permission on
 * the cache; and a hall without a Cedar gate never loads it.
 *
 * @module
 */

import { bundledCatalogData } from "../catalog/catalog.ts";
import { canonicalJson } from "../encoding/canonical_json.ts";
import { WcpError } from "../errors.ts";
import {
  cedarCatalogIndex,
  type CedarEngine,
  type CedarRequestExtras,
  cedarSchema,
  compileCedarGate,
} from "../gates/cedar.ts";
import {
  coreGateValue,
  type GateAnswer,
  gateFailure,
  type GateRecord,
  gateRecord,
  type GateType,
} from "../gates/types.ts";
import {
  parseWebhookAnswer,
  signWebhook,
  WEBHOOK_MIN_SECRET_BYTES,
  webhookBody,
  webhookCacheKey,
} from "../gates/webhook.ts";
import type { RouteDecision } from "../model.ts";
import type { PolicyContext, PolicyGateFn, PolicyGateResult } from "../decision/policy.ts";
import type { RuleSet } from "../rules/mod.ts";
import {
  type CedarGateConfig,
  compileGate,
  matchGateRule,
  parseHallFileConfig,
  type PolicyGateConfig,
  type WebhookGateConfig,
} from "./file_config.ts";
import { readBoundedText } from "./_read_bounded.ts";

/** A gate ready to answer. */
export interface LoadedGate {
  /** Which kind. */
  type: GateType;
  /** The version its answers carry by default. */
  policy_version: string;
  /** For status: what was loaded (no secrets). */
  info: Record<string, unknown>;
  /** Synchronous gates (table, Cedar, a function). */
  sync?: (ctx: PolicyContext, extras: CedarRequestExtras) => GateAnswer;
  /** Asynchronous gates (webhook); never rejects (failures are fail-closed answers). */
  ask?: (ctx: PolicyContext, extras: CedarRequestExtras) => Promise<
    { answer: GateAnswer; cached: boolean }
  >;
}

/** What loading a gate needs. */
export interface GateLoadContext {
  /** hall.json's directory (relative files resolve against it). */
  configDir: string;
  /** The rules in force (their capability ids join the Cedar schema). */
  rules: RuleSet;
  /** Clock (ms). */
  now: () => number;
  /** Environment lookup (default `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

function invalid(path: string, message: string): never {
  throw new WcpError("POLICY_GATE_INVALID", path, message);
}

function resolveIn(dir: string, file: string): string {
  return file.startsWith("/") ? file : `${dir}/${file}`;
}

let cedarModule: Promise<CedarEngine> | undefined;

/** Load the Cedar engine once (the package's ESM build; the wasm is a module of the graph). */
export function loadCedarEngine(): Promise<CedarEngine> {
  cedarModule ??= import("@cedar-policy/cedar-wasm").then((m) => m as unknown as CedarEngine);
  return cedarModule;
}

function ruleCapabilities(rules: RuleSet): string[] {
  const out = new Set<string>();
  for (const r of rules.rules) {
    const c = r.match.capability_id;
    if (typeof c === "string") out.add(c);
    else if (c && "in" in c) c.in.forEach((x) => out.add(x));
    else if (c && "eq" in c) out.add(c.eq);
  }
  return [...out].filter((id) => id.startsWith("cap."));
}

async function loadCedar(cfg: CedarGateConfig, lc: GateLoadContext): Promise<LoadedGate> {
  let text: string;
  let source = "policy_gate.policies";
  if (cfg.policies_file !== undefined) {
    const path = resolveIn(lc.configDir, cfg.policies_file);
    source = path;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      invalid(
        "policy_gate.policies_file",
        `cannot read ${path}: ${e instanceof Error ? e.message : e}`,
      );
    }
  } else text = cfg.policies!;
  const engine = await loadCedarEngine();
  const catalog = bundledCatalogData();
  const gate = compileCedarGate(engine, {
    text,
    schema: cedarSchema(catalog, ruleCapabilities(lc.rules)),
    index: cedarCatalogIndex(catalog),
    policy_version: cfg.policy_version,
    source,
  });
  return {
    type: "cedar",
    policy_version: gate.policy_version,
    info: {
      type: "cedar",
      policy_version: gate.policy_version,
      policies: gate.policies.map((p) => ({
        id: p.id,
        effect: p.effect,
        ...(p.require_human !== undefined ? { require_human: p.require_human } : {}),
        line: p.line,
      })),
      ...(cfg.policies_file ? { policies_file: cfg.policies_file } : {}),
    },
    sync: (ctx, extras) => gate.evaluate(ctx, extras),
  };
}

async function webhookSecret(cfg: WebhookGateConfig, lc: GateLoadContext): Promise<Uint8Array> {
  let secret: string | undefined;
  let path: string;
  if (cfg.secret_env !== undefined) {
    path = "policy_gate.secret_env";
    try {
      secret = (lc.env ?? ((n) => Deno.env.get(n)))(cfg.secret_env);
    } catch (e) {
      invalid(path, `cannot read ${cfg.secret_env}: ${e instanceof Error ? e.message : e}`);
    }
    if (secret === undefined || secret === "") invalid(path, `${cfg.secret_env} is not set`);
  } else {
    path = "policy_gate.secret_file";
    const file = resolveIn(lc.configDir, cfg.secret_file!);
    try {
      secret = (await Deno.readTextFile(file)).trim();
    } catch (e) {
      invalid(path, `cannot read ${file}: ${e instanceof Error ? e.message : e}`);
    }
  }
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < WEBHOOK_MIN_SECRET_BYTES) {
    invalid(
      path,
      `the webhook secret must be at least ${WEBHOOK_MIN_SECRET_BYTES} bytes (it has ${bytes.length})`,
    );
  }
  return bytes;
}

const MAX_ANSWER_BYTES = 64 * 1024;

async function loadWebhook(cfg: WebhookGateConfig, lc: GateLoadContext): Promise<LoadedGate> {
  const secret = await webhookSecret(cfg, lc);
  const url = new URL(cfg.url);
  if (!lc.fetch) {
    const state = Deno.permissions.querySync({ name: "net", host: url.host }).state;
    if (state !== "granted") {
      invalid("policy_gate.url", `no network permission for ${url.host} (grant --allow-net)`);
    }
  }
  const doFetch = lc.fetch ?? fetch;
  const version = cfg.policy_version;
  const cache = new Map<string, { answer: GateAnswer; until: number }>();
  const ask = async (ctx: PolicyContext, extras: CedarRequestExtras) => {
    const workers = extras.candidate_workers ?? [];
    const key = webhookCacheKey(ctx, workers);
    const now = lc.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) return { answer: hit.answer, cached: true };
    if (hit) cache.delete(key);
    const answer = await post(ctx, workers, now);
    const ttl = answer.error_code ? 0 : answer.cache_ttl_seconds ?? 0;
    if (ttl > 0 && cfg.cache_max_entries > 0) {
      if (cache.size >= cfg.cache_max_entries) cache.delete(cache.keys().next().value!);
      cache.set(key, { answer, until: now + ttl * 1000 });
    }
    return { answer, cached: false };
  };
  const post = async (
    ctx: PolicyContext,
    workers: readonly string[],
    now: number,
  ): Promise<GateAnswer> => {
    const body = webhookBody(ctx, {
      request_id: crypto.randomUUID(),
      sent_at: new Date(now).toISOString(),
      candidate_workers: workers,
    });
    const signal = AbortSignal.timeout(cfg.timeout_ms);
    let text: string;
    try {
      const res = await doFetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "wcp-signature": signWebhook(secret, body, Math.floor(now / 1000)),
        },
        body,
        redirect: "manual",
        signal,
      });
      if (res.status < 200 || res.status > 299) {
        await res.body?.cancel().catch(() => {});
        return gateFailure("GATE_HTTP_STATUS", `the webhook answered HTTP ${res.status}`, version);
      }
      const read = await readBoundedText(res, MAX_ANSWER_BYTES);
      if (read === null) {
        return {
          decision: "DENY",
          policy_version: version,
          reason: `policy_gate_answer_invalid: (answer): larger than ${MAX_ANSWER_BYTES} bytes`,
          determining_policies: [],
          error_code: "GATE_ANSWER_INVALID",
          invalid: {
            path: "(answer)",
            message: `larger than ${MAX_ANSWER_BYTES} bytes`,
            answer: null,
          },
        };
      }
      text = read;
    } catch (e) {
      if (signal.aborted) {
        return gateFailure("GATE_TIMEOUT", `no answer within ${cfg.timeout_ms} ms`, version);
      }
      const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
      return gateFailure("GATE_UNREACHABLE", `the webhook could not be reached: ${why}`, version);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return {
        decision: "DENY",
        policy_version: version,
        reason: "policy_gate_answer_invalid: (answer): not JSON",
        determining_policies: [],
        error_code: "GATE_ANSWER_INVALID",
        invalid: { path: "(answer)", message: "not JSON", answer: text.slice(0, 200) },
      };
    }
    return parseWebhookAnswer(raw, version);
  };
  return {
    type: "webhook",
    policy_version: version,
    info: {
      type: "webhook",
      url: `${url.origin}${url.pathname}`,
      timeout_ms: cfg.timeout_ms,
      policy_version: version,
      cache_max_entries: cfg.cache_max_entries,
    },
    ask,
  };
}

/**
 * Load the gate `policy_gate` describes (undefined: no gate). Throws `WcpError`
 * `POLICY_GATE_INVALID` naming the field, or the Cedar policy and its position.
 */
export async function loadGate(
  cfg: PolicyGateConfig | undefined,
  lc: GateLoadContext,
): Promise<LoadedGate | undefined> {
  if (cfg === undefined) return undefined;
  if (cfg.type === "cedar") return await loadCedar(cfg, lc);
  if (cfg.type === "webhook") return await loadWebhook(cfg, lc);
  const fn = compileGate(cfg);
  return {
    type: "table",
    policy_version: cfg.policy_version,
    info: { type: "table", policy_version: cfg.policy_version, rule_count: cfg.rules.length },
    sync: (ctx) => {
      const i = matchGateRule(cfg, ctx);
      return { ...fn(ctx), determining_policies: i >= 0 ? [`policy_gate.rules[${i}]`] : [] };
    },
  };
}

/** A decision with the record of the gate that answered it. */
export type GatedDecision = RouteDecision & { policy_gate?: GateRecord };

// What the recording pass hands the core: any well-formed answer (the decision is discarded).
const PROBE: PolicyGateResult = { decision: "DENY", policy_version: "probe", reason: "probe" };

/**
 * Decide with a gate: `make` runs the core with the synchronous gate it is given. Sync gates
 * answer in place; async gates are asked between a recording pass and the real one. The
 * decision gets `policy_gate` (the record) when the gate was consulted.
 */
export async function decideWithGate(
  gate: LoadedGate,
  extrasOf: (ctx: PolicyContext) => CedarRequestExtras,
  make: (policyGate: PolicyGateFn) => RouteDecision,
): Promise<GatedDecision> {
  let record: GateRecord | undefined;
  const stamp = (d: RouteDecision): GatedDecision => {
    if (record) (d as GatedDecision).policy_gate = record;
    return d;
  };
  if (gate.sync) {
    const sync = gate.sync;
    const d = make((ctx) => {
      const a = sync(ctx, extrasOf(ctx));
      record = gateRecord(gate.type, a, false);
      return coreGateValue(a) as PolicyGateResult;
    });
    return stamp(d);
  }
  let asked: PolicyContext | undefined;
  const first = make((ctx) => {
    asked = ctx;
    return PROBE;
  });
  if (asked === undefined) return first;
  const ctx0 = asked;
  const { answer, cached } = await gate.ask!(ctx0, extrasOf(ctx0));
  const key = canonicalJson(ctx0);
  const d = make((ctx) => {
    // The registry may change while the gate is asked; an answer to another question is not used.
    const a = canonicalJson(ctx) === key ? answer : gateFailure(
      "GATE_CONTEXT_CHANGED",
      "the request's context changed while the gate was consulted",
      gate.policy_version,
    );
    record = gateRecord(gate.type, a, a === answer && cached);
    return coreGateValue(a) as PolicyGateResult;
  });
  return stamp(d);
}

/** What a gate is told beyond the core's context: the matched rule's candidate species. */
export function gateExtras(rules: RuleSet, ctx: PolicyContext): CedarRequestExtras {
  const rule = rules.rules.find((r) => r.rule_id === ctx.matched_rule_id);
  return {
    candidate_workers: rule
      ? rule.decision.candidate_workers_ranked.map((c) => c.worker_species_id)
      : [],
  };
}

/**
 * How a hall re-loads its gate from `hall.json` (its `policy_gate`, and the Cedar policy file or
 * webhook secret it names), against the rules in force at that moment.
 */
export function fileGateLoader(
  configPath: string,
  context: () => Omit<GateLoadContext, "configDir">,
): () => Promise<LoadedGate | undefined> {
  const configDir = configPath.includes("/")
    ? configPath.slice(0, configPath.lastIndexOf("/"))
    : ".";
  return async () => {
    let doc: unknown;
    try {
      doc = JSON.parse(await Deno.readTextFile(configPath));
    } catch (e) {
      invalid("", `cannot read ${configPath}: ${e instanceof Error ? e.message : e}`);
    }
    let cfg;
    try {
      cfg = parseHallFileConfig(doc);
    } catch (e) {
      if (e instanceof WcpError) invalid(e.path, `${configPath}: ${e.message}`);
      throw e;
    }
    return await loadGate(cfg.policy_gate, { ...context(), configDir });
  };
}
