// A thread of the hall's signature pool (signature_pool.ts): checks batches of Ed25519
// signatures with node:crypto's synchronous verify (no promise per check). It receives the trusted
// public keys once, then batches as transferred buffers, and answers one byte per signature
// (1 = verifies) in a transferred buffer.
/// <reference lib="deno.worker" />
import { createPublicKey, type KeyObject, verify } from "node:crypto";

const keys: KeyObject[] = [];

interface Batch {
  id: number;
  keys: ArrayBuffer; // Uint16Array: key index per signature
  sigs: ArrayBuffer; // 64 bytes per signature
  data: ArrayBuffer; // the signed bytes, concatenated
  ends: ArrayBuffer; // Uint32Array: end offset in `data` per signature
}

self.onmessage = (e: MessageEvent) => {
  const m = e.data as { init?: string[] } & Partial<Batch>;
  if (m.init) {
    for (const x of m.init) {
      keys.push(createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" }));
    }
    return;
  }
  const b = m as Batch;
  const idx = new Uint16Array(b.keys);
  const sigs = new Uint8Array(b.sigs);
  const data = new Uint8Array(b.data);
  const ends = new Uint32Array(b.ends);
  const out = new Uint8Array(idx.length);
  let start = 0;
  for (let i = 0; i < idx.length; i++) {
    const key = keys[idx[i]];
    let ok = false;
    try {
      ok = key !== undefined &&
        verify(null, data.subarray(start, ends[i]), key, sigs.subarray(i * 64, i * 64 + 64));
    } catch {
      ok = false;
    }
    out[i] = ok ? 1 : 0;
    start = ends[i];
  }
  self.postMessage({ id: b.id, out: out.buffer }, [out.buffer]);
};
