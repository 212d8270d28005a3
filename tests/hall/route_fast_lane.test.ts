// The route fast lane against the full app: the same requests sent to `app.fetch` (Hono's router
// and middleware chain) and to the hall's `fetch` (the lane in front of it) give the same status,
// headers and body (ids and times aside); requests the lane must not take reach the full app.
import assert from "node:assert/strict";
import { ADMIN, HALL_TEST, routeInput, type TestHall, testHall } from "./_helpers.ts";

const CORR = "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f";

interface Case {
  name: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Leave Content-Length out (a chunked body). */
  noLength?: boolean;
  /** The body as bytes (for bytes that are not UTF-8). */
  bytes?: Uint8Array<ArrayBuffer>;
  /** Sent as Deno.serve would (with connection info), not as an in-process call. */
  served?: boolean;
  /** The lane answers it (else the full app must). */
  lane: boolean;
  status: number;
  /** The error code expected. */
  code?: string;
}

// What Deno.serve passes with a request received over a connection.
const SERVED: Deno.ServeHandlerInfo<Deno.NetAddr> = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
  completed: Promise.resolve(),
};

// A route request's text with one more key: a second `tenant_id` (or `inner` inside request).
function withDuplicate(where: "top" | "request"): string {
  const text = JSON.stringify(routeInput({ correlation_id: CORR }));
  return where === "top"
    ? text.replace('"tenant_id":"acme"', '"tenant_id":"acme","tenant_id":"org.other"')
    : text.replace('"text":', '"text":"first","text":');
}

function request(c: Case, token: string | null): Request {
  const body: Uint8Array<ArrayBuffer> = c.bytes ?? new TextEncoder().encode(
    c.body ?? JSON.stringify(routeInput({ correlation_id: CORR })),
  );
  const headers = new Headers({ host: "localhost", "content-type": "application/json" });
  if (token) headers.set("authorization", `Bearer ${token}`);
  if (!c.noLength) headers.set("content-length", String(body.length));
  for (const [k, v] of Object.entries(c.headers ?? {})) {
    if (v === "") headers.delete(k);
    else headers.set(k, v);
  }
  return new Request(`http://localhost${c.path ?? "/wcp/route"}`, {
    method: "POST",
    headers,
    body: c.noLength
      ? new ReadableStream({
        start(ctl) {
          ctl.enqueue(body);
          ctl.close();
        },
      })
      : body, // bytes: a string body would get a text/plain type
  });
}

// Ids and times differ between two decisions; everything else must not.
function normal(text: string): string {
  return text
    .replaceAll(CORR, "<corr>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
    .replace(/"request_hash":"sha256:[0-9a-f]{64}"/g, '"request_hash":"<h>"');
}

async function answer(res: Response): Promise<{ status: number; headers: string; body: string }> {
  const headers = [...res.headers].filter(([k]) => k !== "date").map(([k, v]) => `${k}: ${v}`);
  return { status: res.status, headers: headers.sort().join("\n"), body: normal(await res.text()) };
}

// Counts the requests that reach the full app (the lane calls `app.fetch` for them).
function countFull(h: TestHall): () => number {
  let n = 0;
  const original = h.app.fetch.bind(h.app);
  h.app.fetch = (req, env, ctx) => {
    n++;
    return original(req, env, ctx);
  };
  return () => n;
}

Deno.test({
  name: "route fast lane: the same answers as the full app, and it takes only what it may",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall({ maxBodyBytes: 4096, allowedOrigins: ["https://ops.example"] });
    try {
      const ns = await h.grant("org.acme");
      const cases: [Case, string | null][] = [
        [{ name: "a decision", lane: true, status: 200 }, ADMIN],
        [{ name: "the /v1 path", path: "/v1/wcp/route", lane: true, status: 200 }, ADMIN],
        [{
          name: "a dry run",
          body: JSON.stringify(routeInput({ correlation_id: CORR, dry_run: true })),
          lane: true,
          status: 200,
        }, ADMIN],
        [{
          name: "a request held for a human",
          body: JSON.stringify(
            routeInput({ correlation_id: CORR, capability_id: "cap.msg.notify" }),
          ),
          lane: true,
          status: 200,
        }, ADMIN],
        [{
          name: "a namespace token for its own tenant",
          body: JSON.stringify(routeInput({ correlation_id: CORR, tenant_id: "org.acme" })),
          lane: true,
          status: 200,
        }, ns.token],
        [{ name: "a namespace token for another tenant", lane: true, status: 403 }, ns.token],
        [{ name: "invalid JSON", body: "{nope", lane: true, status: 400 }, ADMIN],
        [{ name: "an array body", body: "[]", lane: true, status: 400 }, ADMIN],
        [{ name: "an empty body", body: "", lane: true, status: 400 }, ADMIN],
        [{
          name: "input the core refuses",
          body: JSON.stringify({ correlation_id: CORR, tenant_id: "acme" }),
          lane: true,
          status: 400,
        }, ADMIN],
        [{
          name: "a correlation id too long",
          body: JSON.stringify(routeInput({ correlation_id: "c".repeat(300) })),
          lane: true,
          status: 400,
        }, ADMIN],
        [{
          name: "a +json media type",
          headers: { "content-type": "application/vnd.wcp+json; charset=utf-8" },
          lane: true,
          status: 200,
        }, ADMIN],
        [
          { name: "no content type", headers: { "content-type": "" }, lane: true, status: 200 },
          ADMIN,
        ],
        [{
          name: "another media type",
          headers: { "content-type": "text/plain" },
          lane: false,
          status: 415,
        }, ADMIN],
        [{ name: "no Content-Length", noLength: true, lane: false, status: 200 }, ADMIN],
        [
          { name: "a body over the limit", body: "x".repeat(5000), lane: false, status: 413 },
          ADMIN,
        ],
        [{ name: "no token", lane: false, status: 401 }, null],
        [{ name: "an unknown token", lane: false, status: 401 }, "wcp_unknown-token-0123456789abc"],
        [
          { name: "a foreign Host", headers: { host: "evil.example" }, lane: false, status: 421 },
          ADMIN,
        ],
        [{
          name: "a foreign Origin",
          headers: { origin: "https://evil.example" },
          lane: false,
          status: 403,
        }, ADMIN],
        [{
          name: "an allowed Origin (CORS headers)",
          headers: { origin: "https://ops.example" },
          lane: false,
          status: 200,
        }, ADMIN],
        [{ name: "a query string", path: "/wcp/route?x=1", lane: false, status: 200 }, ADMIN],
        [{
          name: "bytes that are not UTF-8",
          bytes: new Uint8Array([
            ...new TextEncoder().encode('{"correlation_id":"'),
            0xc3,
            0x28,
            ...new TextEncoder().encode(`${CORR}"}`),
          ]),
          lane: true,
          status: 400,
          code: "INVALID_UTF8",
        }, ADMIN],
        [{
          name: "a repeated key",
          body: withDuplicate("top"),
          lane: true,
          status: 400,
          code: "DUPLICATE_KEY",
        }, ADMIN],
        [{
          name: "a repeated key inside request",
          body: withDuplicate("request"),
          lane: true,
          status: 400,
          code: "DUPLICATE_KEY",
        }, ADMIN],
        [{
          name: "strings with colons and quotes (no key repeated)",
          body: JSON.stringify(
            routeInput({ correlation_id: CORR, request: { text: 'a": "b", "text": 1 :' } }),
          ),
          lane: true,
          status: 200,
        }, ADMIN],
        [{
          name: "no Host over a connection",
          headers: { host: "" },
          served: true,
          lane: false,
          status: 400,
          code: "HOST_MISSING",
        }, ADMIN],
      ];
      const reachedFull = countFull(h);
      for (const [c, token] of cases) {
        const before = reachedFull();
        const info = c.served ? SERVED : undefined;
        const viaLane = await answer(await h.fetch(request(c, token), info));
        const full = reachedFull() - before;
        assert.equal(full, c.lane ? 0 : 1, `${c.name}: ${c.lane ? "lane" : "full app"} expected`);
        const viaFull = await answer(await h.app.fetch(request(c, token), info));
        assert.equal(viaLane.status, c.status, `${c.name}: ${viaLane.body.slice(0, 300)}`);
        if (c.code) assert.equal(JSON.parse(viaLane.body).error.code, c.code, c.name);
        assert.deepEqual(viaLane, viaFull, c.name);
      }
    } finally {
      await h.stop();
    }
  },
});

Deno.test({
  name: "route fast lane: a token over its rate limit gets the full app's 429 with Retry-After",
  ...HALL_TEST,
  fn: async () => {
    const t0 = Date.now();
    const h = await testHall({ rateLimitPerMinute: 3, now: () => t0 });
    try {
      const reachedFull = countFull(h);
      const c: Case = { name: "route", lane: true, status: 200 };
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await h.fetch(request(c, ADMIN))).status);
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      assert.equal(reachedFull(), 2, "the refused ones were answered by the full app");
      const res = await h.fetch(request(c, ADMIN));
      assert.equal((await res.json()).error.code, "RATE_LIMITED");
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
      assert.equal(res.headers.get("x-wcp-api-version"), "1");
    } finally {
      await h.stop();
    }
  },
});
