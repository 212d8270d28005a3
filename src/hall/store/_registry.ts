/**
 * What both stores' registry changes check (`HallStore.listRegistryChanges`).
 *
 * @module
 */

/** A registry version to list changes after: a non-negative safe integer, else a RangeError. */
export function checkSince(since: unknown): asserts since is number {
  if (typeof since !== "number" || !Number.isSafeInteger(since) || since < 0) {
    throw new RangeError(`since: must be a registry version (an integer >= 0), got ${since}`);
  }
}
