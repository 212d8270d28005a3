/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The policy gate table editor: add, edit, reorder and remove rows.
 *
 * @module
 */

import type { JSX } from "preact";
import { GATE_FIELDS, GATE_POLICY_VERSION, type GateRow, toHallGate } from "../gate.ts";
import { JsonView } from "../ui.tsx";
import { gateRows } from "../state.ts";

/** The table editor. */
export function GateTable(): JSX.Element {
  const rows = gateRows.value;
  const update = (i: number, patch: Partial<GateRow>) => {
    gateRows.value = rows.map((r, j) => (j === i ? { ...r, ...patch } : r));
  };
  const move = (i: number, d: number) => {
    const next = rows.slice();
    const [r] = next.splice(i, 1);
    next.splice(i + d, 0, r);
    gateRows.value = next;
  };
  return (
    <div class="gate">
      <p class="hint">
        Consulted only when the matched rule sets{" "}
        <code>escalation.policy_gate</code>. First matching row wins; <code>*</code>{" "}
        matches anything; no match denies. Policy version <code>{GATE_POLICY_VERSION}</code>.
      </p>
      <div class="table-scroll" tabIndex={0} aria-label="Policy gate rows">
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              {GATE_FIELDS.map((f) => <th scope="col" key={f}>{f}</th>)}
              <th scope="col">decision</th>
              <th scope="col">reason</th>
              <th scope="col">
                <span class="sr-only">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                <td>{i + 1}</td>
                {GATE_FIELDS.map((f) => (
                  <td key={f}>
                    <input
                      aria-label={`row ${i + 1} ${f}`}
                      value={r[f]}
                      spellcheck={false}
                      onInput={(e) =>
                        update(i, { [f]: (e.currentTarget as HTMLInputElement).value })}
                    />
                  </td>
                ))}
                <td>
                  <select
                    aria-label={`row ${i + 1} decision`}
                    value={r.decision}
                    onChange={(e) =>
                      update(i, {
                        decision: (e.currentTarget as HTMLSelectElement)
                          .value as GateRow["decision"],
                      })}
                  >
                    <option>ALLOW</option>
                    <option>DENY</option>
                    <option>REQUIRE_HUMAN</option>
                  </select>
                </td>
                <td>
                  <input
                    aria-label={`row ${i + 1} reason`}
                    value={r.reason}
                    onInput={(e) =>
                      update(i, { reason: (e.currentTarget as HTMLInputElement).value })}
                  />
                </td>
                <td class="row-actions">
                  <button
                    type="button"
                    aria-label={`move row ${i + 1} up`}
                    disabled={i === 0}
                    onClick={() => move(i, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    aria-label={`move row ${i + 1} down`}
                    disabled={i === rows.length - 1}
                    onClick={() => move(i, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    aria-label={`remove row ${i + 1}`}
                    onClick={() => (gateRows.value = rows.filter((_, j) => j !== i))}
                  >
                    ✕
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button
        type="button"
        onClick={() => (gateRows.value = [...rows, {
          capability_id: "*",
          env: "*",
          data_label: "*",
          tenant_risk: "*",
          decision: "ALLOW",
          reason: "",
        }])}
      >
        Add gate row
      </button>
      <details>
        <summary>As a hall's policy gate</summary>
        <p class="hint">
          Paste it as <code>policy_gate</code> in the hall's <code>hall.json</code>.
        </p>
        <JsonView value={toHallGate(rows)} label="policy gate for hall.json" id="hall-gate" />
      </details>
    </div>
  );
}
