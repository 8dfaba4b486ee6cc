// The four networks of docs/MODEL-SPEC.md as short classes (nanoGPT style): each holds its config;
// `forward(inputs, weights)` is pure in the weights, so the same network runs on live variables, on
// stop-gradient copies, or on checkpoint tensors for parity. The weights they read (names and
// shapes) are core's inventory, `weightShapes(cfg)`; networks.test.ts checks each forward reads
// exactly that list.
import * as tf from "@tensorflow/tfjs";
import { BOS_ID, type ModelConfig, type NetworkConfig } from "@ldtext/core";
import { type BlockContext, type Weights, block, keyBias, linear, rmsNorm, silu, trunk, w } from "./layers.ts";

/** `trunk` with `temb·W_i + b_i` added to the residual stream before block i. */
function trunkWithTime(h: tf.Tensor, temb: tf.Tensor, weights: Weights, prefix: string, cfg: NetworkConfig, ctx: BlockContext): tf.Tensor {
  for (let i = 0; i < cfg.layers; i++) {
    const p = `${prefix}.blocks.${i}`;
    h = tf.add(h, tf.expandDims(linear(temb, w(weights, `${p}.time.w`), w(weights, `${p}.time.b`)), 1));
    h = block(h, weights, p, cfg, ctx);
  }
  return rmsNorm(h, w(weights, `${prefix}.final_norm`));
}

function embed(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  return tf.gather(table as tf.Tensor2D, ids as tf.Tensor2D);
}

/** `sinus(t)` `[B, D]` (MODEL-SPEC): `[sin(1000·t·f_j)] ++ [cos(1000·t·f_j)]`, computed as `(t·1000)·f_j`. */
export function timestepEmbedding(t: tf.Tensor1D, dModel: number): tf.Tensor2D {
  const half = dModel / 2;
  const f = new Float32Array(half);
  for (let j = 0; j < half; j++) f[j] = Math.exp((-Math.log(10000) * j) / half);
  const arg = tf.mul(tf.reshape(tf.mul(t, 1000), [-1, 1]), tf.tensor2d(f, [1, half]));
  return tf.concat([tf.sin(arg), tf.cos(arg)], 1) as tf.Tensor2D;
}

export class Encoder {
  readonly prefix = "enc";
  constructor(readonly cfg: NetworkConfig, readonly vocabSize: number, readonly latentDim: number) {}
  /** tokens int32 `[B, L]` → encodings `e [B, L, d]` (before Normalize). */
  forward(tokens: tf.Tensor2D, weights: Weights): tf.Tensor3D {
    const p = this.prefix;
    const h = trunk(embed(w(weights, `${p}.tok_emb`), tokens), weights, p, this.cfg);
    return linear(h, w(weights, `${p}.out.w`), w(weights, `${p}.out.b`)) as tf.Tensor3D;
  }
}

export class Decoder {
  readonly prefix = "dec";
  constructor(readonly cfg: NetworkConfig, readonly vocabSize: number, readonly latentDim: number) {}
  /** latents `[B, L, d]` → logits `[B, L, V]`. */
  forward(latents: tf.Tensor3D, weights: Weights): tf.Tensor3D {
    const p = this.prefix;
    const h = trunk(linear(latents, w(weights, `${p}.in.w`), w(weights, `${p}.in.b`)), weights, p, this.cfg);
    return linear(h, w(weights, `${p}.lm_head.w`), w(weights, `${p}.lm_head.b`)) as tf.Tensor3D;
  }
}

export interface DenoiserInputs {
  xt: tf.Tensor3D;
  xsc: tf.Tensor3D;
  t: tf.Tensor1D;
  /** `[B, S, Dc]` and `[B, S]` (1 real, 0 padding); required when the denoiser is conditional. */
  cond?: tf.Tensor3D;
  condMask?: tf.Tensor2D;
}

export class Denoiser {
  readonly prefix = "dif";
  /** `condDim` = Dc when the denoiser cross-attends to a condition (summarization). */
  constructor(readonly cfg: NetworkConfig, readonly latentDim: number, readonly condDim?: number, readonly timeInBlocks = false) {}
  /** → x̂0 `[B, L, d]` */
  forward(inp: DenoiserInputs, weights: Weights): tf.Tensor3D {
    const p = this.prefix;
    const d = this.cfg.dModel;
    const temb = linear(silu(linear(timestepEmbedding(inp.t, d), w(weights, `${p}.time.w1`), w(weights, `${p}.time.b1`))), w(weights, `${p}.time.w2`), w(weights, `${p}.time.b2`));
    const x = tf.concat([inp.xt, inp.xsc], -1);
    const h0 = tf.add(linear(x, w(weights, `${p}.in.w`), w(weights, `${p}.in.b`)), tf.expandDims(temb, 1));
    const conditional = this.condDim !== undefined;
    if (conditional && (!inp.cond || !inp.condMask)) throw new Error("conditional denoiser needs cond and condMask");
    const ctx = conditional ? { cond: inp.cond, condBias: keyBias(inp.condMask!) } : {};
    const h = this.timeInBlocks ? trunkWithTime(h0, temb, weights, p, this.cfg, ctx) : trunk(h0, weights, p, this.cfg, ctx);
    return linear(h, w(weights, `${p}.out.w`), w(weights, `${p}.out.b`)) as tf.Tensor3D;
  }
}

export class ConditionEncoder {
  readonly prefix = "cond";
  constructor(readonly cfg: NetworkConfig, readonly vocabSize: number) {}
  /** tokens `[B, S]`, mask `[B, S]` → cond `[B, S, Dc]` */
  forward(tokens: tf.Tensor2D, mask: tf.Tensor2D, weights: Weights): tf.Tensor3D {
    const p = this.prefix;
    return trunk(embed(w(weights, `${p}.tok_emb`), tokens), weights, p, this.cfg, { selfBias: keyBias(mask) }) as tf.Tensor3D;
  }
  /** `cond.null` as `[1, Dc]`. */
  nullCondition(weights: Weights): tf.Tensor2D {
    return tf.reshape(w(weights, `${this.prefix}.null`), [1, this.cfg.dModel]);
  }
}

/**
 * Causal bias `[1, 1, L, L]`: 0 where key j ≤ query i, −1e9 above the diagonal (a position sees only
 * the tokens before it).
 */
export function causalBias(len: number): tf.Tensor4D {
  const m = new Float32Array(len * len);
  for (let i = 0; i < len; i++) for (let j = i + 1; j < len; j++) m[i * len + j] = -1e9;
  return tf.tensor4d(m, [1, 1, len, len]);
}

/**
 * ArDec (MODEL-SPEC "ArDec"): the autoregressive decoder. Position i reads the latent of its own
 * position and the previous token: h_i = tok_emb[y_{i−1}] + (z_i·in.w + in.b) with y_{−1} = BOS;
 * every block has causal self-attention and cross-attention to all L projected latents
 * m = z·in.w + in.b (so a token can read the latents after it, as the bidirectional Dec does).
 * Trained teacher-forced; decoded greedily, one token per call (export's KV-cached `ar_memory` + `ar_step` graphs).
 */
export class ArDecoder {
  readonly prefix = "ard";
  constructor(readonly cfg: NetworkConfig, readonly vocabSize: number, readonly latentDim: number) {}
  /** latents `[B, L, d]`, previous tokens `[B, T]` (BOS then y_0..y_{T−2}; T ≤ L) → logits `[B, T, V]`. */
  forward(latents: tf.Tensor3D, prevTokens: tf.Tensor2D, weights: Weights): tf.Tensor3D {
    const p = this.prefix;
    const [b, len] = prevTokens.shape;
    const mem = linear(latents, w(weights, `${p}.in.w`), w(weights, `${p}.in.b`));
    const own = len === mem.shape[1] ? mem : tf.slice(mem, [0, 0, 0], [b, len, this.cfg.dModel]);
    const h0 = tf.add(embed(w(weights, `${p}.tok_emb`), prevTokens), own);
    const ctx = { selfBias: causalBias(len), cond: mem, condBias: tf.zeros([1, 1, 1, mem.shape[1] as number]) };
    const h = trunk(h0, weights, p, this.cfg, ctx);
    return linear(h, w(weights, `${p}.lm_head.w`), w(weights, `${p}.lm_head.b`)) as tf.Tensor3D;
  }
}

/** Teacher forcing's input: BOS then every token but the last, `[B, L]`. */
export function shiftRight(tokens: Int32Array, rows: number, len: number): Int32Array {
  const out = new Int32Array(rows * len);
  for (let r = 0; r < rows; r++) {
    out[r * len] = BOS_ID;
    out.set(tokens.subarray(r * len, r * len + len - 1), r * len + 1);
  }
  return out;
}

export interface Networks {
  enc: Encoder;
  dec: Decoder;
  dif: Denoiser;
  condEnc?: ConditionEncoder;
  /** Models whose config has `arDec`. */
  arDec?: ArDecoder;
}

export function createNetworks(cfg: ModelConfig): Networks {
  const condDim = cfg.task === "summarize" ? cfg.condEnc.dModel : undefined;
  return {
    enc: new Encoder(cfg.enc, cfg.vocabSize, cfg.latentDim),
    dec: new Decoder(cfg.dec, cfg.vocabSize, cfg.latentDim),
    dif: new Denoiser(cfg.dif, cfg.latentDim, condDim, cfg.difTimeCond === "blocks"),
    ...(cfg.task === "summarize" ? { condEnc: new ConditionEncoder(cfg.condEnc, cfg.vocabSize) } : {}),
    ...(cfg.arDec ? { arDec: new ArDecoder(cfg.arDec, cfg.vocabSize, cfg.latentDim) } : {}),
  };
}
