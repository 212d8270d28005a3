// The module graph of the repository (from `deno info --json`) and the layout rules checked on
// it: import cycles (type-only and dynamic imports included), private files, the face of a
// folder, and the layers (the pure core imports no edge, no engine and no Deno API).

import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/** One import of a module. */
export interface Edge {
  /** Repository-relative path of the imported file. */
  to: string;
  /** `import type` / `export type` only. */
  typeOnly: boolean;
  /** `import("...")`. */
  dynamic: boolean;
}

/** Repository-relative path of a file -> the repository files it imports. */
export type Graph = Map<string, Edge[]>;

/** Imports that leave the repository (npm:, node:, jsr:), by importing file. */
export type ExternalImports = Map<string, string[]>;

interface InfoDependency {
  specifier: string;
  code?: { specifier: string };
  type?: { specifier: string };
  isDynamic?: boolean;
}

interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

/**
 * Run `deno info --json` once over a temporary module importing every entry, with the
 * repository's import map (`tests/deno.json`, else `deno.json`), and keep the repository's files.
 */
export async function loadGraph(
  root: string,
  entries: readonly string[],
): Promise<{ graph: Graph; external: ExternalImports }> {
  const dir = await Deno.makeTempDir({ prefix: "wcp_layout_" });
  try {
    const entry = `${dir}/entry.ts`;
    const rootUrl = new URL(`file://${root.endsWith("/") ? root : root + "/"}`);
    await Deno.writeTextFile(
      entry,
      entries.map((e) => `import ${JSON.stringify(new URL(e, rootUrl).href)};\n`).join(""),
    );
    // tests/deno.json maps every import (runtime and dev: the playground's preact too).
    const config = await Deno.stat(`${root}/tests/deno.json`).then(
      () => `${root}/tests/deno.json`,
      () => `${root}/deno.json`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--no-lock", "--config", config, entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    const graph: Graph = new Map();
    const external: ExternalImports = new Map();
    const inRepo = (spec: string): string | null => {
      if (!spec.startsWith("file://")) return null;
      const rel = relative(root, fileURLToPath(spec));
      return rel.startsWith("../") ? null : rel;
    };
    for (const m of info.modules) {
      const from = inRepo(m.specifier);
      if (from === null) continue;
      const edges: Edge[] = [];
      const ext: string[] = [];
      for (const d of m.dependencies ?? []) {
        const dynamic = d.isDynamic === true;
        const code = d.code?.specifier;
        const type = d.type?.specifier;
        for (const [spec, typeOnly] of [[code, false], [type, code === undefined]] as const) {
          if (spec === undefined) continue;
          const to = inRepo(spec);
          if (to === null) {
            if (!spec.startsWith("file://")) ext.push(spec);
            continue;
          }
          if (!edges.some((e) => e.to === to)) edges.push({ to, typeOnly, dynamic });
        }
        if (code === undefined && type === undefined) ext.push(d.specifier);
      }
      graph.set(from, edges);
      external.set(from, ext);
    }
    return { graph, external };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Every import cycle, one per strongly connected component (Tarjan), each written as a path
 * that starts and ends at the same file: `["a.ts", "b.ts", "a.ts"]`. Sorted, so the answer is
 * stable.
 */
export function findCycles(graph: ReadonlyMap<string, readonly { to: string }[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  const nodes = [...graph.keys()].sort();
  const succ = (n: string): string[] => (graph.get(n) ?? []).map((e) => e.to);

  // Iterative Tarjan: a frame is a node and the position in its successor list.
  for (const start of nodes) {
    if (index.has(start)) continue;
    const frames: { node: string; i: number; next: string[] }[] = [];
    const push = (n: string) => {
      index.set(n, next);
      low.set(n, next);
      next++;
      stack.push(n);
      onStack.add(n);
      frames.push({ node: n, i: 0, next: succ(n) });
    };
    push(start);
    while (frames.length > 0) {
      const f = frames[frames.length - 1];
      if (f.i < f.next.length) {
        const w = f.next[f.i++];
        if (!index.has(w)) push(w);
        else if (onStack.has(w)) low.set(f.node, Math.min(low.get(f.node)!, index.get(w)!));
        continue;
      }
      frames.pop();
      if (frames.length > 0) {
        const parent = frames[frames.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(f.node)!));
      }
      if (low.get(f.node) === index.get(f.node)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== f.node);
        if (comp.length > 1 || succ(f.node).includes(f.node)) components.push(comp);
      }
    }
  }
  return components.map((comp) => shortestCycle(comp.sort(), succ)).sort((a, b) =>
    a.join(" ").localeCompare(b.join(" "))
  );
}

/** A shortest cycle through the first file of a component, by breadth-first search. */
function shortestCycle(comp: string[], succ: (n: string) => string[]): string[] {
  const members = new Set(comp);
  const start = comp[0];
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const n = queue.shift()!;
    for (const w of succ(n)) {
      if (w === start) {
        const path = [start];
        for (let p = n; p !== start; p = prev.get(p)!) path.splice(1, 0, p);
        path.push(start);
        return path;
      }
      if (members.has(w) && !prev.has(w)) {
        prev.set(w, n);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const dirOf = (p: string): string => p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "";
const baseOf = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

/** Folders that are edges (transports, UI, flags, files, sockets): outside the pure core. */
export const EDGE_DIRS: readonly string[] = [
  "src/hall",
  "src/cli",
  "src/adapters",
  "mcp",
  "playground",
];

/** Is a repository file under one of these folders? */
export function under(path: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => path === d || path.startsWith(d + "/"));
}

/** Files of the core: `src/` outside the edges and outside the engine (a layer above it). */
export function isCore(path: string): boolean {
  return path.startsWith("src/") && !under(path, EDGE_DIRS) && !under(path, ["src/engine"]);
}

/** Files that must stay pure (no Deno API, no node: module): mod.ts, the core, the engine. */
export function isPure(path: string): boolean {
  return path === "mod.ts" || isCore(path) || under(path, ["src/engine"]);
}

/**
 * Where a private file (`_name.ts`) may be imported from: its own folder and the folders below
 * it; inside an edge (the hall, the CLI, ...), anywhere in that edge.
 */
export function privateScope(path: string): string {
  const edge = EDGE_DIRS.find((d) => under(path, [d]));
  return edge ?? dirOf(path);
}

/**
 * Breaches of the folder rules, one sentence each:
 * - no file imports the `mod.ts` of its own folder (the face imports its files, never the
 *   other way round);
 * - a private file (`_name.ts`) is imported only from its `privateScope`;
 * - the core (`isCore`) imports no edge (`EDGE_DIRS`) and not the engine; the engine
 *   (`src/engine/`) imports no edge.
 */
export function layoutViolations(graph: ReadonlyMap<string, readonly Edge[]>): string[] {
  const out: string[] = [];
  for (const [from, edges] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
    const fromDir = dirOf(from);
    for (const e of edges) {
      const toDir = dirOf(e.to);
      if (baseOf(e.to) === "mod.ts" && toDir === fromDir && from !== "mod.ts") {
        out.push(`${from} imports its own folder's face ${e.to}`);
      }
      const scope = privateScope(e.to);
      if (baseOf(e.to).startsWith("_") && !under(from, [scope])) {
        out.push(`${from} imports ${e.to}, private to ${scope}/`);
      }
      if (isCore(from) && under(e.to, EDGE_DIRS)) {
        out.push(`${from} (core) imports the edge ${e.to}`);
      }
      if (isCore(from) && under(e.to, ["src/engine"])) {
        out.push(`${from} (core) imports the engine ${e.to}, a layer above it`);
      }
      if (under(from, ["src/engine"]) && under(e.to, EDGE_DIRS)) {
        out.push(`${from} (engine) imports the edge ${e.to}`);
      }
    }
  }
  return out;
}

/**
 * Lines of a source text that use a `Deno.` API, as `line N: text`. Comment lines (JSDoc
 * examples, notes) and the comment part of a line do not count.
 */
export function denoApiUses(source: string): string[] {
  const hits: string[] = [];
  source.split("\n").forEach((line, i) => {
    const t = line.trim();
    if (t.startsWith("*") || t.startsWith("/*") || t.startsWith("//")) return;
    const code = t.replace(/\s\/\/\s.*$/, "");
    if (/\bDeno\s*(?:\?\.|\.|\[)|globalThis\.Deno\b/.test(code)) hits.push(`line ${i + 1}: ${t}`);
  });
  return hits;
}
