// The runtime dependency graph stays apart from dev tooling (issue 15 item 5): `deno run
// mcp/main.ts`, `deno task serve` and `deno task wcp` on an empty cache fetch every npm package of
// their config's lock, so a dev-only package in deno.json or deno.lock (root) or mcp/deno.json
// or mcp/deno.lock makes every first start download it. Dev tooling lives in tests/deno.json and
// tests/deno.lock.

import assert from "node:assert/strict";
import { type DenoLock, packageName, reachable } from "../../scripts/lock_tool.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

interface Config {
  imports: Record<string, string>;
  fmt?: Record<string, unknown>;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(`${ROOT}${path}`)) as T;
}

/** The `npm:name@version` specifiers a config's imports map to (prefix entries included). */
function npmTargets(config: Config): Set<string> {
  const out = new Set<string>();
  for (const target of Object.values(config.imports)) {
    if (!target.startsWith("npm:")) continue;
    const bare = target.replace(/^npm:\/?/, "").replace(/\/$/, "");
    const name = packageName(bare);
    const rest = bare.slice(name.length + 1);
    out.add(`npm:${name}@${rest.split("/")[0]}`);
  }
  return out;
}

/** The npm packages the module graph of `entries` uses (through `config`), by name. */
async function packagesUsed(config: string, entries: string[]): Promise<Set<string>> {
  const used = new Set<string>();
  for (const entry of entries) {
    const out = await new Deno.Command("deno", {
      args: ["info", "--json", "--frozen", "--config", config, entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `deno info ${entry} (lock ${config}): ${err}`);
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: { specifier: string; dependencies?: { code?: { specifier?: string } }[] }[];
    };
    for (const m of info.modules) {
      const specs = [m.specifier, ...(m.dependencies ?? []).map((d) => d.code?.specifier ?? "")];
      for (const s of specs) if (s.startsWith("npm:")) used.add(packageName(s));
    }
  }
  return used;
}

/** What `lock` holds beyond what its config imports (plus `direct`), and its orphan entries. */
function lockProblems(lock: DenoLock, config: Config, direct: string[] = []): string[] {
  const problems: string[] = [];
  const allowed = new Set([...npmTargets(config), ...direct]);
  for (const spec of Object.keys(lock.specifiers ?? {})) {
    if (spec.startsWith("npm:") && !allowed.has(spec)) problems.push(`specifier ${spec}`);
  }
  const deps = new Set(lock.workspace?.dependencies ?? []);
  for (const spec of npmTargets(config)) {
    if (!deps.has(spec)) problems.push(`workspace.dependencies lacks ${spec}`);
  }
  for (const spec of deps) {
    if (!npmTargets(config).has(spec)) problems.push(`workspace.dependencies has ${spec}`);
  }
  const live = reachable(lock);
  for (const key of Object.keys(lock.npm ?? {})) {
    if (!live.has(key)) problems.push(`npm entry ${key} (nothing imports it)`);
  }
  return problems;
}

/** Tools the dev config runs as `deno run -A --config tests/deno.json npm:...`. */
const DEV_TOOLS = [
  "npm:@modelcontextprotocol/conformance@0.1.16",
  "npm:@modelcontextprotocol/inspector@2.12.0",
  "npm:@modelcontextprotocol/server-everything@2026.8.31",
  "npm:@modelcontextprotocol/server-filesystem@2026.8.31",
];

/** Packages only tests, benches, the playground bundle or the CI tools use. */
const DEV_ONLY = [
  "fast-check",
  "playwright-core",
  "preact",
  "@preact/signals",
  "oidc-provider",
  "ajv",
  "ajv-formats",
  "typescript",
  "@redocly/cli",
  "openapi-typescript",
  ...DEV_TOOLS.map(packageName),
];

const RUNTIME_ENTRIES = ["mod.ts", "src/hall/main.ts", "src/cli/main.ts", "mcp/main.ts"];
const MCP_ENTRIES = ["mcp/main.ts", "mcp/gateway/main.ts", "mcp/ci_check.ts"];

Deno.test("runtime deno.json imports exactly the npm packages the runtime entry points use", async () => {
  const root = await readJson<Config>("deno.json");
  const declared = new Set([...npmTargets(root)].map(packageName));
  const used = await packagesUsed("deno.json", RUNTIME_ENTRIES);
  const unused = [...declared].filter((p) => !used.has(p));
  assert.deepEqual(unused, [], `deno.json imports packages no runtime entry uses: ${unused}`);
  for (const p of DEV_ONLY) assert.ok(!declared.has(p), `${p} is dev tooling: tests/deno.json`);
});

Deno.test("mcp/deno.json imports exactly what the MCP server and the gateway use", async () => {
  const mcp = await readJson<Config>("mcp/deno.json");
  const declared = new Set([...npmTargets(mcp)].map(packageName));
  const used = await packagesUsed("mcp/deno.json", MCP_ENTRIES);
  assert.deepEqual([...declared].sort(), [...used].sort());
});

Deno.test("runtime locks hold only their config's imports and what those need", async () => {
  for (const [config, lock] of [["deno.json", "deno.lock"], ["mcp/deno.json", "mcp/deno.lock"]]) {
    const problems = lockProblems(await readJson(lock), await readJson(config));
    assert.deepEqual(problems, [], `${lock}: ${problems.join("; ")}`);
    const specs = Object.keys((await readJson<DenoLock>(lock)).specifiers ?? {});
    for (const p of DEV_ONLY) {
      assert.ok(!specs.some((s) => packageName(s) === p), `${lock} names dev package ${p}`);
    }
  }
});

Deno.test("dev lock: its config's imports, the dev tools, nothing stale", async () => {
  const problems = lockProblems(
    await readJson("tests/deno.lock"),
    await readJson("tests/deno.json"),
    DEV_TOOLS,
  );
  assert.deepEqual(problems, [], `tests/deno.lock: ${problems.join("; ")}`);
});

Deno.test("the three configs agree on every shared import and on formatting", async () => {
  const root = await readJson<Config>("deno.json");
  const mcp = await readJson<Config>("mcp/deno.json");
  const dev = await readJson<Config>("tests/deno.json");
  for (const [key, target] of Object.entries(root.imports)) {
    assert.equal(dev.imports[key], target, `tests/deno.json imports.${key}`);
  }
  for (const [key, target] of Object.entries(mcp.imports)) {
    assert.equal(root.imports[key], target, `mcp/deno.json imports.${key} differs from deno.json`);
  }
  for (const config of [mcp, dev]) assert.equal(config.fmt?.lineWidth, root.fmt?.lineWidth);
});
