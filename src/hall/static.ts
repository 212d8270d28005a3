/**
 * `/playground`, `/dashboard` and `/docs` (the API page) from the built `playground/dist/`, with
 * a clear hint when it is not built.
 *
 * @module
 */

import { Hono } from "hono";
import type { HallEnv } from "./_http.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  map: "application/json",
  ico: "image/x-icon",
  woff2: "font/woff2",
  wasm: "application/wasm",
};

// 'wasm-unsafe-eval': the playground's Cedar panel compiles the Cedar engine (served from here).
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
  "connect-src 'self'; " +
  "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// `/docs` (Swagger UI over /openapi.json, all served from here): scripts and styles from this
// origin only (no inline script or style, no eval), the document fetched from here, the data:
// SVG icons of its stylesheet; nothing else, and no form posts anywhere.
const DOCS_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
  "connect-src 'self'; img-src 'self' data:; font-src 'self'; frame-ancestors 'none'; " +
  "base-uri 'none'; form-action 'none'";

/** Static routes over `dir` (absolute path), or hints when it is missing. */
export function staticRoutes(dir: string | undefined): Hono<HallEnv> {
  const app = new Hono<HallEnv>();
  const serve = async (file: string, csp = CSP): Promise<Response> => {
    if (!dir) return hint();
    // Only plain file names below dist: no traversal, no hidden files.
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/.test(file)) {
      return notFound();
    }
    try {
      const bytes = await Deno.readFile(`${dir}/${file}`);
      const ext = file.slice(file.lastIndexOf(".") + 1).toLowerCase();
      return new Response(bytes, {
        headers: {
          "content-type": TYPES[ext] ?? "application/octet-stream",
          "content-security-policy": csp,
          "cache-control": "no-cache",
        },
      });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        return file.endsWith(".html") ? hint() : notFound();
      }
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        return hint();
      }
      return notFound();
    }
  };
  for (const [base, index] of [["playground", "index.html"], ["dashboard", "dashboard.html"]]) {
    app.get(`/${base}`, (c) => c.redirect(`/${base}/`, 308));
    app.get(`/${base}/`, () => serve(index));
    app.get(`/${base}/*`, (c) => serve(c.req.path.slice(base.length + 2)));
  }
  app.get("/docs", (c) => c.redirect("/docs/", 308));
  app.get("/docs/", () => serve("docs/index.html", DOCS_CSP));
  app.get("/docs/*", (c) => serve(`docs/${c.req.path.slice("/docs/".length)}`, DOCS_CSP));
  return app;
}

function hint(): Response {
  return Response.json({
    error: {
      code: "PLAYGROUND_NOT_BUILT",
      message: "the playground is not built: run `deno task playground`, then reload",
    },
  }, { status: 404 });
}

function notFound(): Response {
  return Response.json({ error: { code: "NOT_FOUND", message: "no such file" } }, { status: 404 });
}
