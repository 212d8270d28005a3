import assert from "node:assert/strict";
import {
  CatalogIndex,
  getCatalog,
  searchCatalog,
  type SearchOptions,
  WcpError,
} from "../../mod.ts";

interface Golden {
  query: string;
  options?: SearchOptions;
  top?: string;
  top3?: string[];
  absent?: string[];
  total?: number;
  corrections?: Record<string, string>;
}
const golden: { queries: Golden[] } = JSON.parse(
  Deno.readTextFileSync(new URL("./golden_queries.json", import.meta.url)),
);

for (const g of golden.queries) {
  Deno.test(`golden query ${JSON.stringify(g.query)}`, () => {
    const r = searchCatalog(g.query, { ...g.options, limit: 0 });
    const ids = r.hits.map((h) => h.id);
    if (g.top) assert.equal(ids[0], g.top, ids.slice(0, 5).join(", "));
    for (const id of g.top3 ?? []) {
      assert.ok(ids.slice(0, 3).includes(id), `${id} in ${ids.slice(0, 3)}`);
    }
    for (const id of g.absent ?? []) assert.ok(!ids.includes(id), id);
    if (g.total !== undefined) assert.equal(r.total, g.total);
    if (g.corrections) assert.deepEqual(r.corrections, g.corrections);
  });
}

Deno.test("multi-word queries rank entries matching every word first", () => {
  const r = searchCatalog("refund payment", { limit: 3 });
  assert.equal(r.hits[0].id, "cap.fin.refund");
  // a two-word query still finds things when only one word is known
  assert.ok(searchCatalog("refund zzzqqq").hits.some((h) => h.id === "cap.fin.refund"));
});

Deno.test("ranking is deterministic: score descending, then id ascending", () => {
  const a = searchCatalog("data", { limit: 0 });
  const b = new CatalogIndex(getCatalog()).search("data", { limit: 0 });
  assert.deepEqual(a.hits.map((h) => [h.id, h.score]), b.hits.map((h) => [h.id, h.score]));
  for (let i = 1; i < a.hits.length; i++) {
    const [p, q] = [a.hits[i - 1], a.hits[i]];
    assert.ok(p.score > q.score || (p.score === q.score && p.id < q.id), `${p.id} before ${q.id}`);
  }
});

Deno.test("field weights: an id/name match outranks a description-only match", () => {
  const r = searchCatalog("ledger", { limit: 0 });
  const byId = r.hits.find((h) => h.id === "cap.fin.post-ledger")!;
  const descOnly = r.hits.find((h) => h.matched_fields.join() === "description")!;
  assert.ok(byId.score > descOnly.score);
  assert.ok(byId.matched_fields.includes("id"));
});

Deno.test("facets: filters by type, namespace (domain or prefix), risk tier and tags; counts", () => {
  const r = searchCatalog("", { type: "capability", namespace: "fin", limit: 0 });
  assert.ok(r.total >= 8);
  assert.ok(r.hits.every((h) => h.type === "capability" && h.entry.domain === "fin"));
  assert.deepEqual(Object.keys(r.facets.type), ["capability"]);
  assert.equal(r.facets.namespace.fin, r.total);
  const sumTiers = Object.values(r.facets.risk_tier).reduce((a, b) => a + b, 0);
  assert.equal(sumTiers, r.total);

  const prefix = searchCatalog("", { namespace: "wrk.fin", limit: 0 });
  assert.ok(prefix.total > 0 && prefix.hits.every((h) => h.id.startsWith("wrk.fin.")));

  const crit = searchCatalog("", { riskTier: ["critical"], limit: 0 });
  assert.ok(crit.hits.every((h) => h.risk_tier === "critical"));
  assert.ok(crit.hits.some((h) => h.id === "cap.fin.initiate-payment"));

  const tagged = searchCatalog("", { tags: ["pii", "crm"], limit: 0 });
  assert.ok(tagged.total > 0);
  assert.ok(tagged.hits.every((h) => h.entry.tags.includes("pii") && h.entry.tags.includes("crm")));
});

Deno.test("an empty query browses every entry in id order; paging slices it", () => {
  const all = searchCatalog("", { limit: 0 });
  assert.equal(all.total, getCatalog().entries.length);
  assert.deepEqual(all.hits.map((h) => h.id), getCatalog().entries.map((e) => e.id));
  const page = searchCatalog("", { limit: 5, offset: 10 });
  assert.deepEqual(page.hits.map((h) => h.id), all.hits.slice(10, 15).map((h) => h.id));
  assert.equal(page.total, all.total);
});

Deno.test("tombstones are found but rank below their successors", () => {
  const r = searchCatalog("page content extraction", { limit: 0 });
  const ids = r.hits.map((h) => h.id);
  const scrape = r.hits.find((h) => h.id === "cap.web.scrape");
  assert.equal(scrape?.status, "deprecated");
  assert.equal(scrape.entry.superseded_by, "cap.web.extract");
  // Both must be present: indexOf of a missing successor (-1) would pass a bare comparison.
  assert.ok(ids.includes("cap.web.extract"));
  assert.ok(ids.indexOf("cap.web.extract") < ids.indexOf("cap.web.scrape"));
  const live = searchCatalog("page content extraction", { limit: 0, includeDeprecated: false });
  assert.ok(live.hits.some((h) => h.id === "cap.web.extract"));
  assert.ok(!live.hits.some((h) => h.id === "cap.web.scrape"));
});

Deno.test("bad facet values and paging throw SEARCH_INVALID naming the option", () => {
  const bad: [SearchOptions, string][] = [
    [{ type: "widget" as never }, "type"],
    [{ riskTier: "extreme" as never }, "riskTier"],
    [{ limit: -1 }, "limit"],
    [{ offset: 1.5 }, "offset"],
  ];
  for (const [opts, path] of bad) {
    assert.throws(
      () => searchCatalog("x", opts),
      (e) => e instanceof WcpError && e.code === "SEARCH_INVALID" && e.path === path,
    );
  }
  assert.throws(() => searchCatalog(42 as never), WcpError);
});

Deno.test("stop words alone and punctuation do not crash or match everything", () => {
  assert.ok(searchCatalog("the of and").total < getCatalog().entries.length);
  assert.equal(searchCatalog("!!! ???").total, getCatalog().entries.length); // no words: browse
});
