/**
 * The one error type thrown by loaders, validators and commands of @wcp/core. Decisions never
 * throw: they deny instead.
 *
 * @module
 */

/**
 * An error with a stable upper-snake-case `code` and the `path` in the input where it was found.
 *
 * @example
 * ```ts
 * import { WcpError } from "@wcp/core";
 * try {
 *   throw new WcpError("RULES_INVALID", "rules[0].match.env", "unknown operator 'like'");
 * } catch (e) {
 *   if (e instanceof WcpError) console.log(e.code, e.path); // RULES_INVALID rules[0].match.env
 * }
 * ```
 */
export class WcpError extends Error {
  /** Stable machine-readable code, e.g. `RULES_INVALID`, `RECORD_INVALID`. */
  readonly code: string;
  /** Where in the input the problem is (`rules[3].match.env`), or "" when not applicable. */
  readonly path: string;

  /**
   * Create an error.
   *
   * @param code Stable upper-snake-case code.
   * @param path Location in the input, e.g. `rules[0].decision.escalation.policy_gate`.
   * @param message What is wrong, in words a person can act on.
   */
  constructor(code: string, path: string, message: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = "WcpError";
    this.code = code;
    this.path = path;
  }

  /**
   * A JSON-safe view (no stack), for API responses and `--json` output.
   *
   * @example
   * ```ts
   * import { WcpError } from "@wcp/core";
   * new WcpError("X", "a.b", "bad").toJSON(); // { code: "X", path: "a.b", message: "a.b: bad" }
   * ```
   */
  toJSON(): { code: string; path: string; message: string } {
    return { code: this.code, path: this.path, message: this.message };
  }
}
