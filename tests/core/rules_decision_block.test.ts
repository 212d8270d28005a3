// A rule must say where it routes: no decision block, or one without candidate_workers_ranked, is
// RULES_INVALID at load time (path rules[i].decision, the rule id in the message). An explicit
// empty list stays valid (the references' CV-002: every request it matches is denied).
import assert from "node:assert/strict";
import { lintRules, makeDecision, parseRules, Registry, WcpError } from "../../mod.ts";
import { input } from "./_router_helpers.ts";

function refused(doc: unknown, path: string, text: RegExp): void {
  assert.throws(() => parseRules(doc), (e: unknown) => {
    assert.ok(e instanceof WcpError, String(e));
    assert.equal(e.code, "RULES_INVALID");
    assert.equal(e.path, path, e.message);
    assert.match(e.message, text);
    return true;
  });
}

const ok = { rule_id: "ok", decision: { candidate_workers_ranked: [] } };

Deno.test("rules: a rule without a decision block is RULES_INVALID naming it", () => {
  refused(
    [ok, { rule_id: "sum", match: { capability_id: "cap.doc.summarize" } }],
    "rules[1].decision",
    /rule 'sum': decision is required/,
  );
  refused({ rules: [{ rule_id: "bare" }] }, "rules[0].decision", /rule 'bare'/);
});

Deno.test("rules: a decision without candidate_workers_ranked is RULES_INVALID naming it", () => {
  refused([{ rule_id: "empty", decision: {} }], "rules[0].decision", /rule 'empty'.*no candidate/);
  refused(
    [ok, { rule_id: "ctl", decision: { required_controls_suggested: ["ctrl.a.b"] } }],
    "rules[1].decision",
    /rule 'ctl': decision has no candidate_workers_ranked/,
  );
  refused(
    [{ rule_id: "u", decision: { candidate_workers_ranked: undefined } }],
    "rules[0].decision",
    /no candidate_workers_ranked/,
  );
  // A malformed field of the same block is named first.
  refused(
    [{ rule_id: "m", decision: { max_blast_by_env: { prod: 99 } } }],
    "rules[0].decision.max_blast_by_env.prod",
    /cap is an integer/,
  );
});

Deno.test("rules: an explicit empty candidate list is valid, denies, and lint reports it", () => {
  const rules = parseRules([{
    rule_id: "nowhere",
    match: { capability_id: { any: true } },
    decision: { candidate_workers_ranked: [] },
  }]);
  const registry = new Registry();
  registry.enroll({
    worker_id: "org.acme.summarizer.1",
    worker_species_id: "wrk.doc.summarizer",
    capabilities: ["cap.doc.summarize"],
  });
  const d = makeDecision(input(), { rules, registry });
  assert.equal(d.deny_reason_if_denied?.code, "DENY_NO_AVAILABLE_WORKER");
  assert.ok(lintRules(rules).some((f) => f.code === "NO_CANDIDATES"));
});
