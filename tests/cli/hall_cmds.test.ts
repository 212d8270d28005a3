// The CLI's hall commands against a real hall (`wcp serve` on 127.0.0.1): approvals, route and
// dispatch with --hall, enroll --update, tokens, namespaces, tiers, rules, receipts export, and the
// documented exit codes (401 -> 1 on stderr, unset --token-env -> 2, bad input -> 2, 403 -> 1,
// unreachable -> 3, rate limited -> 4).
import assert from "node:assert/strict";
import { isOneLineError, tempDir, wcp } from "./_run.ts";
import { ADMIN_TOKEN, fakeHall, startHall } from "./_hall.ts";

const env = { WCP_TOKEN: ADMIN_TOKEN };

function input(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    correlation_id: crypto.randomUUID(),
    tenant_id: "acme",
    env: "dev",
    data_label: "INTERNAL",
    tenant_risk: "low",
    qos_class: "P2",
    capability_id: "cap.doc.summarize",
    request: { text: "Hello there. Second sentence." },
    ...over,
  };
}

async function file(dir: string, name: string, value: unknown): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
}

Deno.test("hall commands against a real hall", async (t) => {
  const hall = await startHall();
  const H = ["--hall", hall.url];
  const dir = await tempDir();
  try {
    await t.step(
      "a refused token is exit 1 with the 401 on stderr, nothing on stdout",
      async () => {
        const r = await wcp(["registry", "status", ...H], { env: { WCP_TOKEN: "wcp_wrong" } });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.equal(r.stdout, "");
        assert.ok(isOneLineError(r.stderr), r.stderr);
        assert.match(r.stderr, /401 INVALID_TOKEN/);
      },
    );
    await t.step("a --token-env variable that is not set is a usage error", async () => {
      const r = await wcp(["registry", "status", ...H, "--token-env", "WCP_CLI_TEST_UNSET"], {
        env,
      });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /--token-env: environment variable WCP_CLI_TEST_UNSET is not set/);
    });
    await t.step("route: an invalid RouteInput exits 2, locally and with --hall", async () => {
      const bad = await file(dir, "bad.json", input({ env: "moon" }));
      const remote = await wcp(["route", ...H, "--input", bad], { env });
      assert.equal(remote.code, 2, remote.stdout + remote.stderr);
      assert.match(remote.stderr, /400 DENY_INVALID_INPUT.*\(at env\)/);
      const rules = await file(dir, "rules.json", {
        rules: [{
          rule_id: "r",
          match: { capability_id: "cap.doc.summarize" },
          decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] },
        }],
      });
      const local = await wcp(["route", "--rules", rules, "--input", bad]);
      assert.equal(local.code, 2, local.stdout + local.stderr);
      assert.match(local.stderr, /--input: invalid RouteInput: .*env/);
      assert.match(local.stdout, /DENY/, "the decision is still printed");
    });
    await t.step(
      "route --hall decides with the hall's rules; local flags are refused",
      async () => {
        const ok = await file(dir, "ok.json", input());
        const r = await wcp(["route", ...H, "--input", ok, "--json"], { env });
        assert.equal(r.code, 0, r.stderr);
        const d = r.json() as { outcome: string; selected_worker_id: string };
        assert.equal(d.outcome, "DISPATCH");
        assert.equal(d.selected_worker_id, "org.demo.summarizer.1");
        const mixed = await wcp(["route", ...H, "--input", ok, "--rules", ok], { env });
        assert.equal(mixed.code, 2);
        assert.match(mixed.stderr, /--rules is not used with --hall/);
      },
    );
    await t.step("dispatch --hall runs the worker and prints the receipt", async () => {
      const ok = await file(dir, "ok.json", input());
      const r = await wcp(["dispatch", ...H, "--input", ok], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /outcome {3}DISPATCH/);
      assert.match(r.stdout, /receipt {3}\S+ seq \d+ sha256:[0-9a-f]{64}/);
      const denied = await file(dir, "no.json", input({ capability_id: "cap.none.thing" }));
      const d = await wcp(["dispatch", ...H, "--input", denied], { env });
      assert.equal(d.code, 1);
      assert.match(d.stdout, /DENY_NO_MATCHING_RULE/);
    });
    await t.step("approvals: list, show, escalate, deny, approve, dispatch once", async () => {
      const notify = (text: string) =>
        file(dir, `n-${text}.json`, input({ capability_id: "cap.msg.notify", request: { text } }));
      const held = await wcp(["dispatch", ...H, "--input", await notify("deploy at noon")], {
        env,
      });
      assert.equal(held.code, 1, "a hold is not a success");
      const id = held.stdout.match(/approval ([0-9a-f-]{36})/)![1];
      const list = await wcp(["approvals", "list", ...H, "--json"], { env });
      assert.equal(list.code, 0, list.stderr);
      const rows = list.json() as { approval_id: string; hold_reasons: string[] }[];
      const row = rows.find((a) => a.approval_id === id)!;
      assert.deepEqual(row.hold_reasons, ["example: notifications need a human's approval"]);
      const text = await wcp(["approvals", "list", ...H], { env });
      assert.match(text.stdout, /held because/);
      assert.match(text.stdout, new RegExp(`${id}\\s+pending\\s+cap\\.msg\\.notify\\s+acme`));
      const show = await wcp(["approvals", "show", id, ...H], { env });
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /"text": "deploy at noon"/, "the request itself is shown");
      assert.match(show.stdout, /held because example: notifications need a human's approval/);
      assert.match(show.stdout, /asked by {5}admin \(WCP_ADMIN_TOKEN\) \(tok_\w+\)/);
      assert.match(show.stdout, /expires .*\(in \d+ (min|s)\)/);
      const esc = await wcp(["approvals", "escalate", id, ...H, "--note", "needs ops", "--json"], {
        env,
      });
      assert.equal(esc.code, 0, esc.stderr);
      assert.notEqual((esc.json() as { supervisor_level: string }).supervisor_level, "gatekeeper");
      // Separation of duties: the token that raised the hold may not resolve it (exit 1, the
      // hall's 403 on stderr); a second supervisor does.
      const self = await wcp(["approvals", "approve", id, ...H], { env });
      assert.equal(self.code, 1, self.stdout + self.stderr);
      assert.equal(self.stdout, "");
      assert.ok(isOneLineError(self.stderr), self.stderr);
      assert.match(self.stderr, /403 APPROVER_IS_REQUESTER/);
      const second = await wcp(
        ["tokens", "create", ...H, "--role", "admin", "--label", "second supervisor", "--json"],
        { env },
      );
      assert.equal(second.code, 0, second.stderr);
      const sup = { WCP_SUPERVISOR: (second.json() as { token: string }).token };
      const S = [...H, "--token-env", "WCP_SUPERVISOR"];
      const ok = await wcp(["approvals", "approve", id, ...S, "--note", "fine"], { env: sup });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /approved/);
      const resolved = await wcp(["approvals", "show", id, ...H], { env });
      assert.match(resolved.stdout, /resolved .* by second supervisor \(tok_\w+\): fine/);
      const again = await wcp(["approvals", "deny", id, ...S], { env: sup });
      assert.equal(again.code, 1, "not pending any more");
      assert.ok(isOneLineError(again.stderr), again.stderr);
      assert.match(again.stderr, /409 APPROVAL_NOT_PENDING/);
      const run = await wcp(["dispatch", ...H, "--approval", id], { env });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /"delivered": true/);
      const twice = await wcp(["dispatch", ...H, "--approval", id], { env });
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /409 APPROVAL_CONSUMED/);
      const held2 = await wcp(["dispatch", ...H, "--input", await notify("other")], { env });
      const id2 = held2.stdout.match(/approval ([0-9a-f-]{36})/)![1];
      const no = await wcp(["approvals", "deny", id2, ...S, "--json"], { env: sup });
      assert.equal(no.code, 0, no.stderr);
      assert.equal((no.json() as { status: string }).status, "denied");
      const unknown = await wcp(["approvals", "show", crypto.randomUUID(), ...H], { env });
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /404 APPROVAL_UNKNOWN/);
      const badStatus = await wcp(["approvals", "list", ...H, "--status", "done"], { env });
      assert.equal(badStatus.code, 2);
    });
    await t.step("enroll, then enroll --update changes the worker", async () => {
      const record = {
        worker_id: "org.acme.cli-update.1",
        worker_species_id: "wrk.doc.summarizer",
        capabilities: ["cap.doc.summarize"],
        risk_tier: "low",
        allowed_environments: ["stage"],
      };
      const path = await file(dir, "rec.json", record);
      const e = await wcp(["enroll", path, ...H], { env });
      assert.equal(e.code, 0, e.stderr);
      const dup = await wcp(["enroll", path, ...H], { env });
      assert.equal(dup.code, 1, "already enrolled: the hall refuses");
      assert.match(dup.stderr, /409 WORKER_EXISTS/);
      await file(dir, "rec.json", { ...record, owner: "team-b" });
      const u = await wcp(["enroll", path, ...H, "--update", "--json"], { env });
      assert.equal(u.code, 0, u.stderr);
      const w = u.json() as { record: { owner: string; artifact_hash: string } };
      assert.equal(w.record.owner, "team-b");
      assert.match(w.record.artifact_hash, /^sha256:[0-9a-f]{64}$/);
      const missing = await file(dir, "missing.json", { ...record, worker_id: "org.acme.none.1" });
      const m = await wcp(["enroll", missing, ...H, "--update"], { env });
      assert.equal(m.code, 1);
      assert.match(m.stderr, /404 WORKER_UNKNOWN/);
    });
    await t.step("tiers, namespaces and tokens", async () => {
      const tier = await wcp([
        "tiers",
        "set",
        "gold",
        ...H,
        "--max-workers",
        "5",
        "--requests-per-minute",
        "100",
      ], { env });
      assert.equal(tier.code, 0, tier.stderr);
      const tiers = await wcp(["tiers", ...H, "--json"], { env });
      assert.ok((tiers.json() as { tier: string }[]).some((t) => t.tier === "gold"));
      const ns = await wcp(
        ["namespaces", "create", "org.acme", ...H, "--tier", "gold", "--owner", "acme", "--json"],
        { env },
      );
      assert.equal(ns.code, 0, ns.stderr);
      const owner = (ns.json() as { token: string }).token;
      const list = await wcp(["namespaces", ...H], { env });
      assert.match(list.stdout, /org\.acme\s+gold/);
      const moved = await wcp(["namespaces", "set-tier", "org.acme", "team", ...H], { env });
      assert.equal(moved.code, 0, moved.stderr);
      const badNs = await wcp(
        ["namespaces", "create", "acme", ...H, "--tier", "x", "--owner", "y"],
        {
          env,
        },
      );
      assert.equal(badNs.code, 2);
      const tok = await wcp([
        "tokens",
        "create",
        ...H,
        "--role",
        "namespace",
        "--namespace",
        "org.acme",
        "--label",
        "ci",
        "--json",
      ], { env });
      assert.equal(tok.code, 0, tok.stderr);
      const created = tok.json() as { token_id: string; token: string };
      const tokens = await wcp(["tokens", ...H, "--json"], { env });
      const listed = tokens.json() as Record<string, unknown>[];
      assert.ok(listed.some((t) => t.token_id === created.token_id));
      assert.ok(listed.every((t) => !("token" in t) && !("token_hash" in t)), "no secrets");
      // A namespace token is not a supervisor: the hall's 403 is exit 1 with its message.
      const forbidden = await wcp(["approvals", "list", ...H], { env: { WCP_TOKEN: owner } });
      assert.equal(forbidden.code, 1, forbidden.stdout + forbidden.stderr);
      assert.ok(isOneLineError(forbidden.stderr), forbidden.stderr);
      assert.match(forbidden.stderr, /hall answered 403/);
      const revoke = await wcp(["tokens", "revoke", created.token_id, ...H], { env });
      assert.equal(revoke.code, 0, revoke.stderr);
      const after = await wcp(["namespaces", ...H], { env: { WCP_TOKEN: created.token } });
      assert.equal(after.code, 1);
      assert.match(after.stderr, /401/);
    });
    await t.step("rules add appends a rule; a clash needs --replace", async () => {
      const snippet = await file(dir, "snippet.json", {
        rules: [{
          rule_id: "cli-test-greet-stage",
          match: { capability_id: "cap.hello.greet", env: { in: ["stage"] } },
          decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.hello.greeter" }] },
        }],
      });
      const r = await wcp(["rules", "add", snippet, ...H], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /added cli-test-greet-stage; 4 rule\(s\) in force/);
      const again = await wcp(["rules", "add", snippet, ...H], { env });
      assert.equal(again.code, 2);
      assert.match(again.stderr, /already in force \(use --replace\)/);
      const replaced = await wcp(["rules", "add", snippet, ...H, "--replace"], { env });
      assert.equal(replaced.code, 0, replaced.stderr);
      const show = await wcp(["rules", "show", ...H, "--json"], { env });
      const ids = (show.json() as { rules: { rule_id: string }[] }).rules.map((x) => x.rule_id);
      assert.equal(ids.filter((x) => x === "cli-test-greet-stage").length, 1);
    });
    await t.step(
      "receipts export; verify takes the export, the hall's key answer, a list",
      async () => {
        const out = `${dir}/export.json`;
        const e = await wcp(["receipts", "export", ...H, "--tenant", "acme", "--out", out], {
          env,
        });
        assert.equal(e.code, 0, e.stderr);
        const bundle = JSON.parse(await Deno.readTextFile(out));
        assert.equal(bundle.tenant_id, "acme");
        assert.ok(bundle.receipts.length >= 2);
        assert.deepEqual(bundle.receipts.map((r: { seq: number }) => r.seq), [
          ...bundle.receipts.keys(),
        ]);
        const res = await fetch(`${hall.url}/wcp/receipts/key`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        const hallAnswer = await file(dir, "hall-key.json", await res.text());
        const playground = await file(dir, "list.json", bundle.keys);
        for (const key of [out, hallAnswer, playground]) {
          const v = await wcp(["receipts", "verify", out, "--key", key]);
          assert.equal(v.code, 0, `${key}: ${v.stdout}${v.stderr}`);
          assert.match(v.stdout, /^ok \d+ receipts/);
        }
        const forged = structuredClone(bundle);
        forged.receipts[0].worker_id = "org.evil.w.1";
        const f = await file(dir, "forged.json", forged);
        const broken = await wcp(["receipts", "verify", f, "--key", hallAnswer]);
        assert.equal(broken.code, 1);
        assert.match(broken.stdout, /BROKEN at receipt 0/);
        const notKeys = await file(dir, "not-keys.json", { hello: 1 });
        const bad = await wcp(["receipts", "verify", out, "--key", notKeys]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--key: .*expected receipt keys/);
        const none = await file(dir, "none.json", { keys: [] });
        const empty = await wcp(["receipts", "verify", out, "--key", none]);
        assert.equal(empty.code, 2);
        assert.match(empty.stderr, /--key: .* holds no key/);
      },
    );
  } finally {
    await hall.stop();
  }
});

Deno.test("hall answers the CLI maps: 403 APPROVER_IS_REQUESTER, 429, unreachable", async () => {
  const refusal = fakeHall(403, {
    error: {
      code: "APPROVER_IS_REQUESTER",
      message: "the principal that raised this hold may not resolve it",
      path: "approval_id",
    },
  });
  try {
    const r = await wcp(["approvals", "approve", "a-1", "--hall", refusal.url], { env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /403 APPROVER_IS_REQUESTER: the principal that raised this hold/);
  } finally {
    await refusal.stop();
  }
  const busy = fakeHall(429, { error: { code: "RATE_LIMITED", message: "slow down" } }, {
    "retry-after": "60",
  });
  try {
    const r = await wcp(["tokens", "--hall", busy.url], { env });
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stderr, /rate limited by the hall \(tokens\); retry after 60s/);
  } finally {
    await busy.stop();
  }
  const gone = fakeHall(200, {});
  const url = gone.url;
  await gone.stop();
  const r = await wcp(["approvals", "list", "--hall", url], { env });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stderr, /hall unreachable/);
});
