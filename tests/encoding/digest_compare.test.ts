// constantTimeEqual compares UTF-16 code units directly (no TextEncoder on every call: it was
// about a tenth of a decision's time, two attested-worker comparisons each); normalizeDigest
// returns an already normal digest as it is. Same answers as before, except that two different
// lone surrogates are no longer "equal" (both used to encode to U+FFFD).
import assert from "node:assert/strict";
import fc from "fast-check";
import { constantTimeEqual, normalizeDigest } from "../../mod.ts";

Deno.test("constantTimeEqual: equal exactly when the strings are equal", () => {
  assert.equal(constantTimeEqual("", ""), true);
  assert.equal(constantTimeEqual("abc", "abc"), true);
  assert.equal(constantTimeEqual("abc", "abd"), false);
  assert.equal(constantTimeEqual("abc", "ab"), false);
  assert.equal(constantTimeEqual("ab", "abc"), false);
  assert.equal(constantTimeEqual("a\u0000", "a"), false, "a NUL is not a missing character");
  assert.equal(constantTimeEqual("é", "e\u0301"), false, "no Unicode normalisation");
  // Lone surrogates: both became EF BF BD in UTF-8, so these compared equal.
  assert.equal(constantTimeEqual("\ud800", "\udc00"), false);
  assert.equal(constantTimeEqual("x\ud800", "x\ufffd"), false);
  assert.equal(constantTimeEqual("\ud83d\ude00", "\ud83d\ude00"), true);
  // A value that is not a string never matches (it used to encode as an empty string).
  assert.equal(constantTimeEqual(undefined as unknown as string, ""), false);
  assert.equal(constantTimeEqual("", null as unknown as string), false);
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
      assert.equal(constantTimeEqual(a, b), a === b);
      assert.equal(constantTimeEqual(a, a.slice()), true);
    }),
    { numRuns: 500 },
  );
});

Deno.test("normalizeDigest: the normal form comes back as is; the others are normalised", () => {
  const hex = "0123456789abcdef".repeat(4);
  const normal = "sha256:" + hex;
  assert.equal(normalizeDigest(normal), normal);
  assert.equal(normalizeDigest(hex), normal);
  assert.equal(normalizeDigest("SHA256:" + hex.toUpperCase()), normal);
  assert.equal(normalizeDigest("sha256:" + hex.toUpperCase()), normal);
  assert.equal(normalizeDigest(` ${normal}\n`), normal);
  assert.equal(normalizeDigest("sha256:" + hex.slice(1) + "g"), null, "71 characters, not hex");
  assert.equal(normalizeDigest("sha257:" + hex), null);
  assert.equal(normalizeDigest("sha256:" + hex + "0"), null);
  assert.equal(normalizeDigest(normal.slice(0, -1)), null);
  assert.equal(normalizeDigest(42), null);
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEFg: sha"), maxLength: 72 }),
      (s) => {
        // The general rule, written out: optional sha256: prefix (any case), 64 hex, trimmed.
        const m = /^(?:sha256:)?([0-9a-f]{64})$/i.exec(s.trim());
        assert.equal(normalizeDigest(s), m ? "sha256:" + m[1].toLowerCase() : null);
      },
    ),
    { numRuns: 3000 },
  );
});
