// Gateway approvals kept in <state>/approvals.json: a hold survives a restart, a person resolves
// it from outside the client (what `wcp gateway approvals approve` does), and the approved call
// runs once across two gateway processes on the same state.

import assert from "node:assert/strict";
import { GatewayApprovals, resolveInFile } from "../../mcp/gateway/approvals.ts";
import { Governor } from "../../mcp/governor.ts";
import { demoConfig } from "../../mcp/demo_config.ts";
import type { RouteInput } from "../../src/model.ts";

Deno.test("gateway approvals: file-kept holds survive a restart and run once across processes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-gw-appr-" });
  const path = `${dir}/approvals.json`;
  try {
    const a = new GatewayApprovals(Date.now, { path });
    const govA = new Governor(demoConfig(), { approvals: a });
    const input = govA.buildInput("cap.msg.notify", { channel: "#ops", text: "deploy" }, {}, null);
    assert.ok(!("code" in input));
    const held = await govA.dispatch(input as RouteInput, undefined, {
      requestedBy: { principal_id: "mcp-session:agent", label: "agent" },
    });
    assert.equal(held.error?.code, "STEWARD_HOLD");
    const id = held.approval!.approval_id;
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    // The requester cannot approve its own hold from the file either.
    assert.throws(
      () =>
        resolveInFile(
          path,
          id,
          "approve",
          { principal_id: "mcp-session:agent", label: "x" },
          undefined,
          Date.now(),
          900,
        ),
      /APPROVER_IS_REQUESTER|another person/,
    );
    // "Restart": a new store on the same file knows the hold.
    const b = new GatewayApprovals(Date.now, { path });
    assert.equal(b.get(id)?.status, "pending");
    assert.equal(b.requestHashOf(id), a.requestHashOf(id));
    resolveInFile(
      path,
      id,
      "approve",
      { principal_id: "cli:alice", label: "alice" },
      "ok",
      Date.now(),
      900,
    );
    const govB = new Governor(demoConfig(), { approvals: b });
    const ran = await govB.dispatch(input as RouteInput, id, {});
    assert.equal(ran.executed, true, JSON.stringify(ran.error));
    assert.equal(
      (ran.receipt as unknown as { approval: { note: string } }).approval.note,
      "ok",
    );
    // The first process may not run it again.
    const again = await govA.dispatch(input as RouteInput, id, {});
    assert.equal(again.error?.code, "APPROVAL_CONSUMED");
    assert.throws(
      () =>
        resolveInFile(
          path,
          id,
          "deny",
          { principal_id: "cli:bob", label: "bob" },
          undefined,
          Date.now(),
          900,
        ),
      /APPROVAL_NOT_PENDING|consumed/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
