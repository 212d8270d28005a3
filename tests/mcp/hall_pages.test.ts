// The MCP hall backend lists pending approvals as one page of the hall's (issue 14 item 2): one
// bounded request, however many holds the hall has.
import assert from "node:assert/strict";
import { HallApprovals, MCP_PENDING_PAGE } from "../../mcp/hall_backend.ts";

Deno.test("mcp hall backend: pending approvals are one page of whole rows", async () => {
  const asked: unknown[] = [];
  const approvals = new HallApprovals({
    pendingApprovals: () => Promise.reject(new Error("must not read every page")),
    page: (list, query) => {
      asked.push({ list, ...query });
      return Promise.resolve({
        items: [{ approval_id: "ap-1", status: "pending", tenant_id: "acme" }],
        next_cursor: "more",
      });
    },
    resolveApproval: () => Promise.reject(new Error("unused")),
    escalateApproval: () => Promise.reject(new Error("unused")),
  });
  const list = await approvals.listPending();
  assert.deepEqual(list.map((a) => a.approval_id), ["ap-1"]);
  assert.deepEqual(asked, [{ list: "approvals/pending", detail: "full", limit: MCP_PENDING_PAGE }]);
  assert.equal(MCP_PENDING_PAGE, 100);
});
