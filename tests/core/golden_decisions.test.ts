// Golden decision snapshots for a realistic rule set (tests/fixtures/core): each decision must be
// byte-for-byte the reviewed one. Regenerate with tests/fixtures/core/update_golden.ts.
import assert from "node:assert/strict";
import { buildGolden, GOLDEN_URL } from "./_golden_cases.ts";

const golden = JSON.parse(await Deno.readTextFile(GOLDEN_URL)) as { name: string }[];
const actual = JSON.parse(JSON.stringify(await buildGolden())) as { name: string }[];

Deno.test("golden: the same cases, in the same order", () => {
  assert.deepEqual(actual.map((e) => e.name), golden.map((e) => e.name));
});

for (const [i, g] of golden.entries()) {
  Deno.test(`golden: ${g.name}`, () => {
    assert.deepEqual(actual[i], g);
  });
}
