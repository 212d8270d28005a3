/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * A receipt chain drawn as linked blocks: each block shows its seq, capability and hashes, the
 * link to the block before it says whether `prev_receipt_hash` matches, and a block where the
 * verifier found a break is marked with the break's kind and message.
 *
 * @module
 */

import type { JSX } from "preact";
import type { ChainBreak } from "../../mod.ts";

const short = (h: unknown) => (typeof h === "string" ? h.replace(/^sha256:/, "").slice(0, 8) : "—");

/** The chain as blocks; `breaks` come from `verifyReceiptChain` (index into `receipts`). */
export function ChainBlocks(props: {
  receipts: readonly Record<string, unknown>[];
  breaks: readonly ChainBreak[];
  id?: string;
  label: string;
}): JSX.Element {
  const byIndex = new Map<number, ChainBreak[]>();
  for (const b of props.breaks) byIndex.set(b.index, [...(byIndex.get(b.index) ?? []), b]);
  const truncated = props.breaks.find((b) => b.kind === "truncated");
  return (
    <ol class="chain-blocks" id={props.id} aria-label={props.label}>
      {props.receipts.map((r, i) => {
        const here = byIndex.get(i) ?? [];
        const prev = i > 0 ? props.receipts[i - 1] : null;
        const linked = prev === null
          ? r.prev_receipt_hash === null || r.prev_receipt_hash === undefined
          : r.prev_receipt_hash === prev.receipt_hash;
        const broken = here.length > 0;
        return (
          <li
            key={i}
            class={`block${broken ? " block-broken" : ""}${linked ? "" : " link-broken"}`}
            data-index={i}
            data-broken={broken ? here[0].kind : undefined}
          >
            <span class="link" aria-hidden="true">{linked ? "⟵" : "✕"}</span>
            <span class="block-seq">#{String(r.seq ?? i)}</span>
            <span class="block-cap">{String(r.capability_id ?? "?")}</span>
            <span class="muted block-when">
              {String(r.dispatched_at ?? "").slice(11, 19)} {String(r.execution_status ?? "")}
            </span>
            <span class="hash">
              hash {short(r.receipt_hash)}
              <br />
              prev {short(r.prev_receipt_hash)}
              <span class="sr-only">
                {prev === null
                  ? (linked ? ", the first receipt" : ", the first receipt names a predecessor")
                  : linked
                  ? ", links to the receipt before"
                  : ", does not link to the receipt before"}
              </span>
            </span>
            {broken && (
              <span class="block-break" role="note">
                BREAK: {here.map((b) => `${b.kind}: ${b.message}`).join("; ")}
              </span>
            )}
          </li>
        );
      })}
      {truncated && (
        <li class="block block-broken" data-broken="truncated">
          <span class="block-break">BREAK: {truncated.message}</span>
        </li>
      )}
    </ol>
  );
}
