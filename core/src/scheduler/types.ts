// The scheduler's view of a model and of the sampling math: two small interfaces, so the batching
// logic is plain code that unit tests drive without ONNX Runtime, a network or a clock. Every
// sampling loop (server, offline sampleArtifact, training samples) is this scheduler over a backend.
import type { SamplerKind } from "../sampler.ts";

/** One denoiser call over `rows` rows of `[L, d]` latents with a per-row `t`. */
export interface DenoiseBatch {
  rows: number;
  x: Float32Array;
  xsc: Float32Array;
  t: Float32Array;
  /** Conditional models only: `[rows, S, Dc]` and `[rows, S]` (1 = real token). */
  cond?: { data: Float32Array; mask: Float32Array; S: number };
}

export interface ConditionEncoding {
  /** `[len, Dc]` — the document's real tokens only (padding is added per batch), unless `mask` is set. */
  cond: Float32Array;
  len: number;
  /**
   * `[len]` key mask, for an encoding kept at a fixed padded length (training encodes its documents
   * padded to S in one batch, and its samples must see exactly those tensors). Absent: all `len` keys are real.
   */
  mask?: Float32Array;
  /** `[Dc]` learned null condition for classifier-free guidance. */
  nullCond: Float32Array;
}

/** One sample's sampler update after the denoiser call (see ./apply.ts). */
export interface SamplePlan {
  /** Batch row with this sample's x and its conditional (or only) prediction. */
  row: number;
  /** Batch row with the null-condition prediction (guided samples), else −1. */
  uncondRow: number;
  guidance: number;
  /** Clamp x̂0 (Enc(argmax Dec(x̂0))) at this step when t ≤ clamp; 0 = never. */
  clamp: number;
  sampler: SamplerKind;
  t: number;
  s: number;
  /** SDE noise is noise(seed, step + 1, sample, L·d): the request's own stream. */
  seed: number;
  step: number;
  /** Noise row: the job's `firstSample` + this sample's index in the job. */
  sample: number;
  /** First step: the backend fills this sample's x (and its null row) with noise(seed, 0, sample). */
  init: boolean;
}

/** A denoiser call plus the sampler update of every sample in it. */
export interface StepBatch extends DenoiseBatch {
  samples: SamplePlan[];
}

/** `[samples, L, d]` each: the updated latents and the (guided) x̂0 predictions. */
export interface StepResult {
  x: Float32Array;
  x0: Float32Array;
}

/**
 * What one engine lane (an ONNX worker, or a test double) offers the scheduler. `step` runs the
 * denoiser and the sampler math where the lane lives (the ONNX worker thread), so neither blocks
 * the HTTP thread.
 */
export interface ModelBackend {
  readonly L: number;
  readonly d: number;
  /** Condition width Dc; 0 for unconditional models. */
  readonly condDim: number;
  step(batch: StepBatch): Promise<StepResult>;
  /** Argmax token ids `[rows, L]` of the decoder. */
  decode(latents: Float32Array, rows: number): Promise<Int32Array>;
  encodeCondition(tokens: Int32Array): Promise<ConditionEncoding>;
}

/**
 * Sampling math, supplied by @ldtext/core (see ./math.ts): the time grid, counter-based noise and
 * one sampler update for one row. `step` writes the new latent into `out`.
 */
export interface SamplingMath {
  timeGrid(steps: number): ArrayLike<number>;
  noise(seed: number, step: number, row: number, count: number): Float32Array;
  step(sampler: SamplerKind, x: Float32Array, x0hat: Float32Array, t: number, s: number, noise: Float32Array | null, out: Float32Array): void;
  cfg(cond: Float32Array, uncond: Float32Array, w: number, out: Float32Array): void;
}

export interface JobSpec {
  id: string;
  /** Samples (rows) of this request. */
  n: number;
  /**
   * Noise row of the first sample (default 0): sample r draws noise(seed, ·, firstSample + r). Lets a
   * request of many samples run as several jobs (sampleArtifact's batch cap), or one document per job
   * continue a batch-wide row numbering (training's summarize samples), with the very same numbers.
   */
  firstSample?: number;
  steps: number;
  sampler: SamplerKind;
  seed: number;
  /** Classifier-free guidance weight; > 0 doubles this request's rows. */
  guidance: number;
  /**
   * Latent clamping (default 0 = off): at steps with t ≤ clamp the x̂0 this request's samples step
   * with is replaced by Enc(argmax Dec(x̂0)), its nearest point on the autoencoder's latents.
   */
  clamp?: number;
  /** Summarization: the document's tokens (already truncated) and a cache key for its encoding. */
  condition?: { key: string; tokens: Int32Array };
  /** Absolute time (ms, same clock as the scheduler's `now`) after which the job fails with a timeout; Infinity = none (offline sampling). */
  deadline: number;
  signal?: AbortSignal;
  /** Called every `progressEvery` steps (not after the last) with the current argmax ids per row. */
  progressEvery?: number;
  onProgress?: (step: number, ids: Int32Array[]) => void;
}

export interface JobResult {
  /** Token ids `[L]` per sample. */
  ids: Int32Array[];
  /** The last step's x̂0 `[n, L, d]` (what the decoder read). */
  latents: Float32Array;
  queueMs: number;
  inferenceMs: number;
}
