/**
 * Reading the MCP server's configuration file. `rules` and `registry` may be given inline or as
 * paths (relative to the config file) to a rules document and an array of registry records.
 *
 * @module
 */

import { parseMcpConfig, type WcpMcpConfig } from "./config.ts";
import { WcpError } from "../src/errors.ts";

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

async function readJson(path: string, field: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "file not found"
      : e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? `no read permission (run with --allow-read=${path})`
      : e instanceof Error
      ? e.message
      : String(e);
    throw new WcpError("MCP_CONFIG_UNREADABLE", field, `${path}: ${why}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new WcpError(
      "MCP_CONFIG_INVALID",
      field,
      `${path}: invalid JSON (${(e as Error).message})`,
    );
  }
}

/**
 * Read, resolve and validate a configuration file. Throws `WcpError` with a one-line message.
 *
 * @example
 * ```ts ignore
 * import { loadMcpConfigFile } from "./load_config.ts";
 * const config = await loadMcpConfigFile("wcp-mcp.json");
 * ```
 */
export async function loadMcpConfigFile(path: string): Promise<WcpMcpConfig> {
  const doc = await readJson(path, "");
  if (doc && typeof doc === "object" && !Array.isArray(doc)) {
    const d = doc as Record<string, unknown>;
    for (const field of ["rules", "registry"]) {
      if (typeof d[field] === "string") {
        const ref = d[field] as string;
        d[field] = await readJson(ref.startsWith("/") ? ref : `${dirOf(path)}/${ref}`, field);
      }
    }
  }
  return parseMcpConfig(doc);
}
