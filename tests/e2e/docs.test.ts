// The hall's API page: `/docs` (Swagger UI built into playground/dist/docs by `deno task
// playground`) renders the hall's own /openapi.json in Chromium, lists every operation, fetches
// nothing from anywhere but the hall, and breaks none of its CSP.
import assert from "node:assert/strict";
import { ARTIFACTS, launch, openPage, screenshot } from "./_browser.ts";
import { startHall } from "./_hall.ts";

const TOKEN = "wcp_e2e-docs-admin-token-0123456789abcdef";

Deno.test({
  name: "docs: /docs lists every operation of /openapi.json from local assets only",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "wcp-e2e-docs-" });
    const hall = await startHall(dataDir, TOKEN);
    const browser = await launch();
    try {
      const doc = await (await fetch(`${hall.url}/openapi.json`)).json() as {
        paths: Record<string, Record<string, { operationId: string }>>;
      };
      const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)
      );
      assert.ok(operations.length >= 49, `${operations.length} operations`);

      // The page's answer: its own CSP (no inline script or style, no other origin).
      const page0 = await fetch(`${hall.url}/docs/`);
      assert.equal(page0.status, 200);
      assert.match(page0.headers.get("content-type") ?? "", /^text\/html/);
      const csp = page0.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self';/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
      await page0.body?.cancel();
      const redirect = await fetch(`${hall.url}/docs`, { redirect: "manual" });
      assert.equal(redirect.status, 308);
      assert.equal(redirect.headers.get("location"), "/docs/");
      await redirect.body?.cancel();

      const { page, errors } = await openPage(browser);
      const requested: string[] = [];
      page.on("request", (r) => requested.push(r.url()));
      await page.goto(`${hall.url}/docs`);
      await page.locator(".opblock").first().waitFor({ timeout: 30_000 });
      await page.getByText("WCP Hall API").first().waitFor();

      // Every operation is listed with its method and path.
      const listed = await page.locator(".opblock").evaluateAll((blocks) =>
        blocks.map((b) => {
          const method = b.querySelector(".opblock-summary-method")?.textContent ?? "";
          const path = b.querySelector(".opblock-summary-path")?.getAttribute("data-path") ??
            b.querySelector(".opblock-summary-path")?.textContent ?? "";
          return `${method.trim()} ${path.replace(/\u200b/g, "").trim()}`;
        })
      );
      assert.deepEqual([...listed].sort(), [...operations].sort());
      assert.ok(listed.includes("POST /wcp/route"), listed.join("\n"));

      // One operation opened: its summary and its documented answers are shown.
      const route = page.locator(".opblock-post", { hasText: "/wcp/route" }).first();
      await route.locator(".opblock-summary").first().click();
      await route.getByText("Decide a RouteInput (never executes)").first().waitFor();
      await route.locator(".responses-table").first().waitFor();
      assert.match(await route.locator(".responses-table").first().textContent() ?? "", /200/);
      await screenshot(page, "docs");
      await route.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${ARTIFACTS}docs-route.png` }); // the viewport, readable

      const foreign = requested.filter((u) => !u.startsWith(`${hall.url}/`) && !/^data:/.test(u));
      assert.deepEqual(foreign, [], "the page fetched only from the hall");
      assert.deepEqual(errors, [], "no console error, page error or refused request (CSP)");
    } finally {
      await browser.close();
      await hall.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
