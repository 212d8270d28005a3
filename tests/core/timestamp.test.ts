// formatTimestamp writes RFC 3339 (four-digit years) or refuses: never "+010000-..." or "-000001-...".
import assert from "node:assert/strict";
import { formatTimestamp, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, WcpError } from "../../mod.ts";
import { decide, input } from "./_router_helpers.ts";

const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function refused(v: unknown): void {
  assert.throws(() => formatTimestamp(v as number), (e: unknown) => {
    assert.ok(e instanceof WcpError, `expected WcpError for ${String(v)}, got ${e}`);
    assert.equal(e.code, "TIMESTAMP_INVALID");
    assert.match(e.message, /RFC 3339/);
    assert.match(e.message, /0000-01-01T00:00:00\.000Z.*9999-12-31T23:59:59\.999Z/);
    return true;
  }, String(v));
}

Deno.test("formatTimestamp: the four-digit-year range, edges included", () => {
  assert.equal(formatTimestamp(0), "1970-01-01T00:00:00.000Z");
  assert.equal(formatTimestamp(MAX_TIMESTAMP_MS), "9999-12-31T23:59:59.999Z");
  assert.equal(formatTimestamp(MIN_TIMESTAMP_MS), "0000-01-01T00:00:00.000Z");
  assert.equal(formatTimestamp(MAX_TIMESTAMP_MS + 0.5), "9999-12-31T23:59:59.999Z");
  assert.equal(formatTimestamp(1.9), "1970-01-01T00:00:00.001Z"); // truncated, as Date does
  assert.equal(formatTimestamp(-1), "1969-12-31T23:59:59.999Z");
  for (const t of [MIN_TIMESTAMP_MS, -1, 0, Date.UTC(2026, 11, 1), MAX_TIMESTAMP_MS]) {
    assert.match(formatTimestamp(t), RFC3339_MS);
  }
});

Deno.test("formatTimestamp: past year 9999, before year 0 or not a time: a clear error", () => {
  refused(MAX_TIMESTAMP_MS + 1); // would be "+010000-01-01T00:00:00.000Z"
  refused(8.64e15); // the largest Date: "+275760-09-13T00:00:00.000Z"
  refused(MIN_TIMESTAMP_MS - 1); // would be "-000001-12-31T23:59:59.999Z"
  refused(-8.64e15);
  refused(8.64e15 + 1); // beyond Date: was a RangeError "Invalid time value"
  for (const v of [NaN, Infinity, -Infinity, "0", null, undefined, 0n]) refused(v);
});

Deno.test("formatTimestamp: decisions never carry a five-digit year (clock and expiry)", () => {
  // A clock past 9999 is not used; an approval expiry past 9999 is capped at its end.
  const d = decide(input(), { now: () => MAX_TIMESTAMP_MS + 1 }).d;
  assert.match(d.timestamp, RFC3339_MS);
  assert.notEqual(d.timestamp, "+010000-01-01T00:00:00.000Z");
});
