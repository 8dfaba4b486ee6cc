// Sizes of the experiments. `tiny` is a smoke test of the runner (about a minute per experiment,
// meaningless numbers); `cpu` is the real CPU-scale setting (the tiny/small presets on 2 cores,
// hours per experiment). The preprint's own sizes (METHOD.md §8) need GPUs.
import type { PresetName } from "@ldtext/core";

export type ScaleName = "tiny" | "cpu";
export const SCALES: readonly ScaleName[] = ["tiny", "cpu"];

export interface Scale {
  name: ScaleName;
  preset: PresetName;
  /** Joint-training steps per run (the two-stage baseline splits the same budget). */
  steps: number;
  batch: number;
  /** Training examples read per corpus. */
  maxTrain: number;
  valEvery: number;
  valExamples: number;
  /** Text lengths L: the ablations' short texts, Table 3's longer texts, XSum summaries, Fig. 1. */
  shortLength: number;
  longLength: number;
  summaryLength: number;
  fig1Length: number;
  /** Evaluation. */
  samples: number;
  evalSteps: number;
  sampler: "ddim" | "sde" | "ode";
  /** `steps` experiment: denoising steps and samplers swept. */
  stepSweep: number[];
  samplerSweep: ("ddim" | "sde" | "ode")[];
  /** Reference LM. */
  reflm: { steps: number; dModel: number; heads: number; layers: number; ffn: number; maxLen: number; batch: number; maxTrain: number };
}

/** A scale with command-line overrides (--steps, --batch, --samples, --eval-steps). */
export function withOverrides(s: Scale, o: Partial<Pick<Scale, "steps" | "batch" | "samples" | "evalSteps">>): Scale {
  const out = { ...s };
  for (const k of ["steps", "batch", "samples", "evalSteps"] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
    out[k] = v;
  }
  return out;
}

export const SCALE_PRESETS: Record<ScaleName, Scale> = {
  tiny: {
    name: "tiny",
    preset: "tiny",
    steps: 8,
    batch: 8,
    maxTrain: 200,
    valEvery: 4,
    valExamples: 16,
    shortLength: 8,
    longLength: 16,
    summaryLength: 12,
    fig1Length: 12,
    samples: 12,
    evalSteps: 3,
    sampler: "ddim",
    stepSweep: [2, 5],
    samplerSweep: ["ddim", "sde"],
    reflm: { steps: 6, dModel: 32, heads: 2, layers: 1, ffn: 64, maxLen: 24, batch: 8, maxTrain: 200 },
  },
  // Measured on this 2-core machine (shared, so noisy): the small preset at batch 16 takes ~0.5–2 s
  // per step at L = 8 and ~6–8 s at L = 64; hence L ≤ 32 and 3,000 steps (use --steps to change).
  cpu: {
    name: "cpu",
    preset: "small",
    steps: 3000,
    batch: 16,
    maxTrain: 60000,
    valEvery: 200,
    valExamples: 256,
    shortLength: 8,
    longLength: 32,
    summaryLength: 32,
    fig1Length: 32,
    samples: 500,
    evalSteps: 50,
    sampler: "ddim",
    stepSweep: [5, 10, 20, 50, 100],
    samplerSweep: ["ddim", "sde", "ode"],
    reflm: { steps: 3000, dModel: 192, heads: 4, layers: 3, ffn: 512, maxLen: 66, batch: 32, maxTrain: 100000 },
  },
};
