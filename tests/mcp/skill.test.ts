// SKILL.md names only MCP tools this server has and `wcp` commands the CLI has.

import assert from "node:assert/strict";
import { connect, demoWith } from "./_helpers.ts";
import { toolsNamedIn } from "../../mcp/prompts.ts";
import { COMMANDS } from "../../src/cli/main.ts";

const SKILL = await Deno.readTextFile(new URL("../../SKILL.md", import.meta.url));

Deno.test("SKILL.md: front matter names the skill and says when to use it", () => {
  const m = /^---\nname: ([a-z0-9-]+)\ndescription: (.+)\n---\n/.exec(SKILL);
  assert.ok(m, "YAML front matter with name and description");
  assert.ok(m[2].length > 50);
});

Deno.test("SKILL.md: every MCP tool it names exists", async () => {
  // With allow_resolve: SKILL.md also describes the approval tools a supervisor session gets.
  const p = await connect(demoWith({ allow_resolve: true }));
  try {
    const tools = new Set((await p.client.listTools()).tools.map((t) => t.name));
    const prompts = new Set((await p.client.listPrompts()).prompts.map((x) => x.name));
    const named = toolsNamedIn(SKILL).filter((t) => !prompts.has(t));
    assert.ok(named.length >= 10, `names ${named.length} tools`);
    for (const t of named) assert.ok(tools.has(t), `SKILL.md names unknown tool ${t}`);
    for (const pr of ["wcp_find_and_run", "wcp_review_approvals", "wcp_audit_worker"]) {
      assert.ok(SKILL.includes(pr) && prompts.has(pr), pr);
    }
  } finally {
    await p.close();
  }
});

Deno.test("SKILL.md: every `wcp …` command it shows exists in the CLI", () => {
  const names = COMMANDS.map((c) => c.name);
  const used = [...SKILL.matchAll(/`wcp ([a-z-]+(?: [a-z-]+)?)/g)].map((m) => m[1]);
  assert.ok(used.length >= 10);
  for (const u of used) {
    assert.ok(
      names.includes(u) || names.includes(u.split(" ")[0]),
      `SKILL.md shows unknown command "wcp ${u}"`,
    );
  }
});
