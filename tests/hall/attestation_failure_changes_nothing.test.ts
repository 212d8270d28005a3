// A submission that does not verify must change nothing (README: "otherwise 422 ... and nothing
// is registered"): it used to overwrite the worker's last verified attestation with a failed one.
import assert from "node:assert/strict";
import { generateSigningKey } from "../../src/attestation/mod.ts";
import { recordHashJcs } from "../../src/registry/registry.ts";
import { hallTest, j, signedSubmission } from "./_helpers.ts";

hallTest(
  "attestation: a refused submission leaves the verified attestation in place",
  async (h) => {
    const key = await generateSigningKey({ namespace: "org.acme" });
    const id = "org.acme.sum.1";
    const rec: Record<string, unknown> = {
      worker_id: id,
      worker_species_id: "wrk.doc.summarizer",
      capabilities: ["cap.doc.summarize"],
      public_keys: { [key.key_id]: key.public_key },
    };
    rec.artifact_hash = recordHashJcs(rec);
    assert.equal((await h.req("/wcp/workers", { method: "POST", json: rec })).status, 201);
    const good = await signedSubmission(key, id, { "code/worker.py": "print('v1')\n" });
    assert.equal(
      (await h.req(`/wcp/workers/${id}/attestation`, { method: "POST", json: good })).status,
      200,
    );
    const before = await j(await h.req(`/wcp/workers/${id}/attestation`));
    assert.equal(before.attestation.verified, true);

    const forged = structuredClone(good);
    forged.manifest.signature_ed25519 = "0".repeat(128);
    const other = await generateSigningKey({ namespace: "org.acme" });
    const wrongKey = await signedSubmission(other, id, { "code/worker.py": "print('v1')\n" });
    for (const bad of [forged, wrongKey]) {
      const r = await h.req(`/wcp/workers/${id}/attestation`, { method: "POST", json: bad });
      assert.equal(r.status, 422);
    }
    const after = await j(await h.req(`/wcp/workers/${id}/attestation`));
    assert.deepEqual(after, before, "nothing was registered");
    assert.equal((await j(await h.req(`/wcp/workers/${id}`))).attestation_verified, true);
  },
);
