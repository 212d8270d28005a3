// Manifests: fields, the reference's HMAC payload and vectors, write_manifest bytes, and
// cross-compatibility with manifests built by hand per the Python recipe.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  buildManifest,
  hmacSigningPayload,
  manifestJson,
  manifestTimestamp,
  packageHashFromContents,
  SCAFFOLD_FILES,
  signManifestHmac,
  tenantNamespace,
  trustStatement,
  verifyManifest,
  WcpError,
} from "../../mod.ts";

const SCAFFOLD_HASH = "a6eeb3dd3aafc410838802130e3675527dcceadf6d2b1e817e2b97f62abf3bb6";
const VECTOR = {
  schema_version: "awp.v1",
  worker_id: "org.example.my-worker.instance-1",
  worker_species_id: "wrk.example.my-worker",
  worker_version: "1.0.0",
  package_hash: SCAFFOLD_HASH,
  built_at_utc: "2026-01-01T00:00:00Z",
  build_source: "local",
};

Deno.test("manifest: the reference's signing payload and HMAC test vector", () => {
  assert.equal(
    hmacSigningPayload(VECTOR),
    '{"build_source":"local","built_at_utc":"2026-01-01T00:00:00Z","package_hash":"' +
      SCAFFOLD_HASH +
      '","schema_version":"awp.v1","worker_id":"org.example.my-worker.instance-1",' +
      '"worker_species_id":"wrk.example.my-worker","worker_version":"1.0.0"}',
  );
  const m = buildManifest({
    packageHash: packageHashFromContents(SCAFFOLD_FILES),
    workerId: VECTOR.worker_id,
    workerSpeciesId: VECTOR.worker_species_id,
    workerVersion: "1.0.0",
    now: Date.UTC(2026, 0, 1, 0, 0, 0, 750),
  });
  assert.equal(
    signManifestHmac(m, "test-secret-key").signature_hmac_sha256,
    "ea9d8a2a5724542ff7cc0792ccb06bc0d1276448812aeea6b15d3d77fe111030",
  );
});

Deno.test("manifest: Python's ASCII escaping in the payload (non-ASCII, <>&, missing keys)", () => {
  // Values generated with CPython json.dumps + hmac (behaviour.md 9.5 cross-port cases).
  const beta = { ...VECTOR, worker_version: "1.0.0-β" };
  assert.match(hmacSigningPayload(beta), /"worker_version":"1\.0\.0-\\u03b2"/);
  assert.equal(
    signManifestHmac(beta as never, "test-secret-key").signature_hmac_sha256,
    "56328b2c069fd4b922ea41ee6421679b16477d702fe6f5451ab3d3048a783e7c",
  );
  const html = { ...VECTOR, build_source: "ci<x>&" };
  assert.match(hmacSigningPayload(html), /"build_source":"ci<x>&"/);
  assert.equal(
    signManifestHmac(html as never, "test-secret-key").signature_hmac_sha256,
    "7432848449bb0c844ce723c6f88bb8099210ce69739cb336f97cba87fdd26d4d",
  );
  assert.match(hmacSigningPayload({}), /^\{"build_source":null,"built_at_utc":null,/);
});

Deno.test("manifest: fields, timestamps and trust statement as the reference builds them", () => {
  const m = buildManifest({
    packageHash: SCAFFOLD_HASH,
    workerId: "x.alice.w",
    workerSpeciesId: "wrk.a.b",
    workerVersion: "2",
    buildSource: "ci",
    now: Date.UTC(2026, 4, 6, 7, 8, 9, 999),
  });
  assert.deepEqual(m, {
    schema_version: "awp.v1",
    worker_id: "x.alice.w",
    worker_species_id: "wrk.a.b",
    worker_version: "2",
    package_hash: SCAFFOLD_HASH,
    built_at_utc: "2026-05-06T07:08:09Z",
    attested_at_utc: "2026-05-06T07:08:09Z",
    build_source: "ci",
    trust_statement:
      `Package attested by namespace x.alice at 2026-05-06T07:08:09Z; package hash sha256:${SCAFFOLD_HASH}.`,
  });
  assert.equal(manifestTimestamp(0), "1970-01-01T00:00:00Z");
  assert.equal(
    trustStatement("org.a", "t", "h"),
    "Package attested by namespace org.a at t; package hash sha256:h.",
  );
});

Deno.test("manifest: namespace binding from worker_id, never the species", () => {
  assert.equal(tenantNamespace("org.acme.sum.1"), "org.acme");
  assert.equal(tenantNamespace("x.alice"), "x.alice");
  assert.equal(tenantNamespace("org."), "org.");
  for (const bad of ["wrk.acme.sum", "cap.x.y", "orgx.a", "acme", ""]) {
    assert.throws(
      () => tenantNamespace(bad),
      (e) => e instanceof WcpError && e.code === "ATTEST_NAMESPACE_INVALID",
    );
    if (bad === "") continue; // an empty id is ATTEST_INPUT_INVALID (tested below)
    assert.throws(
      () =>
        buildManifest({
          packageHash: SCAFFOLD_HASH,
          workerId: bad,
          workerSpeciesId: "wrk.a.b",
          workerVersion: "1",
        }),
      (e) => e instanceof WcpError && e.code === "ATTEST_NAMESPACE_INVALID",
    );
  }
});

Deno.test("manifest: build refuses unsafe packages and bad fields, naming them", () => {
  const unsafe = {
    ...packageHashFromContents({ "a": "a" }),
    unsafe: [{ path: "l", kind: "symlink" as const }],
  };
  assert.throws(
    () =>
      buildManifest({
        packageHash: unsafe,
        workerId: "org.a.w",
        workerSpeciesId: "wrk.a.b",
        workerVersion: "1",
      }),
    (e) =>
      e instanceof WcpError && e.code === "ATTEST_UNSAFE_PATH" && /"l" \(symlink\)/.test(e.message),
  );
  for (
    const [field, opts] of [
      ["workerId", { workerId: "" }],
      ["workerVersion", { workerVersion: "" }],
      ["workerSpeciesId", { workerSpeciesId: 3 }],
      ["packageHash", { packageHash: "ABC" }],
      ["buildSource", { buildSource: "" }],
    ] as const
  ) {
    assert.throws(
      () =>
        buildManifest({
          packageHash: SCAFFOLD_HASH,
          workerId: "org.a.w",
          workerSpeciesId: "wrk.a.b",
          workerVersion: "1",
          ...opts,
        } as never),
      (e) => e instanceof WcpError && e.path === field,
    );
  }
  assert.throws(
    () =>
      signManifestHmac(
        buildManifest({
          packageHash: SCAFFOLD_HASH,
          workerId: "org.a.w",
          workerSpeciesId: "wrk.a.b",
          workerVersion: "1",
        }),
        "",
      ),
    WcpError,
  );
});

Deno.test("manifest: manifestJson is byte-identical to Python's write_manifest (golden)", async () => {
  const golden = await Deno.readTextFile(
    new URL("./fixtures/python_write_manifest.json", import.meta.url),
  );
  const m = {
    schema_version: "awp.v1",
    worker_id: "x.zoë.w",
    worker_species_id: "wrk.a.b",
    worker_version: "1.0.0-β",
    package_hash: "ab".repeat(32),
    built_at_utc: "2026-01-01T00:00:00Z",
    attested_at_utc: "2026-01-01T00:00:00Z",
    build_source: "ci<x>&",
    trust_statement: 'T "q" \\ /\n\t\x7f\u{1F600}',
    extra: { list: [1, 2.5, null, true, []], empty: {}, z: 1e-7 },
  };
  assert.equal(manifestJson(m), golden);
  assert.deepEqual(JSON.parse(golden), m);
});

Deno.test("cross-compat: a manifest built by hand per the Python recipe verifies here", async () => {
  const computed = packageHashFromContents(SCAFFOLD_FILES);
  // Python: payload = json.dumps({k: m.get(k) for k in 7 keys}, sort_keys=True, separators=(",",":"))
  const fields = { ...VECTOR, worker_version: "1.0.0-β" };
  const payload = "{" +
    Object.keys(fields).sort().map((k) =>
      `"${k}":"${(fields as Record<string, string>)[k].replace("β", "\\u03b2")}"`
    ).join(",") + "}";
  const sig = createHmac("sha256", "k-e-y").update(payload).digest("hex");
  const pythonManifest = {
    ...fields,
    attested_at_utc: "2026-01-01T00:00:00Z",
    trust_statement: "whatever the reference wrote (unsigned)",
    signature_hmac_sha256: sig,
  };
  const text = manifestJson(pythonManifest as never);
  const r = await verifyManifest({
    manifest: JSON.parse(text),
    computed,
    workerId: VECTOR.worker_id,
    workerSpeciesId: VECTOR.worker_species_id,
    mode: "hmac-sha256",
    secret: "k-e-y",
  });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(
    r.meta.trust_statement,
    trustStatement("org.example", "2026-01-01T00:00:00Z", SCAFFOLD_HASH),
  );
  assert.equal(r.meta.attested_at_utc, "2026-01-01T00:00:00Z");
  assert.equal(r.meta.package_hash, SCAFFOLD_HASH);
});

Deno.test("cross-compat: a manifest signed here carries the signature Python computes", () => {
  const m = signManifestHmac(
    buildManifest({
      packageHash: SCAFFOLD_HASH,
      workerId: "org.zoë.w",
      workerSpeciesId: "wrk.a.b",
      workerVersion: "3-β",
      now: Date.UTC(2026, 1, 2),
    }),
    "sekret",
  );
  const payload =
    `{"build_source":"local","built_at_utc":"2026-02-02T00:00:00Z","package_hash":"${SCAFFOLD_HASH}",` +
    `"schema_version":"awp.v1","worker_id":"org.zo\\u00eb.w","worker_species_id":"wrk.a.b","worker_version":"3-\\u03b2"}`;
  assert.equal(
    m.signature_hmac_sha256,
    createHmac("sha256", "sekret").update(payload).digest("hex"),
  );
  // And the file is pure ASCII, as Python writes it.
  assert.ok([...manifestJson(m)].every((c) => c.charCodeAt(0) < 0x80));
});
