// Protocol references in src/, mcp/ and playground/src point to notes inside this repository
// (docs/protocol/*.md), never to ../shared (the spec folder of one checkout, absent from every
// other): every citation names a note that exists and an anchor that is one of its headings.
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const DIRS = ["src", "mcp", "playground/src"];
// A citation of the shared spec folder or its files, by any of the names comments used.
const OUTSIDE =
  /\.\.\/shared|shared\/(?:spec|conformance)|behaviour\.md|\bbehaviour \d|spec README|README decisions? \d/;
const CITE = /docs\/protocol\/([a-z0-9_-]+\.md)(?:#([a-z0-9-]+))?/g;

async function* sources(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* sources(url);
    else if (/\.(ts|tsx|js|json)$/.test(e.name)) yield url;
  }
}

// GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.
function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    out.add(m[1].trim().toLowerCase().replace(/[^\w\s-]/g, "").replace(/\s/g, "-"));
  }
  return out;
}

Deno.test("protocol references: comments cite docs/protocol notes that exist, never ../shared", async () => {
  const outside: string[] = [];
  const broken: string[] = [];
  const notes = new Map<string, Set<string> | null>();
  let cited = 0;
  for (const dir of DIRS) {
    for await (const url of sources(new URL(`${dir}/`, ROOT))) {
      const rel = url.pathname.slice(ROOT.pathname.length);
      const lines = (await Deno.readTextFile(url)).split("\n");
      for (const [i, line] of lines.entries()) {
        if (OUTSIDE.test(line)) outside.push(`${rel}:${i + 1}: ${line.trim()}`);
        for (const [, note, anchor] of line.matchAll(CITE)) {
          cited++;
          if (!notes.has(note)) {
            const text = await Deno.readTextFile(new URL(`docs/protocol/${note}`, ROOT))
              .catch(() => null);
            notes.set(note, text === null ? null : anchorsOf(text));
          }
          const anchors = notes.get(note);
          if (anchors === null) broken.push(`${rel}:${i + 1}: no docs/protocol/${note}`);
          else if (anchor && !anchors!.has(anchor)) {
            broken.push(`${rel}:${i + 1}: docs/protocol/${note} has no heading #${anchor}`);
          }
        }
      }
    }
  }
  assert.deepEqual(outside, [], "cite docs/protocol/<note>.md#<anchor> instead");
  assert.deepEqual(broken, []);
  assert.ok(cited > 0, "no citation found: the scan read nothing");
});
