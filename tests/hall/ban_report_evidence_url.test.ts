// A ban report's evidence_url must be http(s): a javascript: or data: URL would be stored and
// shown as a link.
import assert from "node:assert/strict";
import { hallTest, j } from "./_helpers.ts";

hallTest("ban report: evidence_url must be an http(s) URL", async (h) => {
  const sha256 = "sha256:" + "e".repeat(64);
  for (const url of ["javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd"]) {
    const r = await h.req("/wcp/ban-list/report", {
      method: "POST",
      json: { sha256, reason: "bad", evidence_url: url },
    });
    const body = await j(r);
    assert.equal(r.status, 400, url);
    assert.equal(body.error.path, "evidence_url", url);
  }
  assert.equal((await j(await h.req("/wcp/ban-list"))).count, 0, "nothing stored");
  const ok = await h.req("/wcp/ban-list/report", {
    method: "POST",
    json: { sha256, reason: "bad", evidence_url: "https://advisories.example/1" },
  });
  assert.equal(ok.status, 201);
  assert.equal((await j(ok)).evidence_url, "https://advisories.example/1");
});
