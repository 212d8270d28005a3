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
import { DashboardApp } from "./dashboard.tsx";
import { PlaygroundApp } from "./playground.tsx";

const root = document.getElementById("app");
if (root) {
  performance.mark("wcp:start");
  render(document.body.dataset.mode === "dashboard" ? <DashboardApp /> : <PlaygroundApp />, root);
  performance.mark("wcp:first-render");
}
