/// <reference lib="dom" />
/**
 * Attestation panel state and actions: the package held in memory, hashing, signing (Ed25519 or
 * HMAC), verification (latest run wins) and the in-page file editor.
 *
 * @module
 */

import { signal } from "@preact/signals";
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
} from "../../../mod.ts";
import { download } from "../ui.tsx";
import { errorText } from "../errors.ts";

/** A file of the package held in memory. */
export interface PkgFile {
  path: string;
  bytes: Uint8Array;
  sha256: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export const files = signal<PkgFile[]>([]);
export const workerId = signal("org.example.my-worker.instance-1");
export const speciesId = signal("wrk.example.my-worker");
export const version = signal("1.0.0");
export const mode = signal<"ed25519" | "hmac">("ed25519");
export const secret = signal("test-secret-key");
export const key = signal<SigningKey | null>(null);
export const manifestText = signal("");
export const result = signal<AttestationResult | null>(null);
export const problem = signal<string | null>(null);
export const editing = signal<string | null>(null);
export const editText = signal("");
export const busy = signal(false);

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function setFiles(list: { path: string; bytes: Uint8Array }[]): Promise<void> {
  const hashed = await Promise.all(
    list.map(async (f) => ({ ...f, sha256: await sha256Hex(f.bytes) })),
  );
  hashed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  files.value = hashed;
}

export function computePackage(): { hash: PackageHashResult | null; error: string | null } {
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

export function hashNow(): PackageHashResult | null {
  const { hash, error } = computePackage();
  if (error) problem.value = error;
  return hash;
}

// The reference's scaffold (docs/protocol/hashes.md#package-hash): its package hash is a known
// cross-port vector.
export const DEMO: Record<string, string> = {
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

export async function loadDemo(): Promise<void> {
  await setFiles(Object.entries(DEMO).map(([path, t]) => ({ path, bytes: encoder.encode(t) })));
  manifestText.value = "";
  result.value = null;
  editing.value = null;
}

export async function loadPicked(list: FileList | null, fromFolder: boolean): Promise<void> {
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

export async function makeKey(): Promise<void> {
  problem.value = null;
  try {
    key.value = await generateSigningKey({ namespace: tenantNamespace(workerId.value) });
  } catch (e) {
    problem.value = errorText(e);
  }
}

export async function buildAndSign(): Promise<void> {
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

export async function verifyNow(): Promise<void> {
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

export async function downloadDsse(): Promise<void> {
  problem.value = null;
  try {
    if (!key.value) throw new Error("generate an Ed25519 key first");
    const envelope = await manifestToDsse(JSON.parse(manifestText.value), key.value);
    download("attestation.dsse.json", JSON.stringify(envelope, null, 2) + "\n");
  } catch (e) {
    problem.value = errorText(e);
  }
}

export async function saveEdit(): Promise<void> {
  const path = editing.value;
  if (!path) return;
  const others = files.value.filter((f) => f.path !== path);
  await setFiles([...others, { path, bytes: encoder.encode(editText.value) }]);
}

export function openEditor(f: PkgFile): void {
  editing.value = f.path;
  try {
    editText.value = decoder.decode(f.bytes);
  } catch {
    editText.value = "";
    problem.value = `${f.path} is binary; saving replaces it with the text you type.`;
  }
}
