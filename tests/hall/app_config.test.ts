// createHallApp validates its HallConfig: a misspelt floor must not be silently ignored.
import assert from "node:assert/strict";
import { WcpError } from "../../src/errors.ts";
import type { HallConfig } from "../../src/config.ts";
import { routeInput, testHall } from "./_helpers.ts";

Deno.test("hall: createHallApp refuses an unknown config key (fail closed, key named)", async () => {
  const config = { require_signatry: true } as unknown as Partial<HallConfig>;
  await assert.rejects(() => testHall({ config }), (e: unknown) => {
    assert.ok(e instanceof WcpError);
    assert.equal(e.code, "CONFIG_INVALID");
    assert.equal(e.path, "require_signatry");
    assert.match(e.message, /did you mean "require_signatory"/);
    return true;
  });
});

Deno.test("hall: createHallApp refuses wrongly typed and out-of-range config values", async () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ require_signatory: "yes" }, "require_signatory"],
    [{ approval_ttl_seconds: 0 }, "approval_ttl_seconds"],
    [{ default_supervisor_level: "root" }, "default_supervisor_level"],
    [{ egress_allowlist: { production: [] } }, "egress_allowlist.production"],
  ];
  for (const [config, path] of bad) {
    await assert.rejects(
      () => testHall({ config: config as Partial<HallConfig> }),
      (e: unknown) => e instanceof WcpError && e.code === "CONFIG_INVALID" && e.path === path,
    );
  }
});

Deno.test("hall: the correctly spelt floor is applied (unknown tenant denied)", async () => {
  const h = await testHall({ config: { require_signatory: true, allowed_tenants: ["acme"] } });
  try {
    const res = await h.req("/wcp/route", { method: "POST", json: routeInput({ tenant_id: "x" }) });
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.equal(body.deny_reason_if_denied.code, "DENY_UNKNOWN_TENANT");
  } finally {
    await h.stop();
  }
});
