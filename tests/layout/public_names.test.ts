// Every public name of every entry in deno.json `exports` listed in public_names.json (from
// `deno doc --json`) is still exported with the same kind: moving files must not drop or change
// an export. New names are allowed (adding to the API breaks no user). After a deliberate
// removal or rename, regenerate the list with
//   deno run --allow-read --allow-run --allow-write=tests/layout tests/layout/public_names.test.ts --write

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const LIST = `${ROOT}/tests/layout/public_names.json`;

interface DocSymbol {
  name: string;
  declarations?: { kind: string }[];
}

/** `name kind[,kind]` of each symbol an entry exports, sorted. */
async function publicNames(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`deno doc ${entry}: ${new TextDecoder().decode(out.stderr)}`);
  const doc = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    nodes: Record<string, { symbols: DocSymbol[] }>;
  };
  const names: string[] = [];
  for (const node of Object.values(doc.nodes)) {
    for (const s of node.symbols) {
      const kinds = [...new Set((s.declarations ?? []).map((d) => d.kind))].sort();
      names.push(`${s.name} ${kinds.join(",")}`);
    }
  }
  return names.sort();
}

async function allPublicNames(): Promise<Record<string, string[]>> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)) as {
    exports: Record<string, string>;
  };
  const out: Record<string, string[]> = {};
  for (const [key, path] of Object.entries(config.exports).sort(([a], [b]) => a.localeCompare(b))) {
    out[key] = await publicNames(path);
  }
  return out;
}

if (import.meta.main && Deno.args.includes("--write")) {
  await Deno.writeTextFile(LIST, JSON.stringify(await allPublicNames(), null, 2) + "\n");
  console.log(`wrote ${LIST}`);
} else {
  Deno.test("every deno.json export still exports each name of public_names.json, with its kind", async () => {
    const expected = JSON.parse(await Deno.readTextFile(LIST)) as Record<string, string[]>;
    const actual = await allPublicNames();
    assert.deepEqual(
      Object.keys(actual),
      Object.keys(expected),
      "the entries of deno.json exports",
    );
    for (const key of Object.keys(expected)) {
      const missing = expected[key].filter((n) => !actual[key].includes(n));
      assert.deepEqual(
        missing,
        [],
        `export "${key}" lost or changed these names; if on purpose, regenerate ` +
          `tests/layout/public_names.json (see the file's head)`,
      );
    }
  });
}
