// Policy gates at the hall (hall.json `policy_gate`): Cedar (policies checked against the schema
// generated from the catalog, permit/forbid/@require_human, determining policy ids in the decision
// and the receipt, reload keeping the old gate on a bad file) and a webhook (signed POST, timeout,
// malformed answers, cache), each failing closed.
import assert from "node:assert/strict";
import type { LoadedGate } from "../../src/hall/gates.ts";
import { fileGateLoader, loadGate } from "../../src/hall/gates.ts";
import { parseHallFileConfig } from "../../src/hall/file_config.ts";
import { parseRules } from "../../src/rules/mod.ts";
import { verifyWebhookSignature } from "../../src/gates/webhook.ts";
import { err, j, routeInput, type TestHall, withHall } from "./_helpers.ts";
import { HALL_TEST } from "./_helpers.ts";

const RULES = {
  rules: [
    {
      rule_id: "docs",
      match: { capability_id: "cap.doc.summarize" },
      decision: {
        candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }],
        escalation: { policy_gate: true },
      },
    },
    {
      rule_id: "greet",
      match: { capability_id: "cap.hello.greet" },
      decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.hello.greeter" }] },
    },
  ],
};

const BASE = `@id("base")
permit(principal, action, resource);
`;
const NO_RESTRICTED = `${BASE}
@id("no-restricted-prod")
forbid(principal, action, resource == WCP::Environment::"prod")
when { context.data_label == WCP::DataLabel::"RESTRICTED" };
`;

/** A temporary hall.json + policies.cedar directory. */
async function gateDir(
  policyGate: Record<string, unknown>,
  files: Record<string, string> = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "wcp-gates-" });
  await Deno.writeTextFile(`${dir}/hall.json`, JSON.stringify({ policy_gate: policyGate }));
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

/** A test hall with `RULES` and the gate of `dir/hall.json` installed as the server does. */
async function withGateHall(
  dir: string,
  fn: (h: TestHall) => Promise<void>,
): Promise<void> {
  await withHall({ rules: RULES, policyGate: undefined }, async (h) => {
    const hall = h.hall;
    const context = () => ({ rules: hall.rules, now: hall.now });
    const loader = fileGateLoader(`${dir}/hall.json`, context);
    hall.useGate(await loader(), loader);
    await fn(h);
  });
}

async function route(h: TestHall, over: Record<string, unknown> = {}) {
  const r = await h.req("/wcp/route", { method: "POST", json: routeInput(over) });
  return await j(r);
}

Deno.test({
  name: "cedar: a forbid denies what the rules allow; the policy ids that decided are recorded",
  ...HALL_TEST,
  fn: async () => {
    const dir = await gateDir({ type: "cedar", policies_file: "policies.cedar" }, {
      "policies.cedar": NO_RESTRICTED,
    });
    try {
      // The rules alone dispatch it (no gate installed).
      await withHall({ rules: RULES, policyGate: undefined }, async (h) => {
        const d = await route(h, { env: "prod", data_label: "RESTRICTED" });
        assert.equal(d.deny_reason_if_denied?.code, "DENY_POLICY_GATE_UNCONFIGURED");
      });
      await withGateHall(dir, async (h) => {
        const d = await route(h, { env: "prod", data_label: "RESTRICTED" });
        assert.equal(d.outcome, "DENY", JSON.stringify(d));
        assert.equal(d.deny_reason_if_denied.code, "DENY_POLICY_GATE");
        assert.match(d.deny_reason_if_denied.reason, /forbidden by no-restricted-prod/);
        assert.equal(d.policy_gate.type, "cedar");
        assert.equal(d.policy_gate.decision, "DENY");
        assert.deepEqual(d.policy_gate.determining_policies, ["no-restricted-prod"]);
        assert.match(d.policy_version, /^cedar:[0-9a-f]{12}$/);

        // The same request in dev is permitted by `base`; dispatched, the receipt names it.
        const r = await h.req("/wcp/dispatch", {
          method: "POST",
          json: routeInput({ env: "dev", data_label: "RESTRICTED" }),
        });
        const body = await j(r);
        assert.equal(body.decision.outcome, "DISPATCH", JSON.stringify(body));
        assert.deepEqual(body.decision.policy_gate.determining_policies, ["base"]);
        assert.equal(
          body.receipt.policy_decision,
          `ALLOW;gate=cedar;policy_version=${body.decision.policy_version};policies=base`,
        );

        // A rule without escalation.policy_gate never consults the gate.
        const g = await route(h, { capability_id: "cap.hello.greet" });
        assert.equal(g.outcome, "DISPATCH");
        assert.equal(g.policy_gate, undefined);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "cedar: a satisfied @require_human forbid holds the request for that level of human",
  ...HALL_TEST,
  fn: async () => {
    const dir = await gateDir({ type: "cedar", policies_file: "policies.cedar" }, {
      "policies.cedar": `${BASE}
@id("hold-prod")
@require_human("gatekeeper")
forbid(principal, action in WCP::Action::"domain:doc", resource == WCP::Environment::"prod");
`,
    });
    try {
      await withGateHall(dir, async (h) => {
        const d = await route(h, { env: "prod", data_label: "INTERNAL" });
        assert.equal(d.outcome, "STEWARD_HOLD", JSON.stringify(d));
        assert.equal(d.supervisor_level, "gatekeeper");
        assert.deepEqual(d.policy_gate.determining_policies, ["hold-prod"]);
        assert.equal(d.policy_gate.decision, "REQUIRE_HUMAN");
        // Not in dev (base permits, the hold does not apply).
        assert.equal((await route(h, { env: "dev" })).outcome, "DISPATCH");

        // Approved and dispatched: the receipt carries the approval and the policy that held it.
        const id = String(d.pending_approval_id);
        assert.equal((await h.resolve(id, "approve")).status, 200);
        const r = await h.req("/wcp/dispatch", { method: "POST", json: { approval_id: id } });
        const body = await j(r);
        assert.equal(r.status, 200, JSON.stringify(body));
        assert.match(
          body.receipt.policy_decision,
          /^APPROVED:[^;]+;gate=cedar;.*;policies=hold-prod$/,
        );
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "cedar: a policy failing schema validation is refused at load and on reload (old gate stays)",
  ...HALL_TEST,
  fn: async () => {
    const bad = `${BASE}
@id("typo")
forbid(principal, action, resource) when { context.data_lable == WCP::DataLabel::"RESTRICTED" };
`;
    const dir = await gateDir({ type: "cedar", policies_file: "policies.cedar" }, {
      "policies.cedar": bad,
    });
    try {
      // At load (what the server's start does): the policy id and its position are named.
      const cfg = parseHallFileConfig(JSON.parse(await Deno.readTextFile(`${dir}/hall.json`)));
      await assert.rejects(
        loadGate(cfg.policy_gate, { configDir: dir, rules: parseRules(RULES), now: Date.now }),
        (e: Error & { code?: string; path?: string }) => {
          assert.equal(e.code, "POLICY_GATE_INVALID");
          assert.equal(e.path, "policies[typo]");
          assert.match(e.message, /policies\.cedar:5:\d+: policy 'typo' fails schema validation/);
          assert.match(e.message, /data_lable/);
          return true;
        },
      );

      // Hot reload: a good file is installed; a bad one is refused and the good one stays.
      await Deno.writeTextFile(`${dir}/policies.cedar`, NO_RESTRICTED);
      await withGateHall(dir, async (h) => {
        const before = await route(h, { env: "prod", data_label: "RESTRICTED" });
        assert.equal(before.deny_reason_if_denied?.code, "DENY_POLICY_GATE");
        await Deno.writeTextFile(`${dir}/policies.cedar`, bad);
        const r = await h.req("/wcp/policy_gate/reload", { method: "POST" });
        const body = await j(r);
        assert.equal(r.status, 422);
        assert.equal(err(body).code, "POLICY_GATE_INVALID");
        assert.equal(err(body).path, "policies[typo]");
        assert.match(String(err(body).message), /:5:\d+: policy 'typo'/);
        const after = await route(h, { env: "prod", data_label: "RESTRICTED" });
        assert.deepEqual(after.policy_gate.determining_policies, ["no-restricted-prod"]);
        const status = await j(await h.req("/wcp/policy_gate"));
        assert.match(status.last_error.message, /typo/);
        assert.equal(status.info.type, "cedar");

        // A syntax error names its position too.
        await Deno.writeTextFile(`${dir}/policies.cedar`, `${BASE}\npermit(principal, action`);
        const syn = await j(await h.req("/wcp/policy_gate/reload", { method: "POST" }));
        assert.match(String(err(syn).message), /policies\.cedar:4:\d+/);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "cedar: reloading the policy file changes decisions",
  ...HALL_TEST,
  fn: async () => {
    const dir = await gateDir({ type: "cedar", policies_file: "policies.cedar" }, {
      "policies.cedar": BASE,
    });
    try {
      await withGateHall(dir, async (h) => {
        const input = { env: "prod", data_label: "RESTRICTED" };
        assert.equal((await route(h, input)).outcome, "DISPATCH");
        await Deno.writeTextFile(`${dir}/policies.cedar`, NO_RESTRICTED);
        const r = await h.req("/wcp/policy_gate/reload", { method: "POST" });
        assert.equal(r.status, 200, JSON.stringify(await j(r.clone())));
        assert.equal((await route(h, input)).deny_reason_if_denied?.code, "DENY_POLICY_GATE");
        // And hall.json itself: switching to the table gate.
        await Deno.writeTextFile(
          `${dir}/hall.json`,
          JSON.stringify({ policy_gate: { default: "DENY", policy_version: "tbl.v2" } }),
        );
        assert.equal((await h.req("/wcp/policy_gate/reload", { method: "POST" })).status, 200);
        const d = await route(h, { env: "dev" });
        assert.equal(d.policy_gate.type, "table");
        assert.equal(d.policy_version, "tbl.v2");
        assert.deepEqual(d.policy_gate.determining_policies, [], "the default decided");
        await Deno.writeTextFile(
          `${dir}/hall.json`,
          JSON.stringify({
            policy_gate: {
              default: "DENY",
              rules: [{ match: { env: "stage" }, decision: "DENY" }, {
                match: { env: "dev" },
                decision: "ALLOW",
                reason: "dev is open",
              }],
            },
          }),
        );
        assert.equal((await h.req("/wcp/policy_gate/reload", { method: "POST" })).status, 200);
        const t = await route(h, { env: "dev" });
        assert.deepEqual(t.policy_gate.determining_policies, ["policy_gate.rules[1]"]);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---- webhook ----

const SECRET = "s3cret-s3cret-s3cret-s3cret-0123456789";

interface Hook {
  url: string;
  calls: { body: string; signature: string | null }[];
  answer: (body: Record<string, unknown>) => Promise<Response> | Response;
  /** An answer that never comes (until the hook closes): for timeouts. */
  hang: () => Promise<Response>;
  close: () => Promise<void>;
}

/** A webhook on 127.0.0.1 that checks the signature and answers with `hook.answer`. */
function startHook(): Hook {
  const ac = new AbortController();
  const hanging = new Set<PromiseWithResolvers<void>>();
  const calls: Hook["calls"] = [];
  let answer: Hook["answer"] = () => Response.json({ decision: "ALLOW" });
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: () => {},
  }, async (req) => {
    const body = await req.text();
    const signature = req.headers.get("wcp-signature");
    calls.push({ body, signature });
    const check = verifyWebhookSignature(
      new TextEncoder().encode(SECRET),
      body,
      signature,
      Math.floor(Date.now() / 1000),
    );
    if (!check.ok) return new Response(check.reason, { status: 401 });
    return await answer(JSON.parse(body));
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/gate`,
    calls,
    get answer() {
      return answer;
    },
    set answer(fn) {
      answer = fn;
    },
    hang: async () => {
      const p = Promise.withResolvers<void>();
      hanging.add(p);
      await p.promise;
      return Response.json({ decision: "ALLOW" });
    },
    close: async () => {
      for (const p of hanging) p.resolve();
      ac.abort();
      await server.finished;
    },
  };
}

async function withHook(
  gate: Record<string, unknown>,
  fn: (h: TestHall, hook: Hook) => Promise<void>,
): Promise<void> {
  const hook = startHook();
  const dir = await gateDir(
    { type: "webhook", url: hook.url, secret_file: "gate.secret", ...gate },
    {
      "gate.secret": SECRET + "\n",
    },
  );
  try {
    await withGateHall(dir, (h) => fn(h, hook));
  } finally {
    await hook.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "webhook: a signed POST of the context; its answer decides; the answer is cached by context",
  ...HALL_TEST,
  fn: async () => {
    await withHook({ policy_version: "hook.v1" }, async (h, hook) => {
      hook.answer = (b) => {
        const ctx = b.context as Record<string, unknown>;
        return Response.json(
          ctx.env === "prod"
            ? { decision: "DENY", reason: "prod is closed", determining_policies: ["prod-closed"] }
            : { decision: "ALLOW", cache_ttl_seconds: 60, determining_policies: ["dev-ok"] },
        );
      };
      const d = await route(h, { env: "prod" });
      assert.equal(d.deny_reason_if_denied?.code, "DENY_POLICY_GATE", JSON.stringify(d));
      assert.equal(d.deny_reason_if_denied.reason, "prod is closed");
      assert.deepEqual(d.policy_gate.determining_policies, ["prod-closed"]);
      assert.equal(hook.calls.length, 1);
      const sent = JSON.parse(hook.calls[0].body);
      assert.equal(sent.type, "wcp.policy_gate.request");
      assert.equal(sent.context.capability_id, "cap.doc.summarize");
      assert.equal(sent.context.matched_rule_id, "docs");
      assert.deepEqual(sent.candidate_workers, ["wrk.doc.summarizer"]);
      assert.match(hook.calls[0].signature!, /^t=\d+,v1=[0-9a-f]{64}$/);

      // Allowed with cache_ttl_seconds: the second identical question is answered from the cache.
      const a1 = await route(h, { env: "dev" });
      const a2 = await route(h, { env: "dev" });
      assert.equal(a1.outcome, "DISPATCH");
      assert.equal(a2.outcome, "DISPATCH");
      assert.equal(a1.policy_gate.cached, false);
      assert.equal(a2.policy_gate.cached, true);
      assert.equal(a2.policy_version, "hook.v1");
      assert.equal(hook.calls.length, 2);
      // Another context (tenant) is another question.
      await route(h, { env: "dev", tenant_id: "globex" });
      assert.equal(hook.calls.length, 3);
      // A rule without escalation.policy_gate: no call at all.
      assert.equal((await route(h, { capability_id: "cap.hello.greet" })).outcome, "DISPATCH");
      assert.equal(hook.calls.length, 3);
    });
  },
});

Deno.test({
  name: "webhook: a timeout denies (fail closed) and names the cause",
  ...HALL_TEST,
  fn: async () => {
    await withHook({ timeout_ms: 200 }, async (h, hook) => {
      hook.answer = () => hook.hang();
      const d = await route(h);
      assert.equal(d.outcome, "DENY", JSON.stringify(d));
      assert.equal(d.deny_reason_if_denied.code, "DENY_POLICY_GATE");
      assert.match(d.deny_reason_if_denied.reason, /^policy_gate_timeout: no answer within 200 ms/);
      assert.equal(d.policy_gate.error_code, "GATE_TIMEOUT");
    });
  },
});

Deno.test({
  name: "webhook: malformed answers, non-2xx and an unreachable webhook deny",
  ...HALL_TEST,
  fn: async () => {
    await withHook({}, async (h, hook) => {
      const cases: [() => Response, string, RegExp][] = [
        [
          () => Response.json({ decision: "allow" }),
          "DENY_POLICY_GATE_INVALID_RESPONSE",
          /decision/,
        ],
        [
          () => Response.json({ decision: "ALLOW", cache_ttl: 5 }),
          "DENY_POLICY_GATE_INVALID_RESPONSE",
          /cache_ttl/,
        ],
        [() => new Response("<html>"), "DENY_POLICY_GATE_INVALID_RESPONSE", /not JSON/],
        [
          () => new Response(`{"decision":"ALLOW","reason":"${"x".repeat(70_000)}"}`),
          "DENY_POLICY_GATE_INVALID_RESPONSE",
          /larger than 65536 bytes/,
        ],
        [
          () => Response.json({ decision: "ALLOW" }, { status: 503 }),
          "DENY_POLICY_GATE",
          /^policy_gate_http_status: the webhook answered HTTP 503/,
        ],
      ];
      for (const [answer, code, why] of cases) {
        hook.answer = answer;
        const d = await route(h);
        assert.equal(d.outcome, "DENY", JSON.stringify(d));
        assert.equal(d.deny_reason_if_denied.code, code, JSON.stringify(d));
        const text = code === "DENY_POLICY_GATE"
          ? d.deny_reason_if_denied.reason
          : d.deny_reason_if_denied.message;
        assert.match(text, why);
        assert.equal(d.policy_gate.decision, "DENY");
      }
    });
    // Nothing listening.
    const dir = await gateDir({
      type: "webhook",
      url: "http://127.0.0.1:9/gate",
      secret_file: "gate.secret",
      timeout_ms: 2000,
    }, { "gate.secret": SECRET });
    try {
      await withGateHall(dir, async (h) => {
        const d = await route(h);
        assert.match(d.deny_reason_if_denied.reason, /^policy_gate_unreachable: /);
        assert.equal(d.policy_gate.error_code, "GATE_UNREACHABLE");
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("webhook: a bad signature config is refused at load, naming the field", async () => {
  const rules = parseRules(RULES);
  const load = (
    gate: Record<string, unknown>,
    env: Record<string, string> = {},
    dir = "/nonexistent",
  ) =>
    loadGate(parseHallFileConfig({ policy_gate: gate }).policy_gate, {
      configDir: dir,
      rules,
      now: Date.now,
      env: (n) => env[n],
    });
  const url = "http://127.0.0.1:9/gate";
  const refused = async (p: Promise<LoadedGate | undefined>, path: string, message: RegExp) => {
    await assert.rejects(p, (e: Error & { code?: string; path?: string }) => {
      assert.equal(e.code, "POLICY_GATE_INVALID");
      assert.equal(e.path, path);
      assert.match(e.message, message);
      return true;
    });
  };
  await refused(
    load({ type: "webhook", url, secret_env: "GATE_KEY" }),
    "policy_gate.secret_env",
    /GATE_KEY is not set/,
  );
  await refused(
    load({ type: "webhook", url, secret_env: "GATE_KEY" }, { GATE_KEY: "short" }),
    "policy_gate.secret_env",
    /at least 32 bytes \(it has 5\)/,
  );
  await refused(
    load({ type: "webhook", url, secret_file: "missing.secret" }),
    "policy_gate.secret_file",
    /cannot read \/nonexistent\/missing.secret/,
  );
  // Both or neither: refused by the schema, naming the field.
  assert.throws(
    () =>
      parseHallFileConfig({
        policy_gate: { type: "webhook", url, secret_env: "A", secret_file: "b" },
      }),
    /policy_gate\.secret_env: give exactly one of secret_env or secret_file/,
  );
  // And a good one loads.
  const g = await load({ type: "webhook", url, secret_env: "GATE_KEY" }, { GATE_KEY: SECRET });
  assert.equal(g?.type, "webhook");
});

Deno.test({
  name: "cedar: the gate reloads with the rules (the schema holds the capabilities the rules name)",
  ...HALL_TEST,
  fn: async () => {
    const custom = `${BASE}
@id("no-custom-in-prod")
forbid(principal, action == WCP::Action::"cap.acme.custom", resource == WCP::Environment::"prod");
`;
    const dir = await gateDir({ type: "cedar", policies_file: "policies.cedar" }, {
      "policies.cedar": BASE,
    });
    try {
      await withGateHall(dir, async (h) => {
        // cap.acme.custom is in neither the catalog nor the rules: the policy is refused.
        await Deno.writeTextFile(`${dir}/policies.cedar`, custom);
        const refused = await h.req("/wcp/policy_gate/reload", { method: "POST" });
        assert.equal(refused.status, 422);
        assert.match(String(err(await j(refused)).message), /no-custom-in-prod/);
        // Rules naming it: accepted, and the gate reloads with them against the new schema.
        const rules = structuredClone(RULES);
        rules.rules.push({
          rule_id: "custom",
          match: { capability_id: "cap.acme.custom" },
          decision: {
            candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }],
            escalation: { policy_gate: true },
          },
        });
        const r = await h.req("/wcp/rules/reload", { method: "POST", json: rules });
        const body = await j(r);
        assert.equal(r.status, 200, JSON.stringify(body));
        assert.deepEqual(body.policy_gate, { ok: true });
        const d = await route(h, { capability_id: "cap.acme.custom", env: "prod" });
        assert.deepEqual(d.policy_gate.determining_policies, ["no-custom-in-prod"]);
        // A hall without a hall.json gate says nothing about one.
      });
      await withHall({ rules: RULES, policyGate: undefined }, async (h) => {
        const r = await j(await h.req("/wcp/rules/reload", { method: "POST", json: RULES }));
        assert.equal(r.policy_gate, undefined);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
