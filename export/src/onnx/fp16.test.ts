import { test } from "node:test";
import assert from "node:assert/strict";
import { fromHalfBits, toHalfBits } from "./fp16.ts";

test("float16 encoding: exact values, rounding to nearest even, subnormals, overflow", () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff], // largest finite half
    [65520, 0x7c00], // rounds up to +Inf
    [1e6, 0x7c00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -14, 0x0400], // smallest normal
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway, odd below: ties to even (up)
    [0.1, 0x2e66],
  ];
  for (const [v, bits] of cases) assert.equal(toHalfBits(v), bits, `${v}`);
  assert.equal(toHalfBits(Infinity), 0x7c00);
  assert.ok(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
});

test("float16 round trip of every half value is exact", () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = fromHalfBits(h);
    if (Number.isNaN(v)) continue;
    assert.equal(toHalfBits(v), h);
  }
});
