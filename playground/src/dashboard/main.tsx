/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * Entry point of the dashboard's bundle (`dashboard.js`, loaded by `dashboard.html` only).
 *
 * @module
 */

import { render } from "preact";
import { DashboardApp } from "./mod.tsx";

const root = document.getElementById("app");
if (root) render(<DashboardApp />, root);
