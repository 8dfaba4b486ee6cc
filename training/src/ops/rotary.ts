// Rotary positions' rotate-half as a matrix: `x @ R = rotate_half(x) = [−x2, x1]` (MODEL-SPEC).
// Why a matmul: slicing the halves and concatenating (and the gradients of both) costs several
// kernels and copies per call on wasm; one small GEMM on [N, dh] is cheaper and stays on the BLAS path.
import * as tf from "@tensorflow/tfjs";

/** The `[dh, dh]` signed permutation R with `R[j + dh/2, j] = −1` and `R[j, j + dh/2] = 1`. */
export function rotateHalfMatrix(dh: number): tf.Tensor2D {
  if (!Number.isInteger(dh) || dh <= 0 || dh % 2 !== 0) throw new Error(`rotateHalfMatrix: dh must be a positive even integer, got ${dh}`);
  const h = dh / 2;
  const r = new Float32Array(dh * dh);
  for (let j = 0; j < h; j++) {
    r[(j + h) * dh + j] = -1; // output column j (< h) takes −x[j + h]
    r[j * dh + (j + h)] = 1; // output column j + h takes x[j]
  }
  return tf.tensor2d(r, [dh, dh]);
}
