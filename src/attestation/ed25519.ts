/**
 * Ed25519 keys (Web Crypto): generation, key ids, key files, trusted key rings for rotation, and
 * the public keys stored with a worker's registry record.
 *
 * @module
 */

import { WcpError } from "../errors.ts";
import { sha256Hex } from "../encoding/hash.ts";
import { concatBytes, fromBase64Strict, toBase64 } from "../encoding/bytes.ts";
import { tenantNamespace } from "./namespace.ts";

/**
 * Anything that signs bytes with Ed25519 under a key id (a {@link SigningKey} is one).
 *
 * @example
 * ```ts
 * import { generateSigningKey, type Ed25519Signer } from "@wcp/core";
 * const signer: Ed25519Signer = await generateSigningKey();
 * (await signer.sign(new Uint8Array([1]))).length; // 64
 * ```
 */
export interface Ed25519Signer {
  /** `ed25519:<sha256 hex of the raw public key>`. */
  readonly key_id: string;
  /** Sign bytes; resolves to the 64-byte signature. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/**
 * A private Ed25519 key ready to sign.
 *
 * @example
 * ```ts
 * import { generateSigningKey, type SigningKey } from "@wcp/core";
 * const key: SigningKey = await generateSigningKey({ namespace: "org.acme" });
 * key.key_id.startsWith("ed25519:"); // true
 * ```
 */
export interface SigningKey extends Ed25519Signer {
  /** Standard base64 of the raw 32-byte public key. */
  readonly public_key: string;
  /** Namespace (`org.<name>` / `x.<name>`) this key may sign for, when bound. */
  readonly namespace?: string;
  /** The Web Crypto private key (extractable, so it can be written to a key file). */
  readonly privateKey: CryptoKey;
}

/**
 * A public key a verifier trusts.
 *
 * @example
 * ```ts
 * import { generateSigningKey, type TrustedKey, trustedKeyOf } from "@wcp/core";
 * const t: TrustedKey = trustedKeyOf(await generateSigningKey());
 * t.public_key.length; // 44
 * ```
 */
export interface TrustedKey {
  /** `ed25519:<sha256 hex of the raw public key>`; must match `public_key`. */
  key_id: string;
  /** Standard base64 (or base64url) of the raw 32-byte public key. */
  public_key: string;
  /** When set, the key only vouches for workers of this namespace. */
  namespace?: string;
}

/**
 * The JSON key file format (`wcp_key_file: 1`). Without `private_key` it is a public key file.
 *
 * @example
 * ```ts
 * import { exportKeyFile, generateSigningKey, type KeyFile } from "@wcp/core";
 * const file: KeyFile = await exportKeyFile(await generateSigningKey(), { includePrivate: false });
 * file.alg; // "ed25519"
 * ```
 */
export interface KeyFile {
  /** Format version, always 1. */
  wcp_key_file: 1;
  /** Always `ed25519`. */
  alg: "ed25519";
  /** Key id derived from the public key. */
  key_id: string;
  /** Standard base64 of the raw 32-byte public key. */
  public_key: string;
  /** Standard base64 of the 32-byte private seed (keep the file mode 0600). */
  private_key?: string;
  /** Namespace binding, e.g. `org.acme`. */
  namespace?: string;
  /** RFC 3339 creation time. */
  created_at?: string;
}

const ALG = { name: "Ed25519" } as const;
const PKCS8_PREFIX = new Uint8Array([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
]);

/**
 * The key id of a raw 32-byte Ed25519 public key: `ed25519:` + lowercase hex SHA-256 of it.
 *
 * @example
 * ```ts
 * import { keyIdFor } from "@wcp/core";
 * keyIdFor(new Uint8Array(32)).startsWith("ed25519:"); // true
 * ```
 */
export function keyIdFor(publicKeyRaw: Uint8Array): string {
  if (!(publicKeyRaw instanceof Uint8Array) || publicKeyRaw.length !== 32) {
    throw new WcpError("KEY_INVALID", "public_key", "an Ed25519 public key is 32 bytes");
  }
  return "ed25519:" + sha256Hex(publicKeyRaw);
}

function checkNamespace(ns: string | undefined, path: string): string | undefined {
  if (ns === undefined) return undefined;
  if (typeof ns !== "string" || !/^(org|x)\.[^.]+$/.test(ns)) {
    throw new WcpError("KEY_INVALID", path, "namespace must be 'org.<name>' or 'x.<name>'");
  }
  return ns;
}

async function fromPkcs8(seed: Uint8Array, namespace?: string): Promise<SigningKey> {
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    concatBytes([PKCS8_PREFIX, seed]) as BufferSource,
    ALG,
    true,
    ["sign"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  const raw = fromBase64Strict(jwk.x ?? "");
  if (raw === null || raw.length !== 32) {
    throw new WcpError("KEY_INVALID", "private_key", "could not derive the public key");
  }
  return makeSigningKey(privateKey, raw, namespace);
}

function makeSigningKey(privateKey: CryptoKey, raw: Uint8Array, namespace?: string): SigningKey {
  const key_id = keyIdFor(raw);
  return {
    key_id,
    public_key: toBase64(raw),
    ...(namespace === undefined ? {} : { namespace }),
    privateKey,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(await crypto.subtle.sign("Ed25519", privateKey, data as BufferSource));
    },
  };
}

/**
 * Generate a fresh Ed25519 signing key, optionally bound to a namespace.
 *
 * @example
 * ```ts
 * import { generateSigningKey } from "@wcp/core";
 * const key = await generateSigningKey({ namespace: "org.acme" });
 * (await key.sign(new Uint8Array([1]))).length; // 64
 * ```
 */
export async function generateSigningKey(
  options: { namespace?: string } = {},
): Promise<SigningKey> {
  const ns = checkNamespace(options.namespace, "namespace");
  const pair = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return makeSigningKey(pair.privateKey, raw, ns);
}

/**
 * A signing key from a 32-byte private seed (RFC 8032 "secret key").
 *
 * @example
 * ```ts
 * import { signingKeyFromSeed } from "@wcp/core";
 * const key = await signingKeyFromSeed(new Uint8Array(32).fill(7));
 * key.public_key.length; // 44
 * ```
 */
export function signingKeyFromSeed(
  seed: Uint8Array,
  options: { namespace?: string } = {},
): Promise<SigningKey> {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new WcpError("KEY_INVALID", "private_key", "an Ed25519 seed is 32 bytes");
  }
  return fromPkcs8(seed, checkNamespace(options.namespace, "namespace"));
}

/**
 * Serialise a key as a {@link KeyFile} object (`JSON.stringify` it to write). The private seed is
 * included only with `includePrivate: true`.
 *
 * @example
 * ```ts
 * import { exportKeyFile, generateSigningKey } from "@wcp/core";
 * const file = await exportKeyFile(await generateSigningKey(), { includePrivate: false });
 * file.private_key; // undefined
 * ```
 */
export async function exportKeyFile(
  key: SigningKey,
  options: { includePrivate: boolean; now?: number },
): Promise<KeyFile> {
  const file: KeyFile = {
    wcp_key_file: 1,
    alg: "ed25519",
    key_id: key.key_id,
    public_key: key.public_key,
    ...(key.namespace === undefined ? {} : { namespace: key.namespace }),
    created_at: new Date(options.now ?? Date.now()).toISOString(),
  };
  if (options.includePrivate) {
    const jwk = await crypto.subtle.exportKey("jwk", key.privateKey);
    const seed = fromBase64Strict(jwk.d ?? "");
    if (seed === null) throw new WcpError("KEY_INVALID", "private_key", "key not exportable");
    file.private_key = toBase64(seed);
  }
  return file;
}

function decodeKey(value: unknown, path: string): Uint8Array {
  const raw = typeof value === "string" ? fromBase64Strict(value) : null;
  if (raw === null || raw.length !== 32) {
    throw new WcpError("KEY_INVALID", path, "must be base64 of exactly 32 bytes");
  }
  return raw;
}

/**
 * Validate a parsed key file; throws `WcpError` `KEY_INVALID` naming the field (including a
 * `key_id` that does not match the public key).
 *
 * @example
 * ```ts
 * import { exportKeyFile, generateSigningKey, parseKeyFile } from "@wcp/core";
 * const text = JSON.stringify(await exportKeyFile(await generateSigningKey(), { includePrivate: true }));
 * parseKeyFile(JSON.parse(text)).alg; // "ed25519"
 * ```
 */
export function parseKeyFile(doc: unknown): KeyFile {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new WcpError("KEY_INVALID", "", "a key file is a JSON object");
  }
  const d = doc as Record<string, unknown>;
  if (d.wcp_key_file !== 1) throw new WcpError("KEY_INVALID", "wcp_key_file", "must be 1");
  if (d.alg !== "ed25519") throw new WcpError("KEY_INVALID", "alg", "must be 'ed25519'");
  const raw = decodeKey(d.public_key, "public_key");
  if (d.key_id !== keyIdFor(raw)) {
    throw new WcpError("KEY_INVALID", "key_id", "does not match the public key");
  }
  if (d.private_key !== undefined) decodeKey(d.private_key, "private_key");
  const ns = checkNamespace(d.namespace as string | undefined, "namespace");
  if (d.created_at !== undefined && typeof d.created_at !== "string") {
    throw new WcpError("KEY_INVALID", "created_at", "must be a string");
  }
  return {
    wcp_key_file: 1,
    alg: "ed25519",
    key_id: d.key_id as string,
    public_key: toBase64(raw),
    ...(d.private_key === undefined ? {} : { private_key: d.private_key as string }),
    ...(ns === undefined ? {} : { namespace: ns }),
    ...(d.created_at === undefined ? {} : { created_at: d.created_at as string }),
  };
}

/**
 * Load the signing key of a private key file; throws `KEY_INVALID` when the file has no private
 * key or the private key does not belong to the public key.
 *
 * @example
 * ```ts
 * import { exportKeyFile, generateSigningKey, signingKeyFromKeyFile } from "@wcp/core";
 * const k = await generateSigningKey();
 * const again = await signingKeyFromKeyFile(await exportKeyFile(k, { includePrivate: true }));
 * again.key_id === k.key_id; // true
 * ```
 */
export async function signingKeyFromKeyFile(file: KeyFile): Promise<SigningKey> {
  const kf = parseKeyFile(file);
  if (kf.private_key === undefined) {
    throw new WcpError("KEY_INVALID", "private_key", "this is a public key file");
  }
  const key = await fromPkcs8(decodeKey(kf.private_key, "private_key"), kf.namespace);
  if (key.key_id !== kf.key_id) {
    throw new WcpError("KEY_INVALID", "private_key", "does not belong to public_key");
  }
  return key;
}

/**
 * The public part of a key file (or of a signing key) as a {@link TrustedKey}.
 *
 * @example
 * ```ts
 * import { generateSigningKey, trustedKeyOf } from "@wcp/core";
 * const k = await generateSigningKey();
 * trustedKeyOf(k).key_id === k.key_id; // true
 * ```
 */
export function trustedKeyOf(key: KeyFile | SigningKey | TrustedKey): TrustedKey {
  if (typeof key !== "object" || key === null || Array.isArray(key)) {
    throw new WcpError("KEY_INVALID", "", "a key is an object with key_id and public_key");
  }
  const raw = decodeKey(key.public_key, "public_key");
  if (key.key_id !== keyIdFor(raw)) {
    throw new WcpError("KEY_INVALID", "key_id", "does not match the public key");
  }
  const ns = checkNamespace(key.namespace, "namespace");
  return { key_id: key.key_id, public_key: toBase64(raw), ...(ns ? { namespace: ns } : {}) };
}

/**
 * The part of a registry record (`RegistryRecord`) that carries worker keys.
 *
 * @example
 * ```ts
 * import type { RecordWithKeys } from "@wcp/core";
 * const rec: RecordWithKeys = { worker_id: "org.acme.w.1", public_keys: {} };
 * ```
 */
export interface RecordWithKeys {
  /** `org.<name>.…` / `x.<name>.…`: the keys' namespace. */
  worker_id: string;
  /** Ed25519 public keys: `{ [keyIdFor(raw)]: base64(raw) }`. */
  public_keys?: Record<string, string>;
  /** The record's other fields are ignored. */
  [field: string]: unknown;
}

/**
 * The trusted keys of a registry record's `public_keys` (`{ key_id: base64 raw key }`), each
 * bound to the namespace of the record's `worker_id`. Several keys = rotation. Throws
 * `KEY_INVALID` with the path `public_keys.<id>` when an id does not match its key.
 *
 * @example
 * ```ts
 * import { generateSigningKey, trustedKeysFromRecord } from "@wcp/core";
 * const k = await generateSigningKey();
 * const keys = trustedKeysFromRecord({ worker_id: "org.acme.w.1", worker_species_id: "wrk.a.b",
 *   capabilities: [], public_keys: { [k.key_id]: k.public_key } });
 * keys[0].namespace; // "org.acme"
 * ```
 */
export function trustedKeysFromRecord(record: RecordWithKeys): TrustedKey[] {
  const map = record?.public_keys;
  if (map === undefined) return [];
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new WcpError("KEY_INVALID", "public_keys", "must be an object of key id to base64 key");
  }
  const ns = tenantNamespace(record.worker_id);
  return Object.entries(map).map(([id, b64]) => {
    const raw = decodeKey(b64, `public_keys.${id}`);
    if (id !== keyIdFor(raw)) {
      throw new WcpError("KEY_INVALID", `public_keys.${id}`, "key id does not match the key");
    }
    return { key_id: id, public_key: toBase64(raw), namespace: ns };
  });
}

/**
 * A set of trusted public keys, indexed by key id, with imported Web Crypto keys cached so that
 * verifying long receipt chains does not re-import a key per signature.
 *
 * @example
 * ```ts
 * import { generateSigningKey, KeyRing } from "@wcp/core";
 * const k = await generateSigningKey();
 * const ring = new KeyRing([k]);
 * const data = new Uint8Array([1, 2, 3]);
 * await ring.verify(k.key_id, await k.sign(data), data); // true
 * ```
 */
export class KeyRing {
  readonly #keys = new Map<string, TrustedKey>();
  readonly #imported = new Map<string, Promise<CryptoKey>>();

  /** Build from trusted keys (or signing keys / key files, whose public part is used). */
  constructor(keys: Iterable<TrustedKey | SigningKey | KeyFile> = []) {
    for (const k of keys) this.add(k);
  }

  /**
   * Add a key (validated).
   *
   * @example
   * ```ts
   * import { generateSigningKey, KeyRing } from "@wcp/core";
   * const ring = new KeyRing();
   * ring.add(await generateSigningKey());
   * ring.size; // 1
   * ```
   */
  add(key: TrustedKey | SigningKey | KeyFile): void {
    const t = trustedKeyOf(key);
    this.#keys.set(t.key_id, t);
    this.#imported.delete(t.key_id);
  }

  /** Number of keys. */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * The trusted key with this id, or undefined.
   *
   * @example
   * ```ts
   * import { KeyRing } from "@wcp/core";
   * new KeyRing().get("ed25519:00"); // undefined
   * ```
   */
  get(keyId: string): TrustedKey | undefined {
    return this.#keys.get(keyId);
  }

  /**
   * Verify an Ed25519 signature by a key of this ring; false for an unknown key or a signature
   * that is not 64 bytes.
   *
   * @example
   * ```ts
   * import { KeyRing } from "@wcp/core";
   * await new KeyRing().verify("ed25519:00", new Uint8Array(64), new Uint8Array()); // false
   * ```
   */
  async verify(keyId: string, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
    const t = this.#keys.get(keyId);
    if (t === undefined || signature.length !== 64) return false;
    let imported = this.#imported.get(keyId);
    if (imported === undefined) {
      const raw = fromBase64Strict(t.public_key) as Uint8Array;
      imported = crypto.subtle.importKey("raw", raw as BufferSource, ALG, false, ["verify"]);
      this.#imported.set(keyId, imported);
    }
    try {
      return await crypto.subtle.verify(
        "Ed25519",
        await imported,
        signature as BufferSource,
        data as BufferSource,
      );
    } catch {
      return false;
    }
  }
}

/**
 * Coerce trusted keys given as an array or a ring into a {@link KeyRing}. Anything that is not
 * a list of valid keys throws `WcpError` `KEY_INVALID` with the path `keys` or `keys[i].<field>`.
 *
 * @example
 * ```ts
 * import { toKeyRing } from "@wcp/core";
 * toKeyRing([]).size; // 0
 * ```
 */
export function toKeyRing(keys: KeyRing | Iterable<TrustedKey | SigningKey | KeyFile>): KeyRing {
  if (keys instanceof KeyRing) return keys;
  if (typeof (keys as Iterable<unknown> | null)?.[Symbol.iterator] !== "function") {
    throw new WcpError("KEY_INVALID", "keys", "must be a KeyRing or a list of keys");
  }
  const ring = new KeyRing();
  let i = 0;
  for (const k of keys) {
    try {
      ring.add(k);
    } catch (e) {
      if (!(e instanceof WcpError)) throw e;
      const path = e.path ? `keys[${i}].${e.path}` : `keys[${i}]`;
      throw new WcpError(e.code, path, e.path ? e.message.slice(e.path.length + 2) : e.message);
    }
    i++;
  }
  return ring;
}
