// The governing MCP gateway in front of MCP servers nobody here wrote
// (@modelcontextprotocol/server-everything and server-filesystem, from npm), driven by the
// official SDK client over stdio: allowed, denied by the rules, held and approved by the human
// (elicitation), a filesystem write over the allowed blast held, receipts that verify, and
// tools/list showing only what the tenant may call.

import assert from "node:assert/strict";
import { parseTrustedKeys, verifyReceiptChain } from "../../mod.ts";
import {
  DEV_CONFIG,
  errorOf,
  EVERYTHING,
  FILESYSTEM,
  governance,
  startGateway,
  textOf,
  writeConfig,
} from "./_gateway_helpers.ts";
import type { ElicitRequest } from "./_sdk_client.ts";

const CLI = new URL("../../src/cli/main.ts", import.meta.url).pathname;

async function wcp(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("deno", {
    args: ["run", "--quiet", "--allow-read", "--allow-write", "--allow-env", CLI, ...args],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function includes(text: string, part: string): void {
  assert.ok(text.includes(part), `expected ${JSON.stringify(part)} in ${text.slice(0, 500)}`);
}

const FS_TOOLS = [
  "read_text_file",
  "write_file",
  "list_directory",
  "list_allowed_directories",
];

/** The test's gateway config: tenant acme; everything + filesystem upstreams. */
function configDoc(root: string): Record<string, unknown> {
  return {
    name: "gateway test",
    tenant: { tenant_id: "acme", tenant_risk: "low" },
    env: "dev",
    rules: {
      rules: [
        {
          rule_id: "everything.sum",
          match: { capability_id: "cap.mcp.everything.get-sum" },
          decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.mcp.everything" }] },
        },
        {
          rule_id: "everything.echo.human",
          match: { capability_id: "cap.mcp.everything.echo" },
          decision: {
            candidate_workers_ranked: [{ worker_species_id: "wrk.mcp.everything" }],
            escalation: { human_required_default: true, supervisor_level: "gatekeeper" },
          },
        },
        {
          rule_id: "fs",
          match: { capability_id: { in: FS_TOOLS.map((t) => `cap.mcp.fs.${t}`) } },
          decision: {
            candidate_workers_ranked: [{ worker_species_id: "wrk.mcp.fs" }],
            max_blast_by_env: { dev: 6 },
            escalation: { hold_over_cap: true },
          },
        },
      ],
    },
    servers: {
      everything: {
        command: "deno",
        args: ["run", "-A", "--config", DEV_CONFIG, EVERYTHING, "stdio"],
      },
      fs: { command: "deno", args: ["run", "-A", "--config", DEV_CONFIG, FILESYSTEM, root] },
    },
    tool_names: "prefixed",
    defaults: {
      blast_radius: { data: 1, network: 0, financial: 0, time: 0, reversibility: "reversible" },
    },
    tools: {
      "fs.write_file": {
        blast_radius: { data: 3, network: 0, financial: 0, time: 1, reversibility: "difficult" },
        risk_tier: "medium",
      },
    },
  };
}

Deno.test("gateway: stock MCP servers governed and receipted through the gateway", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-gw-" });
  const root = `${dir}/files`;
  await Deno.mkdir(root);
  await Deno.writeTextFile(`${root}/hello.txt`, "hello from the filesystem\n");
  const configPath = await writeConfig(dir, configDoc(root));
  const asked: ElicitRequest["params"][] = [];
  let answer: "approve" | "deny" = "approve";
  const gw = await startGateway(["--config", configPath], {
    onElicit: (params) => {
      asked.push(params);
      return { action: "accept", content: { decision: answer, note: `human says ${answer}` } };
    },
  });
  const plain = await startGateway(["--config", configPath], { name: "no-elicitation" });
  try {
    await t.step("tools/list shows only what the tenant may call", async () => {
      const names = (await gw.client.listTools()).tools.map((x: { name: string }) => x.name);
      for (
        const n of ["everything_get-sum", "everything_echo", "fs_write_file", "fs_read_text_file"]
      ) {
        assert(names.includes(n), `${n} listed: ${names.join(", ")}`);
      }
      // No rule matches get-env or move_file: the tenant cannot call them, so they are not shown.
      assert(!names.includes("everything_get-env"), names.join(", "));
      assert(!names.includes("fs_move_file"), names.join(", "));
    });

    await t.step("an allowed call runs upstream, with a receipt", async () => {
      const r = await gw.client.callTool({
        name: "everything_get-sum",
        arguments: { a: 2, b: 40 },
      });
      assert(!r.isError, textOf(r));
      includes(textOf(r), "42");
      const g = governance(r);
      assert.equal(g.outcome, "DISPATCH");
      assert.equal(g.matched_rule_id, "everything.sum");
      assert.equal(
        (g.receipt as Record<string, unknown>).capability_id,
        "cap.mcp.everything.get-sum",
      );
    });

    await t.step("a call no rule allows is denied and never reaches the upstream", async () => {
      // Not listed, but a client may still try it by name.
      const r = await gw.client.callTool({ name: "everything_get-env", arguments: {} });
      assert(r.isError);
      assert.equal(errorOf(r).code, "DENY_NO_MATCHING_RULE");
      assert.equal(governance(r).executed, false);
      assert(!textOf(r).includes("PATH"), "no environment leaked");
    });

    await t.step(
      "a held call asks the human (elicitation) and runs once when approved",
      async () => {
        const r = await gw.client.callTool({
          name: "everything_echo",
          arguments: { message: "hi" },
        });
        assert(!r.isError, textOf(r));
        includes(textOf(r), "hi");
        assert.equal(asked.length, 1);
        includes(asked[0].message, "cap.mcp.everything.echo");
        const g = governance(r);
        const receipt = g.receipt as Record<string, unknown>;
        const approval = receipt.approval as Record<string, unknown>;
        assert.equal(receipt.policy_decision, `APPROVED:${approval.approval_id}`);
        assert.equal(approval.note, "human says approve");
        // The approval ran once: the same call with its id is refused.
        const again = await gw.client.callTool({
          name: "everything_echo",
          arguments: { message: "hi", wcp_approval_id: approval.approval_id },
        });
        assert.equal(errorOf(again).code, "APPROVAL_CONSUMED");
      },
    );

    await t.step("a denial by the human runs nothing", async () => {
      answer = "deny";
      const r = await gw.client.callTool({ name: "everything_echo", arguments: { message: "no" } });
      answer = "approve";
      assert.equal(errorOf(r).code, "APPROVAL_DENIED");
      assert.equal(governance(r).executed, false);
    });

    await t.step(
      "without elicitation a held call is STEWARD_HOLD naming the approval id",
      async () => {
        const r = await plain.client.callTool({
          name: "everything_echo",
          arguments: { message: "later" },
        });
        const e = errorOf(r);
        assert.equal(e.code, "STEWARD_HOLD");
        assert(typeof e.approval_id === "string" && e.approval_id !== "");
        // Repeating it with the id before anyone approved it runs nothing.
        const again = await plain.client.callTool({
          name: "everything_echo",
          arguments: { message: "later", wcp_approval_id: e.approval_id },
        });
        assert.equal(errorOf(again).code, "APPROVAL_NOT_APPROVED");
        // And a different call cannot borrow the id.
        const other = await plain.client.callTool({
          name: "everything_echo",
          arguments: { message: "something else", wcp_approval_id: e.approval_id },
        });
        assert.equal(errorOf(other).code, "APPROVAL_MISMATCH");
        // Where to approve: the CLI, by a person; then the same call runs once.
        const cli = String((e.approve_with as Record<string, unknown>).cli);
        assert.ok(cli.startsWith(`wcp gateway approvals approve ${e.approval_id} --config `), cli);
        const approved = await wcp([
          "gateway",
          "approvals",
          "approve",
          String(e.approval_id),
          "--note",
          "fine by me",
          "--config",
          configPath,
        ]);
        assert.equal(approved.code, 0, approved.stderr);
        const ran = await plain.client.callTool({
          name: "everything_echo",
          arguments: { message: "later", wcp_approval_id: e.approval_id },
        });
        assert.ok(!ran.isError, textOf(ran));
        includes(textOf(ran), "later");
        const facts = (governance(ran).receipt as Record<string, unknown>).approval as Record<
          string,
          Record<string, unknown>
        >;
        assert.ok(String(facts.resolved_by.principal_id).startsWith("cli:"));
        assert.equal(facts.note, "fine by me");
        const twice = await plain.client.callTool({
          name: "everything_echo",
          arguments: { message: "later", wcp_approval_id: e.approval_id },
        });
        assert.equal(errorOf(twice).code, "APPROVAL_CONSUMED");
        const list = await wcp(["gateway", "approvals", "list", "--config", configPath, "--json"]);
        const row = JSON.parse(list.stdout).approvals.find((a: { approval_id: string }) =>
          a.approval_id === e.approval_id
        );
        assert.equal(row.status, "consumed");
      },
    );

    await t.step("a filesystem read under the blast cap runs", async () => {
      const r = await gw.client.callTool({
        name: "fs_read_text_file",
        arguments: { path: `${root}/hello.txt` },
      });
      assert(!r.isError, textOf(r));
      includes(textOf(r), "hello from the filesystem");
    });

    await t.step("a filesystem write over the blast cap is held for the human", async () => {
      const before = asked.length;
      answer = "deny";
      const r = await gw.client.callTool({
        name: "fs_write_file",
        arguments: { path: `${root}/new.txt`, content: "written" },
      });
      answer = "approve";
      assert.equal(asked.length, before + 1);
      includes(asked[before].message, "cap 6");
      assert.equal(errorOf(r).code, "APPROVAL_DENIED");
      assert(!(await Deno.stat(`${root}/new.txt`).then(() => true, () => false)), "not written");
      const ok = await gw.client.callTool({
        name: "fs_write_file",
        arguments: { path: `${root}/new.txt`, content: "written" },
      });
      assert(!ok.isError, textOf(ok));
      assert.equal(await Deno.readTextFile(`${root}/new.txt`), "written");
    });

    await t.step("the durable receipts verify with the state's public key", async () => {
      const state = `${dir}/gateway.state`;
      const key = parseTrustedKeys(
        JSON.parse(await Deno.readTextFile(`${state}/receipt-key.pub.json`)),
      );
      const files = [...Deno.readDirSync(`${state}/receipts`)]
        .filter((e) => e.name.endsWith(".jsonl") && e.name !== "pins.jsonl");
      assert.equal(files.length, 2); // one per gateway run (two clients, two processes)
      let total = 0;
      for (const f of files) {
        const lines = (await Deno.readTextFile(`${state}/receipts/${f.name}`)).trim().split("\n");
        const receipts = lines.filter(Boolean).map((l) => JSON.parse(l));
        total += receipts.length;
        const report = await verifyReceiptChain(receipts, { keys: key });
        assert(report.ok, JSON.stringify(report));
      }
      // get-sum, echo (approved by elicitation), echo (approved with the CLI), read, write
      // (approved): five executions, five receipts.
      assert.equal(total, 5);
      const mode = (await Deno.stat(`${state}/receipt-key.json`)).mode! & 0o777;
      assert.equal(mode, 0o600);
    });
  } finally {
    await gw.close();
    await plain.close();
    await Deno.remove(dir, { recursive: true });
  }
});
