// One gate table for hall.json, the MCP config and the playground: the MCP config's older form
// (version, clauses[].when) loads as the same table; a bad field is named under policy_gate.
import assert from "node:assert/strict";
import { compileGateTable } from "../../src/gates/table.ts";
import { parseGateTable } from "../../src/gates/table_parse.ts";
import { parseMcpConfig } from "../../mcp/config.ts";
import { WcpError } from "../../src/errors.ts";

const CTX = {
  capability_id: "cap.msg.notify",
  tenant_id: "acme",
  env: "prod",
  data_label: "INTERNAL",
  tenant_risk: "low",
  qos_class: "P2",
  policy_version: "policy.v0",
  blast_score: 10,
  matched_rule_id: "r1",
} as const;

Deno.test("gate table: the older MCP clauses form loads as the shared table", () => {
  const old = {
    version: "v1",
    default: "ALLOW",
    clauses: [{ when: { env: "prod" }, decision: "REQUIRE_HUMAN", reason: "prod" }],
  };
  const t = parseGateTable(old);
  assert.equal(t.policy_version, "v1");
  assert.deepEqual(t.rules[0].match, { env: "prod" });
  assert.equal(compileGateTable(t)(CTX).decision, "REQUIRE_HUMAN");
  const cfg = parseMcpConfig({ rules: { rules: [] }, policy_gate: old });
  assert.deepEqual(cfg.policy_gate, t);
});

Deno.test("gate table: a bad field is named under policy_gate with the face's code", () => {
  try {
    parseMcpConfig({
      rules: { rules: [] },
      policy_gate: { rules: [{ match: { envv: "x" }, decision: "DENY" }] },
    });
    assert.fail("accepted");
  } catch (e) {
    assert.ok(e instanceof WcpError);
    assert.equal(e.code, "MCP_CONFIG_INVALID");
    assert.equal(e.path, "policy_gate.rules[0].match.envv");
  }
});
