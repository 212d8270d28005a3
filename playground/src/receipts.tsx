/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Receipts panel: paste, load or generate a hash-chained receipt stream, verify it with the
 * trusted keys, and see which receipt breaks the chain and how.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import {
  type ChainReport,
  generateSigningKey,
  mintReceipt,
  parseTrustedKeys,
  type Receipt,
  type TrustedKey,
  verifyReceiptChain,
  verifyReceiptLog,
} from "../../mod.ts";
import { Badge, JsonView, TextArea } from "./ui.tsx";
import { errorText } from "./errors.ts";

const chainText = signal("");
const keysText = signal("[]");
const report = signal<ChainReport | null>(null);
const problem = signal<string | null>(null);

const CAPS = ["cap.doc.summarize", "cap.fin.initiate-payment", "cap.web.search"];

async function generateDemo(n = 6): Promise<void> {
  problem.value = null;
  const key = await generateSigningKey({ namespace: "org.acme" });
  const receipts: Receipt[] = [];
  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    const prev = receipts.at(-1) ?? null;
    receipts.push(
      await mintReceipt(
        prev,
        {
          tenant_id: "acme",
          correlation_id: crypto.randomUUID(),
          dispatched_at: new Date(t0 + i * 1000).toISOString(),
          worker_id: "org.acme.summarizer.1",
          capability_id: CAPS[i % CAPS.length],
          policy_decision: "ALLOW",
          controls_verified: ["ctrl.obs.audit-log-append-only"],
          artifact_hash: "sha256:" + (i.toString(16).padStart(2, "0")).repeat(32),
        },
        key,
        { now: t0 + i * 1000 },
      ),
    );
  }
  chainText.value = JSON.stringify(receipts, null, 2);
  const trusted: TrustedKey[] = [{ key_id: key.key_id, public_key: key.public_key }];
  keysText.value = JSON.stringify(trusted, null, 2);
  await verifyNow();
}

// The library's one key reader: a list of {key_id, public_key}, the hall's GET /wcp/receipts/key
// answer, a dashboard or `wcp receipts export` file, or a `wcp attest keygen` key file.
function parseKeys(): TrustedKey[] {
  return parseTrustedKeys(JSON.parse(keysText.value));
}

async function verifyNow(): Promise<void> {
  problem.value = null;
  report.value = null;
  try {
    const keys = parseKeys();
    const text = chainText.value.trim();
    if (!text) throw new Error("paste a receipt chain (JSON array or one receipt per line) first");
    report.value = text.startsWith("[")
      ? await verifyReceiptChain(JSON.parse(text), { keys })
      : await verifyReceiptLog(text, { keys });
  } catch (e) {
    problem.value = errorText(e);
  }
}

function receiptsArray(): Record<string, unknown>[] | null {
  try {
    const v = JSON.parse(chainText.value);
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function mutate(fn: (list: Record<string, unknown>[]) => void): void {
  const list = receiptsArray();
  if (!list || list.length < 3) {
    problem.value = "generate or paste a JSON array of at least 3 receipts first";
    return;
  }
  fn(list);
  chainText.value = JSON.stringify(list, null, 2);
  verifyNow();
}

async function loadFile(list: FileList | null): Promise<void> {
  const f = list?.[0];
  if (!f) return;
  const text = await f.text();
  // A dashboard export carries the receipts and the hall's public keys together.
  let bundle: { receipts?: unknown; keys?: unknown } | null = null;
  try {
    const v = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) bundle = v;
  } catch { /* JSONL or broken JSON: the verifier reports it */ }
  if (bundle && Array.isArray(bundle.receipts) && Array.isArray(bundle.keys)) {
    chainText.value = JSON.stringify(bundle.receipts, null, 2);
    keysText.value = JSON.stringify(bundle.keys, null, 2);
  } else {
    chainText.value = text;
  }
  await verifyNow();
}

function ReceiptTable(props: { broken: Set<number> }): JSX.Element | null {
  const list = receiptsArray();
  if (!list || list.length === 0) return null;
  return (
    <div class="table-scroll" tabIndex={0} aria-label="Receipts in the chain">
      <table id="receipt-table">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">seq</th>
            <th scope="col">capability</th>
            <th scope="col">receipt_hash</th>
            <th scope="col">status</th>
          </tr>
        </thead>
        <tbody>
          {list.map((r, i) => (
            <tr key={i} class={props.broken.has(i) ? "row-broken" : ""}>
              <td>{i}</td>
              <td>{String(r.seq ?? "")}</td>
              <td>
                <code>{String(r.capability_id ?? "")}</code>
              </td>
              <td class="hash">{String(r.receipt_hash ?? "").slice(0, 23)}…</td>
              <td>
                {props.broken.has(i)
                  ? <Badge kind="deny">broken</Badge>
                  : <Badge kind="ok">ok</Badge>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The Receipts panel. */
export function ReceiptsPanel(): JSX.Element {
  const r = report.value;
  const broken = new Set((r?.breaks ?? []).map((b) => b.index));
  return (
    <div class="two-col">
      <div class="col">
        <div class="toolbar">
          <button type="button" class="primary" id="gen-chain" onClick={() => generateDemo()}>
            Generate a demo chain
          </button>
          <button type="button" id="verify-chain" onClick={verifyNow}>Verify</button>
          <label class="file-pick">
            Load a file (JSON, JSONL or a dashboard export){" "}
            <input
              type="file"
              id="load-chain"
              accept=".json,.jsonl,application/json"
              onChange={(e) => loadFile((e.currentTarget as HTMLInputElement).files)}
            />
          </label>
        </div>
        <fieldset>
          <legend>Break it</legend>
          <div class="chips">
            <button
              type="button"
              id="tamper-field"
              onClick={() => mutate((l) => (l[2].capability_id = "cap.fs.delete"))}
            >
              Edit receipt 2
            </button>
            <button type="button" id="tamper-drop" onClick={() => mutate((l) => l.splice(2, 1))}>
              Remove receipt 2
            </button>
            <button
              type="button"
              id="tamper-swap"
              onClick={() => mutate((l) => ([l[1], l[2]] = [l[2], l[1]]))}
            >
              Swap receipts 1 and 2
            </button>
            <button
              type="button"
              id="tamper-sig"
              onClick={() =>
                mutate((l) => {
                  const s = String(l[1].signature ?? "");
                  l[1].signature = (s[0] === "0" ? "1" : "0") + s.slice(1);
                })}
            >
              Corrupt signature 1
            </button>
          </div>
        </fieldset>
        <TextArea
          id="chain"
          label="Receipt chain (JSON array, or JSONL: one receipt per line)"
          value={chainText.value}
          onInput={(v) => (chainText.value = v)}
          rows={16}
        />
        <TextArea
          id="trusted-keys"
          label="Trusted keys (a list of {key_id, public_key}, the hall's /wcp/receipts/key answer or a key file)"
          value={keysText.value}
          onInput={(v) => (keysText.value = v)}
          rows={5}
        />
      </div>
      <div class="col">
        <h2>Verification</h2>
        {problem.value && <p class="error" role="alert">{problem.value}</p>}
        <div aria-live="polite" id="chain-result">
          {r === null ? <p class="muted">Nothing verified yet.</p> : (
            <>
              <p>
                <Badge kind={r.ok ? "valid" : "invalid"}>
                  <span id="chain-status">{r.ok ? "CHAIN VALID" : "CHAIN BROKEN"}</span>
                </Badge>{" "}
                {r.count} receipts; head <span class="hash">{r.head_hash ?? "none"}</span>
              </p>
              {r.breaks.length > 0 && (
                <ol id="chain-breaks">
                  {r.breaks.map((b, i) => (
                    <li key={i}>
                      <strong>at receipt {b.index}</strong>{" "}
                      <code class="break-kind">{b.kind}</code>: {b.message}
                    </li>
                  ))}
                </ol>
              )}
              {r.event && (
                <details>
                  <summary>Integrity event ({r.event.severity})</summary>
                  <JsonView value={r.event} label="integrity event" />
                </details>
              )}
            </>
          )}
        </div>
        <ReceiptTable broken={broken} />
      </div>
    </div>
  );
}
