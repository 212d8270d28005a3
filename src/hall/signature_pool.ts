/**
 * A key ring whose Ed25519 checks run on worker threads (node:crypto's synchronous verify, one
 * thread per core), for full receipt-chain verifications: `verifyReceiptPages` issues a batch of
 * `ring.verify` calls at once; the calls made in one turn are sent to one thread as transferred
 * buffers while the main thread goes on hashing the next receipts.
 *
 * Fails closed, never open: when a thread cannot start, errors, or answers a batch with the wrong
 * length, that batch and every later one are checked here with Web Crypto (KeyRing's own verify),
 * with one warning line; a signature is only ever reported as verifying by a check that ran.
 *
 * @module
 */

import { KeyRing, type TrustedKey } from "../attestation/ed25519.ts";
import { fromBase64Strict, toBase64Url } from "../encoding/bytes.ts";

interface Check {
  keyId: string;
  signature: Uint8Array;
  data: Uint8Array;
  resolve: (ok: boolean) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Check[]>;
}

/** Options of {@link PooledKeyRing} (tests point `workerUrl` at a failing thread). */
export interface PoolOptions {
  /** Threads; default `navigator.hardwareConcurrency`. */
  threads?: number;
  /** The thread's module; default `./_signature_worker.ts`. */
  workerUrl?: string | URL;
}

/** A {@link KeyRing} that checks signatures on worker threads; `close()` ends them. */
export class PooledKeyRing extends KeyRing {
  #threads: Thread[] = [];
  #index = new Map<string, number>();
  #queue: Check[] = [];
  #seq = 0;
  #next = 0;
  #failed = false;

  constructor(keys: Iterable<TrustedKey>, options: PoolOptions = {}) {
    const list = [...keys]; // read once: `keys` may be a one-shot iterator
    super(list);
    // The threads import each key as a JWK (base64url `x`); the ring has validated them.
    const init: string[] = [];
    for (const k of list) {
      const raw = fromBase64Strict(this.get(k.key_id)?.public_key ?? "");
      if (raw === null || this.#index.has(k.key_id)) continue; // (checked here instead)
      this.#index.set(k.key_id, init.length);
      init.push(toBase64Url(raw));
    }
    const n = Math.max(1, options.threads ?? navigator.hardwareConcurrency ?? 1);
    const url = options.workerUrl ?? new URL("./_signature_worker.ts", import.meta.url);
    try {
      for (let i = 0; i < n; i++) {
        const t: Thread = {
          worker: new Worker(new URL(url).href, { type: "module" }),
          pending: new Map(),
        };
        t.worker.onmessage = (e: MessageEvent) => this.#answer(t, e.data);
        t.worker.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          this.#fail(`a signature thread failed: ${e.message}`);
        };
        t.worker.postMessage({ init });
        this.#threads.push(t);
      }
    } catch (e) {
      this.#fail(`signature threads could not start: ${(e as Error).message}`);
    }
  }

  /** End the threads (checks still pending are done here with Web Crypto). */
  close(): void {
    this.#stop();
  }

  override verify(keyId: string, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
    if (this.#failed || signature.length !== 64 || !this.#index.has(keyId)) {
      return super.verify(keyId, signature, data);
    }
    return new Promise<boolean>((resolve) => {
      if (this.#queue.length === 0) queueMicrotask(() => this.#send());
      this.#queue.push({ keyId, signature, data, resolve });
    });
  }

  #send(): void {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    if (this.#failed) return this.#local(batch);
    const keys = new Uint16Array(batch.length);
    const sigs = new Uint8Array(batch.length * 64);
    const ends = new Uint32Array(batch.length);
    let size = 0;
    for (const c of batch) size += c.data.length;
    const data = new Uint8Array(size);
    let at = 0;
    batch.forEach((c, i) => {
      keys[i] = this.#index.get(c.keyId)!;
      sigs.set(c.signature, i * 64);
      data.set(c.data, at);
      ends[i] = at += c.data.length;
    });
    const t = this.#threads[this.#next++ % this.#threads.length];
    const id = ++this.#seq;
    t.pending.set(id, batch);
    try {
      t.worker.postMessage(
        { id, keys: keys.buffer, sigs: sigs.buffer, data: data.buffer, ends: ends.buffer },
        [keys.buffer, sigs.buffer, data.buffer, ends.buffer],
      );
    } catch (e) {
      this.#fail(`a signature thread refused a batch: ${(e as Error).message}`);
    }
  }

  #answer(t: Thread, m: { id?: number; out?: ArrayBuffer }): void {
    const batch = m?.id === undefined ? undefined : t.pending.get(m.id);
    if (batch === undefined) return this.#fail("a signature thread answered an unknown batch");
    t.pending.delete(m.id!);
    const out = m.out instanceof ArrayBuffer ? new Uint8Array(m.out) : null;
    if (out === null || out.length !== batch.length) {
      this.#local(batch);
      return this.#fail("a signature thread answered a batch with the wrong length");
    }
    batch.forEach((c, i) => c.resolve(out[i] === 1));
  }

  /** Check a batch here, with Web Crypto. */
  #local(batch: Check[]): void {
    for (const c of batch) {
      super.verify(c.keyId, c.signature, c.data).then(c.resolve, () => c.resolve(false));
    }
  }

  #fail(why: string): void {
    if (!this.#failed) {
      console.warn(`hall: receipts: ${why}; checking signatures on the main thread`);
    }
    this.#failed = true;
    this.#stop();
  }

  #stop(): void {
    const threads = this.#threads;
    this.#threads = [];
    for (const t of threads) {
      t.worker.terminate();
      for (const batch of t.pending.values()) this.#local(batch);
      t.pending.clear();
    }
    this.#failed = true;
  }
}
