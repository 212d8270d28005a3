/**
 * The error type of `HallClient`.
 *
 * @module
 */

/**
 * A failed hall request: the HTTP `status` (0 when the hall was not reached), the hall's stable
 * `code` (e.g. `INVALID_BODY`, `RATE_LIMITED`, `TIMEOUT`, `NETWORK`), the field `path` when the
 * hall named one, and the parsed error `body`.
 *
 * @example
 * ```ts
 * import { HallError } from "@wcp/core";
 * const e = new HallError(429, "RATE_LIMITED", "slow down", { retryAfterSeconds: 3 });
 * e.status; // 429
 * e.retryAfterSeconds; // 3
 * ```
 */
export class HallError extends Error {
  /** HTTP status, or 0 when no response arrived (timeout, network). */
  readonly status: number;
  /** Stable machine-readable code from the hall (or `TIMEOUT`, `NETWORK`, `BAD_RESPONSE`). */
  readonly code: string;
  /** The offending field, when the hall named one. */
  readonly path: string | undefined;
  /** Seconds the hall asked us to wait (429/503), when it said. */
  readonly retryAfterSeconds: number | undefined;
  /** The parsed response body, when there was one. */
  readonly body: unknown;

  /**
   * Create an error.
   *
   * @param status HTTP status or 0.
   * @param code Stable code.
   * @param message Human-readable message.
   * @param extra Optional path, retry-after and body.
   */
  constructor(
    status: number,
    code: string,
    message: string,
    extra: { path?: string; retryAfterSeconds?: number; body?: unknown } = {},
  ) {
    super(message);
    this.name = "HallError";
    this.status = status;
    this.code = code;
    this.path = extra.path;
    this.retryAfterSeconds = extra.retryAfterSeconds;
    this.body = extra.body;
  }
}
