// Enrolling over HTTP: the hall computes artifact_hash when it is omitted, a wrong one stays an
// error that names the field and says how the hash is computed, and HallClient fills it in.
import assert from "node:assert/strict";
import { HallClient, recordHashJcs } from "../../mod.ts";
import { ADMIN, err, HALL_TEST, j, testHall } from "./_helpers.ts";

const RECORD = {
  worker_id: "org.acme.hash-test.1",
  worker_species_id: "wrk.doc.summarizer",
  capabilities: ["cap.doc.summarize"],
  risk_tier: "low",
  endpoint: "http://127.0.0.1:9/",
};

Deno.test({
  name: "hall: POST /wcp/workers without artifact_hash computes the record's JCS digest",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    try {
      const r = await h.req("/wcp/workers", { method: "POST", json: RECORD });
      assert.equal(r.status, 201);
      const body = await j(r);
      assert.equal(body.record.artifact_hash, recordHashJcs(RECORD));
      // PUT without it too.
      const u = await h.req(`/wcp/workers/${RECORD.worker_id}`, {
        method: "PUT",
        json: { ...RECORD, risk_tier: "medium" },
      });
      assert.equal(u.status, 200);
      assert.equal(
        (await j(u)).record.artifact_hash,
        recordHashJcs({ ...RECORD, risk_tier: "medium" }),
      );
    } finally {
      await h.stop();
    }
  },
});

Deno.test({
  name: "hall: a wrong artifact_hash is refused, naming the field, the expected value and recipe",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    try {
      const wrong = "sha256:" + "0".repeat(64);
      const r = await h.req("/wcp/workers", {
        method: "POST",
        json: { ...RECORD, artifact_hash: wrong },
      });
      assert.equal(r.status, 400);
      const e = err(await j(r));
      assert.equal(e.code, "RECORD_INVALID");
      assert.equal(e.path, "artifact_hash");
      const message = String(e.message);
      assert.ok(message.includes(recordHashJcs(RECORD)), message);
      assert.match(message, /SHA-256 of the RFC 8785 \(JCS\) form of the record without/);
      assert.match(message, /omit it/);
    } finally {
      await h.stop();
    }
  },
});

Deno.test({
  name: "client: enroll and updateWorker fill artifact_hash (a hall that requires it accepts)",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    const sent: Record<string, unknown>[] = [];
    try {
      const c = new HallClient({
        baseUrl: "http://localhost",
        token: ADMIN,
        fetch: async (input, init) => {
          if (init?.body) sent.push(JSON.parse(String(init.body)));
          return await h.app.request(new Request(input, init));
        },
      });
      const w = await c.enroll(RECORD);
      assert.equal(w.record.artifact_hash, recordHashJcs(RECORD));
      const changed = { ...RECORD, risk_tier: "high" };
      const u = await c.updateWorker(RECORD.worker_id, changed);
      assert.equal(u.record.artifact_hash, recordHashJcs(changed));
      // What went over the wire carried it (so an older hall that requires it accepts).
      assert.deepEqual(sent.map((b) => b.artifact_hash), [
        recordHashJcs(RECORD),
        recordHashJcs(changed),
      ]);
    } finally {
      await h.stop();
    }
  },
});

Deno.test({
  name: "hall: a hash over the record as sent but not its stored form is refused, nothing stored",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    try {
      const bare = {
        ...RECORD,
        worker_id: "org.acme.bare-hex.1",
        attestation: { code_hash: "ab".repeat(32) },
      };
      // The as-sent digest (bare hex code_hash); the hall stores "sha256:" + hex.
      const r = await h.req("/wcp/workers", {
        method: "POST",
        json: { ...bare, artifact_hash: recordHashJcs(bare) },
      });
      assert.equal(r.status, 400);
      const e = err(await j(r));
      assert.equal(e.path, "artifact_hash");
      assert.match(String(e.message), /not its stored form/);
      const stored = { ...bare, attestation: { code_hash: "sha256:" + "ab".repeat(32) } };
      assert.ok(String(e.message).includes(recordHashJcs(stored)), String(e.message));
      assert.equal((await h.req(`/wcp/workers/${bare.worker_id}`)).status, 404, "not stored");
      // HallClient hashes the stored form, so the same record enrols and routes.
      const c = new HallClient({
        baseUrl: "http://localhost",
        token: ADMIN,
        fetch: async (input, init) => await h.app.request(new Request(input, init)),
      });
      const w = await c.enroll(bare);
      assert.equal(w.record.artifact_hash, recordHashJcs(stored));
      assert.equal((await c.worker(bare.worker_id)).status, "active");
    } finally {
      await h.stop();
    }
  },
});
