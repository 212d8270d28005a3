// Guards: tokens, Host/Origin, CORS, body limit, malformed bodies, rate limits, headers, errors.
import assert from "node:assert/strict";
import { OPERATIONS } from "../../src/hall/openapi.ts";
import { err, HALL_TEST, hallTest, j, routeInput, testHall } from "./_helpers.ts";

hallTest(
  "security: unauthenticated and unknown tokens get 401 on every protected route",
  () => ({ failedAuthPerMinute: 0 }),
  async (h) => {
    for (const op of OPERATIONS.filter((o) => o.auth !== "public")) {
      const path = op.path.replace(/\{\w+\}/g, "x");
      for (const token of [null, "wcp_not-a-real-token-000000000000", "Basic abc"]) {
        const init: RequestInit & { token?: string | null; json?: unknown } = {
          method: op.method.toUpperCase(),
          token: token === "Basic abc" ? null : token,
        };
        if (token === "Basic abc") init.headers = { authorization: "Basic abc" };
        if (op.method !== "get") init.json = {};
        const res = await h.req(path, init);
        assert.equal(res.status, 401, `${op.method} ${path} with ${token}`);
        assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
      }
    }
  },
);

hallTest("security: every documented operation is served (no NOT_FOUND route)", async (h) => {
  for (const op of OPERATIONS) {
    const path = op.path.replace(/\{\w+\}/g, "x");
    if (path === "/wcp/events") continue; // a stream; exercised in app_events.test.ts
    const res = await h.req(path, {
      method: op.method.toUpperCase(),
      ...(op.method === "get" ? {} : { json: {} }),
    });
    const body = await res.json().catch(() => ({}));
    assert.notEqual(
      (body as { error?: { code?: string } }).error?.code,
      "NOT_FOUND",
      `${op.method} ${op.path} is documented but not routed`,
    );
    assert.ok(res.status < 500, `${op.method} ${op.path} answered ${res.status}`);
  }
  // The same API under its explicit version prefix, behind the same guards.
  assert.equal((await h.req("/v1/wcp/health", { token: null })).status, 200);
  assert.equal((await h.req("/v1/wcp/workers", { token: null })).status, 401);
  assert.equal((await (await h.req("/v1/wcp/workers")).json()).count, 3);
  const unknown = await h.req("/wcp/nothing-here");
  assert.equal(unknown.status, 404);
  assert.equal(err(await j(unknown)).code, "NOT_FOUND");
});

hallTest(
  "security: Host and Origin checks stop DNS rebinding and cross-site calls",
  () => ({ allowedOrigins: ["http://dash.example:3000"] }),
  async (h) => {
    const rebound = await h.app.request("http://attacker.example/wcp/health");
    assert.equal(rebound.status, 421);
    assert.equal(err(await j(rebound)).code, "HOST_NOT_ALLOWED");
    const port = await h.app.request("http://127.0.0.1:9999/wcp/health");
    assert.equal(port.status, 200, "any port on an allowed host name");
    const cross = await h.req("/wcp/workers", { headers: { origin: "http://evil.example" } });
    assert.equal(cross.status, 403);
    assert.equal(err(await j(cross)).code, "ORIGIN_NOT_ALLOWED");
    const same = await h.req("/wcp/workers", { headers: { origin: "http://localhost" } });
    assert.equal(same.status, 200);
    assert.equal(
      same.headers.get("access-control-allow-origin"),
      null,
      "no CORS for same-origin",
    );

    // CORS: only the configured origin, and Authorization is allowed for it.
    const pre = await h.req("/wcp/workers", {
      method: "OPTIONS",
      token: null,
      headers: { origin: "http://dash.example:3000", "access-control-request-method": "GET" },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "http://dash.example:3000");
    assert.match(pre.headers.get("access-control-allow-headers") ?? "", /Authorization/);
    const got = await h.req("/wcp/workers", { headers: { origin: "http://dash.example:3000" } });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get("access-control-allow-origin"), "http://dash.example:3000");
    const badPre = await h.req("/wcp/workers", {
      method: "OPTIONS",
      token: null,
      headers: { origin: "http://evil.example", "access-control-request-method": "GET" },
    });
    assert.equal(badPre.status, 403);
    assert.equal(badPre.headers.get("access-control-allow-origin"), null);
  },
);

hallTest(
  "security: oversized, malformed and wrongly typed bodies are 4xx JSON naming the problem",
  () => ({ maxBodyBytes: 2048 }),
  async (h) => {
    const big = await h.req("/wcp/route", {
      method: "POST",
      json: routeInput({ request: { text: "x".repeat(5000) } }),
    });
    assert.equal(big.status, 413);
    assert.equal(err(await j(big)).code, "BODY_TOO_LARGE");
    const malformed = await h.req("/wcp/route", {
      method: "POST",
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    assert.equal(malformed.status, 400);
    assert.equal(err(await j(malformed)).code, "INVALID_JSON");
    const typed = await h.req("/wcp/ban-list/report", {
      method: "POST",
      json: { sha256: 42, reason: "" },
    });
    assert.equal(typed.status, 400);
    const e = err(await j(typed));
    assert.equal(e.code, "INVALID_BODY");
    assert.equal(e.path, "sha256");
    assert.ok((e.issues as { path: string }[]).some((i) => i.path === "reason"));
    const extra = await h.req("/wcp/tiers/free", {
      method: "PUT",
      json: { max_workers: 1, requests_per_minute: 1, surprise: true },
    });
    assert.equal(extra.status, 400, "unknown fields are refused");
  },
);

Deno.test({
  name: "security: per-token rate limits answer 429 with Retry-After; tiers limit namespace tokens",
  ...HALL_TEST,
  fn: async () => {
    let clock = 1_000_000;
    const h = await testHall({ rateLimitPerMinute: 3, now: () => clock });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await h.req("/wcp/workers")).status, 200);
      const limited = await h.req("/wcp/workers");
      assert.equal(limited.status, 429);
      assert.equal(err(await j(limited)).code, "RATE_LIMITED");
      assert.equal(limited.headers.get("retry-after"), "20");
      clock += 20_000;
      assert.equal((await h.req("/wcp/workers")).status, 200, "refilled after Retry-After");

      clock += 60_000;
      const tier = await h.req("/wcp/tiers/slow", {
        method: "PUT",
        json: { max_workers: 1, requests_per_minute: 2 },
      });
      assert.equal(tier.status, 200);
      const grant = await h.grant("org.slow", "slow");
      assert.match(String(grant.token), /^wcp_/, JSON.stringify(grant));
      const t = String(grant.token);
      const first = await h.req("/wcp/workers", { token: t });
      assert.equal(first.status, 200, await first.clone().text());
      assert.equal((await h.req("/wcp/workers", { token: t })).status, 200);
      const r = await h.req("/wcp/workers", { token: t });
      assert.equal(r.status, 429);
      assert.equal(r.headers.get("retry-after"), "30");

      // Failed authentications are limited per client address.
      const h2 = await testHall({ failedAuthPerMinute: 2 });
      try {
        for (let i = 0; i < 2; i++) {
          assert.equal(
            (await h2.req("/wcp/workers", { token: "wcp_wrong-token-wrong-token" })).status,
            401,
          );
        }
        const brute = await h2.req("/wcp/workers", { token: "wcp_wrong-token-wrong-token" });
        assert.equal(brute.status, 429);
        assert.ok(Number(brute.headers.get("retry-after")) >= 1);
      } finally {
        await h2.stop();
      }
    } finally {
      await h.stop();
    }
  },
});

hallTest(
  "security: secure headers on every answer; no stack trace on an internal error",
  async (h) => {
    const res = await h.req("/wcp/workers");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.equal(res.headers.get("x-wcp-api-version"), "1");
    assert.equal(res.headers.get("cache-control"), "no-store");

    // Make the store fail underneath a route.
    h.store.pageWorkers = () => Promise.reject(new Error("disk on fire at /secret/path.sqlite"));
    const broken = await h.req("/wcp/workers");
    assert.equal(broken.status, 500);
    const text = await broken.text();
    assert.deepEqual(JSON.parse(text), {
      error: { code: "INTERNAL", message: "internal error" },
    });
    assert.ok(!text.includes("secret") && !text.includes("at "), "nothing internal leaks");
  },
);

Deno.test({
  name: "static: playground and dashboard from dist, with a hint when it is not built",
  ...HALL_TEST,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/index.html`, "<p>playground</p>");
    await Deno.writeTextFile(`${dir}/dashboard.html`, "<p>dashboard</p>");
    await Deno.writeTextFile(`${dir}/app.js`, "console.log(1)");
    const h = await testHall({ staticDir: dir });
    const bare = await testHall({ staticDir: `${dir}/missing` });
    try {
      const redirect = await h.req("/playground", { token: null });
      assert.equal(redirect.status, 308);
      assert.equal(redirect.headers.get("location"), "/playground/");
      const page = await h.req("/playground/", { token: null });
      assert.equal(await page.text(), "<p>playground</p>");
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      const dash = await h.req("/dashboard/", { token: null });
      assert.equal(await dash.text(), "<p>dashboard</p>");
      const js = await h.req("/dashboard/app.js", { token: null });
      assert.match(js.headers.get("content-type") ?? "", /javascript/);
      await js.body?.cancel();
      assert.equal((await h.req("/playground/../secret", { token: null })).status, 404);
      assert.equal((await h.req("/playground/.env", { token: null })).status, 404);
      const hint = await bare.req("/dashboard/", { token: null });
      assert.equal(hint.status, 404);
      assert.match(err(await j(hint)).message as string, /deno task playground/);
    } finally {
      await h.stop();
      await bare.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "mcp: the handler is mounted at /mcp behind bearer auth and the Host/Origin guard",
  ...HALL_TEST,
  fn: async () => {
    const seen: string[] = [];
    const tenants: unknown[] = [];
    const h = await testHall({
      mcpHandler: (req, ctx) => {
        seen.push(req.method);
        tenants.push(ctx?.tenant ?? null);
        return Promise.resolve(Response.json({ jsonrpc: "2.0", id: 1, result: {} }));
      },
    });
    try {
      const anon = await h.req("/mcp", { method: "POST", token: null, json: {} });
      assert.equal(anon.status, 401);
      const evil = await h.req("/mcp", {
        method: "POST",
        json: {},
        headers: { origin: "http://evil" },
      });
      assert.equal(evil.status, 403);
      assert.deepEqual(seen, [], "rejected before the handler");
      const ok = await h.req("/mcp", {
        method: "POST",
        json: { jsonrpc: "2.0", id: 1, method: "ping" },
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(seen, ["POST"]);
      // A namespace token's calls run for its namespace; an admin's for the MCP default tenant.
      const grant = await h.grant();
      await h.req("/mcp", { method: "POST", token: grant.token, json: {} });
      assert.deepEqual(tenants, [null, { tenant_id: "org.acme" }]);
    } finally {
      await h.stop();
    }
  },
});
