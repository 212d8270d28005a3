import assert from "node:assert/strict";
import { bundledCatalogData, Catalog, explain } from "../../mod.ts";

Deno.test("explain a capability: forward species, reverse species that serve it", () => {
  const x = explain("cap.doc.summarize")!;
  assert.equal(x.entry.id, "cap.doc.summarize");
  assert.deepEqual(x.forward.map((r) => [r.relation, r.id, r.type]), [
    ["served_by", "wrk.doc.summarizer", "species"],
    ["served_by", "wrk.test.worker", "species"],
  ]);
  assert.deepEqual(
    x.reverse.map((r) => [r.relation, r.id]),
    [["capabilities", "wrk.doc.summarizer"], ["capabilities", "wrk.test.worker"]],
  );
});

Deno.test("explain a species: its capabilities and controls; reverse capabilities", () => {
  const x = explain("wrk.fin.payer")!;
  const fwd = x.forward.map((r) => `${r.relation}:${r.id}`);
  assert.ok(fwd.includes("capabilities:cap.fin.initiate-payment"));
  assert.ok(fwd.includes("controls:ctrl.fin.dual-control"));
  assert.ok(x.forward.every((r) => r.known && r.name));
  assert.ok(x.reverse.some((r) => r.relation === "served_by" && r.id === "cap.fin.refund"));
});

Deno.test("explain a control: reverse shows species, policies and profiles that use it", () => {
  const x = explain("ctrl.blast_radius_scoring")!;
  assert.deepEqual(x.forward, []);
  const rev = new Set(x.reverse.map((r) => `${r.type}:${r.id}`));
  assert.ok(rev.has("profile:prof.prod.strict"));
  assert.ok(rev.has("policy:pol.gov.blast-cap-prod"));
});

Deno.test("explain a profile lists controls and policies; tombstones point both ways", () => {
  const p = explain("prof.mem.rag_strict")!;
  assert.ok(
    p.forward.some((r) => r.relation === "controls" && r.id === "ctrl.mem.tenant-isolation"),
  );
  assert.ok(p.forward.some((r) => r.relation === "policies" && r.id === "pol.mem.tenant-scoped"));
  const old = explain("ctrl.obs.audit_log_append_only")!;
  assert.deepEqual(old.forward.map((r) => [r.relation, r.id]), [
    ["superseded_by", "ctrl.obs.audit-log-append-only"],
  ]);
  const fresh = explain("ctrl.obs.audit-log-append-only")!;
  assert.ok(fresh.reverse.some((r) => r.relation === "superseded_by" && r.id === old.entry.id));
});

Deno.test("explain an unknown id gives null; a custom catalog can be explained", () => {
  assert.equal(explain("cap.nope.nothing"), null);
  const d = bundledCatalogData();
  d.entries = d.entries.filter((e) => e.type === "control");
  const small = new Catalog(d);
  assert.equal(explain("cap.doc.summarize", small), null);
  assert.ok(explain("ctrl.fin.dual-control", small)!.reverse.length === 0);
});
