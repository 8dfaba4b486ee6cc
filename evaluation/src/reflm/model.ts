// The reference language model of the evaluation (METHOD.md §7): a small causal LLaMA-style
// transformer over the artifact's own compact vocabulary. It stands in for GPT-2 Large, which cannot
// be downloaded here; every report says so. It reuses the project's blocks (RMSNorm, rotary
// self-attention, SwiGLU; training/src/model/layers.ts) with a causal additive mask as the
// attention bias. Weight names: `lm.tok_emb [V, D]`, `lm.blocks.{i}.*` (MODEL-SPEC block names),
// `lm.final_norm [D]`, `lm.head.w [D, V]`.
//
// Token layout: `[BOS, t1 … tn, EOS, PAD …]` of length `maxLen` (texts cut to maxLen − 2 tokens).
// Training predicts t1 … tn and EOS; PPL scores t1 … tn (the text, as GPT-2 PPL does).
import * as tf from "@tensorflow/tfjs";
import { BOS_ID, EOS_ID, PAD_ID, blockShapes, gaussianNoise } from "@ldtext/core";
import type { FloatWeights, NetworkConfig } from "@ldtext/core";
import { block, rmsNorm, linear, type Weights } from "@ldtext/training";

export interface RefLmConfig extends NetworkConfig {
  vocabSize: number;
  /** Row length including BOS and EOS. */
  maxLen: number;
}

export function refLmShapes(cfg: RefLmConfig): Record<string, number[]> {
  return {
    "lm.tok_emb": [cfg.vocabSize, cfg.dModel],
    ...Object.fromEntries(blockShapes("lm", cfg)),
    "lm.head.w": [cfg.dModel, cfg.vocabSize],
  };
}

/** GPT-2 style init (as the main model): gains 1, residual outputs N(0, 0.02/√(2·layers)), else N(0, 0.02). */
export function initRefLmWeights(cfg: RefLmConfig, seed: number): FloatWeights {
  const out: FloatWeights = new Map();
  Object.entries(refLmShapes(cfg)).forEach(([name, shape], i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith("_norm")) {
      out.set(name, { shape, data: new Float32Array(size).fill(1) });
      return;
    }
    const std = /\.(wo|w2)$/.test(name) ? 0.02 / Math.sqrt(2 * Math.max(1, cfg.layers)) : 0.02;
    const data = gaussianNoise(seed, 0, i, size);
    for (let j = 0; j < size; j++) data[j] *= std;
    out.set(name, { shape, data });
  });
  return out;
}

/** Token rows `[BOS, ids…, EOS, PAD…]`; returns the rows and each text's scored length n (ids kept). */
export function layoutRows(idsList: readonly ArrayLike<number>[], maxLen: number): { rows: Int32Array; lengths: number[]; truncated: number } {
  const rows = new Int32Array(idsList.length * maxLen);
  const lengths: number[] = [];
  let truncated = 0;
  idsList.forEach((ids, r) => {
    const n = Math.min(ids.length, maxLen - 2);
    if (ids.length > n) truncated++;
    const o = r * maxLen;
    rows[o] = BOS_ID;
    for (let i = 0; i < n; i++) rows[o + 1 + i] = ids[i];
    rows[o + 1 + n] = EOS_ID;
    rows.fill(PAD_ID, o + 2 + n, o + maxLen);
    lengths.push(n);
  });
  return { rows, lengths, truncated };
}

const causalCache = new Map<number, tf.Tensor>();
/** `[1, 1, T, T]`: 0 on and below the diagonal, −1e9 above (a position never sees later ones). */
export function causalBias(len: number): tf.Tensor {
  let t = causalCache.get(len);
  if (!t || t.isDisposed) {
    const data = new Float32Array(len * len);
    for (let i = 0; i < len; i++) for (let j = i + 1; j < len; j++) data[i * len + j] = -1e9;
    t = tf.keep(tf.tensor4d(data, [1, 1, len, len]));
    causalCache.set(len, t);
  }
  return t;
}

/** Last hidden states `[B, T, D]` (after final_norm) of int32 tokens `[B, T]`. */
export function refLmHidden(cfg: RefLmConfig, weights: Weights, tokens: tf.Tensor2D): tf.Tensor3D {
  const len = tokens.shape[1];
  let h: tf.Tensor = tf.gather(weights["lm.tok_emb"] as tf.Tensor2D, tokens);
  const bias = causalBias(len);
  for (let i = 0; i < cfg.layers; i++) h = block(h, weights, `lm.blocks.${i}`, cfg, { selfBias: bias });
  return rmsNorm(h, weights["lm.final_norm"]) as tf.Tensor3D;
}

/** Next-token logits `[B, T, V]` from hidden states. */
export function refLmLogits(weights: Weights, hidden: tf.Tensor): tf.Tensor3D {
  return linear(hidden, weights["lm.head.w"]) as tf.Tensor3D;
}
