// Ops against straightforward tfjs formulas on the `cpu` backend (values and gradients), run on the
// project's wasm path: cross-entropy (with and without mask), rotate-half, broadcasting matMul
// with transposes, linear.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/index.ts";
import { adamwStep, emaStep, hasFusedKernel, linear, matMul, rmsNorm, rotateHalfMatrix, softmaxCrossEntropy, sumOfSquares, swiglu } from "./index.ts";

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.randomUniform(shape, -scale, scale, "float32", seed);
}

/** Plain arrays of what `fn` returns, computed on `backend` from the same seeded inputs. */
async function on(backend: "cpu" | "wasm", fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => fn().map((t) => Float32Array.from(t.dataSync() as Float32Array)));
}

function assertClose(a: Float32Array[], b: Float32Array[], tol = 2e-5): void {
  assert.equal(a.length, b.length);
  a.forEach((x, j) => {
    assert.equal(x.length, b[j].length, `output ${j} length`);
    for (let i = 0; i < x.length; i++) {
      if (Math.abs(x[i] - b[j][i]) > tol * (1 + Math.abs(b[j][i]))) assert.fail(`output ${j}[${i}]: ${x[i]} vs ${b[j][i]}`);
    }
  });
}

const N = 12;
const V = 37;
const labelsArr = Array.from({ length: N }, (_, i) => (i * 7 + 3) % V);
const maskArr = Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 0 : 1));

/** Reference cross-entropy through tf.logSoftmax and a one-hot product (tfjs's own gradients). */
function referenceCE(logits: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  const rows = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(labelsArr, "int32"), V)), 1));
  if (!mask) return tf.mean(rows);
  return tf.div(tf.sum(tf.mul(rows, mask)), tf.sum(mask));
}

describe("ops", () => {
  before(async () => {
    await initBackend("wasm", { log: null });
  });

  for (const masked of [false, true]) {
    test(`softmaxCrossEntropy${masked ? " with mask" : ""}: value and gradient`, async () => {
      const mine = () => {
        const lg = tf.mul(rand([N, V], 5, 4), 1);
        const mask = masked ? tf.tensor1d(maskArr) : undefined;
        const f = (x: tf.Tensor) => softmaxCrossEntropy(x as tf.Tensor2D, tf.tensor1d(labelsArr, "int32"), mask as tf.Tensor1D | undefined);
        return [f(lg), tf.grad(f)(lg)];
      };
      const ref = () => {
        const lg = rand([N, V], 5, 4);
        const mask = masked ? tf.tensor1d(maskArr) : undefined;
        const f = (x: tf.Tensor) => referenceCE(x, mask);
        return [f(lg), tf.grad(f)(lg)];
      };
      const want = await on("cpu", ref);
      assertClose(await on("wasm", mine), want);
      assertClose(await on("cpu", mine), want);
    });
  }

  test("softmaxCrossEntropy on the SIMD path (V a multiple of 4, wide logits): value and gradient", async () => {
    const n = 9;
    const v = 64;
    const labels = Array.from({ length: n }, (_, i) => (i * 13 + 5) % v);
    const make = (mine: boolean) => () => {
      const lg = rand([n, v], 41, 30);
      const lab = tf.tensor1d(labels, "int32");
      const f = mine
        ? (x: tf.Tensor) => softmaxCrossEntropy(x as tf.Tensor2D, lab)
        : (x: tf.Tensor) => tf.mean(tf.neg(tf.sum(tf.mul(tf.logSoftmax(x), tf.oneHot(lab, v)), 1)));
      return [f(lg), tf.grad(f)(lg)];
    };
    assertClose(await on("wasm", make(true)), await on("cpu", make(false)), 1e-5);
  });

  test("softmaxCrossEntropy is stable for large logits and gives 0 for an all-zero mask", async () => {
    const [big, zero] = await on("wasm", () => [
      softmaxCrossEntropy(tf.tensor2d([[1000, 0], [0, 1000]]), tf.tensor1d([0, 0], "int32")),
      softmaxCrossEntropy(tf.tensor2d([[1, 2]]), tf.tensor1d([1], "int32"), tf.tensor1d([0])),
    ]);
    assert.ok(Math.abs(big[0] - 500) < 1e-3, `got ${big[0]}`);
    assert.equal(zero[0], 0);
    assert.throws(() => softmaxCrossEntropy(tf.zeros([2, 3]) as tf.Tensor2D, tf.tensor1d([0, 1]) as tf.Tensor1D), /int32/);
  });

  test("rotateHalfMatrix: x @ R = [−x2, x1]", async () => {
    const f = () => {
      const x = rand([5, 8], 3);
      const [x1, x2] = tf.split(x, 2, 1);
      return [tf.matMul(x as tf.Tensor2D, rotateHalfMatrix(8)), tf.concat([tf.neg(x2), x1], 1)];
    };
    const [got, want] = await on("wasm", f);
    assert.deepEqual(got, want);
    assert.throws(() => rotateHalfMatrix(7), /even/);
  });

  const mmCases: Array<[number[], number[], boolean, boolean]> = [
    [[3, 5, 7], [7, 4], false, false],
    [[3, 7, 5], [7, 4], true, false],
    [[5, 7], [2, 4, 7], false, true],
    [[2, 1, 7, 5], [3, 4, 7], true, true],
    [[2, 3, 5, 7], [1, 3, 7, 4], false, false],
  ];
  for (const [as, bs, ta, tb] of mmCases) {
    test(`matMul ${JSON.stringify(as)} × ${JSON.stringify(bs)} ta=${ta} tb=${tb}: broadcast gradients`, async () => {
      const gradsOf = (mm: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => () => {
        const a = rand(as, 11);
        const b = rand(bs, 12);
        const y = mm(a, b);
        const r = rand(y.shape, 13);
        const [ga, gb] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(mm(x, w), r)))([a, b]);
        return [y, ga, gb];
      };
      // Reference: materialize the broadcast (tfjs's broadcastTo gradient sums it back).
      const explicit = (a: tf.Tensor, b: tf.Tensor) => {
        const batch = tf.broadcast_util.assertAndGetBroadcastShape(as.slice(0, -2), bs.slice(0, -2));
        return tf.matMul(tf.broadcastTo(a, [...batch, ...as.slice(-2)]), tf.broadcastTo(b, [...batch, ...bs.slice(-2)]), ta, tb);
      };
      const want = await on("cpu", gradsOf(explicit));
      assertClose(await on("wasm", gradsOf((a, b) => matMul(a, b, ta, tb))), want);
    });
  }

  test("linear: [B, L, K] @ [K, N] + b with gradients", async () => {
    const f = (mine: boolean) => () => {
      const x = rand([2, 3, 5], 21);
      const w = rand([5, 4], 22);
      const b = rand([4], 23);
      const lin = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
        mine ? linear(x, w, b) : tf.add(tf.reshape(tf.matMul(tf.reshape(x, [6, 5]) as tf.Tensor2D, w as tf.Tensor2D), [2, 3, 4]), b);
      const r = rand([2, 3, 4], 24);
      return [lin(x, w, b), ...tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(lin(x, w, b), r)))([x, w, b])];
    };
    assertClose(await on("wasm", f(true)), await on("cpu", f(false)));
    assert.throws(() => linear(tf.zeros([2, 3]), tf.zeros([4, 5])), /does not match/);
  });

  test("fused AdamW / EMA / Σx² on wasm match the tfjs-op formulas on cpu", async () => {
    await tf.setBackend("wasm");
    assert.ok(hasFusedKernel("LdAdamW") && hasFusedKernel("LdSoftmaxXent"), "fused kernels are installed on wasm");
    const h = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, biasCorrection1: 1 - 0.9 ** 3, biasCorrection2: 1 - 0.99 ** 3, gradScale: 0.5 };
    const f = () => {
      const p = rand([7, 9], 31);
      const g = rand([7, 9], 32);
      const m = rand([7, 9], 33, 0.1);
      const v = tf.abs(rand([7, 9], 34, 0.01));
      const r = adamwStep(p, g, m, v, h);
      return [r.p, r.m, r.v, emaStep(m, p, 0.95), sumOfSquares(g)];
    };
    const want = await on("cpu", f);
    assertClose(await on("wasm", f), want, 1e-5);
  });

  for (const d of [16, 13]) {
    test(`rmsNorm (d=${d}) and swiglu: values and gradients vs tfjs formulas`, async () => {
      const f = (mine: boolean) => () => {
        const x = rand([2, 5, d], 71, 3);
        const g = rand([d], 72, 2);
        const a = rand([3, d], 73, 12); // wide range: both branches of the sigmoid
        const b = rand([3, d], 74, 2);
        const rx = rand([2, 5, d], 75);
        const rb = rand([3, d], 76);
        const norm = (x: tf.Tensor, g: tf.Tensor) => (mine ? rmsNorm(x, g) : tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-6))), g));
        const gate = (a: tf.Tensor, b: tf.Tensor) => (mine ? swiglu(a, b) : tf.mul(tf.mul(a, tf.sigmoid(a)), b));
        return [
          norm(x, g),
          ...tf.grads((x: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(norm(x, g), rx)))([x, g]),
          gate(a, b),
          ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(gate(a, b), rb)))([a, b]),
        ];
      };
      await tf.setBackend("wasm");
      assert.ok(hasFusedKernel("LdRmsNorm") && hasFusedKernel("LdSwiGlu"));
      assertClose(await on("wasm", f(true)), await on("cpu", f(false)), 1e-5);
      assertClose(await on("cpu", f(true)), await on("cpu", f(false)), 1e-6);
    });
  }
});
