/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Receipts tab: a tenant's receipt chain (its first 1,000 receipts) drawn as linked blocks,
 * verified in this browser with the hall's public receipt keys (the hall's own verdict beside
 * it), a break marked on the block where it is.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import { type ChainReport, parseTrustedKeys, verifyReceiptChain } from "../../../mod.ts";
import { ChainBlocks } from "../chain_blocks.tsx";
import { errorText } from "../errors.ts";
import { act, chains, client, exportChain } from "./state.ts";
import { Badge, Select } from "../ui.tsx";

const chosen = signal("");
const loaded = signal<
  { tenant: string; receipts: Record<string, unknown>[]; report: ChainReport } | null
>(null);
const problem = signal<string | null>(null);
const busy = signal(false);

/** Fetch a tenant's chain and the hall's keys, and verify it here. */
export async function loadChain(tenant: string): Promise<void> {
  busy.value = true;
  problem.value = null;
  try {
    const c = client();
    const [list, keys] = await Promise.all([
      c.receipts({ tenant_id: tenant, limit: 1000 }),
      c.receiptKeys(),
    ]);
    const receipts = (list as unknown as Record<string, unknown>[])
      .sort((a, b) => Number(a.seq) - Number(b.seq));
    const report = await verifyReceiptChain(receipts, { keys: parseTrustedKeys(keys) });
    loaded.value = { tenant, receipts, report };
  } catch (e) {
    problem.value = errorText(e);
  } finally {
    busy.value = false;
  }
}

/** The Receipts tab. */
export function ChainTab(): JSX.Element {
  const tenants = chains.value?.tenants ?? [];
  const tenant = chosen.value || tenants[0]?.tenant_id || "";
  const hall = tenants.find((t) => t.tenant_id === loaded.value?.tenant);
  const l = loaded.value;
  return (
    <section class="card" aria-labelledby="h-chain">
      <h2 id="h-chain">Receipt chain</h2>
      {tenants.length === 0 ? <p class="muted">No receipts yet.</p> : (
        <div class="toolbar">
          <Select
            id="chain-tenant"
            label="Tenant"
            value={tenant}
            options={tenants.map((t) => t.tenant_id)}
            onChange={(v) => (chosen.value = v)}
          />
          <button
            type="button"
            class="primary"
            id="chain-load"
            disabled={busy.value}
            onClick={() => loadChain(tenant)}
          >
            {busy.value ? "Verifying…" : "Draw and verify"}
          </button>
          <button
            type="button"
            onClick={() => act(`Export ${tenant}`, () => exportChain(tenant))}
          >
            Export for independent verification
          </button>
        </div>
      )}
      {problem.value && <p class="error" role="alert">{problem.value}</p>}
      {l && (
        <>
          <p id="chain-verdict" aria-live="polite">
            Verified here with the hall's public keys:{" "}
            <Badge kind={l.report.ok ? "valid" : "invalid"}>
              {l.report.ok ? "CHAIN VALID" : "CHAIN BROKEN"}
            </Badge>{" "}
            {l.report.count} receipts of <code>{l.tenant}</code>
            {!l.report.ok && l.report.breaks[0] &&
              `, first break at receipt ${l.report.breaks[0].index} (${l.report.breaks[0].kind})`}
            {hall && (
              <>
                ; the hall says{" "}
                <Badge kind={hall.ok ? "valid" : "invalid"}>{hall.ok ? "valid" : "broken"}</Badge>
              </>
            )}
          </p>
          <ChainBlocks
            id="chain-blocks"
            label={`Receipt chain of ${l.tenant}`}
            receipts={l.receipts}
            breaks={l.report.breaks}
          />
        </>
      )}
    </section>
  );
}
