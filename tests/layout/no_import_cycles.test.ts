// The layout holds: no import cycle anywhere (type-only and dynamic imports count), a folder's
// private files are used only inside it and nothing imports its own folder's face, the pure core
// imports no edge (hall, cli, adapters, mcp, playground) and not the engine above it, and uses no
// Deno API. The first two tests run the checks on small fixture graphs, so a check that can no
// longer see a breach fails too.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  denoApiUses,
  type Edge,
  findCycles,
  type Graph,
  isCore,
  isPure,
  layoutViolations,
  loadGraph,
} from "./_graph.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** Repository-relative paths of every file under `dir` whose name passes `keep`. */
async function walk(dir: string, keep: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}/${dir}`)) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await walk(rel, keep));
    else if (e.isFile && keep(e.name)) out.push(rel);
  }
  return out.sort();
}

/** The entries: mod.ts, every folder face under src/, the programs, the playground. */
async function entries(): Promise<string[]> {
  return [
    "mod.ts",
    ...await walk("src", (n) => n === "mod.ts"),
    "src/hall/main.ts",
    "src/cli/main.ts",
    "mcp/main.ts",
    "mcp/gateway/main.ts",
    "playground/src/main.tsx",
    "playground/src/dashboard/main.tsx",
  ];
}

function fixture(edges: Record<string, string[]>, typeOnly: string[] = []): Graph {
  const g: Graph = new Map();
  for (const [from, tos] of Object.entries(edges)) {
    g.set(
      from,
      tos.map((to): Edge => ({ to, typeOnly: typeOnly.includes(`${from}>${to}`), dynamic: false })),
    );
  }
  return g;
}

let loaded: Promise<Graph> | undefined;
function graph(): Promise<Graph> {
  loaded ??= entries().then((e) => loadGraph(ROOT, e)).then((r) => r.graph);
  return loaded;
}

Deno.test("findCycles: names every cycle of a fixture graph as a closed path; none in a tree", () => {
  const g = fixture({
    "src/a.ts": ["src/b.ts", "src/x.ts"],
    "src/b.ts": ["src/c.ts"],
    "src/c.ts": ["src/a.ts"],
    "src/x.ts": ["src/y.ts"],
    "src/y.ts": [],
    "src/self.ts": ["src/self.ts"],
    "src/rules.ts": ["src/rules/_parse.ts"],
    "src/rules/_parse.ts": ["src/rules.ts"],
  }, ["src/rules/_parse.ts>src/rules.ts"]);
  assert.deepEqual(findCycles(g), [
    ["src/a.ts", "src/b.ts", "src/c.ts", "src/a.ts"],
    ["src/rules.ts", "src/rules/_parse.ts", "src/rules.ts"],
    ["src/self.ts", "src/self.ts"],
  ]);
  assert.deepEqual(
    findCycles(fixture({ "a.ts": ["b.ts", "c.ts"], "b.ts": ["c.ts"], "c.ts": [] })),
    [],
  );
});

Deno.test("layoutViolations: names a face imported from inside, a private file used outside its folder, an edge or the engine imported by the core", () => {
  const g = fixture({
    "src/rules/_parse.ts": ["src/rules/mod.ts", "src/model.ts"],
    "src/rules/mod.ts": ["src/rules/_parse.ts"],
    "src/receipts/receipt.ts": ["src/attestation/_bytes.ts"],
    "src/hall/routes/x.ts": ["src/hall/_http.ts", "src/hall/middleware/_connection.ts"],
    "src/hall/app.ts": ["src/hall/routes/_declare.ts"],
    "mcp/hall_mount.ts": ["src/hall/_http.ts"],
    "src/decision/router.ts": ["src/hall/hall.ts", "src/engine/world.ts"],
    "src/engine/world.ts": ["src/decision/router.ts", "mcp/governor.ts"],
    "mod.ts": ["src/rules/mod.ts", "src/engine/mod.ts"],
  });
  assert.deepEqual(layoutViolations(g), [
    "mcp/hall_mount.ts imports src/hall/_http.ts, private to src/hall/",
    "src/decision/router.ts (core) imports the edge src/hall/hall.ts",
    "src/decision/router.ts (core) imports the engine src/engine/world.ts, a layer above it",
    "src/engine/world.ts (engine) imports the edge mcp/governor.ts",
    "src/receipts/receipt.ts imports src/attestation/_bytes.ts, private to src/attestation/",
    "src/rules/_parse.ts imports its own folder's face src/rules/mod.ts",
  ]);
  assert.deepEqual(denoApiUses("/** Deno.readFile in a comment */\n// Deno.env\nconst a = 1;"), []);
  assert.deepEqual(denoApiUses("const x = 1;\nconst t = Deno.env.get('X'); // read"), [
    "line 2: const t = Deno.env.get('X'); // read",
  ]);
  assert.equal(isCore("src/hall/hall.ts"), false);
  assert.equal(isCore("src/engine/engine.ts"), false);
  assert.equal(isCore("src/rules/_parse.ts"), true);
  assert.equal(isPure("src/engine/engine.ts") && isPure("mod.ts"), true);
  assert.equal(isPure("src/cli/main.ts"), false);
});

Deno.test("the module graph of mod.ts, every src/**/mod.ts, the hall, the CLI, the MCP servers and the playground has no import cycle", async () => {
  const g = await graph();
  assert.ok(g.has("src/model.ts") && g.has("mcp/main.ts"), "the graph is complete");
  const cycles = findCycles(g);
  assert.deepEqual(
    cycles.map((c) => c.join(" -> ")),
    [],
    `import cycles (type-only imports count):\n${cycles.map((c) => c.join(" -> ")).join("\n")}`,
  );
});

Deno.test("private files stay in their folder, no file imports its own folder's face, the core imports no edge and not the engine", async () => {
  const found = layoutViolations(await graph());
  assert.deepEqual(found, [], found.join("\n"));
});

Deno.test("mod.ts, the core and the engine (src/ outside hall, cli, adapters) call no Deno API and import no node: module", async () => {
  const files = ["mod.ts", ...await walk("src", (n) => /\.tsx?$/.test(n))].filter(isPure);
  assert.ok(files.includes("src/model.ts") && files.length > 50);
  const found: string[] = [];
  for (const f of files) {
    for (const hit of denoApiUses(await Deno.readTextFile(`${ROOT}/${f}`))) {
      found.push(`${f} ${hit}`);
    }
  }
  const { external } = await loadGraph(ROOT, ["mod.ts", ...files.filter((f) => f !== "mod.ts")]);
  for (const [f, specs] of external) {
    if (!isPure(f)) continue;
    for (const s of specs) if (s.startsWith("node:")) found.push(`${f} imports ${s}`);
  }
  assert.deepEqual(found, [], found.join("\n"));
});
