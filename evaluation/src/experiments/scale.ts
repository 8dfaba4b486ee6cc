// Sizes of the experiments. `tiny` is a smoke test of the runner (about a minute per experiment,
// meaningless numbers); `cpu` is the real CPU-scale setting (the mini preset on 2 cores, minutes
// per run, about two hours for all six). The preprint's own sizes (METHOD.md §8) need GPUs.
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
  /**
   * Fig. 1's training texts per corpus, or null for maxTrain. The finding is about corpus size, so the
   * two corpora keep the ratio of their full training splits (ROCStories 67,992 : Wikipedia 229,295),
   * scaled so that the budget makes several passes over ROCStories, as long training does.
   */
  fig1MaxTrain: { rocstories: number; wikipedia: number } | null;
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
    fig1MaxTrain: null,
    samples: 12,
    evalSteps: 3,
    sampler: "ddim",
    stepSweep: [2, 5],
    samplerSweep: ["ddim", "sde"],
    reflm: { steps: 6, dModel: 32, heads: 2, layers: 1, ffn: 64, maxLen: 24, batch: 8, maxTrain: 200 },
  },
  // Sized so that all six experiments fit in about two hours of one core of this shared 2-core
  // machine: the `mini` preset (d_model 128, latent 32, vocabulary 4,096) takes ~0.13 s per step at
  // L = 8, ~0.4 s at L = 32 and ~0.6 s for summarization (one OpenBLAS thread), so 800 steps are
  // 2–8 minutes per run. The earlier `small`-preset setting (3,000 steps, ~6–8 s per step at L = 64)
  // needed days for Tables 3 and 4. Use --steps / --samples to scale up on a bigger machine.
  cpu: {
    name: "cpu",
    preset: "mini",
    steps: 800,
    batch: 32,
    maxTrain: 60000,
    valEvery: 100,
    valExamples: 256,
    shortLength: 8,
    longLength: 32,
    summaryLength: 32,
    fig1Length: 32,
    // 800 × 32 texts: 5.1 passes over 5,000 stories, 1.5 over 16,862 paragraphs (the 1 : 3.37 ratio).
    fig1MaxTrain: { rocstories: 5000, wikipedia: 16862 },
    samples: 200,
    evalSteps: 50,
    sampler: "ddim",
    stepSweep: [5, 10, 20, 50, 100],
    samplerSweep: ["ddim", "sde", "ode"],
    reflm: { steps: 1000, dModel: 128, heads: 4, layers: 2, ffn: 384, maxLen: 66, batch: 32, maxTrain: 60000 },
  },
};
