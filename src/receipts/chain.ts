/**
 * Receipt chain verification: recompute every hash, check every signature and every link, and
 * locate each break (index + receipt_id). A broken chain is a severity-1 integrity event.
 *
 * @module
 */

import type { KeyFile, KeyRing, SigningKey, TrustedKey } from "../attestation/ed25519.ts";
import { toKeyRing } from "../attestation/ed25519.ts";
import { formatTimestamp } from "../ids.ts";
import { computeReceiptHash, receiptSigningBytes } from "./receipt.ts";
import { TEXT_FIELDS, UUID7 } from "./_shape.ts";

/**
 * What went wrong at one position of a chain.
 *
 * @example
 * ```ts
 * import type { ChainBreakKind } from "@wcp/core";
 * const kind: ChainBreakKind = "reordered";
 * ```
 */
export type ChainBreakKind =
  | "malformed"
  | "hash_mismatch"
  | "bad_signature"
  | "unknown_key"
  | "tenant_mismatch"
  | "broken_link"
  | "missing_link"
  | "reordered"
  | "duplicate"
  | "truncated";

/**
 * One break, located.
 *
 * @example
 * ```ts
 * import type { ChainBreak } from "@wcp/core";
 * const b: ChainBreak = { kind: "missing_link", index: 3, receipt_id: null, message: "receipts 3..3 are missing" };
 * ```
 */
export interface ChainBreak {
  /** What went wrong. */
  kind: ChainBreakKind;
  /** 0-based index in the list (for `truncated`, the list length). */
  index: number;
  /** The receipt id at that index, when readable. */
  receipt_id: string | null;
  /** What the verifier expected there. */
  expected?: unknown;
  /** What it found. */
  found?: unknown;
  /** A sentence for people. */
  message: string;
}

/**
 * The severity-1 integrity event describing the first break of a chain.
 *
 * @example
 * ```ts
 * import { type IntegrityEvent, verifyReceiptLog } from "@wcp/core";
 * const event: IntegrityEvent | null = (await verifyReceiptLog("x\n", { keys: [] })).event;
 * event?.severity; // "sev1"
 * ```
 */
export interface IntegrityEvent {
  /** `evt.os.receipt.chain-broken`. */
  event_id: "evt.os.receipt.chain-broken";
  /** Always `sev1`. */
  severity: "sev1";
  /** RFC 3339 UTC detection time. */
  timestamp: string;
  /** The stream's tenant, when known. */
  tenant_id: string | null;
  /** The first break. */
  kind: ChainBreakKind;
  /** Its index. */
  index: number;
  /** Its receipt id. */
  receipt_id: string | null;
  /** Its message. */
  message: string;
  /** How many breaks were found in total. */
  breaks_total: number;
}

/**
 * The verifier's report.
 *
 * @example
 * ```ts
 * import { type ChainReport, verifyReceiptChain } from "@wcp/core";
 * const report: ChainReport = await verifyReceiptChain([], { keys: [] });
 * report.ok; // true
 * ```
 */
export interface ChainReport {
  /** True when there is no break. */
  ok: boolean;
  /** Receipts examined. */
  count: number;
  /** `receipt_hash` of the last receipt (null for an empty list). */
  head_hash: string | null;
  /** Every break, in index order; `breaks[0]` is the first. */
  breaks: ChainBreak[];
  /** The sev1 event for `breaks[0]`, or null when ok. */
  event: IntegrityEvent | null;
}

/**
 * A trusted point a segment continues from (e.g. a checkpoint's head).
 *
 * @example
 * ```ts
 * import type { ChainAnchor } from "@wcp/core";
 * const anchor: ChainAnchor = { seq: 41, receipt_hash: "sha256:" + "0".repeat(64) };
 * ```
 */
export interface ChainAnchor {
  /** Seq of the receipt just before the segment. */
  seq: number;
  /** Its receipt_hash. */
  receipt_hash: string;
}

/**
 * Options of {@link verifyReceiptChain}.
 *
 * @example
 * ```ts
 * import type { VerifyChainOptions } from "@wcp/core";
 * const o: VerifyChainOptions = { keys: [], tenantId: "acme" };
 * ```
 */
export interface VerifyChainOptions {
  /** Keys that may sign receipts (several = rotation). */
  keys: KeyRing | Iterable<TrustedKey | SigningKey | KeyFile>;
  /** Verify a segment continuing after this receipt; default: a whole stream from seq 0. */
  anchor?: ChainAnchor | null;
  /** The expected last receipt (detects truncation at the end). */
  head?: ChainAnchor | null;
  /** The expected tenant; default the first receipt's. */
  tenantId?: string;
  /** Clock for the event's timestamp (epoch ms). */
  now?: number;
  /** Called every 256 receipts and at the end with (done, total), e.g. for a progress bar. */
  onProgress?: (done: number, total: number) => void;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const SIG = /^[0-9a-f]{128}$/;
const TEXT = [...TEXT_FIELDS, "signing_key_id"];

/** A log line that is not JSON (keeps whatever receipt id could be read from it). */
class UnparsableLine {
  constructor(readonly receipt_id: string | null) {}
}

/** Why a value is not a well-formed receipt, or null. */
function shapeProblem(r: unknown): string | null {
  if (r instanceof UnparsableLine) return "line is not valid JSON";
  if (typeof r !== "object" || r === null || Array.isArray(r)) return "not a JSON object";
  const o = r as Record<string, unknown>;
  if (typeof o.receipt_id !== "string" || !UUID7.test(o.receipt_id)) {
    return "receipt_id must be a lowercase UUIDv7";
  }
  for (const k of TEXT) {
    if (typeof o[k] !== "string" || (o[k] as string).length === 0) return `${k} must be a string`;
  }
  if (
    !Array.isArray(o.controls_verified) || o.controls_verified.some((c) => typeof c !== "string")
  ) {
    return "controls_verified must be an array of strings";
  }
  if (typeof o.artifact_hash !== "string" || !DIGEST.test(o.artifact_hash)) {
    return "artifact_hash must be sha256:<64 lowercase hex>";
  }
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 0) return "seq must be an integer >= 0";
  if (
    o.prev_receipt_hash !== null &&
    !(typeof o.prev_receipt_hash === "string" && DIGEST.test(o.prev_receipt_hash))
  ) {
    return "prev_receipt_hash must be null or sha256:<64 lowercase hex>";
  }
  if (typeof o.receipt_hash !== "string" || !DIGEST.test(o.receipt_hash)) {
    return "receipt_hash must be sha256:<64 lowercase hex>";
  }
  if (typeof o.signature !== "string" || !SIG.test(o.signature)) {
    return "signature must be 128 lowercase hex characters";
  }
  return null;
}

function idOf(r: unknown): string | null {
  const id = (r as Record<string, unknown> | null)?.receipt_id;
  return typeof id === "string" ? id : null;
}

/**
 * Verify a tenant's receipt stream (or a segment after an anchor). Never throws for bad receipts
 * (a value that is not an array is one `malformed` break); an invalid `keys` option rejects with
 * `WcpError` `KEY_INVALID` (see {@link toKeyRing}). Each receipt's
 * shape, tenant, hash and signature are checked, then its link to the one before it; a link
 * that fails is classified as `duplicate`, `reordered`, `missing_link` or `broken_link`.
 * Signatures are checked in batches (many Web Crypto calls in flight at once).
 *
 * @example
 * ```ts
 * import { generateSigningKey, mintReceipt, verifyReceiptChain } from "@wcp/core";
 * const key = await generateSigningKey();
 * const fields = { tenant_id: "acme", correlation_id: "c-1",
 *   dispatched_at: "2026-01-01T00:00:00.000Z", worker_id: "org.acme.w.1",
 *   capability_id: "cap.doc.summarize", policy_decision: "ALLOW", controls_verified: [],
 *   artifact_hash: "sha256:" + "0".repeat(64) };
 * const a = await mintReceipt(null, fields, key);
 * const b = await mintReceipt(a, fields, key);
 * (await verifyReceiptChain([a, b], { keys: [key] })).ok; // true
 * (await verifyReceiptChain([b, a], { keys: [key] })).breaks[0].kind; // "missing_link"
 * ```
 */
export async function verifyReceiptChain(
  receipts: readonly unknown[],
  options: VerifyChainOptions,
): Promise<ChainReport> {
  const ring = toKeyRing(options?.keys);
  if (!Array.isArray(receipts)) {
    return report(
      0,
      [{
        kind: "malformed",
        index: 0,
        receipt_id: null,
        message: "receipts must be an array",
      }],
      null,
      null,
      options.now,
    );
  }
  return await verifyPages(
    async function* () {
      yield receipts;
    },
    ring,
    { ...options, total: receipts.length },
  );
}

/**
 * Options of {@link verifyReceiptPages}.
 *
 * @example
 * ```ts
 * import type { VerifyPagesOptions } from "@wcp/core";
 * const o: VerifyPagesOptions = { keys: [], total: 100_000 };
 * ```
 */
export interface VerifyPagesOptions extends VerifyChainOptions {
  /** The stream's length when known (passed to `onProgress`; default: receipts seen so far). */
  total?: number;
}

/**
 * {@link verifyReceiptChain} over a stream read page by page (e.g. from a database), holding one
 * page at a time: the same checks and the same report as over the whole list. `pages` is called
 * once, and a second time only when a link fails (its classification needs to know where the
 * hashes it names occur); each call must yield the same receipts in the same order.
 *
 * @example
 * ```ts
 * import { generateSigningKey, mintReceipt, verifyReceiptPages } from "@wcp/core";
 * const key = await generateSigningKey();
 * const f = { tenant_id: "acme", correlation_id: "c", dispatched_at: "2026-01-01T00:00:00.000Z",
 *   worker_id: "org.acme.w.1", capability_id: "cap.doc.summarize", policy_decision: "ALLOW",
 *   controls_verified: [], artifact_hash: "sha256:" + "0".repeat(64) };
 * const a = await mintReceipt(null, f, key);
 * const b = await mintReceipt(a, f, key);
 * async function* pages() {
 *   yield [a];
 *   yield [b];
 * }
 * (await verifyReceiptPages(pages, { keys: [key] })).ok; // true
 * ```
 */
export async function verifyReceiptPages(
  pages: () => AsyncIterable<readonly unknown[]>,
  options: VerifyPagesOptions,
): Promise<ChainReport> {
  return await verifyPages(pages, toKeyRing(options?.keys), options);
}

/** The 64 bytes of a signature already checked to be 128 lowercase hex characters. */
function signatureBytes(hex: string): Uint8Array {
  const out = new Uint8Array(64);
  for (let i = 0; i < 64; i++) {
    const hi = hex.charCodeAt(2 * i);
    const lo = hex.charCodeAt(2 * i + 1);
    out[i] = ((hi <= 57 ? hi - 48 : hi - 87) << 4) | (lo <= 57 ? lo - 48 : lo - 87);
  }
  return out;
}

/** A failed link, classified once every claimed hash's first index is known. */
interface FailedLink {
  index: number;
  receipt_id: string | null;
  hash: string;
  prev: string | null;
  seq: number;
  expectedSeq: number;
  prevSeq: number;
  extra: Partial<ChainBreak>;
}

const SIGNATURE_BATCH = 512;
const MAX_INFLIGHT = 4;

async function verifyPages(
  pages: () => AsyncIterable<readonly unknown[]>,
  ring: KeyRing,
  options: VerifyPagesOptions,
): Promise<ChainReport> {
  // Per index at most one break about the receipt itself and one about its link; the report
  // lists them in that order (content, then link), by index.
  const content: ChainBreak[] = [];
  const failedLinks: FailedLink[] = [];
  const signatures: {
    index: number;
    receipt_id: string | null;
    key: string;
    sig: string;
    hash: string;
  }[] = [];
  // Batches of signature checks in flight while the next receipts are read and hashed (a ring
  // that verifies off the main thread then works in parallel with it).
  const inflight: Promise<void>[] = [];
  const flush = (): void => {
    if (signatures.length === 0) return;
    const batch = signatures.splice(0);
    inflight.push(
      Promise.all(
        batch.map((s) => ring.verify(s.key, signatureBytes(s.sig), receiptSigningBytes(s.hash))),
      ).then((ok) => {
        batch.forEach((s, k) => {
          if (!ok[k]) {
            content.push({
              kind: "bad_signature",
              index: s.index,
              receipt_id: s.receipt_id,
              message: "signature does not verify",
              found: s.key,
            });
          }
        });
      }),
    );
  };

  let tenant: string | null = options.tenantId ?? null;
  let prevSeq = options.anchor ? options.anchor.seq : -1;
  let prevHash: string | null = options.anchor ? options.anchor.receipt_hash : null;
  let linkKnown = true;
  let i = 0;
  let last: unknown = null;
  for await (const page of pages()) {
    for (const item of page) {
      last = item;
      const problem = shapeProblem(item);
      if (problem !== null) {
        content.push({ kind: "malformed", index: i, receipt_id: idOf(item), message: problem });
        linkKnown = false; // the next link cannot be judged against an unreadable receipt
        i++;
        continue;
      }
      const r = item as Record<string, unknown> & { seq: number; receipt_hash: string };
      const id = r.receipt_id as string;
      tenant ??= r.tenant_id as string;
      let recomputed: string | null = null;
      try {
        recomputed = computeReceiptHash(r);
      } catch { /* not JCS-serialisable: reported below as a mismatch */ }
      if (r.tenant_id !== tenant) {
        content.push({
          kind: "tenant_mismatch",
          index: i,
          receipt_id: id,
          message: "receipt belongs to another tenant stream",
          expected: tenant,
          found: r.tenant_id,
        });
      } else if (recomputed !== r.receipt_hash) {
        content.push({
          kind: "hash_mismatch",
          index: i,
          receipt_id: id,
          message: "content does not match receipt_hash",
          expected: recomputed,
          found: r.receipt_hash,
        });
      } else if (ring.get(r.signing_key_id as string) === undefined) {
        content.push({
          kind: "unknown_key",
          index: i,
          receipt_id: id,
          message: "signed by a key that is not trusted",
          found: r.signing_key_id,
        });
      } else {
        signatures.push({
          index: i,
          receipt_id: id,
          key: r.signing_key_id as string,
          sig: r.signature as string,
          hash: r.receipt_hash,
        });
        if (signatures.length >= SIGNATURE_BATCH) {
          flush();
          if (inflight.length >= MAX_INFLIGHT) await inflight.shift();
        }
      }
      if (linkKnown) {
        const expectedSeq = prevSeq + 1;
        if (r.prev_receipt_hash !== prevHash || r.seq !== expectedSeq) {
          failedLinks.push({
            index: i,
            receipt_id: id,
            hash: r.receipt_hash,
            prev: r.prev_receipt_hash as string | null,
            seq: r.seq,
            expectedSeq,
            prevSeq,
            extra: {
              expected: { seq: expectedSeq, prev_receipt_hash: prevHash },
              found: { seq: r.seq, prev_receipt_hash: r.prev_receipt_hash },
            },
          });
        }
      }
      linkKnown = true;
      prevSeq = r.seq;
      prevHash = r.receipt_hash;
      i++;
      if (i % 256 === 0) options.onProgress?.(i, options.total ?? i);
    }
  }
  flush();
  await Promise.all(inflight);
  const count = i;
  options.onProgress?.(count, options.total ?? count);
  const links = failedLinks.length ? await classifyLinks(failedLinks, pages, count) : [];
  const breaks = mergeBreaks(content, links);
  const headHash = typeof (last as Record<string, unknown> | null)?.receipt_hash === "string"
    ? (last as Record<string, string>).receipt_hash
    : null;
  if (options.head && (prevHash !== options.head.receipt_hash || prevSeq !== options.head.seq)) {
    breaks.push({
      kind: "truncated",
      index: count,
      receipt_id: null,
      expected: options.head,
      found: { seq: prevSeq, receipt_hash: prevHash },
      message: "the stream does not end at the expected head",
    });
  }
  return report(count, breaks, headHash, tenant, options.now);
}

/** Content breaks and link breaks by index, content first at the same index. */
function mergeBreaks(content: ChainBreak[], links: ChainBreak[]): ChainBreak[] {
  content.sort((a, b) => a.index - b.index); // signature breaks arrive after later ones
  const out: ChainBreak[] = [];
  let c = 0;
  let l = 0;
  while (c < content.length || l < links.length) {
    if (l >= links.length || (c < content.length && content[c].index <= links[l].index)) {
      out.push(content[c++]);
    } else {
      out.push(links[l++]);
    }
  }
  return out;
}

/**
 * Name each failed link: a duplicate of an earlier receipt, a link to a receipt elsewhere in the
 * stream (reordered), a gap (missing), or a plain broken link. Reads the stream again for the
 * first index of each hash the failed links name (of the first `count` entries).
 */
async function classifyLinks(
  failed: FailedLink[],
  pages: () => AsyncIterable<readonly unknown[]>,
  count: number,
): Promise<ChainBreak[]> {
  const wanted = new Set<string>();
  for (const f of failed) {
    wanted.add(f.hash);
    if (f.prev !== null) wanted.add(f.prev);
  }
  const firstIndexOf = new Map<string, number>();
  let i = 0;
  outer: for await (const page of pages()) {
    for (const item of page) {
      if (i >= count) break outer;
      const h = (item as Record<string, unknown> | null)?.receipt_hash;
      if (typeof h === "string" && wanted.has(h) && !firstIndexOf.has(h)) firstIndexOf.set(h, i);
      i++;
    }
  }
  return failed.map((f) => {
    const at = (kind: ChainBreakKind, message: string): ChainBreak => ({
      kind,
      index: f.index,
      receipt_id: f.receipt_id,
      message,
      ...f.extra,
    });
    const dup = firstIndexOf.get(f.hash);
    const target = f.prev === null ? undefined : firstIndexOf.get(f.prev);
    if (dup !== undefined && dup < f.index) return at("duplicate", `same receipt as index ${dup}`);
    if (target !== undefined && target !== f.index - 1) {
      return at("reordered", `links to the receipt at index ${target}, not the one before it`);
    }
    if (f.seq > f.expectedSeq && target === undefined) {
      return at("missing_link", `receipts ${f.expectedSeq}..${f.seq - 1} are missing`);
    }
    if (f.seq < f.expectedSeq) return at("reordered", `seq ${f.seq} after seq ${f.prevSeq}`);
    return at("broken_link", "prev_receipt_hash does not match the previous receipt");
  });
}

function report(
  count: number,
  breaks: ChainBreak[],
  headHash: string | null,
  tenant: string | null,
  now: number | undefined,
): ChainReport {
  const first = breaks[0];
  return {
    ok: breaks.length === 0,
    count,
    head_hash: headHash,
    breaks,
    event: first === undefined ? null : {
      event_id: "evt.os.receipt.chain-broken",
      severity: "sev1",
      timestamp: formatTimestamp(now ?? Date.now()),
      tenant_id: tenant,
      kind: first.kind,
      index: first.index,
      receipt_id: first.receipt_id,
      message: first.message,
      breaks_total: breaks.length,
    },
  };
}

/**
 * Verify a JSON Lines receipt log (one receipt per line; a trailing newline is allowed). A line
 * that does not parse is a `malformed` break at its index.
 *
 * @example
 * ```ts
 * import { verifyReceiptLog } from "@wcp/core";
 * (await verifyReceiptLog("{not json}\n", { keys: [] })).breaks[0].kind; // "malformed"
 * ```
 */
export function verifyReceiptLog(jsonl: string, options: VerifyChainOptions): Promise<ChainReport> {
  const lines = jsonl.endsWith("\n") ? jsonl.slice(0, -1).split("\n") : jsonl.split("\n");
  const items = jsonl === "" ? [] : lines.map((line) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      return new UnparsableLine(/"receipt_id":"([^"]*)"/.exec(line)?.[1] ?? null);
    }
  });
  return verifyReceiptChain(items, options);
}
