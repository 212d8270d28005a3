// The five-worker pipeline of spec section 9 (worker chains), with the chain's blast total capped:
//
//   deno run --allow-net=127.0.0.1 examples/pipeline/main.ts
//
// Five HTTP workers (fetch -> extract -> summarize -> translate -> publish) are served on
// 127.0.0.1; each one, when the hall calls it, does its step and asks the hall for the next one,
// passing its own decision id as parent_decision_id. The hall adds each worker's five-dimension
// blast score to its parents' (the chain total) and compares it with the rule's cap for the
// environment (max_blast_by_env): the publish step (9 points on its own, under the cap) would
// bring the chain to 22 > 15, so it is denied with DENY_BLAST_OVER_CAP and the chain stops there.
// With --hold the publish rule sets escalation.hold_over_cap, so it waits for a human instead.
// --json prints the steps as JSON.

import type { BlastRadius, DispatchResponse } from "../../mod.ts";
import { blastDimensionsScore, HallClient } from "../../mod.ts";
import { startExampleHall } from "../_hall.ts";

const CAP = 15; // max chain total in dev

interface Stage {
  capability: string;
  species: string;
  worker: string;
  blast: BlastRadius;
  work: (text: string) => string;
}

const STAGES: Stage[] = [
  {
    capability: "cap.pipe.fetch",
    species: "wrk.pipe.fetcher",
    worker: "org.example.fetch.1",
    blast: { data: 1, network: 2, financial: 0, time: 0, reversibility: "reversible" },
    work: () => "WCP routes capability requests. Workers do the work. The hall keeps receipts.",
  },
  {
    capability: "cap.pipe.extract",
    species: "wrk.pipe.extractor",
    worker: "org.example.extract.1",
    blast: { data: 2, network: 0, financial: 0, time: 1, reversibility: "reversible" },
    work: (t) => t.split(". ").map((s) => s.replace(/\.$/, "")).join("\n"),
  },
  {
    capability: "cap.pipe.summarize",
    species: "wrk.pipe.summarizer",
    worker: "org.example.summarize.1",
    blast: { data: 2, network: 0, financial: 0, time: 1, reversibility: "reversible" },
    work: (t) => t.split("\n")[0],
  },
  {
    capability: "cap.pipe.translate",
    species: "wrk.pipe.translator",
    worker: "org.example.translate.1",
    blast: { data: 1, network: 0, financial: 0, time: 1, reversibility: "partially-reversible" },
    work: (t) => `[fr] ${t}`,
  },
  {
    capability: "cap.pipe.publish",
    species: "wrk.pipe.publisher",
    worker: "org.example.publish.1",
    blast: { data: 1, network: 3, financial: 0, time: 0, reversibility: "irreversible" },
    work: (t) => `published: ${t}`,
  },
];

const hold = Deno.args.includes("--hold");
const json = Deno.args.includes("--json");

const rules = {
  rules: STAGES.map((s, i) => ({
    rule_id: `pipeline.${i + 1}.${s.capability.split(".").at(-1)}`,
    match: { capability_id: s.capability, env: { in: ["dev"] } },
    decision: {
      candidate_workers_ranked: [{ worker_species_id: s.species }],
      max_blast_by_env: { dev: CAP },
      ...(hold && i === STAGES.length - 1 ? { escalation: { hold_over_cap: true } } : {}),
    },
  })),
};

/** One step as the driver reports it. */
interface Step {
  step: number;
  capability_id: string;
  worker_id: string | null;
  own_score: number | null;
  chain_total: number | null;
  outcome: string;
  deny_code: string | null;
  output: string | null;
}

function input(capability: string, text: string, parent: string | null, correlation: string) {
  return {
    correlation_id: correlation,
    tenant_id: "acme",
    env: "dev",
    data_label: "INTERNAL",
    tenant_risk: "low",
    qos_class: "P2",
    capability_id: capability,
    request: { text },
    ...(parent ? { parent_decision_id: parent } : {}),
  };
}

const hall = await startExampleHall({ rules });
const servers: Deno.HttpServer[] = [];
try {
  const client = new HallClient({ baseUrl: hall.url, token: hall.token, timeoutMs: 30_000 });
  // Each stage is an HTTP worker: do the step, then ask the hall for the next one.
  for (const [i, s] of STAGES.entries()) {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const call = await req.json();
        const output = s.work(String(call.request.text ?? ""));
        const next = STAGES[i + 1];
        const downstream: DispatchResponse | null = next
          ? await client.dispatch(
            input(next.capability, output, call.decision_id, call.correlation_id),
          )
          : null;
        return Response.json({ output, downstream });
      },
    );
    servers.push(server);
    await hall.client.enroll({
      worker_id: s.worker,
      worker_species_id: s.species,
      capabilities: [s.capability],
      risk_tier: "low",
      allowed_environments: ["dev"],
      blast_radius: s.blast,
      endpoint: `http://127.0.0.1:${server.addr.port}/`,
    });
  }
  const first = await client.dispatch(
    input(STAGES[0].capability, "", null, crypto.randomUUID()),
  );
  // Walk the nested answers: each worker's result carries the next step's dispatch answer.
  const steps: Step[] = [];
  let at: DispatchResponse | null = first;
  while (at) {
    const d = at.decision;
    const result = (at.result ?? null) as { output?: string; downstream?: DispatchResponse } | null;
    // A denied step selected no worker: its figures are the declared score and what the chain
    // total would have been (the hall compared exactly that with the cap).
    const declared = blastDimensionsScore(STAGES[steps.length].blast);
    const before = steps.at(-1)?.chain_total ?? 0;
    steps.push({
      step: steps.length + 1,
      capability_id: d.capability_id ?? STAGES[steps.length].capability,
      worker_id: d.selected_worker_id,
      own_score: d.blast_dimensions_score ?? d.escalation_context?.blast_dimensions_score ??
        declared,
      chain_total: d.chain_blast_score ?? d.escalation_context?.chain_blast_score ??
        (declared === null ? null : before + declared),
      outcome: d.outcome,
      deny_code: d.deny_reason_if_denied?.code ?? null,
      output: result?.output ?? null,
    });
    at = result?.downstream ?? null;
  }
  const receipts = await hall.client.receipts({ tenant_id: "acme" });
  const chain = await hall.client.verifyChain("acme");
  if (json) {
    console.log(JSON.stringify({ cap: CAP, steps, receipts: receipts.length, chain_ok: chain.ok }));
  } else {
    console.log(`hall ${hall.url}; cap on the chain total in dev: ${CAP}`);
    for (const s of steps) {
      console.log(
        `${s.step}. ${s.capability_id.padEnd(20)} ${String(s.worker_id ?? "-").padEnd(24)} own ${
          String(s.own_score ?? "-").padStart(2)
        }  chain ${String(s.chain_total ?? "-").padStart(2)}  ${s.outcome}${
          s.deny_code ? ` ${s.deny_code}` : ""
        }${s.output ? `  -> ${JSON.stringify(s.output)}` : ""}`,
      );
    }
    console.log(
      `${receipts.length} receipts (one per executed step), chain ${
        chain.ok ? "verifies" : "BROKEN"
      }`,
    );
  }
  const last = steps.at(-1)!;
  const stopped = steps.length === STAGES.length &&
    (hold ? last.outcome === "STEWARD_HOLD" : last.deny_code === "DENY_BLAST_OVER_CAP");
  Deno.exitCode = stopped && chain.ok ? 0 : 1;
} finally {
  for (const s of servers) await s.shutdown();
  await hall.stop();
}
