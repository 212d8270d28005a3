/**
 * Encodings of the core: RFC 8785 canonical JSON and SHA-256 hashes (the byte forms we hash and
 * sign). The other files of this folder (Python `json.dumps`, plain JSON, hex/base64, the
 * incremental SHA-256) are shared by the core's folders but not part of the public API.
 *
 * @example
 * ```ts
 * import { canonicalJson, sha256Hex } from "@wcp/core";
 * sha256Hex(canonicalJson({ b: 1, a: 2 })); // hash of '{"a":2,"b":1}'
 * ```
 *
 * @module
 */

export * from "./canonical_json.ts";
export * from "./hash.ts";
