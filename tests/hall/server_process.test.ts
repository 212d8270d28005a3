// The hall as a real process (deno run src/hall/main.ts): first start, persistence across
// restart, SIGKILL during a burst of dispatches, malformed/oversized/unauthorised HTTP, hot reload.
import assert from "node:assert/strict";
import { HallClient } from "../../src/client/mod.ts";
import { routeInput } from "./_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const MAIN = new URL("../../src/hall/main.ts", import.meta.url).pathname;
const TOKEN = "wcp_process-test-admin-token-0123456789";

interface Running {
  url: string;
  child: Deno.ChildProcess;
  output: () => string;
}

const SOURCES = ["../../src", "../../mcp"].map((d) => new URL(d, import.meta.url).pathname);

async function start(
  dataDir: string,
  extraEnv: Record<string, string> = {},
  threads = 1,
): Promise<Running> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      // Extra threads load the hall's modules themselves (and SO_REUSEPORT needs --unstable-net).
      ...(threads > 1 ? ["--unstable-net"] : []),
      "--allow-net=127.0.0.1,localhost",
      `--allow-read=${[dataDir, ...(threads > 1 ? SOURCES : [])].join(",")}`,
      `--allow-write=${dataDir}`,
      "--allow-env=WCP_ADMIN_TOKEN",
      MAIN,
      "--data-dir",
      dataDir,
      "--port",
      "0",
      "--threads",
      String(threads),
    ],
    env: { WCP_ADMIN_TOKEN: TOKEN, NO_COLOR: "1", ...extraEnv },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const reader = child.stdout.getReader();
  const deadline = Date.now() + 30_000;
  while (!/listening on (http:\/\/\S+)[^]*admin token/.test(text)) {
    if (Date.now() > deadline) throw new Error(`hall did not start: ${text}`);
    const { value, done } = await reader.read();
    if (done) {
      const err = new TextDecoder().decode((await child.output()).stderr);
      throw new Error(`hall exited: ${text} ${err}`);
    }
    text += decoder.decode(value);
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  (async () => {
    while (true) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      text += decoder.decode(value);
    }
  })();
  child.stderr.pipeTo(
    new WritableStream({
      write(chunk) {
        text += decoder.decode(chunk);
      },
    }),
  ).catch(() => {});
  const url = /listening on (http:\/\/\S+)/.exec(text)![1];
  return { url, child, output: () => text };
}

async function stop(r: Running, signal: Deno.Signal = "SIGTERM"): Promise<void> {
  try {
    r.child.kill(signal);
  } catch { /* already gone */ }
  await r.child.status;
}

Deno.test({
  name: "process: first start creates the data dir, prints the token, stores it hashed only",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hall-" });
    const data = `${dir}/data`;
    // No WCP_ADMIN_TOKEN: the hall generates one and prints it.
    const r = await start(data, { WCP_ADMIN_TOKEN: "" });
    try {
      const m = /admin token \(shown once, stored hashed\): (wcp_\S+)/.exec(r.output());
      assert.ok(m, r.output());
      const token = m[1];
      const files = [...Deno.readDirSync(data)].map((e) => e.name).sort();
      assert.ok(files.includes("hall.json") && files.includes("rules.json"));
      assert.ok(files.includes("hall.sqlite"));
      const c = new HallClient({ baseUrl: r.url, token });
      assert.equal((await c.workers()).length, 3, "demo workers enrolled");
      const d = await c.dispatch(routeInput());
      assert.equal(d.decision.outcome, "DISPATCH");
      await stop(r);
      // The plain token appears nowhere in the data directory.
      for (const f of Deno.readDirSync(data)) {
        const bytes = await Deno.readFile(`${data}/${f.name}`);
        assert.ok(!new TextDecoder("latin1").decode(bytes).includes(token), `${f.name} leaks it`);
      }
    } finally {
      await stop(r);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: SQLite state persists across restart (receipts, chain, approvals, workers, key)",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hall-" });
    let r = await start(dir);
    try {
      let c = new HallClient({ baseUrl: r.url, token: TOKEN });
      for (let i = 0; i < 3; i++) await c.dispatch(routeInput());
      const held = await c.dispatch(routeInput({ capability_id: "cap.msg.notify" }));
      const approvalId = String(held.approval_id);
      const grant = await c.createNamespace({ namespace: "org.keep", tier: "free", owner: "k" });
      const before = await c.verifyChain("acme");
      await stop(r);

      r = await start(dir);
      c = new HallClient({ baseUrl: r.url, token: TOKEN });
      const after = await c.verifyChain("acme");
      assert.equal(after.ok, true);
      assert.equal(after.tenants[0].count, 3);
      assert.equal(after.key_id, before.key_id, "the signing key survives a restart");
      assert.equal(after.tenants[0].head_hash, before.tenants[0].head_hash);
      assert.deepEqual((await c.pendingApprovals()).map((a) => a.approval_id), [approvalId]);
      const ns = new HallClient({ baseUrl: r.url, token: grant.token });
      assert.equal((await ns.workers()).length, 3, "the namespace token still works");
      // The chain continues where it stopped.
      const next = await c.dispatch(routeInput());
      assert.equal(next.receipt?.seq, 3);
      assert.equal(next.receipt?.prev_receipt_hash, before.tenants[0].head_hash);
      // Another admin approves (the token that raised the hold cannot: decision 19).
      const approver = new HallClient({
        baseUrl: r.url,
        token: (await c.createToken({ role: "admin", label: "approver" })).token,
      });
      await approver.resolveApproval(approvalId, "approve");
      assert.equal((await c.dispatchApproved(approvalId)).decision.outcome, "DISPATCH");
    } finally {
      await stop(r);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

for (const threads of [1, 2]) {
  Deno.test({
    name: `process (${threads} thread${threads > 1 ? "s" : ""}): SIGKILL during a burst of ` +
      "dispatches loses no acknowledged receipt",
    ...opts,
    fn: () => killDuringBurst(threads),
  });
}

async function killDuringBurst(threads: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wcp-hall-" });
  let r = await start(dir, {}, threads);
  try {
    // With threads, a fresh connection per request, so the kernel spreads them over the threads
    // (both write to the one SQLite file when the process is killed).
    const threadsSeen = new Set<string>();
    const fresh: typeof fetch = async (input, init) => {
      const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      try {
        const res = await fetch(input, { ...init, client });
        const body = await res.arrayBuffer();
        return new Response(body, { status: res.status, headers: res.headers });
      } finally {
        client.close();
      }
    };
    const c = new HallClient({
      baseUrl: r.url,
      token: TOKEN,
      retries: 0,
      timeoutMs: 5_000,
      ...(threads > 1 ? { fetch: fresh } : {}),
    });
    if (threads > 1) {
      for (let i = 0; i < 40 && threadsSeen.size < threads; i++) {
        const h = await (await fresh(`${r.url}/wcp/health`)).json();
        threadsSeen.add(String(h.threads.index));
      }
      assert.equal(threadsSeen.size, threads, "every thread serves");
    }
    const acked = new Map<string, number>();
    let stopFlag = false;
    const worker = async (tenant: string) => {
      while (!stopFlag) {
        try {
          const out = await c.dispatch(routeInput({ tenant_id: tenant }));
          if (out.receipt) acked.set(out.receipt.receipt_id, out.receipt.seq);
        } catch {
          return; // the hall died under us
        }
      }
    };
    const loops = ["acme", "acme", "acme", "beta", "beta", "gamma"].map(worker);
    while (acked.size < 60) await new Promise((res) => setTimeout(res, 5));
    r.child.kill("SIGKILL");
    stopFlag = true;
    await Promise.all(loops);
    await r.child.status;
    assert.ok(acked.size >= 60);

    r = await start(dir);
    const c2 = new HallClient({ baseUrl: r.url, token: TOKEN });
    const v = await c2.verifyChain();
    assert.equal(v.ok, true, JSON.stringify(v.tenants.map((t) => t.breaks)));
    const stored = new Map<string, number>();
    for (const t of ["acme", "beta", "gamma"]) {
      const rs = await c2.receipts({ tenant_id: t, limit: 1000 });
      assert.deepEqual(rs.map((x) => x.seq), rs.map((_, i) => i), `${t}: no gap`);
      for (const x of rs) stored.set(x.receipt_id, x.seq);
    }
    for (const [id, seq] of acked) {
      assert.equal(stored.get(id), seq, `acknowledged receipt ${id} survived at seq ${seq}`);
    }
  } finally {
    await stop(r);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "process: malformed, oversized and unauthorised HTTP requests; Host check",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hall-" });
    const r = await start(dir);
    try {
      const post = (body: BodyInit, headers: Record<string, string> = {}) =>
        fetch(`${r.url}/wcp/route`, {
          method: "POST",
          body,
          headers: {
            authorization: `Bearer ${TOKEN}`,
            "content-type": "application/json",
            ...headers,
          },
        });
      const big = await post(JSON.stringify({ request: { x: "y".repeat(2 * 1024 * 1024) } }));
      assert.equal(big.status, 413);
      assert.equal((await big.json()).error.code, "BODY_TOO_LARGE");
      const broken = await post('{"env":');
      assert.equal(broken.status, 400);
      assert.equal((await broken.json()).error.code, "INVALID_JSON");
      const anon = await fetch(`${r.url}/wcp/route`, { method: "POST", body: "{}" });
      assert.equal(anon.status, 401);
      assert.equal((await anon.json()).error.code, "UNAUTHENTICATED");
      // fetch will not forge a Host header; a raw socket can (as a rebinding page's would be).
      const port = Number(new URL(r.url).port);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode(
        "GET /wcp/health HTTP/1.1\r\nHost: rebind.attacker.example\r\nConnection: close\r\n\r\n",
      ));
      let raw = "";
      const buf = new Uint8Array(4096);
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
        raw += new TextDecoder().decode(buf.subarray(0, n));
      }
      conn.close();
      assert.match(raw, /^HTTP\/1\.1 421/);
      assert.match(raw, /HOST_NOT_ALLOWED/);
      const typed = await post(JSON.stringify(routeInput({ qos_class: 7 })));
      assert.equal(typed.status, 400);
      assert.equal((await typed.json()).error.path, "qos_class");
      const health = await fetch(`${r.url}/wcp/health`);
      assert.equal(health.status, 200);
      assert.equal(health.headers.get("x-content-type-options"), "nosniff");
      await health.body?.cancel();
    } finally {
      await stop(r);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: editing rules.json hot-reloads; a broken file is refused and old rules stay",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hall-" });
    const r = await start(dir);
    try {
      const c = new HallClient({ baseUrl: r.url, token: TOKEN });
      const rulesPath = `${dir}/rules.json`;
      const waitFor = async (pred: () => Promise<boolean>) => {
        const until = Date.now() + 10_000;
        while (!(await pred())) {
          if (Date.now() > until) return false;
          await new Promise((res) => setTimeout(res, 100));
        }
        return true;
      };
      await Deno.writeTextFile(rulesPath, '{"rules": [{"rule_id": 5}]}');
      assert.ok(
        await waitFor(() =>
          Promise.resolve(/rules reload refused, old rules stay/.test(r.output()))
        ),
        r.output(),
      );
      assert.equal((await c.route(routeInput())).outcome, "DISPATCH", "old rules still in force");
      await Deno.writeTextFile(
        rulesPath,
        JSON.stringify({
          rules: [{
            rule_id: "only.greet",
            match: { capability_id: "cap.hello.greet" },
            decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.hello.greeter" }] },
          }],
        }),
      );
      const reloaded = await waitFor(async () => (await c.route(routeInput())).outcome === "DENY");
      assert.ok(reloaded, "the new rules were picked up from the file");
    } finally {
      await stop(r);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: /mcp serves MCP over the hall's own API, behind its bearer auth",
  ...opts,
  fn: async () => {
    const { DEMO_CONFIG_DOCUMENT } = await import("../../mcp/demo_config.ts");
    const { EXAMPLE_HALL_CONFIG } = await import("../../src/hall/bootstrap.ts");
    const dir = await Deno.makeTempDir({ prefix: "wcp-hall-" });
    await Deno.writeTextFile(`${dir}/mcp.json`, JSON.stringify(DEMO_CONFIG_DOCUMENT));
    await Deno.writeTextFile(
      `${dir}/hall.json`,
      JSON.stringify({ ...EXAMPLE_HALL_CONFIG, mcp_config: "mcp.json" }),
    );
    const r = await start(dir);
    try {
      const rpc = (token: string | null) =>
        fetch(`${r.url}/mcp`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "initialize",
            params: {
              protocolVersion: "2025-06-18",
              capabilities: {},
              clientInfo: { name: "t", version: "1" },
            },
          }),
        });
      const anon = await rpc(null);
      assert.equal(anon.status, 401);
      await anon.body?.cancel();
      const ok = await rpc(TOKEN);
      assert.equal(ok.status, 200, await ok.clone().text());
      const text = await ok.text();
      assert.match(text, /"serverInfo"/);
      // A governed tool call goes through the hall: the hall's own demo workers are listed.
      const list = await fetch(`${r.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${TOKEN}`,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} }),
      });
      assert.equal(list.status, 200);
      assert.match(await list.text(), /wcp_route/);
    } finally {
      await stop(r);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: SIGTERM shuts down cleanly even with a dashboard's SSE stream open",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hall-" });
    const r = await start(dir);
    try {
      const res = await fetch(`${r.url}/wcp/events`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      await reader.read(); // the `ready` event
      r.child.kill("SIGTERM");
      const status = await Promise.race([
        r.child.status,
        new Promise<null>((res) => setTimeout(() => res(null), 10_000)),
      ]);
      assert.ok(status, "the hall exited");
      assert.equal(status.code, 0);
      await reader.cancel().catch(() => {});
    } finally {
      await stop(r);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: a misspelt or wrongly typed hall_config key refuses to start with one line",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hall-" });
    try {
      const cases: [Record<string, unknown>, RegExp][] = [
        [
          { require_signatry: true },
          /hall_config\.require_signatry: unknown key; did you mean "require_signatory"\?/,
        ],
        [{ blast_gate_threshold: 150 }, /hall_config\.blast_gate_threshold: .*0 to 100/],
        [{ allowed_tenants: ["acme", 3] }, /hall_config\.allowed_tenants\[1\]: .*non-empty/],
      ];
      for (const [hallConfig, expected] of cases) {
        await Deno.writeTextFile(`${dir}/hall.json`, JSON.stringify({ hall_config: hallConfig }));
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--allow-net=127.0.0.1,localhost",
            `--allow-read=${dir}`,
            `--allow-write=${dir}`,
            MAIN,
            "--data-dir",
            dir,
            "--port",
            "0",
          ],
          env: { NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr).trim();
        const stdout = new TextDecoder().decode(out.stdout);
        assert.notEqual(out.code, 0, stderr);
        assert.doesNotMatch(stdout, /listening/);
        assert.equal(stderr.split("\n").length, 1, `one line, got: ${stderr}`);
        assert.match(stderr, /^wcp hall: config file .*hall\.json: /);
        assert.match(stderr, expected);
        assert.doesNotMatch(stderr, /\bat .*\.ts:\d+/, "no stack trace");
      }
      assert.ok(
        !(await Deno.stat(`${dir}/hall.sqlite`).then(() => true, () => false)),
        "nothing opened before the config was checked",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

function spawnHall(dir: string, port: number, extra: string[], unstableNet: boolean) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(unstableNet ? ["--unstable-net"] : []),
      "--allow-net=127.0.0.1,localhost",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-env=WCP_ADMIN_TOKEN",
      MAIN,
      "--data-dir",
      dir,
      "--port",
      String(port),
      ...extra,
    ],
    env: { WCP_ADMIN_TOKEN: TOKEN, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function waitListening(child: Deno.ChildProcess): Promise<void> {
  const reader = child.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (!/admin token/.test(text)) {
    if (Date.now() > deadline) throw new Error(`hall did not start: ${text}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`hall exited: ${text}`);
    text += new TextDecoder().decode(value);
  }
  (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done) { /* drain */ }
  })();
}

Deno.test({
  name: "process: --reuse-port: two halls share one port and one SQLite file, registry in sync",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hall-" });
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const a = spawnHall(dir, port, ["--reuse-port"], true);
    let b: Deno.ChildProcess | null = null;
    try {
      await waitListening(a); // the first start creates the data directory
      b = spawnHall(dir, port, ["--reuse-port"], true);
      await waitListening(b);
      const url = `http://127.0.0.1:${port}`;
      const { recordHashJcs } = await import("../../src/registry/registry.ts");
      const rec: Record<string, unknown> = {
        worker_id: "org.acme.extra.1",
        worker_species_id: "wrk.doc.summarizer",
        capabilities: ["cap.doc.extra"],
      };
      rec.artifact_hash = recordHashJcs(rec);
      const c = new HallClient({ baseUrl: url, token: TOKEN });
      await c.enroll(rec);
      await new Promise((r) => setTimeout(r, 1_500)); // > the 1 s registry re-read
      // Fresh connections, so the kernel spreads them over both processes: every one knows it.
      for (let i = 0; i < 12; i++) {
        const client = Deno.createHttpClient({});
        try {
          const res = await fetch(`${url}/wcp/workers/org.acme.extra.1`, {
            client,
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          assert.equal(res.status, 200, `request ${i}`);
          await res.body?.cancel();
        } finally {
          client.close();
        }
      }
      // One of them stopping leaves the port served by the other.
      a.kill("SIGTERM");
      await a.status;
      const after = await c.route(routeInput());
      assert.equal(after.outcome, "DISPATCH");
    } finally {
      for (const p of [a, b]) {
        try {
          p?.kill("SIGKILL");
        } catch { /* gone */ }
        await p?.status;
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: --reuse-port without --unstable-net is one clear line, exit 2",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hall-" });
    try {
      const child = spawnHall(dir, 0, ["--reuse-port"], false);
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr).trim();
      assert.equal(out.code, 2);
      assert.equal(
        stderr,
        "wcp hall: --reuse-port needs `deno run --unstable-net` (README, The Hall server)",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
