// The README walkthrough ("From a scaffold to a governed, attested HTTP worker"), step by step
// with the same commands, against a hall this test starts on 127.0.0.1.
import assert from "node:assert/strict";
import { tempDir, wcp } from "./_run.ts";
import { ADMIN_TOKEN, startHall } from "./_hall.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Wait until something answers on the port (the worker started), or the worker exits. */
async function waitForWorker(url: string, child: Deno.ChildProcess): Promise<void> {
  let exited = false;
  child.status.then(() => (exited = true));
  while (!exited) {
    try {
      await (await fetch(url)).body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error("the worker exited before it listened");
}

Deno.test("README walkthrough: scaffold, run, enrol, rule, dispatch, sign, submit", async (t) => {
  const hall = await startHall();
  const dir = await tempDir();
  const env = { WCP_HALL_URL: hall.url, WCP_TOKEN: ADMIN_TOKEN };
  const port = freePort();
  const pkg = `${dir}/translator`;
  let worker: Deno.ChildProcess | undefined;
  try {
    await t.step("1. scaffold the worker", async () => {
      const r = await wcp([
        "scaffold",
        pkg,
        "--worker-id",
        "org.acme.translator.1",
        "--capability",
        "cap.doc.translate",
        "--port",
        String(port),
      ], { env });
      assert.equal(r.code, 0, r.stderr);
      const record = JSON.parse(await Deno.readTextFile(`${pkg}/registry_record.json`));
      assert.equal(record.endpoint, `http://127.0.0.1:${port}/`);
    });
    await t.step("2. run it as an HTTP worker (deno task start)", async () => {
      worker = new Deno.Command("deno", {
        args: ["task", "--quiet", "start"],
        cwd: pkg,
        env: { PORT: String(port), NO_COLOR: "1" },
        stdout: "null",
        stderr: "null",
      }).spawn();
      await waitForWorker(`http://127.0.0.1:${port}/`, worker);
    });
    await t.step("3. a signing key, then enrol the worker with its endpoint and key", async () => {
      const k = await wcp([
        "attest",
        "keygen",
        "--out",
        `${dir}/acme.key.json`,
        "--namespace",
        "org.acme",
      ], { env });
      assert.equal(k.code, 0, k.stderr);
      const r = await wcp([
        "enroll",
        `${pkg}/registry_record.json`,
        "--key",
        `${dir}/acme.key.json`,
        "--json",
      ], { env });
      assert.equal(r.code, 0, r.stderr);
      const w = r.json() as { record: { endpoint: string; public_keys: Record<string, string> } };
      assert.equal(w.record.endpoint, `http://127.0.0.1:${port}/`);
      assert.equal(Object.keys(w.record.public_keys).length, 1);
      assert.ok(!JSON.stringify(w).includes("private_key"));
    });
    await t.step("4. add its rule", async () => {
      const r = await wcp(["rules", "add", `${pkg}/rule_snippet.json`], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^added /);
    });
    await t.step("5. dispatch: the hall calls the worker and mints a receipt", async () => {
      await Deno.writeTextFile(
        `${dir}/request.json`,
        JSON.stringify({
          correlation_id: "4d7b2c1e-0b7a-4f43-9d55-2a1c3e5f7a90",
          tenant_id: "acme",
          env: "dev",
          data_label: "INTERNAL",
          tenant_risk: "low",
          qos_class: "P2",
          capability_id: "cap.doc.translate",
          request: { text: "Bonjour" },
        }),
      );
      const r = await wcp(["dispatch", "--input", `${dir}/request.json`, "--json"], { env });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = r.json() as {
        decision: { selected_worker_id: string };
        result: { echo: { text: string } };
        receipt: { worker_id: string };
      };
      assert.equal(out.decision.selected_worker_id, "org.acme.translator.1");
      assert.deepEqual(out.result.echo, { text: "Bonjour" }, "the worker's own answer");
      assert.equal(out.receipt.worker_id, "org.acme.translator.1");
    });
    await t.step("6. sign the package and submit the attestation", async () => {
      const s = await wcp([
        "attest",
        "sign",
        pkg,
        "--worker-id",
        "org.acme.translator.1",
        "--species",
        "wrk.doc.translator",
        "--version",
        "1.0.0",
        "--key",
        `${dir}/acme.key.json`,
      ], { env });
      assert.equal(s.code, 0, s.stderr);
      const r = await wcp(["attest", "submit", pkg, "--worker-id", "org.acme.translator.1"], {
        env,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^verified org\.acme\.translator\.1/);
      const v = await wcp(["registry", "verify", "org.acme.translator.1", "--package", pkg], {
        env,
      });
      assert.equal(v.code, 0, v.stdout + v.stderr);
    });
    await t.step("a manifest signed by a key the record does not list is refused", async () => {
      const other = `${dir}/other.key.json`;
      assert.equal(
        (await wcp(["attest", "keygen", "--out", other, "--namespace", "org.acme"], { env })).code,
        0,
      );
      const manifest = `${dir}/other-manifest.json`;
      const s = await wcp([
        "attest",
        "sign",
        pkg,
        "--worker-id",
        "org.acme.translator.1",
        "--species",
        "wrk.doc.translator",
        "--version",
        "1.0.0",
        "--key",
        other,
        "--manifest",
        manifest,
      ], { env });
      assert.equal(s.code, 0, s.stderr);
      const r = await wcp([
        "attest",
        "submit",
        pkg,
        "--worker-id",
        "org.acme.translator.1",
        "--manifest",
        manifest,
        "--json",
      ], { env });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal((r.json() as { verified: boolean }).verified, false);
      assert.match(
        r.stderr,
        /ATTEST_KEY_UNKNOWN: the manifest does not verify; nothing was registered/,
      );
    });
    await t.step("a changed package is refused as a tamper", async () => {
      await Deno.writeTextFile(`${pkg}/worker.ts`, "// changed\n", { append: true });
      const s = await wcp([
        "attest",
        "sign",
        pkg,
        "--worker-id",
        "org.acme.translator.1",
        "--species",
        "wrk.doc.translator",
        "--version",
        "1.0.1",
        "--key",
        `${dir}/acme.key.json`,
      ], { env });
      assert.equal(s.code, 0, s.stderr);
      const r = await wcp(["attest", "submit", pkg, "--worker-id", "org.acme.translator.1"], {
        env,
      });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /tampered/);
    });
  } finally {
    if (worker) {
      try {
        worker.kill("SIGTERM");
      } catch { /* already gone */ }
      await worker.status;
    }
    await hall.stop();
  }
});
