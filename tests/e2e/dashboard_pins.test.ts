/**
 * The dashboard's Gateway pins tab in headless Chromium against a real hall process whose
 * hall.json mounts a gateway (our fixture upstream, started by the hall): the upstream changes a
 * tool's description while running (a live rug pull, tools/list_changed); the tab shows the
 * pending change with its diff; the admin accepts it; the hall's API then has no pending change,
 * the pin is "accepted" with its receipt, and the tool is served again at /mcp. Any console
 * error fails the test. Screenshot: test-artifacts/dashboard-pins.png.
 */

import assert from "node:assert/strict";
import { launch, openPage, ROOT, screenshot } from "./_browser.ts";
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
    try {
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

      const { page, errors } = await openPage(browser);
      await page.goto(`${hall.url}/dashboard/`);
      await page.locator("#token").fill(TOKEN);
      await page.locator("#sign-in").click();
      await page.locator("#hall-status").waitFor();
      await page.getByRole("tab", { name: "Gateway pins" }).click();
      const card = page.locator('[data-pin="fx.lookup"]');
      await card.waitFor();
      const diff = await card.locator("pre.pin-diff").innerText();
      assert.match(diff, /^\+.*~\/\.ssh/m, diff);
      assert.match(diff, /^-.*"Look a word up\."/m, diff);
      await page.locator('[data-pinned="fx.mutate"]').waitFor();
      await screenshot(page, "dashboard-pins");

      await card.getByLabel("Note").fill("reviewed the new text");
      await card.locator('[data-action="accept-pin"]').click();
      await page.locator("#pins-none").waitFor();
      await page.locator("#action-message", { hasText: "Accepted fx.lookup" }).waitFor();
      await page.locator('[data-pinned="fx.lookup"]', { hasText: "accepted by" }).waitFor();
      await screenshot(page, "dashboard-pins-accepted");

      const after = await api("GET", "/wcp/gateway/pins");
      assert.deepEqual(after.pending, []);
      const pin = (after.pins as { key: string; how: string; receipt_id: string | null }[])
        .find((p) => p.key === "fx.lookup")!;
      assert.equal(pin.how, "accepted");
      assert.ok(pin.receipt_id);
      const served = await mcp.callTool({ name: "lookup", arguments: { word: "dog" } });
      assert.equal(served.isError, undefined, JSON.stringify(served));
      assert.deepEqual(errors, []);
    } finally {
      await mcp.close().catch(() => {});
      await browser.close();
      await hall.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
