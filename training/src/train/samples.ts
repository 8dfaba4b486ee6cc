// Samples during training (the curves say how the losses move; a few texts say whether it reads):
// N-step DDIM from pure noise with self-conditioning (MODEL-SPEC "Sampling"), Dec(x̂0) of the last
// step → argmax → text. Summarization samples condition on validation documents (no guidance).
// They run core's Scheduler — the server's sampling loop — over the TF.js networks (TfjsModel).
import * as tf from "@tensorflow/tfjs";
import { type CompactTokenizer, type ConditionEncoding, type JobSpec, Scheduler, coreMath, makeSchedule, rowStep } from "@ldtext/core";
import type { InferenceNetworks } from "../model/inference.ts";
import { TfjsModel, denoiseRows } from "../model/tfjs-model.ts";

export interface SampleOptions {
  count: number;
  steps: number;
  seed: number;
  /** Summarization: documents `[count·S]` and their mask, S = condMaxLen. */
  documents?: { tokens: Int32Array; mask: Float32Array; length: number };
}

/**
 * Self-conditioned DDIM from `x` (rows `[b, L, d]`, flat) at `grid[0]` down to `grid[grid.length - 1]`,
 * one denoiser call per interval; returns the last x̂0. For an arbitrary grid and start (the denoiser
 * profile starts from noised data at any t), which the scheduler's jobs — always from noise at t = 1 —
 * do not express; the update per row is core's rowStep, as the scheduler's.
 */
export function ddimAlong(nets: InferenceNetworks, x: Float32Array, grid: ArrayLike<number>): Float32Array {
  const { maxLen: L, latentDim: d } = nets.modelConfig;
  const ld = L * d;
  const rows = x.length / ld;
  const schedule = makeSchedule(nets.modelConfig.schedule);
  let xsc: Float32Array = new Float32Array(x.length);
  let x0hat = xsc;
  for (let i = 0; i + 1 < grid.length; i++) {
    x0hat = denoiseRows(nets, { rows, x, xsc, t: new Float32Array(rows).fill(grid[i]) });
    const next = new Float32Array(x.length);
    for (let r = 0; r < rows; r++) {
      const at = (v: Float32Array) => v.subarray(r * ld, (r + 1) * ld);
      rowStep("ddim", at(x), at(x0hat), grid[i], grid[i + 1], schedule, null, at(next));
    }
    x = next;
    xsc = x0hat;
  }
  return x0hat;
}

/**
 * Documents encoded as training encodes them — in one batch, padded to S with their mask — and kept
 * at that padded length, so the samples see exactly those condition tensors.
 */
function documentEncodings(model: TfjsModel, nets: InferenceNetworks, docs: NonNullable<SampleOptions["documents"]>, count: number): ConditionEncoding[] {
  const S = docs.length;
  const Dc = model.condDim;
  const enc = tf.tidy(() => {
    const tokens = tf.tensor2d(docs.tokens, [count, S], "int32");
    const mask = tf.tensor2d(docs.mask, [count, S]);
    return Float32Array.from(nets.encodeCondition(tokens, mask).dataSync() as Float32Array);
  });
  const nullCond = model.nullCondition();
  return Array.from({ length: count }, (_, r) => ({ cond: enc.slice(r * S * Dc, (r + 1) * S * Dc), len: S, mask: docs.mask.slice(r * S, (r + 1) * S), nullCond }));
}

/**
 * Token ids `[count, L]` of `count` samples: generate = one request of `count` samples (noise rows
 * 0..count−1); summarize = one job per document whose noise row is its index (firstSample), all in
 * one batch as before.
 */
export async function sampleIds(nets: InferenceNetworks, opts: SampleOptions): Promise<Int32Array> {
  const { count, steps, seed } = opts;
  const math = coreMath(nets.modelConfig.schedule);
  const model = new TfjsModel(nets, math);
  const cache = new Map<string, ConditionEncoding>();
  const base = { steps, sampler: "ddim" as const, seed, guidance: 0, deadline: Infinity };
  let jobs: JobSpec[];
  if (opts.documents) {
    const docs = opts.documents;
    documentEncodings(model, nets, docs, count).forEach((c, r) => cache.set(`document ${r}`, c));
    const S = docs.length;
    jobs = Array.from({ length: count }, (_, r) => ({
      ...base,
      id: `document ${r}`,
      n: 1,
      firstSample: r,
      condition: { key: `document ${r}`, tokens: docs.tokens.slice(r * S, (r + 1) * S).filter((_, i) => docs.mask[r * S + i] > 0) },
    }));
  } else jobs = [{ ...base, id: "samples", n: count }];
  // Row budget = every sample: one denoiser call per step over all of them.
  const scheduler = new Scheduler({ lanes: [model], math, rowBudget: count, queueSize: jobs.length, condCache: cache });
  const results = await Promise.all(jobs.map((j) => scheduler.submit(j)));
  const L = model.L;
  const ids = new Int32Array(count * L);
  results.flatMap((r) => r.ids).forEach((row, i) => ids.set(row, i * L));
  return ids;
}

export async function sampleTexts(nets: InferenceNetworks, tokenizer: CompactTokenizer, opts: SampleOptions): Promise<string[]> {
  const ids = await sampleIds(nets, opts);
  const L = nets.modelConfig.maxLen;
  return Array.from({ length: opts.count }, (_, r) => tokenizer.decodeSample(ids.subarray(r * L, (r + 1) * L)));
}
