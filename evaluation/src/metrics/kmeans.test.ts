import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { kmeans } from "./kmeans.ts";

describe("k-means (k-means++ seeding, restarts, Lloyd)", () => {
  test("1-D hand case: {0, 1} and {10, 11} → centroids 0.5 and 10.5, inertia 4 · 0.25 = 1", () => {
    const r = kmeans(new Float64Array([0, 10, 1, 11]), 4, 1, 2, { seed: 3 });
    assert.equal(r.labels[0], r.labels[2]);
    assert.equal(r.labels[1], r.labels[3]);
    assert.notEqual(r.labels[0], r.labels[1]);
    assert.deepEqual([...r.centroids].sort((a, b) => a - b), [0.5, 10.5]);
    assert.equal(r.inertia, 1);
  });

  test("recovers three separated 2-D blobs, deterministically for a seed", () => {
    const centres = [[0, 0], [10, 0], [0, 10]];
    const pts: number[] = [];
    for (let i = 0; i < 90; i++) {
      const c = centres[i % 3];
      pts.push(c[0] + Math.sin(i * 1.7) * 0.5, c[1] + Math.cos(i * 2.3) * 0.5);
    }
    const data = new Float64Array(pts);
    const a = kmeans(data, 90, 2, 3, { seed: 7 });
    for (let i = 3; i < 90; i++) assert.equal(a.labels[i], a.labels[i % 3], `point ${i}`);
    assert.equal(new Set(a.labels).size, 3);
    const b = kmeans(data, 90, 2, 3, { seed: 7 });
    assert.deepEqual(b.labels, a.labels);
    assert.equal(b.inertia, a.inertia);
  });

  test("restarts keep the lowest inertia; a single iteration still returns nearest labels", () => {
    const data = new Float64Array([0, 0.1, 0.2, 5, 5.1, 9, 9.1, 9.2]);
    const one = kmeans(data, 8, 1, 3, { seed: 1, restarts: 1 });
    const five = kmeans(data, 8, 1, 3, { seed: 1, restarts: 5 });
    assert.ok(five.inertia <= one.inertia);
    const capped = kmeans(data, 8, 1, 2, { seed: 1, maxIter: 1, restarts: 1 });
    for (let i = 0; i < 8; i++) {
      const d = (c: number) => Math.abs(data[i] - capped.centroids[c]);
      assert.ok(d(capped.labels[i]) <= d(1 - capped.labels[i]));
    }
  });

  test("bad k is refused", () => {
    assert.throws(() => kmeans(new Float64Array([1, 2]), 2, 1, 3), /k must be/);
  });
});
