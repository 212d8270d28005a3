// The Cedar gate in a real hall process started with `deno task serve`'s permissions (read only on
// the data dir, ./src, ./mcp, ./playground/dist; no read on the Deno npm cache): the wasm loads,
// decisions follow the policy file, an edited file hot-reloads, a broken one is refused (old
// policies stay), and a hall whose policy fails validation does not start and says why.
import assert from "node:assert/strict";
import { routeInput } from "./_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const MAIN = `${ROOT}/src/hall/main.ts`;
const TOKEN = "wcp_gates-process-admin-token-0123456789";

const RULES = {
  rules: [{
    rule_id: "docs",
    match: { capability_id: "cap.doc.summarize" },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }],
      escalation: { policy_gate: true },
    },
  }],
};
const PERMIT = `@id("base")\npermit(principal, action, resource);\n`;
const FORBID_PROD = `${PERMIT}
@id("no-prod")
forbid(principal, action, resource == WCP::Environment::"prod");
`;

function spawn(dir: string, threads = 1): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(threads > 1 ? ["--unstable-net"] : []),
      "--allow-net=127.0.0.1,localhost",
      // As `deno task serve` grants (with the test's data dir for ./data).
      `--allow-read=${dir},${ROOT}/playground/dist,${ROOT}/src,${ROOT}/mcp`,
      `--allow-write=${dir}`,
      "--allow-env=WCP_ADMIN_TOKEN",
      MAIN,
      "--data-dir",
      dir,
      "--port",
      "0",
      "--threads",
      String(threads),
    ],
    env: { WCP_ADMIN_TOKEN: TOKEN, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function setup(policies: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "wcp-gates-proc-" });
  await Deno.writeTextFile(`${dir}/rules.json`, JSON.stringify(RULES));
  await Deno.writeTextFile(`${dir}/policies.cedar`, policies);
  await Deno.writeTextFile(
    `${dir}/hall.json`,
    JSON.stringify({ policy_gate: { type: "cedar", policies_file: "policies.cedar" } }),
  );
  return dir;
}

Deno.test({
  name: "process: a Cedar gate loads under the serve task's permissions and hot-reloads",
  ...opts,
  fn: async () => {
    const dir = await setup(FORBID_PROD);
    const child = spawn(dir);
    let text = "";
    const decoder = new TextDecoder();
    const pump = (s: ReadableStream<Uint8Array>) =>
      s.pipeTo(new WritableStream({ write: (c) => void (text += decoder.decode(c)) })).catch(
        () => {},
      );
    pump(child.stdout);
    pump(child.stderr);
    const waitFor = async (pred: () => boolean | Promise<boolean>) => {
      const until = Date.now() + 20_000;
      while (!(await pred())) {
        if (Date.now() > until) return false;
        await new Promise((r) => setTimeout(r, 100));
      }
      return true;
    };
    try {
      assert.ok(await waitFor(() => /listening on http:\/\/\S+/.test(text)), text);
      const url = /listening on (http:\/\/\S+)/.exec(text)![1];
      const route = async (over: Record<string, unknown>) => {
        const r = await fetch(`${url}/wcp/route`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify(routeInput(over)),
        });
        return await r.json();
      };
      const prod = await route({ env: "prod" });
      assert.equal(prod.deny_reason_if_denied?.code, "DENY_POLICY_GATE", JSON.stringify(prod));
      assert.deepEqual(prod.policy_gate.determining_policies, ["no-prod"]);
      // (No workers are enrolled: the gate allows, then no worker is found.)
      const dev = await route({ env: "dev" });
      assert.equal(dev.policy_gate.decision, "ALLOW", JSON.stringify(dev));
      assert.deepEqual(dev.policy_gate.determining_policies, ["base"]);

      // A broken file: refused, the old policies stay.
      await Deno.writeTextFile(`${dir}/policies.cedar`, `${PERMIT}\nforbid(principal, action`);
      assert.ok(await waitFor(() => /policy gate reload refused, old gate stays/.test(text)), text);
      assert.match(text, /policies\.cedar:4:\d+/);
      assert.equal((await route({ env: "prod" })).deny_reason_if_denied?.code, "DENY_POLICY_GATE");

      // A good one is picked up.
      await Deno.writeTextFile(`${dir}/policies.cedar`, PERMIT);
      assert.ok(
        await waitFor(async () => (await route({ env: "prod" })).policy_gate?.decision === "ALLOW"),
        text,
      );
    } finally {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: a Cedar policy failing schema validation stops the start, naming it",
  ...opts,
  fn: async () => {
    const dir = await setup(
      `${PERMIT}\n@id("typo")\nforbid(principal, action, resource) when { context.tenant_rsk == "high" };\n`,
    );
    try {
      const out = await spawn(dir).output();
      assert.notEqual(out.code, 0);
      const err = new TextDecoder().decode(out.stderr);
      assert.match(err, /policies\[typo\]/);
      assert.match(
        err,
        /policies\.cedar:5:44: policy 'typo' fails schema validation: attribute `tenant_rsk` in context not found/,
      );
      assert.doesNotMatch(err, /^\s+at /m, "no stack trace");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "process: with --threads 2, both threads load the Cedar gate and both take a reload",
  ...opts,
  fn: async () => {
    const dir = await setup(FORBID_PROD);
    const child = spawn(dir, 2);
    let text = "";
    const decoder = new TextDecoder();
    for (const s of [child.stdout, child.stderr]) {
      s.pipeTo(new WritableStream({ write: (c) => void (text += decoder.decode(c)) })).catch(
        () => {},
      );
    }
    try {
      const until = Date.now() + 30_000;
      while (!/listening on http:\/\/\S+ \(2 threads\)/.test(text)) {
        assert.ok(Date.now() < until && !/hall:.*(refused|did not start)/.test(text), text);
        await new Promise((r) => setTimeout(r, 100));
      }
      const url = /listening on (http:\/\/\S+)/.exec(text)![1];
      // Each question on a fresh connection: /wcp/health names the thread, then the route request
      // on the same connection is decided by that thread.
      const ask = async (): Promise<[number, string]> => {
        const client = Deno.createHttpClient({});
        try {
          const h = await (await fetch(`${url}/wcp/health`, { client })).json();
          const r = await fetch(`${url}/wcp/route`, {
            client,
            method: "POST",
            headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
            body: JSON.stringify(routeInput({ env: "prod" })),
          });
          return [h.threads.index, (await r.json()).policy_gate?.decision];
        } finally {
          client.close();
        }
      };
      const answers = async (want: string) => {
        const seen = new Map<number, string>();
        for (let i = 0; i < 200 && !(seen.get(0) === want && seen.get(1) === want); i++) {
          const [thread, decision] = await ask();
          seen.set(thread, decision);
        }
        return Object.fromEntries(seen);
      };
      assert.deepEqual(await answers("DENY"), { 0: "DENY", 1: "DENY" });
      await Deno.writeTextFile(`${dir}/policies.cedar`, PERMIT);
      assert.deepEqual(await answers("ALLOW"), { 0: "ALLOW", 1: "ALLOW" }, text);
    } finally {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
