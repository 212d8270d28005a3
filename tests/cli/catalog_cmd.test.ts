import assert from "node:assert/strict";
import { CATALOG_VERSION, getCatalog } from "../../mod.ts";
import { isOneLineError, wcp } from "./_run.ts";

Deno.test("wcp --help lists every command and the exit codes; no args is a usage error", async () => {
  const r = await wcp(["--help"]);
  assert.equal(r.code, 0);
  for (
    const c of [
      "search",
      "explain",
      "browse",
      "scaffold",
      "route",
      "validate",
      "lint",
      "check",
      "enroll",
      "registry status",
      "registry verify",
      "registry ban-list",
      "attest scaffold",
      "attest sign",
      "attest verify",
      "attest keygen",
      "attest export-dsse",
      "receipts verify",
      "serve",
      "mcp",
    ]
  ) assert.match(r.stdout, new RegExp(`\\n  ${c} `), c);
  assert.match(r.stdout, /3 {2}the hall could not be reached/);
  assert.equal((await wcp([])).code, 2);
  assert.equal((await wcp(["--version"])).stdout.trim(), "wcp 0.1.0");
});

Deno.test("every command answers --help with its options, exit 0", async () => {
  for (
    const c of [
      ["search"],
      ["explain"],
      ["browse"],
      ["scaffold"],
      ["route"],
      ["validate"],
      ["lint"],
      ["check"],
      ["enroll"],
      ["registry", "status"],
      ["registry", "verify"],
      ["registry", "ban-list"],
      ["attest", "scaffold"],
      ["attest", "sign"],
      ["attest", "verify"],
      ["attest", "keygen"],
      ["attest", "export-dsse"],
      ["receipts", "verify"],
    ]
  ) {
    const r = await wcp([...c, "--help"]);
    assert.equal(r.code, 0, c.join(" "));
    assert.match(r.stdout, new RegExp(`^wcp ${c.join(" ")}`), c.join(" "));
    assert.match(r.stdout, /--json/);
  }
  const group = await wcp(["attest", "--help"]);
  assert.equal(group.code, 0);
  assert.match(group.stdout, /attest keygen/);
});

Deno.test("search: text table, typo note, multi-word, exit 0; nothing found exits 1", async () => {
  const r = await wcp(["search", "sumarize", "document", "--type", "cap", "--limit", "3"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines[0], '(read "sumarize" as "summarize")');
  assert.match(lines[1], /^cap\.doc\.summarize\s+capability\s+low\s+Summarize a document$/);
  assert.match(lines.at(-1)!, new RegExp(`^3 of \\d+ shown \\(${CATALOG_VERSION}\\)$`));
  assert.ok(!r.stdout.includes("\x1b["), "no colour without a TTY");
  const none = await wcp(["search", "kubernetes"]);
  assert.equal(none.code, 1);
  assert.match(none.stdout, /no catalog entry matches "kubernetes"/);
});

Deno.test("search --json: hits, facets and corrections, the same ranking as the library", async () => {
  const r = await wcp(["search", "send", "email", "--json", "--facets"]);
  assert.equal(r.code, 0);
  const j = r.json() as {
    hits: { id: string; entry?: unknown }[];
    total: number;
    facets: { type: Record<string, number> };
    catalog_version: string;
  };
  assert.equal(j.hits[0].id, "cap.msg.send-email");
  assert.equal(j.hits[0].entry, undefined);
  assert.equal(j.catalog_version, CATALOG_VERSION);
  assert.ok(j.facets.type.capability > 0);
  const filtered = (await wcp([
    "search",
    "",
    "--namespace",
    "fin",
    "--risk",
    "critical",
    "--json",
    "--limit",
    "0",
  ])).json() as { hits: { id: string; risk_tier: string }[] };
  assert.ok(
    filtered.hits.length > 0 &&
      filtered.hits.every((h) => h.id.split(".")[1] === "fin" && h.risk_tier === "critical"),
  );
});

Deno.test("search: bad options are one-line usage errors naming the flag (exit 2)", async () => {
  for (
    const [args, flag] of [
      [["search", "x", "--type", "widget"], "--type"],
      [["search", "x", "--risk", "extreme"], "--risk"],
      [["search", "x", "--limit", "-3"], "--limit"],
      [["search", "x", "--limit", "many"], "--limit"],
      [["search", "x", "--bogus"], "--bogus"],
    ] as [string[], string][]
  ) {
    const r = await wcp(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.ok(r.stderr.includes(flag), r.stderr);
  }
  const j = await wcp(["search", "x", "--type", "widget", "--json"]);
  assert.equal((j.json() as { error: { code: string } }).error.code, "USAGE");
});

Deno.test("explain: forward and reverse relations; unknown id exits 1 with suggestions; bad id 2", async () => {
  const r = await wcp(["explain", "ctrl.fin.dual-control"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^ctrl\.fin\.dual-control {2}control/);
  assert.match(
    r.stdout,
    /Pointed to by\n(.*\n)*\s+controls\s+<-\s+wrk\.fin\.payer\s+Payment agent/,
  );
  const j = (await wcp(["explain", "cap.doc.summarize", "--json"])).json() as {
    found: boolean;
    forward: { id: string }[];
    reverse: { id: string }[];
  };
  assert.equal(j.found, true);
  assert.deepEqual(j.forward.map((x) => x.id), ["wrk.doc.summarizer", "wrk.test.worker"]);
  assert.ok(j.reverse.length === 2);
  const tomb = await wcp(["explain", "cap.web.scrape"]);
  assert.match(tomb.stdout, /tombstone: use cap\.web\.extract/);
  const missing = await wcp(["explain", "cap.doc.sumarize", "--json"]);
  assert.equal(missing.code, 1);
  assert.equal((missing.json() as { suggestions: string[] }).suggestions[0], "cap.doc.summarize");
  for (
    const bad of [["explain"], ["explain", "Cap.Doc"], ["explain", "org.acme.x"], [
      "explain",
      "a",
      "b",
    ]]
  ) {
    const b = await wcp(bad);
    assert.equal(b.code, 2, bad.join(" "));
    assert.ok(isOneLineError(b.stderr), b.stderr);
  }
});

Deno.test("browse: overview counts, one type, one prefix; unknown type exits 2", async () => {
  const o = (await wcp(["browse", "--json"])).json() as {
    types: Record<string, { count: number }>;
  };
  assert.equal(o.types.capability.count, getCatalog().ofType("capability").length);
  const profs = await wcp(["browse", "profiles"]);
  assert.equal(profs.code, 0);
  for (
    const p of [
      "prof.dev.permissive",
      "prof.prod.strict",
      "prof.edge.isolated",
      "prof.mem.rag_strict",
    ]
  ) {
    assert.ok(profs.stdout.includes(p), p);
  }
  const fin = (await wcp(["browse", "cap.fin", "--json"])).json() as { entries: { id: string }[] };
  assert.ok(fin.entries.length >= 8 && fin.entries.every((e) => e.id.startsWith("cap.fin.")));
  const none = await wcp(["browse", "cap.nothing"]);
  assert.equal(none.code, 1);
  const bad = await wcp(["browse", "widgets"]);
  assert.equal(bad.code, 2);
  assert.ok(isOneLineError(bad.stderr));
});

Deno.test("unknown commands and sub-commands are usage errors", async () => {
  const r = await wcp(["frobnicate"]);
  assert.equal(r.code, 2);
  assert.ok(isOneLineError(r.stderr));
  const s = await wcp(["registry", "explode"]);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /unknown sub-command "explode"/);
});
