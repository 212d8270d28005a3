// A body sent as another media type (text/plain, the form encoding `curl -d` uses) is a 415
// naming content-type, not parsed as JSON anyway; JSON types with parameters or +json pass.
import assert from "node:assert/strict";
import { hallTest, j, routeInput } from "./_helpers.ts";

hallTest(
  "content-type: non-JSON media types are refused with 415; JSON variants accepted",
  async (h) => {
    const body = JSON.stringify(routeInput());
    for (
      const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
    ) {
      for (const path of ["/wcp/route", "/wcp/dispatch", "/wcp/tiers/free"]) {
        const r = await h.req(path, {
          method: path.includes("tiers") ? "PUT" : "POST",
          body,
          headers: { "content-type": type },
        });
        const b = await j(r);
        assert.equal(r.status, 415, `${path} ${type}: ${JSON.stringify(b).slice(0, 200)}`);
        assert.equal(b.error.code, "UNSUPPORTED_MEDIA_TYPE");
        assert.equal(b.error.path, "content-type");
      }
    }
    assert.equal((await j(await h.req("/wcp/receipts/tenants"))).count, 0, "nothing dispatched");
    for (
      const type of [
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/wcp+json",
      ]
    ) {
      const r = await h.req("/wcp/route", {
        method: "POST",
        body,
        headers: { "content-type": type },
      });
      assert.equal(r.status, 200, type);
    }
    // A body-less POST still works without a type (re-read the rules file, resolve a note-less
    // escalation...); here: reload with nothing to read is a clear 4xx, not a 415.
    const empty = await h.req("/wcp/rules/reload", { method: "POST" });
    assert.notEqual(empty.status, 415);
  },
);
