/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * Entry point of the bundle: the playground (`index.html`) or the hall dashboard
 * (`dashboard.html`), chosen by `<body data-mode>`.
 *
 * @module
 */

import { render } from "preact";
import { DashboardApp } from "./dashboard/mod.tsx";
import { PlaygroundApp } from "./playground.tsx";
import { keepUrlInSync, restoreFromUrl } from "./state.ts";

const root = document.getElementById("app");
if (root && document.body.dataset.mode === "dashboard") {
  render(<DashboardApp />, root);
} else if (root) {
  // Restore a shared link before the first render, so the page never flashes the defaults.
  restoreFromUrl().finally(() => {
    render(<PlaygroundApp />, root);
    performance.mark("wcp:first-render");
    keepUrlInSync();
  });
}
