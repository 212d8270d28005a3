// Ed25519 key ids, key files, registry-record keys: validation names the field.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  exportKeyFile,
  generateSigningKey,
  keyIdFor,
  KeyRing,
  parseKeyFile,
  signingKeyFromKeyFile,
  toKeyRing,
  trustedKeyOf,
  trustedKeysFromRecord,
  WcpError,
} from "../../mod.ts";

const raw = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const failsAt = (fn: () => unknown, path: string) =>
  assert.throws(fn, (e) => e instanceof WcpError && e.code === "KEY_INVALID" && e.path === path);

Deno.test("keys: key id is ed25519: + SHA-256 of the raw public key", async () => {
  const k = await generateSigningKey();
  const expected = "ed25519:" + createHash("sha256").update(raw(k.public_key)).digest("hex");
  assert.equal(k.key_id, expected);
  assert.equal(keyIdFor(raw(k.public_key)), expected);
  assert.throws(() => keyIdFor(new Uint8Array(31)), WcpError);
});

Deno.test("keys: key file round trip (private and public), JSON and back", async () => {
  const k = await generateSigningKey({ namespace: "x.alice" });
  const priv = JSON.parse(JSON.stringify(await exportKeyFile(k, { includePrivate: true, now: 0 })));
  assert.equal(priv.created_at, "1970-01-01T00:00:00.000Z");
  assert.equal(priv.namespace, "x.alice");
  const again = await signingKeyFromKeyFile(parseKeyFile(priv));
  assert.equal(again.key_id, k.key_id);
  const data = new TextEncoder().encode("m");
  const ring = new KeyRing([trustedKeyOf(parseKeyFile(priv))]);
  assert.equal(await ring.verify(k.key_id, await again.sign(data), data), true);
  const pub = await exportKeyFile(k, { includePrivate: false });
  assert.equal(pub.private_key, undefined);
  await assert.rejects(
    () => signingKeyFromKeyFile(pub),
    (e) => e instanceof WcpError && e.path === "private_key",
  );
});

Deno.test("keys: invalid key files are refused, naming the field", async () => {
  const k = await generateSigningKey();
  const good = await exportKeyFile(k, { includePrivate: true });
  const other = await exportKeyFile(await generateSigningKey(), { includePrivate: true });
  failsAt(() => parseKeyFile([]), "");
  failsAt(() => parseKeyFile({ ...good, wcp_key_file: 2 }), "wcp_key_file");
  failsAt(() => parseKeyFile({ ...good, alg: "rsa" }), "alg");
  failsAt(() => parseKeyFile({ ...good, public_key: "AAAA" }), "public_key");
  failsAt(() => parseKeyFile({ ...good, key_id: other.key_id }), "key_id");
  failsAt(() => parseKeyFile({ ...good, private_key: "x" }), "private_key");
  failsAt(() => parseKeyFile({ ...good, namespace: "wrk.a" }), "namespace");
  // A private key that belongs to another public key.
  await assert.rejects(
    () => signingKeyFromKeyFile({ ...good, private_key: other.private_key }),
    (e) => e instanceof WcpError && e.path === "private_key",
  );
  await assert.rejects(() => generateSigningKey({ namespace: "cap.x" }), WcpError);
});

Deno.test("keys: registry record public_keys are validated and bound to the namespace", async () => {
  const k = await generateSigningKey();
  const rec = { worker_id: "x.bob.w.1", worker_species_id: "wrk.a.b", capabilities: [] };
  assert.deepEqual(trustedKeysFromRecord(rec), []);
  assert.deepEqual(trustedKeysFromRecord({ ...rec, public_keys: { [k.key_id]: k.public_key } }), [
    { key_id: k.key_id, public_key: k.public_key, namespace: "x.bob" },
  ]);
  failsAt(
    () => trustedKeysFromRecord({ ...rec, public_keys: { "ed25519:nope": k.public_key } }),
    "public_keys.ed25519:nope",
  );
  failsAt(
    () => trustedKeysFromRecord({ ...rec, public_keys: { [k.key_id]: "@@" } }),
    `public_keys.${k.key_id}`,
  );
  failsAt(() => trustedKeysFromRecord({ ...rec, public_keys: [] as never }), "public_keys");
  // base64url spellings of the same key are accepted and normalised.
  const url = k.public_key.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  assert.equal(
    trustedKeysFromRecord({ ...rec, public_keys: { [k.key_id]: url } })[0].public_key,
    k.public_key,
  );
});

Deno.test("keys: a ring is built only from valid keys; the bad one is named keys[i]", async () => {
  const k = await generateSigningKey();
  assert.equal(toKeyRing([k, trustedKeyOf(k)]).size, 1);
  const ring = new KeyRing([k]);
  assert.equal(toKeyRing(ring), ring);
  failsAt(() => toKeyRing(null as never), "keys");
  failsAt(() => toKeyRing({} as never), "keys");
  failsAt(() => toKeyRing([k, null] as never), "keys[1]");
  failsAt(() => toKeyRing([[]] as never), "keys[0]");
  failsAt(() => toKeyRing([{ ...trustedKeyOf(k), key_id: "ed25519:00" }]), "keys[0].key_id");
  failsAt(() => trustedKeyOf(null as never), "");
});
