// Run by tests/packaging/npm_node.test.ts with Node 20 in a project that installed the packed npm
// build of @wcp/core: one decision, one receipt chain (intact and tampered), one Ed25519-signed
// attestation manifest (valid and for another package). Prints one JSON line of results.
import { makeDecision, parseRules, Registry } from "@wcp/core";
import { generateSigningKey, mintReceipt, verifyReceiptChain } from "@wcp/core/receipts";
import {
  buildManifest,
  packageHashFromContents,
  signManifestEd25519,
  verifyManifest,
} from "@wcp/core/attestation";
import { parseGateTable } from "@wcp/core/gates";

const registry = new Registry();
registry.enroll({
  worker_id: "org.acme.summarizer.1",
  worker_species_id: "wrk.doc.summarizer",
  capabilities: ["cap.doc.summarize"],
});
const rules = parseRules([{
  rule_id: "summarize",
  match: { capability_id: "cap.doc.summarize" },
  decision: { candidate_workers_ranked: [{ worker_species_id: "wrk.doc.summarizer" }] },
}]);
const input = {
  capability_id: "cap.doc.summarize",
  tenant_id: "acme",
  correlation_id: "node-1",
  env: "dev",
  data_label: "INTERNAL",
  tenant_risk: "low",
  qos_class: "P2",
  request: {},
};
const allowed = makeDecision(input, { rules, registry });
const denied = makeDecision({ ...input, capability_id: "cap.doc.unknown" }, { rules, registry });

const key = await generateSigningKey();
const fields = {
  tenant_id: "acme",
  correlation_id: "node-1",
  dispatched_at: "2026-01-01T00:00:00.000Z",
  worker_id: "org.acme.summarizer.1",
  capability_id: "cap.doc.summarize",
  policy_decision: "ALLOW",
  controls_verified: [],
  artifact_hash: "sha256:" + "0".repeat(64),
};
const a = await mintReceipt(null, fields, key);
const b = await mintReceipt(a, { ...fields, correlation_id: "node-2" }, key);
const c = await mintReceipt(b, { ...fields, correlation_id: "node-3" }, key);
const chain = await verifyReceiptChain([a, b, c], { keys: [key] });
const gap = await verifyReceiptChain([a, c], { keys: [key] });

const computed = packageHashFromContents({ "code/worker_logic.py": "def run(): pass\n" });
const manifest = await signManifestEd25519(
  buildManifest({
    packageHash: computed,
    workerId: "org.acme.summarizer.1",
    workerSpeciesId: "wrk.doc.summarizer",
    workerVersion: "1.0.0",
  }),
  key,
);
const check = (pkg) =>
  verifyManifest({
    manifest,
    computed: pkg,
    workerId: "org.acme.summarizer.1",
    workerSpeciesId: "wrk.doc.summarizer",
    mode: "ed25519",
    keys: [key],
  });
const attested = await check(computed);
const tampered = await check(packageHashFromContents({ "code/worker_logic.py": "evil()\n" }));

let gateError = null;
try {
  parseGateTable({ rows: "not a list" });
} catch (e) {
  gateError = e.code ?? e.name;
}

console.log(JSON.stringify({
  node: process.version,
  decision: { outcome: allowed.outcome, worker: allowed.selected_worker_id ?? null },
  denied: { outcome: denied.outcome, code: denied.deny_reason_if_denied?.code ?? null },
  chain: { ok: chain.ok, count: chain.count ?? null },
  gap: { ok: gap.ok, kind: gap.breaks?.[0]?.kind ?? null },
  attested: { ok: attested.ok },
  tampered: { ok: tampered.ok, code: tampered.code ?? tampered.deny_code ?? null },
  gateError,
}));
