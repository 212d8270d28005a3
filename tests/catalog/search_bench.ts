// deno bench --allow-read tests/catalog/search_bench.ts
import {
  bundledCatalogData,
  Catalog,
  CatalogIndex,
  explain,
  getCatalog,
  searchCatalog,
} from "../../mod.ts";

searchCatalog("warm up");
Deno.bench("index build (whole catalog)", () => {
  new CatalogIndex(getCatalog());
});
Deno.bench("catalog build + validation", () => {
  new Catalog(bundledCatalogData());
});
Deno.bench("search: one word", () => {
  searchCatalog("summarize");
});
Deno.bench("search: three words", () => {
  searchCatalog("human approval payments");
});
Deno.bench("search: typo (edit-distance path)", () => {
  searchCatalog("retreive memries");
});
Deno.bench("search: facets only (browse)", () => {
  searchCatalog("", { type: "capability", namespace: "fin", limit: 0 });
});
Deno.bench("explain (forward + reverse)", () => {
  explain("ctrl.obs.audit-log-append-only");
});
