/**
 * Error text for people: the WcpError code and message when there is one.
 *
 * @module
 */

/** The message of anything thrown, with the WcpError code and path when there are any. */
export function errorText(e: unknown): string {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const err = e as { code: unknown; message: unknown };
    return `${String(err.code)}: ${String(err.message)}`;
  }
  return e instanceof Error ? e.message : String(e);
}
