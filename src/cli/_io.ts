// Output, errors and exit codes shared by every `wcp` command.

import { concatBytes } from "../encoding/bytes.ts";

/** Exit codes (documented in `wcp --help` and the README). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  rateLimited: 4,
} as const;

/** Bad command-line input or a bad input file: one line, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly code = "USAGE") {
    super(message);
    this.name = "UsageError";
  }
}

/** A command finished but the answer is "no" (denied, failed check): exit 1 with this message. */
export class FailedError extends Error {
  constructor(message: string, readonly code = "FAILED") {
    super(message);
    this.name = "FailedError";
  }
}

/** A hall could not be reached (exit 3) or refused for rate (exit 4). */
export class RemoteError extends Error {
  constructor(message: string, readonly exitCode: 3 | 4 | 1, readonly code: string) {
    super(message);
    this.name = "RemoteError";
  }
}

/** Colour only on a terminal and never with NO_COLOR. */
export function useColor(): boolean {
  return !Deno.noColor && Deno.stdout.isTerminal();
}

const paint = (code: string) => (s: string): string => useColor() ? `\x1b[${code}m${s}\x1b[0m` : s;
export const bold: (s: string) => string = paint("1");
export const dim: (s: string) => string = paint("2");
export const red: (s: string) => string = paint("31");
export const green: (s: string) => string = paint("32");
export const yellow: (s: string) => string = paint("33");
export const cyan: (s: string) => string = paint("36");

const encoder = new TextEncoder();

/** Write lines to stdout. */
export function out(...lines: string[]): void {
  const text = (lines.length ? lines : [""]).join("\n") + "\n";
  const bytes = encoder.encode(text);
  let done = 0;
  while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
}

/** Write a line to stderr. */
export function err(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let done = 0;
  while (done < bytes.length) done += Deno.stderr.writeSync(bytes.subarray(done));
}

/** Print a value as JSON on stdout (the `--json` form of every command). */
export function outJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Pad a table: each row's cells padded to the widest cell of their column (last column free). */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    // The last cell of a row is never padded, so it does not widen its column.
    r.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(c).length)));
  }
  return rows.map((r) =>
    r.map((c, i) => (i === r.length - 1 ? c : c + " ".repeat(widths[i] - visible(c).length)))
      .join("  ").trimEnd()
  );
}

function visible(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}

/**
 * A progress bar on stderr, drawn only when stderr is a terminal (so pipes and CI logs stay
 * clean); `update` is cheap to call often.
 */
export class Progress {
  #total: number;
  #label: string;
  #last = -1;
  #active: boolean;

  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = Math.max(total, 1);
    this.#active = Deno.stderr.isTerminal();
  }

  update(done: number): void {
    if (!this.#active) return;
    const pct = Math.min(100, Math.floor((done / this.#total) * 100));
    if (pct === this.#last) return;
    this.#last = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    const bar = "#".repeat(filled) + ".".repeat(width - filled);
    Deno.stderr.writeSync(encoder.encode(`\r${this.#label} [${bar}] ${String(pct).padStart(3)}%`));
  }

  done(): void {
    if (!this.#active || this.#last < 0) return;
    Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
  }
}

/** The largest input file a command reads (JSON documents, receipt logs). */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

async function readBounded(stream: ReadableStream<Uint8Array>): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    // Stop early: a device such as /dev/zero or a runaway pipe must not exhaust memory.
    if (size > MAX_INPUT_BYTES) return null;
    chunks.push(chunk);
  }
  return concatBytes(chunks);
}

/**
 * Read a text file (or stdin for "-") as strict UTF-8, naming the flag in every error: not
 * found, a directory, unreadable, larger than {@link MAX_INPUT_BYTES}, or not valid UTF-8.
 */
export async function readTextFile(path: string, flag: string): Promise<string> {
  let bytes: Uint8Array | null;
  try {
    if (path === "-") bytes = await readBounded(Deno.stdin.readable);
    else {
      const file = await Deno.open(path, { read: true });
      if ((await file.stat()).isDirectory) {
        file.close();
        throw new UsageError(`${flag}: is a directory: ${path}`);
      }
      bytes = await readBounded(file.readable);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof Deno.errors.NotFound) throw new UsageError(`${flag}: file not found: ${path}`);
    if (e instanceof Deno.errors.IsADirectory) {
      throw new UsageError(`${flag}: is a directory: ${path}`);
    }
    throw new UsageError(`${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
  if (bytes === null) {
    throw new UsageError(`${flag}: ${path} is larger than ${MAX_INPUT_BYTES >> 20} MiB`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${flag}: ${path} is not valid UTF-8`);
  }
}

/** Read a JSON file (or stdin for "-"), naming the flag in every error. */
export async function readJsonFile(path: string, flag: string): Promise<unknown> {
  const text = await readTextFile(path, flag);
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 quotes the offending text, newlines included: keep the error on one line.
    const why = (e as Error).message.replace(/\s+/g, " ");
    throw new UsageError(`${flag}: ${path} is not valid JSON (${why})`);
  }
}
