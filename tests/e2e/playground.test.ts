/**
 * The playground in real headless Chromium: every panel loads, decisions come from the real core
 * (each example scenario shows its expected outcome), packages are signed and tampered, receipt
 * chains verify and break where they were changed, catalog search and entity pages work, the state
 * survives a shared link, the page works at phone width and fetches nothing from outside.
 * Any console error fails the test.
 *
 * Run with `deno task test:e2e` (it builds `playground/dist/` first).
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { DIST, launch, openPage, screenshot, serveStatic, type StaticServer } from "./_browser.ts";
import { SCENARIOS } from "../../playground/src/examples.ts";

// The reference's scaffold package hash (behaviour.md 9.4), identical in Py, TS and Go.
const SCAFFOLD_HASH = "sha256:a6eeb3dd3aafc410838802130e3675527dcceadf6d2b1e817e2b97f62abf3bb6";

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? "").trim();
}

async function openPanel(page: Page, name: string): Promise<void> {
  await page.getByRole("tab", { name }).click();
  await page.locator(`#panel-${name.toLowerCase()}`).waitFor();
}

async function gzipSize(path: string): Promise<number> {
  const stream = (await Deno.open(path)).readable.pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

Deno.test({
  name: "playground in Chromium",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await Deno.stat(`${DIST}app.js`).catch(() => {
      throw new Error("playground/dist/app.js is missing: run `deno task playground` first");
    });
    const server: StaticServer = serveStatic();
    const browser: Browser = await launch();
    const foreign: string[] = [];
    try {
      const { page, errors } = await openPage(browser);
      // Record (and refuse) any request that is not to our static server: the page must be offline.
      await page.context().route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith(server.url) || url.startsWith("data:") || url.startsWith("blob:")) {
          return route.continue();
        }
        foreign.push(url);
        return route.abort();
      });

      await t.step("first render and first decision (figures printed)", async () => {
        await page.goto(server.url);
        await page.locator("#decision-outcome").waitFor();
        assert.equal(await text(page, "#decision-outcome"), "DISPATCH");
        const marks = await page.evaluate(() => {
          const at = (n: string) => performance.getEntriesByName(n)[0]?.startTime ?? -1;
          const nav = performance.getEntriesByType("navigation")[0] as unknown as {
            domContentLoadedEventEnd: number;
          };
          return {
            render: at("wcp:first-render"),
            decision: at("wcp:first-decision"),
            domContentLoaded: nav?.domContentLoadedEventEnd ?? -1,
          };
        });
        assert.ok(marks.render > 0 && marks.decision >= marks.render, JSON.stringify(marks));
        const js = await gzipSize(`${DIST}app.js`);
        const css = await gzipSize(`${DIST}app.css`);
        console.log(
          `playground: first render ${marks.render.toFixed(0)} ms, first decision rendered ` +
            `${marks.decision.toFixed(0)} ms after navigation start; app.js ${js} B gzipped, ` +
            `app.css ${css} B gzipped`,
        );
        await screenshot(page, "playground-decisions");
        assert.deepEqual(errors, []);
        // The playground compiles gate tables but never parses files: zod (about 90 KB gzipped)
        // must stay out of its bundle (src/gates/table.ts vs table_parse.ts).
        const bundle = await Deno.readTextFile(`${DIST}app.js`);
        assert.ok(!bundle.includes("ZodError"), "app.js bundles zod");
      });

      await t.step("every example scenario shows its expected outcome", async () => {
        for (const s of SCENARIOS) {
          await page.locator(`[data-scenario="${s.id}"]`).click();
          const expected = s.expect.startsWith("DENY_") ? "DENY" : s.expect;
          await page.locator("#decision-outcome", { hasText: expected }).waitFor();
          if (s.expect.startsWith("DENY_")) {
            assert.equal(await text(page, "#deny-code"), s.expect, `scenario ${s.id}`);
          } else {
            assert.equal(await page.locator("#deny-code").count(), 0, `scenario ${s.id}`);
          }
          // Every decision carries its step trace.
          assert.ok(await page.locator("#trace li").count() > 0, `trace for ${s.id}`);
        }
        assert.deepEqual(errors, []);
      });

      await t.step("an allowed and a denied decision from the form", async () => {
        await page.locator('[data-scenario="allowed"]').click();
        await page.locator("#decision-outcome", { hasText: "DISPATCH" }).waitFor();
        assert.equal(
          await text(page, "#selected-worker"),
          "org.acme.summarizer.1 (wrk.doc.summarizer)",
        );
        assert.match(await text(page, "#telemetry"), /evt\./);
        await page.locator("#in-capability_id").fill("cap.nothing.matches");
        await page.locator("#deny-code", { hasText: "DENY_NO_MATCHING_RULE" }).waitFor();
        assert.equal(await text(page, "#decision-outcome"), "DENY");
        assert.equal(await text(page, "#matched-rule"), "NO_MATCH");
        // Broken JSON is reported where it is, and no decision is shown.
        await page.locator("#input").fill("{ not json");
        await page.locator("#input-error").waitFor();
        assert.match(await text(page, "#decision-outcome"), /No decision/);
        assert.equal(await page.locator("#input").getAttribute("aria-invalid"), "true");
        assert.deepEqual(errors, []);
      });

      await t.step("shadowed rules are listed, and prod requests are denied", async () => {
        await page.locator('[data-scenario="shadowed"]').click();
        await page.locator("#shadow-warnings").waitFor();
        assert.match(await text(page, "#shadow-warnings"), /doc\.summarize\.prod/);
        assert.equal(await text(page, "#deny-code"), "DENY_SHADOW_RULES_DETECTED");
        assert.deepEqual(errors, []);
      });

      await t.step("the policy gate table decides", async () => {
        await page.locator('[data-scenario="approval"]').click();
        await page.locator("#decision-outcome", { hasText: "STEWARD_HOLD" }).waitFor();
        await page.locator("summary", { hasText: /^Policy gate$/ }).click();
        await page.getByLabel("row 2 decision").selectOption("DENY");
        await page.locator("#deny-code", { hasText: "DENY_POLICY_GATE" }).waitFor();
        await page.getByLabel("row 2 decision").selectOption("ALLOW");
        await page.locator("#decision-outcome", { hasText: "DISPATCH" }).waitFor();
        assert.equal(
          await text(page, "#selected-worker"),
          "org.acme.payments.1 (wrk.fin.payer)",
        );
        assert.deepEqual(errors, []);
      });

      await t.step("the state travels in the URL fragment", async () => {
        await page.locator('[data-scenario="unknown-tenant"]').click();
        await page.locator("#deny-code", { hasText: "DENY_UNKNOWN_TENANT" }).waitFor();
        await page.waitForFunction(() => location.hash.startsWith("#s="));
        await page.waitForTimeout(400); // the fragment is written 300 ms after the last change
        const shared = page.url();
        const other = await openPage(browser);
        await other.page.goto(shared);
        await other.page.locator("#deny-code", { hasText: "DENY_UNKNOWN_TENANT" }).waitFor();
        assert.match(await other.page.locator("#input").inputValue(), /"initech"/);
        // A mangled link pasted into the open tab (a same-document navigation) falls back to the
        // defaults with a message, not a crash, and is not overwritten by the old state.
        await other.page.goto(server.url + "#s=z.not-valid-state");
        await other.page.locator("#decision-outcome", { hasText: "DISPATCH" }).waitFor();
        assert.match(await text(other.page, "[role=alert]"), /could not be read/);
        // A good link pasted the same way is followed.
        await other.page.goto(shared);
        await other.page.locator("#deny-code", { hasText: "DENY_UNKNOWN_TENANT" }).waitFor();
        assert.deepEqual(other.errors, []);
        await other.page.context().close();
        // The mangled link opened in a fresh tab: the same.
        const fresh = await openPage(browser);
        await fresh.page.goto(server.url + "#s=z.not-valid-state");
        await fresh.page.locator("#decision-outcome", { hasText: "DISPATCH" }).waitFor();
        assert.match(await text(fresh.page, "[role=alert]"), /could not be read/);
        assert.deepEqual(fresh.errors, []);
        await fresh.page.context().close();
      });

      await t.step("keyboard: arrow keys move between tabs", async () => {
        await page.getByRole("tab", { name: "Decisions" }).focus();
        await page.keyboard.press("ArrowRight");
        assert.equal(
          await page.getByRole("tab", { name: "Attestation" }).getAttribute("aria-selected"),
          "true",
        );
        assert.equal(await page.evaluate("document.activeElement?.id"), "tab-attestation");
        await page.keyboard.press("End");
        assert.equal(await page.evaluate("document.activeElement?.id"), "tab-catalog");
        await page.keyboard.press("Home");
        assert.equal(await page.evaluate("document.activeElement?.id"), "tab-decisions");
        // Scenario buttons are reachable and work with the keyboard alone.
        await page.locator('[data-scenario="no-correlation"]').focus();
        await page.keyboard.press("Enter");
        await page.locator("#deny-code", { hasText: "DENY_MISSING_CORRELATION_ID" }).waitFor();
        assert.deepEqual(errors, []);
      });

      await t.step("attestation: hash, sign (Ed25519 and HMAC), download, tamper", async () => {
        await openPanel(page, "Attestation");
        await page.locator("#load-demo").click();
        await page.locator("#package-hash", { hasText: SCAFFOLD_HASH }).waitFor();
        // Ed25519
        await page.locator("#gen-key").click();
        await page.locator("#key-id", { hasText: "ed25519:" }).waitFor();
        await page.locator("#sign").click();
        await page.locator("#attest-code", { hasText: "VERIFIED" }).waitFor();
        const [dl] = await Promise.all([
          page.waitForEvent("download"),
          page.locator("#download-manifest").click(),
        ]);
        const manifest = JSON.parse(await Deno.readTextFile(await dl.path()));
        assert.equal(manifest.package_hash, SCAFFOLD_HASH.slice(7));
        assert.equal(manifest.signature_alg, "ed25519");
        const [dsse] = await Promise.all([
          page.waitForEvent("download"),
          page.locator("#download-dsse").click(),
        ]);
        const envelope = JSON.parse(await Deno.readTextFile(await dsse.path()));
        assert.equal(envelope.payloadType, "application/vnd.in-toto+json");
        assert.equal(envelope.signatures.length, 1);
        const statement = JSON.parse(atob(envelope.payload));
        assert.equal(statement._type, "https://in-toto.io/Statement/v1");
        assert.equal(statement.subject[0].digest.sha256, SCAFFOLD_HASH.slice(7));
        await screenshot(page, "playground-attestation");
        // Change one file in the in-page editor: the hash no longer matches.
        await page.getByRole("button", { name: "edit code/worker_logic.py" }).click();
        await page.locator("#edit-content").fill("def run():\n    exfiltrate()\n");
        await page.locator("#save-file").click();
        await page.locator("#attest-code", { hasText: "ATTEST_HASH_MISMATCH" }).waitFor();
        assert.notEqual(await text(page, "#package-hash"), SCAFFOLD_HASH);
        // Re-sign with HMAC, then verify with the wrong secret.
        await page.locator("#mode-hmac").check();
        await page.locator("#hmac-secret").fill("test-secret-key");
        await page.locator("#sign").click();
        await page.locator("#attest-code", { hasText: "VERIFIED" }).waitFor();
        await page.locator("#hmac-secret").fill("another-secret");
        await page.locator("#attest-code", { hasText: "ATTEST_SIG_INVALID" }).waitFor();
        // Verifying an HMAC manifest as Ed25519 never falls back to HMAC.
        await page.locator("#mode-ed25519").check();
        await page.locator("#attest-code", { hasText: "ATTEST_MODE_MISMATCH" }).waitFor();
        // A manifest for another worker.
        await page.locator("#mode-hmac").check();
        await page.locator("#hmac-secret").fill("test-secret-key");
        await page.locator("#attest-code", { hasText: "VERIFIED" }).waitFor();
        await page.locator("#att-worker").fill("org.example.other-worker.instance-1");
        await page.locator("#attest-code", { hasText: "ATTEST_MANIFEST_ID_MISMATCH" }).waitFor();
        assert.deepEqual(errors, []);
      });

      await t.step("attestation: pick a folder", async () => {
        const dir = await Deno.makeTempDir();
        try {
          await Deno.mkdir(`${dir}/pkg/code`, { recursive: true });
          await Deno.writeTextFile(`${dir}/pkg/code/worker.ts`, "export const run = () => 1;\n");
          await Deno.writeTextFile(`${dir}/pkg/README.md`, "# demo\n");
          await page.locator("#pick-folder").setInputFiles(`${dir}/pkg`);
          await page.locator("#package-files", { hasText: "code/worker.ts" }).waitFor();
          assert.match(await text(page, "#package-files"), /README\.md/);
          assert.match(await text(page, "#package-hash"), /^sha256:[0-9a-f]{64}$/);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
        assert.deepEqual(errors, []);
      });

      await t.step("receipts: a generated chain verifies; each change is located", async () => {
        await openPanel(page, "Receipts");
        await page.locator("#gen-chain").click();
        await page.locator("#chain-status", { hasText: "CHAIN VALID" }).waitFor();
        await screenshot(page, "playground-receipts");
        const cases: [string, RegExp][] = [
          ["#tamper-field", /at receipt 2/],
          ["#tamper-drop", /at receipt 2/],
          ["#tamper-swap", /at receipt 1/],
          ["#tamper-sig", /at receipt 1/],
        ];
        for (const [button, where] of cases) {
          await page.locator("#gen-chain").click();
          await page.locator("#chain-status", { hasText: "CHAIN VALID" }).waitFor();
          await page.locator(button).click();
          await page.locator("#chain-status", { hasText: "CHAIN BROKEN" }).waitFor();
          assert.match(await text(page, "#chain-breaks li"), where, button);
          assert.ok(await page.locator("#receipt-table .row-broken").count() > 0, button);
        }
        // An untrusted key is refused too.
        await page.locator("#gen-chain").click();
        await page.locator("#chain-status", { hasText: "CHAIN VALID" }).waitFor();
        await page.locator("#trusted-keys").fill("[]");
        await page.locator("#verify-chain").click();
        await page.locator("#chain-status", { hasText: "CHAIN BROKEN" }).waitFor();
        assert.deepEqual(errors, []);
      });

      await t.step("diff: two rule sets compared exactly, each class with a witness", async () => {
        await openPanel(page, "Diff");
        // The example NEW (by hand): payments also in dev (widened), no RESTRICTED data to the
        // summarizer (narrowed), a policy gate on schema migrations (changed).
        await page.locator("#diff-summary", { hasText: "1 widened" }).waitFor();
        assert.match(await text(page, "#diff-summary"), /1 widened.*1 narrowed.*1 changed/);
        assert.match(
          await text(page, "#diff-widened li"),
          /capability_id = cap\.fin\.initiate-payment · env = dev.*now rule fin\.payment/,
        );
        assert.match(
          await text(page, "#diff-narrowed li"),
          /cap\.doc\.summarize · data_label = RESTRICTED.*was rule doc\.summarize/,
        );
        assert.match(await text(page, "#diff-changed li"), /db\.migrate-schema: policy_gate/);
        await screenshot(page, "playground-diff");
        const newRules = await page.locator("#diff-new").inputValue();
        await page.locator("#diff-new").fill(await page.locator("#diff-old").inputValue());
        await page.locator("#diff-summary", { hasText: "IDENTICAL" }).waitFor();
        await page.locator("#diff-new").fill("{ not json");
        await page.locator("#diff-new-error").waitFor();
        assert.equal(await page.locator("#diff-result").count(), 0);
        await page.locator("#diff-new").fill(newRules);
        // The witness of the widened class, tried under NEW in the Decisions panel: a rule
        // matches it now (under OLD: NO_MATCH).
        await page.getByRole("button", { name: "Try widened witness 1 in Decisions" }).click();
        await page.locator("#panel-decisions").waitFor();
        assert.match(await page.locator("#input").inputValue(), /"env": "dev"/);
        assert.match(await page.locator("#input").inputValue(), /cap\.fin\.initiate-payment/);
        await page.locator("#matched-rule", { hasText: "fin.payment" }).waitFor();
        await page.locator('[data-scenario="allowed"]').click();
        await page.locator("#decision-outcome", { hasText: "DISPATCH" }).waitFor();
        assert.deepEqual(errors, []);
      });

      await t.step("catalog: search, entity page, relations", async () => {
        await openPanel(page, "Catalog");
        await page.locator("#catalog-q").fill("summarize documents");
        await page.locator("#search-results a", { hasText: "cap.doc.summarize" }).first().waitFor();
        await screenshot(page, "playground-catalog");
        await page.locator("#search-results a", { hasText: "cap.doc.summarize" }).first().click();
        await page.locator("#entity-title", { hasText: "cap.doc.summarize" }).waitFor();
        const relations = await page.locator("#entity a").count();
        assert.ok(relations > 0, "cap.doc.summarize links to related entries");
        // Follow a relation, then come back.
        await page.locator("#entity a").first().click();
        assert.doesNotMatch(await text(page, "#entity-title"), /cap\.doc\.summarize\b/);
        await page.locator("#entity-back").click();
        await page.locator("#search-results").waitFor();
        // A typo still finds it.
        await page.locator("#catalog-q").fill("sumarize");
        await page.locator("#search-results a", { hasText: "cap.doc.summarize" }).first().waitFor();
        assert.deepEqual(errors, []);
      });

      await t.step("every control on every panel has an accessible name", async () => {
        for (const name of ["Decisions", "Attestation", "Receipts", "Diff", "Catalog"]) {
          await openPanel(page, name);
          // Open every disclosure so hidden editors are checked too.
          await page.evaluate(`document.querySelectorAll("details").forEach((d) => d.open = true)`);
          const unnamed = await page.evaluate(`(() => {
            const named = (el) => (el.labels && el.labels.length > 0) ||
              el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") ||
              (el.tagName === "BUTTON" && el.textContent.trim());
            return [...document.querySelectorAll("input, select, textarea, button")]
              .filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 80));
          })()`) as string[];
          assert.deepEqual(unnamed, [], `${name}: controls without a name`);
        }
        await openPanel(page, "Decisions");
        assert.deepEqual(errors, []);
      });

      await t.step("a catalog link opens its entity page", async () => {
        const other = await openPage(browser);
        await other.page.goto(server.url + "#entity=wrk.doc.summarizer");
        await other.page.locator("#entity-title", { hasText: "wrk.doc.summarizer" }).waitFor();
        assert.equal(
          await other.page.getByRole("tab", { name: "Catalog" }).getAttribute("aria-selected"),
          "true",
        );
        assert.deepEqual(other.errors, []);
        await other.page.context().close();
      });

      await t.step("cedar: write a policy, see the gate's decisions change", async () => {
        // The payment scenario's rule asks the policy gate; its capability is risk:critical.
        await openPanel(page, "Decisions");
        await page.locator('[data-scenario="approval"]').click();
        await openPanel(page, "Cedar");
        // The engine (cedar.js + its wasm, from this server) loads when the panel first opens.
        await page.locator("#cedar-status", { hasText: "checked against the schema" }).waitFor({
          timeout: 60_000,
        });
        await page.locator("#cedar-outcome", { hasText: "STEWARD_HOLD" }).waitFor();
        assert.match(await text(page, "#cedar-answer"), /REQUIRE_HUMAN\s*critical-needs-executor/);
        assert.match(
          await text(page, '[data-cell="prod/RESTRICTED"]'),
          /DENY\s*no-restricted-prod/,
        );
        assert.match(await text(page, '[data-cell="stage/PUBLIC"]'), /ALLOW\s*base/);
        await screenshot(page, "playground-cedar");
        const original = await page.locator("#cedar-policies").inputValue();
        const before = page.url();
        // A forbid for this tenant: the request the rules allow is now denied by the gate.
        await page.locator("#cedar-policies").fill(
          original + '\n@id("no-acme-payments")\nforbid(principal == WCP::Tenant::"acme", ' +
            'action == WCP::Action::"cap.fin.initiate-payment", resource);\n',
        );
        await page.locator("#cedar-deny-code", { hasText: "DENY_POLICY_GATE" }).waitFor();
        assert.match(await text(page, "#cedar-answer"), /DENY\s*no-acme-payments/);
        assert.match(await text(page, '[data-cell="stage/PUBLIC"]'), /DENY\s*no-acme-payments/);
        // The policies travel in the share link: a fresh tab shows them deciding the same.
        await page.waitForFunction(
          (b) => location.href !== b,
          before,
        );
        const shared = await openPage(browser);
        await shared.page.goto(page.url());
        await shared.page.locator("#cedar-deny-code", { hasText: "DENY_POLICY_GATE" }).waitFor({
          timeout: 60_000,
        });
        assert.match(await shared.page.locator("#cedar-policies").inputValue(), /no-acme-payments/);
        assert.deepEqual(shared.errors, []);
        await shared.page.context().close();
        // A policy failing schema validation is refused, naming it and where; the last good
        // policies still decide.
        await page.locator("#cedar-policies").fill(
          original + '\n@id("typo")\nforbid(principal, action, resource) ' +
            'when { context.data_lable == WCP::DataLabel::"PUBLIC" };\n',
        );
        await page.locator("#cedar-policies-error").waitFor();
        assert.match(
          await text(page, "#cedar-policies-error"),
          /policies\[typo\]: policies:\d+:\d+: policy 'typo' fails schema validation: attribute `data_lable`/,
        );
        assert.match(await text(page, "#cedar-status"), /Refused: the last policies/);
        assert.equal(await text(page, "#cedar-deny-code"), "DENY_POLICY_GATE");
        await screenshot(page, "playground-cedar-refused");
        await page.locator("#cedar-policies").fill(original);
        await page.locator("#cedar-outcome", { hasText: "STEWARD_HOLD" }).waitFor();
        // Every control has an accessible name here too.
        const unnamed = await page.evaluate(`[...document.querySelectorAll(
          "#panel-cedar input, #panel-cedar select, #panel-cedar textarea, #panel-cedar button")]
          .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
          .map((el) => el.outerHTML.slice(0, 80))`) as string[];
        assert.deepEqual(unnamed, []);
        await openPanel(page, "Decisions");
        await page.locator('[data-scenario="allowed"]').click();
        assert.deepEqual(errors, []);
      });

      await t.step("cedar: no horizontal scrolling at phone width (360 px)", async () => {
        const phone = await openPage(browser, { width: 360, height: 740 });
        await phone.page.goto(server.url);
        await phone.page.locator("#decision-outcome").waitFor();
        await openPanel(phone.page, "Cedar");
        await phone.page.locator("#cedar-grid").waitFor({ timeout: 60_000 });
        const overflow = await phone.page.evaluate(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        ) as number;
        assert.ok(overflow <= 0, `Cedar overflows by ${overflow}px at 360px`);
        assert.deepEqual(phone.errors, []);
        await phone.page.context().close();
      });

      await t.step("phone width (360 px): no horizontal scrolling", async () => {
        const phone = await openPage(browser, { width: 360, height: 740 });
        await phone.page.goto(server.url);
        await phone.page.locator("#decision-outcome").waitFor();
        for (const name of ["Decisions", "Attestation", "Receipts", "Diff", "Catalog"]) {
          await openPanel(phone.page, name);
          const overflow = await phone.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth",
          ) as number;
          assert.ok(overflow <= 0, `${name} overflows by ${overflow}px at 360px`);
        }
        await openPanel(phone.page, "Decisions");
        await screenshot(phone.page, "playground-phone");
        assert.deepEqual(phone.errors, []);
        await phone.page.context().close();
      });

      await t.step("works opened as a file, with no server at all", async () => {
        const local = await openPage(browser);
        await local.page.goto(`file://${DIST}index.html`);
        await local.page.locator("#decision-outcome", { hasText: "DISPATCH" }).waitFor();
        assert.equal(await local.page.evaluate("isSecureContext"), true); // Web Crypto works
        await openPanel(local.page, "Receipts");
        await local.page.locator("#gen-chain").click();
        await local.page.locator("#chain-status", { hasText: "CHAIN VALID" }).waitFor();
        assert.deepEqual(local.errors, []);
        await local.page.context().close();
      });

      await t.step("offline: nothing but our own files was requested", () => {
        assert.deepEqual(foreign, []);
        const files = new Set(server.requested);
        // (cedar.js and its wasm: fetched only once the Cedar panel opened.)
        for (const f of files) {
          assert.match(f, /^\/(index\.html|app\.js|app\.css|cedar\.js|cedar_wasm_bg\.wasm)?$/, f);
        }
        assert.deepEqual(errors, []);
      });
    } finally {
      await browser.close();
      await server.close();
    }
  },
});
