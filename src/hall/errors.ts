/**
 * HTTP errors of the hall: one JSON shape `{ error: { code, message, path? } }`, never a stack.
 *
 * @module
 */

import type { ZodError } from "zod";

/** An error that becomes a JSON response with `status`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly path: string | undefined;
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { path?: string; extra?: Record<string, unknown>; headers?: Record<string, string> } =
      {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.path = options.path;
    this.extra = options.extra;
    this.headers = options.headers;
  }

  /** The response body. */
  body(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.path !== undefined) error.path = this.path;
    if (this.extra) Object.assign(error, this.extra);
    return { error };
  }
}

/** Render a zod path (`["a", 0, "b"]`) as `a[0].b`. */
export function zodPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** A 400 naming the first invalid field of a zod failure (all issues listed in `issues`). */
export function fromZod(error: ZodError, code = "INVALID_BODY"): HttpError {
  // An unknown key is named by its own path (`n.zz`), not by the object that holds it.
  const issues = error.issues.map((i) => ({
    path: zodPath(i.code === "unrecognized_keys" ? [...i.path, i.keys[0]] : i.path),
    message: i.message,
  }));
  const first = issues[0] ?? { path: "", message: "invalid body" };
  return new HttpError(
    400,
    code,
    first.path ? `${first.path}: ${first.message}` : first.message,
    { path: first.path, extra: { issues } },
  );
}
