/**
 * npm build of the library (`deno task build:npm`): ESM `.js` + `.d.ts` that Node 20 imports, for
 * the exports of deno.json (`.`, `./attestation`, `./receipts`, `./gates`).
 *
 *   deno run --allow-read --allow-write=npm,/tmp --allow-run=deno,npm,node scripts/build_npm.ts [out]
 *
 * 1. `deno info` lists the local modules the exports reach (the hall, the CLI and the adapters
 *    are not among them: the library is pure);
 * 2. they are copied to a staging folder with relative `.ts` specifiers rewritten to `.js` (what
 *    Node and TypeScript's NodeNext resolution expect); bare imports stay (`zod`,
 *    `@noble/hashes/...`);
 * 3. the TypeScript compiler from npm (pinned, installed into the staging folder) emits the ESM
 *    and the declarations into `out` (default `npm/`), with the JSON data files;
 * 4. `out/package.json` names the exports, and `zod` and `@noble/hashes` as dependencies pinned
 *    to the versions deno.json imports.
 *
 * @module
 */

const TYPESCRIPT = "5.9.3";
const ROOT = new URL("../", import.meta.url).pathname;

interface DenoConfig {
  name: string;
  version: string;
  license?: string;
  exports: Record<string, string>;
  imports: Record<string, string>;
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${out.code}:\n${dec.decode(out.stdout)}${
        dec.decode(out.stderr)
      }`,
    );
  }
  return dec.decode(out.stdout);
}

/** The version deno.json pins for an npm package (`npm:zod@4.6.7`, `npm:/@noble/hashes@2.4.0/`). */
function pinned(config: DenoConfig, name: string): string {
  for (const target of Object.values(config.imports)) {
    const m = target.match(/^npm:\/?(@?[^@]+)@([^/]+)/);
    if (m && m[1] === name) return m[2];
  }
  throw new Error(`deno.json imports no version of ${name}`);
}

/** The repository-relative paths of the local modules reachable from `entries`. */
async function localModules(entries: string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const entry of entries) {
    const info = JSON.parse(await run("deno", ["info", "--json", entry], ROOT)) as {
      modules: { specifier: string }[];
    };
    for (const m of info.modules) {
      if (!m.specifier.startsWith("file://")) continue;
      const path = decodeURIComponent(new URL(m.specifier).pathname);
      if (!path.startsWith(ROOT)) throw new Error(`module outside the repository: ${path}`);
      files.add(path.slice(ROOT.length));
    }
  }
  return [...files].sort();
}

/** Relative `.ts` specifiers (static and dynamic imports, re-exports) as `.js`. */
export function rewriteSpecifiers(source: string): string {
  return source.replace(
    /((?:from|import)\s*\(?\s*)(["'])(\.{1,2}\/[^"'\n]+?)\.ts\2/g,
    (_all, head: string, quote: string, path: string) => `${head}${quote}${path}.js${quote}`,
  );
}

/** Build the npm package into `out`. */
export async function buildNpm(out: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as DenoConfig;
  const entries = Object.values(config.exports).map((p) => p.replace(/^\.\//, ""));
  const files = await localModules(entries);
  const stage = await Deno.makeTempDir({ prefix: "wcp-npm-build-" });
  try {
    for (const file of files) {
      const dest = `${stage}/${file}`;
      await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
      const text = await Deno.readTextFile(`${ROOT}${file}`);
      await Deno.writeTextFile(dest, file.endsWith(".ts") ? rewriteSpecifiers(text) : text);
    }
    const deps = {
      "zod": pinned(config, "zod"),
      "@noble/hashes": pinned(config, "@noble/hashes"),
    };
    await Deno.writeTextFile(
      `${stage}/package.json`,
      JSON.stringify({
        private: true,
        type: "module",
        devDependencies: { ...deps, typescript: TYPESCRIPT },
      }),
    );
    await Deno.writeTextFile(
      `${stage}/tsconfig.json`,
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ES2024", "DOM", "DOM.Iterable"],
          types: [],
          strict: true,
          declaration: true,
          resolveJsonModule: true,
          skipLibCheck: true,
          noEmitOnError: true,
          rootDir: ".",
          outDir: out,
        },
        files: entries,
      }),
    );
    await run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--silent"], stage);
    await Deno.remove(out, { recursive: true }).catch(() => {});
    await run("node", [`${stage}/node_modules/typescript/bin/tsc`, "-p", "tsconfig.json"], stage);
    // tsc copies a JSON module only when it resolves it as one; copy every data file to be sure.
    for (const file of files.filter((f) => f.endsWith(".json"))) {
      const dest = `${out}/${file}`;
      await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
      await Deno.copyFile(`${ROOT}${file}`, dest);
    }
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
  const exportsMap: Record<string, { types: string; default: string }> = {};
  for (const [key, path] of Object.entries(config.exports)) {
    const base = path.replace(/\.ts$/, "");
    exportsMap[key] = { types: `${base}.d.ts`, default: `${base}.js` };
  }
  await Deno.writeTextFile(
    `${out}/package.json`,
    JSON.stringify(
      {
        name: config.name,
        version: config.version,
        description: "Worker Class Protocol: rules, controls, blast radius, policy gate, " +
          "attestation and signed receipt chains (library)",
        license: config.license ?? "Apache-2.0",
        type: "module",
        exports: exportsMap,
        main: "./mod.js",
        types: "./mod.d.ts",
        files: ["mod.js", "mod.d.ts", "src/"],
        sideEffects: false,
        engines: { node: ">=20" },
        dependencies: {
          "zod": pinned(config, "zod"),
          "@noble/hashes": pinned(config, "@noble/hashes"),
        },
      },
      null,
      2,
    ) + "\n",
  );
  await Deno.copyFile(`${ROOT}LICENSE`, `${out}/LICENSE`);
  await Deno.writeTextFile(
    `${out}/README.md`,
    `# ${config.name}\n\nThe Worker Class Protocol library (decisions, rules, registry, ` +
      `attestation, receipt chains), built from the Deno sources for Node 20+.\n\n` +
      '```js\nimport { makeDecision } from "@wcp/core";\n' +
      'import { verifyReceiptChain } from "@wcp/core/receipts";\n```\n',
  );
  return files;
}

if (import.meta.main) {
  const out = Deno.args[0] ?? `${ROOT}npm`;
  const abs = out.startsWith("/") ? out : `${Deno.cwd()}/${out}`;
  try {
    const files = await buildNpm(abs);
    console.log(`npm build: ${files.length} modules -> ${abs}`);
  } catch (e) {
    console.error(`build:npm: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
