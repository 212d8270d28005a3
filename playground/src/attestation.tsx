/** @jsxRuntime automatic */
/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The Attestation panel: load a worker package (folder, files or the demo), see its canonical hash,
 * sign a manifest with a generated Ed25519 key or an HMAC secret, download and verify it, then
 * change a file in the page and watch the verifier's ATTEST_* code.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import {
  type AttestationResult,
  buildManifest,
  generateSigningKey,
  manifestJson,
  manifestToDsse,
  packageHash,
  type PackageHashResult,
  type SigningKey,
  signManifestEd25519,
  signManifestHmac,
  tenantNamespace,
  verifyManifest,
} from "../../mod.ts";
import { Badge, download, JsonView, TextArea, TextInput } from "./ui.tsx";
import { errorText } from "./errors.ts";

/** A file of the package held in memory. */
interface PkgFile {
  path: string;
  bytes: Uint8Array;
  sha256: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const files = signal<PkgFile[]>([]);
const workerId = signal("org.example.my-worker.instance-1");
const speciesId = signal("wrk.example.my-worker");
const version = signal("1.0.0");
const mode = signal<"ed25519" | "hmac">("ed25519");
const secret = signal("test-secret-key");
const key = signal<SigningKey | null>(null);
const manifestText = signal("");
const result = signal<AttestationResult | null>(null);
const problem = signal<string | null>(null);
const editing = signal<string | null>(null);
const editText = signal("");
const busy = signal(false);

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function setFiles(list: { path: string; bytes: Uint8Array }[]): Promise<void> {
  const hashed = await Promise.all(
    list.map(async (f) => ({ ...f, sha256: await sha256Hex(f.bytes) })),
  );
  hashed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  files.value = hashed;
}

function computePackage(): { hash: PackageHashResult | null; error: string | null } {
  try {
    const hash = packageHash(files.value.map((f) => ({
      path: f.path,
      size: f.bytes.length,
      sha256: f.sha256,
    })));
    return { hash, error: null };
  } catch (e) {
    return { hash: null, error: errorText(e) };
  }
}

function hashNow(): PackageHashResult | null {
  const { hash, error } = computePackage();
  if (error) problem.value = error;
  return hash;
}

// The reference's scaffold (behaviour.md 9.4): its package hash is a known cross-port vector.
const DEMO: Record<string, string> = {
  "code/bootstrap.py":
    "#!/usr/bin/env python3\nfrom worker_logic import run\n\nif __name__ == '__main__':\n    run()\n",
  "code/worker_logic.py":
    '"""Worker business logic \u2014 replace this stub with your implementation."""\n\n\n' +
    'def run():\n    raise NotImplementedError("Replace this stub with your worker logic.")\n',
  "requirements.lock": "# Pin your dependencies here \u2014 one package==version per line\n",
  "config.schema.json": JSON.stringify(
    {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: {},
      additionalProperties: true,
    },
    null,
    2,
  ) + "\n",
};

async function loadDemo(): Promise<void> {
  await setFiles(Object.entries(DEMO).map(([path, t]) => ({ path, bytes: encoder.encode(t) })));
  manifestText.value = "";
  result.value = null;
  editing.value = null;
}

async function loadPicked(list: FileList | null, fromFolder: boolean): Promise<void> {
  if (!list || list.length === 0) return;
  const picked: { path: string; bytes: Uint8Array }[] = [];
  let manifest: string | null = null;
  for (const f of Array.from(list)) {
    const rel = fromFolder && f.webkitRelativePath
      ? f.webkitRelativePath.split("/").slice(1).join("/") // drop the picked folder's own name
      : f.name;
    const bytes = new Uint8Array(await f.arrayBuffer());
    if (rel === "manifest.json") manifest = new TextDecoder().decode(bytes);
    picked.push({ path: rel, bytes });
  }
  await setFiles(picked);
  editing.value = null;
  result.value = null;
  if (manifest !== null) manifestText.value = manifest;
}

async function makeKey(): Promise<void> {
  problem.value = null;
  try {
    key.value = await generateSigningKey({ namespace: tenantNamespace(workerId.value) });
  } catch (e) {
    problem.value = errorText(e);
  }
}

async function buildAndSign(): Promise<void> {
  problem.value = null;
  const computed = hashNow();
  if (!computed) return;
  try {
    const unsigned = buildManifest({
      packageHash: computed,
      workerId: workerId.value,
      workerSpeciesId: speciesId.value,
      workerVersion: version.value,
    });
    let signed;
    if (mode.value === "hmac") {
      if (!secret.value) throw new Error("enter an HMAC secret first");
      signed = signManifestHmac(unsigned, secret.value);
    } else {
      if (!key.value) await makeKey();
      if (!key.value) return;
      signed = await signManifestEd25519(unsigned, key.value);
    }
    manifestText.value = manifestJson(signed);
    await verifyNow();
  } catch (e) {
    problem.value = errorText(e);
  }
}

// Verification is async; only the latest run may show its result.
let generation = 0;

async function verifyNow(): Promise<void> {
  const run = ++generation;
  const computed = hashNow();
  if (!computed || !manifestText.value.trim()) {
    result.value = null;
    return;
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestText.value);
  } catch {
    manifest = manifestText.value; // the verifier names what is wrong with it
  }
  busy.value = true;
  try {
    const common = {
      manifest,
      computed,
      workerId: workerId.value,
      workerSpeciesId: speciesId.value,
    };
    const verdict = mode.value === "hmac"
      ? await verifyManifest({ ...common, mode: "hmac-sha256", secret: secret.value })
      : await verifyManifest({
        ...common,
        mode: "ed25519",
        keys: key.value
          ? [{
            key_id: key.value.key_id,
            public_key: key.value.public_key,
            namespace: key.value.namespace,
          }]
          : [],
      });
    if (run !== generation) return;
    result.value = verdict;
    problem.value = null;
  } catch (e) {
    if (run !== generation) return;
    problem.value = errorText(e);
    result.value = null;
  } finally {
    if (run === generation) busy.value = false;
  }
}

async function downloadDsse(): Promise<void> {
  problem.value = null;
  try {
    if (!key.value) throw new Error("generate an Ed25519 key first");
    const envelope = await manifestToDsse(JSON.parse(manifestText.value), key.value);
    download("attestation.dsse.json", JSON.stringify(envelope, null, 2) + "\n");
  } catch (e) {
    problem.value = errorText(e);
  }
}

async function saveEdit(): Promise<void> {
  const path = editing.value;
  if (!path) return;
  const others = files.value.filter((f) => f.path !== path);
  await setFiles([...others, { path, bytes: encoder.encode(editText.value) }]);
}

function openEditor(f: PkgFile): void {
  editing.value = f.path;
  try {
    editText.value = decoder.decode(f.bytes);
  } catch {
    editText.value = "";
    problem.value = `${f.path} is binary; saving replaces it with the text you type.`;
  }
}

function FileList(props: { computed: PackageHashResult | null }): JSX.Element {
  const excluded = new Set(props.computed?.excluded ?? []);
  const unsafe = new Set((props.computed?.unsafe ?? []).map((u) => u.path));
  return (
    <ul class="file-list" id="package-files">
      {files.value.map((f) => (
        <li key={f.path}>
          <button type="button" onClick={() => openEditor(f)} aria-label={`edit ${f.path}`}>
            Edit
          </button>
          <button
            type="button"
            aria-label={`remove ${f.path}`}
            onClick={() => (files.value = files.value.filter((x) => x !== f))}
          >
            ✕
          </button>
          <code>{f.path}</code>
          <span class="muted">{f.bytes.length} B</span>
          {excluded.has(f.path) && <Badge kind="skip">excluded</Badge>}
          {unsafe.has(f.path) && <Badge kind="deny">unsafe</Badge>}
        </li>
      ))}
    </ul>
  );
}

function Editor(): JSX.Element | null {
  if (editing.value === null) return null;
  return (
    <div class="card">
      <TextInput
        id="edit-path"
        label="Path"
        value={editing.value}
        onInput={(v) => {
          const old = editing.value;
          files.value = files.value.map((f) => (f.path === old ? { ...f, path: v } : f));
          editing.value = v;
        }}
      />
      <TextArea
        id="edit-content"
        label={`Content of ${editing.value}`}
        value={editText.value}
        onInput={(v) => (editText.value = v)}
        rows={10}
      />
      <div class="toolbar">
        <button type="button" class="primary" id="save-file" onClick={saveEdit}>Save change</button>
        <button type="button" onClick={() => (editing.value = null)}>Close editor</button>
      </div>
    </div>
  );
}

/** The Attestation panel. */
export function AttestationPanel(): JSX.Element {
  const computed = files.value.length > 0 ? computePackage().hash : null;
  // Re-verify whenever the package, the manifest or the trust inputs change.
  useEffect(() => {
    verifyNow();
  }, [
    files.value,
    manifestText.value,
    mode.value,
    secret.value,
    key.value,
    workerId.value,
    speciesId.value,
  ]);
  const r = result.value;
  return (
    <div class="two-col">
      <div class="col">
        <h2>1. The package</h2>
        <div class="toolbar">
          <button type="button" id="load-demo" onClick={loadDemo}>Load demo package</button>
          <label class="file-pick">
            Pick a folder{" "}
            <input
              type="file"
              id="pick-folder"
              {...{ webkitdirectory: true }}
              multiple
              onChange={(e) => loadPicked((e.currentTarget as HTMLInputElement).files, true)}
            />
          </label>
          <label class="file-pick">
            or files{" "}
            <input
              type="file"
              id="pick-files"
              multiple
              onChange={(e) => loadPicked((e.currentTarget as HTMLInputElement).files, false)}
            />
          </label>
          <button
            type="button"
            onClick={() => {
              const path = `new-file-${files.value.length + 1}.txt`;
              setFiles([...files.value, { path, bytes: new Uint8Array() }]).then(() => {
                editing.value = path;
                editText.value = "";
              });
            }}
          >
            Add a file
          </button>
        </div>
        <p class="hint">
          Files never leave the page: they are hashed here with Web Crypto. Excluded names (
          <code>manifest.json</code>, <code>.git</code>, <code>__pycache__</code>,{" "}
          <code>*.pyc</code>
          …) are listed but not hashed.
        </p>
        <FileList computed={computed} />
        <p>
          Package hash:{" "}
          <span class="hash" id="package-hash">
            {computed ? computed.digest : "no package yet"}
          </span>
        </p>
        <Editor />
      </div>
      <div class="col">
        <h2>2. Sign</h2>
        <div class="form-grid">
          <TextInput
            id="att-worker"
            label="worker_id"
            value={workerId.value}
            onInput={(v) => (workerId.value = v)}
          />
          <TextInput
            id="att-species"
            label="worker_species_id"
            value={speciesId.value}
            onInput={(v) => (speciesId.value = v)}
          />
          <TextInput
            id="att-version"
            label="worker_version"
            value={version.value}
            onInput={(v) => (version.value = v)}
          />
        </div>
        <fieldset>
          <legend>Signing mode</legend>
          <label>
            <input
              type="radio"
              name="att-mode"
              id="mode-ed25519"
              checked={mode.value === "ed25519"}
              onChange={() => (mode.value = "ed25519")}
            />{" "}
            Ed25519 key (production)
          </label>{" "}
          <label>
            <input
              type="radio"
              name="att-mode"
              id="mode-hmac"
              checked={mode.value === "hmac"}
              onChange={() => (mode.value = "hmac")}
            />{" "}
            HMAC secret (reference-compatible)
          </label>
          {mode.value === "ed25519"
            ? (
              <div class="toolbar">
                <button type="button" id="gen-key" onClick={makeKey}>Generate Ed25519 key</button>
                <span class="hash" id="key-id">{key.value ? key.value.key_id : "no key yet"}</span>
              </div>
            )
            : (
              <TextInput
                id="hmac-secret"
                label="HMAC secret"
                type="password"
                value={secret.value}
                onInput={(v) => (secret.value = v)}
              />
            )}
        </fieldset>
        <div class="toolbar">
          <button
            type="button"
            class="primary"
            id="sign"
            disabled={files.value.length === 0}
            onClick={buildAndSign}
          >
            Build and sign manifest
          </button>
          <button
            type="button"
            id="download-manifest"
            disabled={!manifestText.value}
            onClick={() => download("manifest.json", manifestText.value)}
          >
            Download manifest.json
          </button>
          <button
            type="button"
            id="download-dsse"
            disabled={!manifestText.value || mode.value !== "ed25519" || !key.value}
            onClick={downloadDsse}
          >
            Download DSSE envelope (in-toto)
          </button>
          <button type="button" id="verify" disabled={!manifestText.value} onClick={verifyNow}>
            Verify
          </button>
        </div>
        {problem.value && <p class="error" role="alert">{problem.value}</p>}
        <h2>3. Verify</h2>
        <div aria-live="polite" id="verify-result">
          {r === null
            ? <p class="muted">Build a manifest (or paste one below) to verify it.</p>
            : r.ok
            ? (
              <p>
                <Badge kind="valid">
                  <span id="attest-code">VERIFIED</span>
                </Badge>{" "}
                {busy.value ? "checking…" : "the package matches its signed manifest."}
              </p>
            )
            : (
              <p>
                <Badge kind="deny">
                  <span id="attest-code">{r.deny_code}</span>
                </Badge>{" "}
                the verifier refuses this package.
              </p>
            )}
          {r && <JsonView value={r.meta} label="verification details" />}
        </div>
        <TextArea
          id="manifest"
          label="manifest.json (edit it to see other codes)"
          value={manifestText.value}
          onInput={(v) => (manifestText.value = v)}
          rows={12}
        />
      </div>
    </div>
  );
}
