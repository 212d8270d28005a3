/**
 * Package hashing speed against `sha256sum` on the same files, in one run.
 *
 *   deno run --allow-read=/tmp --allow-write=/tmp --allow-run=sha256sum scripts/hash_ratio.ts [MB] [files]
 *
 * Generates a package of MB megabytes (default 200) in a temp dir under /tmp (the only path the
 * `bench:hash` task may read and write), warms the page cache, then
 * times `sha256sum <all files>` and `hashPackageDir(root)` alternately (best of 5 each) and
 * prints both throughputs and the ratio (ours / sha256sum; >= 0.8 is the target).
 *
 * @module
 */

import { hashPackageDir } from "../src/adapters/fs.ts";

const mb = Number(Deno.args[0] ?? 200);
const fileCount = Number(Deno.args[1] ?? 50);
const rounds = 5;
const root = await Deno.makeTempDir({ dir: "/tmp", prefix: "wcp-hash-ratio-" });

try {
  const perFile = Math.floor((mb * 1024 * 1024) / fileCount);
  const block = new Uint8Array(1 << 20);
  const paths: string[] = [];
  for (let i = 0; i < fileCount; i++) {
    const dir = `${root}/code/mod${i % 5}`;
    await Deno.mkdir(dir, { recursive: true });
    const path = `${dir}/part-${i}.bin`;
    const f = await Deno.open(path, { write: true, create: true });
    for (let left = perFile; left > 0;) {
      for (let o = 0; o < block.length; o += 65536) {
        crypto.getRandomValues(block.subarray(o, o + 65536));
      }
      const n = Math.min(left, block.length);
      await f.write(block.subarray(0, n));
      left -= n;
    }
    f.close();
    paths.push(path);
  }
  const totalBytes = perFile * fileCount;

  const runSha256sum = async (): Promise<number> => {
    const t0 = performance.now();
    const out = await new Deno.Command("sha256sum", { args: paths, stdout: "null" }).output();
    if (!out.success) throw new Error("sha256sum failed");
    return performance.now() - t0;
  };
  const runOurs = async (concurrency = 2): Promise<number> => {
    const t0 = performance.now();
    const r = await hashPackageDir(root, { concurrency });
    if (r.files.length !== fileCount) throw new Error("unexpected file count");
    return performance.now() - t0;
  };

  await runSha256sum(); // warm the page cache for both
  await runOurs();
  let best = { sum: Infinity, ours: Infinity, one: Infinity };
  for (let i = 0; i < rounds; i++) {
    best = {
      sum: Math.min(best.sum, await runSha256sum()),
      ours: Math.min(best.ours, await runOurs()),
      one: Math.min(best.one, await runOurs(1)),
    };
  }
  const mbps = (ms: number) => (totalBytes / (1024 * 1024)) / (ms / 1000);
  console.log(`package: ${fileCount} files, ${(totalBytes / 1048576).toFixed(0)} MiB`);
  console.log(`sha256sum:       ${best.sum.toFixed(0)} ms  (${mbps(best.sum).toFixed(0)} MiB/s)`);
  console.log(`hashPackageDir:  ${best.ours.toFixed(0)} ms  (${mbps(best.ours).toFixed(0)} MiB/s)`);
  console.log(
    `  (one read in flight: ${best.one.toFixed(0)} ms, ${mbps(best.one).toFixed(0)} MiB/s)`,
  );
  console.log(`ratio (ours / sha256sum throughput): ${(best.sum / best.ours).toFixed(2)}`);
} finally {
  await Deno.remove(root, { recursive: true });
}
