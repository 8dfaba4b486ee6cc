// Building blocks shared by every network (docs/MODEL-SPEC.md "Building blocks"). Shapes are kept on
// the fast CPU path: projections are 2-D matmuls on [B·L, D], only 4-D transposes, rotate-half as a
// [dh, dh] matmul. All functions are pure in the weights they are given.
import * as tf from "@tensorflow/tfjs";
import type { NetworkConfig } from "@ldtext/core";
import { linear, rmsNorm, rotateHalfMatrix, swiglu } from "./kernels.ts";

// RMSNorm and the SwiGLU gate are the fused ops of training/src/ops (one SIMD pass each way on the
// fast CPU path, the plain tfjs formula elsewhere).
export { linear, rmsNorm };

export type Weights = Record<string, tf.Tensor>;

export function w<T extends tf.Tensor = tf.Tensor2D>(weights: Weights, name: string): T {
  const t = weights[name];
  if (!t) throw new Error(`missing weight "${name}"`);
  return t as T;
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

// Cached constants (rotary tables, R), created once per shape and kept out of every tidy scope.
const constCache = new Map<string, tf.Tensor>();
function cached(key: string, make: () => tf.Tensor): tf.Tensor {
  let t = constCache.get(key);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.tidy(make));
    constCache.set(key, t);
  }
  return t;
}

/** `cos`, `sin` tables `[L, dh]` (half-table repeated twice), rotate-half convention. */
export function ropeTables(len: number, dh: number): { cos: tf.Tensor; sin: tf.Tensor; r: tf.Tensor } {
  const make = (fn: (a: number) => number) => () => {
    const half = dh / 2;
    const out = new Float32Array(len * dh);
    for (let p = 0; p < len; p++) {
      for (let i = 0; i < half; i++) {
        const invFreq = Math.pow(10000, (-2 * i) / dh);
        const v = fn(p * invFreq);
        out[p * dh + i] = v;
        out[p * dh + half + i] = v;
      }
    }
    return tf.tensor2d(out, [len, dh]);
  };
  return {
    cos: cached(`cos:${len}:${dh}`, make(Math.cos)),
    sin: cached(`sin:${len}:${dh}`, make(Math.sin)),
    r: cached(`R:${dh}`, () => rotateHalfMatrix(dh)),
  };
}

/** `[B, L, D] → [B, H, L, dh]` */
function splitHeads(x: tf.Tensor, b: number, len: number, heads: number, dh: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [b, len, heads, dh]), [0, 2, 1, 3]);
}

function rope(x: tf.Tensor4D, len: number, dh: number): tf.Tensor {
  const { cos, sin, r } = ropeTables(len, dh);
  const rotated = tf.reshape(tf.matMul(tf.reshape(x, [-1, dh]) as tf.Tensor2D, r as tf.Tensor2D), x.shape);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

/** Key bias `[B, 1, 1, S]` from a `[B, S]` mask: 0 for real keys, −1e9 for padding. */
export function keyBias(mask: tf.Tensor): tf.Tensor {
  const [b, s] = mask.shape;
  return tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [b, 1, 1, s]);
}

function attend(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, dh: number, bias?: tf.Tensor): tf.Tensor {
  let scores = tf.mul(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), 1 / Math.sqrt(dh));
  if (bias) scores = tf.add(scores, bias);
  return tf.matMul(tf.softmax(scores), v as tf.Tensor4D);
}

function mergeHeads(x: tf.Tensor, b: number, len: number, dModel: number): tf.Tensor {
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, len, dModel]);
}

export function selfAttention(h: tf.Tensor, weights: Weights, p: string, cfg: NetworkConfig, bias?: tf.Tensor): tf.Tensor {
  const [b, len] = h.shape;
  const dh = cfg.dModel / cfg.heads;
  const q = rope(splitHeads(linear(h, w(weights, `${p}.wq`)), b, len, cfg.heads, dh), len, dh);
  const k = rope(splitHeads(linear(h, w(weights, `${p}.wk`)), b, len, cfg.heads, dh), len, dh);
  const v = splitHeads(linear(h, w(weights, `${p}.wv`)), b, len, cfg.heads, dh);
  return linear(mergeHeads(attend(q, k, v, dh, bias), b, len, cfg.dModel), w(weights, `${p}.wo`));
}

export function crossAttention(h: tf.Tensor, cond: tf.Tensor, bias: tf.Tensor, weights: Weights, p: string, cfg: NetworkConfig): tf.Tensor {
  const [b, len] = h.shape;
  const s = cond.shape[1] as number;
  const dh = cfg.dModel / cfg.heads;
  const q = splitHeads(linear(h, w(weights, `${p}.wq`)), b, len, cfg.heads, dh);
  const k = splitHeads(linear(cond, w(weights, `${p}.wk`)), b, s, cfg.heads, dh);
  const v = splitHeads(linear(cond, w(weights, `${p}.wv`)), b, s, cfg.heads, dh);
  return linear(mergeHeads(attend(q, k, v, dh, bias), b, len, cfg.dModel), w(weights, `${p}.wo`));
}

export function swiGlu(h: tf.Tensor, weights: Weights, p: string): tf.Tensor {
  return linear(swiglu(linear(h, w(weights, `${p}.w1`)), linear(h, w(weights, `${p}.w3`))), w(weights, `${p}.w2`));
}

export interface BlockContext {
  /** Self-attention key bias [B,1,1,L] (CondEnc padding), or none. */
  selfBias?: tf.Tensor;
  /** Cross-attention inputs (Dif with conditioning). */
  cond?: tf.Tensor;
  condBias?: tf.Tensor;
}

/** Pre-norm block `{p}.blocks.{i}`. */
export function block(h: tf.Tensor, weights: Weights, p: string, cfg: NetworkConfig, ctx: BlockContext): tf.Tensor {
  h = tf.add(h, selfAttention(rmsNorm(h, w(weights, `${p}.attn_norm`)), weights, `${p}.attn`, cfg, ctx.selfBias));
  if (ctx.cond && ctx.condBias) {
    h = tf.add(h, crossAttention(rmsNorm(h, w(weights, `${p}.cross_norm`)), ctx.cond, ctx.condBias, weights, `${p}.cross`, cfg));
  }
  return tf.add(h, swiGlu(rmsNorm(h, w(weights, `${p}.mlp_norm`)), weights, `${p}.mlp`));
}

/** Blocks then final_norm of network `prefix`. */
export function trunk(h: tf.Tensor, weights: Weights, prefix: string, cfg: NetworkConfig, ctx: BlockContext = {}): tf.Tensor {
  for (let i = 0; i < cfg.layers; i++) h = block(h, weights, `${prefix}.blocks.${i}`, cfg, ctx);
  return rmsNorm(h, w(weights, `${prefix}.final_norm`));
}
