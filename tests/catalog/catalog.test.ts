import assert from "node:assert/strict";
import {
  bundledCatalogData,
  Catalog,
  CATALOG_VERSION,
  type CatalogData,
  getCatalog,
  isWcpId,
  validateCatalogData,
  WcpError,
} from "../../mod.ts";
import { validateJsonSchema } from "./_json_schema.ts";

const dataDir = new URL("../../src/catalog/data/", import.meta.url);
const schema = JSON.parse(
  Deno.readTextFileSync(new URL("../../src/catalog/catalog.schema.json", import.meta.url)),
);
const FILES = ["capabilities", "species", "controls", "policies", "profiles", "events"];
const catalog = getCatalog();

Deno.test("every data file conforms to catalog.schema.json and holds one kind", () => {
  for (const f of FILES) {
    const doc = JSON.parse(Deno.readTextFileSync(new URL(`${f}.json`, dataDir)));
    assert.deepEqual(validateJsonSchema(schema, doc), [], f);
    assert.ok(doc.entries.every((e: { type: string }) => e.type === doc.kind), f);
  }
});

Deno.test("the schema checker rejects what the schema forbids", () => {
  const bad = {
    kind: "capability",
    entries: [{
      id: "cap.Doc",
      type: "capability",
      name: "",
      description: "d",
      domain: "doc",
      tags: [],
      status: "gone",
      since: "1",
      extra: 1,
    }],
  };
  const errors = validateJsonSchema(schema, bad).join("\n");
  for (
    const want of [
      "does not match",
      "too short",
      "too few items",
      "not one of",
      "unexpected field extra",
    ]
  ) {
    assert.match(errors, new RegExp(want));
  }
});

Deno.test("the bundled catalog validates with no issues and has a version string", () => {
  assert.deepEqual(validateCatalogData(bundledCatalogData()), []);
  assert.match(CATALOG_VERSION, /^wcp-catalog@\d+\.\d+\.\d+$/);
  assert.equal(catalog.version, CATALOG_VERSION);
});

Deno.test("sizes: >=150 capabilities across >=15 domains, >=40 controls, all kinds present", () => {
  const caps = catalog.ofType("capability");
  assert.ok(caps.length >= 150, `${caps.length} capabilities`);
  assert.ok(new Set(caps.map((c) => c.domain)).size >= 15);
  assert.ok(catalog.ofType("control").length >= 40);
  for (const t of ["species", "policy", "profile", "event"] as const) {
    assert.ok(catalog.ofType(t).length >= 5, t);
  }
});

Deno.test("spec profiles, router events and magic controls are present", () => {
  for (
    const id of [
      "prof.dev.permissive",
      "prof.prod.strict",
      "prof.edge.isolated",
      "prof.mem.rag_strict",
      "evt.os.task.routed",
      "evt.os.worker.selected",
      "evt.os.policy.gated",
      "evt.os.task.denied",
      "evt.gov.blast_scored",
      "evt.gov.privilege_envelope.checked",
      "evt.os.worker.attestation_skipped",
      "ctrl.obs.audit_log_append_only",
      "ctrl.obs.audit-log-append-only",
      "ctrl.blast_radius_scoring",
      "ctrl.privilege_envelopes_required",
      "cap.ops.approve",
      "cap.doc.summarize",
      "wrk.doc.summarizer",
    ]
  ) assert.ok(catalog.has(id), id);
});

// Every catalog-namespace id the shared spec files mention is in the catalog, except the
// throwaway examples the spec uses to illustrate grammar and shadowing.
Deno.test("every id used in ../shared/spec and the conformance vectors is in the catalog", () => {
  const root = new URL("../../../shared/", import.meta.url);
  const text = [
    "spec/README.md",
    "spec/protocol.md",
    "spec/behaviour.md",
    "design.md",
    "conformance/wcp-conformance-vectors.json",
  ].map((p) => Deno.readTextFileSync(new URL(p, root)))
    .join("\n");
  const ids = new Set(
    [...text.matchAll(/\b(?:cap|wrk|ctrl|pol|prof|evt)\.[a-zA-Z0-9_.-]*[a-zA-Z0-9_]/g)].map((m) =>
      m[0]
    ),
  );
  const placeholders = new Set(["cap.a", "ctrl.a", "ctrl.X", "ctrl..double-dot"]);
  const missing = [...ids].filter((id) => {
    if (placeholders.has(id) || catalog.has(id)) return false;
    // "evt.os.task.routed.task_id" names a field of an event, not an id.
    const parent = id.slice(0, id.lastIndexOf("."));
    return !(catalog.get(parent)?.fields?.includes(id.slice(parent.length + 1)) ||
      catalog.get(parent)?.type === "event");
  });
  assert.deepEqual(missing, []);
  assert.ok(ids.size >= 20);
});

Deno.test("identifier grammar: strict everywhere, underscores only on flagged legacy ids", () => {
  const legacy = catalog.entries.filter((e) => !isWcpId(e.id)).map((e) => e.id);
  for (const e of catalog.entries) {
    assert.ok(isWcpId(e.id, { strict: false }), e.id);
    assert.equal(e.legacy_id === true, !isWcpId(e.id), e.id);
  }
  assert.deepEqual(legacy, [
    "ctrl.blast_radius_scoring",
    "ctrl.identity.secrets_deny_default",
    "ctrl.obs.audit_log_append_only",
    "ctrl.pol.default_deny",
    "ctrl.privilege_envelopes_required",
    "evt.gov.blast_scored",
    "evt.gov.privilege_envelope.checked",
    "evt.os.gov.blast_scored",
    "evt.os.worker.attestation_skipped",
    "prof.mem.rag_strict",
  ]);
});

Deno.test("tombstones name a live successor of the same type and keep their since", () => {
  const tombs = catalog.entries.filter((e) => e.status === "deprecated");
  assert.ok(tombs.length >= 5);
  for (const t of tombs) {
    const next = catalog.get(t.superseded_by!);
    assert.ok(next && next.type === t.type && next.status !== "deprecated", t.id);
    assert.ok(t.deprecated_catalog && t.since, t.id);
  }
  assert.equal(catalog.get("cap.web.scrape")?.superseded_by, "cap.web.extract");
});

Deno.test("referential integrity: relations resolve, served_by and capabilities agree", () => {
  for (const e of catalog.entries) {
    for (const s of e.served_by ?? []) {
      assert.equal(catalog.get(s)?.type, "species", `${e.id} -> ${s}`);
      assert.ok(catalog.get(s)!.capabilities!.includes(e.id), `${s} lists ${e.id}`);
    }
    for (const c of e.capabilities ?? []) assert.ok(catalog.get(c)!.served_by!.includes(e.id));
    for (const c of e.controls ?? []) {
      assert.equal(catalog.get(c)?.type, "control", `${e.id} -> ${c}`);
    }
    for (const p of e.policies ?? []) {
      assert.equal(catalog.get(p)?.type, "policy", `${e.id} -> ${p}`);
    }
    if (e.type === "capability") {
      assert.ok(e.risk_tier, e.id);
      if (e.status !== "deprecated") assert.ok(e.served_by!.length > 0, e.id);
    }
  }
});

function mutated(fn: (d: CatalogData) => void): string[] {
  const d = bundledCatalogData();
  fn(d);
  return validateCatalogData(d).map((i) => `${i.code} ${i.path} ${i.message}`);
}
const find = (d: CatalogData, id: string) => d.entries.find((e) => e.id === id)!;

Deno.test("validation catches each kind of broken entry, naming the field", () => {
  const cases: [string, (d: CatalogData) => void][] = [
    ["UNKNOWN_REF", (d) => find(d, "cap.doc.translate").served_by!.push("wrk.nope.none")],
    ["NOT_RECIPROCAL", (d) => find(d, "wrk.doc.translator").capabilities!.push("cap.doc.ocr")],
    ["ID_GRAMMAR", (d) => (find(d, "cap.doc.ocr").id = "cap.Doc.ocr")],
    ["ID_LEGACY_UNFLAGGED", (d) => delete find(d, "ctrl.pol.default_deny").legacy_id],
    ["ID_LEGACY_FLAG", (d) => (find(d, "cap.doc.ocr").legacy_id = true)],
    ["TOMBSTONE", (d) => delete find(d, "cap.web.scrape").superseded_by],
    ["TYPE_PREFIX", (d) => (find(d, "cap.doc.ocr").type = "species")],
    ["DUPLICATE_ID", (d) => d.entries.push({ ...find(d, "cap.doc.ocr") })],
    ["UNKNOWN_VERSION", (d) => (find(d, "cap.doc.ocr").since = "9.9.9")],
    ["UNSERVED", (d) => {
      const cap = find(d, "cap.hello.greet");
      for (const s of cap.served_by!) {
        const sp = find(d, s);
        sp.capabilities = sp.capabilities!.filter((c) => c !== cap.id);
      }
      cap.served_by = [];
    }],
    ["FIELD_ENUM", (d) => (find(d, "prof.prod.strict").environments = ["production"])],
    ["DOMAIN_MISMATCH", (d) => (find(d, "cap.doc.ocr").domain = "web")],
    // A relation that is not a list is an issue on its entry, never a TypeError elsewhere.
    ["FIELD_TYPE", (d) => (find(d, "cap.doc.ocr").served_by = { a: 1 } as never)],
    ["FIELD_TYPE", (d) => (find(d, "wrk.doc.translator").capabilities = "cap.doc.ocr" as never)],
  ];
  for (const [code, fn] of cases) {
    const issues = mutated(fn);
    assert.ok(
      issues.some((i) => i.startsWith(code + " entries[")),
      `${code}: ${issues.join("; ")}`,
    );
  }
  assert.deepEqual(validateCatalogData(null).map((i) => i.code), ["FIELD_TYPE"]);
});

Deno.test("an invalid catalog cannot be built", () => {
  const d = bundledCatalogData();
  find(d, "cap.doc.ocr").risk_tier = "extreme" as never;
  assert.throws(() => new Catalog(d), (e) => e instanceof WcpError && e.code === "CATALOG_INVALID");
});

Deno.test("entries are frozen and sorted by id", () => {
  const ids = catalog.entries.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort());
  assert.throws(() => {
    (catalog.get("cap.doc.summarize") as { name: string }).name = "x";
  });
});

// Events the router, hall and MCP server emit must be catalog ids (one vocabulary).
Deno.test("every evt.* id emitted by the code base is in the catalog", async () => {
  const root = new URL("../../", import.meta.url);
  const found = new Set<string>();
  const walk = async (dir: URL): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && e.name !== "catalog" && e.name !== "dist" && !e.name.startsWith(".")) {
        await walk(new URL(`${e.name}/`, dir));
      } else if (e.isFile && /\.tsx?$/.test(e.name)) {
        const text = await Deno.readTextFile(new URL(e.name, dir));
        for (const m of text.matchAll(/["'`](evt\.[a-z0-9_.-]+[a-z0-9_])["'`]/g)) found.add(m[1]);
      }
    }
  };
  for (const d of ["src/", "mcp/"]) {
    try {
      await walk(new URL(d, root));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  assert.ok(found.has("evt.os.task.routed"));
  assert.deepEqual([...found].filter((id) => !catalog.has(id)).sort(), []);
});
