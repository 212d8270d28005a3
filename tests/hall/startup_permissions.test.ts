// The hall started the way an operator starts it: with exactly the permissions of the `serve`
// task (telemetry must still reach the store), and startup mistakes that must be one line.
import assert from "node:assert/strict";
import { HALL_TEST, routeInput } from "./_helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}src/hall/main.ts`;
const TOKEN = "wcp_review-startup-admin-token-0123456789";

/** The `deno run` flags of the serve task, with `./data` pointed at `dataDir`. */
async function serveTaskFlags(dataDir: string): Promise<string[]> {
  const task: string = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks.serve;
  const words = task.split(/\s+/);
  assert.equal(words[0], "deno");
  assert.equal(words[1], "run");
  return words.slice(2).filter((w) => w.startsWith("--")).map((w) =>
    /^--allow-(read|write)=/.test(w)
      ? w.replace(
        /=(.*)$/,
        (_m, list: string) =>
          "=" + list.split(",").map((p) => (p === "./data" ? dataDir : p)).join(","),
      )
      : w
  );
}

async function run(args: string[], env: Record<string, string> = {}): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

for (const threads of [1, 2]) {
  Deno.test(
    `serve task permissions (${threads} thread${threads > 1 ? "s" : ""}): ` +
      "decisions' telemetry reaches the store",
    HALL_TEST,
    () => serveTaskHall(threads),
  );
}

async function serveTaskHall(threads: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wcp_review_serve_" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...(await serveTaskFlags(dir)), MAIN],
    cwd: ROOT,
    env: {
      NO_COLOR: "1",
      WCP_DATA_DIR: dir,
      WCP_HALL_PORT: "0",
      WCP_ADMIN_TOKEN: TOKEN,
      WCP_HALL_THREADS: String(threads),
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const errText: string[] = [];
  child.stderr.pipeTo(
    new WritableStream({ write: (c) => void errText.push(new TextDecoder().decode(c)) }),
  );
  const reader = child.stdout.getReader();
  try {
    const deadline = Date.now() + 30_000;
    while (!/listening on (http:\/\/\S+)/.test(out)) {
      assert.ok(Date.now() < deadline, `hall did not start: ${out} ${errText.join("")}`);
      const { value, done } = await reader.read();
      assert.ok(!done, `hall exited: ${out} ${errText.join("")}`);
      out += new TextDecoder().decode(value);
    }
    const base = /listening on (http:\/\/\S+)/.exec(out)![1];
    if (threads > 1) assert.match(out, new RegExp(`\\(${threads} threads\\)`));
    const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    const res = await fetch(`${base}/wcp/route`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify(
        routeInput({
          correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f",
          request: { text: "Hello." },
        }),
      ),
    });
    const decision = await res.json();
    assert.equal(res.status, 200);
    let events: { decision_id: string }[] = [];
    while (Date.now() < deadline) {
      const t = await fetch(`${base}/wcp/telemetry`, { headers: auth });
      events = (await t.json()).events;
      if (events.some((e) => e.decision_id === decision.decision_id)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(
      events.some((e) => e.decision_id === decision.decision_id),
      `no telemetry stored (${JSON.stringify(events).slice(0, 300)}); flags ${
        (await serveTaskFlags(dir)).join(" ")
      }; stderr: ${errText.join("")}`,
    );
    const health = await (await fetch(`${base}/wcp/health`)).json();
    assert.equal(health.telemetry.errors.store, null);
    assert.doesNotMatch(errText.join(""), /Uncaught|Requires read access/);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reader.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test(
  "startup mistakes are one line and exit code 2, never a stack trace",
  HALL_TEST,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "wcp_review_start_" });
    try {
      const file = `${dir}/not-a-dir`;
      await Deno.writeTextFile(file, "x");
      const base = ["run", "--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`];
      const cases: [string[], RegExp][] = [
        [[...base, MAIN, "--data-dir", file], /--data-dir .*not-a-dir is not a directory/],
        [[...base, MAIN, "--data-dir", `${file}/sub`], /not a directory/],
        // The serve task's permissions with a data directory outside ./data.
        [
          ["run", ...(await serveTaskFlags("./data")), MAIN, "--data-dir", `${dir}/elsewhere`],
          /Requires write access to .*elsewhere.*deno task serve.*--allow-write/,
        ],
        [[...base, MAIN, "--data-dir", `${dir}/t`, "--threads", "0"], /--threads: '0' is not/],
        [
          [...base, MAIN, "--data-dir", `${dir}/t`, "--threads", "2"],
          /--threads needs `deno run --unstable-net`/,
        ],
        // Threads without read access to the modules they load.
        [
          [
            "run",
            "--unstable-net",
            ...base.slice(1),
            MAIN,
            "--data-dir",
            `${dir}/t`,
            "--threads",
            "2",
          ],
          /--threads: the extra threads load the hall's modules; grant --allow-read on .*src/,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await run(args);
        const err = new TextDecoder().decode(r.stderr).trim();
        assert.equal(r.code, 2, err);
        assert.equal(err.split("\n").length, 1, err);
        assert.match(err, /^wcp hall: /);
        assert.match(err, message);
        assert.doesNotMatch(err, /Uncaught|\bat /);
      }

      // PostgreSQL that is not there, and a URL without a user (the driver then wants PGUSERNAME).
      const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const deadPort = (closed.addr as Deno.NetAddr).port;
      closed.close();
      const serve = ["run", ...(await serveTaskFlags(dir)), MAIN, "--data-dir", `${dir}/pg`];
      for (
        const [url, message] of [
          [`postgres://hall@127.0.0.1:${deadPort}/hall`, /^wcp hall: --database-url: cannot reach/],
          [`postgres://127.0.0.1:${deadPort}/hall`, /PGUSERNAME.*put the user in the URL/],
        ] as [string, RegExp][]
      ) {
        const r = await run([...serve, "--database-url", url]);
        const err = new TextDecoder().decode(r.stderr).trim();
        assert.equal(r.code, 2, err);
        assert.equal(err.split("\n").length, 1, err);
        assert.match(err, message);
      }

      // A port another process holds.
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const port = String((listener.addr as Deno.NetAddr).port);
        const r = await run([...base, MAIN, "--data-dir", `${dir}/d`, "--port", port]);
        const err = new TextDecoder().decode(r.stderr).trim();
        assert.equal(r.code, 2, err);
        assert.equal(err, "wcp hall: the port is already in use (choose another with --port)");
      } finally {
        listener.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
