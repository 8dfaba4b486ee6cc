// Samples during training (the curves say how the losses move; a few texts say whether it reads):
// N-step DDIM from pure noise with self-conditioning (MODEL-SPEC "Sampling"), Dec(x̂0) of the last
// step → argmax → text. Summarization samples condition on validation documents (no guidance).
import * as tf from "@tensorflow/tfjs";
import { type CompactTokenizer, ddimStep, gaussianNoise, makeSchedule, timeGrid } from "@ldtext/core";
import type { InferenceNetworks } from "../model/inference.ts";

export interface SampleOptions {
  count: number;
  steps: number;
  seed: number;
  /** Summarization: documents `[count·S]` and their mask, S = condMaxLen. */
  documents?: { tokens: Int32Array; mask: Float32Array; length: number };
}

/**
 * Self-conditioned DDIM from `x` (rows `[b, L, d]`, flat) at `grid[0]` down to `grid[grid.length - 1]`,
 * one denoiser call per interval; returns the last x̂0. `cond`: a summarization model's condition.
 */
export function ddimAlong(nets: InferenceNetworks, x: Float32Array, grid: ArrayLike<number>, cond?: { cond: tf.Tensor3D; mask: tf.Tensor2D } | null): Float32Array {
  const { maxLen: L, latentDim: d } = nets.modelConfig;
  const b = x.length / (L * d);
  const schedule = makeSchedule(nets.modelConfig.schedule);
  let xsc = new Float32Array(x.length);
  let x0hat = xsc;
  for (let i = 0; i + 1 < grid.length; i++) {
    const t = grid[i];
    x0hat = tf.tidy(() => {
      const out = nets.denoise(tf.tensor3d(x, [b, L, d]), tf.tensor3d(xsc, [b, L, d]), tf.fill([b], t) as tf.Tensor1D, cond?.cond, cond?.mask);
      return Float32Array.from(out.dataSync() as Float32Array);
    });
    const next = new Float32Array(x.length);
    ddimStep(x, x0hat, t, grid[i + 1], schedule, next);
    x = next;
    xsc = x0hat;
  }
  return x0hat;
}

/** Token ids `[count, L]` of `count` samples. */
export function sampleIds(nets: InferenceNetworks, opts: SampleOptions): Int32Array {
  const mc = nets.modelConfig;
  const { count: b } = opts;
  const L = mc.maxLen;
  const d = mc.latentDim;
  const n = L * d;
  const x = new Float32Array(b * n);
  for (let r = 0; r < b; r++) x.set(gaussianNoise(opts.seed, 0, r, n), r * n);
  const cond = opts.documents
    ? tf.tidy(() => {
        const docs = opts.documents!;
        const tokens = tf.tensor2d(docs.tokens, [b, docs.length], "int32");
        const mask = tf.tensor2d(docs.mask, [b, docs.length]);
        return { cond: nets.encodeCondition(tokens, mask), mask: tf.keep(mask) };
      })
    : null;
  const x0hat = ddimAlong(nets, x, timeGrid(opts.steps), cond);
  if (cond) tf.dispose([cond.cond, cond.mask]);
  return tf.tidy(() => Int32Array.from(tf.argMax(nets.decode(tf.tensor3d(x0hat, [b, L, d])), -1).dataSync() as Int32Array));
}

export function sampleTexts(nets: InferenceNetworks, tokenizer: CompactTokenizer, opts: SampleOptions): string[] {
  const ids = sampleIds(nets, opts);
  const L = nets.modelConfig.maxLen;
  return Array.from({ length: opts.count }, (_, r) => tokenizer.decodeSample(ids.subarray(r * L, (r + 1) * L)));
}
