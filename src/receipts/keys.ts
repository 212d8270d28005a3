/**
 * One reader for every shape a receipt-verification key arrives in: the hall's
 * `GET /wcp/receipts/key` answer, the dashboard's export bundle, a CLI key file
 * (`wcp attest keygen`, public or private) and the playground's list of trusted keys.
 *
 * @module
 */

import { parseKeyFile, type TrustedKey, trustedKeyOf } from "../attestation/ed25519.ts";
import { WcpError } from "../errors.ts";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function keyAt(v: unknown, path: string): TrustedKey {
  const where = (p: string | undefined) => (p ? (path ? `${path}.${p}` : p) : path);
  if (!isObject(v)) {
    throw new WcpError(
      "KEY_INVALID",
      path,
      `a key is an object with key_id and public_key, got ${
        v === null ? "null" : Array.isArray(v) ? "an array" : typeof v
      }`,
    );
  }
  try {
    // A CLI key file is checked as one (format, alg, private part), then only its public half kept.
    return trustedKeyOf(v.wcp_key_file !== undefined ? parseKeyFile(v) : (v as never));
  } catch (e) {
    if (e instanceof WcpError) throw new WcpError(e.code, where(e.path), e.message);
    throw e;
  }
}

/**
 * The public receipt keys held by a parsed JSON document, checked (each `key_id` must match its
 * public key; a private key is never returned). Accepted shapes:
 *
 * - `{"keys": [...]}`: the hall's `GET /wcp/receipts/key` answer, and the dashboard's export
 *   (`{tenant_id, exported_at, keys, receipts}`);
 * - a key file `{"wcp_key_file": 1, "alg": "ed25519", "key_id", "public_key", ...}`;
 * - one key `{"key_id", "public_key", "namespace"?}`;
 * - a list of keys or key files (the playground's trusted-keys field).
 *
 * Throws `WcpError` `KEY_INVALID` with the offending `path` (e.g. `keys[1].key_id`). An empty list
 * is read as no trusted key (nothing verifies).
 *
 * @example
 * ```ts
 * import { generateSigningKey, parseTrustedKeys } from "@wcp/core";
 * const key = await generateSigningKey();
 * const hallAnswer = { keys: [{ key_id: key.key_id, public_key: key.public_key }] };
 * parseTrustedKeys(hallAnswer)[0].key_id === key.key_id; // true
 * parseTrustedKeys([{ key_id: key.key_id, public_key: key.public_key }]).length; // 1
 * ```
 */
export function parseTrustedKeys(doc: unknown): TrustedKey[] {
  let list: unknown[];
  let base: string;
  if (Array.isArray(doc)) {
    list = doc;
    base = "";
  } else if (isObject(doc) && doc.keys !== undefined) {
    if (!Array.isArray(doc.keys)) {
      throw new WcpError("KEY_INVALID", "keys", "must be a list of {key_id, public_key}");
    }
    list = doc.keys;
    base = "keys";
  } else if (isObject(doc) && (doc.key_id !== undefined || doc.wcp_key_file !== undefined)) {
    return [keyAt(doc, "")];
  } else {
    throw new WcpError(
      "KEY_INVALID",
      "",
      'expected receipt keys: the hall\'s {"keys": [...]} answer, a dashboard export, a key ' +
        "file or a list of {key_id, public_key}",
    );
  }
  // An empty list is "trust no key": every signature then fails to verify (fail closed).
  return list.map((k, i) => keyAt(k, `${base}[${i}]`));
}
