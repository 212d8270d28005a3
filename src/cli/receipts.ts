// `wcp receipts verify`: check a receipt chain (JSON Lines or a JSON array) offline.

import { type KeyFile, verifyReceiptChain } from "../../mod.ts";
import { type Command, optList, optString, positionals } from "./_args.ts";
import { loadKeyFile } from "./_load.ts";
import { dim, EXIT, green, out, outJson, Progress, readTextFile, red, UsageError } from "./_io.ts";

/** Receipts from JSON Lines, a JSON array, or `{receipts: [...]}` (the hall's answer). */
function parseReceipts(text: string, path: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    try {
      const doc = JSON.parse(trimmed);
      if (Array.isArray(doc)) return doc;
      if (Array.isArray(doc?.receipts)) return doc.receipts;
      return [doc];
    } catch {
      // not one JSON value: fall through to JSON Lines
    }
  }
  return trimmed.split("\n").map((l, i) => {
    if (l.trim() === "") return undefined;
    try {
      return JSON.parse(l);
    } catch {
      throw new UsageError(`FILE: ${path} line ${i + 1} is not JSON`);
    }
  }).filter((x) => x !== undefined);
}

const verify: Command = {
  name: "receipts verify",
  summary: "Verify an evidence-receipt chain: hashes, links, order and Ed25519 signatures.",
  positionals: "FILE",
  options: {
    key: {
      type: "string",
      multiple: true,
      arg: "KEYFILE",
      help: "trusted receipt key file (public is enough; required)",
    },
    tenant: { type: "string", arg: "ID", help: "expected tenant (default: the first receipt's)" },
  },
  details:
    'FILE: JSON Lines (one receipt per line), a JSON array, or {"receipts": [...]}; - for stdin.\n' +
    "Exit status: 0 the chain verifies, 1 it is broken (the first break is printed), 2 bad input.",
  async run(ctx) {
    const [path] = positionals(ctx, ["FILE"]);
    const keyPaths = optList(ctx, "key");
    if (!keyPaths.length) {
      throw new UsageError("--key is required (the hall's receipt signing key)");
    }
    const keys: KeyFile[] = [];
    for (const p of keyPaths) keys.push(await loadKeyFile(p));
    const receipts = parseReceipts(await readTextFile(path, "FILE"), path);
    if (!receipts.length) throw new UsageError(`FILE: ${path} holds no receipts`);
    const tenant = optString(ctx, "tenant");
    // One pass over the whole log, so breaks, their kinds (a swap is "reordered" wherever it
    // is) and the integrity event are the library's, with progress every 256 receipts.
    const bar = new Progress("verifying", receipts.length);
    const report = await verifyReceiptChain(receipts, {
      keys,
      ...(tenant ? { tenantId: tenant } : {}),
      onProgress: (done) => bar.update(done),
    });
    bar.done();
    if (ctx.json) {
      outJson({ file: path, ...report });
    } else if (report.ok) {
      out(`${green("ok")} ${report.count} receipts, head ${report.head_hash}`);
    } else {
      const b = report.breaks[0];
      out(
        `${red("BROKEN")} at receipt ${b.index} (${b.receipt_id ?? "?"}): ${b.kind}: ${b.message}`,
      );
      if (report.breaks.length > 1) {
        out(dim(`${report.breaks.length - 1} more break(s); --json lists them`));
      }
    }
    return report.ok ? EXIT.ok : EXIT.failed;
  },
};

/** The receipts command group. */
export const receiptsCommands: Command[] = [verify];
