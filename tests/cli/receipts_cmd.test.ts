import assert from "node:assert/strict";
import { exportKeyFile, generateSigningKey, mintReceipt, type Receipt } from "../../mod.ts";
import { tempDir, wcp } from "./_run.ts";

async function chain(n: number): Promise<{ dir: string; receipts: Receipt[] }> {
  const key = await generateSigningKey();
  const receipts: Receipt[] = [];
  for (let i = 0; i < n; i++) {
    receipts.push(
      await mintReceipt(receipts.at(-1) ?? null, {
        tenant_id: "acme",
        correlation_id: `c-${i}`,
        dispatched_at: "2026-12-01T20:00:00.000Z",
        worker_id: "org.acme.summarizer.1",
        capability_id: "cap.doc.summarize",
        policy_decision: "ALLOW",
        controls_verified: [],
        artifact_hash: "sha256:" + "0".repeat(64),
      }, key),
    );
  }
  const dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/pub.json`,
    JSON.stringify(await exportKeyFile(key, { includePrivate: false })),
  );
  await Deno.writeTextFile(
    `${dir}/chain.jsonl`,
    receipts.map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
  return { dir, receipts };
}

Deno.test("receipts verify: an intact chain exits 0 (JSON Lines, array and {receipts} forms)", async () => {
  const { dir, receipts } = await chain(5);
  const r = await wcp(["receipts", "verify", `${dir}/chain.jsonl`, "--key", `${dir}/pub.json`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`^ok 5 receipts, head ${receipts[4].receipt_hash}`));
  await Deno.writeTextFile(`${dir}/arr.json`, JSON.stringify({ receipts }));
  const j = await wcp([
    "receipts",
    "verify",
    `${dir}/arr.json`,
    "--key",
    `${dir}/pub.json`,
    "--json",
  ]);
  assert.equal(j.code, 0);
  assert.equal((j.json() as { count: number }).count, 5);
});

Deno.test("receipts verify: long chains; every break is found and located, a swap is a reordering", async () => {
  const { dir, receipts } = await chain(1203);
  const ok = await wcp([
    "receipts",
    "verify",
    `${dir}/chain.jsonl`,
    "--key",
    `${dir}/pub.json`,
    "--json",
  ]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.equal((ok.json() as { count: number }).count, 1203);
  assert.equal(ok.stderr, ""); // the progress bar is drawn only on a terminal
  const cut = [...receipts.slice(0, 700), ...receipts.slice(701)];
  await Deno.writeTextFile(`${dir}/cut.jsonl`, cut.map((r) => JSON.stringify(r)).join("\n"));
  const bad = await wcp([
    "receipts",
    "verify",
    `${dir}/cut.jsonl`,
    "--key",
    `${dir}/pub.json`,
    "--json",
  ]);
  assert.equal(bad.code, 1);
  const report = bad.json() as {
    ok: boolean;
    breaks: { index: number; kind: string }[];
    event: { index: number; kind: string };
  };
  assert.equal(report.ok, false);
  assert.equal(report.breaks[0].index, 700);
  assert.equal(report.breaks[0].kind, "missing_link");
  // The sev1 event points at the same absolute position as the break.
  assert.equal(report.event.index, 700);
  // Two receipts swapped anywhere in a long log are a reordering, located at the swap.
  const swapped = [...receipts];
  [swapped[499], swapped[500]] = [swapped[500], swapped[499]];
  await Deno.writeTextFile(`${dir}/swap.jsonl`, swapped.map((r) => JSON.stringify(r)).join("\n"));
  const sw = await wcp(["receipts", "verify", `${dir}/swap.jsonl`, "--key", `${dir}/pub.json`]);
  assert.equal(sw.code, 1);
  assert.match(sw.stdout, /^BROKEN at receipt 499 \(.+\): reordered/);
  // Breaks after the first are all listed, not only those before it.
  const two = receipts.map((r, i) =>
    i === 100 || i === 1100 ? { ...r, capability_id: "cap.x.y" } : r
  );
  await Deno.writeTextFile(`${dir}/two.jsonl`, two.map((r) => JSON.stringify(r)).join("\n"));
  const t = await wcp([
    "receipts",
    "verify",
    `${dir}/two.jsonl`,
    "--key",
    `${dir}/pub.json`,
    "--json",
  ]);
  const tr = t.json() as { count: number; breaks: { index: number; kind: string }[] };
  assert.equal(tr.count, 1203);
  assert.deepEqual(
    tr.breaks.filter((b) => b.kind === "hash_mismatch").map((b) => b.index),
    [100, 1100],
  );
});

Deno.test("receipts verify: a tampered receipt exits 1 naming the break; bad input exits 2", async () => {
  const { dir, receipts } = await chain(3);
  const tampered = receipts.map((r, i) => i === 1 ? { ...r, worker_id: "org.evil.w.1" } : r);
  await Deno.writeTextFile(`${dir}/t.jsonl`, tampered.map((r) => JSON.stringify(r)).join("\n"));
  const r = await wcp(["receipts", "verify", `${dir}/t.jsonl`, "--key", `${dir}/pub.json`]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^BROKEN at receipt 1 \(.+\): hash_mismatch/);
  const other = await chain(1);
  const wrongKey = await wcp([
    "receipts",
    "verify",
    `${dir}/chain.jsonl`,
    "--key",
    `${other.dir}/pub.json`,
  ]);
  assert.equal(wrongKey.code, 1);
  await Deno.writeTextFile(`${dir}/junk.jsonl`, "{}\nnot json\n");
  for (
    const [a, want] of [
      [["receipts", "verify", `${dir}/chain.jsonl`], "--key is required"],
      [
        ["receipts", "verify", `${dir}/junk.jsonl`, "--key", `${dir}/pub.json`],
        "line 2 is not JSON",
      ],
      [["receipts", "verify", `${dir}/none.jsonl`, "--key", `${dir}/pub.json`], "file not found"],
      [["receipts", "verify", `${dir}/chain.jsonl`, "--key", `${dir}/chain.jsonl`], "--key"],
    ] as [string[], string][]
  ) {
    const b = await wcp(a);
    assert.equal(b.code, 2, `${a.join(" ")}: ${b.stderr}`);
    assert.ok(b.stderr.includes(want), b.stderr);
  }
});
