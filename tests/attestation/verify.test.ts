// The verifier: every ATTEST_* code, in order, both signing modes, no fallback between modes,
// exact signature comparison (B-2), key rotation and namespace binding, DSSE import.
import assert from "node:assert/strict";
import {
  ATTEST_CODES,
  buildManifest,
  dsseSign,
  generateSigningKey,
  KeyRing,
  manifestFromDsse,
  manifestToDsse,
  packageHashFromContents,
  type PackageManifest,
  signManifestEd25519,
  signManifestHmac,
  trustedKeysFromRecord,
  verifyDsseAttestation,
  verifyManifest,
  type VerifyManifestOptions,
} from "../../mod.ts";

const WID = "org.acme.summarizer.1";
const SID = "wrk.doc.summarizer";
const FILES = { "code/worker_logic.py": "def run():\n    return 1\n", "requirements.lock": "" };
const computed = packageHashFromContents(FILES);
const unsigned = buildManifest({
  packageHash: computed,
  workerId: WID,
  workerSpeciesId: SID,
  workerVersion: "1.0.0",
  now: Date.UTC(2026, 0, 1),
});
const hmacManifest = signManifestHmac(unsigned, "s3cret");
const key = await generateSigningKey({ namespace: "org.acme" });
const edManifest = await signManifestEd25519(unsigned, key);

function hmacOpts(
  manifest: unknown,
  extra: Partial<VerifyManifestOptions> = {},
): VerifyManifestOptions {
  return {
    manifest,
    computed,
    workerId: WID,
    workerSpeciesId: SID,
    mode: "hmac-sha256",
    secret: "s3cret",
    ...extra,
  } as VerifyManifestOptions;
}
function edOpts(manifest: unknown, extra: Record<string, unknown> = {}): VerifyManifestOptions {
  return {
    manifest,
    computed,
    workerId: WID,
    workerSpeciesId: SID,
    mode: "ed25519",
    keys: [key],
    ...extra,
  } as VerifyManifestOptions;
}
const code = async (o: VerifyManifestOptions): Promise<string | null> =>
  (await verifyManifest(o)).deny_code;

Deno.test("verify: round trip in HMAC mode with the reference's success meta", async () => {
  const r = await verifyManifest({
    ...hmacOpts(hmacManifest),
    now: Date.UTC(2026, 0, 2, 3, 4, 5, 600),
  });
  assert.deepEqual(r, {
    ok: true,
    deny_code: null,
    meta: {
      package_hash: computed.package_hash,
      manifest_schema: "awp.v1",
      attested_at_utc: "2026-01-01T00:00:00Z",
      verified_at_utc: "2026-01-02T03:04:05Z",
      trust_statement:
        `Package attested by namespace org.acme at 2026-01-01T00:00:00Z; package hash sha256:${computed.package_hash}.`,
      signature_mode: "hmac-sha256",
    },
  });
});

Deno.test("verify: round trip in Ed25519 mode", async () => {
  const r = await verifyManifest(edOpts(edManifest));
  assert.equal(r.ok, true);
  assert.equal(r.meta.signature_mode, "ed25519");
  assert.equal(r.meta.signing_key_id, key.key_id);
  assert.equal(edManifest.signature_alg, "ed25519");
  assert.match(edManifest.signature_ed25519 ?? "", /^[0-9a-f]{128}$/);
});

Deno.test("verify: ATTEST_MANIFEST_MISSING (absent, unreadable) and ATTEST_MANIFEST_INVALID", async () => {
  assert.deepEqual(await verifyManifest(hmacOpts(undefined)), {
    ok: false,
    deny_code: "ATTEST_MANIFEST_MISSING",
    meta: {},
  });
  const unreadable = await verifyManifest({
    ...hmacOpts(undefined),
    manifestError: "Unexpected token",
  });
  assert.deepEqual(unreadable.meta, { error: "Unexpected token" });
  for (const bad of [null, [], "text", 3]) {
    assert.equal(await code(hmacOpts(bad)), ATTEST_CODES.MANIFEST_INVALID);
  }
  assert.equal(
    await code(hmacOpts({ ...hmacManifest, schema_version: "awp.v2" })),
    "ATTEST_MANIFEST_INVALID",
  );
});

Deno.test("verify: ATTEST_MANIFEST_ID_MISMATCH with the reference's meta", async () => {
  const r = await verifyManifest(hmacOpts({ ...hmacManifest, worker_species_id: "wrk.other" }));
  assert.deepEqual(r, {
    ok: false,
    deny_code: "ATTEST_MANIFEST_ID_MISMATCH",
    meta: {
      manifest_worker_id: WID,
      expected_worker_id: WID,
      manifest_worker_species_id: "wrk.other",
      expected_worker_species_id: SID,
    },
  });
  assert.equal(
    await code(hmacOpts(hmacManifest, { workerId: "org.acme.summarizer.2" })),
    "ATTEST_MANIFEST_ID_MISMATCH",
  );
});

Deno.test("verify: ATTEST_NAMESPACE_INVALID for a worker id outside org.*/x.*", async () => {
  const m = { ...hmacManifest, worker_id: "wrk.acme.w" };
  const r = await verifyManifest(hmacOpts(m, { workerId: "wrk.acme.w" }));
  assert.deepEqual(r, {
    ok: false,
    deny_code: "ATTEST_NAMESPACE_INVALID",
    meta: { worker_id: "wrk.acme.w" },
  });
});

Deno.test("verify: ATTEST_UNSAFE_PATH when the package holds a symlink or unsafe path", async () => {
  const c = {
    ...computed,
    unsafe: [{ path: "code/evil.py", kind: "symlink" as const, detail: "/etc/passwd" }],
  };
  const r = await verifyManifest(hmacOpts(hmacManifest, { computed: c }));
  assert.equal(r.deny_code, "ATTEST_UNSAFE_PATH");
  assert.deepEqual(r.meta.unsafe, c.unsafe);
});

Deno.test("verify: ATTEST_HASH_MISMATCH for a changed, added or removed file, or an empty hash", async () => {
  const changed = packageHashFromContents({
    ...FILES,
    "code/worker_logic.py": "def run():\n    return 2\n",
  });
  const added = packageHashFromContents({ ...FILES, "code/extra.py": "" });
  const removed = packageHashFromContents({
    "code/worker_logic.py": FILES["code/worker_logic.py"],
  });
  for (const c of [changed, added, removed]) {
    const r = await verifyManifest(hmacOpts(hmacManifest, { computed: c }));
    assert.deepEqual(r, {
      ok: false,
      deny_code: "ATTEST_HASH_MISMATCH",
      meta: { expected_hash: computed.package_hash, computed_hash: c.package_hash },
    });
    assert.equal(await code(edOpts(edManifest, { computed: c })), "ATTEST_HASH_MISMATCH");
  }
  assert.equal(await code(hmacOpts({ ...hmacManifest, package_hash: "" })), "ATTEST_HASH_MISMATCH");
  assert.equal(
    await code(hmacOpts({ ...hmacManifest, package_hash: undefined })),
    "ATTEST_HASH_MISMATCH",
  );
  // Upper case / prefixed hashes are normalised before comparison (decision 8)...
  const upper = { ...hmacManifest, package_hash: computed.package_hash.toUpperCase() };
  assert.equal(await code(hmacOpts(upper)), "ATTEST_SIG_INVALID"); // ...but the signature covers the text
});

Deno.test("verify: ATTEST_MODE_MISMATCH, never a silent fallback between modes", async () => {
  assert.deepEqual(await verifyManifest(hmacOpts(edManifest)), {
    ok: false,
    deny_code: "ATTEST_MODE_MISMATCH",
    meta: { manifest_mode: "ed25519", expected_mode: "hmac-sha256" },
  });
  assert.equal(await code(edOpts(hmacManifest)), "ATTEST_MODE_MISMATCH");
  // A dual-signed manifest is an Ed25519 manifest: HMAC mode does not accept it.
  const dual = await signManifestEd25519(hmacManifest, key);
  assert.equal(await code(hmacOpts(dual)), "ATTEST_MODE_MISMATCH");
  assert.equal((await verifyManifest(edOpts(dual))).ok, true);
  assert.equal(
    await code(hmacOpts({ ...hmacManifest, signature_alg: "rsa" })),
    "ATTEST_MODE_MISMATCH",
  );
});

Deno.test("verify: ATTEST_SIGNATURE_MISSING (no signature, no secret, no keys)", async () => {
  const noSig = { ...hmacManifest, signature_hmac_sha256: undefined };
  assert.deepEqual(await verifyManifest(hmacOpts(noSig)), {
    ok: false,
    deny_code: "ATTEST_SIGNATURE_MISSING",
    meta: { signature_present: false, secret_env_set: true, secret_env: "WCP_ATTEST_HMAC_KEY" },
  });
  const noSecret = await verifyManifest(
    hmacOpts(hmacManifest, { secret: undefined, secretEnv: "MY_KEY" } as never),
  );
  assert.deepEqual(noSecret.meta, {
    signature_present: true,
    secret_env_set: false,
    secret_env: "MY_KEY",
  });
  assert.equal(
    await code(hmacOpts(hmacManifest, { secret: "" } as never)),
    "ATTEST_SIGNATURE_MISSING",
  );
  assert.equal(
    await code(edOpts({ ...edManifest, signature_ed25519: undefined })),
    "ATTEST_SIGNATURE_MISSING",
  );
  assert.equal(
    await code(edOpts({ ...edManifest, signing_key_id: undefined })),
    "ATTEST_SIGNATURE_MISSING",
  );
  assert.equal(await code(edOpts(edManifest, { keys: [] })), "ATTEST_SIGNATURE_MISSING");
});

Deno.test("verify: ATTEST_KEY_UNKNOWN and ATTEST_KEY_NAMESPACE_MISMATCH", async () => {
  const other = await generateSigningKey();
  assert.deepEqual(await verifyManifest(edOpts(edManifest, { keys: [other] })), {
    ok: false,
    deny_code: "ATTEST_KEY_UNKNOWN",
    meta: { signing_key_id: key.key_id },
  });
  const foreign = await generateSigningKey({ namespace: "org.evil" });
  const signedByForeign = await signManifestEd25519(unsigned, foreign);
  const r = await verifyManifest(edOpts(signedByForeign, { keys: [key, foreign] }));
  assert.deepEqual(r.meta, {
    signing_key_id: foreign.key_id,
    key_namespace: "org.evil",
    worker_namespace: "org.acme",
  });
  assert.equal(r.deny_code, "ATTEST_KEY_NAMESPACE_MISMATCH");
});

Deno.test("verify: ATTEST_SIG_INVALID; exact lowercase comparison (B-2)", async () => {
  const sig = hmacManifest.signature_hmac_sha256 as string;
  for (
    const bad of [
      sig.toUpperCase(),
      sig + "zz",
      sig + "0",
      sig.slice(0, -1),
      " " + sig,
      sig.slice(0, 63) + (sig[63] === "0" ? "1" : "0"),
      42,
    ]
  ) {
    assert.equal(
      await code(hmacOpts({ ...hmacManifest, signature_hmac_sha256: bad })),
      "ATTEST_SIG_INVALID",
      String(bad),
    );
  }
  assert.equal(
    await code(hmacOpts(hmacManifest, { secret: "wrong" } as never)),
    "ATTEST_SIG_INVALID",
  );
  // Signed fields break it; the reference's unsigned fields do not in HMAC mode (B-23)...
  for (const f of ["worker_version", "built_at_utc", "build_source"]) {
    assert.equal(
      await code(hmacOpts({ ...hmacManifest, [f]: "tampered" })),
      "ATTEST_SIG_INVALID",
      f,
    );
  }
  assert.equal(
    (await verifyManifest(hmacOpts({ ...hmacManifest, trust_statement: "forged" }))).ok,
    true,
  );
  // ...while Ed25519 mode signs every field.
  const esig = edManifest.signature_ed25519 as string;
  for (
    const m of [
      { ...edManifest, attested_at_utc: "2030-01-01T00:00:00Z" },
      { ...edManifest, trust_statement: "forged" },
      { ...edManifest, extra: 1 },
      { ...edManifest, worker_version: "9" },
      { ...edManifest, signature_ed25519: esig.toUpperCase() },
      { ...edManifest, signature_ed25519: esig + "00" },
      { ...edManifest, signature_ed25519: (esig[0] === "a" ? "b" : "a") + esig.slice(1) },
    ]
  ) {
    assert.equal(await code(edOpts(m)), "ATTEST_SIG_INVALID");
  }
});

Deno.test("verify: values JSON cannot hold fail closed instead of throwing", async () => {
  assert.equal(
    await code(hmacOpts({ ...hmacManifest, worker_version: 10n })),
    "ATTEST_SIG_INVALID",
  );
  assert.equal(await code(edOpts({ ...edManifest, extra: () => 1 })), "ATTEST_SIG_INVALID");
});

Deno.test("verify: swapping in another package's valid manifest is refused", async () => {
  const otherFiles = packageHashFromContents({ "code/worker_logic.py": "evil()\n" });
  const otherManifest = signManifestHmac(
    buildManifest({
      packageHash: otherFiles,
      workerId: WID,
      workerSpeciesId: SID,
      workerVersion: "6.6.6",
    }),
    "s3cret",
  );
  assert.equal(await code(hmacOpts(otherManifest)), "ATTEST_HASH_MISMATCH");
  const otherWorker = signManifestHmac(
    buildManifest({
      packageHash: computed,
      workerId: "org.acme.other.1",
      workerSpeciesId: SID,
      workerVersion: "1",
    }),
    "s3cret",
  );
  assert.equal(await code(hmacOpts(otherWorker)), "ATTEST_MANIFEST_ID_MISMATCH");
});

Deno.test("verify: key rotation via the registry record's public_keys", async () => {
  const next = await generateSigningKey();
  const record = {
    worker_id: WID,
    worker_species_id: SID,
    capabilities: [],
    public_keys: { [key.key_id]: key.public_key, [next.key_id]: next.public_key },
  };
  const keys = trustedKeysFromRecord(record);
  assert.deepEqual(keys.map((k) => k.namespace), ["org.acme", "org.acme"]);
  const ring = new KeyRing(keys);
  assert.equal((await verifyManifest(edOpts(edManifest, { keys: ring }))).ok, true);
  assert.equal(
    (await verifyManifest(edOpts(await signManifestEd25519(unsigned, next), { keys: ring }))).ok,
    true,
  );
  // Retiring the old key: its manifests stop verifying.
  const retired = trustedKeysFromRecord({
    ...record,
    public_keys: { [next.key_id]: next.public_key },
  });
  assert.equal(await code(edOpts(edManifest, { keys: retired })), "ATTEST_KEY_UNKNOWN");
  // A record of another namespace cannot vouch for this worker.
  const evilKeys = trustedKeysFromRecord({ ...record, worker_id: "org.evil.w" });
  assert.equal(await code(edOpts(edManifest, { keys: evilKeys })), "ATTEST_KEY_NAMESPACE_MISMATCH");
});

Deno.test("DSSE: export and import as an in-toto Statement v1 over the package digest", async () => {
  const env = await manifestToDsse(hmacManifest, key);
  assert.equal(env.payloadType, "application/vnd.in-toto+json");
  assert.equal(env.signatures[0].keyid, key.key_id);
  const statement = JSON.parse(atob(env.payload));
  assert.equal(statement._type, "https://in-toto.io/Statement/v1");
  assert.deepEqual(statement.subject, [{
    name: `${WID}@1.0.0`,
    digest: { sha256: computed.package_hash },
  }]);
  const imported = await manifestFromDsse(JSON.parse(JSON.stringify(env)), [key]);
  assert.equal(imported.ok, true);
  assert.deepEqual(imported.manifest, hmacManifest);
  // The imported manifest still verifies the reference way.
  assert.equal((await verifyManifest(hmacOpts(imported.manifest))).ok, true);
  const r = await verifyDsseAttestation({
    envelope: env,
    keys: [key],
    computed,
    workerId: WID,
    workerSpeciesId: SID,
  });
  assert.equal(r.ok, true);
  assert.equal(r.meta.signature_mode, "dsse-ed25519");
});

Deno.test("DSSE: tampering, unknown keys, wrong types and a mismatched subject are refused", async () => {
  const env = await manifestToDsse(unsigned, key);
  const vd = (envelope: unknown, keys = [key], c = computed) =>
    verifyDsseAttestation({ envelope, keys, computed: c, workerId: WID, workerSpeciesId: SID });
  // One changed byte of the payload.
  const bytes = Uint8Array.from(atob(env.payload), (ch) => ch.charCodeAt(0));
  bytes[10] ^= 1;
  const tampered = { ...env, payload: btoa(String.fromCharCode(...bytes)) };
  assert.equal((await vd(tampered)).deny_code, "ATTEST_SIG_INVALID");
  assert.equal((await vd({ ...env, payloadType: "text/plain" })).deny_code, "ATTEST_DSSE_INVALID");
  assert.equal((await vd({ ...env, payload: "not base64!" })).deny_code, "ATTEST_DSSE_INVALID");
  assert.equal((await vd({ ...env, signatures: [] })).deny_code, "ATTEST_SIGNATURE_MISSING");
  assert.equal((await vd(null)).deny_code, "ATTEST_DSSE_INVALID");
  assert.equal((await vd(env, [await generateSigningKey()])).deny_code, "ATTEST_KEY_UNKNOWN");
  // The envelope of another package: hash mismatch against this one.
  const other = packageHashFromContents({ "x": "y" });
  assert.equal((await vd(env, [key], other)).deny_code, "ATTEST_HASH_MISMATCH");
  // A validly signed statement whose subject digest disagrees with the manifest.
  const forged = await manifestToDsse({ ...unsigned } as PackageManifest, key);
  const st = JSON.parse(atob(forged.payload));
  st.subject[0].digest.sha256 = "00".repeat(32);
  const resigned = await dsseSign(
    forged.payloadType,
    new TextEncoder().encode(JSON.stringify(st)),
    [key],
  );
  assert.equal((await vd(resigned)).deny_code, "ATTEST_DSSE_INVALID");
  // A key bound to another namespace.
  const evil = await generateSigningKey({ namespace: "org.evil" });
  assert.equal(
    (await vd(await manifestToDsse(unsigned, evil), [evil])).deny_code,
    "ATTEST_KEY_NAMESPACE_MISMATCH",
  );
});
