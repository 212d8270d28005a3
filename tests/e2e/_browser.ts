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
  /**
   * Everything the page said, in order: every console message (any level), uncaught exceptions,
   * failed requests and answers with a status of 400 or more. For `explain` when a wait fails.
   */
  log: string[];
}

/** Open a page that records console errors, uncaught exceptions and failed requests. */
export async function openPage(
  browser: Browser,
  viewport: { width: number; height: number } = { width: 1280, height: 900 },
): Promise<TrackedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const log: string[] = [];
  page.on("console", (msg) => {
    log.push(`console.${msg.type()}: ${msg.text()}`);
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => {
    log.push(`pageerror: ${err.message}`);
    errors.push(`pageerror: ${err.message}`);
  });
  page.on("requestfailed", (req) => {
    // Aborted SSE streams at page close are not errors of the page.
    const failure = req.failure()?.errorText ?? "";
    log.push(`requestfailed: ${req.method()} ${req.url()} ${failure}`);
    if (!failure.includes("ERR_ABORTED")) errors.push(`requestfailed: ${req.url()} ${failure}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) {
      log.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    }
  });
  return { page, errors, log };
}

/**
 * Run a browser test's steps; when one throws (a wait that timed out, a failed assertion), throw
 * it again with what is needed to tell why: the page's address, its visible text, everything its
 * console said and, given a hall process's log, what the hall printed.
 */
export async function explain<T>(
  tracked: () => TrackedPage | undefined,
  hallLog: string[] | undefined,
  steps: () => Promise<T>,
): Promise<T> {
  try {
    return await steps();
  } catch (e) {
    const t = tracked();
    const parts = [e instanceof Error ? (e.stack ?? e.message) : String(e)];
    if (t) {
      const text = await t.page.locator("body").innerText({ timeout: 2000 }).catch((err) =>
        `(not readable: ${err instanceof Error ? err.message : err})`
      );
      parts.push(`--- page ${t.page.url()} shows ---\n${text}`);
      parts.push(`--- page console (${t.log.length}) ---\n${t.log.join("\n")}`);
    }
    if (hallLog) parts.push(`--- hall log ---\n${hallLog.join("")}`);
    throw new Error(parts.join("\n"), { cause: e });
  }
}

/** Open the dashboard at `base` (a hall, or a proxy in front of one) and sign in with `token`. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/dashboard/`);
  await page.locator("#token").fill(token);
  await page.locator("#sign-in").click();
}

/** Save a full-page screenshot to `test-artifacts/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}
