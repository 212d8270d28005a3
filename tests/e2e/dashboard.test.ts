/**
 * The hall dashboard in real headless Chromium against a real hall process (`src/hall/main.ts`):
 * sign in with the admin token, see status and workers, watch a held request arrive over SSE,
 * approve it from the inbox, and check with the hall's own API that it is approved.
 * Any console error fails the test.
 */

import assert from "node:assert/strict";
import { HallClient, recordHashJcs } from "../../mod.ts";
import { launch, openPage, ROOT, screenshot } from "./_browser.ts";

const TOKEN = "wcp_e2e_" + crypto.randomUUID().replaceAll("-", "");

interface Hall {
  url: string;
  process: Deno.ChildProcess;
  log: string[];
  stop(): Promise<void>;
}

/** Start the hall on an ephemeral loopback port with a fresh data directory. */
async function startHall(dataDir: string): Promise<Hall> {
  const process = new Deno.Command(Deno.execPath(), {
    // The permissions of `deno task serve`, with this test's data directory.
    args: [
      "run",
      "--allow-net=127.0.0.1",
      `--allow-read=${dataDir},${ROOT}playground/dist`,
      `--allow-write=${dataDir}`,
      "--allow-env=WCP_ADMIN_TOKEN",
      `${ROOT}src/hall/main.ts`,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data-dir",
      dataDir,
    ],
    env: { WCP_ADMIN_TOKEN: TOKEN, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    cwd: ROOT,
  }).spawn();
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("hall did not start:\n" + log.join(""))),
      30_000,
    );
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (
        const chunk of stream.pipeThrough(
          new TextDecoderStream() as TransformStream<Uint8Array, string>,
        )
      ) {
        log.push(chunk);
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log.join(""));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    };
    pump(process.stdout);
    pump(process.stderr);
    process.status.then((s) => reject(new Error(`hall exited (${s.code}):\n${log.join("")}`)));
  });
  return {
    url,
    process,
    log,
    async stop() {
      try {
        process.kill("SIGTERM");
      } catch { /* already gone */ }
      await process.status;
    },
  };
}

/**
 * A loopback proxy in front of the hall whose event streams the test can cut, to check that the
 * dashboard reconnects and catches up with `Last-Event-ID`.
 */
function cuttableProxy(target: string): { url: string; cut(): void; close(): Promise<void> } {
  const streams = new Set<
    {
      ctl: ReadableStreamDefaultController<Uint8Array>;
      up: ReadableStreamDefaultReader<Uint8Array>;
    }
  >();
  const pass = ["authorization", "accept", "content-type", "last-event-id"];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const headers = new Headers();
    for (const h of pass) if (req.headers.has(h)) headers.set(h, req.headers.get(h)!);
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const res = await fetch(target + url.pathname + url.search, {
      method: req.method,
      headers,
      body: hasBody ? await req.arrayBuffer() : undefined,
      redirect: "manual",
    });
    if (!res.headers.get("content-type")?.startsWith("text/event-stream") || !res.body) {
      return new Response(res.body, { status: res.status, headers: res.headers });
    }
    const up = res.body.getReader();
    let entry: { ctl: ReadableStreamDefaultController<Uint8Array>; up: typeof up };
    const body = new ReadableStream<Uint8Array>({
      start(ctl) {
        entry = { ctl, up };
        streams.add(entry);
      },
      async pull(ctl) {
        const { value, done } = await up.read().catch(() => ({ value: undefined, done: true }));
        if (done) {
          streams.delete(entry);
          try {
            ctl.close();
          } catch { /* already cut */ }
        } else ctl.enqueue(value);
      },
      cancel() {
        streams.delete(entry);
        up.cancel().catch(() => {});
      },
    });
    return new Response(body, { status: res.status, headers: res.headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    cut() {
      for (const s of streams) {
        s.up.cancel().catch(() => {});
        try {
          s.ctl.close();
        } catch { /* already closed */ }
      }
      streams.clear();
    },
    close: () => server.shutdown(),
  };
}

const WORKER = {
  worker_id: "org.acme.payments.1",
  worker_species_id: "wrk.fin.payer",
  capabilities: ["cap.fin.initiate-payment"],
  currently_implements: ["ctrl.obs.audit-log-append-only"],
  blast_radius: { data: 2, network: 1, financial: 4, time: 1, reversibility: "difficult" },
};

// Payments go through the hall's declarative policy gate, which asks a human.
const RULES = {
  rules: [{
    rule_id: "fin.payment",
    match: { capability_id: "cap.fin.initiate-payment" },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: "wrk.fin.payer" }],
      required_controls_suggested: ["ctrl.obs.audit-log-append-only"],
      escalation: { policy_gate: true },
    },
  }],
};
const HALL_JSON = {
  rules_file: "rules.json",
  policy_gate: {
    policy_version: "pol.e2e.v1",
    default: "ALLOW",
    rules: [{
      match: { capability_id: "cap.fin.initiate-payment" },
      decision: "REQUIRE_HUMAN",
      reason: "payments need a human",
      supervisor_level: "gatekeeper",
    }],
  },
};

Deno.test({
  name: "hall dashboard in Chromium against a real hall",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dataDir = await Deno.makeTempDir({ prefix: "wcp-e2e-hall-" });
    await Deno.writeTextFile(`${dataDir}/hall.json`, JSON.stringify(HALL_JSON));
    await Deno.writeTextFile(`${dataDir}/rules.json`, JSON.stringify(RULES));
    const hall = await startHall(dataDir);
    const browser = await launch();
    try {
      const api = new HallClient({ baseUrl: hall.url, token: TOKEN });
      await api.enroll({ ...WORKER, artifact_hash: recordHashJcs(WORKER) });
      // The agent's token raises the holds; the dashboard's (TOKEN) resolves them: a token cannot
      // resolve its own hold (spec README decision 19).
      const agent = new HallClient({
        baseUrl: hall.url,
        token: (await api.createToken({ role: "admin", label: "agent" })).token,
      });
      const { page, errors } = await openPage(browser);

      await t.step("sign in with the token; status and workers load", async () => {
        await page.goto(`${hall.url}/dashboard/`);
        await page.locator("#token").fill(TOKEN);
        await page.locator("#sign-in").click();
        await page.locator("#hall-status").waitFor();
        await page.locator("#workers", { hasText: "org.acme.payments.1" }).waitFor();
        // The stream is open (the hall greets every subscriber), so no later event can be missed.
        await page.locator("#h-feed .badge", { hasText: "live" }).waitFor();
        assert.equal(
          await page.evaluate(() => sessionStorage.getItem("wcp.dashboard.token")),
          TOKEN,
        );
        assert.deepEqual(errors, []);
      });

      let approvalId = "";
      await t.step("a held request arrives live and is approved from the inbox", async () => {
        const decision = await agent.route({
          correlation_id: crypto.randomUUID(),
          tenant_id: "acme",
          env: "dev",
          data_label: "INTERNAL",
          tenant_risk: "low",
          qos_class: "P2",
          capability_id: "cap.fin.initiate-payment",
        });
        assert.equal(decision.outcome, "STEWARD_HOLD", JSON.stringify(decision));
        approvalId = String(decision.pending_approval_id);
        await page.locator("#feed li", { hasText: "STEWARD_HOLD" }).first().waitFor();
        const item = page.locator(`[data-approval="${approvalId}"]`);
        await item.waitFor();
        await screenshot(page, "dashboard-pending");
        await item.getByLabel("Note").fill("checked with finance");
        await item.locator('[data-action="approve"]').click();
        await page.locator(`[data-approval="${approvalId}"]`).waitFor({ state: "detached" });
        const stored = await api.approval(approvalId);
        assert.equal(stored.status, "approved");
        assert.equal(stored.note, "checked with finance");
        await page.locator('#feed li[data-event="approval"]').first().waitFor();
        await screenshot(page, "dashboard-approved");
        assert.deepEqual(errors, []);
      });

      await t.step(
        "the approved request is dispatched once; its receipt chain shows valid",
        async () => {
          const dispatched = await api.dispatchApproved(approvalId);
          assert.ok(dispatched.receipt, JSON.stringify(dispatched));
          await page.locator("#hall-chains li", { hasText: "acme" }).waitFor();
          assert.match(
            await page.locator("#hall-chains li").first().textContent() ?? "",
            /1 receipt\s*valid/,
          );
          assert.equal(await page.locator("#hall-chain-status").textContent(), "all valid");
          await assert.rejects(() => api.dispatchApproved(approvalId)); // exactly once
          assert.deepEqual(errors, []);
        },
      );

      await t.step(
        "a chain exported from the dashboard verifies in the playground, offline",
        async () => {
          const [dl] = await Promise.all([
            page.waitForEvent("download"),
            page.locator('[data-export="acme"]').click(),
          ]);
          const file = await dl.path();
          const bundle = JSON.parse(await Deno.readTextFile(file));
          assert.equal(bundle.receipts.length, 1);
          assert.equal(bundle.keys.length > 0, true);
          const pg = await openPage(browser);
          try {
            // The static playground, not the hall: the check needs nothing from the hall.
            await pg.page.goto(`file://${ROOT}playground/dist/index.html`);
            await pg.page.getByRole("tab", { name: "Receipts" }).click();
            await pg.page.locator("#load-chain").setInputFiles(file);
            await pg.page.locator("#chain-status", { hasText: "CHAIN VALID" }).waitFor();
            // Change one receipt in the exported file: the playground finds it.
            bundle.receipts[0].capability_id = "cap.doc.summarize";
            const forged = `${dataDir}/forged.json`;
            await Deno.writeTextFile(forged, JSON.stringify(bundle));
            await pg.page.locator("#load-chain").setInputFiles(forged);
            await pg.page.locator("#chain-status", { hasText: "CHAIN BROKEN" }).waitFor();
            assert.match(
              await pg.page.locator("#chain-breaks li").first().textContent() ?? "",
              /receipt 0/,
            );
            assert.deepEqual(pg.errors, []);
          } finally {
            await pg.page.context().close();
          }
          assert.deepEqual(errors, []);
        },
      );

      await t.step("an alert arrives live and is acknowledged", async () => {
        const hash = "sha256:" + "5e".repeat(32);
        const flagged = {
          ...WORKER,
          worker_id: "org.acme.payments.2",
          attestation: { code_hash: hash },
        };
        await api.enroll({ ...flagged, artifact_hash: recordHashJcs(flagged) });
        await api.reportBan({ sha256: hash, reason: "known exfiltration build" });
        await api.confirmBan(hash);
        const item = page.locator("#alerts li", { hasText: "banned_hash" });
        await item.waitFor();
        await screenshot(page, "dashboard-alert");
        await item.locator('[data-action="ack"]').click();
        await page.locator("#alerts li", { hasText: "acknowledged" }).waitFor();
        const stored = (await api.alerts()).find((a) => a.kind === "banned_hash");
        assert.ok(stored?.acknowledged_at, JSON.stringify(stored));
        assert.deepEqual(errors, []);
      });

      await t.step("escalate one held request and deny another from the inbox", async () => {
        const hold = async () =>
          String(
            (await agent.route({
              correlation_id: crypto.randomUUID(),
              tenant_id: "acme",
              env: "dev",
              data_label: "INTERNAL",
              tenant_risk: "low",
              qos_class: "P2",
              capability_id: "cap.fin.initiate-payment",
            })).pending_approval_id,
          );
        const [up, no] = [await hold(), await hold()];
        const upItem = page.locator(`[data-approval="${up}"]`);
        await upItem.waitFor();
        await upItem.locator('[data-action="escalate"]').click();
        await upItem.locator(".badge", { hasText: "escalated" }).waitFor();
        // One level up the ladder from the gate's gatekeeper.
        assert.equal((await api.approval(up)).supervisor_level, "executor");
        const noItem = page.locator(`[data-approval="${no}"]`);
        await noItem.locator('[data-action="deny"]').click();
        await noItem.waitFor({ state: "detached" });
        assert.equal((await api.approval(no)).status, "denied");
        assert.equal(await page.locator("#approvals li").count(), 1); // the escalated one waits
        assert.deepEqual(errors, []);
      });

      await t.step("the hall serves the playground too", async () => {
        const pg = await openPage(browser);
        await pg.page.goto(`${hall.url}/playground`);
        await pg.page.locator("#decision-outcome", { hasText: "DISPATCH" }).waitFor();
        // The path (the playground writes its state into the fragment 300 ms after a change).
        assert.equal(new URL(pg.page.url()).pathname, "/playground/");
        // The Cedar panel's engine compiles under the hall's CSP ('wasm-unsafe-eval') and its
        // wasm is served as application/wasm.
        await pg.page.getByRole("tab", { name: "Cedar" }).click();
        await pg.page.locator("#cedar-status", { hasText: "checked against the schema" }).waitFor({
          timeout: 60_000,
        });
        const wasm = await fetch(`${hall.url}/playground/cedar_wasm_bg.wasm`);
        assert.equal(wasm.headers.get("content-type"), "application/wasm");
        await wasm.body?.cancel();
        await pg.page.getByRole("tab", { name: "Decisions" }).click();
        await pg.page.locator("#to-dashboard").click();
        await pg.page.locator("#sign-in").waitFor(); // a new browser context: sign in first
        assert.deepEqual(pg.errors, []); // no CSP violation either
        await pg.page.context().close();
      });

      await t.step(
        "after a lost stream the feed reconnects and catches up (Last-Event-ID)",
        async () => {
          const proxy = cuttableProxy(hall.url);
          const via = await openPage(browser);
          try {
            await via.page.goto(`${proxy.url}/dashboard/`);
            await via.page.locator("#token").fill(TOKEN);
            await via.page.locator("#sign-in").click();
            await via.page.locator("#h-feed .badge", { hasText: "live" }).waitFor();
            const input = {
              tenant_id: "acme",
              env: "dev",
              data_label: "INTERNAL",
              tenant_risk: "low",
              qos_class: "P2",
              capability_id: "cap.nothing.matches",
            };
            const seen = crypto.randomUUID();
            await api.route({ ...input, correlation_id: seen });
            await via.page.locator("#feed li", { hasText: "DENY_NO_MATCHING_RULE" }).waitFor();
            proxy.cut();
            await via.page.locator("#h-feed .badge", { hasText: "closed" }).waitFor();
            const missed = crypto.randomUUID(); // decided while the dashboard was not listening
            await api.route({ ...input, correlation_id: missed });
            await via.page.locator("#h-feed .badge", { hasText: "live" }).waitFor();
            await via.page.locator("#feed-text").fill(missed);
            await via.page.locator("#feed li").first().waitFor();
            assert.equal(await via.page.locator("#feed li").count(), 1);
            assert.deepEqual(via.errors, []);
          } finally {
            await via.page.context().close();
            await proxy.close();
          }
        },
      );

      await t.step("the feed filters by event type", async () => {
        await page.locator("#filter-decision").uncheck();
        assert.equal(await page.locator('#feed li[data-event="decision"]').count(), 0);
        assert.ok(await page.locator('#feed li[data-event="approval"]').count() > 0);
        await page.locator("#filter-decision").check();
        assert.ok(await page.locator('#feed li[data-event="decision"]').count() > 0);
      });

      await t.step("phone width (360 px): the dashboard does not scroll sideways", async () => {
        const phone = await openPage(browser, { width: 360, height: 740 });
        await phone.page.goto(`${hall.url}/dashboard/`);
        await phone.page.locator("#token").fill(TOKEN);
        await phone.page.locator("#sign-in").click();
        await phone.page.locator("#h-feed .badge", { hasText: "live" }).waitFor();
        await phone.page.locator("#approvals li").first().waitFor();
        const overflow = await phone.page.evaluate(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        ) as number;
        assert.ok(overflow <= 0, `overflows by ${overflow}px`);
        await screenshot(phone.page, "dashboard-phone");
        assert.deepEqual(phone.errors, []);
        await phone.page.context().close();
      });

      await t.step("a namespace token sees what it may, and is told what it may not", async () => {
        const grant = await api.createNamespace({
          namespace: "org.acme",
          tier: "free",
          owner: "e2e",
        });
        const ns = await openPage(browser);
        try {
          await ns.page.goto(`${hall.url}/dashboard/`);
          await ns.page.locator("#token").fill(grant.token);
          await ns.page.locator("#sign-in").click();
          await ns.page.locator("#hall-status").waitFor();
          await ns.page.locator('[data-refused="alerts"]').waitFor();
          assert.match(
            await ns.page.locator('[data-refused="alerts"]').textContent() ?? "",
            /403|admin/i,
          );
          assert.equal(await ns.page.locator("#sign-in").count(), 0); // still signed in
          // Chromium logs each 403 response; nothing else may be logged.
          assert.deepEqual(ns.errors.filter((e) => !/status of 403/.test(e)), []);
        } finally {
          await ns.page.context().close();
        }
      });

      await t.step("a wrong token is refused and the sign-in form comes back", async () => {
        const other = await openPage(browser);
        await other.page.goto(`${hall.url}/dashboard/`);
        await other.page.locator("#token").fill("not-the-token");
        await other.page.locator("#sign-in").click();
        await other.page.locator("[role=alert]", { hasText: "401" }).waitFor();
        assert.equal(
          await other.page.evaluate(() => sessionStorage.getItem("wcp.dashboard.token")),
          null,
        );
        // The 401 responses themselves are logged by Chromium as console errors; nothing else may be.
        assert.deepEqual(other.errors.filter((e) => !/401/.test(e)), []);
        await other.page.context().close();
      });
    } finally {
      await browser.close();
      await hall.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
