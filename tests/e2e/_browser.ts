/**
 * Shared helpers for the browser tests: a tiny static server for `playground/dist/`, Debian's
 * Chromium driven by playwright-core, and a console-error trap every page gets.
 *
 * @module
 */

import { type Browser, chromium, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

/** The repository root, from this file's location. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;
/** Where the built playground lives. */
export const DIST: string = `${ROOT}playground/dist/`;
/** Where screenshots go (gitignored). */
export const ARTIFACTS: string = `${ROOT}test-artifacts/`;

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  png: "image/png",
  svg: "image/svg+xml",
  wasm: "application/wasm",
};

/** A running static server. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Paths requested, for asserting the page fetched nothing from elsewhere. */
  requested: string[];
  /** Stop serving. */
  close(): Promise<void>;
}

/** Serve a directory on 127.0.0.1 with an ephemeral port; `/` maps to `index.html`. */
export function serveStatic(dir: string = DIST): StaticServer {
  const requested: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      requested.push(path);
      const rel = path.endsWith("/") ? path + "index.html" : path;
      if (rel.includes("..")) return new Response("bad path", { status: 400 });
      try {
        const body = await Deno.readFile(dir + rel.slice(1));
        const ext = rel.slice(rel.lastIndexOf(".") + 1);
        return new Response(body, {
          headers: { "content-type": TYPES[ext] ?? "application/octet-stream" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    requested,
    close: () => server.shutdown(),
  };
}

/** Launch headless Chromium (never a downloaded browser). */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** A page plus the console errors and page errors it produced. */
export interface TrackedPage {
  /** The page. */
  page: Page;
  /** Every console error, uncaught exception and failed request, in order. */
  errors: string[];
}

/** Open a page that records console errors, uncaught exceptions and failed requests. */
export async function openPage(
  browser: Browser,
  viewport: { width: number; height: number } = { width: 1280, height: 900 },
): Promise<TrackedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("requestfailed", (req) => {
    // Aborted SSE streams at page close are not errors of the page.
    const failure = req.failure()?.errorText ?? "";
    if (!failure.includes("ERR_ABORTED")) errors.push(`requestfailed: ${req.url()} ${failure}`);
  });
  return { page, errors };
}

/** Save a full-page screenshot to `test-artifacts/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}
