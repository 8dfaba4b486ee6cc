// Compose two stages that ran side by side on one frozen encoder: the denoiser of a run (say a
// --freeze-ae continuation) with the decoder of another (a --decoder-only run from the same
// --init-from). Both read the same latent space only if their encoders are the same weights, so the
// swap refuses anything else. The result is a checkpoint to export or to --init-from, not to
// --resume: it has no single optimizer state or data position (both are dropped).
import type { CheckpointData, FloatWeights, LoadedCheckpoint, NormState } from "@ldtext/core";
import { priorTrainFlops, priorTrainSeconds } from "./init-source.ts";

export interface SwapReport {
  /** Decoder weights taken from the donor. */
  decoderWeights: number;
  /** Encoder weights compared (all bit-identical). */
  encoderWeights: number;
  /** Largest |difference| of the normalization statistics (the base's are kept; the donor's decoder read its own). */
  normDrift: number;
}

/** The weights an export of `c` ships: its EMA copy overlaid on the raw weights. */
function shipped(c: Pick<CheckpointData, "weights" | "ema">): FloatWeights {
  return new Map([...c.weights, ...(c.ema ?? [])]);
}

function identical(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** Largest |difference| between two runs' normalization statistics (E[e], E[e²]). */
function normDrift(a: NormState, b: NormState): number {
  let m = 0;
  for (const key of ["mean", "sq"] as const) {
    const [x, y] = [a[key], b[key]];
    if (!x || !y) continue;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  }
  return m;
}

/**
 * `base` with every `dec.` weight (raw and EMA) replaced by `donor`'s. `sharedPrior` is the
 * training both runs inherited (their common --init-from): counted once in the result's compute.
 */
export function swapDecoder(base: LoadedCheckpoint, donor: LoadedCheckpoint, sharedPrior: { sec: number; flops: number }): { checkpoint: CheckpointData; report: SwapReport } {
  if (JSON.stringify(base.modelConfig) !== JSON.stringify(donor.modelConfig)) throw new Error(`${donor.dir} has another model config than ${base.dir}: its decoder does not fit`);
  if (JSON.stringify(base.vocabulary) !== JSON.stringify(donor.vocabulary)) throw new Error(`${donor.dir} has another vocabulary than ${base.dir}`);
  const [b, d] = [shipped(base), shipped(donor)];
  let encoderWeights = 0;
  for (const [name, w] of b) {
    if (!name.startsWith("enc.")) continue;
    const other = d.get(name);
    if (!other || !identical(w.data, other.data)) {
      throw new Error(`${name} differs between ${base.dir} and ${donor.dir}: the decoder was trained on another latent space (both runs must start from one --init-from with the encoder frozen)`);
    }
    encoderWeights++;
  }
  if (encoderWeights === 0) throw new Error(`${base.dir} has no encoder weights to compare`);
  const weights: FloatWeights = new Map(base.weights);
  const ema: FloatWeights | undefined = base.ema ? new Map(base.ema) : undefined;
  let decoderWeights = 0;
  for (const [name, w] of donor.weights) {
    if (!name.startsWith("dec.")) continue;
    weights.set(name, w);
    if (ema) ema.set(name, d.get(name)!);
    decoderWeights++;
  }
  if (decoderWeights === 0) throw new Error(`${donor.dir} has no decoder weights`);
  const train = (base.losses?.train ?? {}) as Record<string, unknown>;
  const trainSec = priorTrainSeconds(base) + priorTrainSeconds(donor) - sharedPrior.sec;
  const trainFlops = priorTrainFlops(base) + priorTrainFlops(donor) - sharedPrior.flops;
  const { adamM: _m, adamV: _v, dir: _dir, ...rest } = base;
  return {
    checkpoint: {
      ...rest,
      weights,
      ...(ema ? { ema } : {}),
      losses: { ...base.losses, train: { ...train, trainSec, trainFlops } },
      extra: { decoderFrom: { dir: donor.dir, step: donor.step, trainConfig: donor.trainConfig } },
    },
    report: { decoderWeights, encoderWeights, normDrift: normDrift(base.norm, donor.norm) },
  };
}
