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

import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import type { PackageHashResult } from "../../../mod.ts";
import {
  buildAndSign,
  busy,
  computePackage,
  downloadDsse,
  editing,
  editText,
  files,
  key,
  loadDemo,
  loadPicked,
  makeKey,
  manifestText,
  mode,
  openEditor,
  problem,
  result,
  saveEdit,
  secret,
  setFiles,
  speciesId,
  verifyNow,
  version,
  workerId,
} from "./state.ts";
import { Badge, download, JsonView, TextArea, TextInput } from "../ui.tsx";

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
