// The hello demo both hello workers share: a hall (examples/_hall.ts), the worker's record enrolled
// with its endpoint, a rule for cap.hello.greet, one governed dispatch, one request the rules deny,
// and the receipt chain verified offline with the hall's public key.

import { parseTrustedKeys, verifyReceiptChain } from "../mod.ts";
import { startExampleHall } from "./_hall.ts";

const RULES = {
  rules: [{
    rule_id: "hello.greet.dev",
    match: {
      capability_id: "cap.hello.greet",
      env: { in: ["dev"] },
      data_label: { in: ["PUBLIC", "INTERNAL"] },
    },
    decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.hello.greeter" }] },
  }],
};

/** What the demo saw (printed, or as JSON with --json). */
export interface HelloSummary {
  worker_id: string;
  outcome: string;
  result: unknown;
  receipt_id: string | null;
  denied_code: string | null;
  chain_ok: boolean;
}

function request(over: Record<string, unknown>): Record<string, unknown> {
  return {
    correlation_id: crypto.randomUUID(),
    tenant_id: "acme",
    env: "dev",
    data_label: "INTERNAL",
    tenant_risk: "low",
    qos_class: "P2",
    capability_id: "cap.hello.greet",
    request: { name: "Ada" },
    ...over,
  };
}

/** Run the demo against the worker listening at `endpoint`; prints unless `quiet`. */
export async function runHelloDemo(
  baseRecord: Record<string, unknown>,
  endpoint: string,
  quiet: boolean,
): Promise<HelloSummary> {
  const say = (line: string) => quiet || console.log(line);
  const record = { ...baseRecord, endpoint };
  const hall = await startExampleHall({ rules: RULES });
  try {
    say(`hall      ${hall.url}`);
    const w = await hall.client.enroll(record);
    say(`enrolled  ${w.worker_id} -> ${endpoint} (${w.record.artifact_hash})`);
    const out = await hall.client.dispatch(request({}));
    say(`dispatch  ${out.decision.outcome} by ${out.decision.selected_worker_id}`);
    say(`result    ${JSON.stringify(out.result)}`);
    say(`receipt   ${out.receipt?.receipt_id} ${out.receipt?.receipt_hash}`);
    const denied = await hall.client.dispatch(request({ data_label: "RESTRICTED" }));
    const code = denied.decision.deny_reason_if_denied?.code ?? null;
    say(`restricted data: ${denied.decision.outcome} ${code} (no rule allows it: fail closed)`);
    // Offline check, trusting only the hall's public key.
    const keys = parseTrustedKeys(await hall.client.receiptKeys());
    const chain = await verifyReceiptChain(await hall.client.receipts({ tenant_id: "acme" }), {
      keys,
    });
    say(`receipts  ${chain.ok ? "chain verifies" : "BROKEN"} (${chain.count} receipt)`);
    return {
      worker_id: w.worker_id,
      outcome: out.decision.outcome,
      result: out.result ?? null,
      receipt_id: out.receipt?.receipt_id ?? null,
      denied_code: code,
      chain_ok: chain.ok,
    };
  } finally {
    await hall.stop();
  }
}
