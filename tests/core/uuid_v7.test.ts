// uuidV7 against RFC 9562's layout built byte by byte (the simple reference): the same time bits,
// version and variant, random bits that differ per call, times wrapping modulo 2^48.
import assert from "node:assert/strict";
import fc from "fast-check";
import { uuidV7 } from "../../src/ids.ts";

const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// RFC 9562 section 5.7: unix_ts_ms (48 bits, big-endian) | ver 0111 | rand_a | var 10 | rand_b.
function referenceTimeBytes(epochMs: number): number[] {
  let t = BigInt.asUintN(48, BigInt(Number.isFinite(epochMs) ? Math.floor(epochMs) : 0));
  const b: number[] = [];
  for (let i = 0; i < 6; i++) (b.unshift(Number(t & 0xffn)), (t >>= 8n));
  return b;
}

function bytesOf(id: string): number[] {
  const hex = id.replaceAll("-", "");
  return Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

Deno.test("uuidV7: the first 48 bits are the time, then version 7 and the RFC variant", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        fc.double({ min: -1e16, max: 1e16, noNaN: true }),
        fc.constantFrom(0, 2 ** 48, 2 ** 48 + 5, -1, NaN, Infinity, -Infinity),
      ),
      (ms) => {
        const id = uuidV7(ms);
        assert.match(id, UUID7);
        const b = bytesOf(id);
        assert.deepEqual(b.slice(0, 6), referenceTimeBytes(ms), `time bytes of ${ms}`);
        assert.equal(b[6] >> 4, 7);
        assert.equal(b[8] >> 6, 0b10);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("uuidV7: ids sort by their time and keep 74 random bits", () => {
  const t0 = Date.UTC(2026, 11, 8);
  const ids = [uuidV7(t0 + 1000), uuidV7(t0), uuidV7(t0 + 1), uuidV7(t0 + 256)];
  assert.deepEqual([...ids].sort(), [ids[1], ids[2], ids[3], ids[0]]);
  // The random part (all but the time and the version/variant bits) differs between calls, and
  // each random bit is seen both set and clear over a few hundred ids.
  const seen = new Set<string>();
  const ones = new Array(128).fill(0);
  const n = 400;
  for (let i = 0; i < n; i++) {
    const id = uuidV7(t0);
    seen.add(id.slice(15));
    bytesOf(id).forEach((byte, k) => {
      for (let bit = 0; bit < 8; bit++) ones[k * 8 + bit] += (byte >> (7 - bit)) & 1;
    });
  }
  assert.equal(seen.size, n);
  const fixedBits = new Set([48, 49, 50, 51, 64, 65]); // version (4 bits), variant (2 bits)
  for (let bit = 48; bit < 128; bit++) {
    if (fixedBits.has(bit)) continue;
    assert.ok(ones[bit] > n / 4 && ones[bit] < (3 * n) / 4, `bit ${bit} set ${ones[bit]}/${n}`);
  }
});

Deno.test("uuidV7: without an argument the time is now", () => {
  const before = Date.now();
  const id = uuidV7();
  const after = Date.now();
  const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  assert.ok(ms >= before && ms <= after, `${ms} in [${before}, ${after}]`);
});
