// Every list route answers one page (issue 14 item 2): `{ <rows>, count, next_cursor }`, limit
// 1-1000 (default 100), an opaque cursor naming its list, slim rows with the full record one
// request away, and a namespace token's scope on every page.
import assert from "node:assert/strict";
import { ADMIN, err, hallTest, j, routeInput, type TestHall } from "./_helpers.ts";
import { HallClient } from "../../src/client/mod.ts";
import type { WorkerRow } from "../../src/hall/store/types.ts";

const T = (i: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, i)).toISOString();

function row(id: string, ns: string, i: number, tenants?: string[]): WorkerRow {
  return {
    worker_id: id,
    namespace: ns,
    record: {
      worker_id: id,
      worker_species_id: "wrk.doc.summarizer",
      capabilities: ["cap.doc.summarize"],
      owner: `${ns}-secret`,
      ...(tenants ? { tenants } : {}),
    } as unknown as WorkerRow["record"],
    status: "active",
    current_hash: null,
    attestation: null,
    flagged: false,
    enrolled_by: "tok-admin",
    enrolled_at: T(i),
    updated_at: T(i),
  };
}

/** Follow next_cursor from `path` (which has a `?`) with `limit`, as `token`. */
async function pages(
  h: TestHall,
  path: string,
  key: string,
  limit: number,
  token?: string,
): Promise<{ rows: Record<string, unknown>[]; pages: number; cursors: string[] }> {
  const rows: Record<string, unknown>[] = [];
  const cursors: string[] = [];
  let cursor: string | null = null;
  let n = 0;
  do {
    const url: string = `${path}&limit=${limit}${
      cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""
    }`;
    const res = await h.req(url, token === undefined ? {} : { token });
    const body = await j(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.count, body[key].length);
    assert.ok(body[key].length <= limit);
    rows.push(...body[key]);
    cursor = body.next_cursor;
    if (cursor !== null) cursors.push(cursor);
    n++;
    assert.ok(n < 1000);
  } while (cursor !== null);
  return { rows, pages: n, cursors };
}

hallTest("pages: workers page by cursor, slim rows, full by id or detail=full", async (h) => {
  for (let i = 0; i < 7; i++) await h.store.putWorker(row(`org.acme.w${i}`, "org.acme", i));
  const all = await pages(h, "/wcp/workers?", "workers", 3);
  assert.equal(all.rows.length, 10); // 3 demo workers + 7
  assert.equal(all.pages, 4);
  assert.equal(new Set(all.rows.map((w) => w.worker_id)).size, 10);
  for (const w of all.rows) {
    assert.equal(w.record, undefined, "a page row carries no record");
    assert.equal(typeof w.worker_species_id, "string");
    assert.ok(Array.isArray(w.capabilities));
  }
  const one = await j(await h.req("/wcp/workers/org.acme.w3"));
  assert.equal(one.record.owner, "org.acme-secret", "the full record is one request away");
  const full = await j(await h.req("/wcp/workers?namespace=org.acme&detail=full&limit=2"));
  assert.equal(full.workers[0].record.owner, "org.acme-secret");
  assert.equal(typeof full.next_cursor, "string");
  // Default limit 100: everything here fits one page.
  const first = await j(await h.req("/wcp/workers"));
  assert.equal(first.count, 10);
  assert.equal(first.next_cursor, null);
});

hallTest("pages: bad limit and cursor are 400 naming the parameter", async (h) => {
  for (const bad of ["0", "1001", "abc", "-1", "1.5", ""]) {
    const res = await h.req(`/wcp/workers?limit=${bad}`);
    const e = err(await j(res));
    assert.equal(res.status, 400, `limit=${bad}`);
    assert.equal(e.code, "INVALID_QUERY");
    assert.equal(e.path, "limit");
  }
  const other = await j(await h.req("/wcp/tokens?limit=1"));
  assert.equal(typeof other.next_cursor, "string");
  const forged = btoa(JSON.stringify(["workers", 1, 2])).replaceAll("=", "");
  const wrongKinds = btoa(JSON.stringify(["workers", "x"])).replaceAll("=", "");
  for (const bad of ["!!!", "e30", other.next_cursor, forged, wrongKinds, "A"]) {
    const res = await h.req(`/wcp/workers?cursor=${encodeURIComponent(bad)}`);
    const e = err(await j(res));
    assert.equal(res.status, 400, `cursor=${bad}`);
    assert.equal(e.code, "INVALID_QUERY");
    assert.equal(e.path, "cursor");
    assert.match(String(e.message), /^cursor: /);
  }
  for (const path of ["/wcp/approvals", "/wcp/alerts", "/wcp/ban-list", "/wcp/receipts"]) {
    const res = await h.req(`${path}?limit=5000`);
    assert.equal(res.status, 400, path);
    assert.equal(err(await j(res)).path, "limit");
  }
});

hallTest("pages: a namespace token pages only what it may see, whatever the cursor", async (h) => {
  const alpha = (await h.grant("org.alpha")).token;
  const beta = (await h.grant("org.beta")).token;
  for (let i = 0; i < 5; i++) {
    await h.store.putWorker(row(`org.alpha.own${i}`, "org.alpha", 10 + i, ["org.alpha"]));
  }
  await h.store.putWorker(row("org.alpha.shared", "org.alpha", 20, ["org.alpha", "org.beta"]));
  for (let i = 0; i < 3; i++) {
    await h.store.putWorker(row(`org.beta.own${i}`, "org.beta", 30 + i, ["org.beta"]));
  }
  const seen = await pages(h, "/wcp/workers?", "workers", 2, beta);
  const ids = seen.rows.map((w) => w.worker_id);
  assert.deepEqual([...ids].sort(), [
    "org.alpha.shared",
    "org.beta.own0",
    "org.beta.own1",
    "org.beta.own2",
    "org.demo.greeter.1",
    "org.demo.notifier.1",
    "org.demo.summarizer.1",
  ]);
  assert.ok(!ids.some((x) => String(x).startsWith("org.alpha.own")));
  assert.ok(ids.includes("org.alpha.shared") && ids.includes("org.beta.own2"));
  // No cursor beta was given names a row it may not see.
  for (const c of seen.cursors) {
    const key = JSON.parse(atob(c.replaceAll("-", "+").replaceAll("_", "/")));
    assert.ok(ids.includes(key[2]), "a cursor carries the key of a row the caller saw");
  }
  // An admin's cursor (positioned among alpha's own workers) does not widen beta's view.
  const adminPage = await j(await h.req("/wcp/workers?limit=4"));
  const resumed = await j(
    await h.req(`/wcp/workers?cursor=${adminPage.next_cursor}`, { token: beta }),
  );
  assert.ok(
    !resumed.workers.some((w: { worker_id: string }) => w.worker_id.startsWith("org.alpha.own")),
  );
  // Namespaces: each token lists its own; capabilities count what the caller may see.
  const ns = await pages(h, "/wcp/namespaces?", "namespaces", 1, alpha);
  assert.deepEqual(ns.rows.map((n) => n.namespace), ["org.alpha"]);
  await h.hall.syncRegistry(); // capabilities come from the hall's registry mirror
  const caps = await j(await h.req("/wcp/capabilities?limit=1", { token: beta }));
  assert.deepEqual(caps.capabilities, [{
    capability_id: "cap.doc.summarize",
    worker_count: 5, // the demo summarizer, alpha's shared one, beta's three
    worker_species: ["wrk.doc.summarizer"],
  }]);
  assert.equal(typeof caps.next_cursor, "string");
});

hallTest("pages: approvals without decision unless detail=full; other lists page", async (h) => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await h.hold());
  const pending = await pages(h, "/wcp/approvals/pending?", "approvals", 2);
  assert.deepEqual(pending.rows.map((a) => a.approval_id).sort(), [...ids].sort());
  for (const a of pending.rows) {
    assert.equal(a.decision, undefined);
    assert.equal(a.input, undefined);
    assert.equal(a.status, "pending");
  }
  const full = await j(await h.req("/wcp/approvals?status=pending&detail=full&limit=1"));
  assert.equal(full.approvals[0].decision.outcome, "STEWARD_HOLD");
  const one = await j(await h.req(`/wcp/approvals/${ids[0]}`));
  assert.equal(one.decision.outcome, "STEWARD_HOLD");

  const tokens = await pages(h, "/wcp/tokens?", "tokens", 1);
  assert.ok(tokens.rows.length >= 2);
  assert.ok(tokens.rows.every((t) => t.token_hash === undefined));
  const cursorOfApprovals = (await j(await h.req("/wcp/approvals?limit=1"))).next_cursor;
  const res = await h.req(`/wcp/approvals/pending?cursor=${cursorOfApprovals}`);
  assert.equal(res.status, 400, "a cursor of /wcp/approvals is not one of /wcp/approvals/pending");
});

hallTest("pages: HallClient.page is one page, each follows every cursor", async (h) => {
  for (let i = 0; i < 7; i++) await h.store.putWorker(row(`org.acme.c${i}`, "org.acme", i));
  const urls: string[] = [];
  const c = new HallClient({
    baseUrl: "http://localhost",
    token: ADMIN,
    fetch: async (input, init) => {
      const req = new Request(input, init);
      urls.push(new URL(req.url).search);
      return await h.app.request(req);
    },
  });
  const first = await c.page("workers", { limit: 3 });
  assert.equal(first.items.length, 3);
  assert.equal(typeof first.next_cursor, "string");
  assert.equal("record" in first.items[0], false);
  const second = await c.page("workers", { limit: 3, cursor: first.next_cursor! });
  assert.ok(!second.items.some((w) => first.items.some((x) => x.worker_id === w.worker_id)));

  urls.length = 0;
  const ids: string[] = [];
  for await (const w of c.each("workers", { limit: 2 })) ids.push(w.worker_id);
  assert.equal(ids.length, 10);
  assert.equal(new Set(ids).size, 10);
  assert.equal(urls.length, 5, "one request per page of 2");
  assert.ok(urls.slice(1).every((u) => u.includes("cursor=")));

  // The array methods read every page, whole.
  const all = await c.workers({ namespace: "org.acme" });
  assert.equal(all.length, 7);
  assert.equal((all[0].record as Record<string, unknown>).owner, "org.acme-secret");
});

hallTest("pages: receipt tenants, checkpoints and tiers page too", async (h) => {
  for (let i = 0; i < 3; i++) {
    const res = await h.req("/wcp/tiers/" + `t${i}`, {
      method: "PUT",
      json: { max_workers: 5, requests_per_minute: 60 },
    });
    assert.equal(res.status, 200);
  }
  const tiers = await pages(h, "/wcp/tiers?", "tiers", 2);
  const names = tiers.rows.map((t) => t.tier);
  assert.ok(tiers.pages >= 2);
  assert.equal(new Set(names).size, names.length);
  for (const t of ["t0", "t1", "t2"]) assert.ok(names.includes(t));
  const none = await j(await h.req("/wcp/receipts/tenants"));
  assert.deepEqual(none, { tenants: [], count: 0, next_cursor: null });
  const cps = await j(await h.req("/wcp/receipts/checkpoints?tenant_id=acme&limit=1"));
  assert.deepEqual(cps, { checkpoints: [], count: 0, next_cursor: null });
  const bad = await h.req("/wcp/receipts/checkpoints?tenant_id=acme&limit=0");
  assert.equal(err(await j(bad)).path, "limit");
});

hallTest(
  "pages: telemetry pages back in time by cursor; a namespace token, full pages of its own",
  async (h) => {
    const alpha = (await h.grant("org.alpha")).token;
    // Decisions of two tenants, in turn (each decision writes several events).
    for (let i = 0; i < 6; i++) {
      const tenant_id = i % 2 === 0 ? "org.alpha" : "org.beta";
      const res = await h.req("/wcp/route", { method: "POST", json: routeInput({ tenant_id }) });
      assert.equal(res.status, 200);
    }
    type Ev = { event_id: string; decision_id: string; tenant_id: string; timestamp: string };
    const everything = (await j(await h.req("/wcp/telemetry?limit=1000"))).events as Ev[];
    assert.ok(everything.length >= 12);
    // Pages go back in time, each oldest first: reversed and joined, they are the whole log.
    const back = async (path: string, limit: number, token?: string) => {
      const seen = await pages(h, path, "events", limit, token);
      const out: Ev[][] = [];
      for (let at = 0; at < seen.rows.length; at += limit) {
        out.push(seen.rows.slice(at, at + limit) as unknown as Ev[]);
      }
      return { events: out.reverse().flat(), pages: seen.pages, cursors: seen.cursors };
    };
    const all = await back("/wcp/telemetry?", 5);
    assert.deepEqual(all.events, everything);
    assert.ok(all.pages >= 3);
    // A namespace token's pages hold its tenant's events only, and are full (scoped in the query).
    const mine = await back("/wcp/telemetry?", 4, alpha);
    const alphas = everything.filter((e) => e.tenant_id === "org.alpha");
    assert.deepEqual(mine.events, alphas);
    assert.equal(mine.pages, Math.max(1, Math.ceil(alphas.length / 4)));
    // An admin's cursor does not widen its view; another tenant is refused.
    const adminPage = await j(await h.req("/wcp/telemetry?limit=1"));
    const resumed = await j(
      await h.req(`/wcp/telemetry?limit=1000&cursor=${adminPage.next_cursor}`, { token: alpha }),
    );
    assert.ok(resumed.events.every((e: Ev) => e.tenant_id === "org.alpha"));
    const other = await h.req("/wcp/telemetry?tenant_id=org.beta", { token: alpha });
    assert.equal(other.status, 403);
    assert.equal(err(await j(other)).code, "TENANT_FORBIDDEN");
    // Filters hold on every page; bad limit and cursor are refused naming them.
    const d = everything[0].decision_id;
    const one = await back(`/wcp/telemetry?decision_id=${d}`, 1);
    assert.deepEqual(one.events, everything.filter((e) => e.decision_id === d));
    const workersCursor = (await j(await h.req("/wcp/workers?limit=1"))).next_cursor;
    for (const bad of ["!!!", workersCursor, btoa(JSON.stringify(["telemetry", "x", 1]))]) {
      const res = await h.req(`/wcp/telemetry?cursor=${encodeURIComponent(bad)}`);
      assert.equal(res.status, 400, `cursor=${bad}`);
      assert.equal(err(await j(res)).path, "cursor");
    }
    for (const bad of ["0", "1001"]) {
      const res = await h.req(`/wcp/telemetry?limit=${bad}`);
      assert.equal(res.status, 400);
      assert.equal(err(await j(res)).path, "limit");
    }
    assert.equal((await h.req("/wcp/telemetry?tenant=x")).status, 400, "an unknown parameter");
    // HallClient: telemetry() is one page, page/each follow the cursor.
    const c = new HallClient({
      baseUrl: "http://localhost",
      token: ADMIN,
      fetch: async (input, init) => await h.app.request(new Request(input, init)),
    });
    const p = await c.telemetry({ limit: 3 });
    assert.deepEqual(p.events, everything.slice(-3));
    assert.equal(typeof p.next_cursor, "string");
    const older = await c.page("telemetry", { limit: 3, cursor: p.next_cursor! });
    assert.deepEqual(older.items, everything.slice(-6, -3));
    const ids: string[] = [];
    for await (const e of c.each("telemetry", { tenant_id: "org.beta", limit: 2 })) {
      ids.push(e.event_id + "@" + e.decision_id);
    }
    assert.equal(ids.length, everything.filter((e) => e.tenant_id === "org.beta").length);
  },
);
