/**
 * Copy the Cedar engine's wasm (the `@cedar-policy/cedar-wasm` web build, as pinned in deno.json)
 * from Deno's npm cache into `playground/dist/`, so the playground serves it itself (no CDN).
 * Run by `deno task playground`.
 *
 * @module
 */

const SPEC = "npm:@cedar-policy/cedar-wasm@4.13.0";
const PKG = "@cedar-policy/cedar-wasm@4.13.0";
const out = new URL("../playground/dist/cedar_wasm_bg.wasm", import.meta.url).pathname;

const info = await new Deno.Command("deno", {
  args: ["info", "--json", `${SPEC}/web`],
  stdout: "piped",
  stderr: "inherit",
}).output();
if (!info.success) {
  console.error(
    `playground: \`deno info ${SPEC}\` failed (is the package cached? run deno install)`,
  );
  Deno.exit(1);
}
const doc = JSON.parse(new TextDecoder().decode(info.stdout)) as {
  npmPackages?: Record<string, { localPath?: string }>;
};
const dir = doc.npmPackages?.[PKG]?.localPath;
if (!dir) {
  console.error(`playground: ${PKG} has no local path in \`deno info\``);
  Deno.exit(1);
}
await Deno.copyFile(`${dir}/web/cedar_wasm_bg.wasm`, out);
console.log(`playground: ${out.slice(out.lastIndexOf("/") + 1)} copied from ${dir}/web`);
