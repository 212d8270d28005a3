/**
 * The argument checks of `HallStore.putGatewayPins`, shared by both stores, so a bad write fails
 * the same way on each (a `WcpError` naming the argument) before anything is stored.
 *
 * @module
 */

import { WcpError } from "../../errors.ts";

/** Longest gateway name a store keeps. */
export const GATEWAY_NAME_MAX = 200;

function invalid(path: string, message: string): never {
  throw new WcpError("GATEWAY_PINS_INVALID", path, message);
}

/** Refuse a name that is not a short non-empty string. */
export function checkGatewayName(name: unknown): asserts name is string {
  if (typeof name !== "string" || name.length === 0 || name.length > GATEWAY_NAME_MAX) {
    invalid("name", `must be a non-empty string of at most ${GATEWAY_NAME_MAX} characters`);
  }
}

/** Refuse a write whose version, document or time is not what the stores keep. */
export function checkGatewayPinsWrite(
  name: unknown,
  expected: unknown,
  data: unknown,
  at: unknown,
): void {
  checkGatewayName(name);
  if (typeof expected !== "number" || !Number.isSafeInteger(expected) || expected < 0) {
    invalid("expected", `must be the stored version (an integer >= 0, 0: none), got ${expected}`);
  }
  if (typeof data !== "string") invalid("data", "must be the pins document as JSON text");
  let doc: unknown;
  try {
    doc = JSON.parse(data);
  } catch (e) {
    invalid("data", `is not JSON (${(e as Error).message})`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    invalid("data", "must be a JSON object (the pins document)");
  }
  if (typeof at !== "string" || Number.isNaN(Date.parse(at))) {
    invalid("at", "must be an RFC 3339 time");
  }
}
