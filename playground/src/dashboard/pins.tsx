/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Gateway pins tab: the tool definitions of the MCP servers governed at `/mcp` (hall.json
 * `gateway`) that changed or are new since they were pinned (a "rug pull" until a human says
 * otherwise): each with its diff (`-` pinned, `+` now listed by the server) and, for an admin, an
 * Accept button (the acceptance is receipted in the chain `wcp-gateway.pins`; the tool is
 * served again). Until then the tool is withheld and its calls refused
 * (`TOOL_DEFINITION_CHANGED`).
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { actionMessage, hallUrl, isAdmin, refresh, token } from "./state.ts";
import { Badge, TextInput } from "../ui.tsx";

interface PendingPin {
  key: string;
  server: string;
  tool: string;
  hash: string;
  previous_hash: string | null;
  seen_at: string;
  diff: string;
}
interface PinRow {
  key: string;
  hash: string;
  pinned_at: string;
  how: string;
  accepted_by: string | null;
  receipt_id: string | null;
}

const view = signal<{ pending: PendingPin[]; pins: PinRow[] } | null>(null);
const problem = signal<string | null>(null);
const pinNotes = signal<Record<string, string>>({});

async function call(path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(`${hallUrl.value}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token.value}`,
      ...(init.body ? { "content-type": "application/json" } : {}),
    },
  });
  const body = await res.json().catch(() => null) as
    | { error?: { code: string; message: string } }
    | null;
  if (!res.ok) {
    const e = body?.error;
    throw new Error(e ? `${e.code}: ${e.message}` : `HTTP ${res.status}`);
  }
  return body;
}

/** Re-read the pins. */
export async function loadPins(): Promise<void> {
  try {
    view.value = await call("/wcp/gateway/pins") as typeof view.value;
    problem.value = null;
  } catch (e) {
    view.value = null;
    problem.value = (e as Error).message;
  }
}

async function accept(p: PendingPin): Promise<void> {
  actionMessage.value = `Accept the new definition of ${p.key}…`;
  try {
    const note = pinNotes.value[p.key]?.trim();
    const out = await call(`/wcp/gateway/pins/${encodeURIComponent(p.key)}/accept`, {
      method: "POST",
      body: JSON.stringify({ hash: p.hash, ...(note ? { note } : {}) }),
    }) as { receipt: { receipt_id: string; seq: number } };
    actionMessage.value = `Accepted ${p.key}: receipt ${out.receipt.receipt_id} (seq ` +
      `${out.receipt.seq} of wcp-gateway.pins); the tool is served again.`;
  } catch (e) {
    actionMessage.value = `Accept ${p.key} failed: ${(e as Error).message}`;
  }
  // The accept wrote a receipt: the counters and the chains' status change too.
  await Promise.all([loadPins(), refresh()]);
}

function DiffView(props: { diff: string; id: string }): JSX.Element {
  return (
    <pre class="json pin-diff" id={props.id} aria-label="definition diff">
      {props.diff.split("\n").map((line, i) => (
        <span
          key={i}
          class={line.startsWith("+") ? "diff-add" : line.startsWith("-") ? "diff-del" : ""}
        >
          {line + "\n"}
        </span>
      ))}
    </pre>
  );
}

/** The Gateway pins tab. */
export function PinsTab(): JSX.Element {
  useEffect(() => {
    loadPins();
  }, [token.value]);
  const v = view.value;
  return (
    <div class="col">
      <section class="card" aria-labelledby="h-pins-pending">
        <h2 id="h-pins-pending">Changed tool definitions</h2>
        <p class="muted">
          An upstream MCP server listed a tool whose definition is not the pinned one: it is
          withheld from <code>tools/list</code>{" "}
          and its calls are refused (<code>TOOL_DEFINITION_CHANGED</code>) until an approver accepts
          the change.
        </p>
        {problem.value && <p class="warning" id="pins-problem">{problem.value}</p>}
        {v && v.pending.length === 0 && <p id="pins-none">No pending changes.</p>}
        {v?.pending.map((p) => (
          <article class="card pin" key={p.key} data-pin={p.key}>
            <h3>
              <code>{p.key}</code>{" "}
              <Badge kind="pending">{p.previous_hash ? "changed" : "new"}</Badge>
            </h3>
            <p class="muted">
              seen {p.seen_at}; now <code>{p.hash.slice(0, 19)}…</code>
              {p.previous_hash && (
                <>
                  , pinned <code>{p.previous_hash.slice(0, 19)}…</code>
                </>
              )}
            </p>
            <DiffView diff={p.diff} id={`diff-${p.key}`} />
            {isAdmin.value && (
              <>
                <TextInput
                  id={`pin-note-${p.key}`}
                  label="Note"
                  value={pinNotes.value[p.key] ?? ""}
                  onInput={(x) => (pinNotes.value = { ...pinNotes.value, [p.key]: x })}
                />
                <div class="toolbar">
                  <button
                    type="button"
                    class="primary"
                    data-action="accept-pin"
                    onClick={() => accept(p)}
                  >
                    Accept the new definition
                  </button>
                </div>
              </>
            )}
          </article>
        ))}
      </section>
      <section class="card" aria-labelledby="h-pins">
        <h2 id="h-pins">Pinned definitions</h2>
        {v && (
          <table id="pins-table">
            <thead>
              <tr>
                <th>Tool</th>
                <th>Hash</th>
                <th>Pinned</th>
                <th>How</th>
                <th>Receipt</th>
              </tr>
            </thead>
            <tbody>
              {v.pins.map((p) => (
                <tr key={p.key} data-pinned={p.key}>
                  <td>
                    <code>{p.key}</code>
                  </td>
                  <td>
                    <code>{p.hash.slice(0, 19)}…</code>
                  </td>
                  <td>{p.pinned_at}</td>
                  <td>{p.how === "accepted" ? `accepted by ${p.accepted_by}` : "first sight"}</td>
                  <td>{p.receipt_id ? <code>{p.receipt_id}</code> : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
