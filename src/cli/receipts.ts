// `wcp receipts verify` (check a receipt chain offline) and `wcp receipts export` (a tenant's
// chain and the hall's public keys in one file, the dashboard's export format).

import {
  parseTrustedKeys,
  type Receipt,
  type TrustedKey,
  verifyReceiptChain,
  WcpError,
} from "../../mod.ts";
import { replaceFile } from "../adapters/fs.ts";
import { type Command, optList, optString, positionals, requireString } from "./_args.ts";
import { callHall, HALL_OPTS, hallClient } from "./_hall.ts";
import {
  dim,
  EXIT,
  FailedError,
  green,
  out,
  outJson,
  Progress,
  readJsonFile,
  readTextFile,
  red,
  UsageError,
} from "./_io.ts";

/**
 * The trusted keys of a `--key` file, in any shape the library reads (`parseTrustedKeys`): the
 * hall's `GET /wcp/receipts/key` answer, a dashboard or `wcp receipts export` file, a key file
 * from `wcp attest keygen`, or a list of `{key_id, public_key}`.
 */
export async function loadReceiptKeys(path: string, flag = "--key"): Promise<TrustedKey[]> {
  const doc = await readJsonFile(path, flag);
  try {
    return parseTrustedKeys(doc);
  } catch (e) {
    if (e instanceof WcpError) {
      throw new UsageError(`${flag}: ${path}: ${e.path ? `${e.path}: ` : ""}${e.message}`, e.code);
    }
    throw e;
  }
}

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
      help: "trusted receipt keys: the hall's /wcp/receipts/key answer, an export, a key file or " +
        "a list of {key_id, public_key} (required)",
    },
    tenant: { type: "string", arg: "ID", help: "expected tenant (default: the first receipt's)" },
  },
  details: 'FILE: JSON Lines (one receipt per line), a JSON array, or {"receipts": [...]} (so a\n' +
    "`wcp receipts export` file); - for stdin. Keys are trusted only from --key (the same export\n" +
    "file may be named, if you trust where it came from).\n" +
    "Exit status: 0 the chain verifies, 1 it is broken (the first break is printed), 2 bad input.",
  async run(ctx) {
    const [path] = positionals(ctx, ["FILE"]);
    const keyPaths = optList(ctx, "key");
    if (!keyPaths.length) {
      throw new UsageError("--key is required (the hall's receipt signing key)");
    }
    const keys: TrustedKey[] = [];
    for (const p of keyPaths) {
      const found = await loadReceiptKeys(p);
      if (!found.length) throw new UsageError(`--key: ${p} holds no key`);
      keys.push(...found);
    }
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

const PAGE = 1000;

/** Every receipt of a tenant's chain in seq order (cursor pages of 1000, checked contiguous). */
async function fetchChain(
  client: ReturnType<typeof hallClient>,
  tenant: string,
): Promise<Receipt[]> {
  const byId = new Map<string, Receipt>();
  await callHall("receipts", async () => {
    for await (const r of client.each("receipts", { tenant_id: tenant, limit: PAGE })) {
      byId.set(r.receipt_id, r);
    }
  });
  const list = [...byId.values()].sort((a, b) => a.seq - b.seq);
  const gap = list.findIndex((r, i) => r.seq !== i);
  if (gap >= 0) {
    throw new FailedError(
      `the hall's answers left a gap in ${tenant}'s chain at seq ${gap}; nothing written`,
      "EXPORT_INCOMPLETE",
    );
  }
  return list;
}

const exportCmd: Command = {
  name: "receipts export",
  summary: "Export a tenant's receipt chain with the hall's public receipt keys (one JSON file).",
  options: {
    ...HALL_OPTS,
    tenant: { type: "string", arg: "ID", help: "tenant whose chain to export (required)" },
    out: { type: "string", arg: "FILE", help: "write here (default: stdout)" },
  },
  details:
    'Writes {"tenant_id", "exported_at", "keys", "receipts"}, the dashboard\'s export format, which\n' +
    "`wcp receipts verify FILE --key KEYS` and the playground's Receipts panel read.\n" +
    "Exit status: 0 written, 1 refused or incomplete, 2 bad input, 3 unreachable, 4 rate limited.",
  async run(ctx) {
    positionals(ctx, []);
    const tenant = requireString(ctx, "tenant");
    const target = optString(ctx, "out");
    const client = hallClient(ctx);
    const receipts = await fetchChain(client, tenant);
    const { keys } = await callHall("receipt keys", () => client.receiptKeys());
    const bundle = { tenant_id: tenant, exported_at: new Date().toISOString(), keys, receipts };
    const text = JSON.stringify(bundle, null, 2) + "\n";
    if (target === undefined) {
      out(text.trimEnd());
      return EXIT.ok;
    }
    try {
      await replaceFile(target, text);
    } catch (e) {
      if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) throw e;
      throw new UsageError(`--out: cannot write ${target}: ${(e as Error).message}`);
    }
    if (ctx.json) outJson({ file: target, tenant_id: tenant, count: receipts.length });
    else out(`${green("exported")} ${receipts.length} receipt(s) of ${tenant} to ${target}`);
    return EXIT.ok;
  },
};

/** The receipts command group. */
export const receiptsCommands: Command[] = [verify, exportCmd];
