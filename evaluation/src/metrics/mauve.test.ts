import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mauve, mauveFromHistograms, divergenceCurve, areaUnderCurve, klMultinomial, linspace, frontierIntegral } from "./mauve.ts";
import { featureMatrix } from "./matrix.ts";
import { SeededRandom } from "@ldtext/core";

const close = (a: number, b: number, eps: number) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

describe("MAUVE divergence curve and area (histograms given)", () => {
  test("KL and linspace", () => {
    close(klMultinomial([0.5, 0.5], [0.25, 0.75]), 0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 1e-12);
    assert.equal(klMultinomial([0.5, 0.5], [1, 0]), Infinity);
    assert.equal(klMultinomial([1, 0], [0.5, 0.5]), Math.log(2));
    assert.deepEqual(linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  });

  test("hand-computed synthetic case: p̂ = (1/2, 1/2), q̂ = (1, 0), 3 mixture weights", () => {
    // r = w p̂ + (1−w) q̂ = (1 − w/2, w/2)
    // KL(q̂‖r) = −ln(1 − w/2)                 → x = exp(−5 KL) = (1 − w/2)^5
    // KL(p̂‖r) = ½ ln(½/(1−w/2)) + ½ ln(1/w)   → y = (w (2 − w))^2.5
    // w = 1e-6:     x = 0.9999975,           y = (2e-6)^2.5 ≈ 5.7e-15
    // w = 0.5:      x = 0.75^5 = 0.23730469, y = 0.75^2.5 = 0.48713929
    // w = 1 − 1e-6: x ≈ 0.5^5 = 0.03125,     y ≈ 1
    // plus (1, 0) and (0, 1). Sorted by x: (0,1) (0.03125,1) (0.2373,0.4871) (0.99999,0) (1,0)
    // area = 0.03125·1 + (0.23730469 − 0.03125)·(1 + 0.48713929)/2 + (0.9999975 − 0.23730469)·0.48713929/2
    //      = 0.03125 + 0.15321591 + 0.18576888 = 0.37023479
    const curve = divergenceCurve([0.5, 0.5], [1, 0], { points: 3 });
    assert.equal(curve.length, 5);
    assert.deepEqual(curve[0], [1, 0]);
    assert.deepEqual(curve[4], [0, 1]);
    close(curve[2][0], 0.23730469, 1e-8);
    close(curve[2][1], 0.48713929, 1e-8);
    close(curve[1][0], 0.9999975, 1e-8);
    close(curve[3][1], 1, 1e-8);
    close(areaUnderCurve(curve), 0.37023479, 2e-6);
    // the curve is monotone, so the y-sorted area is the same polygon
    close(areaUnderCurve(curve, "symmetric"), 0.37023479, 2e-6);
  });

  test("identical histograms → exactly 1; disjoint → ≈ 0", () => {
    assert.equal(mauveFromHistograms([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]).mauve, 1);
    assert.equal(mauveFromHistograms([0.2, 0.3, 0.5], [0.2, 0.3, 0.5], { area: "symmetric" }).mauve, 1);
    // disjoint: x = (1−w)^5, y = w^5; the exact area under x^(1/5) + y^(1/5) = 1 is 5·B(5, 6) = 1/252
    // = 0.00397; 25 trapezoids over-estimate it a little.
    const m = mauveFromHistograms([1, 0], [0, 1]).mauve;
    assert.ok(m > 1 / 252 && m < 0.01, `disjoint MAUVE ${m}`);
  });

  test("closer histograms score higher; the frontier integral is 0 for identical ones", () => {
    const q = [0.25, 0.25, 0.25, 0.25];
    const near = mauveFromHistograms([0.3, 0.2, 0.25, 0.25], q).mauve;
    const far = mauveFromHistograms([0.7, 0.1, 0.1, 0.1], q).mauve;
    assert.ok(near > far && near < 1 && far > 0, `${near} ${far}`);
    assert.equal(frontierIntegral(q, q), 0);
    // disjoint: every bin contributes mass/4 → (1/4 + 1/4)·2 = 1
    assert.equal(frontierIntegral([1, 0], [0, 1]), 1);
  });
});

function blob(rng: SeededRandom, n: number, dims: number, centre: number[], spread: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: dims }, (_, j) => (centre[j] ?? 0) + spread * rng.nextGaussian()));
}

describe("MAUVE end to end on features", () => {
  test("identical feature sets → 1", () => {
    const rng = new SeededRandom(1);
    const f = featureMatrix(blob(rng, 60, 8, [], 1));
    const r = mauve(f, f);
    assert.equal(r.numBuckets, 6); // max(2, round(60/10))
    assert.equal(r.mauve, 1);
  });

  test("two samples of one distribution score high; disjoint clusters score ≈ 0", () => {
    const rng = new SeededRandom(2);
    const dims = 16;
    const a = featureMatrix(blob(rng, 200, dims, [5, 0, 0, 0], 1));
    const b = featureMatrix(blob(rng, 200, dims, [5, 0, 0, 0], 1));
    const c = featureMatrix(blob(rng, 200, dims, [0, 0, 0, 5], 1));
    const same = mauve(a, b);
    const apart = mauve(a, c);
    assert.equal(same.numBuckets, 20);
    assert.ok(same.mauve > 0.8, `same-distribution MAUVE ${same.mauve}`);
    assert.ok(apart.mauve < 0.01, `disjoint MAUVE ${apart.mauve}`);
    // histograms are probability vectors
    close(same.pHist.reduce((s, v) => s + v, 0), 1, 1e-12);
    // deterministic for a seed
    assert.equal(mauve(a, b).mauve, same.mauve);
  });

  test("bad input is refused with a message", () => {
    const f = featureMatrix([[1, 2], [3, 4]]);
    assert.throws(() => mauve(f, featureMatrix([[1, 2, 3]])), /feature columns/);
    assert.throws(() => mauve(f, { rows: 1, cols: 2, data: [NaN, 1] }), /non-finite/);
    assert.throws(() => mauve(f, f, { numBuckets: 10 }), /numBuckets/);
  });
});
