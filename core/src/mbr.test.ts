import { test } from "node:test";
import assert from "node:assert/strict";
import { lcsLength, mbrSelect } from "./mbr.ts";

test("mbrSelect keeps the consensus candidate and drops the outlier", () => {
  const c = ["The council voted to close the library.", "Zebra quantum pineapple.", "The council voted to close the old library on Tuesday.", "Council voted close library."];
  const r = mbrSelect(c);
  assert.equal(r.index, 0);
  assert.equal(r.support.length, 4);
  assert.ok(r.support[1] < 0.05, `the outlier's support ${r.support[1]}`);
  // Symmetric ROUGE-L F1 on rouge-score tokens: case and punctuation do not matter.
  assert.deepEqual(mbrSelect(["a b c", "A, B; C!"]).support, [1, 1]);
});

test("mbrSelect: one candidate is its own choice; ties keep the first; no candidate is an error", () => {
  assert.deepEqual(mbrSelect(["only"]), { index: 0, support: [0] });
  assert.equal(mbrSelect(["x y", "x y", "x y"]).index, 0);
  assert.equal(mbrSelect(["", "a b", "a b"]).index, 1);
  assert.throws(() => mbrSelect([]), /at least one/);
});

test("lcsLength", () => {
  assert.equal(lcsLength(["1", "2", "3", "4", "5"], ["2", "5", "3", "4"]), 3);
  assert.equal(lcsLength(["a"], []), 0);
});
