// Fused layer ops with hand-written gradients: RMSNorm and the SwiGLU gate. On wasm with the project's
// kernels each direction is one SIMD pass (backend/native/fused.c) that saves only its inputs (and
// RMSNorm's per-row 1/rms); elsewhere the same formulas run as tfjs ops with tfjs's gradients.
import * as tf from "@tensorflow/tfjs";
import { FUSED_KERNELS } from "../backend/kernels/fused-js.ts";
import { customOp } from "./custom-grad.ts";
import { hasFusedKernel } from "./fused.ts";

/** `x / √(mean(x², last axis) + eps) · g` (MODEL-SPEC RMSNorm), `g` of shape [D]. */
export function rmsNorm(x: tf.Tensor, g: tf.Tensor, eps = 1e-6): tf.Tensor {
  const d = x.shape[x.rank - 1];
  if (g.rank !== 1 || g.shape[0] !== d) throw new Error(`rmsNorm: gain must be [${d}], got ${g.shape}`);
  if (!hasFusedKernel(FUSED_KERNELS.rmsNorm) || x.dtype !== "float32") {
    return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), g));
  }
  const op = customOp<tf.Tensor>(([xi, gi], save) => {
    const [y, r] = tf.engine().runKernel(FUSED_KERNELS.rmsNorm, { x: xi, g: gi }, { eps }) as tf.Tensor[];
    save([xi, gi, r]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [sx, sg, sr] = saved;
        return tf.engine().runKernel(FUSED_KERNELS.rmsNormGrad, { dy, x: sx, g: sg, r: sr }, {}) as tf.Tensor[];
      },
    };
  });
  return op(x, g);
}

/** The SwiGLU gate `silu(a) · b` (a = h@w1, b = h@w3). */
export function swiglu(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`swiglu: a and b must have one shape, got ${a.shape} and ${b.shape}`);
  if (!hasFusedKernel(FUSED_KERNELS.swiGlu) || a.dtype !== "float32") {
    return tf.tidy(() => tf.mul(tf.mul(a, tf.sigmoid(a)), b));
  }
  const op = customOp<tf.Tensor>(([ai, bi], save) => {
    save([ai, bi]);
    return {
      value: tf.engine().runKernel(FUSED_KERNELS.swiGlu, { a: ai, b: bi }, {}) as tf.Tensor,
      gradFunc: (dy, saved) => tf.engine().runKernel(FUSED_KERNELS.swiGluGrad, { dy, a: saved[0], b: saved[1] }, {}) as tf.Tensor[],
    };
  });
  return op(a, b);
}
