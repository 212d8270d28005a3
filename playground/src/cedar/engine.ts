/**
 * The Cedar engine for the playground's Cedar panel: its own bundle (`dist/cedar.js`), loaded only
 * when the panel opens, with the wasm (`dist/cedar_wasm_bg.wasm`) served beside it, never from a
 * CDN. The panel passes the wasm's URL.
 *
 * @module
 */

import init, * as cedar from "@cedar-policy/cedar-wasm/web";
import type { CedarEngine } from "../../../src/gates/cedar.ts";

/** Instantiate the wasm at `wasmUrl` and return the engine's functions. */
export async function loadCedarEngine(wasmUrl: string): Promise<CedarEngine> {
  await init({ module_or_path: wasmUrl });
  return cedar as unknown as CedarEngine;
}
