// `wcp policy diff`, `wcp policy simulate` and `wcp policy export` as a user runs them: the
// fixture rule sets of tests/fixtures/policy (their differences stated by hand below), exit codes
// for CI (--fail-on), one-line errors naming the file and the path, and a real hall.
import assert from "node:assert/strict";
import { EXAMPLE_RULES } from "../../src/hall/bootstrap.ts";
import { isOneLineError, tempDir, wcp } from "./_run.ts";
import { ADMIN_TOKEN, startHall } from "./_hall.ts";

const FIX = new URL("../fixtures/policy/", import.meta.url).pathname;
const OLD = `${FIX}old_rules.json`;
const NEW = `${FIX}new_rules.json`;

Deno.test("policy diff: the fixture's widening and change, exit codes for CI", async () => {
  const r = await wcp(["policy", "diff", OLD, NEW, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  // By hand: r.translate now also covers prod (widened); summarize in prod moves from r.sum to
  // r.sum.prod, which holds for a human (changed); nothing is narrowed.
  const d = r.json() as {
    widened: { match: unknown; witness: { env: string; capability_id: string } }[];
    narrowed: unknown[];
    changed: { match: unknown; aspects: string[] }[];
  };
  assert.deepEqual(d.widened.map((c) => c.match), [
    { capability_id: "cap.doc.translate", env: "prod" },
  ]);
  assert.equal(d.widened[0].witness.capability_id, "cap.doc.translate");
  assert.equal(d.widened[0].witness.env, "prod");
  assert.deepEqual(d.narrowed, []);
  assert.deepEqual(d.changed.map((c) => [c.match, c.aspects]), [
    [{ capability_id: "cap.doc.summarize", env: "prod" }, ["human_required_default", "rule_id"]],
  ]);
  const text = await wcp(["policy", "diff", OLD, NEW]);
  assert.match(
    text.stdout,
    /WIDENED: NEW allows, OLD denied\n {2}\+ cap\.doc\.translate {2}env=prod/,
  );
  assert.equal((await wcp(["policy", "diff", OLD, NEW, "--fail-on", "widen"])).code, 1);
  assert.equal((await wcp(["policy", "diff", OLD, NEW, "--fail-on", "narrow"])).code, 0);
  assert.equal((await wcp(["policy", "diff", OLD, NEW, "--fail-on", "any"])).code, 1);
  // The reverse direction narrows.
  assert.equal((await wcp(["policy", "diff", NEW, OLD, "--fail-on", "narrow"])).code, 1);
  const same = await wcp(["policy", "diff", OLD, OLD, "--fail-on", "any"]);
  assert.equal(same.code, 0);
  assert.match(same.stdout, /identical/);
});

Deno.test("policy diff: bad input is exit 2 with one line naming the file and the path", async () => {
  const dir = await tempDir();
  try {
    const bad = `${dir}/bad.json`;
    await Deno.writeTextFile(
      bad,
      JSON.stringify({ rules: [{ rule_id: "x", match: { env: "moon" } }] }),
    );
    const r = await wcp(["policy", "diff", OLD, bad]);
    assert.equal(r.code, 2);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, new RegExp(`NEW ${bad}: RULES_INVALID: rules\\[0\\]\\.match\\.env`));
    const missing = await wcp(["policy", "diff", `${dir}/none.json`, NEW]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /OLD .*none\.json: file not found/);
    assert.equal((await wcp(["policy", "diff", OLD, NEW, "--fail-on", "wide"])).code, 2);
    assert.equal((await wcp(["policy", "diff", OLD])).code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("policy simulate --records: the fixture's four flips; bad lines are exit 2", async () => {
  const args = [
    "policy",
    "simulate",
    "--records",
    `${FIX}records.jsonl`,
    "--rules",
    NEW,
    "--registry",
    `${FIX}registry.json`,
  ];
  const r = await wcp([...args, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const rep = r.json() as { total: number; changed: number; groups: { count: number }[] };
  assert.deepEqual([rep.total, rep.changed, rep.groups.map((g) => g.count)], [9, 4, [2, 1, 1]]);
  const text = await wcp(args);
  assert.match(text.stdout, /4 would change, 5 unchanged/);
  assert.match(text.stdout, /2 {2}DISPATCH -> STEWARD_HOLD/);
  assert.equal((await wcp([...args, "--fail-on-change"])).code, 1);
  // Replayed against the rules they were recorded under: nothing changes, exit 0 even so.
  const same = await wcp([...args.slice(0, 5), OLD, ...args.slice(6), "--fail-on-change"]);
  assert.equal(same.code, 0, same.stdout + same.stderr);
  // Against the old rules decided again (not as recorded): the same four flips here, since the
  // registry has not changed since the fixture was recorded.
  const base = await wcp([...args, "--old-rules", OLD, "--json"]);
  assert.equal(base.code, 0, base.stderr);
  assert.equal((base.json() as { changed: number }).changed, 4);

  const dir = await tempDir();
  try {
    const changes = `${dir}/changes.jsonl`;
    const c = await wcp([...args, "--changes", changes, "--examples", "0"]);
    assert.equal(c.code, 0, c.stderr);
    const listed = (await Deno.readTextFile(changes)).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(listed.map((x) => x.decision_id), ["d2", "d3", "d4", "d9"]);
    const lines = (await Deno.readTextFile(`${FIX}records.jsonl`)).trim().split("\n");
    lines[2] = lines[2].replace('"env":"prod"', '"env":"moon"');
    const bad = `${dir}/bad.jsonl`;
    await Deno.writeTextFile(bad, lines.join("\n"));
    const b = await wcp(["policy", "simulate", "--records", bad, "--rules", NEW]);
    assert.equal(b.code, 2);
    assert.ok(isOneLineError(b.stderr), b.stderr);
    assert.match(b.stderr, /bad\.jsonl line 3: input\.env: must be one of dev\|stage\|prod\|edge/);
    const noRules = await wcp(["policy", "simulate", "--records", bad]);
    assert.equal(noRules.code, 2);
    assert.match(noRules.stderr, /--rules is required/);
    const both = await wcp([
      "policy",
      "simulate",
      "--records",
      bad,
      "--hall",
      "http://127.0.0.1:9",
    ]);
    assert.equal(both.code, 2);
    const oldWithFiles = await wcp([...args, "--old", "current"]);
    assert.equal(oldWithFiles.code, 2);
    assert.match(oldWithFiles.stderr, /--old is for --hall/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("policy simulate --hall and policy export against a real hall", async () => {
  const hall = await startHall();
  const dir = await tempDir();
  const env = { ADMIN_T: ADMIN_TOKEN };
  try {
    // Two decisions under the example rules: summarize INTERNAL dispatches, RESTRICTED finds no rule.
    for (const data_label of ["INTERNAL", "RESTRICTED"]) {
      const res = await fetch(`${hall.url}/wcp/route`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({
          correlation_id: crypto.randomUUID(),
          tenant_id: "acme",
          env: "dev",
          data_label,
          tenant_risk: "low",
          qos_class: "P2",
          capability_id: "cap.doc.summarize",
          request: { text: "Hello there. Second sentence." },
        }),
      });
      await res.body?.cancel();
      assert.equal(res.status, 200);
    }
    const rules = structuredClone(EXAMPLE_RULES);
    rules.rules[0].match.data_label = { in: ["PUBLIC", "INTERNAL", "RESTRICTED"] };
    const candidate = `${dir}/candidate.json`;
    await Deno.writeTextFile(candidate, JSON.stringify(rules));
    const H = ["--hall", hall.url, "--token-env", "ADMIN_T"];
    const r = await wcp(["policy", "simulate", ...H, "--rules", candidate, "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    const rep = r.json() as { total: number; groups: Record<string, unknown>[] };
    assert.equal(rep.total, 2);
    assert.deepEqual(
      rep.groups.map((g) => [g.old_deny_code, g.new_outcome, g.count]),
      [["DENY_NO_MATCHING_RULE", "DISPATCH", 1]],
    );
    const out = `${dir}/export.jsonl`;
    const e = await wcp(["policy", "export", ...H, "-o", out], { env });
    assert.equal(e.code, 0, e.stderr);
    const exported = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(exported.map((x) => x.input.data_label), ["INTERNAL", "RESTRICTED"]);
    // A token that is not set is a usage error; a hall that is not there is exit 3.
    const unset = await wcp(["policy", "simulate", "--hall", hall.url, "--token-env", "NOPE_X"]);
    assert.equal(unset.code, 2);
    const gone = await wcp([
      "policy",
      "simulate",
      "--hall",
      "http://127.0.0.1:9",
      "--token-env",
      "ADMIN_T",
    ], {
      env,
    });
    assert.equal(gone.code, 3, gone.stderr);
    // A candidate the hall refuses is bad input (exit 2), named by the hall.
    const bad = `${dir}/bad.json`;
    await Deno.writeTextFile(bad, JSON.stringify({ blast_gate_threshold: 500 }));
    const refused = await wcp(["policy", "simulate", ...H, "--config", bad], { env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /blast_gate_threshold/);
  } finally {
    await hall.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
