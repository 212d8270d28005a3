/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * Entry point of the playground's bundle (`app.js`, loaded by `index.html`). The hall dashboard
 * is its own bundle (`dashboard/main.tsx`, `dashboard.js`).
 *
 * @module
 */

import { render } from "preact";
import { PlaygroundApp } from "./playground.tsx";
import { keepUrlInSync, restoreFromUrl } from "./state.ts";

const root = document.getElementById("app");
if (root) {
  // Restore a shared link before the first render, so the page never flashes the defaults.
  restoreFromUrl().finally(() => {
    render(<PlaygroundApp />, root);
    performance.mark("wcp:first-render");
    keepUrlInSync();
  });
}
