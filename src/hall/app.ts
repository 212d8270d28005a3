/**
 * `createHallApp`: the hall's Hono application over a store. Guards first (Host/Origin, CORS,
 * body size, bearer token, rate limit), then the routes by concern, then a global error handler
 * that answers `{error:{code,message,path?}}` and never a stack trace.
 *
 * @module
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { SigningKey } from "../attestation/mod.ts";
import type { HallConfig } from "../config.ts";
import type { PolicyGate, PolicyGateFn } from "../decision/policy.ts";
import { parseRules, type RuleSet } from "../rules/mod.ts";
import { WcpError } from "../errors.ts";
import { ClientAbortError, isClientAbort } from "./_body.ts";
import type { HallEnv } from "./_http.ts";
import { type HallPeers, linkPeers } from "./cluster.ts";
import { HttpError } from "./errors.ts";
import { effectiveConfig, Hall } from "./hall.ts";
import { openApiDocument } from "./openapi.ts";
import { ReceiptService } from "./receipt_service.ts";
import { approvalRoutes } from "./routes/approvals.ts";
import { banRoutes } from "./routes/bans.ts";
import { decideRoutes } from "./routes/decide.ts";
import { discoveryRoutes, healthRoute } from "./routes/discovery.ts";
import { eventRoutes, StreamWatch } from "./routes/events.ts";
import { receiptRoutes } from "./routes/receipts.ts";
import { withRouteFastLane } from "./route_fast_lane.ts";
import { ruleRoutes } from "./routes/rules.ts";
import { simulateRoutes } from "./routes/simulate.ts";
import { statsRoutes } from "./routes/stats.ts";
import { tenantRoutes } from "./routes/tenants.ts";
import { workerRoutes } from "./routes/workers.ts";
import { type GatewayPinsPort, gatewayRoutes } from "./routes/gateway.ts";
import { Authenticator, type Principal, requireToken } from "./middleware/auth.ts";
import { corsGuard } from "./middleware/cors.ts";
import { hostOriginGuard, hostOriginPolicy } from "./middleware/host_origin.ts";
import { DEFAULT_TIERS, RateLimiter, rateLimitGuard, tierLimits } from "./middleware/rate_limit.ts";
import { applySecurityHeaders, securityHeaders } from "./middleware/security_headers.ts";
import { staticRoutes } from "./static.ts";
import { guardStore } from "./store_guard.ts";
import type { HallStore } from "./store/types.ts";
import { TelemetryPipeline, type TelemetrySinkOptions } from "./telemetry_sinks.ts";
import type { InProcessWorker } from "./worker_call.ts";
// Type only: jose (behind OAuthResourceServer) is loaded by whoever builds one (_serve.ts).
import type { OAuthResourceServer } from "../../mcp/oauth.ts";

/** Options of `createHallApp`. */
export interface HallAppOptions {
  /** The store (SQLite or PostgreSQL), already migrated. */
  store: HallStore;
  /** A rules document (validated here) or a compiled RuleSet. */
  rules: unknown;
  /** Rules file for `POST /wcp/rules/reload {}` and for persisting reloaded rules. */
  rulesPath?: string;
  /** Hall floors (signatory tenants, attestation, TTLs, ...). */
  config?: Partial<HallConfig>;
  /** Policy gate for rules whose escalation sets `policy_gate`. */
  policyGate?: PolicyGate | PolicyGateFn;
  /** In-process workers by worker id (used when a record has no endpoint). */
  inProcessWorkers?: Record<string, InProcessWorker>;
  /** Host names served (Host header, port ignored). Default: 127.0.0.1, localhost, ::1. */
  allowedHosts?: string[];
  /** Origins allowed cross-origin (CORS with Authorization). Default: none. */
  allowedOrigins?: string[];
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Requests per minute per admin token (namespace tokens use their tier). 0 = unlimited. */
  rateLimitPerMinute?: number;
  /** Failed authentications per minute per client address before 429. Default 60. */
  failedAuthPerMinute?: number;
  /** JSONL and OTLP sinks (the store always gets the events). */
  telemetry?: TelemetrySinkOptions;
  /**
   * Streamable HTTP MCP handler mounted at `/mcp` behind the guards and bearer auth; it is told the
   * caller's tenant (a namespace token's namespace; null for admin tokens).
   */
  mcpHandler?: (
    req: Request,
    context?: { tenant?: { tenant_id: string } | null; principal?: Principal },
  ) => Promise<Response>;
  /**
   * OAuth 2.1 for `/mcp` (MCP authorization spec): protected resource metadata at
   * `/.well-known/oauth-protected-resource[/mcp]`, JWT access tokens of the configured issuers at
   * `/mcp` (and on the `/wcp/*` calls its tools make in process), a `WWW-Authenticate` naming the
   * metadata on `/mcp`'s 401s. The hall's own tokens keep working everywhere.
   */
  oauth?: OAuthResourceServer;
  /**
   * The gateway mounted at `/mcp` (hall.json `gateway`; late-bound, it starts after the app):
   * its pins at `/wcp/gateway/pins` (list with diffs, accept: admin).
   */
  gatewayPins?: () => GatewayPinsPort | undefined;
  /** Absolute path of `playground/dist` for `/playground` and `/dashboard`. */
  staticDir?: string;
  /** Clock (epoch ms). */
  now?: () => number;
  /** Receipt signing key (default: the deployment key kept in the store). */
  signingKey?: SigningKey;
  /** HMAC secret for reference-mode manifests (`WCP_ATTEST_HMAC_KEY`). */
  hmacSecret?: string;
  /** Worker call timeout. Default 30 s. */
  workerTimeoutMs?: number;
  /** Verify new receipts this often, raising chain_break alerts (default 60 s; 0 = never). */
  chainCheckMs?: number;
  /** Worker endpoint origins a namespace token may register (admins may register any). */
  workerOrigins?: string[];
  /** Re-read workers and bans from the store this often (several instances). 0 = never. */
  registrySyncMs?: number;
  /** The other threads of this hall process (`--threads`; see `cluster.ts`). */
  peers?: HallPeers;
  /** Which serving thread this app is, of how many (shown by `/wcp/health`). */
  thread?: { index: number; count: number };
}

/** What `createHallApp` returns. */
export interface HallApp {
  /** The Hono app (use `app.request()` in tests). */
  app: Hono<HallEnv>;
  /** `Deno.serve` handler (with the route fast lane: `route_fast_lane.ts`). */
  fetch: (req: Request, info?: Deno.ServeHandlerInfo) => Response | Promise<Response>;
  /** State and operations (rules, registry, events, ...). */
  hall: Hall;
  /** Stop timers and flush telemetry (the caller closes the store). */
  close: () => Promise<void>;
}

/** Default tiers created when absent (declared with the rate limits). */
export { DEFAULT_TIERS };

function isRuleSet(x: unknown): x is RuleSet {
  return typeof x === "object" && x !== null && "match" in x && "rules" in x &&
    typeof (x as RuleSet).match === "function";
}

/**
 * The error answer of every route (and of the route fast lane): `{error:{code,message,path?}}`,
 * never a stack trace; an unexpected error is logged in one line and answered 500.
 */
function errorResponse(err: unknown, method: string, path: string): Response {
  if (isClientAbort(err)) {
    // The client went away mid-body: nobody reads the answer and nothing is wrong here.
    console.debug(`hall: debug: ${method} ${shortPath(path)}: the client closed mid-body`);
    return jsonResponse(new ClientAbortError(err).body(), 400);
  }
  if (err instanceof HttpError) {
    const res = jsonResponse(err.body(), err.status);
    for (const [k, v] of Object.entries(err.headers ?? {})) res.headers.set(k, v);
    if (err.status === 401 && !res.headers.has("www-authenticate")) {
      res.headers.set("www-authenticate", 'Bearer realm="wcp-hall"');
    }
    return res;
  }
  if (err instanceof WcpError) {
    return jsonResponse({ error: { code: err.code, message: err.message, path: err.path } }, 400);
  }
  // Unexpected: log one line for the operator, tell the client nothing internal.
  console.error(`hall: internal error on ${method} ${shortPath(path)}: ${String(err)}`);
  return jsonResponse({ error: { code: "INTERNAL", message: "internal error" } }, 500);
}

function jsonResponse(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

// A path as echoed in messages and logs: a client's 5,000-character path stays a short line.
function shortPath(path: string): string {
  return path.length <= 120 ? path : `${path.slice(0, 120)}… (${path.length} characters)`;
}

/**
 * Build the hall application.
 *
 * @example
 * ```ts
 * const store = await openSqliteStore(":memory:");
 * const { app } = await createHallApp({ store, rules: { rules: [] } });
 * const res = await app.request("http://localhost/wcp/health");
 * ```
 */
export async function createHallApp(options: HallAppOptions): Promise<HallApp> {
  // Store failures become 503 STORE_UNAVAILABLE and show in /wcp/health (store_guard.ts).
  const store = guardStore(options.store);
  // Before anything is opened: a bad config must not leave timers or sinks behind.
  const config = effectiveConfig(options.config);
  let rules: RuleSet;
  try {
    rules = isRuleSet(options.rules) ? options.rules : parseRules(options.rules);
  } catch (e) {
    if (e instanceof WcpError) throw e;
    throw new WcpError("RULES_INVALID", "", String(e));
  }
  for (const t of DEFAULT_TIERS) if (!(await store.getTier(t.tier))) await store.putTier({ ...t });
  const now = options.now ?? Date.now;
  const telemetry = new TelemetryPipeline(store, options.telemetry);
  const receipts = await ReceiptService.open(store, options.signingKey);
  const hall = new Hall({
    store,
    rules,
    rulesPath: options.rulesPath,
    config,
    policyGate: options.policyGate,
    inProcessWorkers: options.inProcessWorkers ?? {},
    telemetry,
    receipts,
    now,
    workerTimeoutMs: options.workerTimeoutMs ?? 30_000,
    registrySyncMs: options.registrySyncMs ?? 0,
    chainCheckMs: options.chainCheckMs ?? 60_000,
    peers: options.peers,
    thread: options.thread,
  });
  // Workers enrolled by namespace tokens before tenant binding serve their own tenant only.
  await hall.bindLegacyWorkers();
  await hall.syncRegistry();
  // A chain tampered with while the hall was down is reported soon after start (in the
  // background: long chains must not delay serving).
  // From the newest signed checkpoint that still holds (the whole chain without one).
  if (options.chainCheckMs !== 0) hall.startupCheck = hall.checkChains(false).catch(() => []);

  const auth = new Authenticator(store);
  const limiter = new RateLimiter(now);
  const failures = new RateLimiter(now);
  const tierLimit = tierLimits(store, options.rateLimitPerMinute ?? 0, now);
  // Streams of a revoked token end when this hall drops its token cache: a revocation here
  // (onInvalidate) or one another thread or instance reports (linkPeers' onForget).
  const streams = new StreamWatch(async (hash) => (await store.findToken(hash)) !== null);
  const recheckStreams = () => void streams.recheck();
  const stopPeers = options.peers
    ? linkPeers(options.peers, hall, auth, limiter, failures, recheckStreams)
    : null;
  const tellPeers = auth.onInvalidate;
  auth.onInvalidate = () => {
    tellPeers?.();
    recheckStreams();
  };

  const policy = hostOriginPolicy(options.allowedHosts, options.allowedOrigins);
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;

  const app = new Hono<HallEnv>();

  app.onError((err, c) => errorResponse(err, c.req.method, c.req.path));
  app.notFound((c) =>
    c.json(
      {
        error: { code: "NOT_FOUND", message: `no route ${c.req.method} ${shortPath(c.req.path)}` },
      },
      404,
    )
  );

  // The guards (src/hall/middleware/; the route fast lane makes the same checks).
  app.use("*", securityHeaders());
  app.use("*", hostOriginGuard(policy));
  app.use("*", corsGuard(policy.origins));
  app.use(
    "*",
    bodyLimit({
      maxSize: maxBody,
      onError: (c) =>
        c.json({
          error: { code: "BODY_TOO_LARGE", message: `the body exceeds ${maxBody} bytes` },
        }, 413),
    }),
  );

  // Public routes.
  app.route("/", healthRoute(hall));
  app.route("/v1", healthRoute(hall));
  app.get("/openapi.json", (c) => c.json(openApiDocument()));
  app.route("/", staticRoutes(options.staticDir));

  // OAuth for /mcp (mcp/oauth.ts): the protected resource metadata is public (RFC 9728), at the
  // root well-known path and at the one suffixed with the resource's path.
  const oauth = options.oauth;
  if (oauth) {
    app.get("/.well-known/oauth-protected-resource/*", (c, next) => {
      const resource = oauth.resourceFor(c.req.url, "/mcp");
      if (!oauth.isMetadataPath(c.req.path, resource)) return next();
      return oauth.metadataResponse(resource);
    });
    app.get(
      "/.well-known/oauth-protected-resource",
      (c) => oauth.metadataResponse(oauth.resourceFor(c.req.url, "/mcp")),
    );
  }
  const guards = [
    requireToken({
      auth,
      failures,
      failedPerMinute: options.failedAuthPerMinute ?? 60,
      oauth,
      store,
      now,
    }),
    rateLimitGuard(limiter, tierLimit),
  ] as const;
  app.use("/wcp/*", ...guards);
  app.use("/v1/wcp/*", ...guards);

  if (options.mcpHandler) {
    const handler = options.mcpHandler;
    app.use("/mcp", ...guards);
    app.all("/mcp", (c) => {
      const p = c.get("principal");
      // The principal authenticated here: the mount calls the hall's engine as it (no second
      // authentication, no request back into /wcp/*).
      return handler(c.req.raw, {
        tenant: p.namespace ? { tenant_id: p.namespace } : null,
        principal: p,
      });
    });
  }

  // The API is version 1; `/v1/wcp/...` names the version explicitly, `/wcp/...` (the spec's
  // discovery paths) is the same API.
  for (const base of ["/", "/v1"]) {
    app.route(base, discoveryRoutes(hall));
    app.route(base, decideRoutes(hall));
    app.route(
      base,
      workerRoutes(hall, { hmacSecret: options.hmacSecret, workerOrigins: options.workerOrigins }),
    );
    app.route(base, banRoutes(hall));
    app.route(base, tenantRoutes(hall, auth));
    app.route(base, approvalRoutes(hall));
    app.route(base, receiptRoutes(hall));
    app.route(base, eventRoutes(hall, streams));
    app.route(base, ruleRoutes(hall));
    app.route(base, simulateRoutes(hall));
    app.route(base, statsRoutes(hall));
    app.route(base, gatewayRoutes(options.gatewayPins ?? (() => undefined)));
  }

  return {
    app,
    fetch: withRouteFastLane({
      hall,
      auth,
      limiter,
      tierLimit,
      policy,
      maxBody,
      full: (req, info) => app.fetch(req, info),
      errorResponse,
      applySecurityHeaders,
    }),
    hall,
    close: async () => {
      stopPeers?.();
      await hall.close();
    },
  };
}
