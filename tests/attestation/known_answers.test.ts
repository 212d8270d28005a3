// Known-answer tests: HMAC-SHA-256 (RFC 4231), Ed25519 (RFC 8032 section 7.1, tests 1-3),
// JCS (RFC 8785 appendix B numbers and the section 3.2.3 sort example), DSSE PAE (spec example).
import assert from "node:assert/strict";
import {
  canonicalJson,
  generateSigningKey,
  hmacSha256Hex,
  keyIdFor,
  KeyRing,
  pae,
  signingKeyFromSeed,
} from "../../mod.ts";
import { hex, toHex } from "../receipts/_helpers.ts";

const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

Deno.test("HMAC-SHA-256: RFC 4231 test cases 1-7", () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [
      fill(20, 0x0b),
      text("Hi There"),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ],
    [
      text("Jefe"),
      text("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    [
      fill(20, 0xaa),
      fill(50, 0xdd),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ],
    [
      Uint8Array.from({ length: 25 }, (_, i) => i + 1),
      fill(50, 0xcd),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ],
    // Case 5 specifies the output truncated to 128 bits.
    [fill(20, 0x0c), text("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"],
    [
      fill(131, 0xaa),
      text("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
    [
      fill(131, 0xaa),
      text(
        "This is a test using a larger than block-size key and a larger than block-size data. " +
          "The key needs to be hashed before being used by the HMAC algorithm.",
      ),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];
  for (const [key, data, mac] of cases) {
    assert.equal(hmacSha256Hex(key, data).slice(0, mac.length), mac);
  }
  // String keys and messages are UTF-8.
  assert.equal(hmacSha256Hex("Jefe", "what do ya want for nothing?"), cases[1][2]);
});

const RFC8032 = [
  {
    sk: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    pk: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    sk: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    pk: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    msg: "72",
    sig:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    sk: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    pk: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    msg: "af82",
    sig:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

Deno.test("Ed25519: RFC 8032 tests 1-3 (public key, signature, verification)", async () => {
  for (const v of RFC8032) {
    const key = await signingKeyFromSeed(hex(v.sk));
    const raw = Uint8Array.from(atob(key.public_key), (c) => c.charCodeAt(0));
    assert.equal(toHex(raw), v.pk);
    assert.equal(key.key_id, keyIdFor(hex(v.pk)));
    const sig = await key.sign(hex(v.msg));
    assert.equal(toHex(sig), v.sig);
    const ring = new KeyRing([key]);
    assert.equal(await ring.verify(key.key_id, hex(v.sig), hex(v.msg)), true);
    const flipped = hex(v.sig);
    flipped[5] ^= 1;
    assert.equal(await ring.verify(key.key_id, flipped, hex(v.msg)), false);
    assert.equal(await ring.verify(key.key_id, hex(v.sig), text("other")), false);
  }
});

Deno.test("Ed25519: a signature by another key does not verify", async () => {
  const a = await generateSigningKey();
  const b = await generateSigningKey();
  const ring = new KeyRing([a, b]);
  const sig = await a.sign(text("x"));
  assert.equal(await ring.verify(a.key_id, sig, text("x")), true);
  assert.equal(await ring.verify(b.key_id, sig, text("x")), false);
  assert.equal(await ring.verify("ed25519:unknown", sig, text("x")), false);
});

Deno.test("JCS: RFC 8785 appendix B number serialisation", () => {
  const bits = (h: string): number => new DataView(hex(h).buffer).getFloat64(0);
  const vectors: [string, string][] = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];
  for (const [h, expected] of vectors) assert.equal(canonicalJson(bits(h)), expected, h);
  assert.throws(() => canonicalJson(bits("7ff0000000000000")));
});

Deno.test("JCS: RFC 8785 section 3.2.3 property sorting example", () => {
  const input = JSON.parse(
    '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
      '"1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control",' +
      '"\\u00f6":"Latin Small Letter O With Diaeresis"}',
  );
  // Compare the text: a parsed object would list the integer-like key "1" first.
  assert.equal(
    canonicalJson(input),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
      '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
      '"\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
  assert.equal(canonicalJson({ "\r": 1 }), '{"\\r":1}');
});

Deno.test("DSSE: PAE of the spec's example", () => {
  const out = new TextDecoder().decode(pae("http://example.com/HelloWorld", text("hello world")));
  assert.equal(out, "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  // Lengths are byte lengths, not UTF-16 lengths.
  assert.equal(new TextDecoder().decode(pae("t/é", text("β"))), "DSSEv1 4 t/é 2 β");
});
