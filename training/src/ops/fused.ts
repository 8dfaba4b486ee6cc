// Optimizer updates as single ops. On the wasm backend with the project's kernels installed each is
// one fused pass (backend/kernels/fused-js.ts); elsewhere the same formula runs as tfjs ops.
// The results are new tensors: use `variable.assign(result)` (never write weights in place).
import * as tf from "@tensorflow/tfjs";
import { FUSED_KERNELS } from "../backend/kernels/fused-js.ts";

/** True when the active backend has the project's fused kernel `name`. */
export function hasFusedKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

export interface AdamWStepParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay (0 for gains, biases). */
  weightDecay: number;
  /** 1 − beta1^step and 1 − beta2^step. */
  biasCorrection1: number;
  biasCorrection2: number;
  /** Multiplies the gradient first (global-norm clipping); 1 = none. */
  gradScale: number;
}

/**
 * One AdamW update: g ← g·gradScale; m' = β1·m + (1−β1)·g; v' = β2·v + (1−β2)·g²;
 * p' = p·(1 − lr·wd) − lr·(m'/bc1) / (√(v'/bc2) + eps).
 */
export function adamwStep(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamWStepParams): { p: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  if (!tf.util.arraysEqual(p.shape, g.shape) || !tf.util.arraysEqual(p.shape, m.shape) || !tf.util.arraysEqual(p.shape, v.shape)) {
    throw new Error(`adamwStep: p, g, m, v must have one shape, got ${p.shape} / ${g.shape} / ${m.shape} / ${v.shape}`);
  }
  if (hasFusedKernel(FUSED_KERNELS.adamw)) {
    const [p1, m1, v1] = tf.engine().runKernel(FUSED_KERNELS.adamw, { p, g, m, v }, { ...h }) as tf.Tensor[];
    return { p: p1, m: m1, v: v1 };
  }
  return tf.tidy(() => {
    const gs = h.gradScale === 1 ? g : tf.mul(g, h.gradScale);
    const m1 = tf.add(tf.mul(m, h.beta1), tf.mul(gs, 1 - h.beta1));
    const v1 = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(gs), 1 - h.beta2));
    const update = tf.div(tf.div(m1, h.biasCorrection1), tf.add(tf.sqrt(tf.div(v1, h.biasCorrection2)), h.eps));
    const decayed = h.weightDecay > 0 ? tf.mul(p, 1 - h.lr * h.weightDecay) : p;
    return { p: tf.sub(decayed, tf.mul(update, h.lr)), m: m1, v: v1 };
  });
}

/** EMA update `ema + (p − ema)·(1 − decay)`. */
export function emaStep(ema: tf.Tensor, p: tf.Tensor, decay: number): tf.Tensor {
  if (hasFusedKernel(FUSED_KERNELS.ema)) return tf.engine().runKernel(FUSED_KERNELS.ema, { ema, p }, { decay }) as tf.Tensor;
  return tf.tidy(() => tf.add(ema, tf.mul(tf.sub(p, ema), 1 - decay)));
}

/** Σx² as a scalar tensor (for global-norm gradient clipping). */
export function sumOfSquares(x: tf.Tensor): tf.Scalar {
  if (hasFusedKernel(FUSED_KERNELS.sumSquares)) return tf.engine().runKernel(FUSED_KERNELS.sumSquares, { x }, {}) as tf.Scalar;
  return tf.tidy(() => tf.sum(tf.square(x)) as tf.Scalar);
}
