/**
 * Build the hall's `/docs` page into `playground/dist/docs/`: our page (`playground/public/docs/`)
 * and Swagger UI's bundle and stylesheet from the `swagger-ui-dist` package in Deno's npm cache
 * (the pinned version below), so the hall serves every asset itself (no CDN). Run by
 * `deno task playground`.
 *
 * @module
 */

const SPEC = "npm:swagger-ui-dist@5.35.0";
const PKG = "swagger-ui-dist@5.35.0";
const ASSETS = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE"];
const root = new URL("../", import.meta.url).pathname;
const out = `${root}playground/dist/docs`;

const info = await new Deno.Command("deno", {
  // Outside the project's config and lockfile: the hall never imports this package, and a
  // runtime lockfile entry would be fetched by every cold `deno run` of the hall.
  args: ["info", "--json", "--no-config", "--no-lock", SPEC],
  stdout: "piped",
  stderr: "inherit",
}).output();
if (!info.success) {
  console.error(`docs: \`deno info ${SPEC}\` failed (is the npm registry reachable?)`);
  Deno.exit(1);
}
const doc = JSON.parse(new TextDecoder().decode(info.stdout)) as {
  npmPackages?: Record<string, { localPath?: string }>;
};
const dir = doc.npmPackages?.[PKG]?.localPath;
if (!dir) {
  console.error(`docs: ${PKG} has no local path in \`deno info\``);
  Deno.exit(1);
}
await Deno.mkdir(out, { recursive: true });
for (const name of ["index.html", "init.js"]) {
  await Deno.copyFile(`${root}playground/public/docs/${name}`, `${out}/${name}`);
}
for (const name of ASSETS) await Deno.copyFile(`${dir}/${name}`, `${out}/${name}`);
console.log(`docs: playground/dist/docs/ built (Swagger UI from ${dir})`);
