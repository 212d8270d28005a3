/**
 * The stdio gateway's state directory (`<config>.state/`, mode 0700):
 *
 * - `pins.json`: tool pins (`FilePinStore`);
 * - `receipt-key.json` (0600) and `receipt-key.pub.json`: the Ed25519 key that signs its receipts
 *   (created on first start), so chains verify after a restart with `wcp receipts verify --key`;
 * - `receipts/<run>.jsonl`: the receipts of one gateway run (one hash chain per tenant, from seq 0
 *   for each run, so two gateways on one config never fork a chain), each line written before the
 *   call's result is returned;
 * - `receipts/pins.jsonl`: the chain of pin acceptances (written by `wcp gateway pins accept`).
 *
 * @module
 */

import {
  exportKeyFile,
  generateSigningKey,
  type SigningKey,
  signingKeyFromKeyFile,
} from "../../src/attestation/mod.ts";
import { readKeyFile, writeKeyFile } from "../../src/adapters/fs.ts";
import { mintReceipt, type Receipt, type ReceiptFields } from "../../src/receipts/mod.ts";
import { formatTimestamp } from "../../src/ids.ts";

/** File names inside the state directory. */
export const STATE_FILES = {
  pins: "pins.json",
  key: "receipt-key.json",
  publicKey: "receipt-key.pub.json",
  receipts: "receipts",
  pinReceipts: "receipts/pins.jsonl",
  approvals: "approvals.json",
} as const;

/** Create the state directory (0700, tightened when it exists looser). */
export async function ensureStateDir(dir: string): Promise<void> {
  await Deno.mkdir(`${dir}/${STATE_FILES.receipts}`, { recursive: true, mode: 0o700 });
  for (const d of [dir, `${dir}/${STATE_FILES.receipts}`]) {
    const st = await Deno.stat(d);
    if (st.mode !== null && (st.mode & 0o077) !== 0) await Deno.chmod(d, 0o700);
  }
}

/** The state's receipt signing key, created (0600) on first use. */
export async function stateSigningKey(dir: string): Promise<SigningKey> {
  const path = `${dir}/${STATE_FILES.key}`;
  try {
    return await signingKeyFromKeyFile(await readKeyFile(path));
  } catch (e) {
    const exists = await Deno.stat(path).then(() => true, () => false);
    if (exists) throw e; // a key file that does not read is an error, never silently replaced
  }
  const key = await generateSigningKey();
  await writeKeyFile(path, await exportKeyFile(key, { includePrivate: true }));
  await writeKeyFile(
    `${dir}/${STATE_FILES.publicKey}`,
    await exportKeyFile(key, { includePrivate: false }),
  );
  // Two gateways starting at once: whichever key was renamed last is the one on disk; use it.
  return await signingKeyFromKeyFile(await readKeyFile(path));
}

/**
 * Appends receipts to a JSON Lines file as they are minted (each write completes before the
 * gateway answers the call; the OS holds it even if the gateway dies next).
 */
export class ReceiptFile {
  /** The file written. */
  readonly path: string;
  #file: Deno.FsFile | null = null;
  #enc = new TextEncoder();

  /** A file at `path` (created 0600 on the first receipt). */
  constructor(path: string) {
    this.path = path;
  }

  /**
   * Append one receipt (in mint order). The line is written synchronously: a small append to the
   * page cache takes microseconds, while an asynchronous write waits for a thread-pool hop on
   * every call (the gateway's latency).
   */
  append(receipt: Receipt): Promise<void> {
    try {
      this.#file ??= Deno.openSync(this.path, { create: true, append: true, mode: 0o600 });
      const bytes = this.#enc.encode(JSON.stringify(receipt) + "\n");
      let off = 0;
      while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Close the file. */
  close(): Promise<void> {
    this.#file?.close();
    this.#file = null;
    return Promise.resolve();
  }
}

/** A fresh run file name: `receipts/<UTC time>-<random>.jsonl`. */
export function runReceiptPath(dir: string, nowMs: number = Date.now()): string {
  const stamp = formatTimestamp(nowMs).replace(/[:.]/g, "-");
  return `${dir}/${STATE_FILES.receipts}/${stamp}-${crypto.randomUUID().slice(0, 8)}.jsonl`;
}

/** The last receipt of a JSON Lines file, or null when there is none. */
async function lastReceipt(path: string): Promise<Receipt | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const lines = text.trimEnd().split("\n").filter((l) => l.trim() !== "");
  return lines.length ? JSON.parse(lines[lines.length - 1]) as Receipt : null;
}

/**
 * Mint the next receipt of the pin-acceptance chain (`receipts/pins.jsonl`, tenant stream
 * `wcp-gateway.pins`) under a lock, and append it.
 */
export async function mintPinReceipt(
  dir: string,
  key: SigningKey,
  fields: Omit<ReceiptFields, "tenant_id" | "dispatched_at"> & Record<string, unknown>,
  nowMs: number = Date.now(),
): Promise<Receipt> {
  await ensureStateDir(dir);
  const path = `${dir}/${STATE_FILES.pinReceipts}`;
  const lock = await Deno.open(`${path}.lock`, { create: true, write: true, mode: 0o600 });
  try {
    await lock.lock(true);
    const prev = await lastReceipt(path);
    const receipt = await mintReceipt(
      prev,
      {
        tenant_id: "wcp-gateway.pins",
        dispatched_at: formatTimestamp(nowMs),
        ...fields,
      } as ReceiptFields,
      key,
      { now: nowMs },
    );
    const f = await Deno.open(path, { create: true, append: true, mode: 0o600 });
    try {
      await f.write(new TextEncoder().encode(JSON.stringify(receipt) + "\n"));
    } finally {
      f.close();
    }
    return receipt;
  } finally {
    await lock.unlock().catch(() => {});
    lock.close();
  }
}
