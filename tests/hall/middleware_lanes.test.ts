// The hall's cross-cutting checks (src/hall/middleware/) answer alike in both lanes: a table of bad
// requests to /wcp/route, each sent to one hall through its `fetch` (the route fast lane in front)
// and to an identical hall through `app.fetch` (Hono's middleware chain alone), in the same order
// so stateful checks (rate limits) see the same history. Status, headers and body must match, the
// code must be the one expected, and where a plain check function decides, it names that code.
import assert from "node:assert/strict";
import { hostOriginPolicy, hostOriginRefusal } from "../../src/hall/middleware/host_origin.ts";
import { corsPreflight } from "../../src/hall/middleware/cors.ts";
import { failedAuthRefusal, RateLimiter } from "../../src/hall/middleware/rate_limit.ts";
import { SECURITY_HEADERS } from "../../src/hall/middleware/security_headers.ts";
import type { HallAppOptions } from "../../src/hall/app.ts";
import { HttpError } from "../../src/hall/errors.ts";
import { ADMIN, HALL_TEST, routeInput, type TestHall, testHall } from "./_helpers.ts";

const CORR = "0d9b7a52-3c1e-4f60-8a2b-5e6f7a8b9c0d";
const ORIGINS = ["https://ops.example"];

const SERVED: Deno.ServeHandlerInfo<Deno.NetAddr> = {
  remoteAddr: { transport: "tcp", hostname: "192.0.2.7", port: 40000 },
  completed: Promise.resolve(),
};

interface Send {
  method?: string;
  /** Headers over the defaults (Host localhost, JSON, the admin token); "" removes one. */
  headers?: Record<string, string>;
  served?: boolean;
}

interface Case {
  name: string;
  /** Hall options (each case gets two fresh halls with these). */
  options?: Partial<HallAppOptions>;
  /** Requests sent in order; the last one's answer is checked. */
  sends: Send[];
  status: number;
  code?: string;
  /** The plain check's own verdict on the last request (null = it lets it pass). */
  check?: (req: Request) => HttpError | Response | null;
}

function build(s: Send): Request {
  const body = new TextEncoder().encode(JSON.stringify(routeInput({ correlation_id: CORR })));
  const headers = new Headers({
    host: "localhost",
    "content-type": "application/json",
    "content-length": String(body.length),
    authorization: `Bearer ${ADMIN}`,
  });
  for (const [k, v] of Object.entries(s.headers ?? {})) {
    if (v === "") headers.delete(k);
    else headers.set(k, v);
  }
  const method = s.method ?? "POST";
  return new Request("http://localhost/wcp/route", {
    method,
    headers,
    body: method === "POST" ? body : undefined,
  });
}

function normal(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
    .replace(/"request_hash":"sha256:[0-9a-f]{64}"/g, '"request_hash":"<h>"');
}

async function answer(res: Response): Promise<{ status: number; headers: string; body: string }> {
  const headers = [...res.headers].filter(([k]) => k !== "date").map(([k, v]) => `${k}: ${v}`);
  return { status: res.status, headers: headers.sort().join("\n"), body: normal(await res.text()) };
}

const policy = hostOriginPolicy(undefined, ORIGINS);
const origins = new Set(ORIGINS);
const T0 = Date.parse("2026-12-07T12:00:00Z");

const CASES: Case[] = [
  {
    name: "no Host over a connection",
    sends: [{ headers: { host: "" }, served: true }],
    status: 400,
    code: "HOST_MISSING",
    check: (r) => hostOriginRefusal(policy, r, true),
  },
  {
    name: "a Host not served",
    sends: [{ headers: { host: "evil.example" } }],
    status: 421,
    code: "HOST_NOT_ALLOWED",
    check: (r) => hostOriginRefusal(policy, r, false),
  },
  {
    name: "a Host not served, with a port",
    sends: [{ headers: { host: "rebind.example:8787" }, served: true }],
    status: 421,
    code: "HOST_NOT_ALLOWED",
    check: (r) => hostOriginRefusal(policy, r, true),
  },
  {
    name: "a served Host in brackets with a port (allowed)",
    sends: [{ headers: { host: "[::1]:8787" }, served: true }],
    status: 200,
    check: (r) => hostOriginRefusal(policy, r, true),
  },
  {
    name: "a foreign Origin",
    sends: [{ headers: { origin: "https://evil.example" } }],
    status: 403,
    code: "ORIGIN_NOT_ALLOWED",
    check: (r) => hostOriginRefusal(policy, r, false),
  },
  {
    name: "an Origin that is not a URL",
    sends: [{ headers: { origin: "null" } }],
    status: 403,
    code: "ORIGIN_NOT_ALLOWED",
    check: (r) => hostOriginRefusal(policy, r, false),
  },
  {
    name: "the request's own Origin (no CORS headers)",
    sends: [{ headers: { origin: "http://localhost" } }],
    status: 200,
    check: (r) => hostOriginRefusal(policy, r, false),
  },
  {
    name: "an allowed Origin (CORS headers)",
    sends: [{ headers: { origin: "https://ops.example" } }],
    status: 200,
  },
  {
    name: "a preflight from an allowed Origin",
    sends: [{ method: "OPTIONS", headers: { origin: "https://ops.example" } }],
    status: 204,
    check: (r) => corsPreflight(origins, r),
  },
  {
    name: "a preflight from another Origin",
    sends: [{ method: "OPTIONS", headers: { origin: "https://evil.example", host: "localhost" } }],
    status: 403,
    code: "ORIGIN_NOT_ALLOWED",
  },
  {
    name: "no token",
    sends: [{ headers: { authorization: "" } }],
    status: 401,
    code: "UNAUTHENTICATED",
  },
  {
    name: "not a Bearer header",
    sends: [{ headers: { authorization: `Basic ${ADMIN}` } }],
    status: 401,
    code: "UNAUTHENTICATED",
  },
  {
    name: "an unknown token",
    sends: [{ headers: { authorization: "Bearer wcp_unknown-0123456789abcdef0123" } }],
    status: 401,
    code: "INVALID_TOKEN",
  },
  {
    name: "a token over its rate limit",
    options: { rateLimitPerMinute: 2, now: () => T0 },
    sends: [{}, {}, {}],
    status: 429,
    code: "RATE_LIMITED",
  },
  {
    name: "an address over its failed-authentication limit",
    options: { failedAuthPerMinute: 2, now: () => T0 },
    sends: Array.from({ length: 3 }, () => ({
      headers: { authorization: "Bearer wcp_guess-0123456789abcdef012345" },
      served: true,
    })),
    status: 429,
    code: "RATE_LIMITED",
  },
  {
    name: "a valid token from an address that failed before",
    options: { failedAuthPerMinute: 1, now: () => T0 },
    sends: [
      { headers: { authorization: "Bearer wcp_guess-0123456789abcdef012345" }, served: true },
      { headers: { authorization: "Bearer wcp_guess-0123456789abcdef012345" }, served: true },
      { served: true },
    ],
    status: 200,
  },
];

Deno.test({
  name: "middleware: each check answers alike through the route fast lane and the Hono app",
  ...HALL_TEST,
  fn: async () => {
    for (const c of CASES) {
      const options = { allowedOrigins: ORIGINS, ...c.options };
      const lane: TestHall = await testHall(options);
      const app: TestHall = await testHall(options);
      try {
        let viaLane, viaApp;
        for (const s of c.sends) {
          const info = s.served ? SERVED : undefined;
          viaLane = await answer(await lane.fetch(build(s), info));
          viaApp = await answer(await app.app.fetch(build(s), info));
        }
        assert.equal(viaLane!.status, c.status, `${c.name}: ${viaLane!.body.slice(0, 200)}`);
        if (c.code) assert.equal(JSON.parse(viaLane!.body).error.code, c.code, c.name);
        assert.deepEqual(viaLane, viaApp, c.name);
        // Every answer carries the security headers, refusals included.
        for (const [k, v] of SECURITY_HEADERS) {
          assert.ok(viaLane!.headers.includes(`${k}: ${v}`), `${c.name}: ${k}`);
        }
        if (c.check) {
          const verdict = c.check(build(c.sends.at(-1)!));
          if (verdict instanceof HttpError) {
            assert.equal(verdict.status, c.status, c.name);
            assert.equal(verdict.code, c.code, c.name);
          } else if (verdict instanceof Response) {
            assert.equal(verdict.status, c.status, c.name);
          } else {
            assert.equal(c.code, undefined, `${c.name}: the check let it pass`);
          }
        }
      } finally {
        await lane.stop();
        await app.stop();
      }
    }
  },
});

Deno.test("middleware: failedAuthRefusal counts per address and names Retry-After", () => {
  const failures = new RateLimiter(() => T0);
  assert.equal(failedAuthRefusal(failures, "192.0.2.1", 2), null);
  assert.equal(failedAuthRefusal(failures, "192.0.2.1", 2), null);
  const refused = failedAuthRefusal(failures, "192.0.2.1", 2);
  assert.ok(refused instanceof HttpError);
  assert.equal(refused.status, 429);
  assert.equal(refused.code, "RATE_LIMITED");
  assert.ok(Number(refused.headers?.["retry-after"]) >= 1);
  // Another address has its own budget.
  assert.equal(failedAuthRefusal(failures, "192.0.2.2", 2), null);
});
