/**
 * How telemetry rows cross to the SQLite store's telemetry thread (`_telemetry_worker.ts`): one
 * string per write instead of an array of arrays (a structured clone of one flat string costs a
 * copy; of thousands of small arrays, an object graph walk and an allocation each). Each field is
 * `<length in UTF-16 code units>,<text>`, three fields per row.
 *
 * @module
 */

/** `[decision_id, correlation_id, data]` rows as one string. */
export function packRows(rows: readonly (readonly [string, string, string])[]): string {
  const parts: string[] = [];
  for (const [d, c, data] of rows) {
    parts.push(`${d.length},`, d, `${c.length},`, c, `${data.length},`, data);
  }
  return parts.join("");
}

/** The rows of `packRows`; throws on a string it did not make. */
export function unpackRows(text: string): [string, string, string][] {
  const out: [string, string, string][] = [];
  let i = 0;
  const field = (): string => {
    const comma = text.indexOf(",", i);
    const n = comma > i ? Number(text.slice(i, comma)) : NaN;
    if (!Number.isSafeInteger(n) || n < 0 || comma + 1 + n > text.length) {
      throw new Error(`telemetry rows: bad field length at offset ${i}`);
    }
    i = comma + 1 + n;
    return text.slice(comma + 1, i);
  };
  while (i < text.length) out.push([field(), field(), field()]);
  return out;
}
