import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { pcaReduce } from "./pca.ts";
import { featureMatrix, l2NormalizeRows } from "./matrix.ts";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);
const flat = (rows: number[][]) => new Float64Array(rows.flat());

function pairDist(m: Float64Array, dims: number, i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < dims; k++) s += (m[i * dims + k] - m[j * dims + k]) ** 2;
  return Math.sqrt(s);
}

describe("PCA (covariance path, n ≥ d)", () => {
  // points ±3·e1, ±1·e2, ±0.1·e3 (mean 0): variances ∝ 18, 2, 0.02 → ratios 9/10.01, 1/10.01, 0.01/10.01
  const pts = [[3, 0, 0], [-3, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 0.1], [0, 0, -0.1]];
  test("explained-variance ratios by hand; 90 % needs 2 components (0.8991 < 0.9)", () => {
    const r = pcaReduce(flat(pts), 6, 3, 0.9);
    close(r.explainedRatio[0], 9 / 10.01);
    close(r.explainedRatio[1], 1 / 10.01);
    close(r.explainedRatio[2], 0.01 / 10.01);
    assert.equal(r.dims, 2);
    // projections on PC1 are ±3 for the first two points, 0 for the rest
    close(Math.abs(r.projected[0]), 3);
    close(Math.abs(r.projected[2 * 2]), 0);
    assert.equal(pcaReduce(flat(pts), 6, 3, 0.85).dims, 1);
  });
  test("keeping all variance preserves pairwise distances", () => {
    const r = pcaReduce(flat(pts), 6, 3, 0.999999);
    assert.equal(r.dims, 3);
    close(pairDist(r.projected, 3, 0, 2), Math.hypot(3, 1));
    close(pairDist(r.projected, 3, 4, 5), 0.2);
  });
});

describe("PCA (Gram path, n < d)", () => {
  test("same spectrum and distances when rows < columns", () => {
    // 4 points in 6-D: ±3·e1, ±0.5·e2 → ratios 9/9.25 and 0.25/9.25 → one component for 90 %
    const pts = [[3, 0, 0, 0, 0, 0], [-3, 0, 0, 0, 0, 0], [0, 0.5, 0, 0, 0, 0], [0, -0.5, 0, 0, 0, 0]];
    const r = pcaReduce(flat(pts), 4, 6, 0.9);
    close(r.explainedRatio[0], 9 / 9.25);
    close(r.explainedRatio[1], 0.25 / 9.25);
    assert.equal(r.dims, 1);
    close(Math.abs(r.projected[0]), 3);
    const all = pcaReduce(flat(pts), 4, 6, 0.99999);
    assert.equal(all.dims, 2);
    close(pairDist(all.projected, 2, 0, 2), Math.hypot(3, 0.5));
  });
  test("no variance at all → one (zero) component", () => {
    const r = pcaReduce(flat([[1, 2], [1, 2], [1, 2]]), 3, 2, 0.9);
    assert.equal(r.dims, 1);
    assert.deepEqual([...r.projected].map((v) => Math.abs(v) < 1e-12), [true, true, true]);
  });
});

describe("feature matrices", () => {
  test("L2 normalisation of rows; zero rows stay zero; ragged input refused", () => {
    const n = l2NormalizeRows(featureMatrix([[3, 4], [0, 0]]));
    assert.deepEqual([...n], [0.6, 0.8, 0, 0]);
    assert.throws(() => featureMatrix([[1, 2], [3]]), /row 1 has 1 values/);
  });
});
