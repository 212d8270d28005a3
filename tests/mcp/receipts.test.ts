// The MCP server's in-memory receipt book: linear per-tenant chains, bounded memory with an
// anchor, and verification of the kept segment.

import assert from "node:assert/strict";
import { ReceiptBook } from "../../mcp/receipts.ts";
import type { RouteDecision } from "../../src/model.ts";

function decision(tenant: string, i: number): RouteDecision {
  return {
    decision_id: `d-${tenant}-${i}`,
    tenant_id: tenant,
    correlation_id: `c-${i}`,
    capability_id: "cap.hello.greet",
    selected_worker_id: "org.demo.echo.1",
    required_controls_effective: [],
    request_hash: "sha256:" + "a".repeat(64),
  } as unknown as RouteDecision;
}

Deno.test("receipt book: bounded per tenant, the kept segment verifies from its anchor", async () => {
  const book = new ReceiptBook(Date.now, undefined, 5);
  for (let i = 0; i < 12; i++) await book.mint(decision("acme", i), { policy_decision: "ALLOW" });
  await book.mint(decision("globex", 0), { policy_decision: "ALLOW" });
  const chain = book.chain("acme");
  assert.ok(chain.length >= 5 && chain.length <= 6, `kept ${chain.length}`);
  assert.equal(chain[chain.length - 1].seq, 11, "sequence numbers keep counting");
  const anchor = book.anchor("acme")!;
  assert.equal(anchor.seq, chain[0].seq - 1);
  assert.equal(chain[0].prev_receipt_hash, anchor.receipt_hash);
  const ok = await book.verifyTenant("acme");
  assert.equal(ok.ok, true);
  assert.equal(ok.count, chain.length);
  assert.equal(book.anchor("globex"), null);
  assert.equal((await book.verifyTenant("globex")).ok, true);
  assert.equal(book.chain("globex")[0].prev_receipt_hash, null, "each tenant has its own chain");

  // Without the anchor the same segment does not verify as a whole chain.
  assert.equal((await book.verify([...chain])).ok, false);
  // Tampering with a kept receipt is detected.
  (chain[1] as unknown as Record<string, unknown>).worker_id = "org.evil.worker.1";
  const bad = await book.verifyTenant("acme");
  assert.equal(bad.ok, false);
  assert.equal(bad.breaks[0].index, 1);
});
