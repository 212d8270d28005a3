// The engine's world loader: checkWorld reports the first error of every part at once (each
// path starting with the part), keeps what loaded (rules for lint, the good records), and
// loadWorld throws the first part's error in load order (rules, registry, bans, hall_config).

import assert from "node:assert/strict";
import { checkWorld, loadWorld, WcpError } from "../../mod.ts";

const RULES = {
  rules: [{ rule_id: "r1", decision: { candidate_workers_ranked: [] } }],
};
const GOOD = {
  worker_id: "org.acme.sum.1",
  worker_species_id: "wrk.doc.summarizer",
  capabilities: ["cap.doc.summarize"],
};

Deno.test("checkWorld names the first error of each bad part and keeps every good part", () => {
  const c = checkWorld({
    rules: RULES,
    registry: [GOOD, { worker_id: "nope" }, { worker_id: "also bad" }],
    bans: [{ sha256: "xyz" }],
    hall_config: { require_signatry: true },
  });
  assert.equal(c.world, null);
  assert.deepEqual(Object.keys(c.errors).sort(), ["bans", "hall_config", "registry"]);
  assert.equal(c.errors.registry?.path, "registry[1].worker_id");
  assert.equal(c.errors.registry?.code, "RECORD_INVALID");
  assert.ok(c.errors.bans?.path.startsWith("bans[0]"), c.errors.bans?.path);
  assert.equal(c.errors.hall_config?.path, "hall_config.require_signatry");
  // The longer path is said once, not followed by the part's own path again.
  assert.match(c.errors.hall_config!.message, /^hall_config\.require_signatry: unknown key/);
  assert.match(c.errors.registry!.message, /^registry\[1\]\.worker_id: must be/);
  assert.equal(c.rules?.rules[0].rule_id, "r1");
  assert.ok(c.registry.get("org.acme.sum.1"), "the good record is enrolled");
});

Deno.test("checkWorld gives the world when every part loads; codes replace a part's code", () => {
  const ok = checkWorld({ rules: RULES, registry: [GOOD] });
  assert.deepEqual(ok.errors, {});
  assert.equal(ok.world?.config.blast_gate_threshold, 85);
  const coded = checkWorld({ rules: { rules: [{}] } }, { rules: "MCP_CONFIG_INVALID" });
  assert.equal(coded.errors.rules?.code, "MCP_CONFIG_INVALID");
  assert.ok(coded.errors.rules?.path.startsWith("rules."), coded.errors.rules?.path);
  assert.equal(coded.rules, null);
});

Deno.test("loadWorld throws the first bad part in load order", () => {
  assert.throws(
    () => loadWorld({ rules: { rules: [{}] }, registry: [{ worker_id: "nope" }] }),
    (e) => e instanceof WcpError && e.path.startsWith("rules."),
  );
  assert.throws(
    () => loadWorld({ rules: RULES, registry: [{ worker_id: "nope" }], hall_config: { x: 1 } }),
    (e) => e instanceof WcpError && e.path === "registry[0].worker_id",
  );
});

Deno.test("world: a document shaped like compiled rules is compiled, not taken as compiled", () => {
  // JSON (a request body) can carry `rules` and `shadowWarnings` arrays but never `match`.
  const shaped = { rules: [{ rule_id: "x" }], shadowWarnings: [] };
  const c = checkWorld({ rules: shaped });
  assert.equal(c.world, null);
  assert.ok(c.errors.rules?.path.startsWith("rules"), c.errors.rules?.path);
  // Compiled rules still pass through as they are.
  const compiled = loadWorld({ rules: RULES }).rules;
  assert.equal(loadWorld({ rules: compiled }).rules, compiled);
});
