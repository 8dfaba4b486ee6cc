import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { philox4x32, gaussianNoise, gaussianNoiseInto, SeededRandom, shuffled, MAX_SEED } from "./rng.ts";

const hex = (w: Uint32Array) => [...w].map((x) => x.toString(16).padStart(8, "0"));

describe("philox4x32-10", () => {
  test("matches Random123's known-answer vectors", () => {
    const out = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, 0, 0, out);
    assert.deepEqual(hex(out), ["6627e8d5", "e169c58d", "bc57ac4c", "9b00dbd8"]);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    assert.deepEqual(hex(out), ["408f276d", "41c83b0e", "a20bc7c6", "6d5451fd"]);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    assert.deepEqual(hex(out), ["d16cfe09", "94fdcceb", "5001e420", "24126ea1"]);
  });
});

describe("gaussianNoise", () => {
  test("a request's noise is identical alone and inside a batch with other requests", () => {
    const perRow = 37; // not a multiple of 4: block boundaries inside a row must not matter
    const alone = [gaussianNoise(42, 3, 0, perRow), gaussianNoise(42, 3, 1, perRow)];
    // A batch: another request (seed 7, two rows) first, then request 42's rows, at another offset.
    const batch = new Float32Array(5 * perRow);
    gaussianNoiseInto(batch, 0, 7, 3, 0, perRow);
    gaussianNoiseInto(batch, perRow, 7, 3, 1, perRow);
    gaussianNoiseInto(batch, 2 * perRow, 42, 3, 0, perRow);
    gaussianNoiseInto(batch, 3 * perRow, 42, 3, 1, perRow);
    gaussianNoiseInto(batch, 4 * perRow, 99, 10, 0, perRow);
    assert.deepEqual(batch.subarray(2 * perRow, 3 * perRow), alone[0]);
    assert.deepEqual(batch.subarray(3 * perRow, 4 * perRow), alone[1]);
    // A prefix is a prefix: asking for fewer elements gives the same first elements.
    assert.deepEqual(gaussianNoise(42, 3, 0, 5), alone[0].subarray(0, 5));
  });

  test("mean ≈ 0, variance ≈ 1, no extreme tails", () => {
    const n = 200_000;
    const z = gaussianNoise(2024, 0, 0, n);
    let s = 0;
    let s2 = 0;
    let maxAbs = 0;
    for (const v of z) {
      s += v;
      s2 += v * v;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
    assert.ok(maxAbs > 3 && maxAbs < 7, `max |z| ${maxAbs}`);
  });

  test("different seed, step or row gives different noise; large seeds use both key words", () => {
    const base = gaussianNoise(5, 1, 2, 16);
    for (const other of [gaussianNoise(6, 1, 2, 16), gaussianNoise(5, 2, 2, 16), gaussianNoise(5, 1, 3, 16), gaussianNoise(5 + 2 ** 32, 1, 2, 16)]) {
      assert.notDeepEqual(other, base);
    }
    assert.equal(gaussianNoise(MAX_SEED, 0, 0, 4).length, 4);
    assert.throws(() => gaussianNoise(-1, 0, 0, 4), /seed/);
    assert.throws(() => gaussianNoise(1.5, 0, 0, 4), /seed/);
    assert.throws(() => gaussianNoise(2 ** 53, 0, 0, 4), /seed/);
    assert.throws(() => gaussianNoise(1, -1, 0, 4), /step/);
  });
});

describe("SeededRandom", () => {
  test("state()/fromState() resumes the exact sequence", () => {
    const a = new SeededRandom(123);
    for (let i = 0; i < 7; i++) a.nextUint32();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const expected = [a.nextFloat(), a.nextInt(10), a.nextUint32(), a.nextGaussian()];
    const b = SeededRandom.fromState(saved);
    assert.deepEqual([b.nextFloat(), b.nextInt(10), b.nextUint32(), b.nextGaussian()], expected);
  });

  test("uniform floats and ints are uniform; shuffles are deterministic permutations", () => {
    const r = new SeededRandom(9);
    const hist = new Array<number>(10).fill(0);
    let s = 0;
    for (let i = 0; i < 50_000; i++) {
      const f = r.nextFloat();
      assert.ok(f >= 0 && f < 1);
      s += f;
      hist[r.nextInt(10)]++;
    }
    assert.ok(Math.abs(s / 50_000 - 0.5) < 0.01);
    for (const h of hist) assert.ok(Math.abs(h - 5000) < 300, `histogram ${hist}`);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const a = shuffled(items, 1);
    assert.deepEqual(a, shuffled(items, 1));
    assert.notDeepEqual(a, shuffled(items, 2));
    assert.notDeepEqual(a, items);
    assert.deepEqual([...a].sort((x, y) => x - y), items);
  });
});
