// Checks the project's wasm kernels against tfjs's pure-JS `cpu` backend on random inputs:
// values and gradients, every transpose combination, batch broadcasting, and heap growth.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, installWasmKernels, loadBlas, type BackendInfo } from "./index.ts";
import { blasMatMulStats } from "./kernels/batch-matmul-blas.ts";

let info: BackendInfo;

/** Runs `fn` on a backend and returns its outputs as plain arrays (inputs are plain data). */
async function on(backend: "cpu" | "wasm", fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const r = fn();
    return (Array.isArray(r) ? r : [r]).map((t) => t.dataSync() as Float32Array).map((a) => Float32Array.from(a));
  });
}

function rand(shape: number[], seed: number): { shape: number[]; data: Float32Array } {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32 - 0.5;
  }
  return { shape, data };
}

function t(x: { shape: number[]; data: Float32Array }): tf.Tensor {
  return tf.tensor(x.data, x.shape);
}

function assertClose(actual: Float32Array[], expected: Float32Array[], tol = 1e-4): void {
  assert.equal(actual.length, expected.length);
  for (let j = 0; j < actual.length; j++) {
    assert.equal(actual[j].length, expected[j].length, `output ${j} length`);
    for (let i = 0; i < actual[j].length; i++) {
      const d = Math.abs(actual[j][i] - expected[j][i]);
      if (d > tol * (1 + Math.abs(expected[j][i]))) {
        assert.fail(`output ${j}[${i}]: ${actual[j][i]} vs ${expected[j][i]}`);
      }
    }
  }
}

/** matMul value and the gradients of sum(matMul · r) w.r.t. both inputs. */
function matMulWithGrads(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor[] {
  const y = tf.matMul(a, b, ta, tb);
  const r = tf.tensor(rand(y.shape, 99).data, y.shape);
  const [ga, gb] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, w, ta, tb), r)))([a, b]);
  return [y, ga, gb];
}

before(async () => {
  info = await initBackend("wasm", { log: null });
});

describe("wasm kernels vs the cpu backend", () => {
  test("OpenBLAS matmul kernel is active here (nblas is installed on this machine)", () => {
    assert.ok(info.kernels.includes("BatchMatMul:openblas"), `kernels: ${info.kernels.join(", ")}; ${info.notes.join("; ")}`);
    assert.ok(info.kernels.includes("LdAdamW:wasm-simd"), `the SIMD module instantiated on tfjs memory: ${info.kernels.join(", ")}`);
  });

  // [name, a shape, b shape, transposeA, transposeB, check gradients]. tfjs 4.22's own BatchMatMul
  // gradient rejects broadcast batch axes (on every backend), so those cases check values only;
  // ops/matmul.ts has a broadcasting matMul with correct gradients (tested there).
  const cases: Array<[string, number[], number[], boolean, boolean, boolean]> = [
    ["2-D", [5, 7], [7, 3], false, false, true],
    ["2-D transposeA", [7, 5], [7, 3], true, false, true],
    ["2-D transposeB", [5, 7], [3, 7], false, true, true],
    ["2-D both transposed", [7, 5], [3, 7], true, true, true],
    ["batched", [4, 5, 7], [4, 7, 3], false, false, true],
    ["batched transposeB (attention scores)", [2, 3, 6, 4], [2, 3, 6, 4], false, true, true],
    ["batched transposeA", [2, 3, 4, 6], [2, 3, 4, 5], true, false, true],
    ["batched both transposed", [2, 4, 6], [2, 5, 4], true, true, true],
    ["3-D x 2-D shared weight", [3, 5, 7], [7, 4], false, false, false],
    ["3-D x 2-D transposeA", [3, 7, 5], [7, 4], true, false, false],
    ["2-D x 3-D (a broadcast)", [5, 7], [3, 7, 4], false, false, false],
    ["broadcast both ways", [2, 1, 5, 7], [1, 3, 7, 4], false, false, false],
    ["broadcast with rank difference, transposeB", [2, 3, 5, 7], [3, 4, 7], false, true, false],
  ];
  for (const [name, as, bs, ta, tb, withGrads] of cases) for (const path of ["openblas", "xnnpack (no BLAS)"] as const) {
    // Two-sided batch broadcasting is wrong in tfjs's own wasm (and cpu) kernel, which the no-BLAS path keeps.
    const skip = path !== "openblas" && name === "broadcast both ways";
    test(`BatchMatMul ${name} [${path}]: value${withGrads ? " and gradients" : ""}`, { skip }, async () => {
      await tf.setBackend("wasm");
      const kernels = installWasmKernels({ blas: path === "openblas" ? loadBlas() : null });
      assert.ok(kernels.includes(path === "openblas" ? "BatchMatMul:openblas" : "BatchMatMul:xnnpack-transposed"));
      const A = rand(as, 1);
      const B = rand(bs, 2);
      const f = () => (withGrads ? matMulWithGrads(t(A), t(B), ta, tb) : tf.matMul(t(A), t(B), ta, tb));
      // tfjs's cpu kernel mishandles two-sided broadcasting ([2,1,..] x [1,3,..] gives 2 batches),
      // so the reference multiplies explicitly broadcast copies.
      const ref = () => {
        const a = t(A);
        const b = t(B);
        const batch = tf.broadcast_util.assertAndGetBroadcastShape(as.slice(0, -2), bs.slice(0, -2));
        if (withGrads) return matMulWithGrads(a, b, ta, tb);
        return tf.matMul(tf.broadcastTo(a, [...batch, ...as.slice(-2)]), tf.broadcastTo(b, [...batch, ...bs.slice(-2)]), ta, tb);
      };
      const want = await on("cpu", ref);
      const before = blasMatMulStats.calls;
      const got = await on("wasm", f);
      if (path === "openblas") assert.ok(blasMatMulStats.calls > before, "the BLAS kernel ran");
      assertClose(got, want);
      installWasmKernels({ blas: loadBlas() });
    });
  }

  test("BatchMatMul output larger than the current heap (views taken after the heap grows)", async () => {
    const A = rand([1024, 3], 3);
    const B = rand([3, 8192], 4); // 32 MiB output
    const want = await on("cpu", () => tf.matMul(t(A), t(B)).sum(1));
    const got = await on("wasm", () => tf.matMul(t(A), t(B)).sum(1));
    assertClose(got, want);
  });

  test("BatchMatMul with an empty inner dimension gives zeros", async () => {
    const got = await on("wasm", () => tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 2])));
    assert.deepEqual(Array.from(got[0]), [0, 0, 0, 0, 0, 0]);
  });

  test("_FusedMatMul with bias and relu, transposed", async () => {
    const A = rand([6, 5], 5);
    const B = rand([4, 5], 6);
    const bias = rand([4], 7);
    const f = () => tf.fused.matMul({ a: t(A), b: t(B), transposeB: true, bias: t(bias), activation: "relu" });
    assertClose(await on("wasm", f), await on("cpu", f));
  });

  test("UnsortedSegmentSum and the gradient of gather (embedding lookup)", async () => {
    const X = rand([10, 3], 8);
    const ids = [3, 0, 3, 9, 1, 3];
    const E = rand([12, 4], 9);
    const f = () => {
      const s = tf.unsortedSegmentSum(t(X), tf.tensor1d([1, 1, 4, 0, 2, 4, 4, 0, 1, 2], "int32"), 6);
      const r = tf.tensor(rand([6, 4], 10).data, [6, 4]);
      const g = tf.grad((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, tf.tensor1d(ids, "int32")), r)))(t(E));
      return [s, g];
    };
    assertClose(await on("wasm", f), await on("cpu", f));
  });

  const bcastCases: Array<[string, number[], number[]]> = [
    ["bias over rows", [6, 5, 8], [8]],
    ["bias first", [8], [6, 5, 8]],
    ["rotary table over heads", [2, 3, 4, 8], [4, 8]],
    ["per-row scale", [6, 5, 8], [6, 5, 1]],
    ["scalar", [6, 5, 7], []],
    ["odd widths", [3, 7], [1, 7]],
    ["not handled: middle axis", [6, 5, 8], [6, 1, 8]],
  ];
  for (const [name, as, bs] of bcastCases) {
    test(`broadcast Add/Multiply (${name}) and their gradients`, async () => {
      const f = () => {
        const a = t(rand(as, 51));
        const b = t(rand(bs, 52));
        const r = t(rand(tf.broadcast_util.assertAndGetBroadcastShape(as, bs), 53));
        const loss = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.mul(x, y), tf.add(x, y)), r));
        return [tf.add(a, b), tf.mul(a, b), ...tf.grads(loss)([a, b])];
      };
      assertClose(await on("wasm", f), await on("cpu", f));
    });
  }

  test("Sum over leading axes (keepDims or not) and over other axes", async () => {
    const f = () => {
      const x = t(rand([4, 3, 10], 61));
      return [tf.sum(x, 0), tf.sum(x, [0, 1]), tf.sum(x, [1, 0], true), tf.sum(x, -1), tf.sum(x, [0, 2]), tf.sum(x)];
    };
    assertClose(await on("wasm", f), await on("cpu", f));
  });
});
