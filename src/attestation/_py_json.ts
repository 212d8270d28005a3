/**
 * The attestation recipes' view of the one Python `json.dumps` emulator (`src/encoding/py_json.ts`):
 * strict JSON (non-finite numbers and non-JSON values are `JSON_INVALID`), integral numbers from
 * 1e16 up written as floats, compact separators for the HMAC payload, `indent` for
 * `manifest.json`.
 *
 * @module
 */

import { pyJsonDumps as dumps } from "../encoding/py_json.ts";

export { compareCodePoints, pyString } from "../encoding/py_json.ts";

/**
 * Serialise like `json.dumps(value, sort_keys=True, separators=(",", ":"))` when `indent` is
 * undefined, or like `json.dumps(value, indent=indent, sort_keys=True)` otherwise.
 */
export function pyJsonDumps(value: unknown, indent?: number): string {
  return dumps(value, {
    compact: indent === undefined,
    indent,
    nonJson: "throw",
    largeIntegers: "float",
  });
}
