import assert from "node:assert/strict";
import { HallClient } from "../../mod.ts";
import { hashPackageDir } from "../../src/adapters/fs.ts";
import { CLI, isOneLineError, PERMS, tempDir, wcp } from "./_run.ts";

const TOKEN = "wcp_cli_test_admin_token_0123456789abcdef";

/** Start `wcp serve` on a free port; resolves once the hall prints its address. */
async function startHall(): Promise<{ url: string; stop: () => Promise<number> }> {
  const dir = await tempDir();
  const child = new Deno.Command("deno", {
    args: ["run", "--quiet", ...PERMS, CLI, "serve", "--port", "0", "--data-dir", `${dir}/data`],
    env: { NO_COLOR: "1", WCP_ADMIN_TOKEN: TOKEN },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 30_000;
  while (!/listening on (http:\/\/\S+)/.test(seen)) {
    if (Date.now() > deadline) throw new Error(`hall did not start: ${seen}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`hall exited: ${seen}`);
    seen += value;
  }
  const url = seen.match(/listening on (http:\/\/\S+)/)![1];
  const drain = (async () => {
    while (!(await reader.read()).done) { /* keep the pipe flowing */ }
  })();
  const stderr = child.stderr.pipeTo(new WritableStream());
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      const status = await child.status;
      await drain;
      await stderr;
      return status.code;
    },
  };
}

Deno.test("registry commands against a real hall started by wcp serve", async (t) => {
  const hall = await startHall();
  const env = { WCP_TOKEN: TOKEN };
  try {
    await t.step("ban-list lists bans (empty on a new hall)", async () => {
      const r = await wcp(["registry", "ban-list", "--hall", hall.url, "--json"], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.json(), []);
    });
    await t.step("registry status shows health and workers", async () => {
      const r = await wcp(["registry", "status", "--hall", hall.url, "--json"], { env });
      assert.equal(r.code, 0, r.stderr);
      const j = r.json() as {
        health: { status: string; compliance_level: string };
        workers: unknown[];
      };
      assert.equal(j.health.status, "ok");
      assert.ok(Array.isArray(j.workers));
      const text = await wcp(["registry", "status", "--hall", hall.url], { env });
      assert.match(text.stdout, /^hall {6}ok \(WCP-Standard, WCP 0\.1\)/);
      // Why not WCP-Full: the gaps of the hall's own configuration.
      assert.match(text.stdout, /gap: full: privilege envelopes are enforced/);
    });
    await t.step("enroll a record, then registry verify it", async () => {
      const dir = await tempDir();
      const record = {
        worker_id: "org.acme.cli-test.1",
        worker_species_id: "wrk.doc.summarizer",
        capabilities: ["cap.doc.summarize"],
        risk_tier: "low",
      };
      await Deno.writeTextFile(`${dir}/rec.json`, JSON.stringify(record));
      const e = await wcp(["enroll", `${dir}/rec.json`, "--hall", hall.url], { env });
      assert.equal(e.code, 0, e.stderr);
      assert.match(e.stdout, /enrolled org\.acme\.cli-test\.1/);
      const v = await wcp([
        "registry",
        "verify",
        "org.acme.cli-test.1",
        "--hall",
        hall.url,
        "--json",
      ], { env });
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.equal((v.json() as { ok: boolean }).ok, true);
      const unknown = await wcp(["registry", "verify", "org.acme.nobody.1", "--hall", hall.url], {
        env,
      });
      assert.equal(unknown.code, 1);
      assert.ok(isOneLineError(unknown.stderr), unknown.stderr);
      assert.match(unknown.stderr, /404/);
    });
    await t.step(
      "registry verify --package compares hashes; a banned hash fails verify",
      async () => {
        const dir = await tempDir();
        assert.equal((await wcp(["attest", "scaffold", `${dir}/pkg`])).code, 0);
        const hash = (await hashPackageDir(`${dir}/pkg`)).package_hash;
        const record = {
          worker_id: "org.acme.hashed.1",
          worker_species_id: "wrk.doc.summarizer",
          capabilities: ["cap.doc.summarize"],
          attestation: { code_hash: hash },
        };
        await Deno.writeTextFile(`${dir}/rec.json`, JSON.stringify(record));
        assert.equal(
          (await wcp(["enroll", `${dir}/rec.json`, "--hall", hall.url], { env })).code,
          0,
        );
        const verify = [
          "registry",
          "verify",
          "org.acme.hashed.1",
          "--hall",
          hall.url,
          "--package",
          `${dir}/pkg`,
        ];
        const same = await wcp(verify, { env });
        assert.equal(same.code, 0, same.stdout + same.stderr);
        // A symlink is never hashed, so the hash still matches: verify must not pass it.
        await Deno.symlink("/etc/passwd", `${dir}/pkg/code/extra.py`);
        const linked = await wcp([...verify, "--json"], { env });
        assert.equal(linked.code, 1, linked.stdout);
        assert.deepEqual((linked.json() as { problems: string[] }).problems, [
          'local package holds symlink "code/extra.py" (never hashed)',
        ]);
        await Deno.remove(`${dir}/pkg/code/extra.py`);
        await Deno.writeTextFile(`${dir}/pkg/code/worker_logic.py`, "changed\n");
        const changed = await wcp([...verify, "--json"], { env });
        assert.equal(changed.code, 1);
        assert.match(
          (changed.json() as { problems: string[] }).problems[0],
          /local package hash .* differs/,
        );

        const admin = new HallClient({ baseUrl: hall.url, token: TOKEN });
        const digest = hash.startsWith("sha256:") ? hash : `sha256:${hash}`;
        await admin.reportBan({ sha256: digest, reason: "known bad build" });
        await admin.confirmBan(digest);
        const banned = await wcp(["registry", "verify", "org.acme.hashed.1", "--hall", hall.url], {
          env,
        });
        assert.equal(banned.code, 1);
        assert.match(banned.stdout, /is banned: known bad build/);
        const list = (await wcp(["registry", "ban-list", "--hall", hall.url, "--json"], { env }))
          .json() as { sha256: string; status: string }[];
        assert.deepEqual(list.map((b) => [b.sha256, b.status]), [[digest, "confirmed"]]);
      },
    );
    await t.step("an invalid record is refused locally (exit 2) before any request", async () => {
      const dir = await tempDir();
      await Deno.writeTextFile(
        `${dir}/bad.json`,
        JSON.stringify({
          worker_id: "acme",
          worker_species_id: "wrk.a.b",
          capabilities: ["cap.a.b"],
        }),
      );
      const r = await wcp(["enroll", `${dir}/bad.json`, "--hall", hall.url], { env });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /RECORD: .*worker_id/);
    });
    await t.step(
      "a missing token is refused by the hall: exit 1 with the hall's code",
      async () => {
        const r = await wcp(["registry", "ban-list", "--hall", hall.url], {
          env: { WCP_TOKEN: "" },
        });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /hall answered 401 .*no token sent/);
        // A variable named with --token-env must be set: a usage error, before any request.
        const unset = await wcp([
          "registry",
          "ban-list",
          "--hall",
          hall.url,
          "--token-env",
          "WCP_NO_SUCH_TOKEN",
        ]);
        assert.equal(unset.code, 2);
        assert.match(
          unset.stderr,
          /--token-env: environment variable WCP_NO_SUCH_TOKEN is not set/,
        );
      },
    );
  } finally {
    const code = await hall.stop();
    assert.notEqual(code, null);
  }
});

Deno.test("an unreachable hall exits 3; a rate-limiting hall exits 4", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  const r = await wcp(["registry", "status", "--hall", `http://127.0.0.1:${port}`]);
  assert.equal(r.code, 3, r.stderr);
  assert.ok(isOneLineError(r.stderr), r.stderr);
  assert.match(r.stderr, /hall unreachable/);
  const j = await wcp(["registry", "ban-list", "--hall", `http://127.0.0.1:${port}`, "--json"]);
  assert.equal(j.code, 3);
  assert.equal((j.json() as { error: { code: string } }).error.code, "NETWORK");

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      Response.json({ error: { code: "RATE_LIMITED", message: "slow down" } }, {
        status: 429,
        headers: { "retry-after": "60" },
      }),
  );
  try {
    const limited = await wcp([
      "registry",
      "ban-list",
      "--hall",
      `http://127.0.0.1:${server.addr.port}`,
    ]);
    assert.equal(limited.code, 4, limited.stderr);
    assert.match(limited.stderr, /rate limited by the hall .*retry after 60s/);
  } finally {
    await server.shutdown();
  }
  const bad = await wcp(["registry", "status", "--hall", "ftp://x"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--hall: "ftp:\/\/x" must be http/);
});

Deno.test("serve and mcp pass --help through to the servers", async () => {
  const s = await wcp(["serve", "--help"]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /wcp hall: the Worker Class Protocol hall server/);
  const m = await wcp(["mcp", "--help"]);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout + m.stderr, /usage: .*mcp\/main\.ts/);
});
