// One compliance verdict: `wcp check hall.json` and the `/wcp/health` of a hall started from the
// same hall.json report the same level (one library function, checkHallCompliance, computes both).
import assert from "node:assert/strict";
import { EXAMPLE_RULES } from "../../src/hall/bootstrap.ts";
import { tempDir, wcp } from "./_run.ts";
import { startHall } from "./_hall.ts";

const GATE = {
  policy_version: "pol.test.v1",
  default: "ALLOW",
  rules: [{ match: { capability_id: "cap.msg.notify" }, decision: "REQUIRE_HUMAN" }],
};
const STRICT = {
  require_signatory: true,
  allowed_tenants: ["acme"],
  require_worker_attestation: true,
  enforce_privilege_envelopes: true,
};

const CASES: { name: string; hall: Record<string, unknown>; level: string }[] = [
  {
    name: "the example hall.json (a gate, default floors)",
    hall: {
      rules_file: "rules.json",
      hall_config: { approval_ttl_seconds: 900 },
      policy_gate: GATE,
    },
    level: "WCP-Standard",
  },
  {
    name: "strict floors and a gate",
    hall: { hall_config: STRICT, policy_gate: GATE },
    level: "WCP-Full",
  },
  { name: "strict floors, no gate", hall: { hall_config: STRICT }, level: "WCP-Standard" },
  {
    name: "required controls not enforced",
    hall: { hall_config: { enforce_required_controls: false }, policy_gate: GATE },
    level: "WCP-Basic",
  },
  {
    name: "correlation ids not enforced",
    hall: { hall_config: { ...STRICT, enforce_correlation_id: false }, policy_gate: GATE },
    level: "none",
  },
];

Deno.test("wcp check and /wcp/health agree on the compliance level of a hall.json", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const dataDir = `${await tempDir()}/data`;
      await Deno.mkdir(dataDir, { recursive: true });
      await Deno.writeTextFile(`${dataDir}/hall.json`, JSON.stringify(c.hall));
      await Deno.writeTextFile(`${dataDir}/rules.json`, JSON.stringify(EXAMPLE_RULES));
      const check = await wcp(["check", `${dataDir}/hall.json`, "--json"]);
      assert.ok(check.code === 0 || check.code === 1, check.stderr);
      const cli = (check.json() as { achieved_level: string }).achieved_level;
      const hall = await startHall({ dataDir });
      let health: { compliance_level: string; compliance_gaps: string[] };
      try {
        health = await (await fetch(`${hall.url}/wcp/health`)).json();
      } finally {
        await hall.stop();
      }
      assert.equal(health.compliance_level, cli, "the hall and wcp check disagree");
      assert.equal(cli, c.level);
      const gaps = (check.json() as { gaps: string[] }).gaps;
      assert.deepEqual(health.compliance_gaps, gaps);
    });
  }
});
