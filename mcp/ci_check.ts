/**
 * CI check of the MCP server with the official tools (`deno task ci:mcp`):
 *
 * 1. the MCP Inspector CLI (`npm:@modelcontextprotocol/inspector`, `--cli`) against the stdio
 *    server (`deno run mcp/main.ts`, no permissions): lists tools, resources and prompts, calls a
 *    governed tool (allowed and denied) and a `wcp_*` tool;
 * 2. the MCP conformance suite (`npm:@modelcontextprotocol/conformance`) against the Streamable
 *    HTTP handler served on 127.0.0.1 (port chosen by the OS) for the scenarios that apply to a
 *    server without test fixtures: initialize, ping, tools-list, resources-list, prompts-list,
 *    logging-set-level and DNS-rebinding protection.
 *
 * Both tools run as `deno run -A --config tests/deno.json npm:…` child processes (dev tooling:
 * the dev config and its lock, never the runtime deno.lock): they are third-party Node programs
 * (the Inspector probes `/proc/sys/fs/binfmt_misc`, which Deno grants only with --allow-all); the
 * server under test itself runs with no permissions (stdio) or loopback only (HTTP).
 *
 * Prints one line per check and `ok | N passed | M failed`; exits 1 on any failure.
 *
 * @module
 */

import { createMcpHttpHandler } from "./http.ts";
import { demoConfig } from "./demo_config.ts";
import { WCP_TOOL_NAMES } from "./tools.ts";

const INSPECTOR = "npm:@modelcontextprotocol/inspector@2.12.0";
const CONFORMANCE = "npm:@modelcontextprotocol/conformance@0.1.16";
const DEV_CONFIG = new URL("../tests/deno.json", import.meta.url).pathname;
const SCENARIOS = [
  "server-initialize",
  "ping",
  "tools-list",
  "resources-list",
  "prompts-list",
  "logging-set-level",
  "dns-rebinding-protection",
];
const MAIN = new URL("./main.ts", import.meta.url).pathname;

let passed = 0;
let failed = 0;

function report(name: string, ok: boolean, detail = ""): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
}

async function run(
  args: string[],
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command("deno", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(timeoutMs),
  }).spawn();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

// The Inspector CLI exits 5 when a tool answers isError (and still prints the result).
const EXIT_TOOL_IS_ERROR = 5;

async function inspector(
  name: string,
  method: string[],
  check: (json: Record<string, unknown>) => string | null,
  expectedExit = 0,
): Promise<void> {
  const r = await run([
    "run",
    "-A",
    "--config",
    DEV_CONFIG,
    INSPECTOR,
    "--cli",
    "deno",
    "run",
    MAIN,
    ...method,
  ]);
  if (r.code !== expectedExit) {
    report(
      name,
      false,
      `inspector exited ${r.code}: ${(r.stderr.trim().split("\n").pop() ?? "").slice(0, 300)}`,
    );
    return;
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    report(name, false, `inspector printed no JSON: ${r.stdout.slice(0, 200)}`);
    return;
  }
  const problem = check(json);
  report(name, problem === null, problem ?? "");
}

async function inspectorChecks(): Promise<void> {
  await inspector("inspector tools/list (stdio)", ["--method", "tools/list"], (j) => {
    const names = (j.tools as { name: string }[]).map((t) => t.name);
    const missing = [...WCP_TOOL_NAMES, "cap_doc_summarize"].filter((n) => !names.includes(n));
    return missing.length ? `missing tools ${missing.join(", ")}` : null;
  });
  await inspector("inspector tools/call governed tool, allowed", [
    "--method",
    "tools/call",
    "--tool-name",
    "cap_doc_summarize",
    "--tool-arg",
    "text=First sentence. Second sentence. Third.",
  ], (j) => {
    const s = j.structuredContent as { summary?: string } | undefined;
    const g = (j._meta as Record<string, { outcome?: string; receipt?: unknown }> | undefined)
      ?.["wcp/governance"];
    if (s?.summary !== "First sentence. Second sentence.") {
      return `unexpected output ${JSON.stringify(s)}`;
    }
    if (g?.outcome !== "DISPATCH" || !g.receipt) {
      return "no DISPATCH governance metadata with a receipt";
    }
    return null;
  });
  await inspector("inspector tools/call governed tool, denied", [
    "--method",
    "tools/call",
    "--tool-name",
    "cap_doc_summarize",
    "--tool-args-json",
    JSON.stringify({ text: "x", wcp: { data_label: "RESTRICTED" } }),
  ], (j) => {
    const text = JSON.stringify(j.content);
    return j.isError === true && text.includes("DENY_NO_MATCHING_RULE")
      ? null
      : `expected a denial, got ${text.slice(0, 200)}`;
  }, EXIT_TOOL_IS_ERROR);
  await inspector("inspector tools/call wcp_catalog_search", [
    "--method",
    "tools/call",
    "--tool-name",
    "wcp_catalog_search",
    "--tool-args-json",
    JSON.stringify({ query: "summarize", limit: 3 }),
  ], (j) => {
    const hits = (j.structuredContent as { hits?: { id: string }[] } | undefined)?.hits ?? [];
    return hits.some((h) => h.id === "cap.doc.summarize") ? null : "cap.doc.summarize not found";
  });
  await inspector("inspector resources/list (stdio)", ["--method", "resources/list"], (j) => {
    const uris = (j.resources as { uri: string }[]).map((r) => r.uri);
    return uris.includes("wcp://catalog") ? null : "wcp://catalog not listed";
  });
  await inspector("inspector prompts/list (stdio)", ["--method", "prompts/list"], (j) => {
    return (j.prompts as unknown[]).length === 3 ? null : "expected 3 prompts";
  });
}

async function conformanceChecks(): Promise<void> {
  const handler = createMcpHttpHandler({ config: demoConfig() });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) =>
      new URL(req.url).pathname === "/mcp"
        ? handler(req)
        : new Response("not found", { status: 404 }),
  );
  const url = `http://127.0.0.1:${server.addr.port}/mcp`;
  try {
    for (const scenario of SCENARIOS) {
      const r = await run([
        "run",
        "-A",
        "--config",
        DEV_CONFIG,
        CONFORMANCE,
        "server",
        "--url",
        url,
        "--scenario",
        scenario,
      ]);
      const summary =
        (r.stdout + r.stderr).match(/Passed: \d+\/\d+, \d+ failed, \d+ warnings/)?.[0] ??
          "no summary";
      const failures = [...(r.stdout + r.stderr).matchAll(/Error: (.*)/g)].map((m) => m[1]).join(
        "; ",
      );
      report(
        `conformance ${scenario} (HTTP)`,
        r.code === 0,
        r.code === 0 ? summary : `${summary} ${failures}`.slice(0, 400),
      );
    }
  } finally {
    await server.shutdown();
  }
}

if (import.meta.main) {
  await inspectorChecks();
  await conformanceChecks();
  console.log(
    `${
      failed === 0 ? "ok" : "FAILED"
    } | ${passed} passed | ${failed} failed (ci:mcp inspector + conformance)`,
  );
  Deno.exit(failed === 0 ? 0 : 1);
}
