// Hall hygiene as a real process: the data directory is owner-only whatever the umask (it holds
// the receipt signing key), an existing loose one is tightened with a warning, and a revoked
// WCP_ADMIN_TOKEN is a one-line refusal.
import assert from "node:assert/strict";
import { openSqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { hashToken } from "../../src/hall/middleware/auth.ts";
import { routeInput } from "./_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const MAIN = new URL("../../src/hall/main.ts", import.meta.url).pathname;
const TOKEN = "wcp_hygiene-test-admin-token-0123456789";

function hallArgs(dataDir: string, extra: string[] = []): string[] {
  return [
    "run",
    "--allow-net=127.0.0.1,localhost",
    `--allow-read=${dataDir}`,
    `--allow-write=${dataDir}`,
    "--allow-env=WCP_ADMIN_TOKEN,WCP_TELEMETRY_JSONL",
    MAIN,
    "--data-dir",
    dataDir,
    "--port",
    "0",
    ...extra,
  ];
}

interface Running {
  url: string;
  child: Deno.ChildProcess;
  output: () => string;
}

/** Start the hall under `umask` (through sh, as a service manager or shell would). */
async function start(
  dataDir: string,
  umask: string,
  env: Record<string, string> = {},
  extra: string[] = [],
): Promise<Running> {
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      `umask ${umask} && exec "$0" "$@"`,
      Deno.execPath(),
      ...hallArgs(dataDir, extra),
    ],
    env: { WCP_ADMIN_TOKEN: TOKEN, NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  child.stderr.pipeTo(
    new WritableStream({
      write(chunk) {
        text += decoder.decode(chunk);
      },
    }),
  ).catch(() => {});
  const reader = child.stdout.getReader();
  const deadline = Date.now() + 30_000;
  while (!/listening on (http:\/\/\S+)[^]*admin token/.test(text)) {
    if (Date.now() > deadline) throw new Error(`hall did not start: ${text}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`hall exited: ${text}`);
    text += decoder.decode(value);
  }
  (async () => {
    while (true) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      text += decoder.decode(value);
    }
  })();
  const url = /listening on (http:\/\/\S+)/.exec(text)![1];
  return { url, child, output: () => text };
}

async function stop(r: Running): Promise<void> {
  try {
    r.child.kill("SIGTERM");
  } catch { /* already gone */ }
  await r.child.status;
}

function mode(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

function octal(m: number): string {
  return m.toString(8).padStart(4, "0");
}

Deno.test({
  name: "process: under umask 000 the data dir is 0700 and every file the hall creates is 0600",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hygiene-" });
    const data = `${dir}/data`;
    const r = await start(data, "000", { WCP_TELEMETRY_JSONL: `${data}/telemetry.jsonl` });
    try {
      // A dispatch writes the WAL, a receipt (signed with the key in hall.sqlite) and telemetry.
      const res = await fetch(`${r.url}/wcp/dispatch`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(routeInput()),
      });
      assert.equal(res.status, 200, await res.text());
      // The JSONL sink flushes in the background: wait for the file (no timing asserted).
      for (let i = 0; i < 200; i++) {
        if (await Deno.stat(`${data}/telemetry.jsonl`).catch(() => null)) break;
        await new Promise((ok) => setTimeout(ok, 50));
      }
      const names = [...Deno.readDirSync(data)].map((e) => e.name).sort();
      for (const want of ["hall.json", "rules.json", "hall.sqlite", "hall.sqlite-wal"]) {
        assert.ok(names.includes(want), `${want} in ${names}`);
      }
      assert.ok(names.includes("telemetry.jsonl"), `telemetry.jsonl in ${names}`);
      assert.equal(octal(mode(data)), octal(0o700), "data directory");
      for (const name of names) {
        assert.equal(octal(mode(`${data}/${name}`)), octal(0o600), name);
      }
      assert.doesNotMatch(r.output(), /warning/, "nothing to tighten on a fresh start");
    } finally {
      await stop(r);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: an existing 0755 data dir with 0644 files is tightened at start, with a warning",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hygiene-" });
    const data = `${dir}/data`;
    // What an older hall left behind (umask 022).
    let r = await start(data, "022");
    await stop(r);
    Deno.chmodSync(data, 0o755);
    for (const e of Deno.readDirSync(data)) Deno.chmodSync(`${data}/${e.name}`, 0o644);
    r = await start(data, "022");
    try {
      assert.equal(octal(mode(data)), octal(0o700));
      for (const e of Deno.readDirSync(data)) {
        assert.equal(octal(mode(`${data}/${e.name}`)), octal(0o600), e.name);
      }
      const out = r.output();
      assert.match(out, new RegExp(`warning: ${data} was 0755, now 0700`));
      assert.match(out, new RegExp(`warning: ${data}/hall.sqlite was 0644, now 0600`));
      assert.match(out, /warning: \S+hall\.json was 0644, now 0600/);
    } finally {
      await stop(r);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: a revoked WCP_ADMIN_TOKEN refuses to start with one line, exit 2",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hygiene-" });
    try {
      // The store of a hall where this token was revoked (another admin remains).
      const store = await openSqliteStore(`${dir}/hall.sqlite`);
      const at = new Date().toISOString();
      for (
        const [id, hash] of [["tok_admin_old", hashToken(TOKEN)], [
          "tok_admin_new",
          "ab".repeat(32),
        ]]
      ) {
        await store.createToken({
          token_id: id,
          token_hash: hash,
          role: "admin",
          namespace: null,
          label: id,
          created_at: at,
          revoked_at: null,
        });
      }
      assert.equal(await store.revokeToken("tok_admin_old", at), true);
      await store.close();
      for (const e of Deno.readDirSync(dir)) Deno.chmodSync(`${dir}/${e.name}`, 0o600);
      const out = await new Deno.Command(Deno.execPath(), {
        args: hallArgs(dir),
        env: { WCP_ADMIN_TOKEN: TOKEN, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, /^wcp hall: WCP_ADMIN_TOKEN is token tok_admin_old, revoked at /);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.doesNotMatch(stderr, /UNIQUE|at .*\.ts:\d+/);
      // Nothing was added: the revoked token is still the only row with its hash.
      const after = await openSqliteStore(`${dir}/hall.sqlite`);
      const rows = (await after.listTokens()).filter((t) => t.token_hash === hashToken(TOKEN));
      await after.close();
      assert.equal(rows.length, 1);
      assert.notEqual(rows[0].revoked_at, null);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// Reads until the server closes the connection (null), or gives up after `boundMs`: a generous
// bound far above the timeout under test, so only a connection that is never closed fails.
async function closedByServer(conn: Deno.Conn, boundMs: number): Promise<boolean> {
  const buf = new Uint8Array(4096);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<"open">((ok) => timer = setTimeout(() => ok("open"), boundMs));
  try {
    while (true) {
      const r = await Promise.race([conn.read(buf).catch(() => null), bound]);
      if (r === "open") return false;
      if (r === null) return true;
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

Deno.test({
  name: "process: --header-timeout closes connections that never finish their request head",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hygiene-" });
    const r = await start(`${dir}/data`, "077", {}, ["--header-timeout", "1"]);
    try {
      const port = Number(new URL(r.url).port);
      // An SSE stream (a request in flight) outlives the timeout.
      const ac = new AbortController();
      const events = await fetch(`${r.url}/wcp/events?events=decision`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: ac.signal,
      });
      const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("event: ready")) text += (await reader.read()).value ?? "";

      // A head that stops half-way, and one trickled a byte at a time (Slowloris).
      const half = await Deno.connect({ hostname: "127.0.0.1", port });
      await half.write(
        new TextEncoder().encode("POST /wcp/route HTTP/1.1\r\nHost: 127.0.0.1\r\nCont"),
      );
      const trickle = await Deno.connect({ hostname: "127.0.0.1", port });
      let sent = 0;
      const head = "GET /wcp/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(200);
      const dripping = (async () => {
        for (; sent < head.length; sent++) {
          try {
            await trickle.write(new TextEncoder().encode(head[sent]));
          } catch {
            return; // closed by the server
          }
          await new Promise((ok) => setTimeout(ok, 100));
        }
      })();
      assert.equal(await closedByServer(half, 20_000), true, "the half head was never closed");
      assert.equal(
        await closedByServer(trickle, 20_000),
        true,
        "the trickled head was never closed",
      );
      await dripping;
      assert.ok(sent < head.length, "closed before the trickled head was complete");

      // The stream is still open and delivers; normal requests are served.
      const res = await fetch(`${r.url}/wcp/route`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(routeInput()),
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      while (!text.includes("event: decision")) text += (await reader.read()).value ?? "";
      ac.abort();
    } finally {
      await stop(r);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: --header-timeout and header_timeout_seconds refuse a bad value in one line",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp-hygiene-" });
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: hallArgs(dir, ["--header-timeout", "soon"]),
        env: { WCP_ADMIN_TOKEN: TOKEN, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, /--header-timeout: 'soon' is not a number of seconds/);
      Deno.writeTextFileSync(`${dir}/hall.json`, JSON.stringify({ header_timeout_seconds: -1 }));
      const bad = await new Deno.Command(Deno.execPath(), {
        args: hallArgs(dir),
        env: { WCP_ADMIN_TOKEN: TOKEN, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(bad.code, 2);
      assert.match(new TextDecoder().decode(bad.stderr), /header_timeout_seconds/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
