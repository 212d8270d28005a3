/**
 * The dashboard's Gateway pins tab in headless Chromium against a real hall process whose
 * hall.json mounts a gateway (our fixture upstream, started by the hall): the upstream changes a
 * tool's description while running (a live rug pull, tools/list_changed); the tab shows the
 * pending change with its diff; the admin accepts it; the hall's API then has no pending change,
 * the pin is "accepted" with its receipt, and the tool is served again at /mcp. Any console
 * error fails the test. Screenshot: test-artifacts/dashboard-pins.png.
 */

import assert from "node:assert/strict";
import {
  explain,
  launch,
  openPage,
  ROOT,
  screenshot,
  signIn,
  type TrackedPage,
} from "./_browser.ts";
import { Client, StreamableHTTPClientTransport } from "../mcp/_sdk_client.ts";
import { startHall } from "./_hall.ts";

const TOKEN = "wcp_e2e_" + crypto.randomUUID().replaceAll("-", "");
const FIXTURE = `${ROOT}tests/mcp/fixtures/gateway_upstream.ts`;

const TOOLS = ["lookup", "mutate"];
const RULES = {
  rules: TOOLS.map((t) => ({
    rule_id: `fixture.${t}`,
    match: { capability_id: `cap.mcp.fx.${t}` },
    decision: { candidate_workers_ranked: [{ worker_species_id: `wrk.mcp.fx.${t}` }] },
  })),
};
const HALL_JSON = {
  rules_file: "rules.json",
  gateway: {
    tenant: { tenant_id: "acme" },
    servers: { fx: { command: Deno.execPath(), args: ["run", FIXTURE, "--relay"] } },
  },
};

Deno.test({
  name: "dashboard: a changed gateway tool definition is shown with its diff and accepted",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "wcp-e2e-pins-" });
    await Deno.writeTextFile(`${dataDir}/hall.json`, JSON.stringify(HALL_JSON));
    await Deno.writeTextFile(`${dataDir}/rules.json`, JSON.stringify(RULES));
    // The hall starts the fixture upstream (run) and reads its hall.json, rules and the fixture.
    const hall = await startHall(dataDir, TOKEN, [
      "--allow-net=127.0.0.1",
      `--allow-read=${dataDir},${ROOT}`,
      `--allow-write=${dataDir}`,
      "--allow-env",
      `--allow-run=${Deno.execPath()}`,
    ]);
    const browser = await launch();
    const mcp = new Client({ name: "e2e-pins", version: "0" });
    const api = async (method: string, path: string) => {
      const res = await fetch(`${hall.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return await res.json();
    };
    let tracked: TrackedPage | undefined;
    try {
      await explain(() => tracked, hall.log, async () => {
        await mcp.connect(
          new StreamableHTTPClientTransport(new URL(`${hall.url}/mcp`), {
            requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
          }),
        );
        const before = await mcp.callTool({ name: "lookup", arguments: { word: "cat" } });
        assert.equal(before.isError, undefined, JSON.stringify(before));
        // The upstream rewrites lookup's description while running.
        await mcp.callTool({ name: "mutate", arguments: {} });
        let pending: { key: string }[] = [];
        for (let i = 0; pending.length === 0 && i < 200; i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, 50)); // the re-listing is async
          pending = (await api("GET", "/wcp/gateway/pins")).pending;
        }
        assert.deepEqual(pending.map((p) => p.key), ["fx.lookup"]);

        tracked = await openPage(browser);
        const { page, errors } = tracked;
        // The receipt chains are verified last and slowly on a large hall: held here until the
        // operator has moved on, so the dashboard's first load is still running meanwhile.
        let release = () => {};
        const held = new Promise<void>((r) => (release = r));
        await page.route("**/wcp/receipts/verify**", async (route) => {
          await held;
          await route.continue();
        });
        await signIn(page, hall.url, TOKEN);
        // A hall with no namespace and only its bootstrap admin: the first-run setup is the first
        // panel shown (not the overview, replaced by it once every part has loaded) ...
        await page.locator("#setup").waitFor();
        // ... and, once closed, it stays closed: neither the end of the first load nor the
        // refresh after the accept below takes the operator away from the tab chosen.
        await page.locator("#setup-done").click();
        await page.locator("#hall-status").waitFor();
        await page.getByRole("tab", { name: "Gateway pins" }).click();
        release();
        // The board counts its refreshes (main's data-refreshes): wait for one to end.
        const refreshedPast = (n: number) =>
          page.locator(`main[data-refreshes]:not([data-refreshes="${n}"])`).waitFor();
        await refreshedPast(0); // the first load
        const card = page.locator('[data-pin="fx.lookup"]');
        await card.waitFor();
        const diff = await card.locator("pre.pin-diff").innerText();
        assert.match(diff, /^\+.*~\/\.ssh/m, diff);
        assert.match(diff, /^-.*"Look a word up\."/m, diff);
        await page.locator('[data-pinned="fx.mutate"]').waitFor();
        await screenshot(page, "dashboard-pins");

        await card.getByLabel("Note").fill("reviewed the new text");
        const loaded = Number(await page.locator("main").getAttribute("data-refreshes"));
        await card.locator('[data-action="accept-pin"]').click();
        // The accept refreshes the board (it wrote a receipt); the setup does not come back.
        await refreshedPast(loaded);
        await page.locator("#pins-none").waitFor();
        await page.locator("#action-message", { hasText: "Accepted fx.lookup" }).waitFor();
        await page.locator('[data-pinned="fx.lookup"]', { hasText: "accepted by" }).waitFor();
        await screenshot(page, "dashboard-pins-accepted");

        assert.equal(
          await page.getByRole("tab", { name: "Gateway pins" }).getAttribute("aria-selected"),
          "true",
        );
        assert.equal(await page.getByRole("tab", { name: "Setup" }).count(), 0);

        const after = await api("GET", "/wcp/gateway/pins");
        assert.deepEqual(after.pending, []);
        const pin = (after.pins as { key: string; how: string; receipt_id: string | null }[])
          .find((p) => p.key === "fx.lookup")!;
        assert.equal(pin.how, "accepted");
        assert.ok(pin.receipt_id);
        const served = await mcp.callTool({ name: "lookup", arguments: { word: "dog" } });
        assert.equal(served.isError, undefined, JSON.stringify(served));
        assert.deepEqual(errors, []);
      });
    } finally {
      await mcp.close().catch(() => {});
      await browser.close();
      await hall.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
