/**
 * The hall dashboard in real headless Chromium against a real hall process (`src/hall/main.ts`):
 * sign in with the admin token, see status and workers, watch a held request arrive over SSE,
 * approve it from the inbox, and check with the hall's own API that it is approved.
 * Any console error fails the test.
 */

import assert from "node:assert/strict";
import { generateSigningKey, HallClient, HallError, recordHashJcs } from "../../mod.ts";
import { signedSubmission } from "../hall/_helpers.ts";
import { launch, openPage, ROOT, screenshot, signIn } from "./_browser.ts";
import { startHall } from "./_hall.ts";
import type { Page } from "playwright-core";

const TOKEN = "wcp_e2e_" + crypto.randomUUID().replaceAll("-", "");

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
  }, {
    // Over the cap a sync is held for a human (spec 9: the chain's blast total is capped).
    rule_id: "data.sync",
    match: { capability_id: "cap.data.sync" },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: "wrk.data.syncer" }],
      max_blast_by_env: { dev: 4 },
      escalation: { hold_over_cap: true },
    },
  }],
};

const SYNCER = {
  worker_id: "org.acme.syncer.1",
  worker_species_id: "wrk.data.syncer",
  capabilities: ["cap.data.sync"],
  blast_radius: { data: 3, network: 1, financial: 0, time: 1, reversibility: "reversible" },
};

const input = (capability_id: string) => ({
  correlation_id: crypto.randomUUID(),
  tenant_id: "acme",
  env: "dev",
  data_label: "INTERNAL",
  tenant_risk: "low",
  qos_class: "P2",
  capability_id,
});

type Submission = Parameters<HallClient["submitAttestation"]>[1];

/** Controls without an accessible name (label, aria-label, aria-labelledby or text). */
function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll("input, select, textarea, button")]
    .filter((el) => !((el.labels && el.labels.length > 0) || el.getAttribute("aria-label") ||
      el.getAttribute("aria-labelledby") ||
      (el.tagName === "BUTTON" && el.textContent.trim())))
    .map((el) => el.tagName.toLowerCase() + "#" + el.id)`) as Promise<string[]>;
}

/** Horizontal overflow of the page, in px (0 or less: none). */
function overflow(page: Page): Promise<number> {
  return page.evaluate(
    "document.documentElement.scrollWidth - document.documentElement.clientWidth",
  ) as Promise<number>;
}
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
    const hall = await startHall(dataDir, TOKEN);
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
        await signIn(page, hall.url, TOKEN);
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
        // The card shows who asked, why it is held, the request and the time left.
        assert.match(await item.locator("[data-requester]").textContent() ?? "", /agent/);
        assert.match(
          await item.locator("[data-hold-reasons]").textContent() ?? "",
          /payments need a human/,
        );
        assert.match(await item.locator("[data-countdown]").textContent() ?? "", /Expires in \d/);
        await item.getByText("The full request").click();
        assert.match(await item.locator("pre.json").first().textContent() ?? "", /"env": "dev"/);
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

      await t.step("the requester's own token is refused, and the card says so", async () => {
        // Held with the dashboard's own token: the hall refuses that token as its approver.
        const own = String(
          (await api.route(input("cap.fin.initiate-payment"))).pending_approval_id,
        );
        const card = page.locator(`[data-approval="${own}"]`);
        await card.waitFor();
        await card.locator('[data-action="approve"]').click();
        const refusal = card.locator('[data-card-error="APPROVER_IS_REQUESTER"]');
        await refusal.waitFor();
        assert.match(await refusal.textContent() ?? "", /cannot resolve your own request/);
        assert.equal((await api.approval(own)).status, "pending");
        await screenshot(page, "dashboard-own-request");
        await agent.resolveApproval(own, "deny", "not mine to approve");
        await card.waitFor({ state: "detached" });
        // Chromium logs the 403 response itself; nothing else may be logged.
        assert.deepEqual(errors.filter((e) => !/status of 403/.test(e)), []);
        errors.length = 0;
      });

      await t.step(
        "a hold over the chain's blast cap shows the dimensions, the chain total and the cap",
        async () => {
          await api.enroll(SYNCER); // artifact_hash filled in by HallClient
          const held = await agent.route(input("cap.data.sync"));
          assert.equal(held.outcome, "STEWARD_HOLD", JSON.stringify(held));
          const card = page.locator(`[data-approval="${held.pending_approval_id}"]`);
          await card.waitFor();
          assert.equal(await card.locator("[data-chain-total]").textContent(), "5");
          assert.equal(await card.locator("[data-blast-cap]").textContent(), "4");
          assert.match(await card.locator("[data-blast]").textContent() ?? "", /over the cap by 1/);
          assert.equal(await card.locator(".dims li").count(), 5);
          assert.match(
            await card.locator("[data-hold-reasons]").textContent() ?? "",
            /blast_over_cap/,
          );
          await card.scrollIntoViewIfNeeded();
          await screenshot(page, "dashboard-blast-cap");
          await card.locator('[data-action="deny"]').click();
          await card.waitFor({ state: "detached" });
          assert.deepEqual(errors, []);
        },
      );

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
        assert.equal(await page.locator("#approvals > li").count(), 1); // the escalated one waits
        assert.deepEqual(errors, []);
      });

      await t.step("the hall serves the playground too", async () => {
        const pg = await openPage(browser);
        await pg.page.goto(`${hall.url}/playground`);
        await pg.page.locator("#decision-outcome", { hasText: "DISPATCH" }).waitFor();
        // The decision's pipeline as a diagram: every step passed; a denial marks where it
        // stopped and what was not reached.
        await pg.page.locator("#pipeline", { hasText: "match" }).waitFor();
        assert.equal(await pg.page.locator("#pipeline [data-state=deny]").count(), 0);
        await pg.page.locator('[data-scenario="missing-controls"]').click();
        await pg.page.locator("#pipeline-stop", { hasText: "controls" }).waitFor();
        const stop = pg.page.locator('#pipeline [aria-current="step"]');
        assert.equal(await stop.getAttribute("data-step"), "controls");
        assert.equal(
          await pg.page.locator('#pipeline [data-step="policy"]').getAttribute("data-state"),
          "unreached",
        );
        await pg.page.locator("#pipeline").scrollIntoViewIfNeeded();
        await screenshot(pg.page, "playground-pipeline");
        await pg.page.locator('[data-scenario="allowed"]').click();
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
            await signIn(via.page, proxy.url, TOKEN);
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

      await t.step(
        "Workers: enrol a pasted record (its hash computed), update, revoke",
        async () => {
          await page.getByRole("tab", { name: "Workers" }).click();
          const rec = {
            worker_id: "org.acme.greeter.7",
            worker_species_id: "wrk.doc.summarizer",
            capabilities: ["cap.doc.summarize"],
            currently_implements: ["ctrl.obs.audit-log-append-only"],
            endpoint: "http://127.0.0.1:9/",
          };
          await page.locator("#enrol-record").fill(JSON.stringify(rec));
          // The hash the hall will store, computed in the page before anything is sent.
          assert.match(
            await page.locator("#enrol-hash").textContent() ?? "",
            new RegExp(`\\(computed\\): ${recordHashJcs(rec)}`),
          );
          await page.locator("#enrol-submit").click();
          const row = page.locator('[data-worker="org.acme.greeter.7"]');
          await row.waitFor();
          assert.equal((await api.worker(rec.worker_id)).record.artifact_hash, recordHashJcs(rec));
          // A record refused by the core names the field before it is sent.
          await page.locator("#enrol-record").fill(JSON.stringify({ ...rec, capabilities: "x" }));
          await page.locator("#enrol-record-error", { hasText: "capabilities" }).waitFor();
          assert.equal(await page.locator("#enrol-submit").isDisabled(), true);
          // Upload a record file instead.
          const file = `${dataDir}/record.json`;
          await Deno.writeTextFile(
            file,
            JSON.stringify({ ...rec, worker_id: "org.acme.greeter.8", endpoint: undefined }),
          );
          await page.locator("#enrol-file").setInputFiles(file);
          await page.locator("#enrol-hash", { hasText: "computed" }).waitFor();
          await page.locator("#enrol-submit").click();
          await page.locator('[data-worker="org.acme.greeter.8"]').waitFor();

          // Manage: attestation status, update the record, revoke.
          await row.locator('[data-action="details"]').click();
          await row.locator('[data-attestation="org.acme.greeter.7"]').waitFor();
          assert.match(
            await row.locator('[data-attestation="org.acme.greeter.7"]').textContent() ?? "",
            /none submitted/,
          );
          assert.match(await row.textContent() ?? "", /serves every tenant/);
          const edit = row.locator("textarea");
          const changed = JSON.parse(await edit.inputValue());
          changed.tenants = ["acme"];
          await edit.fill(JSON.stringify(changed, null, 2));
          await row.locator('[data-action="update"]').click();
          await row.getByText("serves acme;").waitFor();
          assert.deepEqual((await api.worker(rec.worker_id)).record.tenants, ["acme"]);
          await screenshot(page, "dashboard-workers");
          await row.locator('[data-action="revoke"]').click();
          await row.locator('[data-action="confirm-revoke"]').click();
          await row.locator(".badge", { hasText: "revoked" }).waitFor();
          assert.equal((await api.worker(rec.worker_id)).status, "revoked");
          assert.deepEqual(errors, []);
        },
      );

      await t.step(
        "Workers: a tamper flag with its history; the admin clears it, accepting the new code",
        async () => {
          const id = "org.acme.sum.9";
          const key = await generateSigningKey({ namespace: "org.acme" });
          await api.enroll({
            worker_id: id,
            worker_species_id: "wrk.doc.summarizer",
            capabilities: ["cap.doc.summarize"],
            currently_implements: ["ctrl.obs.audit-log-append-only"],
            public_keys: { [key.key_id]: key.public_key },
          });
          const v1 = await api.submitAttestation(
            id,
            await signedSubmission(key, id, { "worker.py": "print('v1')\n" }) as Submission,
          );
          assert.equal(v1.verified, true);
          const v2 = await api.submitAttestation(
            id,
            await signedSubmission(key, id, { "worker.py": "print('v2')\n" }) as Submission,
          );
          assert.equal(v2.tampered, true);
          const row = page.locator(`[data-worker="${id}"]`);
          await row.locator(".badge", { hasText: "tamper flag" }).waitFor();
          await row.locator('[data-action="details"]').click();
          await row.locator(".badge", { hasText: "differs" }).waitFor();
          // The history lists the enrolment, the tamper alert and the last attestation.
          const history = row.locator(`[data-history="${id}"]`);
          await history.getByText("tamper").first().waitFor();
          assert.match(await history.textContent() ?? "", /enrolled[\s\S]*tamper/);
          await row.getByLabel("What you checked").fill("v2 is the vendor's hotfix");
          await row.getByLabel(/Accept the new code/).check();
          await screenshot(page, "dashboard-tamper");
          await row.locator('[data-action="clear-tamper"]').click();
          await row.locator(".badge", { hasText: "tamper flag" }).waitFor({ state: "detached" });
          const w = await api.worker(id);
          assert.equal(w.flagged, false);
          assert.equal(w.record.attestation?.code_hash, v2.package_hash);
          assert.deepEqual(errors, []);
        },
      );

      await t.step(
        "Tenants: a namespace and a token, each shown once; revoke; a tier; change a tier",
        async () => {
          await page.getByRole("tab", { name: "Tenants" }).click();
          await page.locator("#new-ns-namespace").fill("org.beta");
          await page.locator("#new-ns-owner").fill("beta ops");
          await page.locator("#new-ns-create").click();
          const shown = page.locator("#revealed-value");
          await shown.waitFor();
          const nsToken = await shown.inputValue();
          // The token shown works, for its namespace only.
          const beta = new HallClient({ baseUrl: hall.url, token: nsToken });
          assert.deepEqual((await beta.namespaces()).map((n) => n.namespace), ["org.beta"]);
          await screenshot(page, "dashboard-token-once");
          await page.locator("#dismiss-token").click();
          await shown.waitFor({ state: "detached" });
          assert.equal(await page.getByText(nsToken).count(), 0); // never shown again
          await page.locator('[data-namespace="org.beta"]').waitFor();

          await page.locator("#new-token-role").selectOption("namespace");
          await page.locator("#new-token-namespace").selectOption("org.beta");
          await page.locator("#new-token-label").fill("beta ci");
          await page.locator("#new-token-create").click();
          await shown.waitFor();
          const ci = await shown.inputValue();
          await page.locator("#dismiss-token").click();
          const tokenRow = page.locator("#tokens tr", { hasText: "beta ci" });
          await tokenRow.locator('[data-action="revoke-token"]').click();
          await tokenRow.locator('[data-action="confirm-revoke-token"]').click();
          await tokenRow.locator(".badge", { hasText: "revoked" }).waitFor();
          await assert.rejects(
            () => new HallClient({ baseUrl: hall.url, token: ci, retries: 0 }).namespaces(),
            (e) => e instanceof HallError && e.status === 401,
          );

          await page.locator("#new-tier-name").fill("gold");
          await page.locator("#new-tier-max").fill("50");
          await page.locator("#new-tier-rpm").fill("600");
          await page.locator("#new-tier-create").click();
          await page.locator('[data-tier="gold"]').waitFor();
          await page.locator("#ns-tier-org\\.beta").selectOption("gold");
          await page.locator('[data-namespace="org.beta"] [data-action="set-tier"]').click();
          await page.locator('[data-namespace="org.beta"] [data-action="set-tier"]').waitFor({
            state: "detached",
          });
          assert.equal(
            (await api.namespaces()).find((n) => n.namespace === "org.beta")?.tier,
            "gold",
          );
          assert.deepEqual(
            (await api.tiers()).find((x) => x.tier === "gold"),
            { tier: "gold", max_workers: 50, requests_per_minute: 600 },
          );
          assert.deepEqual(errors, []);
        },
      );

      await t.step("Bans: report, reject a report, confirm and lift a ban", async () => {
        await page.getByRole("tab", { name: "Bans" }).click();
        const a = "sha256:" + "a7".repeat(32);
        const b = "sha256:" + "b8".repeat(32);
        for (const [hash, why] of [[a, "false alarm"], [b, "credential stealer"]]) {
          await page.locator("#ban-sha").fill(hash);
          await page.locator("#ban-reason").fill(why);
          await page.locator("#ban-report").click();
          await page.locator(`[data-ban="${hash}"]`).waitFor();
        }
        await page.locator(`[data-ban="${a}"]`).getByLabel("Note").fill("the vendor's build");
        await page.locator(`[data-ban="${a}"] [data-action="reject-ban"]`).click();
        await page.locator(`[data-ban="${a}"][data-status="rejected"]`).waitFor();
        await page.locator(`[data-ban="${b}"] [data-action="confirm-ban"]`).click();
        await page.locator(`[data-ban="${b}"][data-status="confirmed"]`).waitFor();
        await screenshot(page, "dashboard-bans");
        await page.locator(`[data-ban="${b}"]`).getByLabel("Why lift it").fill("rebuilt clean");
        await page.locator(`[data-ban="${b}"] [data-action="lift-ban"]`).click();
        await page.locator(`[data-ban="${b}"][data-status="lifted"]`).waitFor();
        const list = await api.banList();
        assert.equal(list.find((x) => x.sha256 === a)?.status, "rejected");
        assert.equal(list.find((x) => x.sha256 === a)?.review_note, "the vendor's build");
        assert.equal(list.find((x) => x.sha256 === b)?.status, "lifted");

        // A ban confirmed elsewhere (another admin, through the API) is a `ban` event: the open
        // tab shows it without a reload, and the feed lists it.
        const c = "sha256:" + "c9".repeat(32);
        await api.reportBan({ sha256: c, reason: "seen at another site" });
        await api.confirmBan(c);
        await page.locator(`[data-ban="${c}"][data-status="confirmed"]`).waitFor();
        await page.getByRole("tab", { name: "Overview" }).click();
        const banItem = page.locator('#feed li[data-event="ban"]', { hasText: c.slice(0, 19) });
        await banItem.first().waitFor();
        assert.match(await banItem.first().innerText(), /confirmed/);
        await screenshot(page, "dashboard-feed-ban");
        assert.deepEqual(errors, []);
      });

      await t.step("Receipts: the chain drawn as linked blocks, a break marked", async () => {
        // Two more approved payments: three receipts for acme.
        for (let i = 0; i < 2; i++) {
          const id = String(
            (await agent.route(input("cap.fin.initiate-payment"))).pending_approval_id,
          );
          await api.resolveApproval(id, "approve");
          assert.ok((await api.dispatchApproved(id)).receipt);
        }
        await page.getByRole("tab", { name: "Receipts" }).click();
        await page.locator("#chain-tenant").selectOption("acme");
        await page.locator("#chain-load").click();
        await page.locator("#chain-verdict", { hasText: "CHAIN VALID" }).waitFor();
        assert.equal(await page.locator("#chain-blocks > li").count(), 3);
        assert.equal(await page.locator("#chain-blocks [data-broken]").count(), 0);
        await screenshot(page, "dashboard-chain");
        // The same chain with one receipt changed on its way to the page: this browser's check
        // (with the hall's public keys) finds it and marks the block.
        await page.route(/\/wcp\/receipts\?/, async (route) => {
          const res = await route.fetch();
          const body = await res.json();
          const r = body.receipts.find((x: { seq: number }) => x.seq === 1);
          r.capability_id = "cap.doc.summarize";
          await route.fulfill({ response: res, json: body });
        });
        await page.locator("#chain-load").click();
        await page.locator("#chain-verdict", { hasText: "CHAIN BROKEN" }).waitFor();
        const broken = page.locator('#chain-blocks > li[data-index="1"]');
        assert.equal(await broken.getAttribute("data-broken"), "hash_mismatch");
        assert.match(await broken.textContent() ?? "", /BREAK/);
        await page.unroute(/\/wcp\/receipts\?/);
        await screenshot(page, "dashboard-chain-broken");
        assert.deepEqual(errors, []);
      });

      await t.step("Charts: decisions per minute, top deny codes, latency per worker", async () => {
        await page.getByRole("tab", { name: "Charts" }).click();
        await page.locator("#chart-decisions svg").waitFor();
        const s = await api.stats({ since: new Date(Date.now() - 30 * 60_000).toISOString() });
        assert.ok(s.decisions.total > 0);
        // The legend's totals are the hall's (a decision or two may land between the reads).
        const shown = Number(await page.locator('[data-total="DENY"]').textContent());
        assert.ok(shown > 0 && shown <= s.decisions.by_outcome.DENY, `${shown}`);
        assert.ok(await page.locator("#chart-decisions rect.bar-deny").count() > 0);
        await page.locator('#chart-deny-codes [data-bar="DENY_NO_MATCHING_RULE"]').waitFor();
        await page.locator('#chart-latency [data-bar="org.acme.payments.1"]').waitFor();
        assert.match(
          await page.locator("#latency-table").textContent() ?? "",
          /org\.acme\.payments\.1\s*3\s*3/, // 3 calls, all failed: it has no code here
        );
        await page.locator("#stats-window").selectOption("24 hours");
        // 1,440 minutes or so in at most 120 bars: each bar sums several minutes.
        await page.locator("#chart-decisions figcaption", { hasText: /per 1[23] minutes/ })
          .waitFor();
        await screenshot(page, "dashboard-charts");
        assert.deepEqual(errors, []);
      });

      await t.step(
        "keyboard and labels: arrow keys move between tabs; every control is named",
        async () => {
          await page.getByRole("tab", { name: "Charts" }).focus();
          await page.keyboard.press("ArrowRight");
          assert.equal(
            await page.getByRole("tab", { name: "Receipts" }).getAttribute("aria-selected"),
            "true",
          );
          await page.keyboard.press("Home");
          assert.equal(
            await page.getByRole("tab", { name: "Overview" }).getAttribute("aria-selected"),
            "true",
          );
          for (const name of ["Overview", "Workers", "Tenants", "Bans", "Charts", "Receipts"]) {
            await page.getByRole("tab", { name }).click();
            assert.deepEqual(await unlabelled(page), [], name);
          }
          await page.getByRole("tab", { name: "Overview" }).click();
          assert.deepEqual(errors, []);
        },
      );

      await t.step("phone width (360 px): the dashboard does not scroll sideways", async () => {
        const phone = await openPage(browser, { width: 360, height: 740 });
        await signIn(phone.page, hall.url, TOKEN);
        await phone.page.locator("#h-feed .badge", { hasText: "live" }).waitFor();
        await phone.page.locator("#approvals > li").first().waitFor();
        const over = await overflow(phone.page);
        assert.ok(over <= 0, `overflows by ${over}px`);
        await screenshot(phone.page, "dashboard-phone");
        for (const name of ["Workers", "Tenants", "Bans", "Charts", "Receipts"]) {
          await phone.page.getByRole("tab", { name }).click();
          if (name === "Workers") {
            await phone.page.locator('[data-worker="org.acme.sum.9"] [data-action="details"]')
              .click();
            await phone.page.locator('[data-attestation="org.acme.sum.9"]').waitFor();
          }
          if (name === "Charts") await phone.page.locator("#chart-decisions svg").waitFor();
          if (name === "Receipts") {
            await phone.page.locator("#chain-tenant").selectOption("acme");
            await phone.page.locator("#chain-load").click();
            await phone.page.locator("#chain-blocks > li").first().waitFor();
          }
          const o = await overflow(phone.page);
          assert.ok(o <= 0, `${name} overflows by ${o}px`);
          await screenshot(phone.page, `dashboard-phone-${name.toLowerCase()}`);
        }
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
          await signIn(ns.page, hall.url, grant.token);
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
        await signIn(other.page, hall.url, "not-the-token");
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

Deno.test({
  name: "hall dashboard: first-run setup on a hall with only its bootstrap admin",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dataDir = await Deno.makeTempDir({ prefix: "wcp-e2e-setup-" });
    const hall = await startHall(dataDir, TOKEN);
    const browser = await launch();
    try {
      const api = new HallClient({ baseUrl: hall.url, token: TOKEN });
      const { page, errors } = await openPage(browser);
      await t.step("the setup opens by itself at first sign-in", async () => {
        await signIn(page, hall.url, TOKEN);
        await page.locator("#setup").waitFor();
        assert.equal(
          await page.getByRole("tab", { name: "Setup" }).getAttribute("aria-selected"),
          "true",
        );
        await screenshot(page, "dashboard-setup");
        assert.deepEqual(await unlabelled(page), []);
        assert.deepEqual(errors, []);
      });

      await t.step("create the first namespace; its token is shown once and works", async () => {
        await page.locator("#setup-ns-namespace").fill("org.first");
        await page.locator("#setup-ns-owner").fill("ops@first.example");
        await page.locator("#setup-ns-create").click();
        await page.locator("#revealed-value").waitFor();
        const token = await page.locator("#revealed-value").inputValue();
        const owner = new HallClient({ baseUrl: hall.url, token });
        assert.deepEqual((await owner.namespaces()).map((n) => n.namespace), ["org.first"]);
        await page.locator('[data-step="namespace"].done').waitFor();
        await screenshot(page, "dashboard-setup-token");
        await page.locator("#dismiss-token").click();
        assert.deepEqual(errors, []);
      });

      await t.step("an approver's admin token, then on to enrolment", async () => {
        await page.locator("#setup-approver-create").click();
        await page.locator("#revealed-value").waitFor();
        const approver = await page.locator("#revealed-value").inputValue();
        await page.locator("#dismiss-token").click();
        await page.locator('[data-step="approver"].done').waitFor();
        const tokens = await api.tokens();
        assert.equal(tokens.filter((x) => x.role === "admin" && !x.revoked_at).length, 2);
        assert.equal(
          (await new HallClient({ baseUrl: hall.url, token: approver }).tokens()).length,
          3,
        );
        assert.match(
          await page.locator("[data-step=enrol] pre").textContent() ?? "",
          /org\.first\./,
        );
        await page.locator("#setup-to-workers").click();
        await page.locator("#enrol-record").waitFor();
        assert.deepEqual(errors, []);
      });

      await t.step("the setup stays closed once closed", async () => {
        await page.getByRole("tab", { name: "Setup" }).click();
        await page.locator("#setup-done").click();
        assert.equal(await page.getByRole("tab", { name: "Setup" }).count(), 0);
        assert.deepEqual(errors, []);
      });
    } finally {
      await browser.close();
      await hall.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
